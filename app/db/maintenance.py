"""The statements of the maintenance policies (app.domain.retention): forget old
idempotency keys, find lapsed holds, make and drop the audit log's month partitions."""

from __future__ import annotations

import re
import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.tables import idempotency_keys, sales, webhook_deliveries
from app.domain.retention import Month
from app.domain.sales import SaleStatus

PARTITION_SCHEMA = "audit_partitions"
_PARTITION_NAME = re.compile(r"audit_log_(\d{4})_(\d{2})")


async def forget_idempotency_keys(session: AsyncSession, made_before: datetime) -> int:
    result = await session.execute(
        sa.delete(idempotency_keys).where(idempotency_keys.c.created_at < made_before)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def forget_webhook_deliveries(session: AsyncSession, delivered_before: datetime) -> int:
    result = await session.execute(
        sa.delete(webhook_deliveries).where(
            webhook_deliveries.c.status == "delivered",
            webhook_deliveries.c.delivered_at < delivered_before,
        )
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def lapsed_holds(
    session: AsyncSession, now: datetime, limit: int
) -> list[tuple[uuid.UUID, datetime | None]]:
    """Holds still marked held whose moment has come, oldest first (the index on status and
    hold_expires_at finds them); the domain has the last word on each."""
    rows = await session.execute(
        sa.select(sales.c.id, sales.c.hold_expires_at)
        .where(sales.c.status == SaleStatus.HELD, sales.c.hold_expires_at <= now)
        .order_by(sales.c.hold_expires_at, sales.c.id)
        .limit(limit)
    )
    return [(row.id, row.hold_expires_at) for row in rows]


async def make_audit_partition(session: AsyncSession, month: Month) -> str:
    """The month's partition (made if missing, with the default partition's rows of that
    month moved into it): openpas_audit_partition, kept in the migration."""
    result = await session.execute(
        sa.text("SELECT openpas_audit_partition(:moment)"), {"moment": month.start()}
    )
    return str(result.scalar_one())


async def audit_months(session: AsyncSession) -> list[Month]:
    """The months that have a partition."""
    result = await session.execute(
        sa.text(
            "SELECT c.relname FROM pg_inherits i "
            "JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE i.inhparent = 'audit_log'::regclass AND n.nspname = :schema"
        ),
        {"schema": PARTITION_SCHEMA},
    )
    months = []
    for name in result.scalars():
        found = _PARTITION_NAME.fullmatch(name)
        if found:
            months.append(Month(int(found.group(1)), int(found.group(2))))
    return sorted(months, key=lambda m: (m.year, m.month))


async def drop_audit_month(session: AsyncSession, month: Month) -> None:
    # The name is made of two integers: nothing from outside reaches this statement.
    name = f"audit_log_{month.year:04d}_{month.month:02d}"
    await session.execute(sa.text(f"DROP TABLE {PARTITION_SCHEMA}.{name}"))


async def purge_default_audit_rows(session: AsyncSession, before: datetime) -> int:
    """Rows that landed in the default partition (no month partition was ready) go row by
    row once they are past the retention."""
    result = await session.execute(
        sa.text(f"DELETE FROM {PARTITION_SCHEMA}.audit_log_default WHERE at < :before"),  # noqa: S608
        {"before": before},
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
