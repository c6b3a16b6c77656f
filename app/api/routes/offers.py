"""Offers: created by the partner, public to read, with a public price list."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request, Response
from pydantic import Field, field_validator

from app.api.deps import Authorized, SessionDep
from app.api.models import Moment, Name, RequestModel, ResponseModel, StrictInt
from app.api.problems import negotiate_language, problem_responses
from app.db.offers import OfferRow, PriceClassRow
from app.domain.access import Principal, Role
from app.domain.validation import MAX_CENTS
from app.services import offers as service
from app.services.quotes import load_offer

router = APIRouter(prefix="/v1", tags=["offers"])

Code = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")]
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
    created_at: datetime

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
            created_at=row.created_at,
        )


@router.post(
    "/partners/{partner_id}/offers",
    status_code=201,
    response_model=OfferOut,
    responses=problem_responses(401, 403, 404),
    summary="Add an offer with its price classes",
)
async def create_offer(
    partner_id: str,
    body: OfferIn,
    session: SessionDep,
    principal: Annotated[Principal, Depends(Authorized(Role.PARTNER_ADMIN, Role.REGION_ADMIN))],
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
        ),
    )
    return OfferOut.of(row)


@router.get(
    "/offers/{offer_id}",
    response_model=OfferOut,
    responses=problem_responses(404),
    summary="One offer (public)",
)
async def get_offer(offer_id: str, session: SessionDep) -> OfferOut:
    return OfferOut.of(await load_offer(session, offer_id))


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
    response_model=OfferPrices,
    responses={
        **problem_responses(404),
        304: {"description": "Not modified (If-None-Match matched the ETag)"},
    },
    summary="Public price list: each scheme's price for a holder who qualifies",
)
async def offer_prices(
    offer_id: str, request: Request, response: Response, session: SessionDep
) -> OfferPrices | Response:
    language = negotiate_language(request.headers.get("accept-language"))
    prices = await service.public_prices(session, offer_id)
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
