"""Reading scheme definitions: every problem reported at the field it concerns."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

from app.domain.schemes import SchemeValidationError, parse_scheme

from .factories import scheme_data


def errors_of(data: dict[str, object]) -> list[tuple[str, str]]:
    with pytest.raises(SchemeValidationError) as raised:
        parse_scheme(data)
    return raised.value.errors


REST = {"payer": "scheme_owner", "rest": True}


@pytest.mark.parametrize(
    ("overrides", "pointer", "message"),
    [
        ({"colour": "blue"}, "/colour", "unknown key"),
        ({"code": "kansentarief"}, "/code", "UPPER_SNAKE_CASE"),
        ({"code": "K"}, "/code", "2 to 64"),
        ({"code": "K" * 65}, "/code", "2 to 64"),
        ({"name": {"fr": "Tarif"}}, "/name/nl", "is required"),
        ({"name": {"nl": "Tarif", "de": "Tarif"}}, "/name/de", "unknown key"),
        ({"price": {"type": "pay_percent", "percent": 120}}, "/price/percent", "between 0 and 100"),
        ({"price": {"type": "pay_percent", "percent": -5}}, "/price/percent", "between 0 and 100"),
        ({"price": {"type": "pay_percent", "percent": 12.345}}, "/price/percent", "two decimals"),
        ({"price": {"type": "pay_percent"}}, "/price/percent", "is required"),
        ({"price": {"type": "free", "percent": 5}}, "/price/percent", "does not apply"),
        (
            {"price": {"type": "fixed_price", "amount_cents": -125}},
            "/price/amount_cents",
            "negative",
        ),
        (
            {"price": {"type": "fixed_price", "amount_cents": 1.25}},
            "/price/amount_cents",
            "integer",
        ),
        ({"price": {"type": "half"}}, "/price/type", "one of"),
        (
            {"price": {"type": "free", "rounding": "up_10"}},
            "/price/rounding",
            "one of: none, down_10",
        ),
        ({"price": {"type": "free", "max_pay_cents": -1}}, "/price/max_pay_cents", "negative"),
        ({"valid_from": "2026-05-01", "valid_until": "2026-04-30"}, "/valid_until", "before"),
        ({"valid_from": "1 May 2026"}, "/valid_from", "ISO date"),
        ({"eligibility": {"income": "low"}}, "/eligibility/income", "unknown condition"),
        (
            {"eligibility": {"all": [{"card_holder": True}, {"age": {"min": 12, "max": 5}}]}},
            "/eligibility/all/1/age/max",
            "below min",
        ),
        ({"eligibility": {"any": []}}, "/eligibility/any", "at least 1"),
        ({"eligibility": {"entitlement": "rich"}}, "/eligibility/entitlement", "one of"),
        (
            {
                "eligibility": {"entitlement": "leefloon", "in_region": "owner"},
                "owner_region": None,
            },
            "/eligibility/in_region",
            "owner_region",
        ),
        ({"eligibility": {"resident_of": ["3402"]}}, "/eligibility/resident_of/0", "NIS"),
        ({"eligibility": {"card_holder": False}}, "/eligibility/card_holder", "must be true"),
        ({"eligibility": {"not": {"card_holder": True}, "age": {}}}, "/eligibility", "exactly one"),
        (
            {"funding": [{"payer": "partner", "percent": 60}, {"payer": "x", "percent": 50}, REST]},
            "/funding/1/payer",
            "funder CODE",
        ),
        (
            {
                "funding": [
                    {"payer": "partner", "percent": 60},
                    {"payer": "home_municipality", "percent": 50},
                    REST,
                ]
            },
            "/funding",
            "more than 100",
        ),
        ({"funding": [{"payer": "partner", "percent": 60}]}, "/funding", "exactly one share"),
        ({"funding": [REST, {"payer": "partner", "percent": 5}]}, "/funding/0/rest", "last"),
        ({"funding": [REST, REST]}, "/funding/1/rest", "only one"),
        (
            {"funding": [{"payer": "partner", "fixed_cents": -5}, REST]},
            "/funding/0/fixed_cents",
            "negative",
        ),
        (
            {"funding": [{"payer": "partner", "percent": 5, "rest": True}]},
            "/funding/0",
            "exactly one of",
        ),
        ({"funding": None}, "/funding", "either funding or funding_by_residence"),
        ({"funding_by_residence": {"other": [REST]}}, "/funding", "either"),
        (
            {"funding": None, "funding_by_residence": {"other": [REST]}},
            "/funding_by_residence/same_municipality",
            "is required",
        ),
        (
            {"limits": [{"count": 0, "scope": "offer", "period": "day"}]},
            "/limits/0/count",
            "at least 1",
        ),
        ({"limits": [{"scope": "offer", "period": "day"}]}, "/limits/0", "exactly one of"),
        (
            {"limits": [{"count": 1, "scope": "venue", "period": "day"}]},
            "/limits/0/scope",
            "one of",
        ),
        (
            {"limits": [{"count": 1, "scope": "offer", "period": "decade"}]},
            "/limits/0/period",
            "one of",
        ),
        ({"limits": [{"count": 1, "scope": "offer"}]}, "/limits/0/period", "is required"),
        (
            {"limits": [{"count": 1, "scope": "offer", "period": "month", "year_starts": "09-01"}]},
            "/limits/0/year_starts",
            "only applies to period year",
        ),
        (
            {"limits": [{"count": 1, "scope": "offer", "period": "year", "year_starts": "02-29"}]},
            "/limits/0/year_starts",
            "MM-DD",
        ),
        (
            {
                "limits": [
                    {"discount_cents": 100, "per": "household", "scope": "offer", "period": "year"}
                ]
            },
            "/limits/0/per",
            "one of",
        ),
        ({"companions": {"max": 0, "price": {"type": "free"}}}, "/companions/max", "at least 1"),
        ({"companions": {"max": 1}}, "/companions/price", "is required"),
        ({"stacking": "combined"}, "/stacking", "one of: exclusive, on_top"),
        ({"priority": "high"}, "/priority", "integer"),
        ({"version": 0}, "/version", "at least 1"),
        ({"applies_to": {"partners": "everyone"}}, "/applies_to/partners", "one of"),
        ({"applies_to": {"partners": []}}, "/applies_to/partners", "at least 1"),
        (
            {"applies_to": {"partners": "owner_region"}, "owner_region": None},
            "/applies_to/partners",
            "owner_region",
        ),
        (
            {"applies_to": {"partners": "all", "max_regular_price_cents": -1}},
            "/applies_to/max_regular_price_cents",
            "negative",
        ),
        ({"owner_region": "regio kortrijk"}, "/owner_region", "UPPER_SNAKE_CASE"),
    ],
)
def test_a_problem_is_reported_at_the_field_it_concerns(
    overrides: dict[str, object], pointer: str, message: str
) -> None:
    errors = errors_of(scheme_data(**overrides))

    assert any(at == pointer and message in text for at, text in errors), errors


def test_every_problem_is_reported_at_once() -> None:
    errors = errors_of(
        scheme_data(code="bad", price={"type": "pay_percent", "percent": 101}, stacking="x")
    )

    assert [at for at, _ in errors] == ["/code", "/price/percent", "/stacking"]


def test_a_missing_field_is_reported_once() -> None:
    data = scheme_data()
    del data["price"]

    assert errors_of(data) == [("/price", "is required")]


def test_a_key_with_a_slash_is_escaped_in_the_pointer() -> None:
    assert errors_of(scheme_data(**{"a/b": 1})) == [("/a~1b", "unknown key")]


def test_a_percentage_keeps_its_exact_decimal_value() -> None:
    parsed = parse_scheme(scheme_data(price={"type": "percent_off", "percent": 12.5}))

    assert parsed.price.percent == Decimal("12.5")


def test_dates_may_come_as_iso_strings_or_as_yaml_dates() -> None:
    from_text = parse_scheme(scheme_data(valid_from="2026-01-01"))
    from_yaml = parse_scheme(scheme_data(valid_from=date(2026, 1, 1)))

    assert from_text == from_yaml


def test_a_definition_survives_a_round_trip_through_json() -> None:
    original = parse_scheme(
        scheme_data(
            valid_from="2026-01-01",
            valid_until="2026-12-31",
            version=3,
            eligibility={
                "all": [
                    {"entitlement": "kansenstatuut", "in_region": "owner"},
                    {"not": {"resident_of": ["34022", "34023"]}},
                    {"any": [{"age": {"max": 17}}, {"resident_of": "BRUGGE"}]},
                ]
            },
            applies_to={
                "partners": ["p1", "p2"],
                "categories": ["sport"],
                "price_classes": ["standard"],
                "max_regular_price_cents": 5000,
            },
            price={
                "type": "pay_percent",
                "percent": 12.5,
                "rounding": "down_50",
                "max_pay_cents": 300,
            },
            limits=[{"count": 2, "scope": "partner", "period": "year", "year_starts": "09-01"}],
            companions={"max": 2, "price": {"type": "fixed_price", "amount_cents": 100}},
            funding=None,
            funding_by_residence={
                "same_municipality": [{"payer": "home_municipality", "percent": 33.33}, REST],
                "other": [{"payer": "VLAANDEREN", "fixed_cents": 50}, REST],
            },
            stacking="on_top",
            priority=-3,
            description={"nl": "Uitleg", "en": "Explanation"},
            how_to_apply={"nl": "Vraag het aan", "fr": "Demandez-le"},
        )
    )

    assert parse_scheme(json.loads(json.dumps(original.to_dict()))) == original
