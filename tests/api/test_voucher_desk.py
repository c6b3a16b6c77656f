"""At the desk a voucher works like a card: quoted and sold on the same path, at its
allocation's tariff, never for more tickets than its people, and anonymous."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.tables import audit_log, vouchers
from tests.api.support_organisations import (
    VOUCHER_SCHEME,
    OrganisationWorld,
    a_voucher,
    an_allocation,
    an_organisation_world,
)
from tests.api.test_auth import assert_problem


async def _quote(
    client: httpx.AsyncClient, world: OrganisationWorld, code: str, quantity: int = 1
) -> httpx.Response:
    return await client.post(
        "/v1/quotes",
        headers=world.desk,
        json={
            "voucher_code": code,
            "offer_id": world.offer_id,
            "price_class": "standard",
            "quantity": quantity,
        },
    )


async def _sell(
    client: httpx.AsyncClient, world: OrganisationWorld, code: str, tariff_id: str, quantity: int
) -> httpx.Response:
    return await client.post(
        "/v1/sales",
        headers={**world.desk, "Idempotency-Key": uuid.uuid4().hex},
        json={
            "items": [
                {
                    "voucher_code": code,
                    "offer_id": world.offer_id,
                    "price_class": "standard",
                    "tariff_id": tariff_id,
                    "quantity": quantity,
                }
            ]
        },
    )


async def _voucher_world(
    session: AsyncSession, client: httpx.AsyncClient, *, people: int = 2, **allocation: Any
) -> tuple[OrganisationWorld, dict[str, Any]]:
    world = await an_organisation_world(session, client, price_cents=1_500)
    made = await an_allocation(client, world, **allocation)
    return world, await a_voucher(client, world, made["id"], people=people)


async def test_a_voucher_is_quoted_at_its_allocations_tariff_and_tells_nothing_about_anyone(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world, voucher = await _voucher_world(session, client, people=3)
    audited = await session.scalar(sa.select(sa.func.count()).select_from(audit_log))

    response = await _quote(client, world, voucher["printed_code"], quantity=2)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["holder"] is None
    assert body["voucher"] == {
        "people": 3,
        "tickets_remaining": 3,
        "valid_until": voucher["valid_until"],
    }
    [tariff] = body["tariffs"]
    assert (tariff["scheme_code"], tariff["unit_price_cents"], tariff["total_cents"]) == (
        VOUCHER_SCHEME,
        125,
        250,
    )
    assert tariff["remaining"] == 3
    # The organisation pays its €1.25 a ticket, the partner forgoes the rest.
    assert tariff["funding"] == [
        {"payer": "organisation", "scheme_code": VOUCHER_SCHEME, "amount_cents": 250},
        {"payer": "partner", "scheme_code": VOUCHER_SCHEME, "amount_cents": 2_500},
    ]
    assert "organisation_id" not in response.text
    assert world.organisation_id not in response.text
    # Nothing personal was read: no audit row.
    assert await session.scalar(sa.select(sa.func.count()).select_from(audit_log)) == audited


async def test_a_card_holder_never_gets_a_voucher_tariff(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world, _ = await _voucher_world(session, client)
    response = await client.post(
        "/v1/quotes",
        headers=world.desk,
        json={
            "card_number": world.desk_world.card_number,
            "offer_id": world.offer_id,
            "price_class": "standard",
        },
    )
    assert response.status_code == 200, response.text
    assert VOUCHER_SCHEME not in {t["scheme_code"] for t in response.json()["tariffs"]}


async def test_a_sale_on_a_voucher_redeems_its_tickets_and_a_cancel_gives_them_back(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world, voucher = await _voucher_world(session, client, people=2)
    tariff_id = (await _quote(client, world, voucher["code"], 2)).json()["best_tariff_id"]

    sold = await _sell(client, world, voucher["code"], tariff_id, 2)
    assert sold.status_code == 201, sold.text
    [line] = sold.json()["items"]
    assert (line["card_number"], line["voucher_code"], line["total_cents"]) == (
        None,
        voucher["code"],
        250,
    )
    read = await client.get(f"/v1/vouchers/{voucher['code']}", headers=world.social_worker)
    assert (read.json()["tickets_used"], read.json()["status"]) == (2, "used")
    again = await _quote(client, world, voucher["code"])
    body = assert_problem(again, 409, "voucher-used-up")
    assert "ticketbon" in body["end_user_message"].lower()

    cancelled = await client.post(f"/v1/sales/{sold.json()['id']}/cancel", headers=world.desk)
    assert cancelled.status_code == 200, cancelled.text
    read = await client.get(f"/v1/vouchers/{voucher['code']}", headers=world.social_worker)
    assert (read.json()["tickets_used"], read.json()["tickets_remaining"]) == (0, 2)
    assert (await _quote(client, world, voucher["code"], 2)).status_code == 200
    # The sale as listed names the voucher, as sold.
    listed = await client.get("/v1/sales", headers=world.desk)
    assert listed.json()["items"][0]["items"][0]["voucher_code"] == voucher["code"]


async def test_a_sale_for_more_tickets_than_the_voucher_has_left_is_voucher_used_up(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world, voucher = await _voucher_world(session, client, people=2)
    tariff_id = (await _quote(client, world, voucher["code"], 1)).json()["best_tariff_id"]
    assert (await _sell(client, world, voucher["code"], tariff_id, 1)).status_code == 201

    assert_problem(await _quote(client, world, voucher["code"], 2), 409, "voucher-used-up")
    refused = await _sell(client, world, voucher["code"], tariff_id, 2)
    assert_problem(refused, 409, "voucher-used-up")


async def test_two_lines_of_one_sale_on_one_voucher_count_together(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world, voucher = await _voucher_world(session, client, people=3)
    tariff_id = (await _quote(client, world, voucher["code"], 2)).json()["best_tariff_id"]
    line = {
        "voucher_code": voucher["code"],
        "offer_id": world.offer_id,
        "price_class": "standard",
        "tariff_id": tariff_id,
        "quantity": 2,
    }
    response = await client.post(
        "/v1/sales",
        headers={**world.desk, "Idempotency-Key": uuid.uuid4().hex},
        json={"items": [line, line]},
    )
    body = assert_problem(response, 409, "voucher-used-up")
    assert body["item"] == 1


async def test_a_revoked_or_expired_voucher_is_refused_with_a_sentence_for_the_desk(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world, voucher = await _voucher_world(session, client)
    await session.execute(
        sa.update(vouchers)
        .where(vouchers.c.code == voucher["code"])
        .values(valid_until=date(2021, 1, 1))
    )
    body = assert_problem(await _quote(client, world, voucher["code"]), 409, "voucher-expired")
    assert "niet meer geldig" in body["end_user_message"]

    await session.execute(
        sa.update(vouchers)
        .where(vouchers.c.code == voucher["code"])
        .values(valid_until=date(2099, 1, 1))
    )
    revoked = await client.post(
        f"/v1/vouchers/{voucher['code']}/revoke", headers=world.social_worker
    )
    assert revoked.status_code == 200
    response = await client.post(
        "/v1/quotes",
        headers={**world.desk, "Accept-Language": "fr"},
        json={
            "voucher_code": voucher["code"],
            "offer_id": world.offer_id,
            "price_class": "standard",
        },
    )
    body = assert_problem(response, 409, "voucher-revoked")
    assert "annulé" in body["end_user_message"]


async def test_a_voucher_made_out_for_another_offer_is_not_valid_here(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world = await an_organisation_world(session, client)
    allocation = await an_allocation(client, world)
    partner_admin_offer = await client.post(
        f"/v1/partners/{world.desk_world.partner_id}/offers",
        headers=world.region_admin,
        json={
            "title": "Tentoonstelling",
            "category": "museum",
            "kind": "permanent",
            "price_classes": [{"code": "standard", "label": "Standaard", "price_cents": 900}],
        },
    )
    assert partner_admin_offer.status_code == 201, partner_admin_offer.text
    voucher = await a_voucher(
        client, world, allocation["id"], offer_id=partner_admin_offer.json()["id"]
    )
    assert_problem(await _quote(client, world, voucher["code"]), 409, "voucher-not-valid-here")


async def test_an_unknown_voucher_is_not_found_and_a_quote_takes_exactly_one_of_card_and_voucher(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world, voucher = await _voucher_world(session, client)
    assert_problem(await _quote(client, world, "0000-0000-0000-00"), 404, "voucher-not-found")
    both = await client.post(
        "/v1/quotes",
        headers=world.desk,
        json={
            "voucher_code": voucher["code"],
            "card_number": world.desk_world.card_number,
            "offer_id": world.offer_id,
            "price_class": "standard",
        },
    )
    assert_problem(both, 422, "validation-failed")
    neither = await client.post(
        "/v1/quotes",
        headers=world.desk,
        json={"offer_id": world.offer_id, "price_class": "standard"},
    )
    assert_problem(neither, 422, "validation-failed")


async def test_an_allocations_budget_caps_what_its_vouchers_take_off(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    # A ticket of €15 at €1.25 takes €13.75 off; the budget covers one ticket, not two.
    world, voucher = await _voucher_world(session, client, people=3, budget_cents=2_000)
    tariff_id = (await _quote(client, world, voucher["code"])).json()["best_tariff_id"]
    assert (await _sell(client, world, voucher["code"], tariff_id, 1)).status_code == 201

    response = await _quote(client, world, voucher["code"])
    assert response.status_code == 200, response.text
    assert response.json()["tariffs"] == []
    assert response.json()["not_applicable"][-1]["reason"] == "budget_exhausted"
    refused = await _sell(client, world, voucher["code"], tariff_id, 1)
    assert_problem(refused, 409, "allocation-budget-exhausted")


async def test_a_desk_of_another_partner_cannot_sell_on_a_voucher_here(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    from app.domain.access import Role
    from tests.factories import a_partner, bearer_for

    world, voucher = await _voucher_world(session, client)
    other = await a_partner(session, world.desk_world.region, name="Andere zaal")
    other_desk = await bearer_for(session, Role.DESK, partner_id=other)
    response = await client.post(
        "/v1/quotes",
        headers=other_desk,
        json={
            "voucher_code": voucher["code"],
            "offer_id": world.offer_id,
            "price_class": "standard",
        },
    )
    assert_problem(response, 403, "forbidden")
