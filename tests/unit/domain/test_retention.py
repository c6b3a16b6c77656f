"""Retention: which idempotency keys, audit months and holds go."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.retention import (
    Month,
    audit_cutoff,
    idempotency_cutoff,
    months_to_drop,
    months_to_keep_ready,
)

MOMENTS = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC)
)


def test_an_idempotency_key_is_forgotten_after_its_hours() -> None:
    now = datetime(2026, 12, 3, 18, tzinfo=UTC)
    assert idempotency_cutoff(now, 48) == datetime(2026, 12, 1, 18, tzinfo=UTC)


def test_the_months_kept_ready_run_over_the_year_end() -> None:
    now = datetime(2026, 11, 30, 23, 59, tzinfo=UTC)
    assert months_to_keep_ready(now, 2) == [Month(2026, 11), Month(2026, 12), Month(2027, 1)]


def test_a_month_is_dropped_only_when_all_of_it_is_past_the_retention() -> None:
    cutoff = audit_cutoff(datetime(2026, 12, 3, 12, tzinfo=UTC), 365)  # 2025-12-03 12:00
    months = [Month(2025, 10), Month(2025, 11), Month(2025, 12), Month(2026, 1)]
    assert months_to_drop(months, cutoff) == [Month(2025, 10), Month(2025, 11)]


@settings(max_examples=300, deadline=None)
@given(MOMENTS, st.integers(min_value=1, max_value=3_650))
def test_a_dropped_month_holds_no_row_younger_than_the_retention_and_none_older_stays_a_month(
    now: datetime, days: int
) -> None:
    cutoff = audit_cutoff(now, days)
    month = Month.of(cutoff - timedelta(days=40))
    months = [month, month.next(), month.next().next()]
    dropped = months_to_drop(months, cutoff)
    for m in dropped:
        assert m.end() <= cutoff  # every row in it is older than the retention
    for m in months:
        if m not in dropped:
            assert m.end() > cutoff
            assert m.start() > cutoff - timedelta(days=31)  # kept at most a month too long


@settings(max_examples=300, deadline=None)
@given(MOMENTS)
def test_a_moment_lies_in_its_month(moment: datetime) -> None:
    month = Month.of(moment)
    assert month.start() <= moment < month.end()
    assert month.next().start() == month.end()
