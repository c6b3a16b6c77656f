"""A registry of region A sees nothing of region B: every route answers 404."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.access import Role
from tests.api.test_auth import assert_problem
from tests.factories import a_region, bearer_for, passholder_body

ROUTES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/v1/passholders/{holder}", None),
    ("PATCH", "/v1/passholders/{holder}", {"email": "x@example.be"}),
    ("POST", "/v1/passholders/{holder}/cards", None),
    ("GET", "/v1/passholders/{holder}/cards", None),
    ("POST", "/v1/cards/{card}/block", {"reason": "lost"}),
    ("POST", "/v1/cards/{card}/replace", None),
    ("GET", "/v1/passholders/{holder}/entitlements", None),
    (
        "POST",
        "/v1/passholders/{holder}/entitlements",
        {"type": "leefloon", "valid_from": "2026-01-01"},
    ),
    (
        "POST",
        "/v1/passholders/{holder}/entitlements/{entitlement}/suspend",
        {"until": "2099-01-01"},
    ),
    ("POST", "/v1/passholders/{holder}/entitlements/{entitlement}/end", {"on": "2026-06-01"}),
]


@pytest.mark.parametrize(("method", "template", "body"), ROUTES)
async def test_a_registry_of_another_region_gets_404(
    client: httpx.AsyncClient,
    session: AsyncSession,
    method: str,
    template: str,
    body: dict[str, Any] | None,
) -> None:
    home, elsewhere = await a_region(session), await a_region(session)
    owner = await bearer_for(session, Role.REGISTRY, region_id=home.id)
    stranger = await bearer_for(session, Role.REGISTRY, region_id=elsewhere.id)
    holder = (
        await client.post("/v1/passholders", headers=owner, json=passholder_body(home))
    ).json()
    card = (await client.post(f"/v1/passholders/{holder['id']}/cards", headers=owner)).json()
    entitlement = (
        await client.post(
            f"/v1/passholders/{holder['id']}/entitlements",
            headers=owner,
            json={"type": "kansenstatuut", "region_id": home.id, "valid_from": "2026-01-01"},
        )
    ).json()
    url = template.format(holder=holder["id"], card=card["number"], entitlement=entitlement["id"])

    response = await client.request(method, url, headers=stranger, json=body)
    assert_problem(response, 404, "not-found")
    # And the owner may (the route is real, the 404 is the tenant check).
    allowed = await client.request(method, url, headers=owner, json=body)
    assert allowed.status_code < 400 or allowed.status_code == 409, allowed.text


async def test_a_search_never_finds_people_of_another_region(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    home, elsewhere = await a_region(session), await a_region(session)
    owner = await bearer_for(session, Role.REGISTRY, region_id=home.id)
    stranger = await bearer_for(session, Role.REGISTRY, region_id=elsewhere.id)
    holder = (
        await client.post("/v1/passholders", headers=owner, json=passholder_body(home))
    ).json()
    card = (await client.post(f"/v1/passholders/{holder['id']}/cards", headers=owner)).json()
    for query in (
        {"card_number": card["number"]},
        {"last_name": "Desmet", "birth_date": "1985-07-30"},
    ):
        found = await client.post("/v1/passholders/search", headers=stranger, json=query)
        assert found.json()["items"] == []


async def test_desks_and_reporters_cannot_use_the_registry(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    region = await a_region(session)
    reporter = await bearer_for(session, Role.REPORTER, region_id=region.id)
    response = await client.post("/v1/passholders", headers=reporter, json=passholder_body(region))
    assert_problem(response, 403, "forbidden")
