"""Staff accounts: people who log in to the web desk and the dashboard (app/web/).

A partner admin (or the region's admin) adds staff to a partner, a region admin to its
region. The answer carries a one-time activation link, shown this once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request, Response
from pydantic import EmailStr, Field

from app.api.deps import Authorized, SessionDep
from app.api.models import Name, RequestModel, ResponseModel, parse_id
from app.api.problems import problem_responses
from app.domain.access import Principal, Role
from app.services import staff as service
from app.services.staff import NewStaff

router = APIRouter(prefix="/v1", tags=["staff"])

PartnerStaffCreator = Annotated[Principal, Depends(Authorized(*service.PARTNER_STAFF_CREATORS))]
RegionStaffCreator = Annotated[Principal, Depends(Authorized(*service.REGION_STAFF_CREATORS))]


class PartnerStaffIn(RequestModel):
    name: Name
    email: Annotated[EmailStr, Field(max_length=254)]
    role: Literal["desk", "partner_admin"]


class RegionStaffIn(RequestModel):
    name: Name
    email: Annotated[EmailStr, Field(max_length=254)]
    role: Literal["region_admin", "reporter", "registry"]


class StaffOut(ResponseModel):
    id: str
    name: str
    email: str
    role: str
    partner_id: str | None
    region_id: str | None
    created_at: datetime
    activation_url: str = Field(
        description="The one-time link that sets the password; shown only in this answer, "
        "valid for 7 days"
    )
    activation_expires_at: datetime | None

    @classmethod
    def of(cls, new: NewStaff, request: Request) -> StaffOut:
        staff = new.staff
        return cls(
            id=staff.id,
            name=staff.name,
            email=staff.email,
            role=staff.grant.role.value,
            partner_id=staff.grant.partner_id,
            region_id=staff.grant.region_id,
            created_at=staff.created_at,
            activation_url=f"{request.base_url}activate?token={new.activation_token}",
            activation_expires_at=staff.activation_expires_at,
        )


@router.post(
    "/partners/{partner_id}/staff",
    operation_id="createPartnerStaff",
    status_code=201,
    response_model=StaffOut,
    responses=problem_responses(401, 403, 404, 409, codes={409: ("already-exists",)}),
    summary="Add a person to a partner's staff (desk or partner_admin)",
)
async def create_partner_staff(
    partner_id: str,
    body: PartnerStaffIn,
    request: Request,
    session: SessionDep,
    principal: PartnerStaffCreator,
) -> StaffOut:
    new = await service.create_staff(
        session,
        principal,
        name=body.name,
        email=str(body.email),
        role=Role(body.role),
        partner_id=str(parse_id(partner_id, "partner")),
    )
    return StaffOut.of(new, request)


@router.post(
    "/regions/{region_id}/staff",
    operation_id="createRegionStaff",
    status_code=201,
    response_model=StaffOut,
    responses=problem_responses(401, 403, 404, 409, codes={409: ("already-exists",)}),
    summary="Add a person to a region's staff (region_admin, reporter or registry)",
)
async def create_region_staff(
    region_id: str,
    body: RegionStaffIn,
    request: Request,
    session: SessionDep,
    principal: RegionStaffCreator,
) -> StaffOut:
    new = await service.create_staff(
        session,
        principal,
        name=body.name,
        email=str(body.email),
        role=Role(body.role),
        region_id=str(parse_id(region_id, "region")),
    )
    return StaffOut.of(new, request)


@router.post(
    "/staff/{staff_id}/deactivate",
    operation_id="deactivateStaff",
    status_code=204,
    responses=problem_responses(401, 403, 404),
    summary="Deactivate a staff member: every session of theirs ends at once",
)
async def deactivate_staff(
    staff_id: str, session: SessionDep, principal: PartnerStaffCreator
) -> Response:
    await service.deactivate_staff(session, principal, staff_id)
    return Response(status_code=204)
