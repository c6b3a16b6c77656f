"""Offers with open prices: partner ticketing that prices seats itself gives the regular price
with each quote and sale line, within the offer's maximum; the sale and the settlement keep
the price as sold."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.tables import idempotency_keys, sale_items, usage_counters
from app.db.tables import sales as sales_table
from app.domain.access import Role
from tests.api.support_organisations import a_voucher, an_allocation, an_organisation_world
from tests.api.test_auth import assert_problem
from tests.api.test_staff import a_desk_member, browser
from tests.factories import DeskWorld, a_desk_world, bearer_for, catalog_scheme, with_schemes

__all__ = ["browser"]  # the fixture, used by name

MAXIMUM = 5000


@dataclass
class OpenWorld:
    """A Kortrijk-style desk world whose partner also sells an open-price offer."""

    world: DeskWorld
    partner_admin: dict[str, str]
    # The region's admin opens an offer's price: its schemes pay back what the maximum allows.
    region_admin: dict[str, str]
    open_offer_id: str


def open_offer_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "KV Kortrijk - Standaard Bank",
        "category": "podium",
        "kind": "permanent",
        "open_price": True,
        "max_price_cents": MAXIMUM,
        "price_classes": [{"code": "standard", "label": "Zitplaats", "price_cents": 2500}],
    }
    return {**body, **changes}


async def open_world(
    session: AsyncSession, client: httpx.AsyncClient, *schemes: str, **scheme_changes: Any
) -> OpenWorld:
    world = await a_desk_world(session, client)
    await with_schemes(
        session,
        *(
            catalog_scheme(code, world.region.code, **scheme_changes)
            for code in schemes or ("KORTRIJK_KANSENTARIEF",)
        ),
    )
    partner_admin = await bearer_for(session, Role.PARTNER_ADMIN, partner_id=world.partner_id)
    region_admin = await bearer_for(session, Role.REGION_ADMIN, region_id=world.region.id)
    created = await client.post(
        f"/v1/partners/{world.partner_id}/offers", headers=region_admin, json=open_offer_body()
    )
    assert created.status_code == 201, created.text
    return OpenWorld(world, partner_admin, region_admin, created.json()["id"])


def line(w: OpenWorld, **fields: Any) -> dict[str, Any]:
    return {
        "card_number": w.world.card_number,
        "offer_id": w.open_offer_id,
        "price_class": "standard",
        **fields,
    }


async def quote(client: httpx.AsyncClient, w: OpenWorld, **fields: Any) -> httpx.Response:
    return await client.post("/v1/quotes", headers=w.world.desk, json=line(w, **fields))


async def sell(
    client: httpx.AsyncClient, w: OpenWorld, *, key: str | None = None, **fields: Any
) -> httpx.Response:
    return await client.post(
        "/v1/sales",
        headers={**w.world.desk, "Idempotency-Key": key or uuid.uuid4().hex},
        json={"items": [line(w, **fields)]},
    )


async def nothing_sold(session: AsyncSession, w: OpenWorld) -> None:
    """No sale, line, usage or idempotency key of the world's desk was written."""
    lines = sa.select(sa.func.count()).select_from(sale_items)
    lines = lines.where(sale_items.c.passholder_id == uuid.UUID(w.world.passholder_id))
    sales = sa.select(sa.func.count()).select_from(sales_table)
    sales = sales.where(sales_table.c.partner_id == uuid.UUID(w.world.partner_id))
    used = sa.select(sa.func.count()).select_from(usage_counters)
    used = used.where(usage_counters.c.passholder_id == uuid.UUID(w.world.passholder_id))
    keys = sa.select(sa.func.count()).select_from(idempotency_keys)
    for statement in (lines, sales, used, keys):
        assert (await session.execute(statement)).scalar_one() == 0


# --- the offer ---------------------------------------------------------------------------------


async def test_an_open_price_offer_shows_its_terms_and_survives_the_round_trip(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    w = await open_world(session, client)
    read = (await client.get(f"/v1/offers/{w.open_offer_id}")).json()
    assert (read["open_price"], read["max_price_cents"]) == (True, MAXIMUM)
    fixed = (await client.get(f"/v1/offers/{w.world.offer_id}")).json()
    assert (fixed["open_price"], fixed["max_price_cents"]) == (False, None)

    edited = await client.patch(
        f"/v1/offers/{w.open_offer_id}",
        headers=w.region_admin,
        json={**read, "max_price_cents": 6000},
    )
    assert edited.status_code == 200, edited.text
    assert edited.json() == {**read, "max_price_cents": 6000}
    # The partner sends back what it read, with a new title: its terms are unchanged.
    retitled = await client.patch(
        f"/v1/offers/{w.open_offer_id}",
        headers=w.partner_admin,
        json={**edited.json(), "title": "KV Kortrijk - Tribune 2"},
    )
    assert retitled.status_code == 200, retitled.text
    assert retitled.json() == {**edited.json(), "title": "KV Kortrijk - Tribune 2"}

    closed = await client.patch(
        f"/v1/offers/{w.open_offer_id}", headers=w.partner_admin, json={"open_price": False}
    )
    assert closed.status_code == 200, closed.text
    # A fixed-price offer has no maximum: closing the price drops it.
    assert (closed.json()["open_price"], closed.json()["max_price_cents"]) == (False, None)
    reopened = await client.patch(
        f"/v1/offers/{w.open_offer_id}",
        headers=w.region_admin,
        json={"open_price": True, "max_price_cents": 4000},
    )
    assert (reopened.json()["open_price"], reopened.json()["max_price_cents"]) == (True, 4000)


async def test_only_the_regions_admin_opens_a_price_or_raises_its_maximum(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    w = await open_world(session, client)
    url = f"/v1/offers/{w.open_offer_id}"
    by_partner = await client.post(
        f"/v1/partners/{w.world.partner_id}/offers", headers=w.partner_admin, json=open_offer_body()
    )
    problem = assert_problem(by_partner, 403, "open-price-needs-region")
    assert problem["end_user_message"] == (
        "Een open prijs of een hogere maximumprijs moet de regio toestaan."
    )
    raised = await client.patch(url, headers=w.partner_admin, json={"max_price_cents": MAXIMUM + 1})
    assert_problem(raised, 403, "open-price-needs-region")
    opened = await client.patch(
        f"/v1/offers/{w.world.offer_id}",
        headers=w.partner_admin,
        json={"open_price": True, "max_price_cents": 20_000},
    )
    assert_problem(opened, 403, "open-price-needs-region")
    fixed = (await client.get(f"/v1/offers/{w.world.offer_id}")).json()
    assert (fixed["open_price"], fixed["max_price_cents"]) == (False, None)

    # Lowering it is the partner's own business: it only narrows what is refunded.
    lowered = await client.patch(url, headers=w.partner_admin, json={"max_price_cents": 4000})
    assert lowered.status_code == 200, lowered.text
    assert lowered.json()["max_price_cents"] == 4000
    # A fixed-price offer created by the partner stays the partner's to create.
    plain = await client.post(
        f"/v1/partners/{w.world.partner_id}/offers",
        headers=w.partner_admin,
        json=open_offer_body(open_price=False, max_price_cents=None),
    )
    assert plain.status_code == 201, plain.text


async def test_open_price_terms_that_do_not_hold_are_refused_with_their_field(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    w = await open_world(session, client)
    url = f"/v1/partners/{w.world.partner_id}/offers"
    cases = [
        (open_offer_body(max_price_cents=None), "/max_price_cents", "required with open_price"),
        (open_offer_body(max_price_cents=0), "/max_price_cents", "must be above 0"),
        (
            open_offer_body(open_price=False),
            "/max_price_cents",
            "only for an offer with open_price",
        ),
        (
            open_offer_body(max_price_cents=2000),
            "/price_classes/0/price_cents",
            "price class 'standard' is above max_price_cents",
        ),
    ]
    for body, pointer, detail in cases:
        refused = await client.post(url, headers=w.partner_admin, json=body)
        problem = assert_problem(refused, 422, "validation-failed")
        assert problem["errors"] == [{"pointer": pointer, "detail": detail}], body

    lowered = await client.patch(
        f"/v1/offers/{w.open_offer_id}", headers=w.partner_admin, json={"max_price_cents": 2000}
    )
    problem = assert_problem(lowered, 422, "validation-failed")
    assert problem["errors"][0]["pointer"] == "/price_classes/0/price_cents"
    nulled = await client.patch(
        f"/v1/offers/{w.open_offer_id}", headers=w.partner_admin, json={"open_price": None}
    )
    assert_problem(nulled, 422, "validation-failed")
    after = (await client.get(f"/v1/offers/{w.open_offer_id}")).json()
    assert (after["open_price"], after["max_price_cents"]) == (True, MAXIMUM)


# --- quote, sale, settlement --------------------------------------------------------------------


async def test_a_seat_sold_at_an_open_price_is_quoted_sold_and_settled_at_that_price(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    w = await open_world(session, client)
    quoted = await quote(client, w, regular_price_cents=3748)
    assert quoted.status_code == 200, quoted.text
    body = quoted.json()
    assert body["regular_price_cents"] == 3748
    [tariff] = body["tariffs"]
    # 20 % of €37.48 is €7.496: the holder pays €7.49 (a fraction of a cent in their
    # favour); of the €29.99 discount the partner forgoes half, €14.995 rounded to €14.99,
    # and the city refunds the rest, €15.00.
    assert (tariff["unit_price_cents"], tariff["discount_cents"]) == (749, 2999)
    funding = [(f["payer"], f["amount_cents"]) for f in tariff["funding"]]
    assert funding == [("partner", 1499), ("scheme_owner", 1500)]

    sold = await sell(client, w, tariff_id=tariff["tariff_id"], regular_price_cents=3748)
    assert sold.status_code == 201, sold.text
    [item] = sold.json()["items"]
    assert (item["regular_price_cents"], item["unit_price_cents"]) == (3748, 749)
    assert (item["discount_cents"], item["total_cents"]) == (2999, 749)
    stored = await session.execute(
        sa.select(sale_items.c.regular_price_cents, sale_items.c.unit_price_cents).where(
            sale_items.c.id == uuid.UUID(item["id"])
        )
    )
    assert stored.one() == (3748, 749)

    region_admin = await bearer_for(session, Role.REGION_ADMIN, region_id=w.world.region.id)
    report = await client.get(
        "/v1/reports/settlement",
        headers=region_admin,
        params={"partner_id": w.world.partner_id},
    )
    assert report.status_code == 200, report.text
    settled = report.json()
    assert {k: settled["total"][k] for k in ("tickets", "regular_cents", "paid_cents")} == {
        "tickets": 1,
        "regular_cents": 3748,
        "paid_cents": 749,
    }
    assert settled["total"]["discount_cents"] == 2999
    owed = sorted((line["payer"], line["amount_cents"]) for line in settled["lines"])
    assert owed == [("partner", 1499), ("scheme_owner", 1500)]
    assert {line["regular_cents"] for line in settled["lines"]} == {3748}


async def test_a_price_above_the_maximum_is_refused_and_nothing_is_written(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    w = await open_world(session, client)
    at_most = await quote(client, w, regular_price_cents=MAXIMUM)
    assert at_most.status_code == 200, at_most.text
    tariff_id = at_most.json()["best_tariff_id"]

    above = await client.post(
        "/v1/quotes",
        headers={**w.world.desk, "Accept-Language": "fr"},
        json=line(w, regular_price_cents=MAXIMUM + 1),
    )
    problem = assert_problem(above, 422, "regular-price-above-maximum")
    assert (
        problem["end_user_message"] == "Ce prix dépasse le prix maximum convenu pour cette offre."
    )
    assert problem["errors"] == [{"pointer": "/regular_price_cents", "detail": "at most 5000"}]

    refused = await sell(client, w, tariff_id=tariff_id, regular_price_cents=MAXIMUM + 1)
    problem = assert_problem(refused, 422, "regular-price-above-maximum")
    assert problem["item"] == 0
    assert problem["errors"] == [
        {"pointer": "/items/0/regular_price_cents", "detail": "at most 5000"}
    ]
    await nothing_sold(session, w)


async def test_an_open_price_offer_needs_the_price_and_a_fixed_price_offer_refuses_one(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    w = await open_world(session, client)
    missing = await quote(client, w)
    problem = assert_problem(missing, 422, "regular-price-required")
    assert problem["errors"] == [
        {"pointer": "/regular_price_cents", "detail": "required for an open-price offer"}
    ]
    assert problem["end_user_message"].startswith("Dit aanbod heeft een open prijs.")
    assert_problem(
        await sell(client, w, tariff_id="KORTRIJK_KANSENTARIEF.00"), 422, "regular-price-required"
    )

    fixed = await client.post(
        "/v1/quotes",
        headers=w.world.desk,
        json={
            "card_number": w.world.card_number,
            "offer_id": w.world.offer_id,
            "price_class": "standard",
            "regular_price_cents": 11_900,  # even the class's own price
        },
    )
    problem = assert_problem(fixed, 422, "regular-price-not-allowed")
    assert problem["errors"] == [
        {"pointer": "/regular_price_cents", "detail": "only for an open-price offer"}
    ]
    on_fixed = await client.post(
        "/v1/sales",
        headers={**w.world.desk, "Idempotency-Key": "fixed-with-a-price"},
        json={
            "items": [
                {
                    "card_number": w.world.card_number,
                    "offer_id": w.world.offer_id,
                    "price_class": "standard",
                    "tariff_id": "KORTRIJK_KANSENTARIEF.00",
                    "regular_price_cents": 11_900,
                }
            ]
        },
    )
    assert_problem(on_fixed, 422, "regular-price-not-allowed")
    await nothing_sold(session, w)


async def test_a_tariff_quoted_at_one_price_is_not_sold_at_another(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    w = await open_world(session, client)
    tariff_id = (await quote(client, w, regular_price_cents=3745)).json()["best_tariff_id"]

    changed = await sell(client, w, tariff_id=tariff_id, regular_price_cents=4000)
    problem = assert_problem(changed, 409, "price-changed")
    # The fresh quote is at the price the sale gave: 20 % of €40.00.
    assert problem["quote"]["regular_price_cents"] == 4000
    [fresh] = problem["quote"]["tariffs"]
    assert fresh["unit_price_cents"] == 800
    assert problem["best_tariff_id"] == fresh["tariff_id"] != tariff_id
    await nothing_sold(session, w)

    sold = await sell(client, w, tariff_id=fresh["tariff_id"], regular_price_cents=4000)
    assert sold.status_code == 201, sold.text
    assert sold.json()["items"][0]["regular_price_cents"] == 4000


async def test_a_retried_sale_is_answered_once_and_its_key_is_not_reused_at_another_price(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    w = await open_world(session, client)
    tariff_id = (await quote(client, w, regular_price_cents=3745)).json()["best_tariff_id"]
    first = await sell(client, w, key="seat-17", tariff_id=tariff_id, regular_price_cents=3745)
    assert first.status_code == 201, first.text

    again = await sell(client, w, key="seat-17", tariff_id=tariff_id, regular_price_cents=3745)
    assert again.status_code == 201, again.text
    assert again.json() == first.json()
    other = await sell(client, w, key="seat-17", tariff_id=tariff_id, regular_price_cents=3000)
    assert_problem(other, 422, "idempotency-key-reused")
    count = sa.select(sa.func.count()).select_from(sale_items)
    count = count.where(sale_items.c.passholder_id == uuid.UUID(w.world.passholder_id))
    assert (await session.execute(count)).scalar_one() == 1


async def test_a_schemes_maximum_regular_price_still_applies_at_an_open_price(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    w = await open_world(
        session,
        client,
        applies_to={"partners": "owner_region", "max_regular_price_cents": 3000},
    )
    within = (await quote(client, w, regular_price_cents=3000)).json()
    assert [t["unit_price_cents"] for t in within["tariffs"]] == [600]
    above = (await quote(client, w, regular_price_cents=3001)).json()
    assert above["tariffs"] == []
    assert above["not_applicable"] == [
        {
            "scheme_code": "KORTRIJK_KANSENTARIEF",
            "reason": "not_applicable_to_offer",
            "detail": "regular price not covered",
        }
    ]


async def test_the_web_desk_lists_no_open_price_offer_it_could_not_price(
    client: httpx.AsyncClient, session: AsyncSession, browser: httpx.AsyncClient
) -> None:
    world, _ = await a_desk_member(session, client, browser)
    region_admin = await bearer_for(session, Role.REGION_ADMIN, region_id=world.region.id)
    created = await client.post(
        f"/v1/partners/{world.partner_id}/offers", headers=region_admin, json=open_offer_body()
    )
    assert created.status_code == 201, created.text
    page = await browser.get("/desk/")
    assert page.status_code == 200
    assert f'value="{world.offer_id}|standard"' in page.text
    assert created.json()["id"] not in page.text


async def test_a_public_price_list_is_priced_at_the_open_price_a_website_gives(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    w = await open_world(session, client)
    url = f"/v1/offers/{w.open_offer_id}/prices"

    def tariffs(body: dict[str, Any]) -> list[tuple[str, int, int]]:
        [listed] = body["price_classes"]
        return [
            (listed["price_class"], listed["regular_price_cents"], t["unit_price_cents"])
            for t in listed["tariffs"]
        ]

    # Without a price: the price class's, as the list shows it.
    assert tariffs((await client.get(url)).json()) == [("standard", 2500, 500)]
    seat = await client.get(url, params={"regular_price_cents": 3748})
    assert seat.status_code == 200, seat.text
    assert tariffs(seat.json()) == [("standard", 3748, 749)]

    above = await client.get(url, params={"regular_price_cents": MAXIMUM + 1})
    problem = assert_problem(above, 422, "regular-price-above-maximum")
    assert problem["errors"] == [{"parameter": "regular_price_cents", "detail": "at most 5000"}]
    fixed = await client.get(
        f"/v1/offers/{w.world.offer_id}/prices", params={"regular_price_cents": 3748}
    )
    assert_problem(fixed, 422, "regular-price-not-allowed")


async def test_a_voucher_is_sold_at_an_open_price_on_the_same_path(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world = await an_organisation_world(session, client)
    made = await an_allocation(client, world)
    voucher = await a_voucher(client, world, made["id"], people=1)
    created = await client.post(
        f"/v1/partners/{world.desk_world.partner_id}/offers",
        headers=world.region_admin,
        json=open_offer_body(),
    )
    item = {
        "voucher_code": voucher["printed_code"],
        "offer_id": created.json()["id"],
        "price_class": "standard",
    }
    above = await client.post(
        "/v1/quotes", headers=world.desk, json={**item, "regular_price_cents": MAXIMUM + 1}
    )
    assert_problem(above, 422, "regular-price-above-maximum")

    quoted = await client.post(
        "/v1/quotes", headers=world.desk, json={**item, "regular_price_cents": 3000}
    )
    assert quoted.status_code == 200, quoted.text
    [tariff] = quoted.json()["tariffs"]
    # The Article 27 ticket costs €1.25 whatever the seat; the partner forgoes the rest.
    assert (tariff["unit_price_cents"], tariff["discount_cents"]) == (125, 2875)
    sold = await client.post(
        "/v1/sales",
        headers={**world.desk, "Idempotency-Key": uuid.uuid4().hex},
        json={"items": [{**item, "tariff_id": tariff["tariff_id"], "regular_price_cents": 3000}]},
    )
    assert sold.status_code == 201, sold.text
    [line_sold] = sold.json()["items"]
    assert (line_sold["regular_price_cents"], line_sold["total_cents"]) == (3000, 125)
    assert [f["amount_cents"] for f in line_sold["funding"]] == [125, 2750]


async def test_a_hold_at_an_open_price_is_confirmed_and_settled_at_that_price(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    w = await open_world(session, client)
    tariff_id = (await quote(client, w, regular_price_cents=4210)).json()["best_tariff_id"]
    held = await client.post(
        "/v1/sales",
        headers={**w.world.desk, "Idempotency-Key": uuid.uuid4().hex},
        json={
            "items": [line(w, tariff_id=tariff_id, regular_price_cents=4210)],
            "hold": True,
        },
    )
    assert held.status_code == 201, held.text
    region_admin = w.region_admin
    params = {"partner_id": w.world.partner_id}
    before = await client.get("/v1/reports/settlement", headers=region_admin, params=params)
    assert before.json()["total"]["tickets"] == 0  # a hold settles nothing yet

    confirmed = await client.post(f"/v1/sales/{held.json()['id']}/confirm", headers=w.world.desk)
    assert confirmed.status_code == 200, confirmed.text
    [item] = confirmed.json()["items"]
    # 20 % of €42.10 is €8.42; the discount of €33.68 is split half and half.
    assert (item["regular_price_cents"], item["unit_price_cents"]) == (4210, 842)
    after = (await client.get("/v1/reports/settlement", headers=region_admin, params=params)).json()
    assert (after["total"]["regular_cents"], after["total"]["paid_cents"]) == (4210, 842)
    owed = sorted((line["payer"], line["amount_cents"]) for line in after["lines"])
    assert owed == [("partner", 1684), ("scheme_owner", 1684)]
