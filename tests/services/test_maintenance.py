"""`openpas maintenance`: a test per policy — idempotency keys expire, lapsed holds are
released without a reader, audit months past the retention are dropped."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.clock import utcnow
from app.db import maintenance as db_maintenance
from app.db.tables import audit_log, idempotency_keys, sales
from app.domain.retention import Month
from app.domain.sales import SaleStatus
from app.services import maintenance
from app.settings import Settings
from tests.api.test_desk import kortrijk_world
from tests.factories import lapse
from tests.services.test_desk_use_cases import quote, sell, tickets_used

PARTITIONS = sa.text(
    "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
    "WHERE i.inhparent = 'audit_log'::regclass ORDER BY c.relname"
)


async def test_idempotency_keys_older_than_the_setting_are_forgotten(
    session: AsyncSession, client: httpx.AsyncClient, settings: Settings
) -> None:
    world = await kortrijk_world(session, client)
    best = (await quote(session, world)).quote.best_tariff_id
    assert best is not None
    old_key, new_key = uuid.uuid4().hex, uuid.uuid4().hex
    sold = await sell(session, settings, world, best, old_key)
    # A second key of the same client (a sale of one ticket per offer allows no second sale).
    await session.execute(
        sa.insert(idempotency_keys).values(
            client_id="use-case-desk",
            key=new_key,
            request_hash="h",
            sale_id=uuid.UUID(sold.id),
            created_at=utcnow(),
        )
    )
    now = utcnow()
    await session.execute(
        sa.update(idempotency_keys)
        .where(idempotency_keys.c.key == old_key)
        .values(created_at=now - timedelta(hours=48, seconds=1))
    )
    await session.execute(
        sa.update(idempotency_keys)
        .where(idempotency_keys.c.key == new_key)
        .values(created_at=now - timedelta(hours=47, minutes=59))
    )

    assert settings.idempotency_ttl_hours == 48
    forgotten = await maintenance.forget_idempotency_keys(session, settings, now)

    kept = await session.execute(
        sa.select(idempotency_keys.c.key).where(idempotency_keys.c.key.in_([old_key, new_key]))
    )
    assert (forgotten, list(kept.scalars())) == (1, [new_key])


async def test_a_lapsed_hold_is_released_by_the_job_without_anyone_reading_it(
    session: AsyncSession, client: httpx.AsyncClient, settings: Settings
) -> None:
    world = await kortrijk_world(session, client)
    best = (await quote(session, world)).quote.best_tariff_id
    assert best is not None
    held = await sell(session, settings, world, best, uuid.uuid4().hex, hold=True)
    assert await tickets_used(session, world) == 1
    assert await maintenance.release_holds(session, utcnow()) == 0  # not lapsed yet

    await lapse(session, held.id)
    released = await maintenance.release_holds(session, utcnow())

    status = await session.execute(
        sa.select(sales.c.status).where(sales.c.id == uuid.UUID(held.id))
    )
    assert (released, status.scalar_one()) == (1, SaleStatus.EXPIRED)
    assert await tickets_used(session, world) == 0  # the ticket is given back
    assert await maintenance.release_holds(session, utcnow()) == 0  # once


async def _audit_row(session: AsyncSession, at: datetime) -> int:
    result = await session.execute(
        sa.insert(audit_log)
        .values(
            at=at,
            client_id="test-maintenance",
            action="passholder.read",
            passholder_id=uuid.uuid4(),
            region_id=uuid.uuid4(),
        )
        .returning(audit_log.c.id)
    )
    return int(result.scalar_one())


async def test_audit_months_past_the_retention_are_dropped_whole(
    session: AsyncSession, settings: Settings
) -> None:
    now = datetime(2026, 12, 3, 12, tzinfo=UTC)
    assert settings.audit_retention_days == 730  # cutoff 2024-12-03 12:00
    # Rows of months that had no partition yet land in the default partition.
    too_old = await _audit_row(session, datetime(2024, 11, 30, 23, tzinfo=UTC))
    straddling = await _audit_row(session, datetime(2024, 12, 1, 1, tzinfo=UTC))
    stray_old = await _audit_row(session, datetime(2024, 12, 2, tzinfo=UTC))
    recent = await _audit_row(session, datetime(2026, 12, 3, 11, tzinfo=UTC))
    # November 2024 gets its partition: its row moves out of the default one.
    assert await db_maintenance.make_audit_partition(session, Month(2024, 11)) == (
        "audit_log_2024_11"
    )
    in_november = await session.execute(
        sa.text("SELECT id FROM audit_partitions.audit_log_2024_11")
    )
    assert list(in_november.scalars()) == [too_old]

    upkeep = await maintenance.keep_audit(session, settings, now)

    assert upkeep.ready == ["audit_log_2026_12", "audit_log_2027_01", "audit_log_2027_02"]
    assert upkeep.dropped == ["2024-11"]
    # December 2024 had no partition: its rows past the cutoff go one by one, the others stay.
    assert upkeep.stray_rows_purged == 2
    left = await session.execute(
        sa.select(audit_log.c.id).where(
            audit_log.c.id.in_([too_old, straddling, stray_old, recent])
        )
    )
    assert list(left.scalars()) == [recent]
    partitions = list((await session.execute(PARTITIONS)).scalars())
    assert "audit_log_2024_11" not in partitions
    assert {"audit_log_default", "audit_log_2027_02"} <= set(partitions)


async def test_a_row_of_a_month_made_ahead_goes_straight_into_its_partition(
    session: AsyncSession, settings: Settings
) -> None:
    await maintenance.keep_audit(session, settings, utcnow())
    row = await _audit_row(session, utcnow())
    month = Month.of(utcnow())
    found = await session.execute(
        sa.text(f"SELECT id FROM audit_partitions.audit_log_{month.year:04d}_{month.month:02d}")
    )
    assert row in list(found.scalars())


async def test_delivered_webhook_deliveries_past_the_retention_are_forgotten_pending_ones_stay(
    session: AsyncSession, settings: Settings
) -> None:
    from app.db.tables import webhook_deliveries, webhook_subscriptions
    from tests.factories import a_region

    region = await a_region(session)
    subscription = uuid.uuid4()
    now = utcnow()
    await session.execute(
        sa.insert(webhook_subscriptions).values(
            id=subscription,
            client_id="c",
            role="registry",
            region_id=uuid.UUID(region.id),
            url="https://hooks.example.org/",
            events=["sale.confirmed"],
            secret="whsec_c2VjcmV0",
            created_at=now,
        )
    )
    old = now - timedelta(days=settings.webhook_delivery_retention_days + 1)
    recent = now - timedelta(days=1)
    rows = {
        "old-delivered": ("delivered", old),
        "recent-delivered": ("delivered", recent),
        "old-pending": ("pending", None),
    }
    for entity, (status, delivered_at) in rows.items():
        await session.execute(
            sa.insert(webhook_deliveries).values(
                id=uuid.uuid4(),
                subscription_id=subscription,
                event_seq=1,
                txid=1,
                type="sale.confirmed",
                entity_id=entity,
                data={},
                occurred_at=old,
                status=status,
                attempts=1,
                next_attempt_at=old,
                created_at=old,
                delivered_at=delivered_at,
            )
        )

    assert await maintenance.forget_webhook_deliveries(session, settings, now) == 1
    left = await session.execute(
        sa.select(webhook_deliveries.c.entity_id).where(
            webhook_deliveries.c.subscription_id == subscription
        )
    )
    assert sorted(left.scalars()) == ["old-pending", "recent-delivered"]
