"""Offers: created by the partner, public to read, with a public price list."""

from __future__ import annotations

import hashlib
import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import ConfigDict, Field, StrictBool, field_validator

from app.api.deps import Authorized, SessionDep
from app.api.models import (
    ID_SCHEMA,
    MAX_PAGE_SIZE,
    IsoDate,
    Moment,
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
    require_to_after_from,
)
from app.api.problems import negotiate_language, problem_responses
from app.api.round_trip import ReadOnly, check_read_only
from app.db.offers import OfferRow, PriceClassRow
from app.domain.access import Principal, Role
from app.domain.validation import MAX_CENTS
from app.errors import Unprocessable
from app.services import offers as service

router = APIRouter(prefix="/v1", tags=["offers"])

Editors = Annotated[Principal, Depends(Authorized(Role.PARTNER_ADMIN, Role.REGION_ADMIN))]

Code = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")]
OPEN_PRICE = (
    "Sold at the regular price the desk gives with each quote and sale line"
    " (`regular_price_cents`), for partner ticketing that prices seats itself; the schemes"
    " compute their tariffs from that price. A price class's `price_cents` is then the"
    " price its public price list shows."
)
MAX_PRICE = (
    "With `open_price` (required there, above 0; null otherwise): the highest regular price"
    " a quote or sale line may give, so that a partner cannot raise what a scheme's funders"
    " pay back. Price classes' prices stay within it."
)
MaxPrice = Annotated[StrictInt, Field(ge=0, le=MAX_CENTS, description=MAX_PRICE)]
Category = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]{1,39}$")]


class PriceClassIn(RequestModel):
    code: Code
    label: Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f]+$")]
    price_cents: Annotated[StrictInt, Field(ge=0, le=MAX_CENTS)]


class OfferIn(RequestModel):
    title: Name
    category: Category
    kind: Literal["one_off", "period", "permanent"]
    starts_at: Moment | None = None
    ends_at: Moment | None = None
    price_classes: Annotated[list[PriceClassIn], Field(min_length=1, max_length=20)]
    external_ref: Annotated[str, Field(max_length=100, pattern=r"^[^\x00-\x1f\x7f]+$")] | None = (
        Field(default=None, description="e.g. an UiTdatabank event id")
    )
    open_price: StrictBool = Field(default=False, description=OPEN_PRICE)
    max_price_cents: MaxPrice | None = None

    @field_validator("price_classes")
    @classmethod
    def _distinct_codes(cls, classes: list[PriceClassIn]) -> list[PriceClassIn]:
        if len({pc.code for pc in classes}) != len(classes):
            raise ValueError("price class codes must not repeat")
        return classes


class PriceClassOut(ResponseModel):
    code: str
    label: str
    price_cents: int


class OfferOut(ResponseModel):
    id: str
    partner_id: str
    partner_name: str
    title: str
    category: str
    kind: str
    starts_at: datetime | None
    ends_at: datetime | None
    external_ref: str | None
    price_classes: list[PriceClassOut]
    open_price: bool = Field(description=OPEN_PRICE)
    max_price_cents: int | None = Field(description=MAX_PRICE)
    created_at: datetime
    archived_at: datetime | None = Field(
        description="When the offer was archived: it keeps its history but is not sold"
    )

    @classmethod
    def of(cls, row: OfferRow) -> OfferOut:
        return cls(
            id=row.id,
            partner_id=row.partner_id,
            partner_name=row.partner_name,
            title=row.title,
            category=row.category,
            kind=row.kind,
            starts_at=row.starts_at,
            ends_at=row.ends_at,
            external_ref=row.external_ref,
            price_classes=[
                PriceClassOut(code=pc.code, label=pc.label, price_cents=pc.price_cents)
                for pc in row.price_classes
            ],
            open_price=row.open_price,
            max_price_cents=row.max_price_cents,
            created_at=row.created_at,
            archived_at=row.archived_at,
        )


OFFER_EXAMPLE = {
    "id": "5b0f7c1e-8d7a-4a53-9e47-0f6f3b2d9c11",
    "partner_id": "0c9d7a4e-2f35-4b8e-a1e2-7d4c6b9f0a23",
    "partner_name": "Schouwburg Kortrijk",
    "title": "De kersentuin",
    "category": "podium",
    "kind": "one_off",
    "starts_at": "2027-03-14T20:00:00Z",
    "ends_at": None,
    "external_ref": None,
    "price_classes": [{"code": "standard", "label": "Standaard", "price_cents": 2200}],
    "open_price": False,
    "max_price_cents": None,
    "created_at": "2026-12-04T09:30:00Z",
    "archived_at": None,
}


def _example(example: object, description: str = "Successful response") -> dict[int | str, Any]:
    return {
        200: {"description": description, "content": {"application/json": {"example": example}}}
    }


class OfferPatch(RequestModel):
    """Any of an offer's fields; an offer as GET answers it may be sent back whole, with
    its read-only fields unchanged."""

    model_config = ConfigDict(
        json_schema_extra=not_null("title", "category", "kind", "price_classes")
    )

    title: Name | None = None
    category: Category | None = None
    kind: Literal["one_off", "period", "permanent"] | None = None
    starts_at: Moment | None = None
    ends_at: Moment | None = None
    price_classes: Annotated[list[PriceClassIn], Field(min_length=1, max_length=20)] | None = None
    external_ref: Annotated[str, Field(max_length=100, pattern=r"^[^\x00-\x1f\x7f]+$")] | None = (
        None
    )
    open_price: StrictBool | None = Field(default=None, description=OPEN_PRICE)
    max_price_cents: MaxPrice | None = None
    id: ReadOnly
    partner_id: ReadOnly
    partner_name: ReadOnly
    created_at: ReadOnly
    archived_at: ReadOnly

    @field_validator("price_classes")
    @classmethod
    def _distinct_codes(cls, classes: list[PriceClassIn] | None) -> list[PriceClassIn] | None:
        if classes is not None and len({pc.code for pc in classes}) != len(classes):
            raise ValueError("price class codes must not repeat")
        return classes


OFFER_READ_ONLY = ("id", "partner_id", "partner_name", "created_at", "archived_at")
# Fields that have no "none": sent as null they are refused, not cleared.
_REQUIRED = ("title", "category", "kind", "price_classes", "open_price")


class OfferPage(ResponseModel):
    items: list[OfferOut]
    next_cursor: str | None


OfferStatus = Literal["active", "archived", "all"]


def _query(
    category: str | None, status: str, from_date: date | None, to_date: date | None
) -> service.OfferQuery:
    if from_date is not None and to_date is not None:
        require_to_after_from(from_date, to_date)
    return service.OfferQuery(
        category=category, status=status, from_date=from_date, to_date=to_date
    )


def _after(cursor: str | None) -> tuple[datetime, uuid.UUID] | None:
    position = decode_cursor(cursor, {"at": str, "id": str})
    if position is None:
        return None
    try:
        return datetime.fromisoformat(position["at"]), uuid.UUID(position["id"])
    except ValueError:
        raise invalid_cursor() from None


def _page(page: service.OfferPage) -> OfferPage:
    after = page.next_after
    return OfferPage(
        items=[OfferOut.of(row) for row in page.items],
        next_cursor=None
        if after is None
        else encode_cursor({"at": after[0].isoformat(), "id": after[1]}),
    )


ListReaders = Annotated[
    Principal, Depends(Authorized(Role.REGION_ADMIN, Role.PARTNER_ADMIN, Role.DESK))
]
CategoryQuery = Annotated[str | None, Query(pattern=r"^[a-z][a-z0-9_-]{1,39}$")]
StatusQuery = Annotated[
    OfferStatus, Query(description="active (not archived, the default), archived or all")
]
FromQuery = Annotated[
    IsoDate | None,
    Query(alias="from", description="Offers running on or after this day (Brussels)"),
]
ToQuery = Annotated[
    IsoDate | None, Query(alias="to", description="Offers starting before this day (Brussels)")
]
CursorQuery = Annotated[str | None, Query(max_length=300)]
LimitQuery = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)]

_LIST_ROLES = (
    "Roles: `admin`; `region_admin` of the partner's region; `partner_admin` and `desk` of"
    " the partner."
)


@router.get(
    "/partners/{partner_id}/offers",
    response_model=OfferPage,
    operation_id="listPartnerOffers",
    responses={
        **problem_responses(401, 403, 404, 422),
        **_example({"items": [OFFER_EXAMPLE], "next_cursor": None}),
    },
    summary="A partner's offers, by start date, with filters",
    description=(
        "The offers of one partner, those without a date first, then by start; filtered by"
        " `category`, `status` and the period [`from`, `to`) in which they run (an offer"
        " without dates runs in every period). Paged with `cursor`. "
        + _LIST_ROLES
        + " Another region's partner is not found (404)."
    ),
)
async def list_partner_offers(
    partner_id: str,
    session: SessionDep,
    principal: ListReaders,
    category: CategoryQuery = None,
    status: StatusQuery = "active",
    from_date: FromQuery = None,
    to_date: ToQuery = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = 100,
) -> OfferPage:
    page = await service.partner_offers(
        session,
        principal,
        parse_id(partner_id, "partner"),
        _query(category, status, from_date, to_date),
        after=_after(cursor),
        limit=limit,
    )
    return _page(page)


@router.get(
    "/offers",
    response_model=OfferPage,
    operation_id="listOffers",
    responses={
        **problem_responses(401, 403, 422),
        **_example({"items": [OFFER_EXAMPLE], "next_cursor": None}),
    },
    summary="The offers of a region's partners, by start date, with filters",
    description=(
        "The offers of every partner of `region_id`, filtered and paged as a partner's"
        " offers are. Roles: `admin`; `region_admin` of the region; `partner_admin` and"
        " `desk` see their own partner's offers in it."
    ),
)
async def list_offers(
    session: SessionDep,
    principal: ListReaders,
    region_id: Annotated[str, Query(min_length=1, max_length=64, json_schema_extra=ID_SCHEMA)],
    category: CategoryQuery = None,
    status: StatusQuery = "active",
    from_date: FromQuery = None,
    to_date: ToQuery = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = 100,
) -> OfferPage:
    page = await service.region_offers(
        session,
        principal,
        uuid.UUID(parse_reference(region_id, parameter="region_id")),
        _query(category, status, from_date, to_date),
        after=_after(cursor),
        limit=limit,
    )
    return _page(page)


@router.patch(
    "/offers/{offer_id}",
    response_model=OfferOut,
    operation_id="updateOffer",
    responses={
        **problem_responses(
            401,
            403,
            404,
            422,
            codes={403: ("open-price-needs-region",), 422: ("read-only-field",)},
        ),
        **_example(OFFER_EXAMPLE),
    },
    summary="Change an offer (what GET answers may be sent back with one field edited)",
    description=(
        "Any of `title`, `category`, `kind`, `starts_at`, `ends_at`, `external_ref`,"
        " `open_price`, `max_price_cents` and `price_classes` (replaced as a whole; sales"
        " keep what they were sold at). Setting `open_price` to false drops the maximum;"
        " opening the price or raising `max_price_cents` takes the region's admin (403"
        " `open-price-needs-region`), lowering or closing it the partner's may. The"
        " read-only fields (`id`, `partner_id`, `partner_name`, `created_at`,"
        " `archived_at`) are accepted unchanged and refused changed (422"
        " `read-only-field`). Roles: `admin`; `partner_admin` of the offer's partner;"
        " `region_admin` of its region."
    ),
)
async def update_offer(
    offer_id: str, body: OfferPatch, session: SessionDep, principal: Editors
) -> OfferOut:
    current = OfferOut.of(await service.read_offer(session, offer_id))
    check_read_only(body, current, OFFER_READ_ONLY)
    sent = body.model_fields_set - set(OFFER_READ_ONLY)
    for name in _REQUIRED:
        if name in sent and getattr(body, name) is None:
            raise Unprocessable(
                f"{name} cannot be removed.",
                extra={"errors": [{"pointer": f"/{name}", "detail": "may not be null"}]},
            )
    changes = {name: getattr(body, name) for name in sent if name != "price_classes"}
    classes = (
        None
        if body.price_classes is None
        else tuple(PriceClassRow(pc.code, pc.label, pc.price_cents) for pc in body.price_classes)
    )
    return OfferOut.of(await service.update_offer(session, principal, offer_id, changes, classes))


@router.post(
    "/offers/{offer_id}/archive",
    response_model=OfferOut,
    operation_id="archiveOffer",
    responses={
        **problem_responses(401, 403, 404),
        **_example({**OFFER_EXAMPLE, "archived_at": "2026-12-04T14:00:00Z"}),
    },
    summary="Archive an offer: it keeps its history and is no longer quoted or sold",
    description=(
        "Quotes, sales (on a card or a voucher) and check-ins on an archived offer answer"
        " 409 `offer-archived`; its sales and settlement are kept and still list it."
        " Archiving again keeps the first moment. Roles: `admin`; `partner_admin` of the"
        " offer's partner; `region_admin` of its region."
    ),
)
async def archive_offer(offer_id: str, session: SessionDep, principal: Editors) -> OfferOut:
    return OfferOut.of(await service.archive_offer(session, principal, offer_id))


@router.post(
    "/partners/{partner_id}/offers",
    operation_id="createOffer",
    status_code=201,
    response_model=OfferOut,
    responses=problem_responses(
        401,
        403,
        404,
        422,
        codes={403: ("open-price-needs-region",), 409: ("partner-archived",)},
    ),
    summary="Add an offer with its price classes",
    description=(
        "An offer with `open_price` is created by the region's admin (or the admin), not by"
        " the partner: its `max_price_cents` bounds what the region's schemes pay back (403"
        " `open-price-needs-region`)."
    ),
)
async def create_offer(
    partner_id: str,
    body: OfferIn,
    session: SessionDep,
    principal: Editors,
) -> OfferOut:
    row = await service.create_offer(
        session,
        principal,
        partner_id,
        service.NewOffer(
            title=body.title,
            category=body.category,
            kind=body.kind,
            starts_at=body.starts_at,
            ends_at=body.ends_at,
            external_ref=body.external_ref,
            price_classes=tuple(
                PriceClassRow(pc.code, pc.label, pc.price_cents) for pc in body.price_classes
            ),
            open_price=body.open_price,
            max_price_cents=body.max_price_cents,
        ),
    )
    return OfferOut.of(row)


@router.get(
    "/offers/{offer_id}",
    operation_id="getOffer",
    response_model=OfferOut,
    responses=problem_responses(404),
    summary="One offer (public)",
)
async def get_offer(offer_id: str, session: SessionDep) -> OfferOut:
    return OfferOut.of(await service.read_offer(session, offer_id))


class SchemePrice(ResponseModel):
    scheme_code: str
    scheme_version: int
    label: str
    unit_price_cents: int
    discount_cents: int
    who: str = Field(description="Who qualifies, in plain language")
    companion_max: int
    companion_unit_price_cents: int | None


class ClassPrices(ResponseModel):
    price_class: str
    label: str
    regular_price_cents: int
    tariffs: list[SchemePrice]


class OfferPrices(ResponseModel):
    offer_id: str
    language: str
    price_classes: list[ClassPrices]


@router.get(
    "/offers/{offer_id}/prices",
    operation_id="getOfferPrices",
    response_model=OfferPrices,
    responses={
        **problem_responses(
            404,
            codes={
                422: (
                    "regular-price-not-allowed",
                    "regular-price-above-maximum",
                )
            },
        ),
        304: {"description": "Not modified (If-None-Match matched the ETag)"},
    },
    summary="Public price list: each scheme's price for a holder who qualifies",
    description=(
        "Per price class, the regular price and each scheme's tariff for a holder who"
        " qualifies and has used none of its limits. On an open-price offer the list is at"
        " its price classes' prices, or at `regular_price_cents` when given (at most its"
        " `max_price_cents`; refused on a fixed-price offer). Public."
    ),
)
async def offer_prices(
    offer_id: str,
    request: Request,
    response: Response,
    session: SessionDep,
    regular_price_cents: Annotated[
        int | None,
        Query(
            ge=0,
            le=MAX_CENTS,
            description="An open-price offer's regular price to price the list at",
        ),
    ] = None,
) -> OfferPrices | Response:
    language = negotiate_language(request.headers.get("accept-language"))
    try:
        prices = await service.public_prices(session, offer_id, regular_price_cents)
    except Unprocessable as refused:
        # A query parameter, not a field of a body.
        refused.extra["errors"] = [
            {"parameter": "regular_price_cents", "detail": e["detail"]}
            for e in refused.extra.get("errors", ())
        ]
        raise
    body = OfferPrices(
        offer_id=prices.offer.id,
        language=language,
        price_classes=[
            ClassPrices(
                price_class=pc.code,
                label=pc.label,
                regular_price_cents=quote.regular_price_cents,
                tariffs=[
                    SchemePrice(
                        scheme_code=t.scheme_code,
                        scheme_version=t.scheme_version,
                        label=t.label.get(language),
                        unit_price_cents=t.unit_price_cents,
                        discount_cents=t.discount_cents,
                        who=prices.who[t.scheme_code][language],
                        companion_max=0 if t.companions is None else t.companions.max,
                        companion_unit_price_cents=(
                            None if t.companions is None else t.companions.unit_price_cents
                        ),
                    )
                    for t in quote.tariffs
                ],
            )
            for pc, quote in prices.quotes
        ],
    )
    etag = '"' + hashlib.sha256(body.model_dump_json().encode()).hexdigest()[:32] + '"'
    headers = {
        "ETag": etag,
        "Cache-Control": "public, max-age=60",
        "Vary": "Accept-Language",
    }
    if _none_match(request.headers.get("if-none-match", ""), etag):
        return Response(status_code=304, headers=headers)
    response.headers.update(headers)
    return body


def _none_match(header: str, etag: str) -> bool:
    """Whether If-None-Match names this ETag (RFC 9110: `*`, or a list of tags compared
    weakly, so `W/"…"` matches too)."""
    tags = [tag.strip().removeprefix("W/") for tag in header.split(",")]
    return "*" in tags or etag in tags
