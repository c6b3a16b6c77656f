"""Partners: created by an admin or the region's admin."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import Field

from app.api.deps import Authorized, SessionDep
from app.api.models import (
    Name,
    RequestModel,
    ResponseModel,
    StrictInt,
    parse_id,
    parse_reference,
)
from app.api.problems import problem_responses
from app.db.partners import PartnerRow
from app.domain.access import Principal, Tenant
from app.services import partners as service
from app.services.access import ensure

router = APIRouter(prefix="/v1/partners", tags=["partners"])

Category = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]{1,39}$")]
CREATORS = service.CREATORS


class PartnerIn(RequestModel):
    name: Name
    region_id: Annotated[str, Field(max_length=64)]
    municipality_nis: Annotated[str, Field(pattern=r"^[0-9]{5}$")]
    categories: Annotated[list[Category], Field(max_length=20)] = Field(default_factory=list)
    cancellation_window_hours: Annotated[StrictInt, Field(ge=0, le=24 * 365)] = Field(
        default=168,
        description=(
            "How long after a sale the desk may cancel it (giving its usage and budget back);"
            " 0: no cancellations. A hold can always be released before it lapses."
        ),
    )


class PartnerOut(ResponseModel):
    id: str
    name: str
    region_id: str
    municipality_nis: str
    categories: list[str]
    cancellation_window_hours: int
    created_at: datetime

    @classmethod
    def of(cls, row: PartnerRow) -> PartnerOut:
        return cls(
            id=row.id,
            name=row.name,
            region_id=row.region_id,
            municipality_nis=row.municipality_nis,
            categories=list(row.categories),
            cancellation_window_hours=row.cancellation_window_hours,
            created_at=row.created_at,
        )


@router.post(
    "",
    status_code=201,
    response_model=PartnerOut,
    responses=problem_responses(401, 403, 404, 413, 422),
    summary="Register a partner in a region",
)
async def create_partner(
    body: PartnerIn,
    session: SessionDep,
    principal: Annotated[Principal, Depends(Authorized(*CREATORS))],
) -> PartnerOut:
    region_id = uuid.UUID(parse_reference(body.region_id, pointer="/region_id"))
    ensure(principal, CREATORS, Tenant(region_id=str(region_id)), hide=False)
    row = await service.create_partner(
        session,
        name=body.name,
        region_id=region_id,
        municipality_nis=body.municipality_nis,
        categories=body.categories,
        cancellation_window_hours=body.cancellation_window_hours,
    )
    return PartnerOut.of(row)


@router.get(
    "/{partner_id}",
    response_model=PartnerOut,
    responses=problem_responses(401, 403, 404),
    summary="Get one partner",
)
async def get_partner(
    partner_id: str,
    session: SessionDep,
    principal: Annotated[Principal, Depends(Authorized(*service.READERS))],
) -> PartnerOut:
    return PartnerOut.of(
        await service.read_partner(session, principal, parse_id(partner_id, "partner"))
    )
