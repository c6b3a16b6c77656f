"""Which statuses a move between regions ends."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.entitlements import EntitlementFact, entitlement_status
from app.domain.moves import HeldStatus, is_move, statuses_ended_by_move

LEFT, OTHER = "region-left", "region-other"
MOVE_DAY = date(2026, 12, 3)


def _status(
    id_: str,
    region_id: str | None,
    valid_from: date,
    valid_until: date | None,
    *,
    ended_on: date | None = None,
    grace_days: int = 0,
) -> HeldStatus:
    return HeldStatus(
        id_,
        region_id,
        EntitlementFact(
            type="kansenstatuut",
            region=None,
            valid_from=valid_from,
            valid_until=valid_until,
            ended_on=ended_on,
            grace_days=grace_days,
        ),
    )


def test_a_move_ends_only_the_statuses_of_the_region_left_that_still_count() -> None:
    statuses = [
        _status("active", LEFT, date(2026, 1, 1), date(2027, 4, 30)),
        _status("in-grace", LEFT, date(2025, 1, 1), date(2026, 11, 30), grace_days=30),
        _status("future", LEFT, date(2027, 1, 1), date(2028, 4, 30)),
        _status("expired", LEFT, date(2024, 1, 1), date(2025, 4, 30)),
        _status("ended", LEFT, date(2026, 1, 1), None, ended_on=date(2026, 6, 1)),
        _status("everywhere", None, date(2026, 1, 1), None),
        _status("other-region", OTHER, date(2026, 1, 1), None),
    ]
    assert statuses_ended_by_move(
        statuses, from_region_id=LEFT, on=MOVE_DAY, end_statuses_on_move=True
    ) == [("active", MOVE_DAY), ("in-grace", MOVE_DAY), ("future", date(2027, 1, 1))]


def test_a_region_that_keeps_statuses_on_a_move_ends_none() -> None:
    statuses = [_status("active", LEFT, date(2026, 1, 1), None)]
    assert (
        statuses_ended_by_move(
            statuses, from_region_id=LEFT, on=MOVE_DAY, end_statuses_on_move=False
        )
        == []
    )


def test_a_new_residence_in_the_same_region_is_no_move() -> None:
    assert not is_move(LEFT, LEFT)
    assert is_move(LEFT, OTHER)


@settings(max_examples=300, deadline=None)
@given(
    st.integers(min_value=-800, max_value=800),
    st.one_of(st.none(), st.integers(min_value=0, max_value=800)),
    st.integers(min_value=0, max_value=60),
    st.sampled_from([LEFT, OTHER, None]),
)
def test_an_ended_status_no_longer_counts_from_the_move_on_and_never_ends_before_it_starts(
    start_offset: int, length: int | None, grace: int, region: str | None
) -> None:
    valid_from = MOVE_DAY + timedelta(days=start_offset)
    valid_until = None if length is None else valid_from + timedelta(days=length)
    status = _status("s", region, valid_from, valid_until, grace_days=grace)
    ended = statuses_ended_by_move(
        [status], from_region_id=LEFT, on=MOVE_DAY, end_statuses_on_move=True
    )
    if region != LEFT:
        assert ended == []
        return
    before = entitlement_status(status.fact, MOVE_DAY)
    if before in ("expired", "ended"):
        assert ended == []
        return
    [(_, ended_on)] = ended
    assert ended_on >= valid_from
    after = EntitlementFact(
        type="kansenstatuut",
        region=None,
        valid_from=valid_from,
        valid_until=valid_until,
        ended_on=ended_on,
        grace_days=grace,
    )
    for day in range(0, 900, 7):
        assert entitlement_status(after, MOVE_DAY + timedelta(days=day)) not in (
            "active",
            "in_grace",
        )
