"""GET /v1/me: a client, or a staff member logged in to the web pages, reads its own grants."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.access import Role
from tests.api.test_auth import assert_problem
from tests.api.test_staff import a_desk_member
from tests.factories import a_partner, a_region, bearer_for


@pytest.fixture
async def browser(client: httpx.AsyncClient) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=client._transport, base_url="https://testserver", follow_redirects=False
    ) as browser:
        yield browser


async def test_a_client_reads_its_own_grants(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    region = await a_region(session)
    partner = await a_partner(session, region)
    desk = await bearer_for(session, Role.DESK, partner_id=partner)
    response = await client.get("/v1/me", headers=desk)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["kind"] == "client"
    assert body["client_id"].startswith("test-")
    assert body["grants"] == [
        {"role": "desk", "region_id": None, "partner_id": partner, "organisation_id": None}
    ]
    assert_problem(await client.get("/v1/me"), 401, "unauthorized")
    assert_problem(
        await client.get("/v1/me", headers={"Authorization": "Bearer nonsense"}),
        401,
        "invalid-token",
    )


async def test_a_staff_member_reads_the_grant_of_their_session(
    client: httpx.AsyncClient, session: AsyncSession, browser: httpx.AsyncClient
) -> None:
    world, staff = await a_desk_member(session, client, browser)
    response = await browser.get("/v1/me")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["kind"] == "staff"
    assert body["client_id"] == f"staff:{staff['id']}"
    assert body["grants"] == [
        {"role": "desk", "region_id": None, "partner_id": world.partner_id, "organisation_id": None}
    ]
