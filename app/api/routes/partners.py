"""Partners: created by an admin or the region's admin."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import ConfigDict, Field

from app.api.deps import Authorized, SessionDep
from app.api.models import (
    ID_SCHEMA,
    MAX_PAGE_SIZE,
    IdText,
    Name,
    RequestModel,
    ResponseModel,
    StrictInt,
    decode_cursor,
    encode_cursor,
    invalid_cursor,
    not_null,
    parse_id,
    parse_reference,
)
from app.api.problems import problem_responses
from app.api.round_trip import ReadOnly, check_read_only
from app.db.partners import PartnerRow
from app.domain.access import Principal, Tenant
from app.errors import Unprocessable
from app.services import partners as service
from app.services.access import ensure

router = APIRouter(prefix="/v1/partners", tags=["partners"])

Category = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]{1,39}$")]
CREATORS = service.CREATORS


class PartnerIn(RequestModel):
    name: Name
    region_id: IdText
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
    archived_at: datetime | None = Field(
        description="When the partner was archived: none of its offers sells any more"
    )

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
            archived_at=row.archived_at,
        )


PARTNER_EXAMPLE = {
    "id": "0c9d7a4e-2f35-4b8e-a1e2-7d4c6b9f0a23",
    "name": "Schouwburg Kortrijk",
    "region_id": "dbe6c2d8-f9f5-5f27-8ab3-cca346f35689",
    "municipality_nis": "34022",
    "categories": ["podium"],
    "cancellation_window_hours": 168,
    "created_at": "2026-12-04T09:30:00Z",
    "archived_at": None,
}


def _example(example: object) -> dict[int | str, Any]:
    return {
        200: {
            "description": "Successful response",
            "content": {"application/json": {"example": example}},
        }
    }


class PartnerPatch(RequestModel):
    """Any of a partner's fields; a partner as GET answers it may be sent back whole, with
    its read-only fields unchanged."""

    model_config = ConfigDict(
        json_schema_extra=not_null(
            "name", "municipality_nis", "categories", "cancellation_window_hours"
        )
    )

    name: Name | None = None
    municipality_nis: Annotated[str, Field(pattern=r"^[0-9]{5}$")] | None = None
    categories: Annotated[list[Category], Field(max_length=20)] | None = None
    cancellation_window_hours: Annotated[StrictInt, Field(ge=0, le=24 * 365)] | None = None
    id: ReadOnly
    region_id: ReadOnly
    created_at: ReadOnly
    archived_at: ReadOnly


PARTNER_READ_ONLY = ("id", "region_id", "created_at", "archived_at")


class PartnerPage(ResponseModel):
    items: list[PartnerOut]
    next_cursor: str | None


_ROLES = "Roles: `admin`; `region_admin` of the partner's region."


@router.post(
    "",
    operation_id="createPartner",
    status_code=201,
    response_model=PartnerOut,
    responses=problem_responses(401, 403, 404, 413, 422, codes={409: ("region-archived",)}),
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
    operation_id="getPartner",
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


@router.get(
    "",
    response_model=PartnerPage,
    operation_id="listPartners",
    responses={
        **problem_responses(401, 403, 422),
        **_example({"items": [PARTNER_EXAMPLE], "next_cursor": None}),
    },
    summary="List and search partners, by name",
    description=(
        "Partners by name, filtered by `region_id`, a part of the name (`q`, any case) and"
        " `status` (active, the default; archived; all); paged with `cursor`. Roles:"
        " `admin` (every region); `region_admin` (its region); `partner_admin` and `desk`"
        " (their own partner)."
    ),
)
async def list_partners(
    session: SessionDep,
    principal: Annotated[Principal, Depends(Authorized(*service.READERS))],
    region_id: Annotated[
        str | None, Query(min_length=1, max_length=64, json_schema_extra=ID_SCHEMA)
    ] = None,
    q: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    status: Annotated[Literal["active", "archived", "all"], Query()] = "active",
    cursor: Annotated[str | None, Query(max_length=600)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 100,
) -> PartnerPage:
    position = decode_cursor(cursor, {"name": str, "id": str})
    after = None
    if position is not None:
        try:
            after = (position["name"], uuid.UUID(position["id"]))
        except ValueError:
            raise invalid_cursor() from None
    page = await service.list_partners(
        session,
        principal,
        region_id=parse_reference(region_id, parameter="region_id") if region_id else None,
        name_contains=q,
        status=status,
        after=after,
        limit=limit,
    )
    last = page.next_after
    return PartnerPage(
        items=[PartnerOut.of(row) for row in page.items],
        next_cursor=None if last is None else encode_cursor({"name": last[0], "id": last[1]}),
    )


@router.patch(
    "/{partner_id}",
    response_model=PartnerOut,
    operation_id="updatePartner",
    responses={
        **problem_responses(401, 403, 404, 422, codes={422: ("read-only-field",)}),
        **_example(PARTNER_EXAMPLE),
    },
    summary="Change a partner (what GET answers may be sent back with one field edited)",
    description=(
        "Any of `name`, `municipality_nis` (in the partner's region), `categories` and"
        " `cancellation_window_hours`. The read-only fields (`id`, `region_id`,"
        " `created_at`, `archived_at`) are accepted unchanged and refused changed (422"
        " `read-only-field`). " + _ROLES
    ),
)
async def update_partner(
    partner_id: str,
    body: PartnerPatch,
    session: SessionDep,
    principal: Annotated[Principal, Depends(Authorized(*CREATORS))],
) -> PartnerOut:
    key = parse_id(partner_id, "partner")
    current = PartnerOut.of(await service.read_partner(session, principal, key))
    check_read_only(body, current, PARTNER_READ_ONLY)
    sent = body.model_fields_set - set(PARTNER_READ_ONLY)
    for name in sent:
        if getattr(body, name) is None:
            raise Unprocessable(
                f"{name} cannot be removed.",
                extra={"errors": [{"pointer": f"/{name}", "detail": "may not be null"}]},
            )
    changes = {name: getattr(body, name) for name in sent}
    return PartnerOut.of(await service.update_partner(session, principal, key, changes))


@router.post(
    "/{partner_id}/archive",
    response_model=PartnerOut,
    operation_id="archivePartner",
    responses={
        **problem_responses(401, 403, 404),
        **_example({**PARTNER_EXAMPLE, "archived_at": "2026-12-04T14:00:00Z"}),
    },
    summary="Archive a partner: its history stays, none of its offers sells",
    description=(
        "Quotes, sales and check-ins on the partner's offers answer 409 `partner-archived`;"
        " its sales and settlement are kept. Archiving again keeps the first moment. " + _ROLES
    ),
)
async def archive_partner(
    partner_id: str,
    session: SessionDep,
    principal: Annotated[Principal, Depends(Authorized(*CREATORS))],
) -> PartnerOut:
    key = parse_id(partner_id, "partner")
    return PartnerOut.of(await service.archive_partner(session, principal, key))
