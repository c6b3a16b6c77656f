"""Every read of a passholder's personal data leaves a row: who, what, whom, when; and a
region's auditors read those rows back."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy.ext.asyncio import AsyncSession

from app.clock import BRUSSELS, utcnow
from app.db import audit as db
from app.db.audit import AuditRow
from app.domain.access import Principal, Role, Tenant
from app.services.access import ensure

AUDITORS = frozenset({Role.REGION_ADMIN})


async def record_reads(
    session: AsyncSession,
    principal: Principal,
    action: str,
    subjects: Iterable[tuple[str, str]],
) -> None:
    """Write audit rows for (passholder_id, region_id) pairs; the unit of work commits."""
    await db.record(
        session,
        client_id=principal.client_id,
        action=action,
        subjects=list(dict.fromkeys(subjects)),
        now=utcnow(),
    )


@dataclass(frozen=True, slots=True)
class AuditRows:
    rows: list[AuditRow]
    more: bool  # rows older than the last one remain


async def read_audit(
    session: AsyncSession,
    principal: Principal,
    *,
    region_id: str | None,
    passholder_id: str | None,
    from_date: date | None,
    to_date: date | None,
    before_id: int | None,
    limit: int,
) -> AuditRows:
    """The audit rows of the regions the principal audits (or of `region_id`, which it must
    audit), newest first; `before_id` continues a previous page, and `to_date` is the day
    after the last."""
    regions: list[str] | None
    if region_id is not None:
        ensure(principal, AUDITORS, Tenant(region_id=region_id), hide=False)
        regions = [region_id]
    elif principal.is_admin:
        regions = None
    else:
        regions = sorted(principal.region_ids(AUDITORS))
    rows = await db.read(
        session,
        region_ids=regions,
        passholder_id=passholder_id,
        since=_start_of(from_date),
        until=_start_of(to_date),
        before_id=before_id,
        limit=limit + 1,
    )
    return AuditRows(rows[:limit], more=len(rows) > limit)


def _start_of(day: date | None) -> datetime | None:
    """Midnight at the start of `day` in Brussels, the calendar the audit is read in."""
    return datetime.combine(day, time.min, tzinfo=BRUSSELS) if day else None
