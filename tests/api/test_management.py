"""Managing what exists: partners and offers listed and searched, offers, partners and
regions changed and archived. An archived offer keeps its history and sells nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.tables import idempotency_keys, offers, sales
from app.domain.access import Role
from app.services.quotes import forget_offers
from tests.api.support_organisations import a_voucher, an_allocation, an_organisation_world
from tests.api.test_auth import assert_problem
from tests.api.test_desk import kortrijk_world, quote, sell
from tests.factories import a_partner, a_region, bearer_for


def _offer(title: str, category: str = "podium", **extra: Any) -> dict[str, Any]:
    return {
        "title": title,
        "category": category,
        "kind": "permanent",
        "price_classes": [{"code": "standard", "label": "Standaard", "price_cents": 1000}],
        **extra,
    }


async def test_partners_are_listed_by_name_searched_and_paged_within_the_callers_tenant(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    region = await a_region(session)
    other_region = await a_region(session)
    for name in ("Zwembad De Wiel", "Schouwburg Kortrijk", "Budascoop", "Muziekcentrum Track"):
        await a_partner(session, region, name=name)
    elsewhere = await a_partner(session, other_region, name="Schouwburg Elders")
    admin = await bearer_for(session, Role.REGION_ADMIN, region_id=region.id)

    first = await client.get("/v1/partners", headers=admin, params={"limit": 3})
    assert first.status_code == 200, first.text
    names = [p["name"] for p in first.json()["items"]]
    assert names == ["Budascoop", "Muziekcentrum Track", "Schouwburg Kortrijk"]
    rest = await client.get(
        "/v1/partners", headers=admin, params={"limit": 3, "cursor": first.json()["next_cursor"]}
    )
    assert [p["name"] for p in rest.json()["items"]] == ["Zwembad De Wiel"]
    assert rest.json()["next_cursor"] is None

    found = await client.get(
        "/v1/partners", headers=admin, params={"region_id": region.id, "q": "schouw"}
    )
    assert [p["name"] for p in found.json()["items"]] == ["Schouwburg Kortrijk"]
    percent = await client.get("/v1/partners", headers=admin, params={"q": "%"})
    assert percent.json()["items"] == []

    # Another region's partners are not this region admin's to list.
    assert_problem(
        await client.get("/v1/partners", headers=admin, params={"region_id": other_region.id}),
        403,
        "forbidden",
    )
    desk = await bearer_for(session, Role.DESK, partner_id=elsewhere)
    mine = await client.get("/v1/partners", headers=desk)
    assert [p["id"] for p in mine.json()["items"]] == [elsewhere]
    assert_problem(
        await client.get("/v1/partners", headers=admin, params={"cursor": "nonsense"}),
        422,
        "validation-failed",
    )


async def test_a_partners_offers_are_filtered_by_date_category_and_status(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    region = await a_region(session)
    partner = await a_partner(session, region)
    admin = await bearer_for(session, Role.PARTNER_ADMIN, partner_id=partner)
    made = {}
    for title, extra in (
        ("Museum", {}),
        ("Concert maart", {"kind": "one_off", "starts_at": "2027-03-10T20:00:00+01:00"}),
        ("Concert mei", {"kind": "one_off", "starts_at": "2027-05-10T20:00:00+02:00"}),
        ("Zwemmen", {"category": "sport"}),
    ):
        created = await client.post(
            f"/v1/partners/{partner}/offers", headers=admin, json=_offer(title, **extra)
        )
        assert created.status_code == 201, created.text
        made[title] = created.json()["id"]
    url = f"/v1/partners/{partner}/offers"

    listed = await client.get(url, headers=admin)
    assert listed.status_code == 200, listed.text
    titles = [o["title"] for o in listed.json()["items"]]
    # Those without a date first (by id), then by start.
    assert set(titles[:2]) == {"Museum", "Zwemmen"}
    assert titles[2:] == ["Concert maart", "Concert mei"]

    march = await client.get(url, headers=admin, params={"from": "2027-03-01", "to": "2027-04-01"})
    assert {o["title"] for o in march.json()["items"]} == {"Museum", "Zwemmen", "Concert maart"}
    sport = await client.get(url, headers=admin, params={"category": "sport"})
    assert [o["title"] for o in sport.json()["items"]] == ["Zwemmen"]

    archived = await client.post(f"/v1/offers/{made['Museum']}/archive", headers=admin)
    assert archived.status_code == 200, archived.text
    assert archived.json()["archived_at"] is not None
    active = await client.get(url, headers=admin)
    assert "Museum" not in [o["title"] for o in active.json()["items"]]
    only = await client.get(url, headers=admin, params={"status": "archived"})
    assert [o["title"] for o in only.json()["items"]] == ["Museum"]
    every = await client.get(url, headers=admin, params={"status": "all", "limit": 2})
    page2 = await client.get(
        url,
        headers=admin,
        params={"status": "all", "limit": 2, "cursor": every.json()["next_cursor"]},
    )
    assert len(every.json()["items"]) + len(page2.json()["items"]) == 4
    assert page2.json()["next_cursor"] is None

    assert_problem(
        await client.get(url, headers=admin, params={"from": "2027-03-01", "to": "2027-03-01"}),
        422,
        "validation-failed",
    )
    other_partner = await a_partner(session, region, name="Ander")
    other = await bearer_for(session, Role.PARTNER_ADMIN, partner_id=other_partner)
    assert_problem(await client.get(url, headers=other), 404, "not-found")


async def test_a_regions_offers_are_listed_for_its_admin_and_a_partner_sees_its_own(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    region = await a_region(session)
    first = await a_partner(session, region, name="Eerste")
    second = await a_partner(session, region, name="Tweede")
    region_admin = await bearer_for(session, Role.REGION_ADMIN, region_id=region.id)
    for partner, title in ((first, "Eerste aanbod"), (second, "Tweede aanbod")):
        response = await client.post(
            f"/v1/partners/{partner}/offers", headers=region_admin, json=_offer(title)
        )
        assert response.status_code == 201, response.text

    listed = await client.get("/v1/offers", headers=region_admin, params={"region_id": region.id})
    assert listed.status_code == 200, listed.text
    assert {o["title"] for o in listed.json()["items"]} == {"Eerste aanbod", "Tweede aanbod"}
    desk = await bearer_for(session, Role.DESK, partner_id=second)
    own = await client.get("/v1/offers", headers=desk, params={"region_id": region.id})
    assert [o["title"] for o in own.json()["items"]] == ["Tweede aanbod"]
    other_region = await a_region(session)
    assert_problem(
        await client.get("/v1/offers", headers=region_admin, params={"region_id": other_region.id}),
        403,
        "forbidden",
    )
    assert_problem(await client.get("/v1/offers", headers=region_admin), 422, "validation-failed")


async def test_an_archived_offer_answers_quotes_sales_and_checkins_and_keeps_its_history(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world = await kortrijk_world(session, client)
    tariff_id = (await quote(client, world)).json()["best_tariff_id"]
    sold = await sell(client, world, tariff_id)
    assert sold.status_code == 201, sold.text
    partner_admin = await bearer_for(session, Role.PARTNER_ADMIN, partner_id=world.partner_id)

    archived = await client.post(f"/v1/offers/{world.offer_id}/archive", headers=partner_admin)
    assert archived.status_code == 200, archived.text
    again = await client.post(f"/v1/offers/{world.offer_id}/archive", headers=partner_admin)
    assert again.json()["archived_at"] == archived.json()["archived_at"]

    refused = assert_problem(await quote(client, world), 409, "offer-archived")
    assert "stopgezet" in refused["end_user_message"]
    french = await client.post(
        "/v1/quotes",
        headers={**world.desk, "Accept-Language": "fr"},
        json={
            "card_number": world.card_number,
            "offer_id": world.offer_id,
            "price_class": "standard",
        },
    )
    assert "arrêtée" in assert_problem(french, 409, "offer-archived")["end_user_message"]
    assert_problem(await sell(client, world, tariff_id), 409, "offer-archived")
    checkin = await client.post(
        "/v1/checkins",
        headers=world.desk,
        json={"card_number": world.card_number, "offer_id": world.offer_id},
    )
    assert_problem(checkin, 409, "offer-archived")

    # Its history stays: the sale is listed, the settlement counts it, the offer reads.
    [listed] = (await client.get("/v1/sales", headers=world.desk)).json()["items"]
    assert listed["id"] == sold.json()["id"]
    region_admin = await bearer_for(session, Role.REGION_ADMIN, region_id=world.region.id)
    report = await client.get(
        "/v1/reports/settlement", headers=region_admin, params={"partner_id": world.partner_id}
    )
    assert report.status_code == 200, report.text
    assert report.json()["total"]["discount_cents"] == 11_900 - 2_380
    offer = await client.get(f"/v1/offers/{world.offer_id}")
    assert offer.json()["archived_at"] == archived.json()["archived_at"]


async def test_an_archived_offer_refuses_a_voucher_and_an_archived_partner_every_offer(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world = await an_organisation_world(session, client)
    allocation = await an_allocation(client, world)
    voucher = await a_voucher(client, world, allocation["id"], people=2)
    region_admin = await bearer_for(
        session, Role.REGION_ADMIN, region_id=world.desk_world.region.id
    )
    body = {"voucher_code": voucher["code"], "offer_id": world.offer_id, "price_class": "standard"}
    assert (await client.post("/v1/quotes", headers=world.desk, json=body)).status_code == 200

    archived = await client.post(
        f"/v1/partners/{world.desk_world.partner_id}/archive", headers=region_admin
    )
    assert archived.status_code == 200, archived.text
    assert archived.json()["archived_at"] is not None
    assert_problem(
        await client.post("/v1/quotes", headers=world.desk, json=body), 409, "partner-archived"
    )
    new_offer = await client.post(
        f"/v1/partners/{world.desk_world.partner_id}/offers",
        headers=region_admin,
        json=_offer("Nieuw"),
    )
    assert_problem(new_offer, 409, "partner-archived")
    listed = await client.get("/v1/partners", headers=region_admin, params={"status": "archived"})
    assert [p["id"] for p in listed.json()["items"]] == [world.desk_world.partner_id]


async def test_an_archived_region_gets_no_new_partner(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    region = await a_region(session)
    admin = await bearer_for(session, Role.ADMIN)
    region_admin = await bearer_for(session, Role.REGION_ADMIN, region_id=region.id)
    assert_problem(
        await client.post(f"/v1/regions/{region.id}/archive", headers=region_admin),
        403,
        "forbidden",
    )
    archived = await client.post(f"/v1/regions/{region.id}/archive", headers=admin)
    assert archived.status_code == 200, archived.text
    assert datetime.fromisoformat(archived.json()["archived_at"]) <= datetime.now(UTC)
    partner = await client.post(
        "/v1/partners",
        headers=admin,
        json={
            "name": "Te laat",
            "region_id": region.id,
            "municipality_nis": region.municipalities[0].nis_code,
        },
    )
    assert_problem(partner, 409, "region-archived")


async def test_the_sales_statement_refuses_an_offer_archived_behind_the_processs_back(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    # Archived by hand in SQL: no generation bump, so this process still has the offer as
    # it was and prices the sale; the sale's own statement reads the offer row and refuses.
    world = await kortrijk_world(session, client)
    tariff_id = (await quote(client, world)).json()["best_tariff_id"]
    await session.execute(
        sa.update(offers)
        .where(offers.c.id == uuid.UUID(world.offer_id))
        .values(archived_at=datetime.now(UTC))
    )
    assert (await quote(client, world)).status_code == 200  # the process did not notice
    refused = await sell(client, world, tariff_id, key="behind-the-back")
    assert_problem(refused, 409, "offer-archived")
    assert (
        await session.scalar(
            sa.select(sa.func.count())
            .select_from(idempotency_keys)
            .where(idempotency_keys.c.key == "behind-the-back")
        )
        == 0
    )
    assert (
        await session.scalar(
            sa.select(sa.func.count())
            .select_from(sales)
            .where(sales.c.partner_id == uuid.UUID(world.partner_id))
        )
        == 0
    )
    forget_offers([world.offer_id])
