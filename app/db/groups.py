"""Group cards and ticket requests: rows, and the one read of a group's facts at the desk.

A group card's number is drawn from the numbers of persons' cards (app.db.passholders.
card_number_taken looks in both tables). The desk's read of a group (`group_facts`) is one
statement, like a person's: the card with its organisation and region, the catalogue
generation, the organisation's allocations that have not ended, its usage counters of the
asked buckets, its allocations' budget counters, and what holds that have not ended hold in
them. The organisation's members are nowhere in it: the desk learns the organisation's
name.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import asyncpg
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import driver
from app.db.tables import group_cards, offers, ticket_requests
from app.domain.groups import ALLOCATION_BUCKET, AllocationAtHand
from app.domain.limits import UsageAmount
from app.domain.sales import HeldUsage, hold_lapsed, usage_in_force
from app.domain.vouchers import BUDGET_BUCKET

# --- group cards ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GroupCardRow:
    number: str
    organisation_id: str
    label: str | None
    status: str
    issued_at: datetime
    blocked_at: datetime | None
    block_reason: str | None


def _card(row: Any) -> GroupCardRow:
    return GroupCardRow(
        number=row.number,
        organisation_id=str(row.organisation_id),
        label=row.label,
        status=row.status,
        issued_at=row.issued_at,
        blocked_at=row.blocked_at,
        block_reason=row.block_reason,
    )


async def insert_group_card(
    session: AsyncSession,
    *,
    number: str,
    organisation_id: str,
    label: str | None,
    issued_by: str,
    now: datetime,
) -> None:
    await session.execute(
        sa.insert(group_cards).values(
            number=number,
            organisation_id=uuid.UUID(organisation_id),
            label=label,
            status="active",
            issued_at=now,
            issued_by=issued_by,
        )
    )


async def get_group_card(
    session: AsyncSession, number: str, *, for_update: bool = False
) -> GroupCardRow | None:
    query = sa.select(group_cards).where(group_cards.c.number == number)
    if for_update:
        query = query.with_for_update()
    row = (await session.execute(query)).first()
    return None if row is None else _card(row)


async def list_group_cards(session: AsyncSession, organisation_id: str) -> list[GroupCardRow]:
    rows = await session.execute(
        sa.select(group_cards)
        .where(group_cards.c.organisation_id == uuid.UUID(organisation_id))
        .order_by(group_cards.c.issued_at, group_cards.c.number)
    )
    return [_card(row) for row in rows.all()]


async def block_group_card(session: AsyncSession, number: str, reason: str, now: datetime) -> bool:
    """Block an active group card (False: it was not active)."""
    result = await session.execute(
        sa.update(group_cards)
        .where(group_cards.c.number == number, group_cards.c.status == "active")
        .values(status="blocked", blocked_at=now, block_reason=reason)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


# --- a group's facts at the desk ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GroupFacts:
    """What a sale to an organisation reads: on its group card (`card_number`), or for one
    of its ticket requests (no card)."""

    card_number: str | None
    card_status: str
    organisation_id: str
    organisation_name: str
    organisation_kind: str
    region_id: str
    region_code: str
    catalog_generation: int
    allocations: tuple[AllocationAtHand, ...]
    # The organisation's counters of the asked buckets (its schemes' limits), and what
    # holds that have not ended hold in them.
    counters: Mapping[str, UsageAmount]
    holds: tuple[HeldUsage, ...]
    # The holds that have not ended on the allocations' counters (tickets and budget).
    allocation_holds: tuple[tuple[str, HeldUsage], ...]

    def usage_at(self, now: datetime) -> dict[str, UsageAmount]:
        return usage_in_force(self.counters, self.holds, now)

    def allocations_at(self, now: datetime) -> tuple[AllocationAtHand, ...]:
        """The allocations as they count `now`: what lapsed holds hold does not."""
        lapsed_tickets: dict[str, int] = {}
        lapsed_budget: dict[str, int] = {}
        for allocation_id, hold in self.allocation_holds:
            if not hold_lapsed(hold.held_until, now):
                continue
            if hold.bucket_key == ALLOCATION_BUCKET:
                lapsed_tickets[allocation_id] = lapsed_tickets.get(allocation_id, 0) + hold.tickets
            elif hold.bucket_key == BUDGET_BUCKET:
                lapsed_budget[allocation_id] = (
                    lapsed_budget.get(allocation_id, 0) + hold.discount_cents
                )
        return tuple(
            AllocationAtHand(
                a.allocation_id,
                a.scheme_code,
                a.valid_from,
                a.valid_until,
                a.tickets,
                a.tickets_used,
                a.budget_cents,
                lapsed_tickets.get(a.allocation_id, 0),
                a.budget_used_cents - lapsed_budget.get(a.allocation_id, 0),
            )
            for a in self.allocations
        )

    def has_lapsed_holds(self, now: datetime) -> bool:
        return any(hold_lapsed(h.held_until, now) for h in self.holds) or any(
            hold_lapsed(h.held_until, now) for _, h in self.allocation_holds
        )


# $1 the card number or the organisation id, $2 the buckets of the organisation's own
# counters, $3 the day (allocations that ended before it are left out), $4 the budget bucket.
_GROUP_FACTS = """
WITH g AS (
    SELECT {card}, o.id, o.name, o.kind, o.region_id, r.code AS region_code
    FROM {source}
    JOIN regions r ON r.id = o.region_id
    WHERE {where}
), a AS (
    SELECT a.id, a.scheme_code, a.valid_from, a.valid_until, a.tickets, a.tickets_used,
           a.budget_cents
    FROM allocations a
    WHERE a.organisation_id = (SELECT id FROM g) AND a.valid_until >= $3
)
SELECT g.number, g.status, g.id::text AS id, g.name, g.kind, g.region_id::text AS region_id,
       g.region_code,
       (SELECT version FROM catalog_state WHERE id = 1) AS generation,
       ARRAY(
           SELECT ROW(a.id::text, a.scheme_code, a.valid_from, a.valid_until, a.tickets,
                      a.tickets_used, a.budget_cents,
                      coalesce((SELECT u.discount_cents FROM usage_counters u
                                WHERE u.passholder_id = a.id AND u.bucket_key = $4), 0))
           FROM a ORDER BY a.valid_until, a.id
       ) AS allocations,
       ARRAY(
           SELECT ROW(bucket_key, tickets, discount_cents) FROM usage_counters
           WHERE passholder_id = g.id AND bucket_key = ANY($2::text[])
       ) AS usage,
       ARRAY(
           SELECT ROW(bucket_key, tickets, discount_cents, held_until) FROM sale_usage
           WHERE passholder_id = g.id AND held_until IS NOT NULL
             AND bucket_key = ANY($2::text[])
       ) AS holds,
       ARRAY(
           SELECT ROW(s.passholder_id::text, s.bucket_key, s.tickets, s.discount_cents,
                      s.held_until)
           FROM sale_usage s
           WHERE s.passholder_id IN (SELECT id FROM a) AND s.held_until IS NOT NULL
       ) AS allocation_holds
FROM g
"""
_ON_CARD = _GROUP_FACTS.format(
    card="c.number, c.status",
    source="group_cards c JOIN organisations o ON o.id = c.organisation_id",
    where="c.number = $1",
)
_OF_ORGANISATION = _GROUP_FACTS.format(
    card="CAST(NULL AS text) AS number, 'active' AS status",
    source="organisations o",
    where="o.id = $1::uuid",
)


async def group_facts(
    session: AsyncSession,
    *,
    card_number: str | None = None,
    organisation_id: str | None = None,
    bucket_keys: list[str],
    day: date,
) -> GroupFacts | None:
    """The facts of a group card (`card_number`) or of an organisation without a card
    (`organisation_id`, for a ticket request); None when there is no such card."""
    if card_number is not None:
        rows = await driver.fetch(session, _ON_CARD, card_number, bucket_keys, day, BUDGET_BUCKET)
    else:
        assert organisation_id is not None
        rows = await driver.fetch(
            session, _OF_ORGANISATION, organisation_id, bucket_keys, day, BUDGET_BUCKET
        )
    return _facts(rows[0]) if rows else None


def _facts(row: asyncpg.Record) -> GroupFacts:
    return GroupFacts(
        card_number=row["number"],
        card_status=row["status"],
        organisation_id=row["id"],
        organisation_name=row["name"],
        organisation_kind=row["kind"],
        region_id=row["region_id"],
        region_code=row["region_code"],
        catalog_generation=int(row["generation"]),
        allocations=tuple(
            AllocationAtHand(
                allocation_id,
                scheme_code,
                valid_from,
                valid_until,
                int(tickets),
                int(tickets_used),
                None if budget is None else int(budget),
                0,
                int(budget_used),
            )
            for (
                allocation_id,
                scheme_code,
                valid_from,
                valid_until,
                tickets,
                tickets_used,
                budget,
                budget_used,
            ) in row["allocations"]
        ),
        counters={key: UsageAmount(tickets, discount) for key, tickets, discount in row["usage"]},
        holds=tuple(HeldUsage(*hold) for hold in row["holds"]),
        allocation_holds=tuple(
            (owner, HeldUsage(bucket, tickets, discount, until))
            for owner, bucket, tickets, discount, until in row["allocation_holds"]
        ),
    )


# --- ticket requests ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TicketRequestRow:
    id: str
    organisation_id: str
    allocation_id: str
    offer_id: str
    offer_title: str
    partner_id: str
    price_class: str
    tickets: int
    note: str | None
    status: str
    requested_at: datetime
    decided_at: datetime | None
    reason: str | None
    sale_id: str | None


_REQUEST_SELECT = sa.select(ticket_requests, offers.c.title.label("offer_title")).join(
    offers, offers.c.id == ticket_requests.c.offer_id
)


def _request(row: Any) -> TicketRequestRow:
    return TicketRequestRow(
        id=str(row.id),
        organisation_id=str(row.organisation_id),
        allocation_id=str(row.allocation_id),
        offer_id=str(row.offer_id),
        offer_title=row.offer_title,
        partner_id=str(row.partner_id),
        price_class=row.price_class,
        tickets=row.tickets,
        note=row.note,
        status=row.status,
        requested_at=row.requested_at,
        decided_at=row.decided_at,
        reason=row.reason,
        sale_id=None if row.sale_id is None else str(row.sale_id),
    )


async def insert_ticket_request(
    session: AsyncSession,
    *,
    request_id: uuid.UUID,
    organisation_id: str,
    allocation_id: str,
    offer_id: str,
    partner_id: str,
    price_class: str,
    tickets: int,
    note: str | None,
    requested_by: str,
    now: datetime,
) -> None:
    await session.execute(
        sa.insert(ticket_requests).values(
            id=request_id,
            organisation_id=uuid.UUID(organisation_id),
            allocation_id=uuid.UUID(allocation_id),
            offer_id=uuid.UUID(offer_id),
            partner_id=uuid.UUID(partner_id),
            price_class=price_class,
            tickets=tickets,
            note=note,
            status="requested",
            requested_at=now,
            requested_by=requested_by,
        )
    )


async def get_ticket_request(
    session: AsyncSession, request_id: uuid.UUID, *, for_update: bool = False
) -> TicketRequestRow | None:
    """The request; `for_update` locks its row, so that two decisions on one request are
    made one after the other, the second on what the first left."""
    query = _REQUEST_SELECT.where(ticket_requests.c.id == request_id)
    if for_update:
        query = query.with_for_update(of=ticket_requests)
    row = (await session.execute(query)).first()
    return None if row is None else _request(row)


async def list_ticket_requests(
    session: AsyncSession,
    *,
    partner_id: str | None = None,
    organisation_id: str | None = None,
    status: str | None,
    after: uuid.UUID | None,
    limit: int,
) -> list[TicketRequestRow]:
    """A partner's or an organisation's requests, in the order of their ids."""
    query = _REQUEST_SELECT.order_by(ticket_requests.c.id).limit(limit)
    if partner_id is not None:
        query = query.where(ticket_requests.c.partner_id == uuid.UUID(partner_id))
    if organisation_id is not None:
        query = query.where(ticket_requests.c.organisation_id == uuid.UUID(organisation_id))
    if status is not None:
        query = query.where(ticket_requests.c.status == status)
    if after is not None:
        query = query.where(ticket_requests.c.id > after)
    return [_request(row) for row in (await session.execute(query)).all()]


async def decide_ticket_request(
    session: AsyncSession,
    request_id: str,
    *,
    status: str,
    decided_by: str,
    now: datetime,
    reason: str | None = None,
    sale_id: str | None = None,
) -> None:
    """Move a requested (and locked) request on to `status`."""
    await session.execute(
        sa.update(ticket_requests)
        .where(ticket_requests.c.id == uuid.UUID(request_id))
        .values(
            status=status,
            decided_at=now,
            decided_by=decided_by,
            reason=reason,
            sale_id=None if sale_id is None else uuid.UUID(sale_id),
        )
    )
