"""Eligibility conditions over the holder on the activity date."""

from __future__ import annotations

from datetime import date

import pytest

from app.domain.conditions import compile_condition, parse_condition, subject_of
from app.domain.facts import HolderFacts, age_on
from app.domain.validation import Problems

from .factories import BRUGGE, KORTRIJK, holder, status

DAY = date(2026, 3, 14)


def holds(condition: object, who: HolderFacts, owner_region: str | None = "REGIO_KORTRIJK") -> bool:
    problems = Problems()
    parsed = parse_condition(condition, "/eligibility", problems, owner_region=owner_region)
    assert problems.errors == []
    return compile_condition(parsed, owner_region)(subject_of(who, DAY))


def test_age_counts_full_years_and_a_birthday_counts_on_the_day_itself() -> None:
    assert age_on(date(2014, 6, 20), date(2026, 6, 19)) == 11
    assert age_on(date(2014, 6, 20), date(2026, 6, 20)) == 12


def test_someone_born_on_29_february_gets_older_on_1_march_in_other_years() -> None:
    assert age_on(date(2008, 2, 29), date(2026, 2, 28)) == 17
    assert age_on(date(2008, 2, 29), date(2026, 3, 1)) == 18


@pytest.mark.parametrize(
    ("bounds", "birth_date", "expected"),
    [
        ({"min": 65}, date(1961, 3, 14), True),
        ({"min": 65}, date(1961, 3, 15), False),
        ({"max": 11}, date(2014, 3, 15), True),
        ({"min": 6, "max": 11}, date(2020, 3, 15), False),
    ],
)
def test_age_bounds_are_inclusive(bounds: dict[str, int], birth_date: date, expected: bool) -> None:
    assert holds({"age": bounds}, holder(birth_date=birth_date)) is expected


def test_in_region_owner_means_a_status_of_the_schemes_owner_region() -> None:
    condition = {"entitlement": "kansenstatuut", "in_region": "owner"}

    assert holds(condition, holder(status(region="REGIO_KORTRIJK")))
    assert not holds(condition, holder(status(region="BRUGGE")))
    assert holds(condition, holder(status(region=None)))


def test_in_region_any_accepts_a_status_of_any_region() -> None:
    assert holds(
        {"entitlement": "kansenstatuut", "in_region": "any"}, holder(status(region="BRUGGE"))
    )


def test_resident_of_takes_a_region_code_or_a_list_of_municipalities() -> None:
    in_brugge = holder(municipality_nis=BRUGGE, region="BRUGGE")

    assert holds({"resident_of": "BRUGGE"}, in_brugge)
    assert not holds({"resident_of": "BRUGGE"}, holder())
    assert holds({"resident_of": [KORTRIJK, "34023"]}, holder())
    assert not holds({"resident_of": ["34023"]}, holder())


def test_all_any_and_not_combine_conditions() -> None:
    senior_without_status = holder(birth_date=date(1950, 1, 1))
    condition = {
        "all": [
            {"any": [{"age": {"min": 65}}, {"age": {"max": 11}}]},
            {"not": {"entitlement": "kansenstatuut"}},
        ]
    }

    assert holds(condition, senior_without_status)
    assert not holds(condition, holder(status(), birth_date=date(1950, 1, 1)))
    assert not holds(condition, holder())


def test_every_passholder_is_a_card_holder() -> None:
    assert holds({"card_holder": True}, holder())
