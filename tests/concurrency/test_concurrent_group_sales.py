"""A group's allocation holds under real concurrency: desks selling on a group card and
partner admins accepting ticket requests at once, against two server processes, never
take more tickets than the allocation has."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from app.db.engine import create_engine
from app.db.tables import allocations, sale_items, sales, ticket_requests
from app.services.demo import DEMO_GROUP_CARD, demo_id
from tests.concurrency.conftest import DemoWorld
from tests.concurrency.test_concurrent_sales import _token
from tests.support.live_server import LiveServer

pytestmark = pytest.mark.concurrency

SCHOOL = str(demo_id("organisation", "school-de-vlieger"))


async def _allocation(client: httpx.AsyncClient, tickets: int) -> str:
    """A fresh allocation of the school's group scheme; the demo's own one is used up
    first, so that every group ticket comes out of this one."""
    admin = await _token(client, "demo-region-admin")
    response = await client.post(
        f"/v1/organisations/{SCHOOL}/allocations",
        headers=admin,
        json={
            "scheme_code": "GROEPSPAS_SCHOOL",
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


async def _empty_the_demo_allocation(server: LiveServer) -> None:
    engine = create_engine(server.database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                sa.update(allocations)
                .where(allocations.c.id == demo_id("allocation", "school-de-vlieger"))
                .values(tickets_used=allocations.c.tickets)
            )
    finally:
        await engine.dispose()


async def test_desks_and_accepted_requests_at_once_never_take_more_than_the_allocation(
    world: DemoWorld,
) -> None:
    await _empty_the_demo_allocation(world.server)
    limits = httpx.Limits(max_connections=60)
    async with httpx.AsyncClient(
        base_url=world.server.base_url, timeout=60, limits=limits
    ) as client:
        allocation_id = await _allocation(client, 10)
        school = await _token(client, "demo-school")
        partner_admin = await _token(client, "demo-partner-admin")
        desk = await _token(client, "demo-desk")
        # Twenty requests of two tickets each: at most five can be accepted.
        requested = [
            await client.post(
                f"/v1/offers/{world.offer}/ticket-requests",
                headers=school,
                json={"allocation_id": allocation_id, "tickets": 2, "price_class": "standard"},
            )
            for _ in range(20)
        ]
        assert {r.status_code for r in requested} == {201}
        quoted = await client.post(
            "/v1/quotes",
            headers=desk,
            json={
                "card_number": DEMO_GROUP_CARD,
                "offer_id": world.offer,
                "price_class": "standard",
                "quantity": 2,
            },
        )
        assert quoted.status_code == 200, quoted.text
        [tariff] = quoted.json()["tariffs"]
        assert tariff["remaining"] == 10
        sale_body = {
            "items": [
                {
                    "card_number": DEMO_GROUP_CARD,
                    "offer_id": world.offer,
                    "price_class": "standard",
                    "tariff_id": tariff["tariff_id"],
                    "quantity": 2,
                }
            ]
        }
        accepts = [
            client.post(f"/v1/ticket-requests/{r.json()['id']}/accept", headers=partner_admin)
            for r in requested
        ]
        # The first request is accepted twice more at the same moment: one sale at most.
        accepts += [
            client.post(
                f"/v1/ticket-requests/{requested[0].json()['id']}/accept", headers=partner_admin
            )
            for _ in range(2)
        ]
        desks = [
            client.post(
                "/v1/sales", headers={**desk, "Idempotency-Key": uuid.uuid4().hex}, json=sale_body
            )
            for _ in range(20)
        ]
        responses = await asyncio.gather(*accepts, *desks)
    outcomes = Counter(
        (r.status_code, r.json().get("code") if r.status_code >= 400 else None) for r in responses
    )
    sold = outcomes[(200, None)] + outcomes[(201, None)]
    # Ten tickets, two a sale: exactly five sales, whoever made them; the rest refused.
    assert sold == 5, outcomes
    assert set(outcomes) <= {
        (200, None),
        (201, None),
        (409, "allocation-exhausted"),
        (409, "ticket-request-not-open"),
    }, outcomes
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
            sa.select(sa.func.sum(sale_items.c.quantity))
            .join(sales, sales.c.id == sale_items.c.sale_id)
            .where(sale_items.c.allocation_id == key, sales.c.status == "confirmed"),
        )
        == 10
    )
    accepted = await _scalar(
        world.server,
        sa.select(sa.func.count())
        .select_from(ticket_requests)
        .where(ticket_requests.c.allocation_id == key, ticket_requests.c.status == "accepted"),
    )
    assert accepted == outcomes[(200, None)]
    # Each accepted request made exactly one sale.
    assert (
        await _scalar(
            world.server,
            sa.select(sa.func.count(sa.distinct(ticket_requests.c.sale_id))).where(
                ticket_requests.c.allocation_id == key
            ),
        )
        == accepted
    )
