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
_COLUMNS = "(at, client_id, action, passholder_id, region_id)"


def reads_cte(name: str, source: str, where: str, *, at: str, client: str, action: str) -> str:
    """The rows `record` writes, as a data-modifying CTE `name` of a statement that reads
    and audits in one round trip: one row per passholder of `source` (its columns `id` and
    `region_id`) that `where` keeps, with `at`, `client` and `action` as SQL expressions
    (the statement's parameters). Every argument is SQL written in this code base, never
    input."""
    insert = f"INSERT INTO audit_log {_COLUMNS}"
    select = f"SELECT {at}, {client}, {action}, id, region_id FROM {source} WHERE {where}"  # noqa: S608
    return f"{name} AS ({insert} {select} RETURNING 1)"


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
