"""Webhook subscriptions through the API: where they may point, who sees them, and the
deliveries a change enqueues in its own transaction."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import changes as db_changes
from app.db.changes import NewEvent
from app.db.tables import webhook_deliveries
from app.domain.access import Role
from tests.factories import a_partner, a_region, bearer_for

PUBLIC = "https://93.184.216.34/hooks"  # an address literal: no DNS in tests


async def _subscribe(
    client: httpx.AsyncClient, headers: dict[str, str], events: list[str], url: str = PUBLIC
) -> httpx.Response:
    return await client.post("/v1/webhooks", headers=headers, json={"url": url, "events": events})


@pytest.mark.parametrize(
    "url",
    [
        "http://93.184.216.34/hooks",  # not https outside demo mode
        "https://127.0.0.1/hooks",
        "https://10.0.0.7/hooks",
        "https://[::1]/hooks",
        "https://169.254.169.254/latest/meta-data",
        "https://[fe80::1]/hooks",
        "https://user:pw@93.184.216.34/hooks",
    ],
)
async def test_a_webhook_may_not_point_at_plain_http_or_inside_addresses(
    client: httpx.AsyncClient, session: AsyncSession, url: str
) -> None:
    region = await a_region(session)
    registry = await bearer_for(session, Role.REGISTRY, region_id=region.id)
    response = await _subscribe(client, registry, ["sale.confirmed"], url)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "webhook-url-refused"


async def test_the_secret_is_shown_once_and_another_region_sees_nothing(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    region, other = await a_region(session), await a_region(session)
    registry = await bearer_for(session, Role.REGISTRY, region_id=region.id)
    stranger = await bearer_for(session, Role.REGION_ADMIN, region_id=other.id)
    created = await _subscribe(client, registry, ["sale.confirmed", "card.blocked"])
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["secret"].startswith("whsec_")
    assert body["events"] == ["card.blocked", "sale.confirmed"]
    assert body["region_id"] == region.id
    hook = body["id"]

    read = (await client.get(f"/v1/webhooks/{hook}", headers=registry)).json()
    assert "secret" not in read
    assert read["enabled"] is True
    for method in ("GET", "DELETE"):
        response = await client.request(method, f"/v1/webhooks/{hook}", headers=stranger)
        assert response.status_code == 404
    patched = await client.patch(
        f"/v1/webhooks/{hook}", headers=stranger, json={"description": "mine now"}
    )
    assert patched.status_code == 404
    assert (await client.get("/v1/webhooks", headers=stranger)).json()["items"] == []
    listed = (await client.get("/v1/webhooks", headers=registry)).json()["items"]
    assert [item["id"] for item in listed] == [hook]

    assert (await client.delete(f"/v1/webhooks/{hook}", headers=registry)).status_code == 204
    assert (await client.get(f"/v1/webhooks/{hook}", headers=registry)).status_code == 404


async def test_a_rotation_keeps_the_previous_secret_for_the_overlap(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    region = await a_region(session)
    registry = await bearer_for(session, Role.REGISTRY, region_id=region.id)
    hook = (await _subscribe(client, registry, ["sale.confirmed"])).json()
    rotated = await client.post(f"/v1/webhooks/{hook['id']}/rotate-secret", headers=registry)
    assert rotated.status_code == 200
    assert rotated.json()["secret"] != hook["secret"]
    expires = datetime.fromisoformat(rotated.json()["previous_secret_expires_at"])
    hours = (expires - datetime.now(UTC)).total_seconds() / 3600
    assert 23.9 < hours <= 24


async def test_a_change_enqueues_a_delivery_for_each_matching_subscription_in_its_transaction(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    region, other = await a_region(session), await a_region(session)
    partner, other_partner = await a_partner(session, region), await a_partner(session, region)
    registry = await bearer_for(session, Role.REGISTRY, region_id=region.id)
    elsewhere = await bearer_for(session, Role.REGISTRY, region_id=other.id)
    partner_admin = await bearer_for(session, Role.PARTNER_ADMIN, partner_id=partner)
    sales_hook = (await _subscribe(client, registry, ["sale.confirmed"])).json()["id"]
    cards_hook = (await _subscribe(client, registry, ["card.blocked"])).json()["id"]
    other_hook = (await _subscribe(client, elsewhere, ["sale.confirmed"])).json()["id"]
    partner_hook = (await _subscribe(client, partner_admin, ["sale.confirmed"])).json()["id"]
    now = datetime.now(UTC)

    await db_changes.record(
        session,
        [
            NewEvent(region.id, "sale.confirmed", "sale-1", {"partner_id": other_partner}),
            NewEvent(region.id, "sale.confirmed", "sale-2", {"partner_id": partner}),
        ],
        now,
    )
    rows = (
        await session.execute(
            sa.select(webhook_deliveries.c.subscription_id, webhook_deliveries.c.entity_id)
        )
    ).all()
    got = {(str(row.subscription_id), row.entity_id) for row in rows}
    assert got == {(sales_hook, "sale-1"), (sales_hook, "sale-2"), (partner_hook, "sale-2")}
    assert cards_hook not in {hook for hook, _ in got}
    assert other_hook not in {hook for hook, _ in got}
    jobs = (
        await session.execute(
            sa.text(
                "SELECT lock FROM procrastinate.procrastinate_jobs WHERE status = 'todo'"
                " AND lock = ANY(:locks)"
            ),
            {"locks": [f"webhook:{sales_hook}", f"webhook:{partner_hook}"]},
        )
    ).all()
    # One job per subscription woken, however many events it got.
    assert sorted(row.lock for row in jobs) == sorted(
        [f"webhook:{sales_hook}", f"webhook:{partner_hook}"]
    )

    listed = (await client.get(f"/v1/webhooks/{sales_hook}/deliveries", headers=registry)).json()
    assert [(d["type"], d["status"], d["attempts"]) for d in listed["items"]] == [
        ("sale.confirmed", "pending", 0),
        ("sale.confirmed", "pending", 0),
    ]
    assert all(d["cursor"] for d in listed["items"])


async def test_a_partner_admin_subscribes_to_its_sales_only(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    region = await a_region(session)
    partner = await a_partner(session, region)
    partner_admin = await bearer_for(session, Role.PARTNER_ADMIN, partner_id=partner)
    refused = await _subscribe(client, partner_admin, ["entitlement.granted"])
    assert refused.status_code == 422
    assert refused.json()["code"] == "webhook-events-refused"
    desk = await bearer_for(session, Role.DESK, partner_id=partner)
    assert (await _subscribe(client, desk, ["sale.confirmed"])).status_code == 403


async def test_an_admin_names_the_region_or_partner_a_webhook_belongs_to(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    region = await a_region(session)
    partner = await a_partner(session, region)
    admin = await bearer_for(session, Role.ADMIN)
    body = {"url": PUBLIC, "events": ["sale.confirmed"]}
    unnamed = await client.post("/v1/webhooks", headers=admin, json=body)
    assert unnamed.status_code == 422
    for bad in ({"region_id": "not-an-id"}, {"partner_id": "0" * 60}):
        response = await client.post("/v1/webhooks", headers=admin, json={**body, **bad})
        assert response.status_code == 422, response.text
    unknown = "00000000-0000-0000-0000-000000000001"
    response = await client.post("/v1/webhooks", headers=admin, json={**body, "region_id": unknown})
    assert response.status_code == 422
    for_region = await client.post(
        "/v1/webhooks", headers=admin, json={**body, "region_id": region.id}
    )
    assert for_region.status_code == 201, for_region.text
    assert (for_region.json()["role"], for_region.json()["partner_id"]) == ("region_admin", None)
    for_partner = await client.post(
        "/v1/webhooks", headers=admin, json={**body, "partner_id": partner}
    )
    assert for_partner.status_code == 201, for_partner.text
    assert for_partner.json()["role"] == "partner_admin"
    assert for_partner.json()["region_id"] == region.id
    listed = await client.get("/v1/webhooks", params={"after": "nonsense"}, headers=admin)
    assert listed.status_code == 422
