"""The scheme catalogue: public to read; admins and the owner region's admin write it."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from app.api.deps import Authorized, SessionDep
from app.api.models import ResponseModel
from app.api.problems import problem_responses
from app.api.round_trip import ReadOnly, check_read_only
from app.domain.access import Principal, Role
from app.domain.schemes import MAX_VERSION
from app.errors import Conflict
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
            "companions, funding, stacking; a group scheme's eligibility names "
            '`{"group": true}`, optionally with `{"organisation_kind": "school"}`, and '
            "`max_group_size` caps one sale on a group card). `owner_region` (a region "
            "code, as GET answers it) or `region_id` names the owner region (omit both "
            "for a platform-wide scheme); the server assigns `version`. PUT also takes "
            "the whole of what GET answers: its `definition` is written, `version` must be "
            "the current one (409 `scheme-version-conflict`) and `code`, `region_id`, "
            "`name`, `summary`, `valid_from` and `valid_until` must be as read (422 "
            "`read-only-field`)."
        ),
        examples=[SCHEME_EXAMPLE],
    ),
]


class Summary(ResponseModel):
    nl: str
    fr: str
    en: str
    de: str


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
    operation_id="createScheme",
    status_code=201,
    response_model=SchemeOut,
    responses=problem_responses(
        401, 403, 409, codes={409: ("already-exists",), 422: ("invalid-scheme",)}
    ),
    summary="Create a scheme (version 1)",
)
async def create_scheme(body: SchemeBody, session: SessionDep, principal: Editor) -> SchemeOut:
    return SchemeOut.of(await service.create_scheme(session, principal, body))


@router.put(
    "/{code}",
    operation_id="updateScheme",
    response_model=SchemeOut,
    responses=problem_responses(
        401,
        403,
        404,
        409,
        codes={409: ("scheme-version-conflict",), 422: ("invalid-scheme", "read-only-field")},
    ),
    summary="Change a scheme: a new version; the old ones stay for the sales that used them",
)
async def put_scheme(
    code: str, body: SchemeBody, session: SessionDep, principal: Editor
) -> SchemeOut:
    definition = body.get("definition")
    if isinstance(definition, dict):
        # The whole of what GET answered: the definition inside is written; the rest is
        # what the server derives, sent back as it was read.
        current = SchemeOut.of(await service.get_scheme(session, code, None))
        if "version" in body and body["version"] != current.version:
            raise Conflict(
                f"Scheme {code} is at version {current.version}, not {body['version']}.",
                code="scheme-version-conflict",
            )
        check_read_only(_Envelope.model_validate(body), current, _ENVELOPE_READ_ONLY)
        body = definition
    stored, _ = await service.new_version(session, principal, code, body)
    return SchemeOut.of(stored)


class _Envelope(BaseModel):
    """A scheme as GET answers it, sent back to PUT."""

    model_config = ConfigDict(extra="allow")

    code: ReadOnly
    region_id: ReadOnly
    name: ReadOnly
    summary: ReadOnly
    valid_from: ReadOnly
    valid_until: ReadOnly


# Derived from the definition: an edit goes into `definition`.
_ENVELOPE_READ_ONLY = ("code", "region_id", "name", "summary", "valid_from", "valid_until")


@router.get(
    "",
    operation_id="listSchemes",
    response_model=SchemeList,
    summary="The catalogue, in plain language",
)
async def list_schemes(session: SessionDep) -> SchemeList:
    return SchemeList(items=[SchemeOut.of(s) for s in await service.list_schemes(session)])


@router.get(
    "/{code}",
    operation_id="getScheme",
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
