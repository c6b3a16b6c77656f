"""The periods a report covers when the caller names none, and the day a sale line counts
on in the settlement (pure: any day of the year)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.reports import ReportPeriod, calendar_year_of, closed_months_before, settlement_day


@pytest.mark.parametrize(
    ("today", "closed"),
    [
        # In January no month of this year has closed: last year's twelve.
        (date(2027, 1, 1), ReportPeriod(date(2026, 1, 1), date(2027, 1, 1))),
        (date(2027, 1, 31), ReportPeriod(date(2026, 1, 1), date(2027, 1, 1))),
        (date(2027, 2, 1), ReportPeriod(date(2027, 1, 1), date(2027, 2, 1))),
        (date(2026, 11, 27), ReportPeriod(date(2026, 1, 1), date(2026, 11, 1))),
        (date(2026, 12, 31), ReportPeriod(date(2026, 1, 1), date(2026, 12, 1))),
    ],
)
def test_a_partner_sees_the_months_of_the_year_that_ended(
    today: date, closed: ReportPeriod
) -> None:
    assert closed_months_before(today) == closed


def test_a_region_sees_the_calendar_year() -> None:
    assert calendar_year_of(date(2026, 11, 27)) == ReportPeriod(date(2026, 1, 1), date(2027, 1, 1))


@pytest.mark.parametrize(
    ("activity", "on", "counted"),
    [
        # While the activity's month runs (or before it comes), the activity date.
        (date(2026, 9, 30), date(2026, 9, 30), date(2026, 9, 30)),
        (date(2026, 9, 30), date(2026, 9, 1), date(2026, 9, 30)),
        (date(2026, 12, 24), date(2026, 10, 2), date(2026, 12, 24)),
        # After it: the first day of the month it happened in.
        (date(2026, 9, 30), date(2026, 10, 1), date(2026, 10, 1)),
        (date(2026, 9, 30), date(2026, 10, 7), date(2026, 10, 1)),
        (date(2026, 12, 31), date(2027, 1, 2), date(2027, 1, 1)),
    ],
)
def test_a_line_counts_on_its_activity_date_unless_that_month_was_over(
    activity: date, on: date, counted: date
) -> None:
    assert settlement_day(activity, on) == counted


@given(
    st.dates(date(2020, 1, 1), date(2030, 12, 31)), st.dates(date(2020, 1, 1), date(2030, 12, 31))
)
def test_a_line_never_counts_in_a_month_that_had_closed_when_it_changed(
    activity: date, on: date
) -> None:
    counted = settlement_day(activity, on)

    # Never in a month that was already over on the day of the change ...
    assert counted >= on.replace(day=1)
    # ... never before its activity, and in the activity's month whenever it still ran.
    assert counted >= activity
    if activity >= on.replace(day=1):
        assert counted == activity
    else:
        assert counted == on.replace(day=1)
