"""The async engine: PostgreSQL through asyncpg, the one way to the database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from app.db.clients import GrantsCache
from app.errors import OpenPasError


@dataclass(frozen=True, slots=True)
class Timeouts:
    """How long the server's work may wait on the database, so that a slow or full
    database answers a quick 503 instead of holding every request (and connection).

    `pool_seconds`: for a free pooled connection; `connect_seconds`: to open one. The rest
    are PostgreSQL's own settings, sent with every new connection: a statement's run, a
    wait for a lock, and a transaction left idle (a stuck request holding locks)."""

    pool_seconds: float = 3.0
    connect_seconds: float = 5.0
    statement_ms: int = 5_000
    lock_ms: int = 2_000
    idle_in_transaction_ms: int = 10_000

    def server_settings(self) -> dict[str, str]:
        return {
            "statement_timeout": str(self.statement_ms),
            "lock_timeout": str(self.lock_ms),
            "idle_in_transaction_session_timeout": str(self.idle_in_transaction_ms),
        }


def create_engine(
    database_url: str, *, pool_size: int = 20, timeouts: Timeouts | None = None
) -> AsyncEngine:
    """`hide_parameters`: a database error's text would otherwise carry the statement's
    values — names, birth dates, addresses — into the log line of an unexpected error.

    Without `timeouts` (the command line: migrations, imports, demo) statements may run as
    long as they need and a connection is waited for as long as SQLAlchemy waits (30 s);
    the server passes its settings' (app.main)."""
    # No pre-ping: with asyncpg it is BEGIN, a statement and ROLLBACK — three round trips on
    # every request. Instead a connection whose socket asyncpg already saw close (a database
    # restart, a terminated backend) is replaced when it is drawn, at no cost; one that died
    # unseen fails the one request that draws it with 503 database-unavailable and is then
    # replaced, whether the failure comes through SQLAlchemy or through app.db.driver.
    extra: dict[str, Any] = {}
    if timeouts is not None:
        extra = {
            "pool_timeout": timeouts.pool_seconds,
            "connect_args": {
                "timeout": timeouts.connect_seconds,
                "server_settings": timeouts.server_settings(),
            },
        }
    engine = create_async_engine(
        database_url, pool_size=pool_size, max_overflow=0, hide_parameters=True, **extra
    )
    event.listen(engine.sync_engine, "checkout", _replace_if_closed)
    return engine


def _replace_if_closed(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    if dbapi_connection.driver_connection.is_closed():
        # The pool discards it and draws (or opens) another.
        raise DisconnectionError("the server closed this connection")


async def allow_long_statements(session: AsyncSession, statement_ms: int) -> None:
    """Let the statements of this transaction run up to `statement_ms` (reports, imports):
    PostgreSQL's `SET LOCAL`, undone when the transaction ends."""
    await session.execute(
        text("SELECT set_config('statement_timeout', :value, true)"),
        {"value": str(statement_ms)},
    )


def asyncpg_dsn(database_url: str) -> str:
    """postgresql://… as asyncpg itself takes it (the grants cache's listener)."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


def create_grants_cache(database_url: str) -> GrantsCache:
    """The process's cache of client grants, kept by PostgreSQL's notices."""
    return GrantsCache(asyncpg_dsn(database_url))


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions on the one engine; no ORM objects, so nothing to expire after a commit."""
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def unit_of_work(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """The one owner of a transaction: commits when the work is done, rolls back when it
    fails — unless the problem it fails with says the work before it stands (`keeps_work`).
    Services flush and never commit (a request's and a CLI command's work alike)."""
    async with sessionmaker() as session:
        try:
            yield session
        except OpenPasError as problem:
            if session.in_transaction():
                await (session.commit() if problem.keeps_work else session.rollback())
            raise
        except BaseException:
            if session.in_transaction():
                await session.rollback()
            raise
        if session.in_transaction():
            await session.commit()
