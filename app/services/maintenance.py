"""`openpas maintenance`: the policies that keep tables from growing forever
(app.domain.retention), each run in a unit of work of its own by the caller."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.db import maintenance as db
from app.domain.retention import (
    audit_cutoff,
    idempotency_cutoff,
    months_to_drop,
    months_to_keep_ready,
)
from app.services.sales import release_lapsed_holds
from app.settings import Settings

HOLDS_PER_BATCH = 500


async def forget_idempotency_keys(session: AsyncSession, settings: Settings, now: datetime) -> int:
    return await db.forget_idempotency_keys(
        session, idempotency_cutoff(now, settings.idempotency_ttl_hours)
    )


async def forget_webhook_deliveries(
    session: AsyncSession, settings: Settings, now: datetime
) -> int:
    """Delivered deliveries past the retention; a pending one stays however old (it is
    what a disabled subscription still owes its receiver)."""
    return await db.forget_webhook_deliveries(
        session, now - timedelta(days=settings.webhook_delivery_retention_days)
    )


async def release_holds(session: AsyncSession, now: datetime) -> int:
    """One batch; the caller repeats while a batch is full."""
    return await release_lapsed_holds(session, now, limit=HOLDS_PER_BATCH)


@dataclass(slots=True)
class AuditUpkeep:
    ready: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    stray_rows_purged: int = 0


async def keep_audit(session: AsyncSession, settings: Settings, now: datetime) -> AuditUpkeep:
    """Make the partitions of this month and the next ones; drop the months past the
    retention, and purge the default partition's rows past it."""
    upkeep = AuditUpkeep()
    for month in months_to_keep_ready(now, settings.audit_partition_months_ahead):
        upkeep.ready.append(await db.make_audit_partition(session, month))
    cutoff = audit_cutoff(now, settings.audit_retention_days)
    for month in months_to_drop(await db.audit_months(session), cutoff):
        await db.drop_audit_month(session, month)
        upkeep.dropped.append(f"{month.year:04d}-{month.month:02d}")
    upkeep.stray_rows_purged = await db.purge_default_audit_rows(session, cutoff)
    return upkeep
