"""The periods a report covers when the caller names none (pure: any day of the year)."""

from __future__ import annotations

from datetime import date

import pytest

from app.domain.reports import Period, calendar_year_of, closed_months_before


@pytest.mark.parametrize(
    ("today", "closed"),
    [
        # In January no month of this year has closed: last year's twelve.
        (date(2027, 1, 1), Period(date(2026, 1, 1), date(2027, 1, 1))),
        (date(2027, 1, 31), Period(date(2026, 1, 1), date(2027, 1, 1))),
        (date(2027, 2, 1), Period(date(2027, 1, 1), date(2027, 2, 1))),
        (date(2026, 11, 27), Period(date(2026, 1, 1), date(2026, 11, 1))),
        (date(2026, 12, 31), Period(date(2026, 1, 1), date(2026, 12, 1))),
    ],
)
def test_a_partner_sees_the_months_of_the_year_that_ended(today: date, closed: Period) -> None:
    assert closed_months_before(today) == closed


def test_a_region_sees_the_calendar_year() -> None:
    assert calendar_year_of(date(2026, 11, 27)) == Period(date(2026, 1, 1), date(2027, 1, 1))
