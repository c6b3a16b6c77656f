"""Organisations, their allocations and the anonymous vouchers they issue."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import Field, model_validator

from app.api.deps import Authorized, SessionDep
from app.api.models import (
    ID_SCHEMA,
    MAX_PAGE_SIZE,
    IdText,
    IsoDate,
    Name,
    RequestModel,
    ResponseModel,
    StrictInt,
    decode_cursor,
    encode_cursor,
    parse_reference,
)
from app.api.problems import negotiate_language, problem_responses
from app.clock import date_in_brussels, utcnow
from app.db.organisations import AllocationRow, OrganisationRow, VoucherRow
from app.domain.access import Principal
from app.domain.vouchers import (
    MAX_ALLOCATION_TICKETS,
    MAX_PEOPLE,
    OrganisationKind,
    VoucherStatus,
    printed_code,
    tickets_left,
)
from app.services import organisations as service
from app.services import voucher_print

router = APIRouter(prefix="/v1", tags=["organisations"])

Readers = Annotated[Principal, Depends(Authorized(*service.READERS))]
Managers = Annotated[Principal, Depends(Authorized(*service.MANAGERS))]
Issuers = Annotated[Principal, Depends(Authorized(*service.ISSUERS))]
VoucherReaders = Annotated[Principal, Depends(Authorized(*service.VOUCHER_READERS))]
Reference = IdText
VoucherCode = Annotated[
    str,
    Field(
        min_length=14, max_length=24, pattern=r"^[0-9A-Za-z\-](?:[0-9A-Za-z \-]*[0-9A-Za-z\-])?$"
    ),
]


# --- organisations --------------------------------------------------------------------------


class OrganisationIn(RequestModel):
    name: Name
    region_id: Reference
    kind: OrganisationKind


class OrganisationPatch(RequestModel):
    name: Name | None = None
    kind: OrganisationKind | None = None


class OrganisationOut(ResponseModel):
    id: str
    name: str
    region_id: str
    kind: OrganisationKind
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: OrganisationRow) -> OrganisationOut:
        return cls(
            id=row.id,
            name=row.name,
            region_id=row.region_id,
            kind=OrganisationKind(row.kind),
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


class OrganisationPage(ResponseModel):
    items: list[OrganisationOut]
    next_cursor: str | None


@router.post(
    "/organisations",
    operation_id="createOrganisation",
    status_code=201,
    response_model=OrganisationOut,
    responses=problem_responses(401, 403, 413, 422),
    summary="Register a social organisation, association or school in a region",
)
async def create_organisation(
    body: OrganisationIn, session: SessionDep, principal: Managers
) -> OrganisationOut:
    region_id = parse_reference(body.region_id, pointer="/region_id")
    row = await service.create_organisation(
        session, principal, region_id=region_id, name=body.name, kind=body.kind
    )
    return OrganisationOut.of(row)


@router.get(
    "/organisations",
    operation_id="listOrganisations",
    response_model=OrganisationPage,
    responses=problem_responses(401, 403, 422),
    summary="A region's organisations (a social worker: their own)",
)
async def list_organisations(
    session: SessionDep,
    principal: Readers,
    region_id: Annotated[
        str | None, Query(min_length=1, max_length=64, json_schema_extra=ID_SCHEMA)
    ] = None,
    cursor: Annotated[str | None, Query(max_length=300)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 100,
) -> OrganisationPage:
    position = decode_cursor(cursor, {"after": str})
    page = await service.list_organisations(
        session,
        principal,
        region_id=parse_reference(region_id, parameter="region_id") if region_id else None,
        after=None if position is None else position["after"],
        limit=limit,
    )
    return OrganisationPage(
        items=[OrganisationOut.of(row) for row in page.items],
        next_cursor=None if page.next_after is None else encode_cursor({"after": page.next_after}),
    )


@router.get(
    "/organisations/{organisation_id}",
    operation_id="getOrganisation",
    response_model=OrganisationOut,
    responses=problem_responses(401, 403, 404),
    summary="One organisation (another region's or organisation's is not found)",
)
async def read_organisation(
    organisation_id: str, session: SessionDep, principal: Readers
) -> OrganisationOut:
    return OrganisationOut.of(await service.read_organisation(session, principal, organisation_id))


@router.patch(
    "/organisations/{organisation_id}",
    operation_id="updateOrganisation",
    response_model=OrganisationOut,
    responses=problem_responses(401, 403, 404, 422),
    summary="Rename an organisation or change its kind",
)
async def update_organisation(
    organisation_id: str, body: OrganisationPatch, session: SessionDep, principal: Managers
) -> OrganisationOut:
    changes = body.model_dump(exclude_unset=True, exclude_none=True, mode="json")
    row = await service.update_organisation(session, principal, organisation_id, changes)
    return OrganisationOut.of(row)


# --- allocations ----------------------------------------------------------------------------


class AllocationIn(RequestModel):
    scheme_code: Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9_]{1,63}$")]
    valid_from: IsoDate
    valid_until: IsoDate
    tickets: Annotated[StrictInt, Field(ge=1, le=MAX_ALLOCATION_TICKETS)]
    budget_cents: Annotated[StrictInt, Field(ge=0, le=10**9)] | None = Field(
        default=None,
        description="A budget of discount the allocation's vouchers may use at desks",
    )

    @model_validator(mode="after")
    def _period(self) -> AllocationIn:
        if self.valid_until < self.valid_from:
            raise ValueError("valid_until must not be before valid_from")
        return self


class AllocationOut(ResponseModel):
    id: str
    organisation_id: str
    scheme_code: str
    valid_from: date
    valid_until: date
    tickets: int
    tickets_used: int = Field(
        description="Taken by vouchers (a revoked voucher's unused back) and by sales to the "
        "organisation's groups (a group card, an accepted ticket request; a cancel gives back)"
    )
    tickets_remaining: int
    budget_cents: int | None
    created_at: datetime

    @classmethod
    def of(cls, row: AllocationRow) -> AllocationOut:
        return cls(
            id=row.id,
            organisation_id=row.organisation_id,
            scheme_code=row.scheme_code,
            valid_from=row.valid_from,
            valid_until=row.valid_until,
            tickets=row.tickets,
            tickets_used=row.tickets_used,
            tickets_remaining=row.tickets - row.tickets_used,
            budget_cents=row.budget_cents,
            created_at=row.created_at,
        )


class AllocationList(ResponseModel):
    items: list[AllocationOut]
    next_cursor: str | None = None


@router.post(
    "/organisations/{organisation_id}/allocations",
    operation_id="createAllocation",
    status_code=201,
    response_model=AllocationOut,
    responses=problem_responses(401, 403, 404, 422, codes={422: ("unknown-scheme",)}),
    summary="Grant an organisation a quota of tickets under one scheme for a period",
)
async def create_allocation(
    organisation_id: str, body: AllocationIn, session: SessionDep, principal: Managers
) -> AllocationOut:
    row = await service.create_allocation(
        session,
        principal,
        organisation_id,
        scheme_code=body.scheme_code,
        valid_from=body.valid_from,
        valid_until=body.valid_until,
        tickets=body.tickets,
        budget_cents=body.budget_cents,
    )
    return AllocationOut.of(row)


@router.get(
    "/organisations/{organisation_id}/allocations",
    operation_id="listAllocations",
    response_model=AllocationList,
    responses=problem_responses(401, 403, 404),
    summary="An organisation's allocations with what is left of them",
)
async def list_allocations(
    organisation_id: str, session: SessionDep, principal: Readers
) -> AllocationList:
    rows = await service.list_allocations(session, principal, organisation_id)
    return AllocationList(items=[AllocationOut.of(row) for row in rows])


# --- vouchers -------------------------------------------------------------------------------


class VoucherIn(RequestModel):
    allocation_id: Reference
    people: Annotated[StrictInt, Field(ge=1, le=MAX_PEOPLE)]
    offer_id: Reference | None = Field(default=None, description="Good only for this offer")
    partner_id: Reference | None = Field(default=None, description="Good only at this partner")
    valid_until: IsoDate | None = Field(
        default=None, description="Default: the allocation's last day"
    )


class VoucherOut(ResponseModel):
    code: str = Field(description="13 random symbols and a check symbol, printed in fours")
    printed_code: str
    people: int
    tickets_used: int
    tickets_remaining: int
    valid_until: date
    status: VoucherStatus
    allocation_id: str
    organisation_id: str
    scheme_code: str
    offer_id: str | None
    partner_id: str | None
    issued_at: datetime
    revoked_at: datetime | None

    @classmethod
    def of(cls, row: VoucherRow) -> VoucherOut:
        status = service.status_of(row, date_in_brussels(utcnow()))
        # A revocation fills the counter; what was redeemed is what it did not give back.
        used = row.people - (row.tickets_returned or 0) if row.status == "revoked" else row.used
        return cls(
            code=row.code,
            printed_code=printed_code(row.code),
            people=row.people,
            tickets_used=used,
            tickets_remaining=0
            if status is not VoucherStatus.ACTIVE
            else tickets_left(row.people, row.used),
            valid_until=row.valid_until,
            status=status,
            allocation_id=row.allocation_id,
            organisation_id=row.organisation_id,
            scheme_code=row.scheme_code,
            offer_id=row.offer_id,
            partner_id=row.partner_id,
            issued_at=row.issued_at,
            revoked_at=row.revoked_at,
        )


class VoucherPage(ResponseModel):
    items: list[VoucherOut]
    next_cursor: str | None


@router.post(
    "/organisations/{organisation_id}/vouchers",
    operation_id="issueVoucher",
    status_code=201,
    response_model=VoucherOut,
    responses=problem_responses(401, 403, 404, 409, 422, codes={409: ("allocation-exhausted",)}),
    summary="Issue an anonymous voucher for N people from an allocation",
)
async def issue_voucher(
    organisation_id: str, body: VoucherIn, session: SessionDep, principal: Issuers
) -> VoucherOut:
    row = await service.issue_voucher(
        session,
        principal,
        organisation_id,
        allocation_id=parse_reference(body.allocation_id, pointer="/allocation_id"),
        people=body.people,
        offer_id=parse_reference(body.offer_id, pointer="/offer_id") if body.offer_id else None,
        partner_id=(
            parse_reference(body.partner_id, pointer="/partner_id") if body.partner_id else None
        ),
        valid_until=body.valid_until,
    )
    return VoucherOut.of(row)


@router.get(
    "/organisations/{organisation_id}/vouchers",
    operation_id="listVouchers",
    response_model=VoucherPage,
    responses=problem_responses(401, 403, 404),
    summary="An organisation's vouchers",
)
async def list_vouchers(
    organisation_id: str,
    session: SessionDep,
    principal: VoucherReaders,
    cursor: Annotated[str | None, Query(max_length=300)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 100,
) -> VoucherPage:
    position = decode_cursor(cursor, {"after": str})
    rows, after = await service.list_vouchers(
        session,
        principal,
        organisation_id,
        after=None if position is None else position["after"],
        limit=limit,
    )
    return VoucherPage(
        items=[VoucherOut.of(row) for row in rows],
        next_cursor=None if after is None else encode_cursor({"after": after}),
    )


_VOUCHER_MEDIA = {
    "content": {
        "image/svg+xml": {"schema": {"type": "string"}},
        "application/pdf": {"schema": {"type": "string", "format": "binary"}},
    }
}


@router.get(
    "/vouchers/{code}",
    operation_id="getVoucher",
    response_model=VoucherOut,
    responses={
        200: _VOUCHER_MEDIA,
        **problem_responses(401, 403, 404, codes={404: ("voucher-not-found",)}),
    },
    summary="A voucher; `Accept: image/svg+xml` or `application/pdf` prints it with a QR code",
)
async def read_voucher(
    code: VoucherCode, request: Request, session: SessionDep, principal: VoucherReaders
) -> Any:
    row = await service.read_voucher(session, principal, code)
    voucher = VoucherOut.of(row)
    kind = voucher_print.wanted(request.headers.get("accept"))
    if kind is None:
        return voucher
    language = negotiate_language(request.headers.get("accept-language"))
    body, media_type = voucher_print.render(voucher_print.Printable.of(voucher), language, kind)
    return Response(body, media_type=media_type, headers={"Cache-Control": "no-store"})


@router.post(
    "/vouchers/{code}/revoke",
    operation_id="revokeVoucher",
    response_model=VoucherOut,
    responses=problem_responses(401, 403, 404, codes={404: ("voucher-not-found",)}),
    summary="Revoke a voucher: its unused tickets go back to the allocation",
)
async def revoke_voucher(code: VoucherCode, session: SessionDep, principal: Issuers) -> VoucherOut:
    return VoucherOut.of(await service.revoke_voucher(session, principal, code))
