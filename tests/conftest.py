"""Fixtures: a real PostgreSQL database per run, migrated with Alembic; each test inside a
transaction that is rolled back, so tests never see each other's rows.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from app.api.deps import get_session
from app.db import migrations
from app.db.engine import create_engine
from app.errors import OpenPasError
from app.main import create_app
from app.settings import Settings
from tests.support.postgres import create_database, drop_database, postgres_server

TEST_TOKEN_KEY = "test-token-signing-key-0123456789abcdef"
TEST_INSZ_KEY = "test-insz-hmac-key-0123456789abcdef0123"
RATE_LIMIT_NAMES = (
    "token_per_client",
    "token_per_address",
    "failed_card_lookups",
    "quotes",
    "sales",
)
# The same for server processes (tests.support.live_server), unless a test sets them.
NO_RATE_LIMITS = {f"OPENPAS_RATE_LIMIT_{name.upper()}": "" for name in RATE_LIMIT_NAMES}


def make_settings(database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": database_url,
        "demo": False,
        "token_signing_key": TEST_TOKEN_KEY,
        "insz_hmac_key": TEST_INSZ_KEY,
        "log_level": "WARNING",
        # Off unless a test sets them: the suite shares one app and asks for many tokens.
        **{f"rate_limit_{name}": "" for name in RATE_LIMIT_NAMES},
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str]:
    with postgres_server() as url:
        yield url


@pytest.fixture(scope="session")
def database_url(postgres_admin_url: str) -> Iterator[str]:
    url = create_database(postgres_admin_url)
    migrations.upgrade(url)
    yield url
    drop_database(postgres_admin_url, url)


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    return make_settings(database_url)


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    async with engine.connect() as connection:
        transaction = await connection.begin()
        try:
            yield connection
        finally:
            await transaction.rollback()


@pytest.fixture
async def session(connection: AsyncConnection) -> AsyncIterator[AsyncSession]:
    """A session whose commits are savepoints inside the test's transaction."""
    async with AsyncSession(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    ) as session:
        yield session


@pytest.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    app = create_app(settings)
    yield app
    await app.state.engine.dispose()


@contextlib.asynccontextmanager
async def client_for(app: FastAPI, session: AsyncSession) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client of `app` whose requests work inside the test's transaction."""

    async def test_session() -> AsyncIterator[AsyncSession]:
        # The request's unit of work inside the test's transaction: a savepoint, released
        # when the route returns and rolled back when it raises, as the real one commits
        # or rolls back.
        savepoint = await session.begin_nested()
        try:
            yield session
        except BaseException as failure:
            keeps = isinstance(failure, OpenPasError) and failure.keeps_work
            if savepoint.is_active:
                await (savepoint.commit() if keeps else savepoint.rollback())
            raise
        if savepoint.is_active:
            await savepoint.commit()

    app.dependency_overrides[get_session] = test_session
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client
    finally:
        app.dependency_overrides.clear()


@pytest.fixture
async def client(app: FastAPI, session: AsyncSession) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(app, session) as client:
        yield client
