"""The server reads bodies exactly as its OpenAPI document describes them: what the
document allows is accepted, what it does not is refused (found by schemathesis)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.tables import offers
from app.domain.access import Role
from tests.api.test_auth import assert_problem
from tests.factories import a_partner, a_region, bearer_for


def _offer(**changes: Any) -> dict[str, Any]:
    return {
        "title": "Oudejaarsavond",
        "category": "podium",
        "kind": "one_off",
        "starts_at": "2026-12-31T20:00:00+01:00",
        "price_classes": [{"code": "standard", "label": "Standaard", "price_cents": 1_000}],
    } | changes


async def _partner_admin(session: AsyncSession) -> tuple[str, dict[str, str]]:
    region = await a_region(session)
    partner = await a_partner(session, region)
    return partner, await bearer_for(session, Role.PARTNER_ADMIN, partner_id=partner)


@pytest.mark.parametrize("moment", [0, 1_767_222_000, 0.5, True])
async def test_a_number_is_no_moment_though_pydantic_would_read_it_as_unix_time(
    client: httpx.AsyncClient, session: AsyncSession, moment: object
) -> None:
    partner, admin = await _partner_admin(session)
    count = sa.select(sa.func.count()).select_from(offers)
    before = (await session.execute(count)).scalar_one()

    response = await client.post(
        f"/v1/partners/{partner}/offers", headers=admin, json=_offer(starts_at=moment)
    )

    [error] = assert_problem(response, 422, "validation-failed")["errors"]
    assert error["pointer"] == "/starts_at"
    assert (await session.execute(count)).scalar_one() == before  # 1970-01-01 stored no more


async def test_an_integer_written_with_a_zero_fraction_is_the_integer_json_schema_says_it_is(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    partner, admin = await _partner_admin(session)
    price_classes = [{"code": "standard", "label": "Standaard", "price_cents": 1_500.0}]

    response = await client.post(
        f"/v1/partners/{partner}/offers", headers=admin, json=_offer(price_classes=price_classes)
    )

    assert response.status_code == 201, response.text
    assert response.json()["price_classes"][0]["price_cents"] == 1_500


@pytest.mark.parametrize("price", [1_500.5, "1500", True])
async def test_a_fraction_a_string_or_a_boolean_is_still_no_integer(
    client: httpx.AsyncClient, session: AsyncSession, price: object
) -> None:
    partner, admin = await _partner_admin(session)
    price_classes = [{"code": "standard", "label": "Standaard", "price_cents": price}]
    response = await client.post(
        f"/v1/partners/{partner}/offers", headers=admin, json=_offer(price_classes=price_classes)
    )
    assert_problem(response, 422, "validation-failed")


async def test_the_document_requires_the_idempotency_key_of_a_sale(
    client: httpx.AsyncClient,
) -> None:
    document = (await client.get("/openapi.json")).json()
    [key] = [p for p in document["paths"]["/v1/sales"]["post"]["parameters"] if p["in"] == "header"]
    assert (key["name"].lower(), key["required"], key["schema"]["type"]) == (
        "idempotency-key",
        True,
        "string",
    )
    assert "x-openpas-required-headers" not in document["paths"]["/v1/sales"]["post"]
