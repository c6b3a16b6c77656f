"""Round trips: what GET answers can be sent back to PUT or PATCH with one field edited;
read-only fields sent back unchanged are accepted, a changed one is 422 `read-only-field`."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.access import Role
from tests.api.test_auth import assert_problem
from tests.api.test_desk import kortrijk_world, quote
from tests.api.test_schemes import kansentarief
from tests.factories import a_partner, a_region, a_registered_holder, bearer_for


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


async def test_a_scheme_read_is_put_back_whole_or_as_its_definition(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    region = await a_region(session)
    editor = await bearer_for(session, Role.REGION_ADMIN, region_id=region.id)
    created = await client.post("/v1/schemes", headers=editor, json=kansentarief(region))
    assert created.status_code == 201, created.text
    url = "/v1/schemes/TEST_KANSENTARIEF"

    # The whole GET answer, with one field of its definition edited.
    read = (await client.get(url)).json()
    edited = {
        **read,
        "definition": {**read["definition"], "price": {"type": "pay_percent", "percent": 25}},
    }
    written = await client.put(url, headers=editor, json=edited)
    assert written.status_code == 200, written.text
    again = (await client.get(url)).json()
    assert (again["version"], again["definition"]["price"]) == (
        2,
        {"type": "pay_percent", "percent": 25},
    )
    assert again["region_id"] == region.id
    assert again["definition"]["owner_region"] == region.code

    # Its definition alone, as GET names the owner (`owner_region`, a code).
    definition = {**again["definition"], "name": {"nl": "Kansentarief 2027"}}
    written = await client.put(url, headers=editor, json=definition)
    assert written.status_code == 200, written.text
    third = (await client.get(url)).json()
    assert (third["version"], third["name"]) == (3, {"nl": "Kansentarief 2027"})
    # `region_id` still names the owner, as before; both must agree.
    legacy = {k: v for k, v in third["definition"].items() if k != "owner_region"}
    legacy["region_id"] = region.id
    legacy["limits"] = []
    assert (await client.put(url, headers=editor, json=legacy)).json()["version"] == 4
    other = await a_region(session)
    disagreeing = {**legacy, "owner_region": other.code}
    body = assert_problem(
        await client.put(url, headers=editor, json=disagreeing), 422, "invalid-scheme"
    )
    assert body["errors"][0]["pointer"] == "/owner_region"

    stale = {**read, "definition": {**read["definition"], "limits": []}}
    assert_problem(
        await client.put(url, headers=editor, json=stale), 409, "scheme-version-conflict"
    )
    current = (await client.get(url)).json()
    renamed = {**current, "summary": {"nl": "x", "fr": "x", "en": "x"}}
    assert_problem(await client.put(url, headers=editor, json=renamed), 422, "read-only-field")


async def test_a_passholder_read_is_written_back_with_a_new_email(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world = await a_registered_holder(session, client)
    url = f"/v1/passholders/{world.passholder_id}"
    await _round_trip(client, url, world.registry, "email", "sofie@example.be")
    await _round_trip(client, url, world.registry, "last_name", "Desmet-Vandamme")
    current = (await client.get(url, headers=world.registry)).json()
    for field, value in (("has_insz", not current["has_insz"]), ("region_id", "x"), ("id", "y")):
        refused = await client.patch(url, headers=world.registry, json={**current, field: value})
        assert_problem(refused, 422, "read-only-field")


async def test_a_client_read_is_written_back_with_a_new_name_and_new_grants_apply_at_once(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    region = await a_region(session)
    partner = await a_partner(session, region)
    admin = await bearer_for(session, Role.ADMIN)
    created = await client.post(
        "/v1/clients",
        headers=admin,
        json={"name": "Kassa", "grants": [{"role": "desk", "partner_id": partner}]},
    )
    assert created.status_code == 201, created.text
    client_id = created.json()["client_id"]
    url = f"/v1/clients/{client_id}"
    before = await _round_trip(client, url, admin, "name", "Kassa zaal 2")
    assert "client_secret" not in before
    assert "secret_hash" not in before

    token = await client.post(
        "/v1/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": created.json()["client_secret"],
        },
    )
    own = {"Authorization": f"Bearer {token.json()['access_token']}"}
    assert (await client.get("/v1/me", headers=own)).json()["grants"][0]["role"] == "desk"
    grants = [
        {"role": "partner_admin", "region_id": None, "partner_id": partner, "organisation_id": None}
    ]
    await _round_trip(client, url, admin, "grants", grants)
    assert (await client.get("/v1/me", headers=own)).json()["grants"] == grants

    current = (await client.get(url, headers=admin)).json()
    assert_problem(
        await client.patch(url, headers=admin, json={**current, "client_id": "another"}),
        422,
        "read-only-field",
    )
    bad = [{"role": "desk", "partner_id": region.id}]
    assert_problem(
        await client.patch(url, headers=admin, json={"grants": bad}), 422, "validation-failed"
    )
    assert_problem(await client.get("/v1/clients/nobody", headers=admin), 404, "not-found")
    assert_problem(await client.get(url, headers=own), 403, "forbidden")
