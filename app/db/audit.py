"""The audit log of reads of personal data."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.tables import audit_log


@dataclass(frozen=True, slots=True)
class AuditRow:
    id: int
    at: datetime
    client_id: str
    action: str
    passholder_id: str
    region_id: str


_RECORD = sa.insert(audit_log)


async def record(
    session: AsyncSession,
    *,
    client_id: str,
    action: str,
    subjects: Sequence[tuple[str, str]],
    now: datetime,
) -> None:
    """One row per (passholder_id, region_id) that was read."""
    if not subjects:
        return
    await session.execute(
        _RECORD,
        [
            {
                "at": now,
                "client_id": client_id,
                "action": action,
                "passholder_id": uuid.UUID(passholder_id),
                "region_id": uuid.UUID(region_id),
            }
            for passholder_id, region_id in subjects
        ],
    )


async def read(
    session: AsyncSession,
    *,
    region_ids: Sequence[str] | None,
    passholder_id: str | None,
    since: datetime | None,
    until: datetime | None,
    before_id: int | None,
    limit: int,
) -> list[AuditRow]:
    """Newest first; `before_id` continues a previous page."""
    query = sa.select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
    if region_ids is not None:
        query = query.where(audit_log.c.region_id.in_([uuid.UUID(r) for r in region_ids]))
    if passholder_id is not None:
        query = query.where(audit_log.c.passholder_id == uuid.UUID(passholder_id))
    if since is not None:
        query = query.where(audit_log.c.at >= since)
    if until is not None:
        query = query.where(audit_log.c.at < until)
    if before_id is not None:
        query = query.where(audit_log.c.id < before_id)
    return [
        AuditRow(
            id=row.id,
            at=row.at,
            client_id=row.client_id,
            action=row.action,
            passholder_id=str(row.passholder_id),
            region_id=str(row.region_id),
        )
        for row in (await session.execute(query)).all()
    ]
