"""Check-ins: a desk records a visit to a free activity, on a card or on a voucher.

At most one visit per bearer, offer and day (idempotent: scanning twice records one). The
desk learns that the visit counts, nothing about the person; a card's visit is audited as
a read of the holder (their card was looked up).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from app.clock import date_in_brussels, utcnow
from app.db import checkins as db
from app.db import pricing as db_pricing
from app.db.checkins import CheckinRow
from app.domain.access import Principal, Tenant
from app.domain.cards import CardStatus, card_refusal
from app.domain.offers import activity_date
from app.domain.vouchers import VOUCHER_BUCKET, desk_refusal, normalise_code
from app.errors import NotFound
from app.services.access import ensure
from app.services.audit import record_reads
from app.services.lookup import parse_card_field
from app.services.quotes import DESKS, card_problem, ensure_sellable, fresh_offer, voucher_problem


@dataclass(frozen=True, slots=True)
class Checkin:
    row: CheckinRow
    recorded: bool  # False: this bearer's visit that day was recorded before


async def check_in(
    session: AsyncSession,
    principal: Principal,
    *,
    offer_id: str,
    card_number: str | None,
    voucher_code: str | None,
) -> Checkin:
    # Read afresh, not from the quote's cache: a visit to an offer archived by another
    # process is refused at once.
    offer = await fresh_offer(session, offer_id)
    ensure(
        principal,
        DESKS,
        Tenant(region_id=offer.partner_region_id, partner_id=offer.partner_id),
        hide=False,
    )
    ensure_sellable(offer)
    now = utcnow()
    day = activity_date(offer.kind, offer.starts_at) or date_in_brussels(now)
    if card_number is not None:
        bearer = await db.card_bearer(session, parse_card_field(card_number))
        if bearer is None:
            raise NotFound("No card with this number.", code="card-not-found")
        refused = card_refusal(bearer.card_status)
        if refused is not None:
            raise card_problem(CardStatus(refused))
        await record_reads(
            session, principal, "checkin", [(bearer.passholder_id, bearer.region_id)]
        )
        row, recorded = await db.record_visit(
            session,
            offer_id=offer.id,
            partner_id=offer.partner_id,
            passholder_id=bearer.passholder_id,
            voucher_id=None,
            municipality_nis=bearer.municipality_nis,
            people=1,
            visit_date=day,
            client_id=principal.client_id,
            now=now,
        )
        return Checkin(row, recorded)
    assert voucher_code is not None  # the request model takes exactly one of the two
    code = normalise_code(voucher_code)
    facts = None if code is None else await db_pricing.voucher_facts(session, code)
    if facts is None:
        raise NotFound("No voucher with this code.", code="voucher-not-found")
    voucher = facts.voucher
    used = facts.usage_at(now).get(VOUCHER_BUCKET)
    # A visit takes no ticket: a voucher whose tickets were all sold still admits its people.
    refusal = desk_refusal(
        voucher,
        used=0 if used is None else used.tickets,
        quantity=0,
        on=day,
        offer_id=offer.id,
        partner_id=offer.partner_id,
    )
    if refusal is not None:
        raise voucher_problem(refusal)
    row, recorded = await db.record_visit(
        session,
        offer_id=offer.id,
        partner_id=offer.partner_id,
        passholder_id=None,
        voucher_id=voucher.voucher_id,
        municipality_nis=None,
        people=voucher.people,
        visit_date=day,
        client_id=principal.client_id,
        now=now,
    )
    return Checkin(row, recorded)
