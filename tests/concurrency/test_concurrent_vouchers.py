"""Quotas and vouchers hold under real concurrency: many requests at once against two
server processes never issue more tickets than an allocation has, nor redeem more than a
voucher's people."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from app.db.engine import create_engine
from app.db.tables import allocations, sale_items, sales, usage_counters, vouchers
from app.domain.vouchers import VOUCHER_BUCKET
from app.services.demo import demo_id
from tests.concurrency.conftest import DemoWorld
from tests.concurrency.test_concurrent_sales import _token
from tests.support.live_server import LiveServer

pytestmark = pytest.mark.concurrency

ORGANISATION = str(demo_id("organisation", "welzijnsschakel-kortrijk"))


async def _allocation(client: httpx.AsyncClient, tickets: int) -> str:
    admin = await _token(client, "demo-region-admin")
    response = await client.post(
        f"/v1/organisations/{ORGANISATION}/allocations",
        headers=admin,
        json={
            "scheme_code": "ARTIKEL_27_BON",
            "valid_from": "2020-01-01",
            "valid_until": "2099-12-31",
            "tickets": tickets,
        },
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def _scalar(server: LiveServer, query: sa.Select[Any]) -> Any:
    engine = create_engine(server.database_url)
    try:
        async with engine.connect() as connection:
            return (await connection.execute(query)).scalar_one()
    finally:
        await engine.dispose()


async def test_a_hundred_issues_against_a_quota_of_ten_give_exactly_ten_tickets(
    world: DemoWorld,
) -> None:
    limits = httpx.Limits(max_connections=100)
    async with httpx.AsyncClient(
        base_url=world.server.base_url, timeout=60, limits=limits
    ) as client:
        allocation_id = await _allocation(client, 10)
        worker = await _token(client, "demo-organisation")
        responses = await asyncio.gather(
            *[
                client.post(
                    f"/v1/organisations/{ORGANISATION}/vouchers",
                    headers=worker,
                    json={"allocation_id": allocation_id, "people": 1},
                )
                for _ in range(100)
            ]
        )
    outcomes = Counter(
        (r.status_code, r.json().get("code") if r.status_code != 201 else None) for r in responses
    )
    assert outcomes == {(201, None): 10, (409, "allocation-exhausted"): 90}
    key = uuid.UUID(allocation_id)
    assert (
        await _scalar(
            world.server, sa.select(allocations.c.tickets_used).where(allocations.c.id == key)
        )
        == 10
    )
    assert (
        await _scalar(
            world.server,
            sa.select(sa.func.sum(vouchers.c.people)).where(vouchers.c.allocation_id == key),
        )
        == 10
    )
    assert len({r.json()["code"] for r in responses if r.status_code == 201}) == 10


async def test_fifty_desks_selling_on_a_voucher_for_three_sell_three_tickets(
    world: DemoWorld,
) -> None:
    limits = httpx.Limits(max_connections=50)
    async with httpx.AsyncClient(
        base_url=world.server.base_url, timeout=60, limits=limits
    ) as client:
        allocation_id = await _allocation(client, 3)
        worker = await _token(client, "demo-organisation")
        issued = await client.post(
            f"/v1/organisations/{ORGANISATION}/vouchers",
            headers=worker,
            json={"allocation_id": allocation_id, "people": 3},
        )
        code = issued.json()["code"]
        desk = await _token(client, "demo-desk")
        quoted = await client.post(
            "/v1/quotes",
            headers=desk,
            json={"voucher_code": code, "offer_id": world.offer, "price_class": "standard"},
        )
        assert quoted.status_code == 200, quoted.text
        body = {
            "items": [
                {
                    "voucher_code": code,
                    "offer_id": world.offer,
                    "price_class": "standard",
                    "tariff_id": quoted.json()["best_tariff_id"],
                }
            ]
        }
        responses = await asyncio.gather(
            *[
                client.post(
                    "/v1/sales", headers={**desk, "Idempotency-Key": uuid.uuid4().hex}, json=body
                )
                for _ in range(50)
            ]
        )
    outcomes = Counter(
        (r.status_code, r.json().get("code") if r.status_code != 201 else None) for r in responses
    )
    assert outcomes == {(201, None): 3, (409, "voucher-used-up"): 47}
    voucher_id = await _scalar(
        world.server, sa.select(vouchers.c.id).where(vouchers.c.code == code)
    )
    sold = await _scalar(
        world.server,
        sa.select(sa.func.sum(sale_items.c.quantity))
        .join(sales, sales.c.id == sale_items.c.sale_id)
        .where(sale_items.c.voucher_id == voucher_id, sales.c.status == "confirmed"),
    )
    assert sold == 3
    assert (
        await _scalar(
            world.server,
            sa.select(usage_counters.c.tickets).where(
                usage_counters.c.passholder_id == voucher_id,
                usage_counters.c.bucket_key == VOUCHER_BUCKET,
            ),
        )
        == 3
    )
