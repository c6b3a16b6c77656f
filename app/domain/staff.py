"""Staff accounts — people at a desk or behind the dashboard — with no framework attached.

A staff member holds exactly one grant, the same `Grant` an API client holds, so every
role-and-tenant check of the services applies to them unchanged. Who may add whom: a
partner admin adds desk staff and partner admins to its partner, a region admin adds
region admins, reporters and registry staff to its region.

Also here: the password rule, the lock after failed logins and the two expiries of a
browser session. Times come in as arguments; nothing here reads a clock.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from app.domain.access import PARTNER_ROLES, REGION_ROLES, Grant, Principal, Role

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256
# The prefix of a staff member's principal id: the audit log, a sale's `client_id` and an
# entitlement's source name "staff:<id>", which the staff table resolves to a person.
PRINCIPAL_PREFIX = "staff:"

ACTIVATION_LIFETIME = timedelta(days=7)
# A session ends after this long without a request, and after ABSOLUTE whatever happens.
SESSION_IDLE = timedelta(minutes=30)
SESSION_ABSOLUTE = timedelta(hours=10)

# Failed logins: the answer is slowed from the first failure on, and after LOCK_AFTER
# failures within FAILURE_WINDOW the account (or the address) is locked for LOCK_FOR.
# An address gets more tries: a desk's tablets may share one.
FAILURE_WINDOW = timedelta(minutes=15)
LOCK_FOR = timedelta(minutes=15)
ACCOUNT_LOCK_AFTER = 5
ADDRESS_LOCK_AFTER = 20
MAX_DELAY_SECONDS = 2.0


class PasswordProblem(StrEnum):
    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"
    COMMON = "common"
    NAMES_THE_ACCOUNT = "names_the_account"


def password_problem(
    password: str, *, email: str, common: Collection[str]
) -> PasswordProblem | None:
    """Why `password` is refused, or None.

    At least MIN_PASSWORD_LENGTH characters (NIST SP 800-63B: length, and a list of known
    passwords, rather than rules about symbols); refused when it is on the `common` list
    (lower case), also once trailing digits and punctuation are taken off ("password2026!"),
    or when it is the e-mail address or its name part.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        return PasswordProblem.TOO_SHORT
    if len(password) > MAX_PASSWORD_LENGTH:
        return PasswordProblem.TOO_LONG
    folded = password.casefold()
    stem = folded.rstrip("0123456789!?.,;:-_#*@$%&+=~ ")
    if folded in common or (len(stem) >= 4 and stem in common):
        return PasswordProblem.COMMON
    address = email.casefold()
    if folded in {address, address.partition("@")[0]} or stem == address.partition("@")[0]:
        return PasswordProblem.NAMES_THE_ACCOUNT
    return None


class StaffGrantError(ValueError):
    """The role cannot be given on that kind of tenant, or not by this creator."""


def staff_grant(role: Role, *, region_id: str | None, partner_id: str | None) -> Grant:
    """The one grant of a new staff member; admins are API clients, never staff."""
    if partner_id is not None and role in PARTNER_ROLES:
        return Grant(role, partner_id=partner_id)
    if region_id is not None and role in REGION_ROLES:
        return Grant(role, region_id=region_id)
    raise StaffGrantError(f"the role {role} is not given to staff of this tenant")


def staff_principal(staff_id: str, grant: Grant) -> Principal:
    return Principal(client_id=f"{PRINCIPAL_PREFIX}{staff_id}", grants=(grant,))


def is_staff_principal(principal: Principal) -> bool:
    return principal.client_id.startswith(PRINCIPAL_PREFIX)


@dataclass(frozen=True, slots=True)
class SessionTimes:
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime


def new_session_times(now: datetime) -> SessionTimes:
    return SessionTimes(created_at=now, last_seen_at=now, expires_at=now + SESSION_ABSOLUTE)


def session_alive(times: SessionTimes, now: datetime) -> bool:
    """Neither idle for SESSION_IDLE nor past its absolute end."""
    return now < times.expires_at and now - times.last_seen_at < SESSION_IDLE


@dataclass(frozen=True, slots=True)
class FailureState:
    failures: int
    first_failed_at: datetime
    locked_until: datetime | None


def is_locked(state: FailureState | None, now: datetime) -> bool:
    return state is not None and state.locked_until is not None and now < state.locked_until


def login_delay_seconds(state: FailureState | None, now: datetime) -> float:
    """How long a login attempt waits before it is answered: 0.25 s per failure in the
    window, at most MAX_DELAY_SECONDS (brute force gets slow; a typo costs a moment)."""
    if state is None or now - state.first_failed_at >= FAILURE_WINDOW:
        return 0.0
    return min(MAX_DELAY_SECONDS, 0.25 * state.failures)
