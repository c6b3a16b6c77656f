"""Webhook subscriptions and deliveries in SQL; the job queue is reached through one
function (`openpas_webhook_wake`, kept in the migration)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.tables import webhook_deliveries as deliveries
from app.db.tables import webhook_subscriptions as subscriptions


@dataclass(frozen=True, slots=True)
class SubscriptionRow:
    id: str
    client_id: str
    role: str
    region_id: str
    partner_id: str | None
    url: str
    events: tuple[str, ...]
    description: str | None
    secret: str
    previous_secret: str | None
    previous_secret_expires_at: datetime | None
    created_at: datetime
    disabled_at: datetime | None
    disabled_reason: str | None


@dataclass(frozen=True, slots=True)
class DeliveryRow:
    id: str
    subscription_id: str
    event_seq: int | None
    txid: int
    type: str
    entity_id: str
    data: dict[str, Any]
    occurred_at: datetime
    status: str
    attempts: int
    last_response_code: int | None
    last_error: str | None
    next_attempt_at: datetime
    first_failed_at: datetime | None
    created_at: datetime
    delivered_at: datetime | None


def _subscription(row: sa.Row[Any]) -> SubscriptionRow:
    return SubscriptionRow(
        id=str(row.id),
        client_id=row.client_id,
        role=row.role,
        region_id=str(row.region_id),
        partner_id=None if row.partner_id is None else str(row.partner_id),
        url=row.url,
        events=tuple(row.events),
        description=row.description,
        secret=row.secret,
        previous_secret=row.previous_secret,
        previous_secret_expires_at=row.previous_secret_expires_at,
        created_at=row.created_at,
        disabled_at=row.disabled_at,
        disabled_reason=row.disabled_reason,
    )


def _delivery(row: sa.Row[Any]) -> DeliveryRow:
    return DeliveryRow(
        id=str(row.id),
        subscription_id=str(row.subscription_id),
        event_seq=row.event_seq,
        txid=row.txid,
        type=row.type,
        entity_id=row.entity_id,
        data=dict(row.data),
        occurred_at=row.occurred_at,
        status=row.status,
        attempts=row.attempts,
        last_response_code=row.last_response_code,
        last_error=row.last_error,
        next_attempt_at=row.next_attempt_at,
        first_failed_at=row.first_failed_at,
        created_at=row.created_at,
        delivered_at=row.delivered_at,
    )


async def insert_subscription(session: AsyncSession, values: Mapping[str, Any]) -> SubscriptionRow:
    row = (
        await session.execute(sa.insert(subscriptions).values(**values).returning(subscriptions))
    ).one()
    return _subscription(row)


async def get_subscription(session: AsyncSession, subscription_id: str) -> SubscriptionRow | None:
    query = sa.select(subscriptions).where(subscriptions.c.id == uuid.UUID(subscription_id))
    row = (await session.execute(query)).one_or_none()
    return None if row is None else _subscription(row)


async def claim_subscription(session: AsyncSession, subscription_id: str) -> SubscriptionRow | None:
    """The subscription, reserved for this sender until its transaction ends; None when
    another sender holds it (or it is gone).

    An advisory lock, not a row lock: a row lock would give the sender's transaction an id
    while it waits for the receiver, and the change feed only shows events older than every
    running transaction id — each send would hold back `GET /v1/changes` (and every other
    subscription's deliveries) for up to the timeout. Readers and the trigger's inserts
    never wait for it either.
    """
    taken = (
        await session.execute(
            sa.text("SELECT pg_try_advisory_xact_lock(hashtextextended(:key, 0))"),
            {"key": f"webhook:{subscription_id}"},
        )
    ).scalar_one()
    if not taken:
        return None
    return await get_subscription(session, subscription_id)


async def list_subscriptions(
    session: AsyncSession,
    *,
    everything: bool,
    region_ids: Sequence[str],
    partner_ids: Sequence[str],
    limit: int,
    after_id: str | None,
) -> list[SubscriptionRow]:
    query = sa.select(subscriptions)
    if not everything:
        query = query.where(
            sa.or_(
                subscriptions.c.region_id.in_([uuid.UUID(r) for r in region_ids]),
                subscriptions.c.partner_id.in_([uuid.UUID(p) for p in partner_ids]),
            )
        )
    if after_id is not None:
        query = query.where(subscriptions.c.id > uuid.UUID(after_id))
    query = query.order_by(subscriptions.c.id).limit(limit)
    return [_subscription(row) for row in (await session.execute(query)).all()]


async def update_subscription(
    session: AsyncSession, subscription_id: str, values: Mapping[str, Any]
) -> SubscriptionRow:
    row = (
        await session.execute(
            sa.update(subscriptions)
            .where(subscriptions.c.id == uuid.UUID(subscription_id))
            .values(**values)
            .returning(subscriptions)
        )
    ).one()
    return _subscription(row)


async def delete_subscription(session: AsyncSession, subscription_id: str) -> None:
    await session.execute(
        sa.delete(subscriptions).where(subscriptions.c.id == uuid.UUID(subscription_id))
    )


async def list_deliveries(
    session: AsyncSession, subscription_id: str, *, limit: int, status: str | None
) -> list[DeliveryRow]:
    """Newest first: what an operator looks at when a receiver complains."""
    query = sa.select(deliveries).where(deliveries.c.subscription_id == uuid.UUID(subscription_id))
    if status is not None:
        query = query.where(deliveries.c.status == status)
    query = query.order_by(
        deliveries.c.txid.desc(), deliveries.c.event_seq.desc().nulls_first()
    ).limit(limit)
    return [_delivery(row) for row in (await session.execute(query)).all()]


async def get_delivery(
    session: AsyncSession, subscription_id: str, delivery_id: str
) -> DeliveryRow | None:
    row = (
        await session.execute(
            sa.select(deliveries).where(
                deliveries.c.id == uuid.UUID(delivery_id),
                deliveries.c.subscription_id == uuid.UUID(subscription_id),
            )
        )
    ).one_or_none()
    return None if row is None else _delivery(row)


async def requeue_delivery(session: AsyncSession, delivery_id: str, now: datetime) -> DeliveryRow:
    row = (
        await session.execute(
            sa.update(deliveries)
            .where(deliveries.c.id == uuid.UUID(delivery_id))
            .values(status="pending", next_attempt_at=now, first_failed_at=None)
            .returning(deliveries)
        )
    ).one()
    return _delivery(row)


async def insert_ping(session: AsyncSession, subscription_id: str, now: datetime) -> DeliveryRow:
    """A ping is a delivery of its own, sent in order after what is already pending."""
    delivery_id = uuid.uuid4()
    row = (
        await session.execute(
            sa.insert(deliveries)
            .values(
                id=delivery_id,
                subscription_id=uuid.UUID(subscription_id),
                event_seq=None,
                txid=sa.text("pg_current_xact_id()::text::bigint"),
                type="webhook.ping",
                entity_id=subscription_id,
                data={},
                occurred_at=now,
                status="pending",
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
            .returning(deliveries)
        )
    ).one()
    return _delivery(row)


async def restart_retries(session: AsyncSession, subscription_id: str, now: datetime) -> None:
    """A re-enabled subscription's pending deliveries get a new retry window, from now."""
    await session.execute(
        sa.update(deliveries)
        .where(
            deliveries.c.subscription_id == uuid.UUID(subscription_id),
            deliveries.c.status == "pending",
        )
        .values(first_failed_at=None, next_attempt_at=now)
    )


_WAKE = sa.text("SELECT openpas_webhook_wake(CAST(:s AS uuid), :at, :reschedule)")


async def wake(
    session: AsyncSession, subscription_id: str, at: datetime, *, reschedule: bool
) -> None:
    """Have a worker look at this subscription at `at` (in this transaction: a rolled-back
    change wakes nobody)."""
    await session.execute(_WAKE, {"s": subscription_id, "at": at, "reschedule": reschedule})


_WRITERS = sa.text("SELECT openpas_webhook_writers(CAST(:s AS uuid))")


async def writers_in_flight(session: AsyncSession, subscription_id: str) -> bool:
    """Whether a transaction that woke this subscription is still running: it may yet commit
    a delivery that this one cannot see (see `openpas_webhook_wake`). Ask before reading the
    head, so that a writer which has finished by then is seen in the head's snapshot."""
    return bool(await session.scalar(_WRITERS, {"s": subscription_id}))


@dataclass(frozen=True, slots=True)
class Head:
    delivery: DeliveryRow
    # False while a transaction older than the delivery's is still running: it may yet
    # commit an event that comes earlier in the feed, so this one waits.
    settled: bool


async def head(session: AsyncSession, subscription_id: str) -> Head | None:
    """The subscription's first pending delivery in cursor order."""
    row = (
        await session.execute(
            sa.select(
                deliveries,
                (
                    deliveries.c.txid
                    < sa.text("pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
                ).label("settled"),
            )
            .where(
                deliveries.c.subscription_id == uuid.UUID(subscription_id),
                deliveries.c.status == "pending",
            )
            .order_by(
                deliveries.c.txid,
                deliveries.c.event_seq.nulls_last(),
                deliveries.c.created_at,
            )
            .limit(1)
        )
    ).one_or_none()
    return None if row is None else Head(_delivery(row), bool(row.settled))


async def record_attempt(
    session: AsyncSession, delivery_id: str, values: Mapping[str, Any]
) -> None:
    await session.execute(
        sa.update(deliveries)
        .where(deliveries.c.id == uuid.UUID(delivery_id))
        .values(attempts=deliveries.c.attempts + 1, **values)
    )


async def pending_counts(session: AsyncSession) -> tuple[int, float]:
    """How many deliveries are pending, and the age in seconds of the oldest."""
    row = (
        await session.execute(
            sa.select(
                sa.func.count(),
                sa.func.coalesce(
                    sa.func.extract("epoch", sa.func.now() - sa.func.min(deliveries.c.created_at)),
                    0,
                ),
            ).where(deliveries.c.status == "pending")
        )
    ).one()
    return int(row[0]), float(row[1])
