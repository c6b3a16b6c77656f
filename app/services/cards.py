"""Issue, block and replace cards. A replacement keeps the passholder, history and usage."""

from __future__ import annotations

import uuid

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.clock import utcnow
from app.db import changes
from app.db import passholders as db
from app.db.changes import NewEvent
from app.db.passholders import CardRow
from app.domain.access import Principal, Tenant
from app.domain.cards import BlockReason, CardStatus, new_card_number
from app.errors import Conflict, NotFound
from app.services.access import ensure
from app.services.audit import record_reads
from app.services.lookup import REGISTRY, load_for, parse_card_field

_MAX_NUMBER_DRAWS = 20


async def unused_card_number(session: AsyncSession) -> str:
    # 10^12 numbers: a collision is rare, but a card number must never be handed out twice.
    for _ in range(_MAX_NUMBER_DRAWS):
        number = new_card_number()
        if not await db.card_number_taken(session, number):
            return number
    raise RuntimeError("could not draw an unused card number")


async def issue_card(
    session: AsyncSession, principal: Principal, passholder_id: str, number: str | None = None
) -> CardRow:
    """A new active card in the holder's home region (at most one active card there)."""
    holder = await load_for(session, principal, passholder_id)
    await _no_active_card(session, holder.id, holder.region_id)
    number = number or await unused_card_number(session)
    now = utcnow()
    try:
        await db.insert_card(
            session,
            {
                "number": number,
                "passholder_id": uuid.UUID(holder.id),
                "region_id": uuid.UUID(holder.region_id),
                "status": CardStatus.ACTIVE.value,
                "issued_at": now,
            },
        )
        await changes.record(
            session,
            [NewEvent(holder.region_id, "card.issued", number, {"passholder_id": holder.id})],
            now,
        )
    except IntegrityError:
        raise _issued_meanwhile() from None
    card = await db.get_card(session, number)
    assert card is not None
    return card


async def _no_active_card(
    session: AsyncSession, passholder_id: str, region_id: str, *, besides: str | None = None
) -> None:
    """At most one active card per holder and region (a partial unique index enforces it;
    this names the card in the way)."""
    active = [
        card
        for card in await db.cards_of(session, uuid.UUID(passholder_id))
        if card.status == CardStatus.ACTIVE
        and card.region_id == region_id
        and card.number != besides
    ]
    if active:
        raise Conflict(
            "This passholder already has an active card in this region; replace it instead.",
            code="card-already-active",
            extra={"card_number": active[0].number},
        )


def _issued_meanwhile() -> Conflict:
    return Conflict("Another card was issued at the same moment.", code="card-already-active")


async def _load_card(session: AsyncSession, principal: Principal, number_text: str) -> CardRow:
    number = parse_card_field(number_text, pointer="/number")
    card = await db.get_card(session, number, for_update=True)
    if card is None:
        raise NotFound("No card with this number.", code="card-not-found")
    ensure(principal, REGISTRY, Tenant(region_id=card.region_id), hide=True)
    return card


async def block_card(
    session: AsyncSession, principal: Principal, number_text: str, reason: BlockReason
) -> CardRow:
    card = await _load_card(session, principal, number_text)
    if card.status != CardStatus.ACTIVE:
        raise Conflict(f"The card is {card.status}, not active.", code="card-not-active")
    now = utcnow()
    changed = await db.set_card_status(
        session,
        card.number,
        CardStatus.ACTIVE.value,
        {"status": CardStatus.BLOCKED.value, "blocked_at": now, "block_reason": reason.value},
    )
    if not changed:
        raise Conflict("The card changed at the same moment.", code="card-not-active")
    await changes.record(
        session,
        [
            NewEvent(
                card.region_id,
                "card.blocked",
                card.number,
                {"passholder_id": card.passholder_id, "reason": reason.value},
            )
        ],
        now,
    )
    updated = await db.get_card(session, card.number)
    assert updated is not None
    return updated


async def replace_card(session: AsyncSession, principal: Principal, number_text: str) -> CardRow:
    """The old card (active or blocked) becomes `replaced`; a new active card takes over."""
    card = await _load_card(session, principal, number_text)
    if card.status == CardStatus.REPLACED:
        raise Conflict(
            "This card was replaced already.",
            code="card-replaced",
            extra={"replaced_by": card.replaced_by},
        )
    # A blocked card may have been followed by a newly issued one already.
    await _no_active_card(session, card.passholder_id, card.region_id, besides=card.number)
    new_number = await unused_card_number(session)
    now = utcnow()
    changed = await db.set_card_status(
        session,
        card.number,
        card.status,
        {"status": CardStatus.REPLACED.value, "replaced_by": new_number},
    )
    if not changed:
        raise Conflict("The card changed at the same moment.", code="card-not-active")
    try:
        await db.insert_card(
            session,
            {
                "number": new_number,
                "passholder_id": uuid.UUID(card.passholder_id),
                "region_id": uuid.UUID(card.region_id),
                "status": CardStatus.ACTIVE.value,
                "issued_at": now,
            },
        )
        await changes.record(
            session,
            [
                NewEvent(
                    card.region_id,
                    "card.replaced",
                    card.number,
                    {"passholder_id": card.passholder_id, "replaced_by": new_number},
                )
            ],
            now,
        )
    except IntegrityError:
        raise _issued_meanwhile() from None
    new_card = await db.get_card(session, new_number)
    assert new_card is not None
    return new_card


async def cards_of(
    session: AsyncSession, principal: Principal, passholder_id: str
) -> list[CardRow]:
    holder = await load_for(session, principal, passholder_id)
    cards = await db.cards_of(session, uuid.UUID(holder.id))
    await record_reads(session, principal, "cards.read", [(holder.id, holder.region_id)])
    return cards
