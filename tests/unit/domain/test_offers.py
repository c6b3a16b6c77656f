"""The day an offer's activity counts on: a one-off's own date in Brussels, else none."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.offers import BRUSSELS, OfferKind, activity_date


def test_a_one_off_activity_counts_on_its_date_in_brussels() -> None:
    # 22:30 UTC on 31 March is 00:30 on 1 April in Brussels (summer time).
    late = datetime(2026, 3, 31, 22, 30, tzinfo=UTC)

    assert activity_date("one_off", late) == date(2026, 4, 1)
    assert activity_date("one_off", datetime(2026, 1, 31, 22, 30, tzinfo=UTC)) == date(2026, 1, 31)


@pytest.mark.parametrize("kind", [OfferKind.PERIOD, OfferKind.PERMANENT])
def test_other_offers_have_no_activity_date_of_their_own(kind: OfferKind) -> None:
    assert activity_date(kind, datetime(2026, 3, 31, 20, 0, tzinfo=UTC)) is None


def test_a_one_off_without_a_start_has_none_either() -> None:
    assert activity_date(OfferKind.ONE_OFF, None) is None


moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)
offsets = st.integers(-12 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))


@given(moments, offsets)
def test_the_same_moment_written_in_any_zone_counts_on_the_same_day(
    moment: datetime, zone: timezone
) -> None:
    assert activity_date("one_off", moment.astimezone(zone)) == activity_date("one_off", moment)


@given(moments)
def test_the_activity_date_is_the_brussels_calendar_day_within_a_day_of_utc(
    moment: datetime,
) -> None:
    day = activity_date("one_off", moment)

    assert day == moment.astimezone(BRUSSELS).date()
    assert day is not None
    assert day - moment.date() in (timedelta(0), timedelta(days=1))
