"""Limits hold under real concurrency: many requests at once against two server processes."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.api.routes.sales import SaleIn, SaleOut
from app.db import migrations
from app.db.engine import create_engine, create_sessionmaker, unit_of_work
from app.db.offers import PriceClassRow
from app.db.tables import sale_items, sale_usage, sales, usage_counters
from app.domain.access import Grant, Principal, Role
from app.services.demo import HOLDERS, demo_id, seed_demo, system_principal
from app.services.offers import NewOffer, create_offer
from app.services.sales import SaleItemRequest, SaleRequest, register_sale, request_hash
from tests.conftest import TEST_INSZ_KEY, TEST_TOKEN_KEY, make_settings
from tests.support.live_server import LiveServer, live_server
from tests.support.postgres import create_database, drop_database, run_in_thread

pytestmark = pytest.mark.concurrency

SOFIE = next(h for h in HOLDERS if h.key == "sofie")  # kansenstatuut in Regio Kortrijk
LOTTE = next(h for h in HOLDERS if h.key == "lotte")  # kansenstatuut in Brugge, adult


@dataclass(frozen=True)
class World:
    server: LiveServer
    kortrijk_offer: str
    brugge_offer: str


@pytest.fixture(scope="module")
def world(postgres_admin_url: str) -> Iterator[World]:
    url = create_database(postgres_admin_url, prefix="openpas_concurrency")
    migrations.upgrade(url)

    async def seed() -> tuple[str, str]:
        engine = create_engine(url)
        try:
            async with unit_of_work(create_sessionmaker(engine)) as session:
                await seed_demo(session, make_settings(url))
                await session.commit()
            return (
                await _an_offer(url, "schouwburg-kortrijk", 11_900),
                await _an_offer(url, "concertgebouw-brugge", 5_000),
            )
        finally:
            await engine.dispose()

    kortrijk_offer, brugge_offer = run_in_thread(seed())
    env = {
        "OPENPAS_TOKEN_SIGNING_KEY": TEST_TOKEN_KEY,
        "OPENPAS_INSZ_HMAC_KEY": TEST_INSZ_KEY,
        "OPENPAS_DB_POOL_SIZE": "20",
    }
    try:
        with live_server(url, env, workers=2) as server:
            yield World(server, kortrijk_offer, brugge_offer)
    finally:
        drop_database(postgres_admin_url, url)


async def _an_offer(
    database_url: str, partner: str = "schouwburg-kortrijk", price: int = 11_900
) -> str:
    """A new offer of a demo partner (at Kortrijk: a fresh ticket of Sofie's kansentarief,
    one per offer)."""
    engine = create_engine(database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            offer = await create_offer(
                session,
                system_principal(),
                str(demo_id("partner", partner)),
                NewOffer(
                    title="Concert",
                    category="podium" if partner.startswith("schouwburg") else "muziek",
                    kind="permanent",
                    starts_at=None,
                    ends_at=None,
                    external_ref=None,
                    price_classes=(PriceClassRow("standard", "Standaard", price),),
                ),
            )
            await session.commit()
            return offer.id
    finally:
        await engine.dispose()


async def _token(client: httpx.AsyncClient, client_id: str) -> dict[str, str]:
    response = await client.post(
        "/v1/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": f"{client_id}-secret",
        },
    )
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def _quote(client: httpx.AsyncClient, desk: dict[str, str], card: str, offer: str) -> str:
    response = await client.post(
        "/v1/quotes",
        headers=desk,
        json={"card_number": card, "offer_id": offer, "price_class": "standard"},
    )
    assert response.status_code == 200, response.text
    tariff_id = response.json()["best_tariff_id"]
    assert tariff_id
    return str(tariff_id)


def _sale_body(card: str, offer: str, tariff_id: str) -> dict[str, object]:
    return {
        "items": [
            {
                "card_number": card,
                "offer_id": offer,
                "price_class": "standard",
                "tariff_id": tariff_id,
            }
        ]
    }


async def _sold_and_counted(server: LiveServer, card: str) -> tuple[int, int, bool]:
    """Confirmed tickets and discount for the card, and whether every usage counter of its
    holder equals the usage recorded by the holder's live sales, bucket by bucket."""
    engine = create_engine(server.database_url)
    try:
        async with engine.connect() as connection:
            sold = (
                await connection.execute(
                    sa.select(
                        sa.func.coalesce(sa.func.sum(sale_items.c.quantity), 0),
                        sa.func.coalesce(
                            sa.func.sum(sale_items.c.discount_cents * sale_items.c.quantity), 0
                        ),
                    )
                    .join(sales, sales.c.id == sale_items.c.sale_id)
                    .where(sale_items.c.card_number == card, sales.c.status == "confirmed")
                )
            ).one()
            holder = (
                sa.select(sale_items.c.passholder_id)
                .where(sale_items.c.card_number == card)
                .limit(1)
                .scalar_subquery()
            )
            recorded = {
                row[0]: (int(row[1]), int(row[2]))
                for row in (
                    await connection.execute(
                        sa.select(
                            sale_usage.c.bucket_key,
                            sa.func.sum(sale_usage.c.tickets),
                            sa.func.sum(sale_usage.c.discount_cents),
                        )
                        .join(sale_items, sale_items.c.id == sale_usage.c.sale_item_id)
                        .join(sales, sales.c.id == sale_items.c.sale_id)
                        .where(
                            sale_usage.c.passholder_id == holder,
                            sales.c.status.in_(["confirmed", "held"]),
                        )
                        .group_by(sale_usage.c.bucket_key)
                    )
                ).all()
            }
            counters = {
                row[0]: (int(row[1]), int(row[2]))
                for row in (
                    await connection.execute(
                        sa.select(
                            usage_counters.c.bucket_key,
                            usage_counters.c.tickets,
                            usage_counters.c.discount_cents,
                        ).where(usage_counters.c.passholder_id == holder)
                    )
                ).all()
            }
            # A bucket whose sales were all given back stays at zero.
            zero = (0, 0)
            consistent = all(counters.get(k, zero) == v for k, v in recorded.items()) and all(
                recorded.get(k, zero) == v for k, v in counters.items()
            )
            return int(sold[0]), int(sold[1]), consistent
    finally:
        await engine.dispose()


async def test_a_hundred_desks_selling_the_last_ticket_at_once_sell_it_once(world: World) -> None:
    limits = httpx.Limits(max_connections=100)
    async with httpx.AsyncClient(
        base_url=world.server.base_url, timeout=60, limits=limits
    ) as client:
        desk = await _token(client, "demo-desk")
        tariff_id = await _quote(client, desk, SOFIE.card_number, world.kortrijk_offer)
        body = _sale_body(SOFIE.card_number, world.kortrijk_offer, tariff_id)
        responses = await asyncio.gather(
            *[
                client.post(
                    "/v1/sales", headers={**desk, "Idempotency-Key": uuid.uuid4().hex}, json=body
                )
                for _ in range(100)
            ]
        )
    outcomes = Counter(
        (r.status_code, r.json().get("code") if r.status_code != 201 else None) for r in responses
    )
    assert outcomes == {(201, None): 1, (409, "limit-reached"): 99}
    tickets, _, consistent = await _sold_and_counted(world.server, SOFIE.card_number)
    assert tickets == 1
    assert consistent


async def test_a_discount_budget_is_never_overspent_by_a_cent(world: World) -> None:
    async with httpx.AsyncClient(base_url=world.server.base_url, timeout=60) as client:
        desk = await _token(client, "demo-desk-brugge")
        tariff_id = await _quote(client, desk, LOTTE.card_number, world.brugge_offer)
        body = _sale_body(LOTTE.card_number, world.brugge_offer, tariff_id)
        responses = await asyncio.gather(
            *[
                client.post(
                    "/v1/sales", headers={**desk, "Idempotency-Key": uuid.uuid4().hex}, json=body
                )
                for _ in range(50)
            ]
        )
    statuses = Counter(r.status_code for r in responses)
    # 80 % of €50 is €40 off a ticket; the adult budget of €240 covers exactly six.
    assert statuses == {201: 6, 409: 44}
    assert {r.json()["code"] for r in responses if r.status_code == 409} <= {
        "budget-exhausted",
        "price-changed",
    }
    _, discount, consistent = await _sold_and_counted(world.server, LOTTE.card_number)
    assert discount == 24_000
    assert consistent


async def test_fifty_identical_requests_with_one_key_make_one_sale(world: World) -> None:
    async with httpx.AsyncClient(base_url=world.server.base_url, timeout=60) as client:
        desk = await _token(client, "demo-desk")
        # Sofie's ticket was sold above; cancel it so this sale can succeed.
        listed = (
            await client.get("/v1/sales", headers=desk, params={"status": "confirmed"})
        ).json()["items"]
        for sale in listed:
            await client.post(f"/v1/sales/{sale['id']}/cancel", headers=desk)
        tariff_id = await _quote(client, desk, SOFIE.card_number, world.kortrijk_offer)
        body = _sale_body(SOFIE.card_number, world.kortrijk_offer, tariff_id)
        key = f"retry-storm-{uuid.uuid4().hex}"
        started = datetime.now(UTC)
        responses = await asyncio.gather(
            *[
                client.post("/v1/sales", headers={**desk, "Idempotency-Key": key}, json=body)
                for _ in range(50)
            ]
        )
        created = {r.json()["id"] for r in responses if r.status_code == 201}
        others = Counter(r.json()["code"] for r in responses if r.status_code != 201)
        assert len(created) == 1
        assert set(others) <= {"request-in-progress"}
        # After the storm, a retry replays the one sale.
        replay = await client.post("/v1/sales", headers={**desk, "Idempotency-Key": key}, json=body)
        assert replay.json()["id"] in created
    # In the database, too: one sale for Sofie's card since the storm began, the answered one.
    engine = create_engine(world.server.database_url)
    try:
        async with engine.connect() as connection:
            stored = (
                (
                    await connection.execute(
                        sa.select(sales.c.id)
                        .join(sale_items, sale_items.c.sale_id == sales.c.id)
                        .where(
                            sale_items.c.card_number == SOFIE.card_number,
                            sales.c.created_at >= started,
                        )
                    )
                )
                .scalars()
                .all()
            )
    finally:
        await engine.dispose()
    assert [str(sale_id) for sale_id in stored] == list(created)


async def _sales_of_offer(database_url: str, offer: str) -> list[str]:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            found = await connection.execute(
                sa.select(sale_items.c.sale_id).where(sale_items.c.offer_id == uuid.UUID(offer))
            )
            return [str(sale_id) for sale_id in found.scalars()]
    finally:
        await engine.dispose()


async def test_concurrent_retries_with_one_key_make_one_sale_and_all_get_its_answer(
    world: World,
) -> None:
    offer = await _an_offer(world.server.database_url)
    async with httpx.AsyncClient(base_url=world.server.base_url, timeout=60) as client:
        desk = await _token(client, "demo-desk")
        tariff_id = await _quote(client, desk, SOFIE.card_number, offer)
        body = _sale_body(SOFIE.card_number, offer, tariff_id)
        headers = {**desk, "Idempotency-Key": f"one-key-{uuid.uuid4().hex}"}
        responses = await asyncio.gather(
            *[client.post("/v1/sales", headers=headers, json=body) for _ in range(40)]
        )
    answers = [r.json() for r in responses if r.status_code == 201]
    others = {(r.status_code, r.json()["code"]) for r in responses if r.status_code != 201}
    # Every answer is the one sale, exactly as the first request answered it — or the
    # documented "still running" (never limit-reached: the one ticket is the key's own).
    assert answers
    assert all(answer == answers[0] for answer in answers)
    assert others <= {(409, "request-in-progress")}
    assert await _sales_of_offer(world.server.database_url, offer) == [answers[0]["id"]]
    _, _, consistent = await _sold_and_counted(world.server, SOFIE.card_number)
    assert consistent


async def _first_request(
    world: World, offer: str, tariff_id: str, key: str
) -> tuple[AsyncSession, SaleOut, AsyncEngine]:
    """A sale with `key`, written and not committed: a first request still running."""
    engine = create_engine(world.server.database_url)
    session = create_sessionmaker(engine)()
    body = SaleIn.model_validate(_sale_body(SOFIE.card_number, offer, tariff_id))
    sale = await register_sale(
        session,
        make_settings(world.server.database_url),
        Principal("demo-desk", (Grant(Role.ADMIN),)),
        idempotency_key=key,
        body_hash=request_hash(body.model_dump(mode="json", exclude_defaults=True)),
        request=SaleRequest(
            items=(SaleItemRequest(SOFIE.card_number, offer, "standard", tariff_id, 1),),
            hold=False,
        ),
    )
    return session, SaleOut.of(sale), engine


@pytest.mark.parametrize("first_commits", [True, False], ids=["commits", "rolls-back"])
async def test_a_retry_waits_for_the_running_first_request_with_its_key(
    world: World, first_commits: bool
) -> None:
    offer = await _an_offer(world.server.database_url)
    key = f"waits-{uuid.uuid4().hex}"
    async with httpx.AsyncClient(base_url=world.server.base_url, timeout=60) as client:
        desk = await _token(client, "demo-desk")
        tariff_id = await _quote(client, desk, SOFIE.card_number, offer)
        session, first, engine = await _first_request(world, offer, tariff_id, key)
        try:
            retry = asyncio.create_task(
                client.post(
                    "/v1/sales",
                    headers={**desk, "Idempotency-Key": key},
                    json=_sale_body(SOFIE.card_number, offer, tariff_id),
                )
            )
            await asyncio.sleep(1)
            # Neither a second sale nor a 409: the retry waits on the key.
            assert not retry.done()
            await (session.commit() if first_commits else session.rollback())
            answer = await retry
        finally:
            await session.close()
            await engine.dispose()
    assert answer.status_code == 201, answer.text
    sold = await _sales_of_offer(world.server.database_url, offer)
    if first_commits:
        # The first request's answer, to the byte: built from what it wrote, and read back.
        assert answer.json() == first.model_dump(mode="json")
        assert sold == [first.id]
    else:
        # The first request left nothing: the retry made the sale.
        assert answer.json()["id"] != first.id
        assert sold == [answer.json()["id"]]
