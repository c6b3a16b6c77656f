"""Usage buckets: calendar periods, stable keys, limits that share a bucket."""

from __future__ import annotations

from datetime import date

import pytest

from app.domain.limits import (
    LimitPeriod,
    UsageClaim,
    bucket_plan,
    claims,
    period_start,
    usage_bucket_key,
)
from app.domain.pricing import usage_keys

from .factories import offer, scheme


@pytest.mark.parametrize(
    ("period", "day", "start"),
    [
        ("day", date(2026, 3, 14), date(2026, 3, 14)),
        ("week", date(2026, 3, 15), date(2026, 3, 9)),  # a Sunday belongs to Monday's week
        ("week", date(2026, 3, 9), date(2026, 3, 9)),
        ("week", date(2026, 1, 1), date(2025, 12, 29)),  # ISO weeks cross the year
        ("month", date(2026, 2, 28), date(2026, 2, 1)),
        ("quarter", date(2026, 3, 31), date(2026, 1, 1)),
        ("quarter", date(2026, 4, 1), date(2026, 4, 1)),
        ("quarter", date(2026, 12, 31), date(2026, 10, 1)),
        ("year", date(2026, 12, 31), date(2026, 1, 1)),
    ],
)
def test_a_period_starts_on_its_calendar_boundary(
    period: LimitPeriod, day: date, start: date
) -> None:
    assert period_start(period, day) == start


def test_a_year_starting_on_1_september_runs_until_the_end_of_august() -> None:
    school_year = (9, 1)

    assert period_start("year", date(2026, 8, 31), school_year) == date(2025, 9, 1)
    assert period_start("year", date(2026, 9, 1), school_year) == date(2026, 9, 1)


def test_an_absolute_limit_has_one_bucket_for_ever() -> None:
    assert period_start("absolute", date(2026, 3, 14)) is None
    assert usage_bucket_key("X", "scheme", None, "absolute", None) == "X|scheme|absolute"


def test_a_bucket_key_escapes_a_reference_so_ids_cannot_collide() -> None:
    key = usage_bucket_key("X", "offer", "a|b", "month", date(2026, 3, 1))

    assert key == "X|offer:a%7Cb|month:2026-03-01"


def test_the_activity_date_chooses_the_period_and_the_sale_date_stands_in_without_one() -> None:
    yearly = scheme(
        code="JAARLIJKS",
        limits=[{"count": 4, "scope": "partner", "period": "year", "year_starts": "09-01"}],
    )
    next_season = offer(activity_date=date(2026, 10, 3))

    assert usage_keys(next_season, date(2026, 3, 14), [yearly]) == (
        "JAARLIJKS|partner:partner-1|year:2026-09-01",
    )
    assert usage_keys(offer(), date(2026, 3, 14), [yearly]) == (
        "JAARLIJKS|partner:partner-1|year:2025-09-01",
    )


def test_a_count_and_a_budget_with_the_same_scope_and_period_share_one_bucket() -> None:
    limited = scheme(
        code="BEPERKT",
        limits=[
            {"count": 10, "scope": "scheme", "period": "year"},
            {"discount_cents": 24000, "scope": "scheme", "period": "year"},
            {"count": 6, "scope": "scheme", "period": "year"},
            {"count": 1, "scope": "category", "period": "week"},
        ],
    )

    plan = bucket_plan(limited.limits)
    keys = [bucket.key("BEPERKT", offer(), date(2026, 3, 14)) for bucket in plan]

    assert claims(plan, keys, tickets=2, discount_cents=900) == (
        UsageClaim("BEPERKT|scheme|year:2026-01-01", 2, 900, 6, 24000),
        UsageClaim("BEPERKT|category:podium|week:2026-03-09", 2, 900, 1, None),
    )
