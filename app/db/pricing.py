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
    sale_items,
    sale_usage,
    sales,
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


_home = regions.alias("home")

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
    )
    .join(passholders, passholders.c.id == cards.c.passholder_id)
    .join(_home, _home.c.id == passholders.c.region_id)
)


async def card_holder(session: AsyncSession, number: str) -> CardHolder | None:
    """The card, its holder and the catalogue generation, in one round trip."""
    row = (await session.execute(_CARD_HOLDER.where(cards.c.number == number))).first()
    if row is None:
        return None
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
    )


_status_region = regions.alias("status_region")


async def entitlement_facts(
    session: AsyncSession, passholder_id: str
) -> tuple[EntitlementFact, ...]:
    """Statuses with region codes and the grace days of their region (home region when none)."""
    holder = uuid.UUID(passholder_id)
    home = regions.alias("holder_home")
    rows = await session.execute(
        sa.select(
            entitlements.c.type,
            _status_region.c.code,
            entitlements.c.valid_from,
            entitlements.c.valid_until,
            entitlements.c.suspended_until,
            entitlements.c.ended_on,
            sa.func.coalesce(_status_region.c.status_grace_days, home.c.status_grace_days),
        )
        .select_from(entitlements)
        .join(passholders, passholders.c.id == entitlements.c.passholder_id)
        .join(home, home.c.id == passholders.c.region_id)
        .outerjoin(_status_region, _status_region.c.id == entitlements.c.region_id)
        .where(entitlements.c.passholder_id == holder)
    )
    return tuple(
        EntitlementFact(
            type=row[0],
            region=row[1],
            valid_from=row[2],
            valid_until=row[3],
            suspended_until=row[4],
            ended_on=row[5],
            grace_days=int(row[6]),
        )
        for row in rows.all()
    )


async def usage(
    session: AsyncSession, passholder_id: str, bucket_keys: Sequence[str], now: datetime
) -> dict[str, UsageAmount]:
    """Usage per bucket, leaving out holds that expired but were not released yet."""
    if not bucket_keys:
        return {}
    holder = uuid.UUID(passholder_id)
    expired = (
        sa.select(
            sale_usage.c.bucket_key,
            sa.func.sum(sale_usage.c.tickets).label("tickets"),
            sa.func.sum(sale_usage.c.discount_cents).label("discount_cents"),
        )
        .join(sale_items, sale_items.c.id == sale_usage.c.sale_item_id)
        .join(sales, sales.c.id == sale_items.c.sale_id)
        .where(
            sale_usage.c.passholder_id == holder,
            sales.c.status == "held",
            sales.c.hold_expires_at <= now,
        )
        .group_by(sale_usage.c.bucket_key)
        .subquery()
    )
    rows = await session.execute(
        sa.select(
            usage_counters.c.bucket_key,
            usage_counters.c.tickets - sa.func.coalesce(expired.c.tickets, 0),
            usage_counters.c.discount_cents - sa.func.coalesce(expired.c.discount_cents, 0),
        )
        .outerjoin(expired, expired.c.bucket_key == usage_counters.c.bucket_key)
        .where(
            usage_counters.c.passholder_id == holder,
            usage_counters.c.bucket_key.in_(list(bucket_keys)),
        )
    )
    return {row[0]: UsageAmount(int(row[1]), int(row[2])) for row in rows.all()}
