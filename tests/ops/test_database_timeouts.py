"""The server's connections carry the statement, lock and idle-in-transaction timeouts of
its settings, and a report's transaction the long statement timeout (app.db.engine.Timeouts,
app.api.deps.long_statements) — read back from PostgreSQL, not from the code.

A dedicated app on a database of its own, with timeouts no default has, and real sessions
(no test transaction): what a deployed server's connections carry."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from app.db import migrations
from app.db.engine import create_engine, create_sessionmaker, unit_of_work
from app.domain.access import Role
from app.main import create_app
from app.services import reports
from tests.conftest import make_settings
from tests.factories import a_partner, a_region, bearer_for
from tests.support.postgres import create_database, drop_database

SETTINGS = {
    "db_statement_timeout_ms": 4321,
    "db_lock_timeout_ms": 1234,
    "db_idle_in_transaction_timeout_ms": 5678,
    "db_long_statement_timeout_ms": 98765,
    # One connection: the report's request and the reads after it share it.
    "db_pool_size": 1,
}
NAMES = ("statement_timeout", "lock_timeout", "idle_in_transaction_session_timeout")


@pytest.fixture(scope="module")
def database(postgres_admin_url: str) -> Iterator[str]:
    url = create_database(postgres_admin_url, prefix="openpas_timeouts")
    migrations.upgrade(url)
    yield url
    drop_database(postgres_admin_url, url)


@pytest.fixture
async def app(database: str) -> AsyncIterator[FastAPI]:
    app = create_app(make_settings(database, **SETTINGS))
    yield app
    await app.state.engine.dispose()


async def _timeouts(connection: AsyncConnection | AsyncSession) -> dict[str, str]:
    found = {}
    for name in NAMES:
        value = await connection.scalar(text("SELECT current_setting(:name)"), {"name": name})
        found[name] = value
    return found


SHORT = {
    "statement_timeout": "4321ms",
    "lock_timeout": "1234ms",
    "idle_in_transaction_session_timeout": "5678ms",
}


async def test_every_connection_of_the_apps_engine_has_the_settings_timeouts(
    app: FastAPI,
) -> None:
    async with app.state.engine.connect() as connection:
        assert await _timeouts(connection) == SHORT
    # The desk's hand-written statements use the asyncpg connection under it: the same.
    async with app.state.engine.connect() as connection:
        raw = await connection.get_raw_connection()
        driver = raw.driver_connection
        assert driver is not None
        assert await driver.fetchval("SHOW statement_timeout") == "4321ms"
    # Without timeouts (the command line's engine) PostgreSQL's defaults stand.
    plain = create_engine(app.state.settings.database_url)
    try:
        async with plain.connect() as connection:
            assert (await _timeouts(connection))["statement_timeout"] == "0"
    finally:
        await plain.dispose()


async def test_a_report_requests_transaction_has_the_long_statement_timeout(
    app: FastAPI, database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    setup = create_engine(database)
    try:
        async with unit_of_work(create_sessionmaker(setup)) as session:
            partner_id = await a_partner(session, await a_region(session))
            headers = await bearer_for(session, Role.PARTNER_ADMIN, partner_id=partner_id)
    finally:
        await setup.dispose()

    seen: list[dict[str, str]] = []
    real = reports.settlement

    async def settlement(session: AsyncSession, *args: Any, **kwargs: Any) -> Any:
        seen.append(await _timeouts(session))
        return await real(session, *args, **kwargs)

    monkeypatch.setattr(reports, "settlement", settlement)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        answer = await client.get("/v1/reports/settlement", headers=headers)
    assert answer.status_code == 200, answer.text
    assert seen == [{**SHORT, "statement_timeout": "98765ms"}]
    # SET LOCAL: the connection is back at the short timeout once the request is done.
    async with app.state.engine.connect() as connection:
        assert await _timeouts(connection) == SHORT
