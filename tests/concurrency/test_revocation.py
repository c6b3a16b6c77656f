"""Revoking a client stops its token in every server process, though each keeps grants.

Each process keeps the grants of the clients it has seen (app.db.clients.GrantsCache) and
forgets one when PostgreSQL notices it changed; this runs two processes and checks that a
revocation through one reaches both, quickly, and for good.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import httpx
import pytest

from app.services.demo import demo_id
from tests.support.live_server import LiveServer, demo_server

pytestmark = pytest.mark.concurrency


@pytest.fixture(scope="module")
def server(postgres_admin_url: str) -> Iterator[LiveServer]:
    with demo_server(postgres_admin_url, prefix="openpas_revocation", workers=2) as running:
        yield running


def _token(client: httpx.Client, client_id: str, secret: str) -> dict[str, str]:
    answer = client.post(
        "/v1/oauth/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def test_a_revoked_client_is_refused_by_every_process_within_a_second_and_stays_refused(
    server: LiveServer,
) -> None:
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        admin = _token(client, "demo-admin", "demo-admin-secret")
        created = client.post(
            "/v1/clients",
            headers=admin,
            json={
                "name": "Kassa 3",
                "grants": [{"role": "desk", "partner_id": str(demo_id("partner", "kv-kortrijk"))}],
            },
        )
        assert created.status_code == 201, created.text
        desk = _token(client, created.json()["client_id"], created.json()["client_secret"])

    async def statuses(count: int) -> list[int]:
        # Many at once, so that both processes answer some.
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as client:
            answers = await asyncio.gather(
                *(client.get("/v1/sales?limit=1", headers=desk) for _ in range(count))
            )
        return [answer.status_code for answer in answers]

    # Both processes have seen (and kept) the client.
    assert set(asyncio.run(statuses(60))) == {200}

    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        revoked = client.delete(f"/v1/clients/{created.json()['client_id']}", headers=admin)
        assert revoked.status_code == 204, revoked.text
    revoked_at = time.monotonic()

    seen: list[list[int]] = []
    while time.monotonic() - revoked_at < 5:
        seen.append(asyncio.run(statuses(20)))
        if set(seen[-1]) == {401}:
            break
    assert set(seen[-1]) == {401}, seen
    assert time.monotonic() - revoked_at < 1.0, seen
    assert set(asyncio.run(statuses(60))) == {401}
