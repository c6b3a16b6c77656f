"""Properties of the price calculation that must hold for any catalogue, holder and usage."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from random import Random

from hypothesis import find, given, settings
from hypothesis import strategies as st

from app.domain.entitlements import ENTITLEMENT_TYPES, EntitlementFact
from app.domain.facts import HolderFacts, OfferFacts, PriceClass
from app.domain.limits import UsageAmount
from app.domain.price_rules import PriceRule
from app.domain.pricing import Quote, price, usage_keys
from app.domain.schemes import SchemeDefinition, parse_scheme

SALE_DAY = date(2026, 3, 14)
REGIONS = ("REGIO_KORTRIJK", "BRUGGE")
MUNICIPALITIES = ("34022", "34023", "31005")
PARTNERS = ("partner-1", "partner-2")
CATEGORIES = ("podium", "sport")
PRICE_CLASSES = ("standard", "reduced")

# Drawing whole catalogues is what costs time here (the pricing itself takes microseconds);
# these budgets keep the unit suite within seconds while still exploring widely across runs.
FAST = settings(max_examples=60, deadline=None)
ROUND_TRIPS = settings(max_examples=150, deadline=None)

# --- definitions ------------------------------------------------------------------------

percents = st.one_of(
    st.integers(0, 100),
    st.decimals(0, 100, places=2, allow_nan=False, allow_infinity=False).map(float),
)
cents = st.integers(0, 20_000)

leaves = st.one_of(
    st.fixed_dictionaries(
        {
            "entitlement": st.sampled_from(ENTITLEMENT_TYPES[:3]),
            "in_region": st.sampled_from(("owner", "any", "BRUGGE")),
        }
    ),
    st.tuples(st.integers(0, 90), st.integers(0, 30)).map(
        lambda t: {"age": {"min": t[0], "max": t[0] + t[1]}}
    ),
    st.integers(0, 90).map(lambda n: {"age": {"min": n}}),
    st.sampled_from(REGIONS).map(lambda r: {"resident_of": r}),
    st.lists(st.sampled_from(MUNICIPALITIES), min_size=1, max_size=2, unique=True).map(
        lambda nis: {"resident_of": nis}
    ),
    st.just({"card_holder": True}),
)
conditions = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=3).map(lambda cs: {"all": cs}),
        st.lists(inner, min_size=1, max_size=3).map(lambda cs: {"any": cs}),
        inner.map(lambda c: {"not": c}),
    ),
    max_leaves=4,
)


@st.composite
def price_rules(draw: st.DrawFn) -> dict[str, object]:
    type_ = draw(
        st.sampled_from(("pay_percent", "percent_off", "amount_off", "fixed_price", "free"))
    )
    rule: dict[str, object] = {"type": type_}
    if type_ in ("pay_percent", "percent_off"):
        rule["percent"] = draw(percents)
    elif type_ != "free":
        rule["amount_cents"] = draw(cents)
    if draw(st.booleans()):
        rule["rounding"] = draw(
            st.sampled_from(("none", "down_10", "nearest_10", "down_50", "nearest_50", "down_100"))
        )
    if draw(st.booleans()):
        rule["max_pay_cents"] = draw(cents)
    return rule


@st.composite
def funding_keys(draw: st.DrawFn) -> list[dict[str, object]]:
    payers = st.sampled_from(("partner", "home_municipality", "scheme_owner", "VLAANDEREN"))
    first = draw(st.integers(0, 100))
    shares: list[dict[str, object]] = [{"payer": draw(payers), "percent": first}]
    if draw(st.booleans()):
        shares.append({"payer": draw(payers), "percent": draw(st.integers(0, 100 - first))})
    if draw(st.booleans()):
        shares.append({"payer": draw(payers), "fixed_cents": draw(st.integers(0, 500))})
    return [*shares, {"payer": draw(payers), "rest": True}]


limits = st.fixed_dictionaries(
    {
        "scope": st.sampled_from(("offer", "partner", "scheme", "category")),
        "period": st.sampled_from(("absolute", "day", "week", "month", "quarter", "year")),
    }
).flatmap(
    lambda base: st.one_of(
        st.integers(1, 3).map(lambda n: {**base, "count": n}),
        st.integers(1, 10_000).map(lambda n: {**base, "discount_cents": n}),
    )
)


@st.composite
def scheme_definitions(draw: st.DrawFn, code: str = "SCHEME") -> dict[str, object]:
    data: dict[str, object] = {
        "code": code,
        "name": {"nl": code.title()},
        "owner_region": draw(st.sampled_from(REGIONS)),
        "version": draw(st.integers(1, 3)),
        "eligibility": draw(conditions),
        "applies_to": draw(
            st.fixed_dictionaries(
                {"partners": st.sampled_from(("all", "owner_region", ["partner-1"]))},
                optional={
                    "categories": st.lists(
                        st.sampled_from(CATEGORIES), min_size=1, max_size=2, unique=True
                    ),
                    "price_classes": st.lists(
                        st.sampled_from(PRICE_CLASSES), min_size=1, max_size=2, unique=True
                    ),
                    "max_regular_price_cents": cents,
                },
            )
        ),
        "price": draw(price_rules()),
        "limits": draw(st.lists(limits, max_size=2)),
        "stacking": draw(st.sampled_from(("exclusive", "exclusive", "on_top"))),
        "priority": draw(st.integers(-2, 2)),
    }
    if draw(st.booleans()):
        data["funding"] = draw(funding_keys())
    else:
        data["funding_by_residence"] = {
            "same_municipality": draw(funding_keys()),
            "other": draw(funding_keys()),
        }
    if draw(st.booleans()):
        start = SALE_DAY + timedelta(days=draw(st.integers(-60, 10)))
        data["valid_from"] = start.isoformat()
        data["valid_until"] = (start + timedelta(days=draw(st.integers(0, 90)))).isoformat()
    if draw(st.booleans()):
        data["companions"] = {"max": draw(st.integers(1, 3)), "price": draw(price_rules())}
    return data


@st.composite
def catalogues(draw: st.DrawFn) -> list[SchemeDefinition]:
    count = draw(st.integers(1, 5))
    return [parse_scheme(draw(scheme_definitions(f"SCHEME_{i}"))) for i in range(count)]


# --- facts ------------------------------------------------------------------------------


@st.composite
def holders(draw: st.DrawFn) -> HolderFacts:
    statuses = []
    for type_ in draw(st.lists(st.sampled_from(ENTITLEMENT_TYPES[:3]), max_size=3)):
        valid_from = SALE_DAY + timedelta(days=draw(st.integers(-400, 30)))
        length = draw(st.one_of(st.none(), st.integers(0, 500)))
        statuses.append(
            EntitlementFact(
                type_,
                draw(st.sampled_from((None, *REGIONS))),
                valid_from,
                None if length is None else valid_from + timedelta(days=length),
                suspended_until=draw(st.one_of(st.none(), st.just(SALE_DAY))),
                grace_days=draw(st.integers(0, 30)),
            )
        )
    return HolderFacts(
        "holder-1",
        draw(st.dates(date(1930, 1, 1), date(2025, 12, 31))),
        draw(st.sampled_from(MUNICIPALITIES)),
        draw(st.sampled_from((None, *REGIONS))),
        tuple(statuses),
        draw(st.sampled_from(("active", "active", "active", "blocked"))),
    )


offers = st.builds(
    OfferFacts,
    offer_id=st.sampled_from(("offer-1", "offer-2")),
    partner_id=st.sampled_from(PARTNERS),
    partner_region=st.sampled_from(REGIONS),
    partner_municipality_nis=st.sampled_from(MUNICIPALITIES),
    category=st.sampled_from(CATEGORIES),
    activity_date=st.one_of(st.none(), st.dates(SALE_DAY, SALE_DAY + timedelta(days=200))),
)
price_classes = st.builds(PriceClass, st.sampled_from(PRICE_CLASSES), st.integers(0, 20_000))
quantities = st.integers(1, 3)
amounts = st.builds(UsageAmount, st.integers(0, 4), st.integers(0, 12_000))


def usage_for(
    draw: st.DrawFn, schemes: Sequence[SchemeDefinition], offer: OfferFacts
) -> dict[str, UsageAmount]:
    keys = usage_keys(offer, SALE_DAY, schemes)
    return {key: draw(amounts) for key in keys if draw(st.booleans())}


@st.composite
def sales(
    draw: st.DrawFn,
) -> tuple[
    OfferFacts, PriceClass, HolderFacts | None, int, dict[str, UsageAmount], list[SchemeDefinition]
]:
    schemes = draw(catalogues())
    offer = draw(offers)
    return (
        offer,
        draw(price_classes),
        draw(st.one_of(st.none(), holders())),
        draw(quantities),
        usage_for(draw, schemes, offer),
        schemes,
    )


@st.composite
def stacked_sales(
    draw: st.DrawFn,
) -> tuple[
    OfferFacts, PriceClass, HolderFacts, int, dict[str, UsageAmount], list[SchemeDefinition]
]:
    """Sales where exclusive and on_top schemes all apply, so tariffs stack: random
    catalogues reach that case in well under 1 % of draws."""
    schemes = []
    for index, stacking in enumerate(
        ["exclusive"] * draw(st.integers(1, 2)) + ["on_top"] * draw(st.integers(1, 2))
    ):
        data = draw(scheme_definitions(f"STACKED_{index}"))
        data |= {
            "eligibility": {"card_holder": True},
            "applies_to": {"partners": "all"},
            "stacking": stacking,
        }
        data.pop("valid_from", None)
        data.pop("valid_until", None)
        schemes.append(parse_scheme(data))
    offer = draw(offers)
    holder = replace(draw(holders()), card_status="active")
    return (
        offer,
        PriceClass(draw(st.sampled_from(PRICE_CLASSES)), draw(st.integers(100, 20_000))),
        holder,
        draw(quantities),
        usage_for(draw, schemes, offer),
        schemes,
    )


Sale = tuple[
    OfferFacts, PriceClass, HolderFacts | None, int, dict[str, UsageAmount], list[SchemeDefinition]
]
# Every property runs on random sales and on sales built to stack.
any_sales = st.one_of(sales(), stacked_sales())


def test_the_stacked_strategy_reaches_tariffs_of_several_parts() -> None:
    # Otherwise the per-part properties below would hold vacuously.
    found = find(
        stacked_sales(),
        lambda sale: any(len(t.parts) > 1 for t in quote_of(sale).tariffs),
        settings=settings(max_examples=200, deadline=None),
    )
    assert any(len(t.parts) > 1 for t in quote_of(found).tariffs)


def quote_of(sale: Sale) -> Quote:
    offer, price_class, holder, quantity, usage, schemes = sale
    return price(
        offer=offer,
        price_class=price_class,
        holder=holder,
        at=SALE_DAY,
        quantity=quantity,
        usage=usage,
        schemes=schemes,
    )


def best_price(quote: Quote) -> int:
    return quote.tariffs[0].unit_price_cents if quote.tariffs else quote.regular_price_cents


# --- properties -------------------------------------------------------------------------


@FAST
@given(any_sales)
def test_every_price_lies_between_zero_and_the_regular_price(sale: Sale) -> None:
    quote = quote_of(sale)

    for tariff in quote.tariffs:
        assert 0 <= tariff.unit_price_cents <= quote.regular_price_cents
        assert tariff.discount_cents == quote.regular_price_cents - tariff.unit_price_cents
        assert tariff.total_cents == tariff.unit_price_cents * tariff.quantity


@FAST
@given(any_sales)
def test_funding_adds_up_to_the_discount_cent_for_cent(sale: Sale) -> None:
    for tariff in quote_of(sale).tariffs:
        assert all(share.amount_cents > 0 for share in tariff.funding)
        assert (
            sum(s.amount_cents for s in tariff.funding) == tariff.discount_cents * tariff.quantity
        )
        assert sum(part.discount_cents for part in tariff.parts) == tariff.discount_cents
        for part in tariff.parts:
            funded = sum(
                s.amount_cents for s in tariff.funding if s.scheme_code == part.scheme_code
            )
            assert funded == part.discount_cents * tariff.quantity


@FAST
@given(any_sales)
def test_companions_pay_within_the_regular_price_and_their_funding_adds_up(sale: Sale) -> None:
    quote = quote_of(sale)
    for tariff in quote.tariffs:
        terms = tariff.companions
        if terms is None:
            continue
        assert 0 <= terms.unit_price_cents <= quote.regular_price_cents
        assert terms.discount_cents == quote.regular_price_cents - terms.unit_price_cents
        for count in range(1, terms.max + 1):
            funding = terms.funding(count)
            assert all(s.amount_cents > 0 and s.scheme_code == terms.scheme_code for s in funding)
            assert sum(s.amount_cents for s in funding) == terms.discount_cents * count


@FAST
@given(any_sales)
def test_the_best_tariff_is_the_cheapest(sale: Sale) -> None:
    quote = quote_of(sale)

    if quote.tariffs:
        assert quote.best_tariff_id == quote.tariffs[0].tariff_id
        assert best_price(quote) == min(t.unit_price_cents for t in quote.tariffs)
    else:
        assert quote.best_tariff_id is None


@FAST
@given(sales(), st.randoms(use_true_random=False))
def test_the_same_sale_gives_the_same_quote_whatever_the_order_of_the_schemes(
    sale: Sale, random: Random
) -> None:
    offer, price_class, holder, quantity, usage, schemes = sale
    shuffled = list(schemes)
    random.shuffle(shuffled)
    # Equal definitions built anew: nothing may depend on object identity either.
    rebuilt = [parse_scheme(s.to_dict()) for s in shuffled]

    assert quote_of(sale) == quote_of((offer, price_class, holder, quantity, dict(usage), rebuilt))


def meant_for(scheme: SchemeDefinition, offer: OfferFacts) -> bool:
    partners = scheme.applies_to.partners
    if partners == "all":
        return True
    if partners == "owner_region":
        return scheme.owner_region == offer.partner_region
    return offer.partner_id in partners


@FAST
@given(any_sales)
def test_each_scheme_meant_for_the_offer_gives_a_tariff_or_a_reason_and_no_other_appears(
    sale: Sale,
) -> None:
    offer, _, _, _, _, schemes = sale
    quote = quote_of(sale)
    applied = {part.scheme_code for tariff in quote.tariffs for part in tariff.parts}
    refused = [refusal.scheme_code for refusal in quote.not_applicable]

    assert len(refused) == len(set(refused))
    assert applied.isdisjoint(refused)
    assert applied | set(refused) == {s.code for s in schemes if meant_for(s, offer)}


@FAST
@given(sales(), scheme_definitions("NOT_FOR_YOU"))
def test_adding_a_scheme_the_holder_does_not_qualify_for_changes_no_tariff(
    sale: Sale, extra: dict[str, object]
) -> None:
    offer, price_class, holder, quantity, usage, schemes = sale
    if holder is None:
        return
    extra["eligibility"] = {"all": [extra["eligibility"], {"not": {"card_holder": True}}]}

    before = quote_of(sale)
    after = quote_of((offer, price_class, holder, quantity, usage, [*schemes, parse_scheme(extra)]))

    assert after.tariffs == before.tariffs
    assert after.best_tariff_id == before.best_tariff_id


@FAST
@given(any_sales, st.data())
def test_using_up_a_limit_never_lowers_a_price(sale: Sale, data: st.DataObject) -> None:
    offer, price_class, holder, quantity, usage, schemes = sale
    more = dict(usage)
    for key in usage_keys(offer, SALE_DAY, schemes):
        used = more.get(key, UsageAmount())
        extra = data.draw(amounts)
        more[key] = UsageAmount(
            used.tickets + extra.tickets, used.discount_cents + extra.discount_cents
        )

    before = quote_of(sale)
    after = quote_of((offer, price_class, holder, quantity, more, schemes))

    assert best_price(after) >= best_price(before)
    earlier = {t.scheme_code: t.unit_price_cents for t in before.tariffs}
    for tariff in after.tariffs:
        if tariff.scheme_code in earlier:
            assert tariff.unit_price_cents >= earlier[tariff.scheme_code]


@ROUND_TRIPS
@given(st.integers(1, 8).flatmap(lambda n: scheme_definitions(f"ROUND_TRIP_{n}")))
def test_a_definition_survives_the_round_trip_through_to_dict_and_json(
    data: dict[str, object],
) -> None:
    scheme = parse_scheme(data)

    assert parse_scheme(scheme.to_dict()) == scheme
    assert parse_scheme(json.loads(json.dumps(scheme.to_dict()))) == scheme


@ROUND_TRIPS
@given(price_rules(), st.integers(0, 100_000))
def test_no_price_rule_pays_below_zero_or_above_the_base(
    rule: dict[str, object], base: int
) -> None:
    parsed = parse_scheme(
        {
            "code": "RULE",
            "name": {"nl": "Regel"},
            "eligibility": {"card_holder": True},
            "applies_to": {"partners": "all"},
            "price": rule,
            "funding": [{"payer": "partner", "rest": True}],
        }
    ).price

    assert 0 <= parsed.unit_price(base) <= base


def test_a_percentage_with_two_decimals_is_applied_exactly() -> None:
    rule = replace(PriceRule("pay_percent"), percent=Decimal("12.34"))

    # 12.34 % of 10 000 cents is exactly 1234 cents; a float would give 1233.9999…
    assert rule.unit_price(10_000) == 1234
