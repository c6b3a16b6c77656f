"""The few indexed queries a quote makes: card and holder, statuses, usage.

Core queries that return exactly the facts the price calculation takes, no ORM objects:
this is the hot path of every desk. On PostgreSQL a quote sends one hand-written statement
instead (`quote_facts`, see app.db.driver); the Core queries are its reference and the
embedded database's path.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import audit, driver
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
    .where(cards.c.number == sa.bindparam("number", type_=sa.String))
)


async def card_holder(session: AsyncSession, number: str) -> CardHolder | None:
    rows = (await session.execute(_CARD_HOLDER, {"number": number})).all()
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


_HOLDER = sa.bindparam("holder", type_=sa.Uuid)
# The counters of the asked buckets, and, negated, the usage of holds that lapsed but were
# not released yet: summed per bucket by `usage`.
_USAGE = sa.union_all(
    sa.select(
        usage_counters.c.bucket_key, usage_counters.c.tickets, usage_counters.c.discount_cents
    ).where(
        usage_counters.c.passholder_id == _HOLDER,
        usage_counters.c.bucket_key.in_(sa.bindparam("keys", expanding=True)),
    ),
    sa.select(sale_usage.c.bucket_key, -sale_usage.c.tickets, -sale_usage.c.discount_cents).where(
        sale_usage.c.passholder_id == _HOLDER,
        sale_usage.c.held_until.is_not(None),
        sale_usage.c.held_until <= sa.bindparam("now", type_=sale_usage.c.held_until.type),
    ),
)


async def usage(
    session: AsyncSession, passholder_id: str, bucket_keys: Sequence[str], now: datetime
) -> dict[str, UsageAmount]:
    """Usage per bucket, less the holds that expired but were not released yet."""
    if not bucket_keys:
        return {}
    found: dict[str, tuple[int, int]] = {}
    parameters = {"holder": uuid.UUID(passholder_id), "keys": list(bucket_keys), "now": now}
    for key, tickets, discount in (await session.execute(_USAGE, parameters)).all():
        before = found.get(key, (0, 0))
        found[key] = (before[0] + int(tickets), before[1] + int(discount))
    return {
        key: UsageAmount(tickets, discount)
        for key, (tickets, discount) in found.items()
        if key in bucket_keys
    }


@dataclass(frozen=True, slots=True)
class QuoteFacts:
    holder: CardHolder
    # Usage of the buckets asked for (a bucket never used is missing).
    usage: Mapping[str, UsageAmount]


# Everything a quote reads, and its audit row, in one statement (and so, outside a
# transaction, one round trip and one implicit transaction): the card with its holder and
# home region, the catalogue generation, the statuses with their region's code and grace,
# and the usage of the asked buckets less lapsed holds. The audit row is written only for an
# active card, as the Core path does: a blocked or replaced card shows the desk nothing (a
# data-modifying CTE runs whether or not the query reads it).
# set_config(..., true) lets this one transaction commit without waiting for the WAL flush:
# waiting doubled a quote's time, and a crash of the database server could lose at most the
# last fraction of a second of quote audit rows — never a sale, a grant or a counter. It
# lasts until the end of the transaction, so this statement never runs inside a sale.
_QUOTE_FACTS = """
WITH holder AS (
    SELECT c.number, c.status, p.id, p.first_name, p.last_name, p.birth_date,
           p.municipality_nis, p.region_id, home.code AS region_code,
           home.status_grace_days AS home_grace
    FROM cards c
    JOIN passholders p ON p.id = c.passholder_id
    JOIN regions home ON home.id = p.region_id
    WHERE c.number = $1
), audited AS (
    INSERT INTO audit_log (at, client_id, action, passholder_id, region_id)
    SELECT $4, $3, 'quote', id, region_id FROM holder WHERE status = 'active'
    RETURNING 1
)
SELECT h.number, h.status, h.id::text AS id, h.first_name, h.last_name, h.birth_date,
       h.municipality_nis, h.region_id::text AS region_id, h.region_code,
       (SELECT version FROM catalog_state WHERE id = 1) AS generation,
       ARRAY(
           SELECT ROW(e.type, r.code, e.valid_from, e.valid_until, e.suspended_until,
                      e.ended_on, coalesce(r.status_grace_days, h.home_grace))
           FROM entitlements e LEFT JOIN regions r ON r.id = e.region_id
           WHERE e.passholder_id = h.id
       ) AS statuses,
       ARRAY(
           SELECT ROW(u.bucket_key, sum(u.tickets)::int, sum(u.discount_cents)::int)
           FROM (
               SELECT bucket_key, tickets, discount_cents FROM usage_counters
               WHERE passholder_id = h.id AND bucket_key = ANY($2::text[])
               UNION ALL
               SELECT bucket_key, -tickets, -discount_cents FROM sale_usage
               WHERE passholder_id = h.id AND held_until <= $4
                 AND bucket_key = ANY($2::text[])
           ) u
           GROUP BY u.bucket_key
       ) AS usage,
       set_config('synchronous_commit', 'off', true) AS relaxed
FROM holder h
"""


async def quote_facts(
    session: AsyncSession,
    number: str,
    bucket_keys: Sequence[str],
    now: datetime,
    *,
    client_id: str,
) -> QuoteFacts | None:
    """Card, holder, statuses and usage for a quote, with its audit row (active card only).

    Only for a quote: the transaction's one write is the audit row and it need not wait for
    the WAL flush. On PostgreSQL it commits by itself; on the embedded database the caller
    commits.
    """
    rows = await driver.fetch(session, _QUOTE_FACTS, number, list(bucket_keys), client_id, now)
    if not rows:
        return None
    row = rows[0]
    return QuoteFacts(
        CardHolder(
            card_number=row["number"],
            card_status=row["status"],
            passholder_id=row["id"],
            first_name=row["first_name"],
            last_name=row["last_name"],
            birth_date=row["birth_date"],
            municipality_nis=row["municipality_nis"],
            region_id=row["region_id"],
            region_code=row["region_code"],
            catalog_generation=int(row["generation"]),
            entitlements=tuple(EntitlementFact(*status) for status in row["statuses"]),
        ),
        {key: UsageAmount(tickets, discount) for key, tickets, discount in row["usage"]},
    )


async def quote_facts_core(
    session: AsyncSession,
    number: str,
    bucket_keys: Sequence[str],
    now: datetime,
    *,
    client_id: str,
) -> QuoteFacts | None:
    """`quote_facts` in three Core statements: the embedded database's path, and the
    reference the PostgreSQL statement is tested against."""
    holder = await card_holder(session, number)
    if holder is None:
        return None
    found = await usage(session, holder.passholder_id, bucket_keys, now)
    if holder.card_status == "active":
        await audit.record(
            session,
            client_id=client_id,
            action="quote",
            subjects=[(holder.passholder_id, holder.region_id)],
            now=now,
        )
    return QuoteFacts(holder, found)
