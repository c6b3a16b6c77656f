"""The change feed: ordered per region, with a cursor that never skips a late commit."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.db import changes as db_changes
from app.db.changes import NewEvent
from app.db.tables import audit_log, change_events
from app.domain.access import Role
from tests.api.test_auth import assert_problem
from tests.factories import a_region, an_insz, bearer_for, passholder_body


async def test_registry_actions_appear_in_order_in_the_feed_without_insz(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    region = await a_region(session)
    registry = await bearer_for(session, Role.REGISTRY, region_id=region.id)
    insz = an_insz(datetime(1985, 7, 30).date())
    holder = (
        await client.post(
            "/v1/passholders", headers=registry, json=passholder_body(region, insz=insz)
        )
    ).json()
    card = (await client.post(f"/v1/passholders/{holder['id']}/cards", headers=registry)).json()
    await client.post(
        f"/v1/cards/{card['number']}/block", headers=registry, json={"reason": "lost"}
    )
    await client.post(f"/v1/cards/{card['number']}/replace", headers=registry)
    await client.post(
        f"/v1/passholders/{holder['id']}/entitlements",
        headers=registry,
        json={"type": "kansenstatuut", "region_id": region.id, "valid_from": "2026-01-01"},
    )
    await client.patch(
        f"/v1/passholders/{holder['id']}", headers=registry, json={"email": "a@b.be", "insz": insz}
    )

    response = await client.get("/v1/changes", headers=registry)
    assert response.status_code == 200
    page = response.json()
    assert [item["kind"] for item in page["items"]] == [
        "passholder.created",
        "card.issued",
        "card.blocked",
        "card.replaced",
        "entitlement.granted",
        "passholder.updated",
    ]
    assert page["items"][-1]["data"] == {"fields": ["email", "insz"]}
    assert insz not in response.text
    # Reading who got which status is a read of personal data: audited, once per holder.
    audited = (
        await session.execute(
            sa.select(audit_log.c.passholder_id, audit_log.c.region_id).where(
                audit_log.c.action == "changes.read"
            )
        )
    ).all()
    assert [(str(p), str(r)) for p, r in audited] == [(holder["id"], region.id)]

    later = (
        await client.get("/v1/changes", headers=registry, params={"after": page["next_cursor"]})
    ).json()
    assert later["items"] == []
    assert later["next_cursor"] == page["next_cursor"]


async def test_the_feed_pages_with_its_cursor(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    region = await a_region(session)
    registry = await bearer_for(session, Role.REGISTRY, region_id=region.id)
    for index in range(5):
        await client.post(
            "/v1/passholders",
            headers=registry,
            json=passholder_body(region, first_name=f"Persoon{index}"),
        )
    created = [
        item["entity_id"]
        for item in (await client.get("/v1/changes", headers=registry)).json()["items"]
    ]
    assert len(created) == 5
    seen: list[str] = []
    sizes = []
    cursor = None
    for _ in range(4):
        params = {"limit": 2} | ({"after": cursor} if cursor else {})
        page = (await client.get("/v1/changes", headers=registry, params=params)).json()
        sizes.append(len(page["items"]))
        seen += [item["entity_id"] for item in page["items"]]
        cursor = page["next_cursor"]
    assert sizes == [2, 2, 1, 0]
    assert seen == created


async def test_a_registry_reads_only_its_own_regions_feed(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    own, other = await a_region(session), await a_region(session)
    registry = await bearer_for(session, Role.REGISTRY, region_id=own.id)
    response = await client.get("/v1/changes", headers=registry, params={"region_id": other.id})
    assert_problem(response, 403, "forbidden")
    desk_region = await a_region(session)
    reporter = await bearer_for(session, Role.REPORTER, region_id=desk_region.id)
    assert_problem(await client.get("/v1/changes", headers=reporter), 403, "forbidden")


async def test_an_event_committed_late_is_not_skipped_by_a_reader(engine: AsyncEngine) -> None:
    """Writer A starts first and commits last; a reader between the commits must not move
    its cursor past A's event."""
    region_id = str(uuid.uuid4())
    now = datetime.now(UTC)
    async with AsyncSession(engine) as slow, AsyncSession(engine) as fast:
        await db_changes.record(slow, [NewEvent(region_id, "test.slow", "a", {})], now)
        await db_changes.record(fast, [NewEvent(region_id, "test.fast", "b", {})], now)
        await fast.commit()

        async with AsyncSession(engine) as reader:
            first = await db_changes.read(reader, region_ids=[region_id], after=None, limit=10)
        assert [e.kind for e in first] == []  # the fast event waits for the slow writer

        await slow.commit()
    # Visible once every older transaction on the server has finished (a transaction of
    # another database can hold the horizon for a moment too): poll briefly.
    async with AsyncSession(engine) as reader:
        for _ in range(100):
            events = await db_changes.read(reader, region_ids=[region_id], after=None, limit=10)
            await reader.commit()
            if len(events) == 2:
                break
            await asyncio.sleep(0.1)
        assert [e.kind for e in events] == ["test.slow", "test.fast"]
        await reader.execute(
            sa.delete(change_events).where(change_events.c.region_id == uuid.UUID(region_id))
        )
        await reader.commit()
