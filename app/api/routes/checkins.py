"""Check-ins: a visit to a free activity, on a card or a voucher, once per day."""

from __future__ import annotations

from datetime import date, datetime

from fastapi import APIRouter, Request, Response
from pydantic import ConfigDict, Field, model_validator

from app.api.deps import SessionDep
from app.api.models import IdText, RequestModel, ResponseModel, one_of_required
from app.api.problems import problem_responses
from app.api.rate_limits import QUOTES, RateLimits
from app.api.routes.quotes import (
    QUOTE_PROBLEMS,
    CardNumber,
    Desk,
    VoucherCode,
    exactly_one_bearer,
)
from app.services import checkins as service

router = APIRouter(prefix="/v1", tags=["desk"])


class CheckinIn(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            **one_of_required(("card_number",), ("voucher_code",)),
            "examples": [
                {"card_number": "5395011334637", "offer_id": "7dbb68d9-3474-5a55-8ccd-08b78ba331eb"}
            ],
        }
    )

    card_number: CardNumber | None = None
    voucher_code: VoucherCode | None = None
    offer_id: IdText

    @model_validator(mode="after")
    def _one_bearer(self) -> CheckinIn:
        exactly_one_bearer(self.card_number, self.voucher_code)
        return self


class CheckinOut(ResponseModel):
    id: str
    offer_id: str
    visit_date: date
    people: int = Field(description="1 on a card; a voucher's people")
    recorded: bool = Field(description="false: this visit was recorded before (idempotent)")
    created_at: datetime


# A check-in refuses a card or voucher as a quote does; it has no price to refuse.
CHECKIN_PROBLEMS = {
    404: QUOTE_PROBLEMS[404],
    409: tuple(c for c in QUOTE_PROBLEMS[409] if c != "allocation-budget-exhausted"),
    422: ("invalid-card-number",),
}


@router.post(
    "/checkins",
    operation_id="createCheckin",
    status_code=201,
    response_model=CheckinOut,
    responses={
        200: {"model": CheckinOut, "description": "Already recorded today: the first visit"},
        **problem_responses(401, 403, 404, 409, 422, 429, codes=CHECKIN_PROBLEMS),
    },
    summary="Record a visit to a free activity (card or voucher), at most once per day",
)
async def check_in(
    body: CheckinIn, request: Request, session: SessionDep, principal: Desk, response: Response
) -> CheckinOut:
    limits: RateLimits = request.app.state.rate_limits
    # A check-in tells whether a card number is valid as a quote does: it is counted as one
    # (the quotes limit) and its failed look-ups count, or a prober would use it instead.
    async with limits.desk_look_up(QUOTES, principal.client_id):
        done = await service.check_in(
            session,
            principal,
            offer_id=body.offer_id,
            card_number=body.card_number,
            voucher_code=body.voucher_code,
        )
    if not done.recorded:
        response.status_code = 200
    row = done.row
    return CheckinOut(
        id=row.id,
        offer_id=row.offer_id,
        visit_date=row.visit_date,
        people=row.people,
        recorded=done.recorded,
        created_at=row.created_at,
    )
