"""The desk's question: what does this card holder pay here?"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import Field

from app.api.deps import Authorized, SessionDep
from app.api.models import RequestModel, ResponseModel, StrictInt
from app.api.problems import Language, negotiate_language, problem_responses
from app.api.rate_limits import QUOTES, RateLimits
from app.domain.access import Principal
from app.domain.people import display_name
from app.domain.pricing import NotApplicable, Tariff
from app.domain.reasons import Reason
from app.services import quotes as service
from app.services.quotes import MAX_QUANTITY, QuoteResult

router = APIRouter(prefix="/v1", tags=["desk"])

Desk = Annotated[Principal, Depends(Authorized(*service.DESKS))]
CardNumber = Annotated[str, Field(min_length=13, max_length=20, pattern=r"^[0-9 \-]+$")]

# The desk learns which tariff applies, never why: a reason that reveals a person's status
# history is reported as plain "not eligible".
_DESK_REASON = {Reason.ENTITLEMENT_EXPIRED: Reason.NOT_ELIGIBLE}


class QuoteIn(RequestModel):
    card_number: CardNumber
    offer_id: Annotated[str, Field(max_length=64)]
    price_class: Annotated[str, Field(min_length=1, max_length=40)]
    quantity: Annotated[StrictInt, Field(ge=1, le=MAX_QUANTITY)] = 1


class HolderOut(ResponseModel):
    display_name: str = Field(description='First name and initial, e.g. "Sofie D."')
    card_status: str


class FundingOut(ResponseModel):
    payer: str
    scheme_code: str
    amount_cents: int


class CompanionsOut(ResponseModel):
    max: int
    unit_price_cents: int


class TariffOut(ResponseModel):
    tariff_id: str
    scheme_code: str
    scheme_version: int
    label: str
    unit_price_cents: int
    discount_cents: int = Field(description="Per ticket")
    quantity: int
    total_cents: int
    remaining: int | None = Field(description="Tickets left under the limits; null: no limit")
    on_top: list[str]
    funding: list[FundingOut]
    companions: CompanionsOut | None


class NotApplicableOut(ResponseModel):
    scheme_code: str
    reason: str
    detail: str | None


class QuoteOut(ResponseModel):
    holder: HolderOut
    offer_id: str
    price_class: str
    quantity: int
    regular_price_cents: int
    tariffs: list[TariffOut]
    best_tariff_id: str | None
    not_applicable: list[NotApplicableOut]


@router.post(
    "/quotes",
    response_model=QuoteOut,
    responses=problem_responses(401, 403, 404, 409, 429),
    summary="Quote: the tariffs this card holder gets for this offer",
)
async def quote(body: QuoteIn, request: Request, session: SessionDep, principal: Desk) -> Response:
    language = negotiate_language(request.headers.get("accept-language"))
    limits: RateLimits = request.app.state.rate_limits
    await limits.hit_hot(QUOTES, principal.client_id)
    async with limits.card_lookups(principal.client_id):
        result = await service.quote_for_desk(
            session,
            principal,
            card_number=body.card_number,
            offer_id=body.offer_id,
            price_class=body.price_class,
            quantity=body.quantity,
        )
    # The hot path of every desk: the body is written straight from the result (a tested
    # instance of QuoteOut), skipping a second validation by the response model.
    return Response(
        json.dumps(quote_body(result, language), separators=(",", ":")),
        media_type="application/json",
    )


def quote_body(result: QuoteResult, language: Language) -> dict[str, Any]:
    """The quote as `POST /v1/quotes` answers it (a `price-changed` problem carries it)."""
    return {
        **_quote_head(result, language),
        "not_applicable": [_not_applicable(r) for r in result.quote.not_applicable],
    }


def _quote_head(result: QuoteResult, language: Language) -> dict[str, Any]:
    quote = result.quote
    return {
        "holder": {
            "display_name": display_name(result.holder.first_name, result.holder.last_name),
            "card_status": result.holder.card_status,
        },
        "offer_id": result.offer.id,
        "price_class": result.price_class.code,
        "quantity": result.quantity,
        "regular_price_cents": quote.regular_price_cents,
        "tariffs": [_tariff(t, language) for t in quote.tariffs],
        "best_tariff_id": quote.best_tariff_id,
    }


def _not_applicable(refusal: NotApplicable) -> dict[str, Any]:
    # The desk learns that a scheme does not apply, never which status history says so.
    hidden = refusal.reason in _DESK_REASON
    return {
        "scheme_code": refusal.scheme_code,
        "reason": _DESK_REASON.get(refusal.reason, refusal.reason),
        "detail": None if hidden else refusal.detail,
    }


def _tariff(tariff: Tariff, language: Language) -> dict[str, Any]:
    terms = tariff.companions
    companions = None
    if terms is not None:
        companions = {"max": terms.max, "unit_price_cents": terms.unit_price_cents}
    return {
        "tariff_id": tariff.tariff_id,
        "scheme_code": tariff.scheme_code,
        "scheme_version": tariff.scheme_version,
        "label": tariff.label.get(language),
        "unit_price_cents": tariff.unit_price_cents,
        "discount_cents": tariff.discount_cents,
        "quantity": tariff.quantity,
        "total_cents": tariff.total_cents,
        "remaining": tariff.remaining,
        "on_top": list(tariff.on_top),
        # Who pays, never which municipality: that would tell the desk where the holder lives.
        "funding": [
            {"payer": s.payer, "scheme_code": s.scheme_code, "amount_cents": s.amount_cents}
            for s in tariff.funding
        ],
        "companions": companions,
    }
