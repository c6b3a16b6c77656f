"""Sales at the desk: register (idempotent), confirm a hold, cancel, list."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse
from pydantic import ConfigDict, Field, StrictBool, model_validator

from app.api.deps import SessionDep, SettingsDep
from app.api.models import (
    ID_SCHEMA,
    MAX_PAGE_SIZE,
    IdText,
    IsoDate,
    RequestModel,
    ResponseModel,
    StrictInt,
    decode_cursor,
    encode_cursor,
    invalid_cursor,
    one_of_required,
    parse_reference,
    require_to_after_from,
)
from app.api.openapi import REQUIRED_HEADERS
from app.api.problems import Problem, negotiate_language, problem_responses
from app.api.rate_limits import SALES, RateLimits
from app.api.routes.quotes import (
    QUANTITY_DESCRIPTION,
    QUOTE_PROBLEMS,
    REGULAR_PRICE,
    CardNumber,
    Desk,
    QuoteOut,
    RegularPriceCents,
    VoucherCode,
    exactly_one_bearer,
    quote_body,
)
from app.clock import BRUSSELS
from app.db.sales import SaleRow
from app.domain.sales import SaleStatus
from app.domain.schemes import MAX_COMPANIONS, MAX_GROUP_SIZE
from app.services import sales as service

router = APIRouter(prefix="/v1/sales", tags=["desk"])

# The problems a sale may answer, by status: a quote's, and the sale's own.
SALE_PROBLEMS: dict[int, tuple[str, ...]] = {
    400: ("idempotency-key-missing",),
    404: QUOTE_PROBLEMS[404],
    409: (
        *QUOTE_PROBLEMS[409],
        "price-changed",
        "limit-reached",
        "budget-exhausted",
        "allocation-exhausted",
        "request-in-progress",
    ),
    422: (*QUOTE_PROBLEMS[422], "idempotency-key-reused", "too-many-companions"),
}


class SaleConflict(Problem):
    """A sale's 409; `price-changed` carries the fresh quote to sell at."""

    best_tariff_id: str | None = Field(
        default=None, description="On price-changed: the fresh quote's best tariff"
    )
    quote: QuoteOut | None = Field(
        default=None,
        description="On price-changed: the fresh quote, as POST /v1/quotes answers it now",
    )


class SaleItemIn(RequestModel):
    model_config = ConfigDict(
        json_schema_extra=one_of_required(("card_number",), ("voucher_code",))
    )

    card_number: CardNumber | None = None
    voucher_code: VoucherCode | None = None
    offer_id: IdText
    price_class: Annotated[str, Field(min_length=1, max_length=40)]
    tariff_id: Annotated[str, Field(min_length=1, max_length=100)]
    quantity: Annotated[
        StrictInt, Field(ge=1, le=MAX_GROUP_SIZE, description=QUANTITY_DESCRIPTION)
    ] = 1
    companions: Annotated[
        StrictInt,
        Field(
            ge=0,
            le=MAX_COMPANIONS,
            description=(
                "Companions' tickets next to the holder's (the European Disability Card's "
                "assistant), at most the chosen tariff's companions.max; sold as a line of "
                "their own with companion_of set"
            ),
        ),
    ] = 0
    regular_price_cents: RegularPriceCents | None = Field(default=None, description=REGULAR_PRICE)

    @model_validator(mode="after")
    def _one_bearer(self) -> SaleItemIn:
        exactly_one_bearer(self.card_number, self.voucher_code)
        return self


class SaleIn(RequestModel):
    items: Annotated[list[SaleItemIn], Field(min_length=1, max_length=20)]
    hold: StrictBool = Field(
        default=False, description="Reserve until hold_expires_at, then confirm"
    )


class FundingOut(ResponseModel):
    payer: str
    scheme_code: str
    amount_cents: int


class SaleItemOut(ResponseModel):
    id: str
    card_number: str | None = Field(description="null on a voucher's line")
    voucher_code: str | None = Field(default=None, description="On a voucher's line")
    offer_id: str
    price_class: str
    scheme_code: str
    scheme_version: int
    label: str
    regular_price_cents: int = Field(
        description="The regular price as sold: the price class's, or an open-price"
        " offer's as the line gave it"
    )
    unit_price_cents: int
    discount_cents: int
    quantity: int
    total_cents: int
    activity_date: date
    funding: list[FundingOut]
    companion_of: str | None = Field(
        description="On a line of companions' tickets: the id of the holder's line they came "
        "with; null on a holder's own line"
    )


class SaleOut(ResponseModel):
    id: str
    partner_id: str
    status: SaleStatus
    created_at: datetime
    hold_expires_at: datetime | None
    confirmed_at: datetime | None
    cancelled_at: datetime | None
    total_cents: int
    items: list[SaleItemOut]

    @classmethod
    def of(cls, sale: SaleRow) -> SaleOut:
        return cls(
            id=sale.id,
            partner_id=sale.partner_id,
            status=sale.status,
            created_at=sale.created_at,
            hold_expires_at=sale.hold_expires_at,
            confirmed_at=sale.confirmed_at,
            cancelled_at=sale.cancelled_at,
            total_cents=sum(item.total_cents for item in sale.items),
            items=[
                SaleItemOut(
                    id=item.id,
                    card_number=item.card_number,
                    voucher_code=item.voucher_code,
                    offer_id=item.offer_id,
                    price_class=item.price_class,
                    scheme_code=item.scheme_code,
                    scheme_version=item.scheme_version,
                    label=item.label,
                    regular_price_cents=item.regular_price_cents,
                    unit_price_cents=item.unit_price_cents,
                    discount_cents=item.discount_cents,
                    quantity=item.quantity,
                    total_cents=item.total_cents,
                    activity_date=item.activity_date,
                    funding=[
                        FundingOut(
                            payer=f.payer, scheme_code=f.scheme_code, amount_cents=f.amount_cents
                        )
                        for f in item.funding
                    ],
                    companion_of=item.companion_of,
                )
                for item in sale.items
            ],
        )


@router.post(
    "",
    operation_id="createSale",
    status_code=201,
    response_model=SaleOut,
    responses=problem_responses(
        400, 401, 403, 404, 409, 429, codes=SALE_PROBLEMS, schema={409: "SaleConflict"}
    ),
    summary="Register a sale: all items or none; a retry with the same key is answered once",
    # Required, as the contract says; optional in Python only so that a missing key is
    # answered 400 idempotency-key-missing (the service's words) rather than a generic 422.
    openapi_extra={REQUIRED_HEADERS: ["Idempotency-Key"]},
)
async def register_sale(
    body: SaleIn,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: Desk,
    idempotency_key: Annotated[
        str | None,
        Header(
            max_length=100,
            pattern=r"^[\x21-\x7e]+$",
            description="A fresh random value per sale; a retry sends the same one",
        ),
    ] = None,
) -> JSONResponse:
    limits: RateLimits = request.app.state.rate_limits
    async with limits.desk_look_up(SALES, principal.client_id):
        try:
            sale = await service.register_sale(
                session,
                settings,
                principal,
                idempotency_key=idempotency_key,
                # Fields at their defaults left out: a sale asked with or without them is one
                # request, and a field added later does not change the keys of older requests.
                body_hash=service.request_hash(body.model_dump(mode="json", exclude_defaults=True)),
                request=service.SaleRequest(
                    items=tuple(
                        service.SaleItemRequest(
                            card_number=i.card_number,
                            voucher_code=i.voucher_code,
                            offer_id=i.offer_id,
                            price_class=i.price_class,
                            tariff_id=i.tariff_id,
                            quantity=i.quantity,
                            companions=i.companions,
                            regular_price_cents=i.regular_price_cents,
                        )
                        for i in body.items
                    ),
                    hold=body.hold,
                ),
            )
        except service.PriceChanged as changed:
            # The fresh quote, exactly as POST /v1/quotes would answer it now (its audit row
            # stands: the problem keeps the work before it).
            language = negotiate_language(request.headers.get("accept-language"))
            changed.extra["quote"] = quote_body(changed.result, language)
            raise
    return JSONResponse(SaleOut.of(sale).model_dump(mode="json"), status_code=201)


@router.get(
    "/{sale_id}",
    operation_id="getSale",
    response_model=SaleOut,
    responses=problem_responses(401, 403, 404),
    summary="One of the partner's own sales (another partner's is not found)",
)
async def read_sale(sale_id: str, session: SessionDep, principal: Desk) -> SaleOut:
    return SaleOut.of(await service.read_sale(session, principal, sale_id))


@router.post(
    "/{sale_id}/confirm",
    operation_id="confirmSale",
    response_model=SaleOut,
    responses=problem_responses(
        401, 403, 404, 409, codes={409: ("hold-expired", "sale-not-held", "sale-not-active")}
    ),
    summary="Confirm a hold before it expires",
)
async def confirm_sale(sale_id: str, session: SessionDep, principal: Desk) -> SaleOut:
    return SaleOut.of(await service.confirm_sale(session, principal, sale_id))


@router.post(
    "/{sale_id}/cancel",
    operation_id="cancelSale",
    response_model=SaleOut,
    responses=problem_responses(
        401, 403, 404, 409, codes={409: ("sale-not-active", "cancellation-window-passed")}
    ),
    summary="Cancel a sale within the partner's window; its usage and budget go back",
)
async def cancel_sale(sale_id: str, session: SessionDep, principal: Desk) -> SaleOut:
    return SaleOut.of(await service.cancel_sale(session, principal, sale_id))


class SalePage(ResponseModel):
    items: list[SaleOut]
    next_cursor: str | None


@router.get(
    "",
    operation_id="listSales",
    response_model=SalePage,
    responses=problem_responses(401, 403, 404),
    summary="The partner's own sales, newest first",
)
async def list_sales(
    session: SessionDep,
    principal: Desk,
    partner_id: Annotated[
        str | None, Query(min_length=1, max_length=64, json_schema_extra=ID_SCHEMA)
    ] = None,
    status: Annotated[SaleStatus | None, Query()] = None,
    offer_id: Annotated[
        str | None, Query(min_length=1, max_length=64, json_schema_extra=ID_SCHEMA)
    ] = None,
    from_: Annotated[
        IsoDate | None, Query(alias="from", description="sold on or after this day (Brussels)")
    ] = None,
    to: Annotated[IsoDate | None, Query(description="sold before this day (Brussels)")] = None,
    cursor: Annotated[str | None, Query(max_length=300)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 100,
) -> SalePage:
    if from_ is not None and to is not None:
        require_to_after_from(from_, to)
    position = decode_cursor(cursor, {"at": str, "id": str})
    before = None
    if position is not None:
        try:
            before = (datetime.fromisoformat(position["at"]), uuid.UUID(position["id"]))
        except ValueError:
            raise invalid_cursor() from None
    page = await service.list_sales(
        session,
        principal,
        partner_id=parse_reference(partner_id, parameter="partner_id") if partner_id else None,
        status=status,
        offer_id=parse_reference(offer_id, parameter="offer_id") if offer_id else None,
        since=datetime.combine(from_, time.min, tzinfo=BRUSSELS) if from_ else None,
        until=datetime.combine(to, time.min, tzinfo=BRUSSELS) if to else None,
        before=before,
        limit=limit,
    )
    return SalePage(
        items=[SaleOut.of(sale) for sale in page.sales],
        next_cursor=(
            encode_cursor({"at": page.next_position[0].isoformat(), "id": page.next_position[1]})
            if page.next_position
            else None
        ),
    )
