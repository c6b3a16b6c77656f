"""The money rules of one ticket: exact percentages, rounding, ceiling, clamp."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.domain.price_rules import PriceRule, Rounding


def test_half_of_15_euro_75_is_7_euro_87_the_half_cent_going_to_the_holder() -> None:
    assert PriceRule("pay_percent", percent=Decimal(50)).unit_price(1575) == 787


def test_paying_20_percent_of_15_euro_75_rounded_down_to_10_cents_is_3_euro_10() -> None:
    rule = PriceRule("pay_percent", percent=Decimal(20), rounding="down_10")
    assert rule.unit_price(1575) == 310


def test_a_percentage_off_rounds_the_price_down_not_the_reduction() -> None:
    # 1/3 off 1000 leaves 666.67: the holder pays 666.
    assert PriceRule("percent_off", percent=Decimal("33.33")).unit_price(1000) == 666


@pytest.mark.parametrize(
    ("rounding", "cents", "expected"),
    [
        ("none", 787, 787),
        ("down_10", 789, 780),
        ("nearest_10", 786, 790),
        ("nearest_10", 785, 780),  # a tie goes down, in the holder's favour
        ("down_50", 799, 750),
        ("nearest_50", 776, 800),
        ("nearest_50", 775, 750),
        ("down_100", 1999, 1900),
    ],
)
def test_rounding_steps(rounding: Rounding, cents: int, expected: int) -> None:
    # Through the rule itself, so the table of steps is what is tested.
    rule = PriceRule("fixed_price", amount_cents=cents, rounding=rounding)
    assert rule.unit_price(10_000) == expected


def test_max_pay_caps_what_the_holder_pays_after_rounding() -> None:
    rule = PriceRule("pay_percent", percent=Decimal(20), rounding="nearest_50", max_pay_cents=500)
    assert rule.unit_price(2000) == 400
    assert rule.unit_price(10000) == 500


def test_an_amount_off_larger_than_the_price_makes_the_ticket_free_not_negative() -> None:
    assert PriceRule("amount_off", amount_cents=2000).unit_price(1500) == 0


def test_nearest_rounding_never_makes_the_ticket_dearer_than_the_regular_price() -> None:
    rule = PriceRule("pay_percent", percent=Decimal(99), rounding="nearest_50")
    assert rule.unit_price(990) <= 990


def test_a_free_ticket_costs_nothing() -> None:
    assert PriceRule("free").unit_price(4200) == 0
