"""The async engine for PostgreSQL (asyncpg) or the embedded SQLite file (aiosqlite)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from app.db.clients import GRANTS_CACHE_INFO_KEY, GrantsCache
from app.db.driver import POOL_INFO_KEY, DriverPool


def create_engine(database_url: str, *, pool_size: int = 20) -> AsyncEngine:
    """`hide_parameters`: a database error's text would otherwise carry the statement's
    values — names, birth dates, addresses — into the log line of an unexpected error."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": 30}, hide_parameters=True)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    # No pre-ping: with asyncpg it is BEGIN, a statement and ROLLBACK — three round trips on
    # every request. A pooled connection that died (a database restart) fails the one
    # request that draws it with 503 database-unavailable and is then replaced, whether the
    # failure comes through SQLAlchemy or through app.db.driver.
    return create_async_engine(url, pool_size=pool_size, max_overflow=0, hide_parameters=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Foreign keys are off by default in SQLite; WAL lets readers run beside the writer.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def insert_for(dialect: str, table: sa.Table) -> Any:
    """INSERT with the engine's ON CONFLICT support (PostgreSQL's or SQLite's dialect)."""
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def _asyncpg_dsn(database_url: str) -> str | None:
    """postgresql://… for asyncpg itself; None for another database (SQLite)."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        return None
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def create_driver_pool(database_url: str, *, size: int) -> DriverPool | None:
    """asyncpg's own pool for the standalone statements of app.db.driver; None on SQLite."""
    dsn = _asyncpg_dsn(database_url)
    return None if dsn is None else DriverPool(dsn, size)


def create_grants_cache(database_url: str) -> GrantsCache | None:
    """The process's cache of client grants, kept by PostgreSQL's notices; None on SQLite
    (one process, nothing to keep in step)."""
    dsn = _asyncpg_dsn(database_url)
    return None if dsn is None else GrantsCache(dsn)


def create_sessionmaker(
    engine: AsyncEngine,
    driver_pool: DriverPool | None = None,
    grants_cache: GrantsCache | None = None,
) -> async_sessionmaker[AsyncSession]:
    """Sessions that carry the process's hot-path helpers, when it has them, in `info`."""
    info: dict[str, object] = {}
    if driver_pool is not None:
        info[POOL_INFO_KEY] = driver_pool
    if grants_cache is not None:
        info[GRANTS_CACHE_INFO_KEY] = grants_cache
    return async_sessionmaker(engine, expire_on_commit=False, info=info)
