"""Hand-written statements for the desk's hot path, sent with asyncpg itself.

Every desk request authenticates and most of them quote. Through SQLAlchemy each statement
costs ≈ 0.5 ms of CPU in this process; sent with asyncpg (a prepared statement from
asyncpg's per-connection cache) it costs a tenth of that. So the statements of that path
have a PostgreSQL version here and a SQLAlchemy version beside them for the embedded SQLite
database. Tests run both on PostgreSQL and compare their answers.

Two of them stand alone — a client's grants and a quote's facts, each one statement in its
own implicit transaction — and for those even checking a connection out of SQLAlchemy's
pool through a session costs more than the statement (≈ 0.7 ms of CPU under load: three
greenlet switches and the session's bookkeeping). They run on asyncpg's own pool instead
(`DriverPool`, handed to sessions through `session.info`). A session without that pool —
a test's session inside its rolled-back transaction, the CLI's — runs them on its own
connection, so the test still sees and discards what they read and write.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession

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
    if isinstance(exc, UNREACHABLE):
        return True
    if isinstance(exc, _CLIENT_SIDE):
        return connection is not None and connection.is_closed()
    return False


# The key under which a session's `info` carries the process's DriverPool.
POOL_INFO_KEY = "openpas.driver_pool"


class DriverPool:
    """asyncpg's pool for standalone statements, opened on first use.

    Lazy, so that creating the application stays synchronous and a process that never
    serves a desk opens no connection. Connections are handed back without asyncpg's reset
    (RESET ALL, UNLISTEN, CLOSE ALL: one more round trip each time): the statements run
    here change no session state — their one setting is transaction-local.
    """

    def __init__(self, dsn: str, size: int) -> None:
        self._dsn = dsn
        self._size = size
        self._pool: asyncpg.Pool | None = None
        self._opening = asyncio.Lock()

    async def _opened(self) -> asyncpg.Pool:
        async with self._opening:
            if self._pool is None:
                self._pool = await asyncpg.create_pool(
                    self._dsn, min_size=0, max_size=self._size, reset=_keep_session
                )
        return self._pool

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[asyncpg.Connection]:
        """A pooled connection; 503 database-unavailable when none can be had."""
        pool = self._pool or await self._opened()
        try:
            connection = await pool.acquire()
        except (*UNREACHABLE, *_CLIENT_SIDE) as exc:
            raise DatabaseUnavailable() from exc
        try:
            yield connection
        finally:
            await pool.release(connection)

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None


async def _keep_session(_: asyncpg.Connection) -> None:
    return None


async def fetch_standalone(
    session: AsyncSession, sql: str, *args: Any
) -> Sequence[asyncpg.Record] | None:
    """Run one standalone statement on PostgreSQL: on the session's DriverPool when it has
    one, else on the session's own connection. None on another database (SQLite): the
    caller then runs its SQLAlchemy version.

    A lost connection is dropped from its pool and answered 503 database-unavailable.
    """
    pool: DriverPool | None = session.info.get(POOL_INFO_KEY)
    if pool is not None:
        async with pool.connection() as connection:

            async def terminate() -> None:
                # Closed, so asyncpg's pool opens a new one in its place.
                connection.terminate()

            return await _fetch(connection, terminate, sql, args)
    own = await _pg_connection(session)
    if own is None:
        return None

    async def invalidate() -> None:
        # SQLAlchemy cannot see this failure: tell its pool not to hand the connection out
        # again, as it does itself for a failure of its own statements.
        await (await session.connection()).invalidate()

    return await _fetch(own, invalidate, sql, args)


async def _fetch(
    connection: asyncpg.Connection,
    drop: Callable[[], Awaitable[None]],
    sql: str,
    args: tuple[Any, ...],
) -> Sequence[asyncpg.Record]:
    """One statement; a lost connection is dropped (`drop`) and answered 503. Any other
    failure goes on as it is: the error handler answers 500 and logs its kind, never its
    message (which may quote the arguments: a name, a birth date)."""
    try:
        return await connection.fetch(sql, *args)  # type: ignore[no-any-return]
    except Exception as exc:
        if connection_lost(exc, connection):
            await drop()
            raise DatabaseUnavailable() from exc
        raise


async def _pg_connection(session: AsyncSession) -> asyncpg.Connection | None:
    """The asyncpg connection under `session`, or None on another database (SQLite)."""
    if session.bind is not None and session.bind.dialect.name != "postgresql":
        return None
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver: asyncpg.Connection = raw.driver_connection
    return driver
