"""The async engine: PostgreSQL through asyncpg, the one way to the database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
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


def create_engine(database_url: str, *, pool_size: int = 20) -> AsyncEngine:
    """`hide_parameters`: a database error's text would otherwise carry the statement's
    values — names, birth dates, addresses — into the log line of an unexpected error."""
    # No pre-ping: with asyncpg it is BEGIN, a statement and ROLLBACK — three round trips on
    # every request. Instead a connection whose socket asyncpg already saw close (a database
    # restart, a terminated backend) is replaced when it is drawn, at no cost; one that died
    # unseen fails the one request that draws it with 503 database-unavailable and is then
    # replaced, whether the failure comes through SQLAlchemy or through app.db.driver.
    engine = create_async_engine(
        database_url, pool_size=pool_size, max_overflow=0, hide_parameters=True
    )
    event.listen(engine.sync_engine, "checkout", _replace_if_closed)
    return engine


def _replace_if_closed(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    if dbapi_connection.driver_connection.is_closed():
        # The pool discards it and draws (or opens) another.
        raise DisconnectionError("the server closed this connection")


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
