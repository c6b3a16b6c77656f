"""Hand-written statements for the desk's hot path, sent with asyncpg itself.

Every desk request authenticates and most of them quote. Through SQLAlchemy's statement
machinery each statement costs ≈ 0.5 ms of CPU in this process; sent with asyncpg (a
prepared statement from asyncpg's per-connection cache) it costs a tenth of that. So the
few statements of that path are written here once, for PostgreSQL, and sent on the
asyncpg connection under SQLAlchemy's: there is one pool and one way to the database.

Two of them stand alone — a client's grants and a quote's facts, each one statement in its
own implicit transaction, one round trip — and for those even a session's transaction
would cost more than the statement (BEGIN and COMMIT are round trips of their own, and the
session's bookkeeping ≈ 0.2 ms). `fetch` sends them on a connection drawn straight from the
engine's pool when the session holds no transaction; inside one (a sale, a test's
rolled-back transaction, the CLI's unit of work) it sends them on the session's own
connection, so they see and belong to that transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from sqlalchemy.pool import PoolProxiedConnection

from app.errors import DatabaseUnavailable

# What asyncpg raises when the database is gone or refuses us: the server ending the
# session (a restart, pg_terminate_backend), no connection to be had (refused, no route,
# a timeout, too many connections), the socket closing.
UNREACHABLE: tuple[type[BaseException], ...] = (
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CrashShutdownError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    OSError,
    TimeoutError,
)
# SQLSTATEs that say the database cannot serve us now, whoever wraps the error: too many
# connections (53300) and other insufficient resources (53xxx: disk full, out of memory),
# the server shutting down or starting (57P01-57P03), any connection exception (08xxx).
_UNAVAILABLE_CLASSES = ("53", "08")
_UNAVAILABLE_STATES = frozenset({"57P01", "57P02", "57P03"})
# SQLSTATEs of a statement stopped for taking too long: statement_timeout or a cancel
# (57014), lock_timeout (55P03), a deadlock broken by the server (40P01).
_BUSY_STATES = frozenset({"57014", "55P03", "40P01"})


def _sqlstates(exc: BaseException) -> set[str]:
    """The SQLSTATEs on `exc` and on what it wraps (SQLAlchemy's `orig`, the cause)."""
    found: set[str] = set()
    seen: BaseException | None = exc
    for _ in range(4):
        if seen is None:
            break
        state = getattr(seen, "sqlstate", None)
        if isinstance(state, str):
            found.add(state)
        seen = getattr(seen, "orig", None) or seen.__cause__
    return found


def database_unavailable(exc: BaseException) -> bool:
    """Whether a server error says the database cannot take us now (full, restarting)."""
    return any(
        state.startswith(_UNAVAILABLE_CLASSES) or state in _UNAVAILABLE_STATES
        for state in _sqlstates(exc)
    )


def database_busy(exc: BaseException) -> bool:
    """Whether a statement was stopped for waiting or running too long (503, retry)."""
    return bool(_sqlstates(exc) & _BUSY_STATES)


# Raised by asyncpg's client side both for a connection that closed under it ("connection
# is closed") and for a mistake of ours (an argument it cannot encode, two operations at
# once): only the state of the connection tells them apart.
_CLIENT_SIDE = (asyncpg.InterfaceError, asyncpg.InternalClientError)


def connection_lost(exc: BaseException, connection: asyncpg.Connection | None = None) -> bool:
    """Whether `exc` means the database connection is gone (answered 503, not 500).

    A client-side error is lost only when its connection closed. Without the connection at
    hand it is ours: the statements sent here classify their failures with their connection
    (`_fetch`), and SQLAlchemy wraps those of its own statements.
    """
    if isinstance(exc, UNREACHABLE) or database_unavailable(exc):
        return True
    if isinstance(exc, _CLIENT_SIDE):
        return connection is not None and connection.is_closed()
    return False


async def fetch(session: AsyncSession, sql: str, *args: Any) -> Sequence[asyncpg.Record]:
    """Run one statement: in the session's transaction when it has one (or is bound to a
    connection), else on its own in an implicit transaction on a pooled connection.

    A lost connection is dropped from the pool and answered 503 database-unavailable; any
    other failure goes on as it is (the error handler answers 500 and logs its kind, never
    its message, which may quote the arguments: a name, a birth date).
    """
    bind = session.bind
    if isinstance(bind, AsyncEngine) and not session.in_transaction():
        return await _fetch_pooled(bind, sql, args)
    if not isinstance(bind, AsyncEngine | AsyncConnection):
        raise TypeError("sessions are bound to the engine or to a connection")
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver: asyncpg.Connection = raw.driver_connection
    try:
        return await driver.fetch(sql, *args)  # type: ignore[no-any-return]
    except Exception as exc:
        if connection_lost(exc, driver):
            # SQLAlchemy cannot see this failure: tell its pool, as it does itself for a
            # failure of its own statements, to drop this connection and every other one
            # opened before it — after a restart they all lead to the dead server, and each
            # would otherwise fail a request of its own, possibly minutes later.
            _invalidate_pool(bind, raw, exc)
            await connection.invalidate()
            raise DatabaseUnavailable() from exc
        raise


def _invalidate_pool(
    bind: AsyncEngine | AsyncConnection, pooled: PoolProxiedConnection, exc: BaseException
) -> None:
    """Invalidate `pooled` and every connection the pool opened before it: what SQLAlchemy
    does on a disconnect it sees (`Pool._invalidate`); checked-in connections are replaced
    when next drawn, checked-out ones when they come back."""
    engine = bind if isinstance(bind, AsyncEngine) else bind.engine
    engine.sync_engine.pool._invalidate(pooled, exc)


async def _fetch_pooled(
    engine: AsyncEngine, sql: str, args: tuple[Any, ...]
) -> Sequence[asyncpg.Record]:
    try:
        pooled = await engine.raw_connection()
    except Exception as exc:
        if connection_lost(exc) or connection_lost(exc.__cause__ or exc):
            raise DatabaseUnavailable() from exc
        raise
    driver: asyncpg.Connection = pooled.driver_connection
    try:
        return await driver.fetch(sql, *args)  # type: ignore[no-any-return]
    except Exception as exc:
        if connection_lost(exc, driver):
            _invalidate_pool(engine, pooled, exc)
            raise DatabaseUnavailable() from exc
        raise
    finally:
        # Back to the pool. Nothing began a transaction on it, so the pool's reset (a
        # rollback) sends nothing.
        pooled.close()
