"""The first connection found dead drops every connection the pool opened before it:
after a database restart they all lead to the dead server, and each would otherwise fail
a request of its own — the issue saw one 10.5 minutes after the database was back."""

from __future__ import annotations

import asyncpg
import pytest
from sqlalchemy.pool import PoolProxiedConnection

from app.db.driver import fetch
from app.db.engine import create_engine, create_sessionmaker
from app.errors import DatabaseUnavailable
from tests.support.postgres import admin_execute


def _driver(pooled: PoolProxiedConnection) -> asyncpg.Connection:
    driver: asyncpg.Connection = pooled.driver_connection
    return driver


async def test_a_connection_lost_under_a_desk_statement_drops_the_whole_pool(
    database_url: str,
) -> None:
    engine = create_engine(database_url, pool_size=3)
    try:

        async def pooled_pids() -> set[int]:
            drawn = [await engine.raw_connection() for _ in range(3)]
            try:
                return {await _driver(c).fetchval("SELECT pg_backend_pid()") for c in drawn}
            finally:
                for c in drawn:
                    c.close()

        before = await pooled_pids()
        assert len(before) == 3
        async with create_sessionmaker(engine)() as session:
            connection = await session.connection()
            raw = await connection.get_raw_connection()
            # This one dies under the statement (the others in the pool look alive).
            _driver(raw).terminate()
            with pytest.raises(DatabaseUnavailable):
                await fetch(session, "SELECT 1")
        after = await pooled_pids()
        # None of the connections opened before the failure is handed out again.
        assert not after & before, (before, after)
    finally:
        await engine.dispose()


async def test_a_connection_lost_on_a_standalone_desk_statement_drops_the_whole_pool(
    database_url: str, postgres_admin_url: str
) -> None:
    engine = create_engine(database_url, pool_size=2)
    try:
        first, second = await engine.raw_connection(), await engine.raw_connection()
        victim = await _driver(first).fetchval("SELECT pg_backend_pid()")
        survivor = await _driver(second).fetchval("SELECT pg_backend_pid()")
        first.close()  # checked in first: drawn first (the pool is FIFO)
        second.close()
        # Ended by the server, and drawn before this process had a chance to see it (the
        # call blocks the event loop): the checkout check finds it open, the statement fails.
        admin_execute(postgres_admin_url, f"SELECT pg_terminate_backend({victim})")
        async with create_sessionmaker(engine)() as session:
            outcomes: list[int | None] = []
            for _ in range(3):
                try:
                    rows = await fetch(session, "SELECT pg_backend_pid() AS pid")
                    outcomes.append(rows[0]["pid"])
                except DatabaseUnavailable:
                    outcomes.append(None)
        assert outcomes[0] is None
        # The survivor was alive, but opened before the failure: it is not used again.
        assert survivor not in outcomes, (survivor, outcomes)
        assert None not in outcomes[1:]
    finally:
        await engine.dispose()
