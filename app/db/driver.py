"""Hand-written statements for the desk's hot path, sent with asyncpg itself.

Every desk request authenticates and most of them quote. Through SQLAlchemy each statement
costs ≈ 0.5 ms of CPU in this process; sent with asyncpg on the same connection (a prepared
statement from asyncpg's per-connection cache) it costs a tenth of that. So the statements
of that path have a PostgreSQL version here, run on the session's own connection — the
session still owns the transaction, and a test's rolled-back transaction still holds them —
and a SQLAlchemy version beside them for the embedded SQLite database. Tests run both on
PostgreSQL and compare their answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import ServiceUnavailable

# What a lost or refused connection raises in asyncpg itself (SQLAlchemy wraps its own):
# the server ending the session (a restart, pg_terminate_backend), the socket closing, and
# the protocol left in a broken state by either.
CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CrashShutdownError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    ConnectionError,
)


async def pg_connection(session: AsyncSession) -> asyncpg.Connection | None:
    """The asyncpg connection under `session`, or None on another database (SQLite)."""
    if session.bind is not None and session.bind.dialect.name != "postgresql":
        return None
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver: asyncpg.Connection = raw.driver_connection
    return driver


async def fetch(
    session: AsyncSession, connection: asyncpg.Connection, sql: str, *args: Any
) -> Sequence[asyncpg.Record]:
    """Run one statement; a lost connection is dropped from the pool and answered 503."""
    try:
        rows: list[asyncpg.Record] = await connection.fetch(sql, *args)
    except CONNECTION_ERRORS:
        # SQLAlchemy cannot see this failure: tell its pool not to hand the connection out
        # again, as it does itself for a failure of its own statements.
        await (await session.connection()).invalidate()
        raise ServiceUnavailable(
            "The database connection was lost; try again.",
            code="database-unavailable",
            headers={"Retry-After": "1"},
        ) from None
    return rows
