"""The world of the voucher and group concurrency tests: the demo, a fresh offer of the
Schouwburg at €15, and two server processes on it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from app.db import migrations
from app.db.engine import create_engine, create_sessionmaker, unit_of_work
from app.services.demo import seed_demo
from tests.concurrency.test_concurrent_sales import _an_offer
from tests.conftest import TEST_INSZ_KEY, TEST_TOKEN_KEY, make_settings
from tests.support.live_server import LiveServer, live_server
from tests.support.postgres import create_database, drop_database, run_in_thread


@dataclass(frozen=True)
class DemoWorld:
    server: LiveServer
    offer: str


@pytest.fixture(scope="module")
def world(postgres_admin_url: str) -> Iterator[DemoWorld]:
    url = create_database(postgres_admin_url, prefix="openpas_concurrency")
    migrations.upgrade(url)

    async def seed() -> str:
        engine = create_engine(url)
        try:
            async with unit_of_work(create_sessionmaker(engine)) as session:
                await seed_demo(session, make_settings(url))
            return await _an_offer(url, "schouwburg-kortrijk", 1_500)
        finally:
            await engine.dispose()

    offer = run_in_thread(seed())
    env = {
        "OPENPAS_TOKEN_SIGNING_KEY": TEST_TOKEN_KEY,
        "OPENPAS_INSZ_HMAC_KEY": TEST_INSZ_KEY,
        "OPENPAS_DB_POOL_SIZE": "20",
    }
    try:
        with live_server(url, env, workers=2) as server:
            yield DemoWorld(server, offer)
    finally:
        drop_database(postgres_admin_url, url)
