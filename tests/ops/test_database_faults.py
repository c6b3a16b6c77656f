"""Fail fast when the database is slow or full: a held lock, an exhausted pool and a
restart under load each answer a quick 503 problem with Retry-After — never a 500, never
a request left hanging — and /ready answers within a second.

One real server process with small timeouts (the settings of app.db.engine.Timeouts)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url

from tests.support.live_server import LiveServer, demo_server
from tests.support.postgres import admin_execute

pytestmark = pytest.mark.concurrency

KV_SEASON_TICKET = "f885b1c5-8e53-54f0-b4c6-a98fd001c18e"
SOFIE_CARD = "5395011334637"
# Long enough that the stuck requests below still hold the pool on a busy machine.
LOCK_TIMEOUT_MS = 3000
POOL_SIZE = 2


@pytest.fixture(scope="module")
def server(postgres_admin_url: str) -> Iterator[LiveServer]:
    env = {
        "OPENPAS_DB_POOL_SIZE": str(POOL_SIZE),
        "OPENPAS_DB_POOL_TIMEOUT_SECONDS": "0.5",
        "OPENPAS_DB_LOCK_TIMEOUT_MS": str(LOCK_TIMEOUT_MS),
        "OPENPAS_DB_STATEMENT_TIMEOUT_MS": "4000",
    }
    with demo_server(postgres_admin_url, prefix="openpas_faults", env=env) as running:
        yield running


@pytest.fixture(scope="module")
def desk(server: LiveServer) -> dict[str, str]:
    answer = httpx.post(
        f"{server.base_url}/v1/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "demo-desk-kv",
            "client_secret": "demo-desk-kv-secret",
        },
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


BODY = {"card_number": SOFIE_CARD, "offer_id": KV_SEASON_TICKET, "price_class": "standard"}


@asynccontextmanager
async def table_locked(database_url: str, table: str) -> AsyncIterator[None]:
    """Someone holds an exclusive lock on `table` (a stuck migration, a long transaction)."""
    url = make_url(database_url)
    connection = await asyncpg.connect(
        host=url.host, port=url.port, user=url.username, database=url.database
    )
    try:
        transaction = connection.transaction()
        await transaction.start()
        await connection.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
        try:
            yield
        finally:
            await transaction.rollback()
    finally:
        await connection.close()


def assert_503(answer: httpx.Response, code: str) -> None:
    assert answer.status_code == 503, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["code"] == code
    assert int(answer.headers["retry-after"]) >= 1


async def test_a_held_table_lock_answers_a_quick_503_database_busy(
    server: LiveServer, desk: dict[str, str]
) -> None:
    async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as client:
        assert (await client.post("/v1/quotes", headers=desk, json=BODY)).status_code == 200
        async with table_locked(server.database_url, "cards"):
            started = time.perf_counter()
            answer = await client.post("/v1/quotes", headers=desk, json=BODY)
            waited = time.perf_counter() - started
        assert_503(answer, "database-busy")
        # The lock timeout, not the lock holder, decides how long a desk waits.
        assert waited < LOCK_TIMEOUT_MS / 1000 + 1.5, waited
        # The lock is gone: the desk works again.
        assert (await client.post("/v1/quotes", headers=desk, json=BODY)).status_code == 200


async def test_an_exhausted_pool_answers_a_quick_503_and_ready_answers_within_a_second(
    server: LiveServer, desk: dict[str, str]
) -> None:
    async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as client:
        async with table_locked(server.database_url, "cards"):
            # Each of these holds one of the pool's connections while it waits for the lock.
            stuck = [
                asyncio.create_task(client.post("/v1/quotes", headers=desk, json=BODY))
                for _ in range(POOL_SIZE)
            ]
            await asyncio.sleep(0.3)

            async def timed(path: str, **kwargs: object) -> tuple[httpx.Response, float]:
                started = time.perf_counter()
                answer = await client.get(path, **kwargs)  # type: ignore[arg-type]
                return answer, time.perf_counter() - started

            # Both while the pool is taken, well within the lock timeout.
            (listing, listing_took), (ready, ready_took) = await asyncio.gather(
                timed("/v1/sales?limit=1", headers=desk), timed("/ready")
            )
            answers = await asyncio.gather(*stuck)
        assert_503(listing, "database-unavailable")
        assert listing_took < 1.5, listing_took
        assert ready.status_code == 503
        assert ready.json()["database"] == "unreachable"
        assert ready_took < 1.0, ready_took
        for answer in answers:
            assert_503(answer, "database-busy")
        # Everything released: ready again.
        assert (await client.get("/ready")).status_code == 200


def test_a_restart_under_load_costs_quick_503s_and_then_nothing(
    server: LiveServer, desk: dict[str, str], postgres_admin_url: str
) -> None:
    name = make_url(server.database_url).database

    async def load(seconds: float) -> list[int]:
        statuses: list[int] = []
        deadline = time.monotonic() + seconds

        async def one_desk() -> None:
            async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as client:
                while time.monotonic() < deadline:
                    answer = await client.post("/v1/quotes", headers=desk, json=BODY)
                    statuses.append(answer.status_code)
                    if answer.status_code == 503:
                        assert answer.json()["code"] == "database-unavailable"

        await asyncio.gather(*(one_desk() for _ in range(4)))
        return statuses

    async def restart_during_load() -> list[int]:
        running = asyncio.create_task(load(3.0))
        await asyncio.sleep(1.0)
        # Every backend of the database ended at once, as by a restart.
        await asyncio.to_thread(
            admin_execute,
            postgres_admin_url,
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            f"WHERE datname = '{name}' AND pid <> pg_backend_pid()",
        )
        return await running

    during = asyncio.run(restart_during_load())
    assert set(during) <= {200, 503}, set(during)
    assert during.count(200) > 10
    # At most one failure per pooled connection, far fewer with the whole pool dropped.
    assert during.count(503) <= POOL_SIZE, during.count(503)
    after = asyncio.run(load(1.0))
    assert set(after) == {200}, after
