"""Pooled connections are not pinged before use: when the database drops them, each one
fails at most one request with a clear 503 and is replaced — never a 500, never a hang.

A server process has one pool (SQLAlchemy's, app.db.engine), which also serves the desk's
standalone statements (app.db.driver); a connection whose socket asyncpg saw close is
replaced when it is drawn, so a restart the server noticed costs no request at all."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy.engine import make_url

from tests.support.live_server import LiveServer, demo_server
from tests.support.postgres import (
    admin_execute,
    admin_fetchval,
)

KV_SEASON_TICKET = "f885b1c5-8e53-54f0-b4c6-a98fd001c18e"
SOFIE_CARD = "5395011334637"
POOL_SIZE = 4


@pytest.fixture(scope="module")
def server(postgres_admin_url: str) -> Iterator[LiveServer]:
    pools = {"OPENPAS_DB_POOL_SIZE": str(POOL_SIZE)}
    with demo_server(postgres_admin_url, prefix="openpas_loss", env=pools) as running:
        yield running


def test_each_dropped_connection_costs_at_most_one_503_and_then_the_desk_works_again(
    server: LiveServer, postgres_admin_url: str
) -> None:
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        token = client.post(
            "/v1/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": "demo-desk-kv",
                "client_secret": "demo-desk-kv-secret",
            },
        ).json()["access_token"]
    desk = {"Authorization": f"Bearer {token}"}
    body = {"card_number": SOFIE_CARD, "offer_id": KV_SEASON_TICKET, "price_class": "standard"}

    sales = "/v1/sales?limit=5"

    async def at_once(count: int) -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as client:
            return await asyncio.gather(
                *(client.post("/v1/quotes", headers=desk, json=body) for _ in range(count)),
                *(client.get(sales, headers=desk) for _ in range(count)),
            )

    # Fill the pool: many requests at once each hold a connection.
    warm = asyncio.run(at_once(3 * POOL_SIZE))
    assert {w.status_code for w in warm} == {200}
    name = make_url(server.database_url).database
    assert (
        admin_fetchval(
            postgres_admin_url, f"SELECT count(*) FROM pg_stat_activity WHERE datname = '{name}'"
        )
        >= POOL_SIZE
    )

    # A database restart, as far as the server's pooled connections can tell.
    admin_execute(
        postgres_admin_url,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        f"WHERE datname = '{name}' AND pid <> pg_backend_pid()",
    )

    time.sleep(1)
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        quotes = [client.post("/v1/quotes", headers=desk, json=body) for _ in range(3 * POOL_SIZE)]
        listings = [client.get(sales, headers=desk) for _ in range(3 * POOL_SIZE)]
    # The server saw the sockets close (it had a second to): each dead connection is
    # replaced when drawn, so no request fails at all. Without the check on checkout, one
    # request per dropped connection would answer 503 database-unavailable.
    statuses = [answer.status_code for answer in [*quotes, *listings]]
    assert statuses == [200] * len(statuses), statuses
    assert quotes[-1].json()["tariffs"] == warm[0].json()["tariffs"]
    assert listings[-1].json() == warm[-1].json()
