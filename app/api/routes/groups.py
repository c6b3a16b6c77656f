"""Group cards of organisations, and ticket requests from organisations to partners."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import Field, StringConstraints

from app.api.deps import Authorized, SessionDep, SettingsDep
from app.api.models import (
    MAX_PAGE_SIZE,
    IdText,
    Name,
    RequestModel,
    ResponseModel,
    StrictInt,
    decode_cursor,
    encode_cursor,
    parse_reference,
)
from app.api.problems import problem_responses
from app.api.routes.sales import SaleOut
from app.db.groups import GroupCardRow, TicketRequestRow
from app.domain.access import Principal
from app.domain.cards import BlockReason
from app.domain.groups import GroupCardStatus
from app.domain.ticket_requests import MAX_TEXT, MAX_TICKETS, TicketRequestStatus
from app.services import groups as service
from app.services import ticket_requests as requests_service

router = APIRouter(prefix="/v1", tags=["organisations"])

CardKeepers = Annotated[Principal, Depends(Authorized(*service.CARD_KEEPERS))]
Requesters = Annotated[Principal, Depends(Authorized(*requests_service.REQUESTERS))]
Deciders = Annotated[Principal, Depends(Authorized(*requests_service.DECIDERS))]
RequestReaders = Annotated[Principal, Depends(Authorized(*requests_service.READERS))]
OrganisationReaders = Annotated[
    Principal, Depends(Authorized(*requests_service.ORGANISATION_READERS))
]
Reference = IdText
CardNumberPath = Annotated[str, Field(min_length=13, max_length=20, pattern=r"^[0-9 \-]+$")]
Text = Annotated[
    str,
    StringConstraints(min_length=1, max_length=MAX_TEXT, pattern=r"^[^\x00-\x08\x0b-\x1f\x7f]+$"),
]


# --- group cards ----------------------------------------------------------------------------


class GroupCardIn(RequestModel):
    label: Name | None = Field(
        default=None, description='What the organisation calls it, e.g. "Klas 5B"'
    )


class GroupCardOut(ResponseModel):
    number: str = Field(description="13 digits, the last a Luhn check digit, as a person's card")
    organisation_id: str
    label: str | None
    status: GroupCardStatus
    issued_at: datetime
    blocked_at: datetime | None
    block_reason: BlockReason | None

    @classmethod
    def of(cls, row: GroupCardRow) -> GroupCardOut:
        return cls(
            number=row.number,
            organisation_id=row.organisation_id,
            label=row.label,
            status=GroupCardStatus(row.status),
            issued_at=row.issued_at,
            blocked_at=row.blocked_at,
            block_reason=None if row.block_reason is None else BlockReason(row.block_reason),
        )


class GroupCardList(ResponseModel):
    items: list[GroupCardOut]
    next_cursor: str | None = None


class GroupCardBlockIn(RequestModel):
    reason: BlockReason


@router.post(
    "/organisations/{organisation_id}/cards",
    operation_id="issueGroupCard",
    status_code=201,
    response_model=GroupCardOut,
    responses=problem_responses(401, 403, 404, 422),
    summary="Issue a group card (groepspas): a card of the organisation, not of a person",
)
async def issue_group_card(
    organisation_id: str, body: GroupCardIn, session: SessionDep, principal: CardKeepers
) -> GroupCardOut:
    row = await service.issue_group_card(session, principal, organisation_id, label=body.label)
    return GroupCardOut.of(row)


@router.get(
    "/organisations/{organisation_id}/cards",
    operation_id="listGroupCards",
    response_model=GroupCardList,
    responses=problem_responses(401, 403, 404),
    summary="An organisation's group cards",
)
async def list_group_cards(
    organisation_id: str, session: SessionDep, principal: CardKeepers
) -> GroupCardList:
    rows = await service.list_group_cards(session, principal, organisation_id)
    return GroupCardList(items=[GroupCardOut.of(row) for row in rows])


@router.post(
    "/organisations/{organisation_id}/cards/{number}/block",
    operation_id="blockGroupCard",
    response_model=GroupCardOut,
    responses=problem_responses(
        401, 403, 404, 422, codes={404: ("card-not-found",), 422: ("invalid-card-number",)}
    ),
    summary="Block a group card (lost, stolen, defect): no desk sells on it any more",
)
async def block_group_card(
    organisation_id: str,
    number: CardNumberPath,
    body: GroupCardBlockIn,
    session: SessionDep,
    principal: CardKeepers,
) -> GroupCardOut:
    row = await service.block_group_card(session, principal, organisation_id, number, body.reason)
    return GroupCardOut.of(row)


# --- ticket requests ------------------------------------------------------------------------


class TicketRequestIn(RequestModel):
    allocation_id: Reference
    tickets: Annotated[StrictInt, Field(ge=1, le=MAX_TICKETS)]
    price_class: Annotated[str, Field(min_length=1, max_length=40)]
    note: Text | None = Field(default=None, description="For the partner, e.g. the group")


class DeclineIn(RequestModel):
    reason: Text


class TicketRequestOut(ResponseModel):
    id: str
    status: TicketRequestStatus
    organisation_id: str
    allocation_id: str
    offer_id: str
    offer_title: str
    partner_id: str
    price_class: str
    tickets: int
    note: str | None
    requested_at: datetime
    decided_at: datetime | None = Field(description="Accepted, declined or withdrawn at")
    reason: str | None = Field(description="A decline's reason")
    sale_id: str | None = Field(description="The sale an accept made")

    @classmethod
    def of(cls, row: TicketRequestRow) -> TicketRequestOut:
        return cls(
            id=row.id,
            status=TicketRequestStatus(row.status),
            organisation_id=row.organisation_id,
            allocation_id=row.allocation_id,
            offer_id=row.offer_id,
            offer_title=row.offer_title,
            partner_id=row.partner_id,
            price_class=row.price_class,
            tickets=row.tickets,
            note=row.note,
            requested_at=row.requested_at,
            decided_at=row.decided_at,
            reason=row.reason,
            sale_id=row.sale_id,
        )


class TicketRequestPage(ResponseModel):
    items: list[TicketRequestOut]
    next_cursor: str | None


def _page(page: requests_service.RequestPage) -> TicketRequestPage:
    return TicketRequestPage(
        items=[TicketRequestOut.of(row) for row in page.items],
        next_cursor=None if page.next_after is None else encode_cursor({"after": page.next_after}),
    )


@router.post(
    "/offers/{offer_id}/ticket-requests",
    operation_id="requestTickets",
    status_code=201,
    response_model=TicketRequestOut,
    responses=problem_responses(
        401,
        403,
        404,
        409,
        422,
        codes={
            404: ("offer-not-found",),
            409: ("allocation-exhausted", "offer-archived", "partner-archived"),
            422: ("unknown-price-class", "group-too-large"),
        },
    ),
    summary="Ask the offer's partner for tickets on one of the organisation's allocations",
)
async def request_tickets(
    offer_id: str, body: TicketRequestIn, session: SessionDep, principal: Requesters
) -> TicketRequestOut:
    row = await requests_service.request_tickets(
        session,
        principal,
        offer_id,
        allocation_id=parse_reference(body.allocation_id, pointer="/allocation_id"),
        tickets=body.tickets,
        price_class=body.price_class,
        note=body.note,
    )
    return TicketRequestOut.of(row)


StatusFilter = Annotated[TicketRequestStatus | None, Query()]


@router.get(
    "/partners/{partner_id}/ticket-requests",
    operation_id="listPartnerTicketRequests",
    response_model=TicketRequestPage,
    responses=problem_responses(401, 403, 404, 422),
    summary="The ticket requests asked of a partner (filter by status)",
)
async def list_partner_requests(
    partner_id: str,
    session: SessionDep,
    principal: Deciders,
    status: StatusFilter = None,
    cursor: Annotated[str | None, Query(max_length=300)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 100,
) -> TicketRequestPage:
    position = decode_cursor(cursor, {"after": str})
    page = await requests_service.list_for_partner(
        session,
        principal,
        partner_id,
        status=status,
        after=None if position is None else position["after"],
        limit=limit,
    )
    return _page(page)


@router.get(
    "/organisations/{organisation_id}/ticket-requests",
    operation_id="listOrganisationTicketRequests",
    response_model=TicketRequestPage,
    responses=problem_responses(401, 403, 404, 422),
    summary="An organisation's own ticket requests (filter by status)",
)
async def list_organisation_requests(
    organisation_id: str,
    session: SessionDep,
    principal: OrganisationReaders,
    status: StatusFilter = None,
    cursor: Annotated[str | None, Query(max_length=300)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 100,
) -> TicketRequestPage:
    position = decode_cursor(cursor, {"after": str})
    page = await requests_service.list_for_organisation(
        session,
        principal,
        organisation_id,
        status=status,
        after=None if position is None else position["after"],
        limit=limit,
    )
    return _page(page)


_NOT_FOUND = {404: ("ticket-request-not-found",)}


@router.get(
    "/ticket-requests/{request_id}",
    operation_id="getTicketRequest",
    response_model=TicketRequestOut,
    responses=problem_responses(401, 403, 404, codes=_NOT_FOUND),
    summary="One ticket request (its organisation, its partner's and its region's admins)",
)
async def read_request(
    request_id: str, session: SessionDep, principal: RequestReaders
) -> TicketRequestOut:
    row, _ = await requests_service.read_ticket_request(session, principal, request_id)
    return TicketRequestOut.of(row)


@router.post(
    "/ticket-requests/{request_id}/accept",
    operation_id="acceptTicketRequest",
    response_model=SaleOut,
    responses=problem_responses(
        401,
        403,
        404,
        409,
        422,
        codes={
            **_NOT_FOUND,
            409: (
                "ticket-request-not-open",
                "allocation-exhausted",
                "allocation-budget-exhausted",
                "limit-reached",
                "budget-exhausted",
                "no-tariff",
                "offer-archived",
                "partner-archived",
            ),
            422: ("group-too-large",),
        },
    ),
    summary="Accept: sell the tickets at the allocation's tariff (answers the sale)",
)
async def accept_request(
    request_id: str, session: SessionDep, settings: SettingsDep, principal: Deciders
) -> SaleOut:
    accepted = await requests_service.accept(session, settings, principal, request_id)
    return SaleOut.of(accepted.sale)


@router.post(
    "/ticket-requests/{request_id}/decline",
    operation_id="declineTicketRequest",
    response_model=TicketRequestOut,
    responses=problem_responses(
        401, 403, 404, 409, 422, codes={**_NOT_FOUND, 409: ("ticket-request-not-open",)}
    ),
    summary="Decline a ticket request, with a reason for the organisation",
)
async def decline_request(
    request_id: str, body: DeclineIn, session: SessionDep, principal: Deciders
) -> TicketRequestOut:
    row = await requests_service.decline(session, principal, request_id, reason=body.reason)
    return TicketRequestOut.of(row)


@router.post(
    "/ticket-requests/{request_id}/withdraw",
    operation_id="withdrawTicketRequest",
    response_model=TicketRequestOut,
    responses=problem_responses(
        401, 403, 404, 409, codes={**_NOT_FOUND, 409: ("ticket-request-not-open",)}
    ),
    summary="Withdraw one of the organisation's requests while it is requested",
)
async def withdraw_request(
    request_id: str, session: SessionDep, principal: Requesters
) -> TicketRequestOut:
    row = await requests_service.withdraw(session, principal, request_id)
    return TicketRequestOut.of(row)
