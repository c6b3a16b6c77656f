"""Card usability and eligibility, as the price calculation decides them: a blocked or
replaced card gets no tariff and says why; the self-check asks the calculation's own
conditions."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from hypothesis import given

from app.domain.cards import CardStatus, card_refusal
from app.domain.facts import PriceClass
from app.domain.pricing import eligible_schemes, price
from app.domain.reasons import Reason

from .factories import SALE_DAY, holder, kansentarief, offer, quote, scheme, status
from .test_pricing_properties import FAST, Sale, any_sales, quote_of

UNDER_12 = scheme(code="JONGER_DAN_12", eligibility={"age": {"max": 11}})


@pytest.mark.parametrize(
    ("card_status", "refused"),
    [
        ("active", None),
        ("blocked", CardStatus.BLOCKED),
        ("replaced", CardStatus.REPLACED),
        ("lost-in-the-post", CardStatus.BLOCKED),  # unknown: stopped as a block is
    ],
)
def test_only_an_active_card_may_be_sold_on(card_status: str, refused: CardStatus | None) -> None:
    assert card_refusal(card_status) == refused


def test_a_blocked_card_gets_no_tariff_every_scheme_says_so_and_the_quote_says_why() -> None:
    result = quote([kansentarief(), UNDER_12], for_holder=holder(status(), card_status="blocked"))

    assert result.tariffs == ()
    assert result.best_tariff_id is None
    assert {(r.scheme_code, r.reason) for r in result.not_applicable} == {
        ("KORTRIJK_KANSENTARIEF", Reason.CARD_BLOCKED),
        ("JONGER_DAN_12", Reason.CARD_BLOCKED),
    }
    assert result.card_refused == CardStatus.BLOCKED


def test_a_usable_card_and_a_public_price_list_are_not_refused() -> None:
    assert quote([kansentarief()], for_holder=holder(status())).card_refused is None
    assert quote([kansentarief()], for_holder=None).card_refused is None


def test_the_price_calculation_takes_keyword_arguments_only() -> None:
    with pytest.raises(TypeError):
        price(offer(), PriceClass("standard", 1500), None, SALE_DAY, 1, {}, [])  # type: ignore[call-arg]


def test_the_self_check_finds_the_schemes_whose_conditions_a_person_meets_today() -> None:
    schemes = [kansentarief(), UNDER_12, kansentarief(code="LATER", valid_from="2027-01-01")]
    adult = holder(status())
    child = holder(birth_date=date(2018, 1, 1))

    assert [s.code for s in eligible_schemes(adult, on=SALE_DAY, schemes=schemes)] == [
        "KORTRIJK_KANSENTARIEF"
    ]
    assert [s.code for s in eligible_schemes(child, on=SALE_DAY, schemes=schemes)] == [
        "JONGER_DAN_12"
    ]


@FAST
@given(any_sales)
def test_the_self_check_and_the_desk_agree_on_who_is_eligible(sale: Sale) -> None:
    offer_, price_class, holder_, quantity, usage, schemes = sale
    if holder_ is None or holder_.card_status != "active":
        return
    # Judged on the day of the sale (an offer with a date of its own is judged on that).
    on_the_day = (
        replace(offer_, activity_date=None),
        price_class,
        holder_,
        quantity,
        usage,
        schemes,
    )
    result = quote_of(on_the_day)
    eligible = {s.code for s in eligible_schemes(holder_, on=SALE_DAY, schemes=schemes)}

    for refusal in result.not_applicable:
        if refusal.reason in (Reason.NOT_ELIGIBLE, Reason.ENTITLEMENT_EXPIRED):
            assert refusal.scheme_code not in eligible
        if refusal.reason in (Reason.LIMIT_REACHED, Reason.BUDGET_EXHAUSTED):
            assert refusal.scheme_code in eligible
    for tariff in result.tariffs:
        assert {part.scheme_code for part in tariff.parts} <= eligible
