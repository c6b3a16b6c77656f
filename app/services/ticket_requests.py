"""Ticket requests (ticketaanvragen): an organisation asks, a partner accepts or declines.

The organisation (role `organisation`) asks a partner for tickets of an offer on one of its
allocations; the partner's admins list what is asked of them and accept — which sells the
tickets at the allocation's tariff through the desk's own sale path
(app.services.sales.register_sale, one statement that takes the tickets from the
allocation atomically) — or decline with a reason; the organisation follows its requests
and may withdraw one while it is requested. How a request moves on is
app.domain.ticket_requests'; its row is locked for each move, so two partner admins
accepting at once make one sale, and the second is told the request is no longer open.
Every step is a change-feed event.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from app.clock import date_in_brussels, utcnow
from app.db import changes
from app.db import groups as db
from app.db import organisations as db_organisations
from app.db import partners as db_partners
from app.db.changes import NewEvent
from app.db.groups import TicketRequestRow
from app.db.organisations import OrganisationRow
from app.db.sales import SaleRow
from app.domain.access import Principal, Role, Tenant
from app.domain.schemes import DEFAULT_GROUP_SIZE
from app.domain.ticket_requests import (
    AskRefusal,
    TicketRequestMove,
    TicketRequestRefusal,
    TicketRequestStatus,
    ask_refusal,
    move,
)
from app.errors import Conflict, NotFound, Unprocessable
from app.services import sales
from app.services.access import ensure
from app.services.catalog import CATALOG
from app.services.organisations import read_organisation, tenant_of
from app.services.quotes import ensure_sellable, fresh_offer, group_too_large, pick_price_class
from app.settings import Settings

# Who asks and withdraws: the organisation's own social workers.
REQUESTERS = frozenset({Role.ORGANISATION})
# Who decides: the partner's admins.
DECIDERS = frozenset({Role.PARTNER_ADMIN})
# Who reads one request: the organisation, the partner's admins, the region's admins.
READERS = frozenset({Role.ORGANISATION, Role.PARTNER_ADMIN, Role.REGION_ADMIN})
# Who lists an organisation's requests.
ORGANISATION_READERS = frozenset({Role.ORGANISATION, Role.REGION_ADMIN})


def _uuid(value: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise NotFound(f"No {what} {value[:64]!r}.") from None


def _unknown_allocation() -> Unprocessable:
    return Unprocessable(
        "No allocation of this organisation with this id.",
        extra={"errors": [{"pointer": "/allocation_id", "detail": "unknown allocation"}]},
    )


async def _organisation(session: AsyncSession, organisation_id: str) -> OrganisationRow:
    found = await db_organisations.get_organisation(session, uuid.UUID(organisation_id))
    assert found is not None  # a foreign key
    return found


def _tenant(request: TicketRequestRow, organisation: OrganisationRow) -> Tenant:
    """A request belongs to its organisation and to the partner it asks: each sees it."""
    return Tenant(
        region_id=organisation.region_id,
        partner_id=request.partner_id,
        organisation_id=organisation.id,
    )


async def _event(
    session: AsyncSession,
    request: TicketRequestRow,
    organisation: OrganisationRow,
    kind: str,
    **data: object,
) -> None:
    await changes.record(
        session,
        [
            NewEvent(
                organisation.region_id,
                f"ticket_request.{kind}",
                request.id,
                {
                    "organisation_id": request.organisation_id,
                    "partner_id": request.partner_id,
                    "offer_id": request.offer_id,
                    "tickets": request.tickets,
                    **data,
                },
            )
        ],
        utcnow(),
    )


async def request_tickets(
    session: AsyncSession,
    principal: Principal,
    offer_id: str,
    *,
    allocation_id: str,
    tickets: int,
    price_class: str,
    note: str | None,
) -> TicketRequestRow:
    """Ask the offer's partner for `tickets` on one of the organisation's allocations: an
    offer of the organisation's region that still sells, an allocation that has not ended
    and has the tickets left now (the accept takes them, atomically)."""
    allocation = await db_organisations.get_allocation(session, _uuid(allocation_id, "allocation"))
    if allocation is None:
        raise _unknown_allocation()
    organisation = await _organisation(session, allocation.organisation_id)
    if not principal.may(REQUESTERS, tenant_of(organisation)):
        # Another organisation's allocation is none of this one's business: unknown.
        raise _unknown_allocation()
    offer = await fresh_offer(session, offer_id)
    if offer.partner_region_id != organisation.region_id:
        raise NotFound(f"No offer {offer_id!r}.", code="offer-not-found")
    ensure_sellable(offer)
    chosen = pick_price_class(offer, price_class)
    now = utcnow()
    catalog = await CATALOG.get(session)
    group_size = min(
        (s.group_size for s in catalog.alone(allocation.scheme_code)), default=DEFAULT_GROUP_SIZE
    )
    refusal = ask_refusal(
        tickets=tickets,
        tickets_left=allocation.tickets - allocation.tickets_used,
        group_size=group_size,
        today=date_in_brussels(now),
        allocation_until=allocation.valid_until,
    )
    if refusal is AskRefusal.ALLOCATION_OVER:
        raise Unprocessable(
            "The allocation's period is over.",
            extra={"errors": [{"pointer": "/allocation_id", "detail": "allocation is over"}]},
        )
    if refusal is AskRefusal.GROUP_TOO_LARGE:
        raise group_too_large(group_size)
    if refusal is AskRefusal.ALLOCATION_EXHAUSTED:
        raise Conflict(
            f"The allocation has {allocation.tickets - allocation.tickets_used} tickets left, "
            f"fewer than {tickets}.",
            code="allocation-exhausted",
        )
    request_id = uuid.uuid4()
    await db.insert_ticket_request(
        session,
        request_id=request_id,
        organisation_id=organisation.id,
        allocation_id=allocation.id,
        offer_id=offer.id,
        partner_id=offer.partner_id,
        price_class=chosen.code,
        tickets=tickets,
        note=note,
        requested_by=principal.client_id,
        now=now,
    )
    found = await db.get_ticket_request(session, request_id)
    assert found is not None
    await _event(session, found, organisation, "requested")
    return found


async def read_ticket_request(
    session: AsyncSession,
    principal: Principal,
    request_id: str,
    roles: Iterable[Role] = READERS,
    *,
    for_update: bool = False,
) -> tuple[TicketRequestRow, OrganisationRow]:
    """The request for its organisation, its partner's admins and its region's admins; to
    anyone else it does not exist (404)."""
    found = await db.get_ticket_request(
        session, _uuid(request_id, "ticket request"), for_update=for_update
    )
    if found is None:
        raise NotFound(f"No ticket request {request_id}.", code="ticket-request-not-found")
    organisation = await _organisation(session, found.organisation_id)
    if not principal.may(roles, _tenant(found, organisation)):
        raise NotFound(f"No ticket request {request_id}.", code="ticket-request-not-found")
    return found, organisation


def _not_open(request: TicketRequestRow) -> Conflict:
    return Conflict(
        f"The ticket request is {request.status}; only a requested one can be decided on "
        "or withdrawn.",
        code=TicketRequestRefusal.NOT_OPEN.value,
        extra={"request_status": request.status},
    )


async def _locked_move(
    session: AsyncSession,
    principal: Principal,
    request_id: str,
    roles: Iterable[Role],
    wanted: TicketRequestMove,
) -> tuple[TicketRequestRow, OrganisationRow, TicketRequestStatus]:
    request, organisation = await read_ticket_request(
        session, principal, request_id, roles, for_update=True
    )
    after = move(TicketRequestStatus(request.status), wanted)
    if isinstance(after, TicketRequestRefusal):
        raise _not_open(request)
    return request, organisation, after


@dataclass(frozen=True, slots=True)
class Accepted:
    request: TicketRequestRow
    sale: SaleRow


async def accept(
    session: AsyncSession, settings: Settings, principal: Principal, request_id: str
) -> Accepted:
    """Sell the requested tickets at the allocation's tariff, taking them from the
    allocation, in the desk's one sale statement; the request is accepted with its sale.
    Not enough left on the allocation: 409 `allocation-exhausted`, nothing changes."""
    request, organisation, after = await _locked_move(
        session, principal, request_id, DECIDERS, TicketRequestMove.ACCEPT
    )
    allocation = await db_organisations.get_allocation(session, uuid.UUID(request.allocation_id))
    assert allocation is not None  # a foreign key
    sale = await sales.register_sale(
        session,
        settings,
        principal,
        # The request is locked and still requested: no sale was made for it, so its key is
        # fresh; it names the request, so one request can never make two sales.
        idempotency_key=f"ticket-request:{request.id}",
        body_hash=sales.request_hash({"ticket_request": request.id}),
        request=sales.SaleRequest(
            items=(
                sales.SaleItemRequest(
                    card_number=None,
                    offer_id=request.offer_id,
                    price_class=request.price_class,
                    tariff_id=None,
                    quantity=request.tickets,
                    organisation=sales.ForOrganisation(
                        organisation.id, allocation.scheme_code, allocation.id
                    ),
                ),
            ),
            hold=False,
        ),
    )
    now = utcnow()
    await db.decide_ticket_request(
        session,
        request.id,
        status=after.value,
        decided_by=principal.client_id,
        now=now,
        sale_id=sale.id,
    )
    found, _ = await read_ticket_request(session, principal, request.id, DECIDERS)
    await _event(session, found, organisation, "accepted", sale_id=sale.id)
    return Accepted(found, sale)


async def decline(
    session: AsyncSession, principal: Principal, request_id: str, *, reason: str
) -> TicketRequestRow:
    request, organisation, after = await _locked_move(
        session, principal, request_id, DECIDERS, TicketRequestMove.DECLINE
    )
    await db.decide_ticket_request(
        session,
        request.id,
        status=after.value,
        decided_by=principal.client_id,
        now=utcnow(),
        reason=reason,
    )
    found, _ = await read_ticket_request(session, principal, request.id, DECIDERS)
    await _event(session, found, organisation, "declined")
    return found


async def withdraw(
    session: AsyncSession, principal: Principal, request_id: str
) -> TicketRequestRow:
    request, organisation, after = await _locked_move(
        session, principal, request_id, REQUESTERS, TicketRequestMove.WITHDRAW
    )
    await db.decide_ticket_request(
        session, request.id, status=after.value, decided_by=principal.client_id, now=utcnow()
    )
    found, _ = await read_ticket_request(session, principal, request.id, REQUESTERS)
    await _event(session, found, organisation, "withdrawn")
    return found


@dataclass(frozen=True, slots=True)
class RequestPage:
    items: list[TicketRequestRow]
    next_after: str | None


def _page(found: list[TicketRequestRow], limit: int) -> RequestPage:
    more = len(found) > limit
    found = found[:limit]
    return RequestPage(found, found[-1].id if more and found else None)


async def list_for_partner(
    session: AsyncSession,
    principal: Principal,
    partner_id: str,
    *,
    status: TicketRequestStatus | None,
    after: str | None,
    limit: int,
) -> RequestPage:
    partner = await db_partners.get_partner(session, _uuid(partner_id, "partner"))
    if partner is None:
        raise NotFound(f"No partner {partner_id}.")
    ensure(
        principal, DECIDERS, Tenant(region_id=partner.region_id, partner_id=partner.id), hide=False
    )
    found = await db.list_ticket_requests(
        session,
        partner_id=partner.id,
        status=None if status is None else status.value,
        after=None if after is None else _uuid(after, "cursor"),
        limit=limit + 1,
    )
    return _page(found, limit)


async def list_for_organisation(
    session: AsyncSession,
    principal: Principal,
    organisation_id: str,
    *,
    status: TicketRequestStatus | None,
    after: str | None,
    limit: int,
) -> RequestPage:
    organisation = await read_organisation(
        session, principal, organisation_id, ORGANISATION_READERS
    )
    found = await db.list_ticket_requests(
        session,
        organisation_id=organisation.id,
        status=None if status is None else status.value,
        after=None if after is None else _uuid(after, "cursor"),
        limit=limit + 1,
    )
    return _page(found, limit)
