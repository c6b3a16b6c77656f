"""Regions and their municipalities: created by an admin, readable by anyone."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import ConfigDict, Field, StrictBool, field_validator, model_validator

from app.api.deps import Authorized, SessionDep
from app.api.models import (
    MAX_PAGE_SIZE,
    Name,
    Page,
    RequestModel,
    ResponseModel,
    StrictInt,
    decode_cursor,
    encode_cursor,
    not_null,
    parse_id,
)
from app.api.problems import problem_responses
from app.api.round_trip import ReadOnly, check_read_only
from app.db.regions import MunicipalityRow, RegionRow
from app.domain.access import Principal, Role
from app.errors import Unprocessable
from app.services import regions as service

router = APIRouter(prefix="/v1/regions", tags=["regions"])

NisCode = Annotated[str, Field(pattern=r"^[0-9]{5}$", description="5-digit NIS code")]
PostalCode = Annotated[str, Field(pattern=r"^[1-9][0-9]{3}$", description="Belgian postal code")]
RegionCode = Annotated[
    str, Field(pattern=r"^[A-Z][A-Z0-9_]{1,31}$", description="Stable upper snake case code")
]


class MunicipalityIn(RequestModel):
    nis_code: NisCode
    name: Name
    # `uniqueItems` says in the document what `_distinct` checks.
    postal_codes: Annotated[
        list[PostalCode],
        Field(min_length=1, max_length=50, json_schema_extra={"uniqueItems": True}),
    ]

    @field_validator("postal_codes")
    @classmethod
    def _distinct(cls, codes: list[str]) -> list[str]:
        if len(set(codes)) != len(codes):
            raise ValueError("postal codes must not repeat")
        return codes


class RegionIn(RequestModel):
    code: RegionCode
    name: Name
    municipalities: Annotated[list[MunicipalityIn], Field(min_length=1, max_length=400)]
    status_grace_days: Annotated[StrictInt, Field(ge=0, le=365)] = 0
    default_status_end: Annotated[
        str,
        Field(
            pattern=r"^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$",
            description="MM-DD: a new kansenstatuut ends on this day of next year by default",
        ),
    ] = "04-30"
    end_statuses_on_move: StrictBool = Field(
        default=True,
        description=(
            "A move to another region (POST /v1/passholders/{id}/move) ends this region's "
            "statuses of the person on the day of the move; false keeps them as they are"
        ),
    )

    @field_validator("default_status_end")
    @classmethod
    def _real_day(cls, value: str) -> str:
        month, day = (int(part) for part in value.split("-"))
        date(2001, month, day)  # raises for 02-30; 02-29 is refused, it is not yearly
        return value

    @model_validator(mode="after")
    def _distinct_municipalities(self) -> RegionIn:
        seen: set[str] = set()
        for muni in self.municipalities:
            if muni.nis_code in seen:
                raise ValueError(f"municipality {muni.nis_code} is listed twice")
            seen.add(muni.nis_code)
        return self


class MunicipalityOut(ResponseModel):
    nis_code: str
    name: str
    postal_codes: list[str]


class RegionOut(ResponseModel):
    id: str
    code: str
    name: str
    status_grace_days: int
    default_status_end: str
    end_statuses_on_move: bool
    municipalities: list[MunicipalityOut]
    created_at: datetime
    archived_at: datetime | None = Field(
        description="When the region was archived: its history stays, it gets no new partners"
    )

    @classmethod
    def of(cls, row: RegionRow) -> RegionOut:
        return cls(
            id=row.id,
            code=row.code,
            name=row.name,
            status_grace_days=row.status_grace_days,
            default_status_end=row.default_status_end,
            end_statuses_on_move=row.end_statuses_on_move,
            municipalities=[
                MunicipalityOut(nis_code=m.nis_code, name=m.name, postal_codes=list(m.postal_codes))
                for m in row.municipalities
            ],
            created_at=row.created_at,
            archived_at=row.archived_at,
        )


REGION_EXAMPLE = {
    "id": "dbe6c2d8-f9f5-5f27-8ab3-cca346f35689",
    "code": "KORTRIJK",
    "name": "Regio Kortrijk",
    "status_grace_days": 30,
    "default_status_end": "04-30",
    "end_statuses_on_move": True,
    "municipalities": [{"nis_code": "34022", "name": "Kortrijk", "postal_codes": ["8500"]}],
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


class RegionPatch(RequestModel):
    """A region's name and settings; a region as GET answers it may be sent back whole,
    with its read-only fields (its code and municipalities among them) unchanged."""

    model_config = ConfigDict(
        json_schema_extra=not_null(
            "name", "status_grace_days", "default_status_end", "end_statuses_on_move"
        )
    )

    name: Name | None = None
    status_grace_days: Annotated[StrictInt, Field(ge=0, le=365)] | None = None
    default_status_end: (
        Annotated[str, Field(pattern=r"^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")] | None
    ) = None
    end_statuses_on_move: StrictBool | None = None
    id: ReadOnly
    code: ReadOnly
    municipalities: ReadOnly
    created_at: ReadOnly
    archived_at: ReadOnly

    @field_validator("default_status_end")
    @classmethod
    def _real_day(cls, value: str | None) -> str | None:
        return value if value is None else RegionIn._real_day(value)


REGION_READ_ONLY = ("id", "code", "municipalities", "created_at", "archived_at")


@router.post(
    "",
    operation_id="createRegion",
    status_code=201,
    response_model=RegionOut,
    responses=problem_responses(
        401, 403, 409, 413, 422, codes={409: ("already-exists", "municipality-taken")}
    ),
    summary="Create a region with its municipalities",
)
async def create_region(
    body: RegionIn,
    session: SessionDep,
    _: Annotated[Principal, Depends(Authorized(Role.ADMIN))],
) -> RegionOut:
    row = await service.create_region(
        session,
        code=body.code,
        name=body.name,
        status_grace_days=body.status_grace_days,
        default_status_end=body.default_status_end,
        end_statuses_on_move=body.end_statuses_on_move,
        municipality_rows=[
            MunicipalityRow(m.nis_code, m.name, tuple(m.postal_codes)) for m in body.municipalities
        ],
    )
    return RegionOut.of(row)


@router.get(
    "",
    operation_id="listRegions",
    response_model=Page[RegionOut],
    responses=problem_responses(422),
    summary="List regions",
)
async def list_regions(
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 100,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Page[RegionOut]:
    position = decode_cursor(cursor, {"code": str})
    rows = await service.list_regions(
        session, after_code=position["code"] if position else None, limit=limit + 1
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return Page[RegionOut](
        items=[RegionOut.of(row) for row in rows],
        next_cursor=encode_cursor({"code": rows[-1].code}) if more else None,
    )


@router.get(
    "/{region_id}",
    operation_id="getRegion",
    response_model=RegionOut,
    responses=problem_responses(404),
    summary="Get one region",
)
async def get_region(region_id: str, session: SessionDep) -> RegionOut:
    return RegionOut.of(await service.get_region(session, parse_id(region_id, "region")))


@router.patch(
    "/{region_id}",
    response_model=RegionOut,
    operation_id="updateRegion",
    responses={
        **problem_responses(401, 403, 404, 422, codes={422: ("read-only-field",)}),
        **_example(REGION_EXAMPLE),
    },
    summary="Change a region's name or settings",
    description=(
        "Any of `name`, `status_grace_days`, `default_status_end` and"
        " `end_statuses_on_move`. The read-only fields (`id`, `code`, `municipalities`,"
        " `created_at`, `archived_at`) are accepted unchanged and refused changed (422"
        " `read-only-field`); municipalities are added with `openpas regions import`."
        " Roles: `admin`; `region_admin` of the region."
    ),
)
async def update_region(
    region_id: str,
    body: RegionPatch,
    session: SessionDep,
    principal: Annotated[Principal, Depends(Authorized(Role.REGION_ADMIN))],
) -> RegionOut:
    key = parse_id(region_id, "region")
    current = RegionOut.of(await service.get_region(session, key))
    check_read_only(body, current, REGION_READ_ONLY)
    sent = body.model_fields_set - set(REGION_READ_ONLY)
    for name in sent:
        if getattr(body, name) is None:
            raise Unprocessable(
                f"{name} cannot be removed.",
                extra={"errors": [{"pointer": f"/{name}", "detail": "may not be null"}]},
            )
    changes = {name: getattr(body, name) for name in sent}
    return RegionOut.of(await service.update_region(session, principal, key, changes))


@router.post(
    "/{region_id}/archive",
    response_model=RegionOut,
    operation_id="archiveRegion",
    responses={
        **problem_responses(401, 403, 404),
        **_example({**REGION_EXAMPLE, "archived_at": "2026-12-04T14:00:00Z"}),
    },
    summary="Archive a region: its history stays; it gets no new partners",
    description=(
        "A partner registered in an archived region answers 409 `region-archived`."
        " Archiving again keeps the first moment. Roles: `admin`."
    ),
)
async def archive_region(
    region_id: str,
    session: SessionDep,
    principal: Annotated[Principal, Depends(Authorized(Role.ADMIN))],
) -> RegionOut:
    key = parse_id(region_id, "region")
    return RegionOut.of(await service.archive_region(session, principal, key))
