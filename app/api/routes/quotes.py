"""The desk's question: what does this card holder pay here?"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import ConfigDict, Field, model_validator

from app.api.deps import Authorized, SessionDep
from app.api.models import IdText, RequestModel, ResponseModel, StrictInt, one_of_required
from app.api.problems import Language, negotiate_language, problem_responses
from app.api.rate_limits import QUOTES, RateLimits
from app.domain.access import Principal
from app.domain.offers import OpenPriceRefusal
from app.domain.people import display_name
from app.domain.pricing import NotApplicable, Tariff
from app.domain.reasons import Reason
from app.domain.schemes import MAX_GROUP_SIZE
from app.domain.validation import MAX_CENTS
from app.domain.vouchers import VoucherRefusal
from app.services import quotes as service
from app.services.quotes import MAX_QUANTITY, QuoteResult

router = APIRouter(prefix="/v1", tags=["desk"])

Desk = Annotated[Principal, Depends(Authorized(*service.DESKS))]
# Request strings are stripped before their length is checked, so the patterns keep spaces
# off the edges: "  5395011334637" would satisfy the document but not the server.
CardNumber = Annotated[
    str, Field(min_length=13, max_length=20, pattern=r"^[0-9\-](?:[0-9 \-]*[0-9\-])?$")
]
VoucherCode = Annotated[
    str,
    Field(
        min_length=14,
        max_length=24,
        pattern=r"^[0-9A-Za-z\-](?:[0-9A-Za-z \-]*[0-9A-Za-z\-])?$",
        description="A voucher's code, with or without its dashes",
    ),
]


RegularPriceCents = Annotated[StrictInt, Field(ge=0, le=MAX_CENTS)]
REGULAR_PRICE = (
    "Only for an offer with `open_price`, and required there: the regular price of one"
    " ticket as the partner's ticketing priced it, at most the offer's `max_price_cents`"
    " (422 `regular-price-required`, `regular-price-not-allowed`,"
    " `regular-price-above-maximum`). The tariffs are computed from it as from a price"
    " class's price."
)


def exactly_one_bearer(card_number: str | None, voucher_code: str | None) -> None:
    """A quote, a sale item and a check-in are on a card or on a voucher: one of the two."""
    if (card_number is None) == (voucher_code is None):
        raise ValueError("give exactly one of card_number and voucher_code")


# The problems a desk's quote may answer, by status (documented on the operation).
QUOTE_PROBLEMS: dict[int, tuple[str, ...]] = {
    404: ("card-not-found", "offer-not-found", "voucher-not-found"),
    409: (
        "card-blocked",
        "card-replaced",
        *(refusal.value for refusal in VoucherRefusal),
        "allocation-budget-exhausted",
        "offer-archived",
        "partner-archived",
    ),
    422: (
        "invalid-card-number",
        "unknown-price-class",
        "group-too-large",
        *(refusal.value for refusal in OpenPriceRefusal),
    ),
}

QUANTITY_DESCRIPTION = (
    f"Tickets: at most {MAX_QUANTITY} on a person's card or a voucher; on a group card up to "
    f"its scheme's max_group_size (at most {MAX_GROUP_SIZE})"
)

# The desk learns which tariff applies, never why: a reason that reveals a person's status
# history is reported as plain "not eligible".
_DESK_REASON = {Reason.ENTITLEMENT_EXPIRED: Reason.NOT_ELIGIBLE}


class QuoteIn(RequestModel):
    model_config = ConfigDict(
        json_schema_extra=one_of_required(("card_number",), ("voucher_code",))
    )

    card_number: CardNumber | None = None
    voucher_code: VoucherCode | None = None
    offer_id: IdText
    price_class: Annotated[str, Field(min_length=1, max_length=40)]
    quantity: Annotated[
        StrictInt, Field(ge=1, le=MAX_GROUP_SIZE, description=QUANTITY_DESCRIPTION)
    ] = 1
    regular_price_cents: RegularPriceCents | None = Field(default=None, description=REGULAR_PRICE)

    @model_validator(mode="after")
    def _one_bearer(self) -> QuoteIn:
        exactly_one_bearer(self.card_number, self.voucher_code)
        return self


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


class VoucherAtDeskOut(ResponseModel):
    people: int
    tickets_remaining: int
    valid_until: str


class GroupAtDeskOut(ResponseModel):
    organisation_name: str = Field(description="The organisation's name; never its members")


class QuoteOut(ResponseModel):
    holder: HolderOut | None = Field(
        description="null on a voucher (anonymous); on a group card the organisation's name"
    )
    voucher: VoucherAtDeskOut | None = Field(
        default=None, description="On a voucher: how many people, how many tickets are left"
    )
    group: GroupAtDeskOut | None = Field(
        default=None, description="On a group card: whose group card it is"
    )
    offer_id: str
    price_class: str
    quantity: int
    regular_price_cents: int = Field(
        description="The regular price the tariffs are computed from: the price class's,"
        " or on an open-price offer the one the quote gave"
    )
    tariffs: list[TariffOut]
    best_tariff_id: str | None
    not_applicable: list[NotApplicableOut]


@router.post(
    "/quotes",
    operation_id="createQuote",
    response_model=QuoteOut,
    responses=problem_responses(401, 403, 404, 409, 429, codes=QUOTE_PROBLEMS),
    summary="Quote: the tariffs this card holder gets for this offer",
)
async def quote(body: QuoteIn, request: Request, session: SessionDep, principal: Desk) -> Response:
    language = negotiate_language(request.headers.get("accept-language"))
    limits: RateLimits = request.app.state.rate_limits
    async with limits.desk_look_up(QUOTES, principal.client_id):
        result = await service.quote_for_desk(
            session,
            principal,
            card_number=body.card_number,
            offer_id=body.offer_id,
            price_class=body.price_class,
            quantity=body.quantity,
            voucher_code=body.voucher_code,
            regular_price_cents=body.regular_price_cents,
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
    holder = result.holder
    if result.group is not None:
        # A group card: the desk learns whose group it is, nothing about who comes.
        facts = result.group.facts
        head: dict[str, Any] = {
            "holder": {"display_name": facts.organisation_name, "card_status": facts.card_status},
            "voucher": None,
            "group": {"organisation_name": facts.organisation_name},
        }
    elif holder is None:
        # A voucher: who it is for is no one's business at the desk.
        assert result.voucher is not None
        voucher = result.voucher
        head = {
            "holder": None,
            "group": None,
            "voucher": {
                "people": voucher.facts.people,
                "tickets_remaining": voucher.tickets_left,
                "valid_until": voucher.facts.valid_until.isoformat(),
            },
        }
    else:
        head = {
            "holder": {
                "display_name": display_name(holder.first_name, holder.last_name),
                "card_status": holder.card_status,
            },
            "voucher": None,
            "group": None,
        }
    return {
        **head,
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
