"""Open prices: the desk gives the regular price, within the offer's maximum, and the schemes
price from it exactly as from a price class's price."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.facts import PriceClass
from app.domain.limits import UsageAmount
from app.domain.offers import (
    OpenPriceRefusal,
    open_price_problem,
    regular_price,
    widens_open_price,
)
from app.domain.pricing import price, usage_keys
from app.domain.sale_lines import TariffGone, chosen_tariff
from tests.unit.domain.factories import SALE_DAY, holder, kansentarief, offer, quote, scheme, status
from tests.unit.domain.test_pricing_properties import Sale, any_sales, quote_of

# --- which regular price a line is priced at --------------------------------------------------


def test_a_fixed_price_offer_prices_at_its_price_class() -> None:
    assert regular_price(2200, open_price=False, max_price_cents=None, asked_cents=None) == 2200


def test_a_fixed_price_offer_refuses_a_regular_price_even_its_own() -> None:
    # Taking the class's own price silently would hide a client that believes it set it.
    for asked in (2200, 1000):
        refused = regular_price(2200, open_price=False, max_price_cents=None, asked_cents=asked)
        assert refused is OpenPriceRefusal.NOT_ALLOWED


def test_an_open_price_offer_needs_the_regular_price() -> None:
    refused = regular_price(2200, open_price=True, max_price_cents=5000, asked_cents=None)
    assert refused is OpenPriceRefusal.REQUIRED


def test_an_open_price_offer_takes_any_price_up_to_its_maximum_and_not_a_cent_more() -> None:
    def at(asked: int) -> int | OpenPriceRefusal:
        return regular_price(2200, open_price=True, max_price_cents=5000, asked_cents=asked)

    assert at(0) == 0
    assert at(3750) == 3750
    assert at(5000) == 5000
    assert at(5001) is OpenPriceRefusal.ABOVE_MAXIMUM


def test_the_refusals_are_the_problem_codes() -> None:
    assert [r.value for r in OpenPriceRefusal] == [
        "regular-price-required",
        "regular-price-not-allowed",
        "regular-price-above-maximum",
    ]


# --- an offer's open-price terms -------------------------------------------------------------


def test_an_open_price_offer_needs_a_maximum_above_zero() -> None:
    assert open_price_problem(True, None, {}) == ("/max_price_cents", "required with open_price")
    assert open_price_problem(True, 0, {}) == ("/max_price_cents", "must be above 0")
    assert open_price_problem(True, 1, {}) is None


def test_a_fixed_price_offer_has_no_maximum() -> None:
    assert open_price_problem(False, None, {"standard": 2200}) is None
    assert open_price_problem(False, 5000, {}) == (
        "/max_price_cents",
        "only for an offer with open_price",
    )


def test_an_open_price_offers_public_prices_stay_within_its_maximum() -> None:
    classes = {"standard": 2200, "front": 6000}
    assert open_price_problem(True, 6000, classes) is None
    assert open_price_problem(True, 5000, classes) == (
        "/price_classes/1/price_cents",
        "price class 'front' is above max_price_cents",
    )


def test_opening_a_price_or_raising_its_maximum_widens_it_and_nothing_else_does() -> None:
    fixed = (False, None)
    assert widens_open_price(fixed, (True, 5000))  # a new open-price offer, or one opened
    assert widens_open_price((True, 5000), (True, 5001))
    assert not widens_open_price((True, 5000), (True, 5000))
    assert not widens_open_price((True, 5000), (True, 4000))
    assert not widens_open_price((True, 5000), fixed)
    assert not widens_open_price(fixed, fixed)


# --- pricing from the regular price given ----------------------------------------------------


def test_the_kansentarief_of_an_open_price_is_twenty_percent_of_it() -> None:
    # A club's webshop sells a seat at €37.45: 20 % is €7.49, rounded down to €7.40.
    found = quote([kansentarief()], for_holder=holder(status()), regular_price_cents=3745)
    assert found.regular_price_cents == 3745
    [tariff] = found.tariffs
    assert (tariff.unit_price_cents, tariff.discount_cents) == (740, 3005)
    assert sum(share.amount_cents for share in tariff.funding) == 3005


def test_a_schemes_maximum_regular_price_still_applies_to_an_open_price() -> None:
    capped = scheme(applies_to={"partners": "all", "max_regular_price_cents": 5000})
    assert quote([capped], for_holder=holder(), regular_price_cents=5000).tariffs
    above = quote([capped], for_holder=holder(), regular_price_cents=5001)
    assert above.tariffs == ()
    assert [(r.scheme_code, r.detail) for r in above.not_applicable] == [
        ("TEST_SCHEME", "regular price not covered")
    ]


def test_a_tariff_quoted_at_one_open_price_is_not_sold_at_another() -> None:
    # The tariff id digests the regular price: a sale that gives another price than its
    # quote finds the price changed, even where the scheme's price would be the same.
    free = scheme(price={"type": "free"})
    quoted = quote([free], for_holder=holder(), regular_price_cents=2000)
    other = quote([free], for_holder=holder(), regular_price_cents=2500)
    assert quoted.tariffs[0].unit_price_cents == other.tariffs[0].unit_price_cents == 0
    assert quoted.best_tariff_id is not None
    assert chosen_tariff(other, quoted.best_tariff_id) is TariffGone.PRICE_CHANGED
    again = quote([free], for_holder=holder(), regular_price_cents=2000)
    assert chosen_tariff(again, quoted.best_tariff_id) == quoted.tariffs[0]


# --- properties ------------------------------------------------------------------------------

# The Brugge refund: 80 % off, at most €240 of reduction a year.
REFUND = scheme(
    code="REFUND",
    price={"type": "percent_off", "percent": 80},
    limits=[{"discount_cents": 24000, "per": "passholder", "scope": "scheme", "period": "year"}],
)


@settings(max_examples=60, deadline=None)
@given(any_sales, st.integers(1, 50_000), st.data())
def test_at_any_open_price_within_the_maximum_the_holder_pays_between_zero_and_that_price(
    sale: Sale, most: int, data: st.DataObject
) -> None:
    offer_facts, price_class, who, quantity, usage, schemes = sale
    asked = data.draw(st.integers(0, most))
    regular = regular_price(
        price_class.regular_price_cents, open_price=True, max_price_cents=most, asked_cents=asked
    )
    assert regular == asked
    sold = (offer_facts, replace(price_class, regular_price_cents=regular), who, quantity)
    found = quote_of((*sold, usage, schemes))
    assert found.regular_price_cents == asked
    for tariff in found.tariffs:
        assert 0 <= tariff.unit_price_cents <= asked
        assert tariff.discount_cents == asked - tariff.unit_price_cents
        assert sum(share.amount_cents for share in tariff.funding) == (
            tariff.discount_cents * quantity
        )


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 200_000), st.integers(0, 30_000), st.integers(1, 3))
def test_a_refund_at_an_open_price_never_goes_above_what_its_budget_leaves(
    asked: int, used: int, quantity: int
) -> None:
    where = offer()
    keys = usage_keys(where, SALE_DAY, [REFUND])
    found = price(
        offer=where,
        price_class=PriceClass("standard", asked),
        holder=holder(),
        at=SALE_DAY,
        quantity=quantity,
        usage={key: UsageAmount(0, used) for key in keys},
        schemes=[REFUND],
    )
    left = max(0, 24000 - used)
    for tariff in found.tariffs:
        assert 0 <= tariff.unit_price_cents <= asked
        assert tariff.discount_cents * quantity <= left
        # 80 % off, a fraction of a cent in the holder's favour, unless the budget caps it.
        assert tariff.discount_cents == min(-(-asked * 80 // 100), left // quantity)
    if not found.tariffs:
        assert left // quantity == 0 or asked == 0


@settings(max_examples=200, deadline=None)
@given(
    st.integers(0, 100_000),
    st.booleans(),
    st.one_of(st.none(), st.integers(1, 100_000)),
    st.one_of(st.none(), st.integers(0, 200_000)),
)
def test_a_line_is_priced_at_its_class_or_at_the_price_asked_within_the_maximum_or_refused(
    class_price: int, open_price: bool, most: int | None, asked: int | None
) -> None:
    found = regular_price(
        class_price, open_price=open_price, max_price_cents=most, asked_cents=asked
    )
    if not open_price:
        assert found == (class_price if asked is None else OpenPriceRefusal.NOT_ALLOWED)
    elif asked is None:
        assert found is OpenPriceRefusal.REQUIRED
    elif most is not None and asked <= most:
        assert found == asked
    else:
        assert found is OpenPriceRefusal.ABOVE_MAXIMUM
