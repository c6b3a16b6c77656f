"""Round trips: what GET answers can be sent back to PUT or PATCH with one field edited;
read-only fields sent back unchanged are accepted, a changed one is 422 `read-only-field`."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.access import Role
from tests.api.test_auth import assert_problem
from tests.api.test_desk import kortrijk_world, quote
from tests.factories import a_partner, a_region, bearer_for


async def _round_trip(
    client: httpx.AsyncClient,
    url: str,
    headers: dict[str, str],
    field: str,
    value: Any,
    *,
    write: str = "PATCH",
    read_headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """GET, edit one field, send it all back, GET again: the edit is read back and nothing
    else changed (but what the server keeps itself, such as `updated_at`)."""
    read = await client.get(url, headers=read_headers or headers)
    assert read.status_code == 200, read.text
    before: dict[str, Any] = read.json()
    sent = {**before, field: value}
    written = await client.request(write, url, headers=headers, json=sent)
    assert written.status_code == 200, written.text
    after = (await client.get(url, headers=read_headers or headers)).json()
    assert after[field] == value
    unchanged = {k: v for k, v in before.items() if k not in (field, "updated_at")}
    assert {k: after[k] for k in unchanged} == unchanged
    return before


async def test_an_offer_read_is_written_back_with_a_new_title_and_its_quote_follows(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world = await kortrijk_world(session, client)
    admin = await bearer_for(session, Role.PARTNER_ADMIN, partner_id=world.partner_id)
    url = f"/v1/offers/{world.offer_id}"
    before = await _round_trip(client, url, admin, "title", "Seizoen 2027")
    assert (await quote(client, world)).json()["regular_price_cents"] == 11_900
    classes = [{**before["price_classes"][0], "price_cents": 12_500}, before["price_classes"][1]]
    await _round_trip(client, url, admin, "price_classes", classes)
    # The process forgot its cached offer: the quote prices the new regular price.
    assert (await quote(client, world)).json()["regular_price_cents"] == 12_500

    current = (await client.get(url)).json()
    for field, value in (
        ("partner_id", world.region.id),
        ("created_at", "2001-01-01T00:00:00Z"),
        ("id", "x"),
    ):
        refused = await client.patch(url, headers=admin, json={**current, field: value})
        body = assert_problem(refused, 422, "read-only-field")
        assert body["errors"] == [{"pointer": f"/{field}", "detail": "read-only"}]
    # The same moment written another way is the same moment.
    same = current["created_at"].replace("Z", "+00:00")
    assert (await client.patch(url, headers=admin, json={"created_at": same})).status_code == 200
    assert_problem(
        await client.patch(url, headers=admin, json={"title": None}), 422, "validation-failed"
    )
    one_off = await client.patch(url, headers=admin, json={"kind": "one_off"})
    assert_problem(one_off, 422, "validation-failed")


async def test_a_partner_read_is_written_back_with_a_new_name(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    region = await a_region(session)
    partner = await a_partner(session, region, name="Cultuurcentrum")
    admin = await bearer_for(session, Role.REGION_ADMIN, region_id=region.id)
    url = f"/v1/partners/{partner}"
    await _round_trip(client, url, admin, "name", "Cultuurcentrum Kortrijk")
    await _round_trip(client, url, admin, "cancellation_window_hours", 48)
    current = (await client.get(url, headers=admin)).json()
    assert_problem(
        await client.patch(url, headers=admin, json={**current, "region_id": partner}),
        422,
        "read-only-field",
    )
    elsewhere = await a_region(session)
    moved = await client.patch(
        url, headers=admin, json={"municipality_nis": elsewhere.municipalities[0].nis_code}
    )
    assert_problem(moved, 422, "validation-failed")
    partner_admin = await bearer_for(session, Role.PARTNER_ADMIN, partner_id=partner)
    assert_problem(
        await client.patch(url, headers=partner_admin, json={"name": "Eigen naam"}),
        403,
        "forbidden",
    )


async def test_a_region_read_is_written_back_with_new_grace_days(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    region = await a_region(session)
    admin = await bearer_for(session, Role.REGION_ADMIN, region_id=region.id)
    url = f"/v1/regions/{region.id}"
    await _round_trip(client, url, admin, "status_grace_days", 45)
    await _round_trip(client, url, admin, "default_status_end", "06-30")
    current = (await client.get(url)).json()
    assert_problem(
        await client.patch(url, headers=admin, json={**current, "code": "ANDERS"}),
        422,
        "read-only-field",
    )
    assert_problem(
        await client.patch(url, headers=admin, json={**current, "municipalities": []}),
        422,
        "read-only-field",
    )
    assert_problem(
        await client.patch(url, headers=admin, json={"default_status_end": "02-30"}),
        422,
        "validation-failed",
    )
    other = await bearer_for(session, Role.REGION_ADMIN, region_id=(await a_region(session)).id)
    assert_problem(await client.patch(url, headers=other, json={"name": "X"}), 403, "forbidden")
