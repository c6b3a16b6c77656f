"""The scheme catalogue: public to read; admins and the owner region's admin write it."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query
from pydantic import Field

from app.api.deps import Authorized, SessionDep
from app.api.models import ResponseModel
from app.api.problems import problem_responses
from app.domain.access import Principal, Role
from app.domain.schemes import MAX_VERSION
from app.services import schemes as service
from app.services.schemes import StoredScheme

router = APIRouter(prefix="/v1/schemes", tags=["schemes"])

Editor = Annotated[Principal, Depends(Authorized(Role.REGION_ADMIN))]

SCHEME_EXAMPLE = {
    "code": "KORTRIJK_KANSENTARIEF",
    "name": {"nl": "Kansentarief", "fr": "Tarif d'opportunité", "en": "Opportunity rate"},
    "region_id": "dbe6c2d8-f9f5-5f27-8ab3-cca346f35689",
    "eligibility": {"entitlement": "kansenstatuut", "in_region": "owner"},
    "applies_to": {"partners": "owner_region"},
    "price": {"type": "pay_percent", "percent": 20},
    "limits": [{"count": 1, "per": "passholder", "scope": "offer", "period": "absolute"}],
    "funding": [{"payer": "partner", "percent": 50}, {"payer": "scheme_owner", "rest": True}],
}
SchemeBody = Annotated[
    dict[str, Any],
    Body(
        description=(
            "A scheme definition as in the design (eligibility, applies_to, price, limits, "
            "companions, funding, stacking). `region_id` names the owner region (omit for a "
            "platform-wide scheme); the server assigns `version`."
        ),
        examples=[SCHEME_EXAMPLE],
    ),
]


class Summary(ResponseModel):
    nl: str
    fr: str
    en: str


class SchemeOut(ResponseModel):
    code: str
    version: int
    region_id: str | None
    name: dict[str, str]
    summary: Summary = Field(description="Who qualifies and what they pay, in plain language")
    valid_from: date | None
    valid_until: date | None
    definition: dict[str, Any]

    @classmethod
    def of(cls, stored: StoredScheme) -> SchemeOut:
        definition = stored.definition
        return cls(
            code=definition.code,
            version=definition.version,
            region_id=stored.region_id,
            name=definition.name.to_dict(),
            summary=Summary(**stored.summary),
            valid_from=definition.valid_from,
            valid_until=definition.valid_until,
            definition=definition.to_dict(),
        )


class SchemeList(ResponseModel):
    items: list[SchemeOut]


@router.post(
    "",
    status_code=201,
    response_model=SchemeOut,
    responses=problem_responses(401, 403, 409),
    summary="Create a scheme (version 1)",
)
async def create_scheme(body: SchemeBody, session: SessionDep, principal: Editor) -> SchemeOut:
    return SchemeOut.of(await service.create_scheme(session, principal, body))


@router.put(
    "/{code}",
    response_model=SchemeOut,
    responses=problem_responses(401, 403, 404, 409),
    summary="Change a scheme: a new version; the old ones stay for the sales that used them",
)
async def put_scheme(
    code: str, body: SchemeBody, session: SessionDep, principal: Editor
) -> SchemeOut:
    stored, _ = await service.new_version(session, principal, code, body)
    return SchemeOut.of(stored)


@router.get("", response_model=SchemeList, summary="The catalogue, in plain language")
async def list_schemes(session: SessionDep) -> SchemeList:
    return SchemeList(items=[SchemeOut.of(s) for s in await service.list_schemes(session)])


@router.get(
    "/{code}",
    response_model=SchemeOut,
    responses=problem_responses(404),
    summary="One scheme: its newest version, or the one asked for",
)
async def get_scheme(
    code: str,
    session: SessionDep,
    version: Annotated[int | None, Query(ge=1, le=MAX_VERSION)] = None,
) -> SchemeOut:
    return SchemeOut.of(await service.get_scheme(session, code, version))
