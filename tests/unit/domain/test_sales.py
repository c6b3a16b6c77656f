"""A sale's life: moves between statuses, hold lapse, the cancellation window, and the
desk's confirm and cancel decided on the sale as it is."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.limits import UsageAmount
from app.domain.sales import (
    MOVES,
    Decision,
    HeldUsage,
    IllegalTransition,
    Refusal,
    SaleFacts,
    SaleStatus,
    Transition,
    as_read,
    cancel,
    cancellation_deadline,
    confirm,
    hold_lapsed,
    transition,
    usage_in_force,
    within_cancellation_window,
)

NOON = datetime(2026, 3, 14, 12, 0, tzinfo=UTC)
WEEK = 168  # the default cancellation window, in hours

HELD = SaleStatus.HELD
CONFIRMED = SaleStatus.CONFIRMED
CANCELLED = SaleStatus.CANCELLED
EXPIRED = SaleStatus.EXPIRED


def hold(*, lapses_in: timedelta = timedelta(minutes=15)) -> SaleFacts:
    return SaleFacts(HELD, NOON, NOON + lapses_in)


def sale(status: SaleStatus, *, made: datetime = NOON) -> SaleFacts:
    return SaleFacts(status, made, None)


def after(facts: SaleFacts, decision: Decision) -> SaleFacts:
    """The sale once the decision's move is made."""
    return SaleFacts(decision.status, facts.created_at, facts.hold_expires_at)


# --- moves ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "to"),
    [(HELD, CONFIRMED), (HELD, CANCELLED), (HELD, EXPIRED), (CONFIRMED, CANCELLED)],
)
def test_a_hold_may_be_confirmed_released_or_lapse_and_a_sale_may_be_cancelled(
    before: SaleStatus, to: SaleStatus
) -> None:
    assert transition(before, to) == Transition(before, to)


@pytest.mark.parametrize(
    ("before", "to"),
    [
        (CONFIRMED, HELD),
        (CONFIRMED, EXPIRED),
        (CANCELLED, CONFIRMED),
        (CANCELLED, HELD),
        (EXPIRED, CONFIRMED),
        (EXPIRED, CANCELLED),
        (HELD, HELD),
    ],
)
def test_no_other_move_exists(before: SaleStatus, to: SaleStatus) -> None:
    with pytest.raises(IllegalTransition):
        transition(before, to)


def test_cancelled_and_expired_are_final() -> None:
    assert [status for status in SaleStatus if not MOVES[status]] == [CANCELLED, EXPIRED]


def test_what_each_move_means_for_the_hold_the_usage_and_the_settlement() -> None:
    effects = {
        (move.before, move.after): (move.ends_hold, move.gives_back_usage, move.settlement_sign)
        for move in (transition(b, a) for b, targets in MOVES.items() for a in targets)
    }

    assert effects == {
        (HELD, CONFIRMED): (True, False, +1),
        (HELD, CANCELLED): (True, True, 0),
        (HELD, EXPIRED): (True, True, 0),
        (CONFIRMED, CANCELLED): (False, True, -1),
    }


# --- hold lapse -----------------------------------------------------------------------------


def test_a_hold_counts_until_its_moment_and_not_at_it() -> None:
    moment = NOON + timedelta(minutes=15)

    assert not hold_lapsed(moment, moment - timedelta(microseconds=1))
    assert hold_lapsed(moment, moment)
    assert hold_lapsed(moment, moment + timedelta(days=1))
    assert not hold_lapsed(None, moment)  # not a hold


def test_a_lapsed_hold_reads_as_expired_and_a_live_one_as_held() -> None:
    facts = hold()

    assert as_read(facts, NOON + timedelta(minutes=14)) == Decision(HELD)
    assert as_read(facts, NOON + timedelta(minutes=15)) == Decision(
        EXPIRED, Transition(HELD, EXPIRED)
    )


def test_usage_in_force_leaves_out_what_lapsed_holds_still_hold() -> None:
    counters = {"a": UsageAmount(3, 900), "b": UsageAmount(1, 0)}
    holds = [
        HeldUsage("a", 1, 300, NOON),  # lapsed at noon
        HeldUsage("a", 1, 200, NOON + timedelta(minutes=5)),  # still held
        HeldUsage("b", 1, 0, NOON - timedelta(hours=1)),
        HeldUsage("c", 2, 0, NOON - timedelta(hours=1)),  # a bucket not asked for
    ]

    assert usage_in_force(counters, holds, NOON) == {
        "a": UsageAmount(2, 600),
        "b": UsageAmount(0, 0),
    }


# --- the cancellation window ----------------------------------------------------------------


def test_a_confirmed_sale_may_be_cancelled_until_the_window_ends_and_not_after() -> None:
    deadline = cancellation_deadline(NOON, 48)

    assert deadline == NOON + timedelta(hours=48)
    assert within_cancellation_window(NOON, 48, deadline)
    assert not within_cancellation_window(NOON, 48, deadline + timedelta(microseconds=1))
    assert cancel(sale(CONFIRMED), deadline, 48).transition == Transition(CONFIRMED, CANCELLED)
    assert cancel(sale(CONFIRMED), deadline + timedelta(seconds=1), 48) == Decision(
        CONFIRMED, refusal=Refusal.WINDOW_PASSED
    )


def test_a_partner_without_cancellations_still_lets_a_hold_be_released() -> None:
    assert cancel(hold(), NOON + timedelta(minutes=1), 0) == Decision(
        CANCELLED, Transition(HELD, CANCELLED)
    )
    assert cancel(sale(CONFIRMED), NOON + timedelta(minutes=1), 0).refusal == (
        Refusal.WINDOW_PASSED
    )


def test_the_window_counts_from_when_a_confirmed_hold_was_made() -> None:
    held_then_confirmed = SaleFacts(CONFIRMED, NOON, NOON + timedelta(minutes=15))

    assert cancel(held_then_confirmed, NOON + timedelta(hours=24), 24).refusal is None
    assert cancel(held_then_confirmed, NOON + timedelta(hours=25), 24).refusal == (
        Refusal.WINDOW_PASSED
    )


# --- the desk's confirm and cancel ----------------------------------------------------------


def test_confirming_a_live_hold_confirms_it() -> None:
    assert confirm(hold(), NOON + timedelta(minutes=1)) == Decision(
        CONFIRMED, Transition(HELD, CONFIRMED)
    )


def test_confirming_a_confirmed_sale_answers_it_as_it_is() -> None:
    assert confirm(sale(CONFIRMED), NOON + timedelta(minutes=1)) == Decision(CONFIRMED)


def test_confirming_a_hold_that_lapsed_expires_it_and_is_refused() -> None:
    assert confirm(hold(), NOON + timedelta(minutes=15)) == Decision(
        EXPIRED, Transition(HELD, EXPIRED), Refusal.HOLD_EXPIRED
    )
    assert confirm(sale(EXPIRED), NOON) == Decision(EXPIRED, refusal=Refusal.HOLD_EXPIRED)


def test_confirming_a_cancelled_sale_is_refused_as_not_held() -> None:
    assert confirm(sale(CANCELLED), NOON) == Decision(CANCELLED, refusal=Refusal.NOT_HELD)


def test_cancelling_a_cancelled_sale_answers_it_as_it_is() -> None:
    assert cancel(sale(CANCELLED), NOON, WEEK) == Decision(CANCELLED)


def test_cancelling_a_hold_that_lapsed_expires_it_and_finds_nothing_to_cancel() -> None:
    assert cancel(hold(), NOON + timedelta(hours=1), WEEK) == Decision(
        EXPIRED, Transition(HELD, EXPIRED), Refusal.NOT_ACTIVE
    )
    assert cancel(sale(EXPIRED), NOON, WEEK) == Decision(EXPIRED, refusal=Refusal.NOT_ACTIVE)


# --- invariants -----------------------------------------------------------------------------

moments = st.integers(-3 * 24 * 60, 10 * 24 * 60).map(
    lambda minutes: NOON + timedelta(minutes=minutes)
)
facts = st.builds(
    SaleFacts,
    st.sampled_from(SaleStatus),
    st.just(NOON),
    st.one_of(st.none(), st.integers(0, 60).map(lambda m: NOON + timedelta(minutes=m))),
)
windows = st.integers(0, 24 * 30)
actions = st.lists(
    st.tuples(st.sampled_from(("confirm", "cancel", "read")), moments), max_size=8
).map(lambda steps: sorted(steps, key=lambda step: step[1]))  # time moves forward

CHECKS = settings(max_examples=300, deadline=None)


def decide(action: str, facts: SaleFacts, now: datetime, window_hours: int) -> Decision:
    if action == "confirm":
        return confirm(facts, now)
    if action == "cancel":
        return cancel(facts, now, window_hours)
    return as_read(facts, now)


@CHECKS
@given(facts, st.sampled_from(("confirm", "cancel", "read")), moments, windows)
def test_every_decision_is_a_legal_move_or_none_and_names_the_status_it_leaves(
    facts: SaleFacts, action: str, now: datetime, window_hours: int
) -> None:
    decision = decide(action, facts, now, window_hours)

    if decision.transition is None:
        assert decision.status == facts.status
    else:
        assert decision.transition == transition(facts.status, decision.status)
        assert decision.status in MOVES[facts.status]
    # A refusal never confirms or cancels: at most it records a lapse.
    if decision.refusal is not None and decision.transition is not None:
        assert decision.transition.after == EXPIRED


@CHECKS
@given(facts, st.sampled_from(("confirm", "cancel")), moments, windows)
def test_a_repeated_confirm_or_cancel_changes_nothing_more_and_answers_alike(
    facts: SaleFacts, action: str, now: datetime, window_hours: int
) -> None:
    first = decide(action, facts, now, window_hours)
    again = decide(action, after(facts, first), now, window_hours)

    # The retry (or the second desk) finds the sale as the first left it.
    assert again.transition is None
    assert again.status == first.status
    if first.refusal is None:
        assert again.refusal is None  # an answered sale, never a problem


@CHECKS
@given(facts, actions, windows)
def test_a_sale_settles_at_most_once_and_gives_usage_back_at_most_once(
    facts: SaleFacts, steps: list[tuple[str, datetime]], window_hours: int
) -> None:
    settled = 1 if facts.status == CONFIRMED else 0
    given_back = 0
    current = facts
    for action, now in steps:
        decision = decide(action, current, now, window_hours)
        if decision.transition is not None:
            settled += decision.transition.settlement_sign
            given_back += decision.transition.gives_back_usage
            current = after(current, decision)
        assert settled in (0, 1)
    assert given_back <= 1
    assert settled == (1 if current.status == CONFIRMED else 0)


@CHECKS
@given(facts, moments, windows)
def test_a_hold_is_never_confirmed_at_or_after_its_moment(
    facts: SaleFacts, now: datetime, window_hours: int
) -> None:
    decision = confirm(facts, now)

    if decision.transition == Transition(HELD, CONFIRMED):
        assert not hold_lapsed(facts.hold_expires_at, now)


@CHECKS
@given(moments, windows, moments)
def test_a_confirmed_sale_may_be_cancelled_exactly_within_its_window(
    made: datetime, window_hours: int, now: datetime
) -> None:
    decision = cancel(sale(CONFIRMED, made=made), now, window_hours)

    within = now <= made + timedelta(hours=window_hours)
    assert (decision.refusal is None) == within
    assert (decision.transition == Transition(CONFIRMED, CANCELLED)) == within
