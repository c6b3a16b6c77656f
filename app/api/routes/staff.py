"""Staff accounts: people who log in to the web desk and the dashboard (app/web/).

A partner admin (or the region's admin) adds staff to a partner, a region admin to its
region. The answer carries a one-time activation link, shown this once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, BackgroundTasks, Depends, Request, Response
from pydantic import EmailStr, Field

from app.api.deps import Authorized, SessionDep
from app.api.models import Name, RequestModel, ResponseModel, parse_id
from app.api.problems import negotiate_language, problem_responses
from app.domain.access import Principal, Role
from app.domain.mails import activation_mail
from app.i18n import texts
from app.mail import Mailer
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
    activation_mailed: bool = Field(
        description="True when the link is also being mailed to the address (an SMTP "
        "server is configured); the mail is sent after the account is saved"
    )

    @classmethod
    def of(cls, new: NewStaff, request: Request, *, mailed: bool) -> StaffOut:
        staff = new.staff
        return cls(
            id=staff.id,
            name=staff.name,
            email=staff.email,
            role=staff.grant.role.value,
            partner_id=staff.grant.partner_id,
            region_id=staff.grant.region_id,
            created_at=staff.created_at,
            activation_url=activation_url(new, request),
            activation_expires_at=staff.activation_expires_at,
            activation_mailed=mailed,
        )


def activation_url(new: NewStaff, request: Request) -> str:
    base = request.app.state.settings.public_url or str(request.base_url).rstrip("/")
    return f"{base}/activate?token={new.activation_token}"


def mail_activation(new: NewStaff, request: Request, tasks: BackgroundTasks) -> bool:
    """Mails the link when an SMTP server is configured: as a background task, which runs
    after the answer — so after the account is committed. The creator's language, as the
    person who adds a colleague usually shares it."""
    mailer: Mailer | None = request.app.state.mailer
    if mailer is None or new.staff.activation_expires_at is None:
        return False
    message = activation_mail(
        name=new.staff.name,
        email=new.staff.email,
        role=new.staff.grant.role,
        url=activation_url(new, request),
        expires_at=new.staff.activation_expires_at,
        t=texts(negotiate_language(request.headers.get("accept-language"))),
    )
    tasks.add_task(mailer.send, message, kind="staff_activation")
    return True


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
    tasks: BackgroundTasks,
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
    return StaffOut.of(new, request, mailed=mail_activation(new, request, tasks))


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
    tasks: BackgroundTasks,
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
    return StaffOut.of(new, request, mailed=mail_activation(new, request, tasks))


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
