"""Staff accounts, their browser sessions and the failed logins counted against them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.tables import login_failures, staff_members, staff_sessions
from app.domain.access import Grant, Role
from app.domain.staff import FailureState, SessionTimes


@dataclass(frozen=True, slots=True)
class StaffRow:
    id: str
    name: str
    email: str
    grant: Grant
    password_hash: str | None
    activation_expires_at: datetime | None
    created_at: datetime
    activated_at: datetime | None
    deactivated_at: datetime | None


def _row(row: sa.Row[tuple[object, ...]]) -> StaffRow:
    m = row._mapping
    return StaffRow(
        id=str(m["id"]),
        name=m["name"],
        email=m["email"],
        grant=Grant(
            Role(m["role"]),
            region_id=str(m["region_id"]) if m["region_id"] else None,
            partner_id=str(m["partner_id"]) if m["partner_id"] else None,
        ),
        password_hash=m["password_hash"],
        activation_expires_at=m["activation_expires_at"],
        created_at=m["created_at"],
        activated_at=m["activated_at"],
        deactivated_at=m["deactivated_at"],
    )


async def insert_staff(
    session: AsyncSession,
    *,
    staff_id: uuid.UUID,
    name: str,
    email: str,
    grant: Grant,
    activation_hash: str,
    activation_expires_at: datetime,
    created_by: str,
    now: datetime,
) -> bool:
    """False when the e-mail address already has an account."""
    result = await session.execute(
        pg_insert(staff_members)
        .values(
            id=staff_id,
            name=name,
            email=email,
            role=grant.role.value,
            region_id=uuid.UUID(grant.region_id) if grant.region_id else None,
            partner_id=uuid.UUID(grant.partner_id) if grant.partner_id else None,
            activation_hash=activation_hash,
            activation_expires_at=activation_expires_at,
            created_by=created_by,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["email"])
        .returning(staff_members.c.id)
    )
    return result.first() is not None


async def get_staff(session: AsyncSession, staff_id: uuid.UUID) -> StaffRow | None:
    row = (
        await session.execute(sa.select(staff_members).where(staff_members.c.id == staff_id))
    ).first()
    return _row(row) if row else None


async def staff_by_email(session: AsyncSession, email: str) -> StaffRow | None:
    row = (
        await session.execute(sa.select(staff_members).where(staff_members.c.email == email))
    ).first()
    return _row(row) if row else None


async def staff_by_activation(
    session: AsyncSession, activation_hash: str, *, for_update: bool = False
) -> StaffRow | None:
    query = sa.select(staff_members).where(
        staff_members.c.activation_hash == activation_hash,
        staff_members.c.deactivated_at.is_(None),
    )
    if for_update:
        query = query.with_for_update()
    row = (await session.execute(query)).first()
    return _row(row) if row else None


async def set_password(
    session: AsyncSession, staff_id: uuid.UUID, password_hash: str, now: datetime
) -> None:
    """Sets the password and spends the activation token: the link works once."""
    await session.execute(
        sa.update(staff_members)
        .where(staff_members.c.id == staff_id)
        .values(
            password_hash=password_hash,
            activation_hash=None,
            activation_expires_at=None,
            activated_at=sa.func.coalesce(staff_members.c.activated_at, now),
        )
    )


async def deactivate(session: AsyncSession, staff_id: uuid.UUID, now: datetime) -> None:
    """The account stops and every session of it ends, in the same transaction."""
    await session.execute(
        sa.update(staff_members)
        .where(staff_members.c.id == staff_id, staff_members.c.deactivated_at.is_(None))
        .values(deactivated_at=now, activation_hash=None, activation_expires_at=None)
    )
    await session.execute(sa.delete(staff_sessions).where(staff_sessions.c.staff_id == staff_id))


async def insert_session(
    session: AsyncSession,
    *,
    token_hash: str,
    staff_id: uuid.UUID,
    csrf_token: str,
    times: SessionTimes,
) -> None:
    await session.execute(
        sa.insert(staff_sessions).values(
            token_hash=token_hash,
            staff_id=staff_id,
            csrf_token=csrf_token,
            created_at=times.created_at,
            last_seen_at=times.last_seen_at,
            expires_at=times.expires_at,
        )
    )


@dataclass(frozen=True, slots=True)
class SessionRow:
    staff: StaffRow
    csrf_token: str
    times: SessionTimes


async def session_of(session: AsyncSession, token_hash: str) -> SessionRow | None:
    """The session and its staff member, if the member is not deactivated."""
    row = (
        await session.execute(
            sa.select(
                staff_members,
                staff_sessions.c.csrf_token,
                staff_sessions.c.created_at.label("session_created_at"),
                staff_sessions.c.last_seen_at,
                staff_sessions.c.expires_at,
            )
            .join(staff_members, staff_members.c.id == staff_sessions.c.staff_id)
            .where(
                staff_sessions.c.token_hash == token_hash,
                staff_members.c.deactivated_at.is_(None),
            )
        )
    ).first()
    if row is None:
        return None
    m = row._mapping
    return SessionRow(
        staff=_row(row),
        csrf_token=m["csrf_token"],
        times=SessionTimes(
            created_at=m["session_created_at"],
            last_seen_at=m["last_seen_at"],
            expires_at=m["expires_at"],
        ),
    )


async def touch_session(session: AsyncSession, token_hash: str, now: datetime) -> None:
    await session.execute(
        sa.update(staff_sessions)
        .where(staff_sessions.c.token_hash == token_hash)
        .values(last_seen_at=now)
    )


async def delete_session(session: AsyncSession, token_hash: str) -> None:
    await session.execute(
        sa.delete(staff_sessions).where(staff_sessions.c.token_hash == token_hash)
    )


async def failure_states(session: AsyncSession, keys: list[str]) -> dict[str, FailureState]:
    rows = (
        await session.execute(
            sa.select(
                login_failures.c.key,
                login_failures.c.failures,
                login_failures.c.first_failed_at,
                login_failures.c.locked_until,
            ).where(login_failures.c.key.in_(keys))
        )
    ).all()
    return {
        row.key: FailureState(row.failures, row.first_failed_at, row.locked_until) for row in rows
    }


# One statement per key, atomic across processes: a failure outside the window starts a new
# count; reaching `lock_after` failures locks the key for `lock_for`.
_RECORD_FAILURE = """
INSERT INTO login_failures AS f (key, failures, first_failed_at, last_failed_at, locked_until)
VALUES (:key, 1, :now, :now, CASE WHEN 1 >= :lock_after THEN :now + :lock_for END)
ON CONFLICT (key) DO UPDATE SET
  failures = CASE WHEN f.first_failed_at <= :now - :window THEN 1 ELSE f.failures + 1 END,
  first_failed_at = CASE WHEN f.first_failed_at <= :now - :window THEN :now
                         ELSE f.first_failed_at END,
  last_failed_at = :now,
  locked_until = CASE
    WHEN (CASE WHEN f.first_failed_at <= :now - :window THEN 1 ELSE f.failures + 1 END)
         >= :lock_after THEN :now + :lock_for
    ELSE f.locked_until END
RETURNING failures, locked_until
"""


async def record_failure(
    session: AsyncSession,
    key: str,
    *,
    now: datetime,
    window: timedelta,
    lock_after: int,
    lock_for: timedelta,
) -> tuple[int, datetime | None]:
    row = (
        await session.execute(
            sa.text(_RECORD_FAILURE).bindparams(
                sa.bindparam("now", type_=sa.DateTime(timezone=True)),
                sa.bindparam("window", type_=sa.Interval()),
                sa.bindparam("lock_for", type_=sa.Interval()),
            ),
            {
                "key": key,
                "now": now,
                "window": window,
                "lock_after": lock_after,
                "lock_for": lock_for,
            },
        )
    ).one()
    return row.failures, row.locked_until


async def clear_failures(session: AsyncSession, key: str) -> None:
    await session.execute(sa.delete(login_failures).where(login_failures.c.key == key))
