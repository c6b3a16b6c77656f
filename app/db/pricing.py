"""The desk's facts: card and holder, statuses, usage — one statement, shared by quote and sale.

The hot path of every desk. One hand-written statement (sent with asyncpg, app.db.driver)
returns exactly the raw facts the price calculation takes, no ORM objects: the card with its
holder and home region, the catalogue generation, the statuses with their region's code and
grace, the home region's grace, and the usage counters of the asked buckets with what the
holds that have not ended yet hold in them. Which grace a status gets and which holds still
count are the domain's to decide (app.domain.entitlements.grace_days_of,
app.domain.sales.usage_in_force). A quote sends it on its own with its audit row, one round
trip; a sale sends it inside its transaction, whose one write audits the sale.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import audit, driver
from app.domain.cards import CardStatus
from app.domain.entitlements import EntitlementFact, grace_days_of
from app.domain.limits import UsageAmount
from app.domain.sales import HeldUsage, hold_lapsed, usage_in_force
from app.domain.vouchers import BUDGET_BUCKET, VoucherFacts


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


@dataclass(frozen=True, slots=True)
class DeskFacts:
    holder: CardHolder
    # The counters of the buckets asked for (a bucket never used is missing), and what the
    # holds that have not ended yet hold in them.
    counters: Mapping[str, UsageAmount]
    holds: tuple[HeldUsage, ...]

    def usage_at(self, now: datetime) -> dict[str, UsageAmount]:
        """The usage that counts `now` (the domain's rule)."""
        return usage_in_force(self.counters, self.holds, now)

    def has_lapsed_holds(self, now: datetime) -> bool:
        return any(hold_lapsed(hold.held_until, now) for hold in self.holds)


# {audited}: the quote's audit row, a data-modifying CTE (it runs whether or not the query
# reads it), written only for a card the desk is shown something for (an active card: a
# blocked or replaced one is refused with its problem). {relaxed}: see _QUOTE_FACTS.
_DESK_FACTS = """
WITH holder AS (
    SELECT c.number, c.status, p.id, p.first_name, p.last_name, p.birth_date,
           p.municipality_nis, p.region_id, home.code AS region_code,
           home.status_grace_days AS home_grace
    FROM cards c
    JOIN passholders p ON p.id = c.passholder_id
    JOIN regions home ON home.id = p.region_id
    WHERE c.number = $1
){audited}
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
       ) AS holds{relaxed}
FROM holder h
"""
# A sale's read: in the sale's transaction, nothing written.
_SALE_FACTS = _DESK_FACTS.format(audited="", relaxed="")
# A quote's: with its audit row ($3 client, $4 moment, $5 action, $6 the card status that
# shows the desk anything). set_config(..., true) lets this one transaction commit without
# waiting for the WAL flush: waiting doubled a quote's time, and a crash of the database
# server could lose at most the last fraction of a second of quote audit rows — never a
# sale, a grant or a counter. It lasts until the end of the transaction, so this statement
# never runs inside a sale.
_QUOTE_FACTS = _DESK_FACTS.format(
    audited=",\n"
    + audit.reads_cte("audited", "holder", "status = $6", at="$4", client="$3", action="$5"),
    relaxed=",\n       set_config('synchronous_commit', 'off', true) AS relaxed",
)


async def desk_facts(
    session: AsyncSession,
    number: str,
    bucket_keys: list[str],
    now: datetime,
    *,
    audited_for: str | None,
) -> DeskFacts | None:
    """The facts of card `number` and the usage of `bucket_keys`; None for an unknown card.

    `audited_for` (a client id): a quote — on its own, one round trip, with its audit row.
    None: a sale's read, inside its transaction (the sale's write audits it).
    """
    if audited_for is None:
        rows = await driver.fetch(session, _SALE_FACTS, number, bucket_keys)
    else:
        rows = await driver.fetch(
            session,
            _QUOTE_FACTS,
            number,
            bucket_keys,
            audited_for,
            now,
            "quote",
            CardStatus.ACTIVE.value,
        )
    return _facts(rows[0]) if rows else None


def _facts(row: asyncpg.Record) -> DeskFacts:
    home_grace = int(row["home_grace"])
    return DeskFacts(
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
        {key: UsageAmount(tickets, discount) for key, tickets, discount in row["usage"]},
        tuple(HeldUsage(*hold) for hold in row["holds"]),
    )


# --- a voucher's facts ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VoucherDeskFacts:
    voucher: VoucherFacts
    catalog_generation: int
    # The voucher's counters (its redeemed tickets, its scheme's limits) and its
    # allocation's budget counter, with what holds that have not ended hold in them.
    counters: Mapping[str, UsageAmount]
    holds: tuple[HeldUsage, ...]

    def usage_at(self, now: datetime) -> dict[str, UsageAmount]:
        return usage_in_force(self.counters, self.holds, now)

    def has_lapsed_holds(self, now: datetime) -> bool:
        return any(hold_lapsed(hold.held_until, now) for hold in self.holds)


# The voucher with its allocation, organisation and region, and the counters a sale on it
# claims: every bucket of the voucher (it has a handful: its tickets, its scheme's limits)
# and its allocation's budget ($2), with their holds. No personal data, so no audit row:
# one statement, one round trip, for a quote and for a sale line alike.
_VOUCHER_FACTS = """
WITH v AS (
    SELECT v.id, v.code, v.status, v.people, v.valid_until, v.offer_id, v.partner_id,
           v.organisation_id, o.region_id, r.code AS region_code, a.id AS allocation_id,
           a.scheme_code, a.valid_from AS allocation_from, a.valid_until AS allocation_until,
           a.budget_cents
    FROM vouchers v
    JOIN allocations a ON a.id = v.allocation_id
    JOIN organisations o ON o.id = v.organisation_id
    JOIN regions r ON r.id = o.region_id
    WHERE v.code = $1
)
SELECT v.id::text AS id, v.code, v.status, v.people, v.valid_until, v.offer_id::text AS offer_id,
       v.partner_id::text AS partner_id, v.organisation_id::text AS organisation_id,
       v.region_id::text AS region_id, v.region_code, v.allocation_id::text AS allocation_id,
       v.scheme_code, v.allocation_from, v.allocation_until, v.budget_cents,
       (SELECT version FROM catalog_state WHERE id = 1) AS generation,
       ARRAY(
           SELECT ROW(bucket_key, tickets, discount_cents) FROM usage_counters
           WHERE passholder_id = v.id
              OR (passholder_id = v.allocation_id AND bucket_key = $2)
       ) AS usage,
       ARRAY(
           SELECT ROW(bucket_key, tickets, discount_cents, held_until) FROM sale_usage
           WHERE held_until IS NOT NULL
             AND (passholder_id = v.id
                  OR (passholder_id = v.allocation_id AND bucket_key = $2))
       ) AS holds
FROM v
"""


async def voucher_facts(session: AsyncSession, code: str) -> VoucherDeskFacts | None:
    """The facts of voucher `code` (normalised) and its counters; None for an unknown one."""
    rows = await driver.fetch(session, _VOUCHER_FACTS, code, BUDGET_BUCKET)
    if not rows:
        return None
    row = rows[0]
    return VoucherDeskFacts(
        VoucherFacts(
            voucher_id=row["id"],
            code=row["code"],
            status=row["status"],
            people=int(row["people"]),
            valid_until=row["valid_until"],
            offer_id=row["offer_id"],
            partner_id=row["partner_id"],
            organisation_id=row["organisation_id"],
            region_id=row["region_id"],
            region_code=row["region_code"],
            allocation_id=row["allocation_id"],
            scheme_code=row["scheme_code"],
            allocation_valid_from=row["allocation_from"],
            allocation_valid_until=row["allocation_until"],
            budget_cents=row["budget_cents"],
        ),
        int(row["generation"]),
        {key: UsageAmount(tickets, discount) for key, tickets, discount in row["usage"]},
        tuple(HeldUsage(*hold) for hold in row["holds"]),
    )
