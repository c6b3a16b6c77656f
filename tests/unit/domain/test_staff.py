"""Staff rules: passwords, session expiry, the slowing of failed logins, grants."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.access import Grant, Role
from app.domain.offers import nearest_first_key, on_sale
from app.domain.staff import (
    MAX_DELAY_SECONDS,
    MIN_PASSWORD_LENGTH,
    SESSION_ABSOLUTE,
    SESSION_IDLE,
    FailureState,
    PasswordProblem,
    SessionTimes,
    StaffGrantError,
    is_locked,
    login_delay_seconds,
    new_session_times,
    password_problem,
    session_alive,
    staff_grant,
    staff_principal,
)

COMMON = frozenset({"password", "qwerty123456", "welkom"})
NOW = datetime(2026, 12, 3, 18, 0, tzinfo=UTC)


def test_a_long_uncommon_password_is_accepted() -> None:
    assert password_problem("paard batterij nietje", email="a@b.be", common=COMMON) is None


def test_a_password_under_twelve_characters_is_refused() -> None:
    assert password_problem("kort-wachtw", email="a@b.be", common=COMMON) == (
        PasswordProblem.TOO_SHORT
    )


def test_a_common_password_is_refused_whatever_its_case() -> None:
    assert password_problem("QWERTY123456", email="a@b.be", common=COMMON) == (
        PasswordProblem.COMMON
    )


def test_a_common_word_with_digits_after_it_is_still_common() -> None:
    assert password_problem("Password2026!", email="a@b.be", common=COMMON) == (
        PasswordProblem.COMMON
    )


def test_the_accounts_own_address_is_no_password() -> None:
    assert password_problem("jan.peeters@stad.be", email="jan.peeters@stad.be", common=COMMON) == (
        PasswordProblem.NAMES_THE_ACCOUNT
    )
    assert password_problem("jan.peeters12", email="jan.peeters@stad.be", common=COMMON) == (
        PasswordProblem.NAMES_THE_ACCOUNT
    )


@given(st.text(max_size=MIN_PASSWORD_LENGTH - 1))
def test_every_password_shorter_than_the_minimum_is_refused(password: str) -> None:
    assert password_problem(password, email="a@b.be", common=COMMON) is PasswordProblem.TOO_SHORT


def test_a_session_lives_until_idle_for_the_idle_limit() -> None:
    times = new_session_times(NOW)
    assert session_alive(times, NOW + SESSION_IDLE - timedelta(seconds=1))
    assert not session_alive(times, NOW + SESSION_IDLE)


def test_a_busy_session_still_ends_at_its_absolute_limit() -> None:
    times = SessionTimes(
        created_at=NOW, last_seen_at=NOW + SESSION_ABSOLUTE, expires_at=NOW + SESSION_ABSOLUTE
    )
    assert not session_alive(times, NOW + SESSION_ABSOLUTE)


@given(st.integers(min_value=0, max_value=10**6))
def test_no_session_outlives_either_limit(seconds: int) -> None:
    times = new_session_times(NOW)
    later = NOW + timedelta(seconds=seconds)
    alive = session_alive(SessionTimes(times.created_at, later, times.expires_at), later)
    assert alive == (later < NOW + SESSION_ABSOLUTE)
    assert not session_alive(times, NOW + max(SESSION_IDLE, timedelta(seconds=seconds)))


def test_failed_logins_slow_the_next_attempt_up_to_a_ceiling() -> None:
    assert login_delay_seconds(None, NOW) == 0.0
    assert login_delay_seconds(FailureState(2, NOW, None), NOW) == 0.5
    assert login_delay_seconds(FailureState(100, NOW, None), NOW) == MAX_DELAY_SECONDS
    assert login_delay_seconds(FailureState(3, NOW - timedelta(hours=1), None), NOW) == 0.0


def test_a_lock_holds_until_its_end() -> None:
    state = FailureState(5, NOW, NOW + timedelta(minutes=15))
    assert is_locked(state, NOW + timedelta(minutes=14))
    assert not is_locked(state, NOW + timedelta(minutes=15))
    assert not is_locked(None, NOW)


def test_staff_get_exactly_one_grant_of_their_tenant() -> None:
    assert staff_grant(Role.DESK, region_id=None, partner_id="p") == Grant(
        Role.DESK, partner_id="p"
    )
    assert staff_grant(Role.REPORTER, region_id="r", partner_id=None) == Grant(
        Role.REPORTER, region_id="r"
    )
    principal = staff_principal("s1", Grant(Role.DESK, partner_id="p"))
    assert principal.client_id == "staff:s1"
    assert principal.grants == (Grant(Role.DESK, partner_id="p"),)


@pytest.mark.parametrize(
    ("role", "region_id", "partner_id"),
    [
        (Role.ADMIN, None, "p"),
        (Role.REPORTER, None, "p"),
        (Role.DESK, "r", None),
    ],
)
def test_a_role_is_not_given_on_the_wrong_kind_of_tenant(
    role: Role, region_id: str | None, partner_id: str | None
) -> None:
    with pytest.raises(StaffGrantError):
        staff_grant(role, region_id=region_id, partner_id=partner_id)


def test_the_desk_sells_running_and_coming_offers_the_nearest_first() -> None:
    past = NOW - timedelta(days=1)
    soon, later = NOW + timedelta(days=2), NOW + timedelta(days=30)
    assert not on_sale("one_off", past, None, NOW)
    assert on_sale("period", past, later, NOW)
    assert on_sale("permanent", None, None, NOW)
    keys = {
        "later": nearest_first_key("one_off", later, "B", NOW),
        "museum": nearest_first_key("permanent", None, "A", NOW),
        "soon": nearest_first_key("one_off", soon, "C", NOW),
        "running": nearest_first_key("period", past, "D", NOW),
    }
    assert sorted(keys, key=keys.__getitem__) == ["running", "soon", "later", "museum"]
