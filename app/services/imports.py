"""Bulk grants from an authoritative list — the way to reach people who never came forward.

Rows are matched on the INSZ pseudonym. A passholder of the region gets the status granted
or renewed; an unknown INSZ is kept as a pending grant (its keyed hash only) and applied on
the day that person registers. A bad row is reported by number and reason and never stops
the rest; importing the same list twice changes nothing.
"""

from __future__ import annotations

import csv
import json
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


def read_csv(text: str) -> Iterator[tuple[int, Mapping[str, str]]]:
    """Rows of a CSV with a header line; ',' or ';' (as Excel writes it in Belgium)."""
    lines = text.lstrip("\ufeff").splitlines()
    if not lines:
        return
    delimiter = ";" if lines[0].count(";") > lines[0].count(",") else ","
    reader = csv.DictReader(lines, delimiter=delimiter)
    header = [name.strip().lower() for name in reader.fieldnames or []]
    missing = {"insz", "type", "valid_from"} - set(header)
    if missing:
        raise ImportFormatError(
            "the CSV header must name the columns insz, type, valid_from "
            f"(optional: valid_until, evidence); missing: {', '.join(sorted(missing))}"
        )
    reader.fieldnames = header
    for number, row in enumerate(reader, start=1):
        yield number, {k: (v or "").strip() for k, v in row.items() if isinstance(k, str)}


def read_json_lines(text: str) -> Iterator[tuple[int, Mapping[str, str]]]:
    for number, line in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except ValueError:
            yield number, {"__error__": "not a JSON object"}
            continue
        if not isinstance(value, dict):
            yield number, {"__error__": "not a JSON object"}
            continue
        yield number, {k: "" if v is None else str(v) for k, v in value.items()}


def _parse_row(number: int, raw: Mapping[str, str], key: str, default_end: str) -> _Row | str:
    """A row ready to import, or the reason it is rejected (never quoting personal data)."""
    if "__error__" in raw:
        return raw["__error__"]
    try:
        insz = parse_insz(raw.get("insz", ""))
    except InvalidInsz as error:
        return f"insz: {error}"
    type_ = raw.get("type", "")
    if type_ not in ENTITLEMENT_TYPES:
        return "type: unknown entitlement type"
    try:
        valid_from = date.fromisoformat(raw.get("valid_from", ""))
    except ValueError:
        return "valid_from: not a date (YYYY-MM-DD)"
    if not in_calendar(valid_from):
        return f"valid_from: give {CALENDAR}"
    until_text = raw.get("valid_until", "")
    try:
        valid_until = (
            date.fromisoformat(until_text)
            if until_text
            else default_valid_until(valid_from, default_end)
        )
    except ValueError:
        return "valid_until: not a date (YYYY-MM-DD)"
    if not in_calendar(valid_until):
        return f"valid_until: give {CALENDAR}"
    if valid_until < valid_from:
        return "valid_until lies before valid_from"
    evidence = raw.get("evidence") or None
    if evidence is not None and (len(evidence) > 200 or not evidence.isprintable()):
        return "evidence: at most 200 printable characters"
    return _Row(number, insz.pseudonym(key), type_, valid_from, valid_until, evidence)


async def import_entitlements(
    session: AsyncSession,
    *,
    principal: Principal,
    insz_key: str,
    region_id: str,
    source: str,
    rows: Iterable[tuple[int, Mapping[str, str]]],
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
