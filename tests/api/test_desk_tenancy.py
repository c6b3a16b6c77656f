"""A desk of partner A cannot quote for, sell for, confirm, cancel or list partner B's sales."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.access import Role
from tests.api.test_auth import assert_problem
from tests.api.test_desk import kortrijk_world, quote, sell
from tests.factories import a_partner, bearer_for


async def _two_desks(client: httpx.AsyncClient, session: AsyncSession):  # type: ignore[no-untyped-def]
    world = await kortrijk_world(session, client)
    other_partner = await a_partner(session, world.region, name="Andere zaal")
    other_desk = await bearer_for(session, Role.DESK, partner_id=other_partner)
    return world, other_partner, other_desk


async def test_a_desk_cannot_quote_for_another_partners_offer(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world, _, other_desk = await _two_desks(client, session)
    response = await client.post(
        "/v1/quotes",
        headers=other_desk,
        json={
            "card_number": world.card_number,
            "offer_id": world.offer_id,
            "price_class": "standard",
        },
    )
    assert_problem(response, 403, "forbidden")


async def test_a_desk_cannot_sell_another_partners_offer(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world, _, other_desk = await _two_desks(client, session)
    tariff_id = (await quote(client, world)).json()["best_tariff_id"]
    response = await client.post(
        "/v1/sales",
        headers={**other_desk, "Idempotency-Key": uuid.uuid4().hex},
        json={
            "items": [
                {
                    "card_number": world.card_number,
                    "offer_id": world.offer_id,
                    "price_class": "standard",
                    "tariff_id": tariff_id,
                }
            ]
        },
    )
    assert_problem(response, 403, "forbidden")


async def test_a_desk_cannot_cancel_or_confirm_another_partners_sale(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world, _, other_desk = await _two_desks(client, session)
    tariff_id = (await quote(client, world)).json()["best_tariff_id"]
    sale = (await sell(client, world, tariff_id, hold=True)).json()
    for action in ("cancel", "confirm"):
        response = await client.post(f"/v1/sales/{sale['id']}/{action}", headers=other_desk)
        assert_problem(response, 404, "not-found")
    still = (await client.get("/v1/sales", headers=world.desk)).json()["items"][0]
    assert still["status"] == "held"


async def test_a_desk_cannot_read_another_partners_sale(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world, _, other_desk = await _two_desks(client, session)
    tariff_id = (await quote(client, world)).json()["best_tariff_id"]
    sale = (await sell(client, world, tariff_id)).json()

    foreign = await client.get(f"/v1/sales/{sale['id']}", headers=other_desk)
    own = await client.get(f"/v1/sales/{sale['id']}", headers=world.desk)

    # Not found, as an unknown id: the other desk does not even learn that the sale exists.
    assert_problem(foreign, 404, "not-found")
    assert_problem(
        await client.get(f"/v1/sales/{uuid.uuid4()}", headers=world.desk), 404, "not-found"
    )
    assert own.json() == sale


async def test_a_desk_lists_only_its_own_sales(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world, other_partner, other_desk = await _two_desks(client, session)
    tariff_id = (await quote(client, world)).json()["best_tariff_id"]
    await sell(client, world, tariff_id)
    assert (await client.get("/v1/sales", headers=other_desk)).json()["items"] == []
    foreign = await client.get(
        "/v1/sales", headers=other_desk, params={"partner_id": world.partner_id}
    )
    assert_problem(foreign, 403, "forbidden")
    assert other_partner != world.partner_id


async def test_a_partner_admin_adds_offers_only_for_its_own_partner(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world, other_partner, _ = await _two_desks(client, session)
    admin_of_other = await bearer_for(session, Role.PARTNER_ADMIN, partner_id=other_partner)
    response = await client.post(
        f"/v1/partners/{world.partner_id}/offers",
        headers=admin_of_other,
        json={
            "title": "X",
            "category": "podium",
            "kind": "permanent",
            "price_classes": [{"code": "standard", "label": "S", "price_cents": 100}],
        },
    )
    assert_problem(response, 403, "forbidden")
