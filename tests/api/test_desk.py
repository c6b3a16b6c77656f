"""The ticket desk: quote, sell, hold, confirm, cancel — with limits that hold under retries."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from app.api.deps import get_settings
from app.api.routes.quotes import QuoteOut
from app.api.routes.sales import SaleConflict
from app.db import reports as db_reports
from app.db.reports import Scope
from app.db.tables import (
    audit_log,
    idempotency_keys,
    partners,
    sale_items,
    sale_usage,
    usage_counters,
)
from app.db.tables import sales as sales_table
from app.domain.access import Role
from app.domain.reports import ReportPeriod
from app.services.sales import request_hash
from app.settings import Settings
from tests.api.test_auth import assert_problem
from tests.factories import (
    DeskWorld,
    a_desk_world,
    bearer_for,
    catalog_scheme,
    lapse,
    with_schemes,
)


async def kortrijk_world(
    session: AsyncSession, client: httpx.AsyncClient, **kwargs: Any
) -> DeskWorld:
    world = await a_desk_world(session, client, **kwargs)
    await with_schemes(
        session,
        catalog_scheme("KORTRIJK_KANSENTARIEF", world.region.code),
        catalog_scheme("KORTRIJK_JONGER_DAN_12", world.region.code),
    )
    return world


async def quote(
    client: httpx.AsyncClient, world: DeskWorld, quantity: int = 1, price_class: str = "standard"
) -> httpx.Response:
    return await client.post(
        "/v1/quotes",
        headers=world.desk,
        json={
            "card_number": world.card_number,
            "offer_id": world.offer_id,
            "price_class": price_class,
            "quantity": quantity,
        },
    )


async def sell(
    client: httpx.AsyncClient,
    world: DeskWorld,
    tariff_id: str,
    *,
    key: str | None = None,
    hold: bool = False,
    quantity: int = 1,
) -> httpx.Response:
    return await client.post(
        "/v1/sales",
        headers={**world.desk, "Idempotency-Key": key or uuid.uuid4().hex},
        json={
            "items": [
                {
                    "card_number": world.card_number,
                    "offer_id": world.offer_id,
                    "price_class": "standard",
                    "tariff_id": tariff_id,
                    "quantity": quantity,
                }
            ],
            "hold": hold,
        },
    )


async def tickets_used(session: AsyncSession, world: DeskWorld) -> list[int]:
    """The holder's usage counters: the tickets each limit bucket has counted."""
    counters = sa.select(usage_counters.c.tickets).where(
        usage_counters.c.passholder_id == uuid.UUID(world.passholder_id)
    )
    return list((await session.execute(counters)).scalars())


async def test_a_119_euro_season_ticket_costs_23_80_at_the_kortrijk_kansentarief(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world = await kortrijk_world(session, client)
    response = await quote(client, world)
    assert response.status_code == 200, response.text
    body = response.json()
    # The hot path writes its JSON by hand: it must still be exactly the documented shape.
    assert QuoteOut.model_validate(body).model_dump(mode="json") == body
    assert body["holder"] == {"display_name": "Sofie D.", "card_status": "active"}
    assert body["regular_price_cents"] == 11_900
    [tariff] = body["tariffs"]
    assert tariff["scheme_code"] == "KORTRIJK_KANSENTARIEF"
    assert tariff["unit_price_cents"] == 2_380
    assert tariff["discount_cents"] == 9_520
    assert tariff["remaining"] == 1
    assert tariff["funding"] == [
        {"payer": "partner", "scheme_code": "KORTRIJK_KANSENTARIEF", "amount_cents": 4_760},
        {"payer": "scheme_owner", "scheme_code": "KORTRIJK_KANSENTARIEF", "amount_cents": 4_760},
    ]
    assert body["best_tariff_id"] == tariff["tariff_id"]
    assert {"scheme_code": "KORTRIJK_JONGER_DAN_12", "reason": "not_eligible", "detail": None} in (
        body["not_applicable"]
    )


async def test_the_desk_never_sees_birth_date_address_insz_or_statuses(
    client: httpx.AsyncClient, session: AsyncSession, app: Any
) -> None:
    world = await kortrijk_world(session, client)
    text = (await quote(client, world)).text
    for secret in (
        "1985-07-30",
        "8500",
        "kansenstatuut",
        world.region.municipalities[0].nis_code,
        "Desmet",
        "insz",
        "birth",
    ):
        assert secret not in text, secret
    schema = app.openapi()["components"]["schemas"]
    quote_fields = set(schema["QuoteOut"]["properties"]) | set(schema["HolderOut"]["properties"])
    quote_fields |= set(schema["TariffOut"]["properties"]) | set(schema["FundingOut"]["properties"])
    for forbidden in (
        "birth_date",
        "postal_code",
        "municipality_nis",
        "insz",
        "last_name",
        "entitlements",
        "payer_ref",
        "email",
    ):
        assert forbidden not in quote_fields


async def test_a_sale_at_the_quoted_tariff_uses_the_limit_and_a_cancel_gives_it_back(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world = await kortrijk_world(session, client)
    tariff_id = (await quote(client, world)).json()["best_tariff_id"]
    response = await sell(client, world, tariff_id)
    assert response.status_code == 201, response.text
    sale = response.json()
    assert sale["status"] == "confirmed"
    assert sale["total_cents"] == 2_380
    [item] = sale["items"]
    assert (item["scheme_code"], item["scheme_version"], item["unit_price_cents"]) == (
        "KORTRIJK_KANSENTARIEF",
        1,
        2_380,
    )
    assert sum(f["amount_cents"] for f in item["funding"]) == 9_520
    # The answer is built from what was written; reading the sale back gives the same.
    listed = (await client.get("/v1/sales", headers=world.desk)).json()["items"]
    assert listed == [sale]

    after = (await quote(client, world)).json()
    assert after["tariffs"] == []
    assert {"scheme_code": "KORTRIJK_KANSENTARIEF", "reason": "limit_reached", "detail": None} in (
        after["not_applicable"]
    )
    again = await sell(client, world, tariff_id)
    assert_problem(again, 409, "limit-reached")

    cancelled = await client.post(f"/v1/sales/{sale['id']}/cancel", headers=world.desk)
    assert cancelled.json()["status"] == "cancelled"
    assert (await quote(client, world)).json()["tariffs"][0]["remaining"] == 1
    assert (await sell(client, world, tariff_id)).status_code == 201


async def test_a_retry_with_the_same_key_is_answered_with_the_first_sale(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world = await kortrijk_world(session, client)
    tariff_id = (await quote(client, world)).json()["best_tariff_id"]
    first = await sell(client, world, tariff_id, key="desk-1-sale-42")
    retry = await sell(client, world, tariff_id, key="desk-1-sale-42")
    assert retry.status_code == 201
    assert retry.json() == first.json()
    count = (
        await session.execute(
            sa.select(sa.func.count())
            .select_from(sales_table)
            .where(sales_table.c.partner_id == uuid.UUID(world.partner_id))
        )
    ).scalar_one()
    assert count == 1
    other_body = await sell(client, world, tariff_id, key="desk-1-sale-42", quantity=2)
    assert_problem(other_body, 422, "idempotency-key-reused")


async def test_a_key_is_tied_to_the_body_without_its_defaults(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    # So that a field added later (as "companions" was) leaves the digest of a request that
    # does not use it as it was, and a retry across the upgrade is still recognised.
    world = await kortrijk_world(session, client)
    tariff_id = (await quote(client, world)).json()["best_tariff_id"]
    item = sale_item(world, tariff_id)
    headers = {**world.desk, "Idempotency-Key": "spelled-out"}

    first = await client.post("/v1/sales", headers=headers, json={"items": [item]})
    retry = await client.post(
        "/v1/sales",
        headers=headers,
        json={"items": [item | {"quantity": 1, "companions": 0}], "hold": False},
    )

    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    stored = sa.select(idempotency_keys.c.request_hash).where(
        idempotency_keys.c.key == "spelled-out"
    )
    assert (await session.execute(stored)).scalar_one() == request_hash({"items": [item]})


async def test_a_sale_without_idempotency_key_is_refused(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world = await kortrijk_world(session, client)
    tariff_id = (await quote(client, world)).json()["best_tariff_id"]
    response = await client.post(
        "/v1/sales",
        headers=world.desk,
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
    assert_problem(response, 400, "idempotency-key-missing")


async def test_a_tariff_that_no_longer_holds_is_refused_with_price_changed(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world = await kortrijk_world(session, client)
    tariff_id = (await quote(client, world)).json()["best_tariff_id"]
    await with_schemes(
        session,
        catalog_scheme(
            "KORTRIJK_KANSENTARIEF", world.region.code, price={"type": "pay_percent", "percent": 25}
        ),
    )
    audited = select_count_of_quote_reads(world)
    before = (await session.execute(audited)).scalar_one()
    response = await sell(client, world, tariff_id)
    problem = assert_problem(response, 409, "price-changed")
    # The problem carries the fresh quote, exactly as POST /v1/quotes answers it, and
    # showing it is audited like a quote.
    shown = problem["quote"]
    assert QuoteOut.model_validate(shown).model_dump(mode="json") == shown
    # As the document types it: a SaleConflict whose quote is a QuoteOut.
    assert SaleConflict.model_validate(problem).quote == QuoteOut.model_validate(shown)
    assert shown["tariffs"][0]["unit_price_cents"] == 2_975
    assert shown["tariffs"][0]["scheme_version"] == 2
    assert problem["best_tariff_id"] == shown["best_tariff_id"] != tariff_id
    assert (await session.execute(audited)).scalar_one() == before + 1
    fresh = (await quote(client, world)).json()
    assert fresh == shown
    sold = await sell(client, world, shown["best_tariff_id"])
    assert sold.status_code == 201, sold.text
    assert sold.json()["items"][0]["unit_price_cents"] == 2_975


def select_count_of_quote_reads(world: DeskWorld) -> sa.Select[int]:
    return (
        sa.select(sa.func.count())
        .select_from(audit_log)
        .where(
            audit_log.c.passholder_id == uuid.UUID(world.passholder_id),
            audit_log.c.action == "quote",
        )
    )


async def test_reading_a_lapsed_hold_releases_it(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world = await kortrijk_world(session, client)
    tariff_id = (await quote(client, world)).json()["best_tariff_id"]
    held = (await sell(client, world, tariff_id, hold=True)).json()
    assert (await client.get(f"/v1/sales/{held['id']}", headers=world.desk)).json() == held
    await lapse(session, held["id"])

    read = (await client.get(f"/v1/sales/{held['id']}", headers=world.desk)).json()

    assert read["status"] == "expired"
    assert await tickets_used(session, world) == [0]


async def test_cancelling_a_lapsed_hold_finds_it_expired_and_changes_nothing_more(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world = await kortrijk_world(session, client)
    tariff_id = (await quote(client, world)).json()["best_tariff_id"]
    held = (await sell(client, world, tariff_id, hold=True)).json()
    await lapse(session, held["id"])  # nothing has released it yet

    cancelled = await client.post(f"/v1/sales/{held['id']}/cancel", headers=world.desk)

    problem = assert_problem(cancelled, 409, "sale-not-active")
    assert problem["detail"] == "The sale is expired; there is nothing to cancel."
    read = (await client.get(f"/v1/sales/{held['id']}", headers=world.desk)).json()
    assert (read["status"], read["cancelled_at"]) == ("expired", None)
    assert await tickets_used(session, world) == [0]


async def test_confirming_a_hold_that_was_released_on_a_read_answers_hold_expired(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world = await kortrijk_world(session, client)
    tariff_id = (await quote(client, world)).json()["best_tariff_id"]
    held = (await sell(client, world, tariff_id, hold=True)).json()
    await lapse(session, held["id"])
    read = await client.get(f"/v1/sales/{held['id']}", headers=world.desk)
    assert read.json()["status"] == "expired"

    late = await client.post(f"/v1/sales/{held['id']}/confirm", headers=world.desk)

    # As when the confirm itself finds the hold lapsed (the test above).
    assert_problem(late, 409, "hold-expired")


async def test_a_hold_can_be_released_where_sales_cannot_be_cancelled(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world = await kortrijk_world(session, client)
    await session.execute(
        sa.update(partners)
        .where(partners.c.id == uuid.UUID(world.partner_id))
        .values(cancellation_window_hours=0)
    )
    await session.commit()
    tariff_id = (await quote(client, world)).json()["best_tariff_id"]
    held = (await sell(client, world, tariff_id, hold=True)).json()

    released = await client.post(f"/v1/sales/{held['id']}/cancel", headers=world.desk)

    assert released.status_code == 200, released.text
    assert released.json()["status"] == "cancelled"
    tariffs = (await quote(client, world)).json()["tariffs"]
    assert tariffs[0]["remaining"] == 1  # the reserved ticket is back
    sold = (await sell(client, world, tariffs[0]["tariff_id"])).json()
    refused = await client.post(f"/v1/sales/{sold['id']}/cancel", headers=world.desk)
    assert_problem(refused, 409, "cancellation-window-passed")


async def test_the_hold_lasts_as_long_as_the_setting_says(
    client: httpx.AsyncClient, session: AsyncSession, app: FastAPI, settings: Settings
) -> None:
    # OPENPAS_HOLD_MINUTES=40: a desk that holds tickets while a school pays by transfer.
    app.dependency_overrides[get_settings] = lambda: settings.model_copy(
        update={"hold_minutes": 40}
    )
    world = await kortrijk_world(session, client)
    tariff_id = (await quote(client, world)).json()["best_tariff_id"]

    held = (await sell(client, world, tariff_id, hold=True)).json()

    created = datetime.fromisoformat(held["created_at"])
    assert datetime.fromisoformat(held["hold_expires_at"]) - created == timedelta(minutes=40)
    [usage] = (
        await session.execute(
            sa.select(sale_usage.c.held_until)
            .join(sale_items, sale_items.c.id == sale_usage.c.sale_item_id)
            .where(sale_items.c.sale_id == uuid.UUID(held["id"]))
        )
    ).scalars()
    assert usage == created + timedelta(minutes=40)


async def test_a_hold_reserves_until_it_expires_and_then_releases_by_itself(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world = await kortrijk_world(session, client)
    tariff_id = (await quote(client, world)).json()["best_tariff_id"]
    held = (await sell(client, world, tariff_id, hold=True)).json()
    assert held["status"] == "held"
    expires = datetime.fromisoformat(held["hold_expires_at"])
    assert timedelta(minutes=14) < expires - datetime.now(UTC) <= timedelta(minutes=15)
    assert (await quote(client, world)).json()["tariffs"] == []

    await lapse(session, held["id"])
    assert (await quote(client, world)).json()["tariffs"][0]["remaining"] == 1
    late = await client.post(f"/v1/sales/{held['id']}/confirm", headers=world.desk)
    assert_problem(late, 409, "hold-expired")
    assert await tickets_used(session, world) == [0]


async def test_a_sale_after_a_lapsed_hold_releases_the_hold_and_takes_its_ticket(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world = await kortrijk_world(session, client)
    tariff_id = (await quote(client, world)).json()["best_tariff_id"]
    held = (await sell(client, world, tariff_id, hold=True)).json()
    await lapse(session, held["id"])

    sold = await sell(client, world, tariff_id)

    # The one ticket the kansentarief allows went to the new sale, not to both.
    assert sold.status_code == 201, sold.text
    status = sa.select(sales_table.c.status).where(sales_table.c.id == uuid.UUID(held["id"]))
    assert (await session.execute(status)).scalar_one() == "expired"
    assert await tickets_used(session, world) == [1]


async def test_a_confirmed_hold_counts_like_a_sale(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world = await kortrijk_world(session, client)
    tariff_id = (await quote(client, world)).json()["best_tariff_id"]
    held = (await sell(client, world, tariff_id, hold=True)).json()
    confirmed = await client.post(f"/v1/sales/{held['id']}/confirm", headers=world.desk)
    assert confirmed.json()["status"] == "confirmed"
    assert confirmed.json()["confirmed_at"] is not None
    assert_problem(await sell(client, world, tariff_id), 409, "limit-reached")


async def test_items_of_a_sale_are_all_or_nothing(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world = await kortrijk_world(session, client)
    tariff_id = (await quote(client, world)).json()["best_tariff_id"]
    good = {
        "card_number": world.card_number,
        "offer_id": world.offer_id,
        "price_class": "standard",
        "tariff_id": tariff_id,
    }
    response = await client.post(
        "/v1/sales",
        headers={**world.desk, "Idempotency-Key": "all-or-nothing"},
        json={"items": [good, {**good, "tariff_id": "KORTRIJK_KANSENTARIEF.0000"}]},
    )
    # The first item took the one ticket: the second fails, and so the whole sale does.
    assert assert_problem(response, 409, "limit-reached")["item"] == 1
    assert (await quote(client, world)).json()["tariffs"][0]["remaining"] == 1
    count = (
        await session.execute(
            sa.select(sa.func.count())
            .select_from(sales_table)
            .where(sales_table.c.partner_id == uuid.UUID(world.partner_id))
        )
    ).scalar_one()
    assert count == 0


@pytest.mark.parametrize(
    ("change", "status", "code", "pointer"),
    [
        ({"card_number": "1234567890123"}, 422, "invalid-card-number", "/items/1/card_number"),
        ({"card_number": "0000000000000"}, 404, "card-not-found", None),
        ({"price_class": "vip"}, 422, "unknown-price-class", "/items/1/price_class"),
        ({"offer_id": str(uuid.UUID(int=7))}, 404, "offer-not-found", None),
    ],
)
async def test_a_problem_with_one_item_of_a_sale_names_that_item(
    client: httpx.AsyncClient,
    session: AsyncSession,
    change: dict[str, str],
    status: int,
    code: str,
    pointer: str | None,
) -> None:
    world = await kortrijk_world(session, client)
    tariff_id = (await quote(client, world)).json()["best_tariff_id"]
    good = {
        "card_number": world.card_number,
        "offer_id": world.offer_id,
        "price_class": "standard",
        "tariff_id": tariff_id,
    }

    response = await client.post(
        "/v1/sales",
        headers={**world.desk, "Idempotency-Key": uuid.uuid4().hex},
        json={"items": [good, {**good, **change}]},
    )

    problem = assert_problem(response, status, code)
    assert problem["item"] == 1
    assert problem["detail"].startswith("Item 1: ")
    if pointer is not None:
        assert [error["pointer"] for error in problem["errors"]] == [pointer]


async def test_a_sale_of_several_lines_reads_back_in_the_order_they_were_sold(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world = await a_desk_world(session, client)
    # Without its one-ticket limit, so that every line can be sold.
    await with_schemes(
        session, catalog_scheme("KORTRIJK_KANSENTARIEF", world.region.code, limits=[])
    )
    asked = [("reduced", 1), ("standard", 2), ("reduced", 3), ("standard", 1), ("reduced", 2)]
    items = []
    for price_class, quantity in asked:
        offered = (await quote(client, world, quantity, price_class)).json()
        items.append(
            {
                "card_number": world.card_number,
                "offer_id": world.offer_id,
                "price_class": price_class,
                "tariff_id": offered["best_tariff_id"],
                "quantity": quantity,
            }
        )

    response = await client.post(
        "/v1/sales", headers={**world.desk, "Idempotency-Key": "five-lines"}, json={"items": items}
    )

    assert response.status_code == 201, response.text
    sold = response.json()
    # 20 % of €119 is €23.80; of €59.50, €11.90.
    assert [(i["unit_price_cents"], i["quantity"]) for i in sold["items"]] == [
        (1_190, 1),
        (2_380, 2),
        (1_190, 3),
        (2_380, 1),
        (1_190, 2),
    ]
    [listed] = (await client.get("/v1/sales", headers=world.desk)).json()["items"]
    assert listed == sold


async def disability_card_world(session: AsyncSession, client: httpx.AsyncClient) -> DeskWorld:
    world = await a_desk_world(session, client, statuses=("european_disability_card",))
    await with_schemes(
        session,
        catalog_scheme("EUROPEAN_DISABILITY_CARD", None),
        catalog_scheme("KORTRIJK_JONGER_DAN_12", world.region.code),
    )
    return world


def sale_item(world: DeskWorld, tariff_id: str, **more: object) -> dict[str, object]:
    return {
        "card_number": world.card_number,
        "offer_id": world.offer_id,
        "price_class": "standard",
        "tariff_id": tariff_id,
        **more,
    }


async def test_a_disability_card_holder_brings_a_companion_who_goes_free(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world = await disability_card_world(session, client)
    [tariff] = (await quote(client, world)).json()["tariffs"]
    assert tariff["companions"] == {"max": 1, "unit_price_cents": 0}

    response = await client.post(
        "/v1/sales",
        headers={**world.desk, "Idempotency-Key": "with-assistant"},
        json={"items": [sale_item(world, tariff["tariff_id"], companions=1)]},
    )

    assert response.status_code == 201, response.text
    sale = response.json()
    own, assistant = sale["items"]
    # The holder pays the €119 season ticket; the assistant's ticket is free, and the
    # partner forgoes its price (the card's funding key).
    assert (own["unit_price_cents"], own["quantity"], own["companion_of"]) == (11_900, 1, None)
    assert assistant["companion_of"] == own["id"]
    assert assistant["scheme_code"] == "EUROPEAN_DISABILITY_CARD"
    assert assistant["label"] == "Begeleider (Europese gehandicaptenkaart)"
    assert (assistant["unit_price_cents"], assistant["discount_cents"]) == (0, 11_900)
    assert (assistant["quantity"], assistant["total_cents"]) == (1, 0)
    assert assistant["funding"] == [
        {"payer": "partner", "scheme_code": "EUROPEAN_DISABILITY_CARD", "amount_cents": 11_900}
    ]
    assert sale["total_cents"] == 11_900
    [listed] = (await client.get("/v1/sales", headers=world.desk)).json()["items"]
    assert listed == sale

    # The city's settlement shows what the partner forwent for the assistant.
    region_admin = await bearer_for(session, Role.REGION_ADMIN, region_id=world.region.id)
    report = await client.get(
        "/v1/reports/settlement",
        headers=region_admin,
        params={"partner_id": world.partner_id},
    )
    assert report.status_code == 200, report.text
    assert report.json()["total"]["discount_cents"] == 11_900
    # Participation counts the holder's own ticket (at the regular price), not the
    # assistant's as a second, social-tariff ticket of the holder.
    day = date.fromisoformat(own["activity_date"])
    _, total = await db_reports.participation(
        session,
        Scope(region_id=world.region.id),
        ReportPeriod(day, day + timedelta(days=1)),
        "month",
    )
    assert (total.passholders, total.tickets, total.social_tariff_tickets) == (1, 1, 0)
    assert total.discount_cents == 0

    cancelled = await client.post(f"/v1/sales/{sale['id']}/cancel", headers=world.desk)
    assert cancelled.json()["status"] == "cancelled"
    report = await client.get(
        "/v1/reports/settlement", headers=region_admin, params={"partner_id": world.partner_id}
    )
    assert report.json()["total"]["discount_cents"] == 0


async def test_more_companions_than_the_tariff_admits_are_refused_and_nothing_is_sold(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world = await disability_card_world(session, client)
    [tariff] = (await quote(client, world)).json()["tariffs"]
    kortrijk = await kortrijk_world(session, client)
    kansentarief = (await quote(client, kortrijk)).json()["best_tariff_id"]

    two = await client.post(
        "/v1/sales",
        headers={**world.desk, "Idempotency-Key": "two-assistants"},
        json={"items": [sale_item(world, tariff["tariff_id"], companions=2)]},
    )
    none_allowed = await client.post(
        "/v1/sales",
        headers={**kortrijk.desk, "Idempotency-Key": "kansentarief-with-companion"},
        json={"items": [sale_item(kortrijk, kansentarief, companions=1)]},
    )

    problem = assert_problem(two, 422, "too-many-companions")
    assert problem["errors"] == [
        {
            "pointer": "/items/0/companions",
            "detail": "this tariff admits at most 1 companion per holder and offer in one sale",
        }
    ]
    problem = assert_problem(none_allowed, 422, "too-many-companions")
    assert problem["errors"][0]["detail"] == "this tariff admits no companions"
    for desk in (world.desk, kortrijk.desk):
        assert (await client.get("/v1/sales", headers=desk)).json()["items"] == []
    # The refused sale left the kansentarief's one ticket unused.
    assert (await quote(client, kortrijk)).json()["tariffs"][0]["remaining"] == 1


async def test_splitting_a_sale_into_lines_does_not_raise_the_companion_maximum(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world = await disability_card_world(session, client)
    [tariff] = (await quote(client, world)).json()["tariffs"]
    line = sale_item(world, tariff["tariff_id"], companions=1)

    response = await client.post(
        "/v1/sales",
        headers={**world.desk, "Idempotency-Key": "assistants-line-by-line"},
        json={"items": [line, line]},
    )

    problem = assert_problem(response, 422, "too-many-companions")
    assert problem["errors"][0]["pointer"] == "/items/1/companions"
    assert (await client.get("/v1/sales", headers=world.desk)).json()["items"] == []


async def test_a_label_longer_than_a_sale_line_holds_is_shortened_not_refused(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world = await a_desk_world(session, client, statuses=("european_disability_card",))
    long_name = "Europese gehandicaptenkaart " + "x" * 170  # 198 characters, within a name's
    await with_schemes(
        session,
        catalog_scheme("EUROPEAN_DISABILITY_CARD", None, name={"nl": long_name}),
    )
    [tariff] = (await quote(client, world)).json()["tariffs"]

    response = await client.post(
        "/v1/sales",
        headers={**world.desk, "Idempotency-Key": "long-label"},
        json={"items": [sale_item(world, tariff["tariff_id"], companions=1)]},
    )

    assert response.status_code == 201, response.text
    own, assistant = response.json()["items"]
    assert own["label"] == long_name
    assert len(assistant["label"]) == 200
    assert assistant["label"].startswith("Begeleider (Europese gehandicaptenkaart xxx")
    assert assistant["label"].endswith("…")
    [listed] = (await client.get("/v1/sales", headers=world.desk)).json()["items"]
    assert listed == response.json()


async def test_a_refund_budget_is_never_overspent(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world = await a_desk_world(session, client, price_cents=30_000)
    await with_schemes(
        session, catalog_scheme("BRUGGE_TERUGBETALING_VOLWASSENE", world.region.code)
    )
    reductions = []
    for _ in range(3):
        offered = (await quote(client, world)).json()
        if not offered["tariffs"]:
            break
        tariff = offered["tariffs"][0]
        assert (await sell(client, world, tariff["tariff_id"])).status_code == 201
        reductions.append(tariff["discount_cents"])
    # 80 % of €300 is €240: the year's whole budget goes to the first ticket.
    assert reductions == [24_000]
    last = (await quote(client, world)).json()
    assert {
        "scheme_code": "BRUGGE_TERUGBETALING_VOLWASSENE",
        "reason": "budget_exhausted",
        "detail": None,
    } in last["not_applicable"]


async def test_blocked_unknown_and_malformed_cards_get_no_tariffs(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world = await kortrijk_world(session, client)
    await client.post(
        f"/v1/cards/{world.card_number}/block", headers=world.registry, json={"reason": "stolen"}
    )
    blocked = assert_problem(await quote(client, world), 409, "card-blocked")
    assert "tariffs" not in blocked
    assert blocked["end_user_message"] == (
        "Deze kaart is geblokkeerd. De kaarthouder kan een nieuwe kaart aanvragen."
    )

    from stdnum import luhn

    unknown = "987654321098" + luhn.calc_check_digit("987654321098")
    world.card_number = unknown
    assert_problem(await quote(client, world), 404, "card-not-found")
    world.card_number = "1234567890123"
    assert_problem(await quote(client, world), 422, "invalid-card-number")


async def test_a_one_off_activity_judges_age_on_its_own_date(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    today = date.today()
    birthday_12 = today.replace(year=today.year - 12) + timedelta(days=10)
    world = await a_desk_world(
        session,
        client,
        birth_date=birthday_12,
        statuses=(),
        kind="one_off",
        starts_at=datetime.now(UTC) + timedelta(days=30),
    )
    await with_schemes(session, catalog_scheme("KORTRIJK_JONGER_DAN_12", world.region.code))
    body = (await quote(client, world)).json()
    # Eleven today, twelve on the day of the activity: no under-12 reduction.
    assert body["tariffs"] == []
    assert body["not_applicable"][0]["reason"] == "not_eligible"


async def test_the_public_price_list_has_an_etag_and_a_who_in_plain_language(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world = await kortrijk_world(session, client)
    response = await client.get(f"/v1/offers/{world.offer_id}/prices")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=60"
    body = response.json()
    standard = body["price_classes"][0]
    assert standard["regular_price_cents"] == 11_900
    by_code = {t["scheme_code"]: t for t in standard["tariffs"]}
    assert by_code["KORTRIJK_KANSENTARIEF"]["unit_price_cents"] == 2_380
    assert by_code["KORTRIJK_KANSENTARIEF"]["who"].startswith("Met kansenstatuut")
    cached = await client.get(
        f"/v1/offers/{world.offer_id}/prices", headers={"If-None-Match": response.headers["etag"]}
    )
    assert cached.status_code == 304
    etag = response.headers["etag"]
    prices = f"/v1/offers/{world.offer_id}/prices"
    for header, status in (
        ("*", 304),
        (f'"other", W/{etag}', 304),
        ('"other"', 200),
        (etag[:-3] + '"', 200),  # a tag that merely starts like this one
    ):
        answer = await client.get(prices, headers={"If-None-Match": header})
        assert answer.status_code == status, header
    english = await client.get(
        f"/v1/offers/{world.offer_id}/prices", headers={"Accept-Language": "en"}
    )
    assert english.headers["etag"] != response.headers["etag"]
    assert english.json()["language"] == "en"


async def test_an_anonymous_self_check_names_the_schemes_and_how_to_apply(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world = await kortrijk_world(session, client)
    nis = world.region.municipalities[0].nis_code
    child = await client.post(
        "/v1/eligibility/check",
        json={
            "municipality_nis": nis,
            "birth_date": (date.today() - timedelta(days=365 * 8)).isoformat(),
            "statuses": [],
        },
    )
    assert [s["scheme_code"] for s in child.json()["schemes"]] == ["KORTRIJK_JONGER_DAN_12"]
    adult = await client.post(
        "/v1/eligibility/check",
        json={"municipality_nis": nis, "birth_date": "1985-07-30", "statuses": ["kansenstatuut"]},
    )
    [match] = adult.json()["schemes"]
    assert match["scheme_code"] == "KORTRIJK_KANSENTARIEF"
    assert match["how_to_apply"].startswith("Vraag je kansenstatuut aan")
    nowhere = await client.post(
        "/v1/eligibility/check", json={"postal_code": "9999", "birth_date": "1985-07-30"}
    )
    assert_problem(nowhere, 422, "not-in-a-pass-region")


async def test_the_sales_list_shows_the_partners_own_sales_newest_first(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world = await kortrijk_world(session, client)
    tariff_id = (await quote(client, world)).json()["best_tariff_id"]
    first = (await sell(client, world, tariff_id)).json()
    await client.post(f"/v1/sales/{first['id']}/cancel", headers=world.desk)
    second = (await sell(client, world, tariff_id)).json()
    page = (await client.get("/v1/sales", headers=world.desk, params={"limit": 1})).json()
    assert [s["id"] for s in page["items"]] == [second["id"]]
    rest = (
        await client.get(
            "/v1/sales", headers=world.desk, params={"limit": 1, "cursor": page["next_cursor"]}
        )
    ).json()
    assert [s["id"] for s in rest["items"]] == [first["id"]]
    cancelled = (
        await client.get("/v1/sales", headers=world.desk, params={"status": "cancelled"})
    ).json()
    assert [s["id"] for s in cancelled["items"]] == [first["id"]]
