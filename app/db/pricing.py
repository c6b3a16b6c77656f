"""The few indexed queries a quote makes: card and holder, statuses, usage.

Core queries that return exactly the facts the price calculation takes, no ORM objects:
this is the hot path of every desk.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.tables import (
    cards,
    catalog_state,
    entitlements,
    passholders,
    regions,
    sale_usage,
    usage_counters,
)
from app.domain.entitlements import EntitlementFact
from app.domain.limits import UsageAmount


@dataclass(frozen=True, slots=True)
class CardHolder:
    card_number: str
    card_status: str
    passholder_id: str
    first_name: str
    last_name: str
    birth_date: date
    municipality_nis: str
    region_id: str
    region_code: str
    catalog_generation: int
    entitlements: tuple[EntitlementFact, ...]


_home = regions.alias("home")
_status_region = regions.alias("status_region")

# Card, holder, home region, every status (with its region's code and grace days) and the
# catalogue generation: one round trip, one row per status.
_CARD_HOLDER = (
    sa.select(
        cards.c.number,
        cards.c.status,
        passholders.c.id,
        passholders.c.first_name,
        passholders.c.last_name,
        passholders.c.birth_date,
        passholders.c.municipality_nis,
        passholders.c.region_id,
        _home.c.code,
        sa.select(catalog_state.c.version)
        .where(catalog_state.c.id == 1)
        .scalar_subquery()
        .label("generation"),
        entitlements.c.type.label("e_type"),
        _status_region.c.code.label("e_region"),
        entitlements.c.valid_from.label("e_from"),
        entitlements.c.valid_until.label("e_until"),
        entitlements.c.suspended_until.label("e_suspended_until"),
        entitlements.c.ended_on.label("e_ended_on"),
        # Grace follows the status's region; a status valid everywhere uses the home one.
        sa.func.coalesce(_status_region.c.status_grace_days, _home.c.status_grace_days).label(
            "e_grace"
        ),
    )
    .join(passholders, passholders.c.id == cards.c.passholder_id)
    .join(_home, _home.c.id == passholders.c.region_id)
    .outerjoin(entitlements, entitlements.c.passholder_id == passholders.c.id)
    .outerjoin(_status_region, _status_region.c.id == entitlements.c.region_id)
)


async def card_holder(session: AsyncSession, number: str) -> CardHolder | None:
    rows = (await session.execute(_CARD_HOLDER.where(cards.c.number == number))).all()
    if not rows:
        return None
    row = rows[0]
    return CardHolder(
        card_number=row.number,
        card_status=row.status,
        passholder_id=str(row.id),
        first_name=row.first_name,
        last_name=row.last_name,
        birth_date=row.birth_date,
        municipality_nis=row.municipality_nis,
        region_id=str(row.region_id),
        region_code=row.code,
        catalog_generation=int(row.generation),
        entitlements=tuple(
            EntitlementFact(
                type=r.e_type,
                region=r.e_region,
                valid_from=r.e_from,
                valid_until=r.e_until,
                suspended_until=r.e_suspended_until,
                ended_on=r.e_ended_on,
                grace_days=int(r.e_grace),
            )
            for r in rows
            if r.e_type is not None
        ),
    )


async def relax_durability(session: AsyncSession) -> None:
    """Let this transaction commit without waiting for its WAL to reach the disk.

    Used for a quote, whose only write is its audit row: waiting for the flush doubled the
    time of a quote, and a crash of the database server could lose at most the last
    fraction of a second of quote audit rows — never a sale, a grant or a counter, which
    keep PostgreSQL's full durability.
    """
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(sa.text("SET LOCAL synchronous_commit TO OFF"))


async def usage(
    session: AsyncSession, passholder_id: str, bucket_keys: Sequence[str], now: datetime
) -> dict[str, UsageAmount]:
    """Usage per bucket, less the holds that expired but were not released yet."""
    if not bucket_keys:
        return {}
    holder = uuid.UUID(passholder_id)
    counted = sa.select(
        usage_counters.c.bucket_key, usage_counters.c.tickets, usage_counters.c.discount_cents
    ).where(
        usage_counters.c.passholder_id == holder,
        usage_counters.c.bucket_key.in_(list(bucket_keys)),
    )
    lapsed = sa.select(
        sale_usage.c.bucket_key, -sale_usage.c.tickets, -sale_usage.c.discount_cents
    ).where(
        sale_usage.c.passholder_id == holder,
        sale_usage.c.held_until.is_not(None),
        sale_usage.c.held_until <= now,
    )
    found: dict[str, tuple[int, int]] = {}
    for key, tickets, discount in (await session.execute(sa.union_all(counted, lapsed))).all():
        before = found.get(key, (0, 0))
        found[key] = (before[0] + int(tickets), before[1] + int(discount))
    return {
        key: UsageAmount(tickets, discount)
        for key, (tickets, discount) in found.items()
        if key in bucket_keys
    }
