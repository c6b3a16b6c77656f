"""Bulk grants from an authoritative list — the way to reach people who never came forward.

Rows are matched on the INSZ pseudonym. A passholder of the region gets the status granted
or renewed; an unknown INSZ is kept as a pending grant (its keyed hash only) and applied on
the day that person registers. A bad row is reported by number and reason and never stops
the rest; importing the same list twice changes nothing.
"""

from __future__ import annotations

import csv
import json
import re
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from app.clock import utcnow
from app.db import passholders as db_passholders
from app.db import pending as db_pending
from app.db import regions as db_regions
from app.db.pending import PendingGrant
from app.domain.access import Principal, Tenant
from app.domain.entitlements import ENTITLEMENT_TYPES
from app.domain.insz import InvalidInsz, parse_insz
from app.domain.renewal import default_valid_until
from app.domain.validation import CALENDAR, in_calendar
from app.errors import NotFound, Unprocessable
from app.services.access import ensure
from app.services.entitlements import GrantRequest, grant_many
from app.services.lookup import REGISTRY

MAX_ROWS = 100_000
CHUNK_ROWS = 2_000


@dataclass(slots=True)
class ImportReport:
    rows: int = 0
    granted: int = 0
    renewed: int = 0
    unchanged: int = 0
    pending: int = 0
    already_pending: int = 0
    rejected: int = 0
    rejections: list[tuple[int, str]] = field(default_factory=list)

    MAX_LISTED_REJECTIONS = 1_000

    def reject(self, row_number: int, reason: str) -> None:
        self.rejected += 1
        if len(self.rejections) < self.MAX_LISTED_REJECTIONS:
            self.rejections.append((row_number, reason))


@dataclass(frozen=True, slots=True)
class _Row:
    number: int
    insz_hash: str
    type: str
    valid_from: date
    valid_until: date
    evidence: str | None


class ImportFormatError(Unprocessable):
    code = "import-unreadable"


MAX_LINE_CHARS = 2_000
"""A row holds an INSZ, a type, two dates and 200 characters of evidence: far less than this.

Every line is measured before it is parsed, so no cell can reach the csv module's field-size
limit (131,072 characters, where it raises) and no INSZ cell can hold thousands of digits.
"""

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_NEWLINE = re.compile(r"\r\n|\r|\n")


def _lines(text: str) -> Iterator[tuple[int, str]]:
    """Physical lines numbered from 1, split on CR, LF or CRLF only.

    (str.splitlines also splits on form feeds, U+2028 and a dozen other characters, which
    would shift every line number after them.)
    """
    yield from enumerate(_NEWLINE.split(text.lstrip("\ufeff")), start=1)


@dataclass(frozen=True, slots=True)
class Unreadable:
    """A line that gives no row, and why (in words of ours, never quoting the line)."""

    reason: str


RawRows = Iterable[tuple[int, Mapping[str, str] | Unreadable]]


def _too_long(line_number: int) -> Unreadable:
    return Unreadable(f"line {line_number}: longer than {MAX_LINE_CHARS} characters")


def read_csv(text: str) -> Iterator[tuple[int, Mapping[str, str] | Unreadable]]:
    """Rows of a CSV with a header line; ',' or ';' (as Excel writes it in Belgium).

    Each physical line is one record, parsed on its own: a field opened with a quote must
    close on its line. A stray quote therefore costs its own line, reported with its line
    number, instead of silently joining the lines after it into one rejected record (no
    field of this list may hold a line break anyway). Rows are numbered from 1 after the
    header, blank lines not counted; a reason names the line in the file when it helps.
    """
    lines = _lines(text)
    first = next(((n, line) for n, line in lines if line.strip()), None)
    if first is None:
        return
    header_line_number, header_line = first
    if len(header_line) > MAX_LINE_CHARS:
        raise ImportFormatError(f"the CSV header is longer than {MAX_LINE_CHARS} characters")
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    header_cells = _csv_cells(header_line, delimiter)
    if header_cells is None:
        raise ImportFormatError(
            f"line {header_line_number}: the CSV header has an unbalanced quote"
        )
    header = [name.strip().lower() for name in header_cells]
    missing = {"insz", "type", "valid_from"} - set(header)
    if missing:
        raise ImportFormatError(
            "the CSV header must name the columns insz, type, valid_from "
            f"(optional: valid_until, evidence); missing: {', '.join(sorted(missing))}"
        )
    row_number = 0
    for line_number, line in lines:
        if not line.strip():
            continue
        row_number += 1
        if len(line) > MAX_LINE_CHARS:
            yield row_number, _too_long(line_number)
            continue
        cells = _csv_cells(line, delimiter)
        if cells is None:
            yield (
                row_number,
                Unreadable(
                    f'line {line_number}: unbalanced quote (") — a quoted field must close '
                    "on its own line, before the next separator; the lines after it were "
                    "read on their own"
                ),
            )
            continue
        yield row_number, {name: cell.strip() for name, cell in zip(header, cells, strict=False)}


def _csv_cells(line: str, delimiter: str) -> list[str] | None:
    """The cells of one line, or None when a quote opens a field the line does not close."""
    try:
        rows = list(csv.reader([line], delimiter=delimiter, strict=True))
    except csv.Error:
        return None
    return rows[0] if rows else []


def read_json_lines(text: str) -> Iterator[tuple[int, Mapping[str, str] | Unreadable]]:
    for number, line in _lines(text):
        if not line.strip():
            continue
        if len(line) > MAX_LINE_CHARS:
            yield number, _too_long(number)
            continue
        try:
            value = json.loads(line)
        except (ValueError, RecursionError):
            # ValueError: not JSON, or an integer of more digits than Python converts;
            # RecursionError: a line of 2,000 '[' nests deeper than the parser recurses.
            yield number, Unreadable("not a JSON object")
            continue
        if not isinstance(value, dict):
            yield number, Unreadable("not a JSON object")
            continue
        if not all(
            isinstance(v, str | int | None) and not isinstance(v, bool) for v in value.values()
        ):
            yield number, Unreadable("values must be strings (or null)")
            continue
        yield number, {k: "" if v is None else str(v) for k, v in value.items()}


def _parse_row(
    number: int, raw: Mapping[str, str] | Unreadable, key: str, default_end: str
) -> _Row | str:
    """A row ready to import, or the reason it is rejected (never quoting personal data)."""
    if isinstance(raw, Unreadable):
        return raw.reason
    try:
        insz = parse_insz(raw.get("insz", ""))
    except InvalidInsz as error:
        return f"insz: {error}"
    type_ = raw.get("type", "")
    if type_ not in ENTITLEMENT_TYPES:
        return "type: unknown entitlement type"
    valid_from = _date(raw.get("valid_from", ""))
    if valid_from is None:
        return "valid_from: not a date (YYYY-MM-DD)"
    if not in_calendar(valid_from):
        return f"valid_from: give {CALENDAR}"
    until_text = raw.get("valid_until", "")
    valid_until = _date(until_text) if until_text else default_valid_until(valid_from, default_end)
    if valid_until is None:
        return "valid_until: not a date (YYYY-MM-DD)"
    if not in_calendar(valid_until):
        return f"valid_until: give {CALENDAR}"
    if valid_until < valid_from:
        return "valid_until lies before valid_from"
    evidence = raw.get("evidence") or None
    if evidence is not None and (len(evidence) > 200 or not evidence.isprintable()):
        return "evidence: at most 200 printable characters"
    return _Row(number, insz.pseudonym(key), type_, valid_from, valid_until, evidence)


def _date(text: str) -> date | None:
    """A date written YYYY-MM-DD in ASCII digits, as the API reads one.

    (date.fromisoformat alone also takes '20260101' and the week date '2026-W01-1'.)
    """
    if not _DATE.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


async def import_entitlements(
    session: AsyncSession,
    *,
    principal: Principal,
    insz_key: str,
    region_id: str,
    source: str,
    rows: RawRows,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    ensure(principal, REGISTRY, Tenant(region_id=region_id), hide=False)
    found = await db_regions.get_regions(session, region_ids=[uuid.UUID(region_id)])
    if not found:
        raise NotFound(f"No region {region_id}.")
    region = found[0]
    report = ImportReport()
    chunk: list[_Row] = []
    for number, raw in rows:
        report.rows += 1
        if report.rows > MAX_ROWS:
            raise Unprocessable(
                f"an import holds at most {MAX_ROWS} rows; split the list",
                code="import-too-large",
            )
        parsed = _parse_row(number, raw, insz_key, region.default_status_end)
        if isinstance(parsed, str):
            report.reject(number, parsed)
            continue
        chunk.append(parsed)
        if len(chunk) >= CHUNK_ROWS:
            await _import_chunk(session, region_id, source, chunk, report)
            if progress:
                progress(report.rows)
            chunk = []
    if chunk:
        await _import_chunk(session, region_id, source, chunk, report)
    if progress:
        progress(report.rows)
    return report


async def _import_chunk(
    session: AsyncSession, region_id: str, source: str, chunk: list[_Row], report: ImportReport
) -> None:
    matched = await db_passholders.ids_by_insz_hash(
        session, region_id, sorted({row.insz_hash for row in chunk})
    )
    requests = [
        GrantRequest(
            passholder_id=matched[row.insz_hash],
            holder_region_id=region_id,
            type=row.type,
            region_id=region_id,
            valid_from=row.valid_from,
            valid_until=row.valid_until,
            evidence=row.evidence,
            source=source,
        )
        for row in chunk
        if row.insz_hash in matched
    ]
    for result in await grant_many(session, requests, utcnow()):
        if result.outcome == "granted":
            report.granted += 1
        elif result.outcome == "renewed":
            report.renewed += 1
        else:
            report.unchanged += 1
    unmatched = [row for row in chunk if row.insz_hash not in matched]
    if unmatched:
        created = await _keep_pending(session, region_id, source, unmatched)
        report.pending += created
        report.already_pending += len(unmatched) - created


async def _keep_pending(
    session: AsyncSession, region_id: str, source: str, rows: list[_Row]
) -> int:
    grants = [
        PendingGrant(
            insz_hash=row.insz_hash,
            type=row.type,
            region_id=region_id,
            valid_from=row.valid_from,
            valid_until=row.valid_until,
            evidence=row.evidence,
            source=source,
        )
        for row in rows
    ]
    return await db_pending.keep(session, grants, utcnow())
