"""When a status counts: validity, grace after its end date, suspension, an explicit end."""

from __future__ import annotations

from datetime import date

import pytest

from app.domain.entitlements import entitlement_status, grace_days_of

from .factories import status

KANSENSTATUUT = status(
    valid_from=date(2025, 5, 1),
    valid_until=date(2026, 4, 30),
    grace_days=30,
)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2025, 4, 30), "future"),
        (date(2025, 5, 1), "active"),
        (date(2026, 4, 30), "active"),
        (date(2026, 5, 1), "in_grace"),
        (date(2026, 5, 30), "in_grace"),
        (date(2026, 5, 31), "expired"),
    ],
)
def test_a_status_is_active_between_its_dates_then_in_grace_then_expired(
    day: date, expected: str
) -> None:
    assert entitlement_status(KANSENSTATUUT, day) == expected


def test_a_suspension_holds_up_to_and_including_its_last_day() -> None:
    suspended = status(suspended_until=date(2026, 1, 15))

    assert entitlement_status(suspended, date(2026, 1, 15)) == "suspended"
    assert entitlement_status(suspended, date(2026, 1, 16)) == "active"


def test_an_ended_status_is_ended_from_its_end_date_without_grace() -> None:
    ended = status(ended_on=date(2026, 2, 1), grace_days=30)

    assert entitlement_status(ended, date(2026, 1, 31)) == "active"
    assert entitlement_status(ended, date(2026, 2, 1)) == "ended"


def test_a_status_without_end_date_stays_active() -> None:
    assert entitlement_status(status(valid_until=None), date(2099, 1, 1)) == "active"


def test_a_status_gets_the_grace_of_its_own_region_else_of_the_home_region() -> None:
    assert grace_days_of(30, 14) == 30
    assert grace_days_of(0, 14) == 0  # a region without grace gives none
    assert grace_days_of(None, 14) == 14  # valid everywhere: the home region's
