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
from app.domain.entitlements import EntitlementFact, grace_days_of
from app.domain.limits import UsageAmount
from app.domain.sales import HeldUsage, usage_in_force


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

# Card, holder, home region (with its grace days), every status (with its region's code and
# grace days) and the catalogue generation: one round trip, one row per status. Which grace
# a status gets is app.domain.entitlements.grace_days_of's to decide.
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
        _home.c.status_grace_days.label("home_grace"),
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
        _status_region.c.status_grace_days.label("e_grace"),
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
                grace_days=grace_days_of(r.e_grace, r.home_grace),
            )
            for r in rows
            if r.e_type is not None
        ),
    )


_HOLDER = sa.bindparam("holder", type_=sa.Uuid)
_KEYS: sa.BindParameter[str] = sa.bindparam("keys", expanding=True)
# The counters of the asked buckets (no moment), and what the holds that have not ended yet
# hold in them (with their moment): `usage` leaves it to the domain which holds still count.
_USAGE = sa.union_all(
    sa.select(
        usage_counters.c.bucket_key,
        usage_counters.c.tickets,
        usage_counters.c.discount_cents,
        sa.null().label("held_until"),
    ).where(usage_counters.c.passholder_id == _HOLDER, usage_counters.c.bucket_key.in_(_KEYS)),
    sa.select(
        sale_usage.c.bucket_key,
        sale_usage.c.tickets,
        sale_usage.c.discount_cents,
        sale_usage.c.held_until,
    ).where(
        sale_usage.c.passholder_id == _HOLDER,
        sale_usage.c.held_until.is_not(None),
        sale_usage.c.bucket_key.in_(_KEYS),
    ),
)


async def usage(
    session: AsyncSession, passholder_id: str, bucket_keys: Sequence[str], now: datetime
) -> dict[str, UsageAmount]:
    """Usage per asked bucket that counts `now` (app.domain.sales.usage_in_force); a bucket
    never used is missing."""
    if not bucket_keys:
        return {}
    counters: dict[str, UsageAmount] = {}
    holds: list[HeldUsage] = []
    parameters = {"holder": uuid.UUID(passholder_id), "keys": list(bucket_keys)}
    for key, tickets, discount, held_until in (await session.execute(_USAGE, parameters)).all():
        if held_until is None:
            counters[key] = UsageAmount(int(tickets), int(discount))
        else:
            holds.append(HeldUsage(key, int(tickets), int(discount), held_until))
    return usage_in_force(counters, holds, now)


@dataclass(frozen=True, slots=True)
class QuoteFacts:
    holder: CardHolder
    # Usage of the buckets asked for (a bucket never used is missing).
    usage: Mapping[str, UsageAmount]


# Everything a quote reads, and its audit row, in one statement (and so, outside a
# transaction, one round trip and one implicit transaction): the card with its holder and
# home region, the catalogue generation, the statuses with their region's code and grace,
# the home region's grace, and the usage counters of the asked buckets with what the holds
# that have not ended yet hold in them — the domain decides grace and lapse from those. The
# audit row is written only for an active card, as the Core path does: a blocked or
# replaced card shows the desk nothing (a data-modifying CTE runs whether or not the query
# reads it).
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
                      e.ended_on, r.status_grace_days)
           FROM entitlements e LEFT JOIN regions r ON r.id = e.region_id
           WHERE e.passholder_id = h.id
       ) AS statuses,
       h.home_grace,
       ARRAY(
           SELECT ROW(bucket_key, tickets, discount_cents) FROM usage_counters
           WHERE passholder_id = h.id AND bucket_key = ANY($2::text[])
       ) AS usage,
       ARRAY(
           SELECT ROW(bucket_key, tickets, discount_cents, held_until) FROM sale_usage
           WHERE passholder_id = h.id AND held_until IS NOT NULL
             AND bucket_key = ANY($2::text[])
       ) AS holds,
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
    home_grace = int(row["home_grace"])
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
            entitlements=tuple(
                EntitlementFact(
                    type=type_,
                    region=region,
                    valid_from=valid_from,
                    valid_until=valid_until,
                    suspended_until=suspended_until,
                    ended_on=ended_on,
                    grace_days=grace_days_of(grace, home_grace),
                )
                for type_, region, valid_from, valid_until, suspended_until, ended_on, grace in (
                    row["statuses"]
                )
            ),
        ),
        usage_in_force(
            {key: UsageAmount(tickets, discount) for key, tickets, discount in row["usage"]},
            [HeldUsage(*hold) for hold in row["holds"]],
            now,
        ),
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
