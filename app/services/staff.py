"""Staff accounts: create with a one-time activation link, activate, log in and out, act
with exactly the staff member's grant, deactivate.

Argon2 costs tens of milliseconds of CPU: it runs in a small thread pool of its own, so a
login never stalls the event loop that serves the desks, and at most `_HASH_THREADS`
hashes run at once (a burst of logins queues instead of starving the process).
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import secrets
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from app.clock import utcnow
from app.db import staff as db
from app.db.staff import StaffRow
from app.domain.access import Principal, Role, Tenant
from app.domain.staff import (
    ACCOUNT_LOCK_AFTER,
    ACTIVATION_LIFETIME,
    ADDRESS_LOCK_AFTER,
    FAILURE_WINDOW,
    LOCK_FOR,
    PRINCIPAL_PREFIX,
    PasswordProblem,
    StaffGrantError,
    is_locked,
    login_delay_seconds,
    new_session_times,
    password_problem,
    session_alive,
    staff_grant,
    staff_principal,
)
from app.errors import Conflict, NotFound, TooManyRequests, Unauthorized, Unprocessable
from app.refusals import too_many
from app.services.access import ensure
from app.services.partners import get_partner
from app.services.regions import get_region
from app.services.secrets import hash_secret, verify_secret

PARTNER_STAFF_CREATORS = frozenset({Role.PARTNER_ADMIN, Role.REGION_ADMIN})
REGION_STAFF_CREATORS = frozenset({Role.REGION_ADMIN})

# The demo's staff accounts (app.services.demo), whose passwords the README publishes:
# refused at login outside demo mode.
DEMO_STAFF_DOMAIN = "demo.openpas.example"
_COMMON_PASSWORDS = Path(__file__).resolve().parents[1] / "data" / "common-passwords.txt.gz"
_HASH_THREADS = 2
_hash_pool = ThreadPoolExecutor(max_workers=_HASH_THREADS, thread_name_prefix="argon2")


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """Django's list of 20,000 common passwords (app/data/README.md), in lower case."""
    with gzip.open(_COMMON_PASSWORDS, "rt", encoding="utf-8") as lines:
        return frozenset(line.strip().casefold() for line in lines if line.strip())


async def _hash(password: str) -> str:
    return await asyncio.get_running_loop().run_in_executor(_hash_pool, hash_secret, password)


async def _verify(password_hash: str | None, password: str) -> bool:
    return await asyncio.get_running_loop().run_in_executor(
        _hash_pool, verify_secret, password_hash, password
    )


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _staff_uuid(staff_id: str) -> uuid.UUID:
    try:
        return uuid.UUID(staff_id)
    except ValueError:
        raise NotFound("No such staff member.") from None


@dataclass(frozen=True, slots=True)
class NewStaff:
    staff: StaffRow
    activation_token: str


async def create_staff(
    session: AsyncSession,
    principal: Principal,
    *,
    name: str,
    email: str,
    role: Role,
    partner_id: str | None = None,
    region_id: str | None = None,
    staff_id: uuid.UUID | None = None,
    activation_token: str | None = None,
) -> NewStaff:
    """A staff member of a partner (`partner_id`) or a region (`region_id`), waiting for
    its activation; the token is returned once and stored only as its hash."""
    if partner_id is not None:
        partner = await get_partner(session, _tenant_uuid(partner_id))
        ensure(
            principal,
            PARTNER_STAFF_CREATORS,
            Tenant(region_id=partner.region_id, partner_id=partner_id),
            hide=False,
        )
    elif region_id is not None:
        await get_region(session, _tenant_uuid(region_id))
        ensure(principal, REGION_STAFF_CREATORS, Tenant(region_id=region_id), hide=False)
    try:
        grant = staff_grant(role, region_id=region_id, partner_id=partner_id)
    except StaffGrantError as error:
        raise Unprocessable(
            str(error),
            extra={"errors": [{"pointer": "/role", "detail": "not a role for this tenant"}]},
        ) from None
    token = activation_token or secrets.token_urlsafe(32)
    staff_id = staff_id or uuid.uuid4()
    now = utcnow()
    if not await db.insert_staff(
        session,
        staff_id=staff_id,
        name=name,
        email=email.strip().casefold(),
        grant=grant,
        activation_hash=_digest(token),
        activation_expires_at=now + ACTIVATION_LIFETIME,
        created_by=principal.client_id,
        now=now,
    ):
        raise Conflict("A staff account with this e-mail address exists.", code="already-exists")
    staff = await db.get_staff(session, staff_id)
    assert staff is not None
    return NewStaff(staff, token)


def _tenant_uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise NotFound("No such resource.") from None


async def deactivate_staff(session: AsyncSession, principal: Principal, staff_id: str) -> None:
    """The account stops and its sessions end at once (the rows are gone)."""
    staff = await db.get_staff(session, _staff_uuid(staff_id))
    if staff is None:
        raise NotFound("No such staff member.")
    grant = staff.grant
    if grant.partner_id is not None:
        partner = await get_partner(session, uuid.UUID(grant.partner_id))
        tenant = Tenant(region_id=partner.region_id, partner_id=grant.partner_id)
        ensure(principal, PARTNER_STAFF_CREATORS, tenant, hide=True)
    else:
        ensure(principal, REGION_STAFF_CREATORS, Tenant(region_id=grant.region_id), hide=True)
    await db.deactivate(session, uuid.UUID(staff.id), utcnow())


def _invalid_activation() -> Unauthorized:
    return Unauthorized(
        "This activation link is unknown, used or expired.", code="activation-invalid"
    )


async def staff_of_activation(session: AsyncSession, token: str) -> StaffRow:
    staff = await db.staff_by_activation(session, _digest(token))
    if staff is None or staff.activation_expires_at is None:
        raise _invalid_activation()
    if staff.activation_expires_at <= utcnow():
        raise _invalid_activation()
    return staff


async def activate(session: AsyncSession, *, token: str, password: str) -> StaffRow:
    """Set the password; the link is spent (a second use is refused)."""
    staff = await db.staff_by_activation(session, _digest(token), for_update=True)
    if staff is None or staff.activation_expires_at is None:
        raise _invalid_activation()
    if staff.activation_expires_at <= utcnow():
        raise _invalid_activation()
    problem = password_problem(password, email=staff.email, common=common_passwords())
    if problem is not None:
        raise weak_password(problem)
    await db.set_password(session, uuid.UUID(staff.id), await _hash(password), utcnow())
    return staff


def weak_password(problem: PasswordProblem) -> Unprocessable:
    return Unprocessable(
        f"password refused: {problem.value}",
        code=f"password-{problem.value.replace('_', '-')}",
        extra={"errors": [{"pointer": "/password", "detail": problem.value}]},
    )


@dataclass(frozen=True, slots=True)
class LoggedIn:
    session_token: str
    csrf_token: str
    staff: StaffRow


async def log_in(
    session: AsyncSession, *, email: str, password: str, address: str, demo: bool
) -> LoggedIn:
    """A new session, or 401 `login-failed` (the failure is counted and kept), or 429
    `login-locked` while the account or the address is locked. Outside demo mode the demo's
    published accounts do not log in."""
    email = email.strip().casefold()
    account_key, address_key = f"account:{email}"[:300], f"address:{address}"[:300]
    now = utcnow()
    states = await db.failure_states(session, [account_key, address_key])
    limits = (
        (account_key, ACCOUNT_LOCK_AFTER, LOGIN_PER_ACCOUNT),
        (address_key, ADDRESS_LOCK_AFTER, LOGIN_PER_ADDRESS),
    )
    for key, lock_after, limit in limits:
        state = states.get(key)
        if is_locked(state, now):
            assert state is not None
            assert state.locked_until is not None
            raise _locked(state.locked_until, now, limit=limit, amount=lock_after)
    delay = max(login_delay_seconds(states.get(k), now) for k in (account_key, address_key))
    if delay:
        await asyncio.sleep(delay)
    staff = await db.staff_by_email(session, email)
    usable = staff is not None and staff.deactivated_at is None
    if not demo and email.endswith(f"@{DEMO_STAFF_DOMAIN}"):
        usable = False
    password_hash = staff.password_hash if staff is not None and usable else None
    if not await _verify(password_hash, password) or staff is None:
        now = utcnow()
        locked: tuple[datetime, str, int] | None = None
        for key, lock_after, limit in limits:
            _, until = await db.record_failure(
                session,
                key,
                now=now,
                window=FAILURE_WINDOW,
                lock_after=lock_after,
                lock_for=LOCK_FOR,
            )
            if until is not None and until > now and (locked is None or until > locked[0]):
                locked = (until, limit, lock_after)
        if locked is not None:
            until, limit, lock_after = locked
            raise _locked(until, now, limit=limit, amount=lock_after)
        raise Unauthorized(
            "Unknown e-mail address or wrong password.", code="login-failed", keeps_work=True
        )
    await db.clear_failures(session, account_key)
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    await db.insert_session(
        session,
        token_hash=_digest(token),
        staff_id=uuid.UUID(staff.id),
        csrf_token=csrf,
        times=new_session_times(utcnow()),
    )
    return LoggedIn(token, csrf, staff)


# The login lock's names in /metrics (openpas_rate_limit_refusals_total{limit}).
LOGIN_PER_ACCOUNT = "login_per_account"
LOGIN_PER_ADDRESS = "login_per_address"


def _locked(until: datetime, now: datetime, *, limit: str, amount: int) -> TooManyRequests:
    """429 `login-locked`, answered and counted as every rate limit's refusal is: the lock
    in the database is this limit's counter (it holds across processes without Redis)."""
    return too_many(
        "Too many failed logins; try again later.",
        code="login-locked",
        limit=limit,
        amount=amount,
        seconds=int((until - now).total_seconds()) + 1,
        keeps_work=True,
    )


@dataclass(frozen=True, slots=True)
class StaffSession:
    principal: Principal
    staff: StaffRow
    csrf_token: str


async def session_of_token(session: AsyncSession, token: str) -> StaffSession | None:
    """The logged-in staff member with exactly their grant, or None (no such session,
    idle or past its end — then it is deleted — or the member deactivated)."""
    token_hash = _digest(token)
    found = await db.session_of(session, token_hash)
    if found is None:
        return None
    now = utcnow()
    if not session_alive(found.times, now):
        await db.delete_session(session, token_hash)
        return None
    await db.touch_session(session, token_hash, now)
    staff = found.staff
    return StaffSession(staff_principal(staff.id, staff.grant), staff, found.csrf_token)


async def log_out(session: AsyncSession, token: str) -> None:
    await db.delete_session(session, _digest(token))


async def staff_of_principal(session: AsyncSession, principal: Principal) -> StaffRow | None:
    """The staff member a principal id such as the audit log's names, if it is one."""
    if not principal.client_id.startswith(PRINCIPAL_PREFIX):
        return None
    return await db.get_staff(session, _staff_uuid(principal.client_id[len(PRINCIPAL_PREFIX) :]))
