"""Moves between regions are explicit: a PATCH stays in the region, a move is its own call."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import jwt
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.clock import today_in_brussels
from app.db.regions import MunicipalityRow, RegionRow
from app.db.tables import audit_log, regions
from app.domain.access import Role
from tests.api.test_auth import assert_problem
from tests.factories import a_partner, a_region, bearer_for, next_nis, passholder_body


async def _two_regions(session: AsyncSession) -> tuple[RegionRow, RegionRow]:
    kortrijk = await a_region(
        session, municipalities=(MunicipalityRow(next_nis(), "Kortrijk", ("8500",)),)
    )
    brugge = await a_region(
        session,
        municipalities=(
            MunicipalityRow(next_nis(), "Brugge", ("8000", "8200")),
            MunicipalityRow(next_nis(), "Damme", ("8340",)),
        ),
    )
    return kortrijk, brugge


async def _holder_with_history(
    client: httpx.AsyncClient, registry: dict[str, str], region: RegionRow
) -> dict[str, Any]:
    holder: dict[str, Any] = (
        await client.post("/v1/passholders", headers=registry, json=passholder_body(region))
    ).json()
    card = await client.post(f"/v1/passholders/{holder['id']}/cards", headers=registry)
    assert card.status_code == 201, card.text
    for body in (
        {"type": "kansenstatuut", "region_id": region.id, "valid_from": "2026-01-01"},
        {"type": "european_disability_card", "valid_from": "2026-01-01"},
    ):
        granted = await client.post(
            f"/v1/passholders/{holder['id']}/entitlements", headers=registry, json=body
        )
        assert granted.status_code == 201, granted.text
    holder["card"] = card.json()
    return holder


async def test_a_registry_cannot_patch_a_person_into_another_region(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    kortrijk, brugge = await _two_regions(session)
    registry = await bearer_for(session, Role.REGISTRY, region_id=kortrijk.id)
    holder = (
        await client.post("/v1/passholders", headers=registry, json=passholder_body(kortrijk))
    ).json()

    for change in (
        {"postal_code": "8000"},
        {"municipality_nis": brugge.municipalities[1].nis_code, "postal_code": "8340"},
    ):
        refused = assert_problem(
            await client.patch(f"/v1/passholders/{holder['id']}", headers=registry, json=change),
            422,
            "move-required",
        )
        assert f"/v1/passholders/{holder['id']}/move" in refused["detail"]

    # Still Kortrijk's, at the old address.
    still = (await client.get(f"/v1/passholders/{holder['id']}", headers=registry)).json()
    assert (still["region_id"], still["postal_code"]) == (kortrijk.id, "8500")


async def test_the_registry_of_the_region_left_moves_a_person_with_their_history(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    kortrijk, brugge = await _two_regions(session)
    kortrijk_registry = await bearer_for(session, Role.REGISTRY, region_id=kortrijk.id)
    brugge_registry = await bearer_for(session, Role.REGISTRY, region_id=brugge.id)
    holder = await _holder_with_history(client, kortrijk_registry, kortrijk)

    moved = await client.post(
        f"/v1/passholders/{holder['id']}/move",
        headers=kortrijk_registry,
        json={"postal_code": "8200"},
    )

    assert moved.status_code == 200, moved.text
    body = moved.json()
    assert (body["id"], body["region_id"], body["postal_code"], body["municipality_nis"]) == (
        holder["id"],
        brugge.id,
        "8200",
        brugge.municipalities[0].nis_code,
    )
    # Now Brugge's: Kortrijk no longer finds them, Brugge does, with card and statuses.
    gone = await client.get(f"/v1/passholders/{holder['id']}", headers=kortrijk_registry)
    assert_problem(gone, 404, "not-found")
    cards = (
        await client.get(f"/v1/passholders/{holder['id']}/cards", headers=brugge_registry)
    ).json()["items"]
    assert [(c["number"], c["status"]) for c in cards] == [(holder["card"]["number"], "active")]
    statuses = (
        await client.get(f"/v1/passholders/{holder['id']}/entitlements", headers=brugge_registry)
    ).json()["items"]
    today = today_in_brussels().isoformat()
    assert sorted((s["type"], s["ended_on"], s["status"]) for s in statuses) == [
        ("european_disability_card", None, "active"),
        ("kansenstatuut", today, "ended"),
    ]


async def test_a_region_may_keep_its_statuses_when_someone_moves_away(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    kortrijk, brugge = await _two_regions(session)
    await session.execute(
        sa.update(regions)
        .where(regions.c.id == sa.cast(kortrijk.id, sa.Uuid))
        .values(end_statuses_on_move=False)
    )
    registry = await bearer_for(session, Role.REGISTRY, region_id=kortrijk.id)
    brugge_registry = await bearer_for(session, Role.REGISTRY, region_id=brugge.id)
    holder = await _holder_with_history(client, registry, kortrijk)

    moved = await client.post(
        f"/v1/passholders/{holder['id']}/move",
        headers=registry,
        json={"municipality_nis": brugge.municipalities[1].nis_code},
    )

    assert moved.status_code == 200, moved.text
    assert moved.json()["postal_code"] == "8340"  # the municipality's only postal code
    statuses = (
        await client.get(f"/v1/passholders/{holder['id']}/entitlements", headers=brugge_registry)
    ).json()["items"]
    assert sorted((s["type"], s["ended_on"]) for s in statuses) == [
        ("european_disability_card", None),
        ("kansenstatuut", None),
    ]


async def test_a_move_is_told_to_both_regions_and_audited_under_both(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    kortrijk, brugge = await _two_regions(session)
    registry = await bearer_for(session, Role.REGISTRY, region_id=kortrijk.id)
    brugge_registry = await bearer_for(session, Role.REGISTRY, region_id=brugge.id)
    holder = await _holder_with_history(client, registry, kortrijk)
    await client.post(
        f"/v1/passholders/{holder['id']}/move", headers=registry, json={"postal_code": "8000"}
    )

    left = (await client.get("/v1/changes", headers=registry)).json()["items"]
    assert [item["kind"] for item in left][-2:] == ["entitlement.ended", "passholder.moved_out"]
    assert left[-1]["entity_id"] == holder["id"]
    assert left[-1]["data"]["to_region_id"] == brugge.id
    assert left[-1]["data"]["ended_entitlement_ids"] == [left[-2]["entity_id"]]
    arrived = (await client.get("/v1/changes", headers=brugge_registry)).json()["items"]
    assert [(item["kind"], item["entity_id"], item["data"]) for item in arrived] == [
        ("passholder.moved_in", holder["id"], {"from_region_id": kortrijk.id})
    ]

    audited = (
        await session.execute(
            sa.select(audit_log.c.client_id, audit_log.c.region_id)
            .where(
                audit_log.c.action == "passholder.moved",
                audit_log.c.passholder_id == sa.cast(holder["id"], sa.Uuid),
            )
            .order_by(audit_log.c.region_id)
        )
    ).all()
    mover = _client_id_of(registry)
    assert sorted((c, str(r)) for c, r in audited) == sorted(
        [(mover, kortrijk.id), (mover, brugge.id)]
    )


def _client_id_of(headers: dict[str, str]) -> str:
    token = headers["Authorization"].removeprefix("Bearer ")
    return str(jwt.decode(token, options={"verify_signature": False})["sub"])


async def test_only_the_registry_of_the_region_left_moves_a_person(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    kortrijk, brugge = await _two_regions(session)
    kortrijk_registry = await bearer_for(session, Role.REGISTRY, region_id=kortrijk.id)
    holder = (
        await client.post(
            "/v1/passholders", headers=kortrijk_registry, json=passholder_body(kortrijk)
        )
    ).json()
    path = f"/v1/passholders/{holder['id']}/move"
    # The destination's registry cannot pull someone in; a third region's cannot either.
    brugge_registry = await bearer_for(session, Role.REGISTRY, region_id=brugge.id)
    assert_problem(
        await client.post(path, headers=brugge_registry, json={"postal_code": "8000"}),
        404,
        "not-found",
    )
    third = await a_region(session)
    assert_problem(
        await client.post(
            path,
            headers=await bearer_for(session, Role.REGISTRY, region_id=third.id),
            json={"postal_code": "8000"},
        ),
        404,
        "not-found",
    )
    # Other roles of the region are no registry.
    for role in (Role.REGION_ADMIN, Role.REPORTER):
        assert_problem(
            await client.post(
                path,
                headers=await bearer_for(session, role, region_id=kortrijk.id),
                json={"postal_code": "8000"},
            ),
            403,
            "forbidden",
        )
    desk = await bearer_for(session, Role.DESK, partner_id=await a_partner(session, kortrijk))
    assert_problem(
        await client.post(path, headers=desk, json={"postal_code": "8000"}), 403, "forbidden"
    )
    assert_problem(await client.post(path, json={"postal_code": "8000"}), 401, "unauthorized")
    still = (await client.get(f"/v1/passholders/{holder['id']}", headers=kortrijk_registry)).json()
    assert still["region_id"] == kortrijk.id


async def test_a_move_needs_a_residence_in_another_region(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    kortrijk, brugge = await _two_regions(session)
    registry = await bearer_for(session, Role.REGISTRY, region_id=kortrijk.id)
    holder = (
        await client.post("/v1/passholders", headers=registry, json=passholder_body(kortrijk))
    ).json()
    path = f"/v1/passholders/{holder['id']}/move"
    assert_problem(
        await client.post(path, headers=registry, json={"postal_code": "8500"}), 422, "not-a-move"
    )
    assert_problem(await client.post(path, headers=registry, json={}), 422, "validation-failed")
    assert_problem(
        await client.post(path, headers=registry, json={"postal_code": "9999"}),
        422,
        "validation-failed",
    )
    # Brugge has two postal codes: a municipality alone does not say which.
    several = assert_problem(
        await client.post(
            path, headers=registry, json={"municipality_nis": brugge.municipalities[0].nis_code}
        ),
        422,
        "validation-failed",
    )
    assert several["errors"] == [
        {"pointer": "/postal_code", "detail": "required: one of 8000, 8200"}
    ]


async def test_a_move_onto_a_namesake_in_the_new_region_is_refused(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    kortrijk, brugge = await _two_regions(session)
    registry = await bearer_for(session, Role.REGISTRY, region_id=kortrijk.id)
    brugge_registry = await bearer_for(session, Role.REGISTRY, region_id=brugge.id)
    holder = (
        await client.post("/v1/passholders", headers=registry, json=passholder_body(kortrijk))
    ).json()
    namesake = await client.post(
        "/v1/passholders",
        headers=brugge_registry,
        json={**passholder_body(brugge), "postal_code": "8000", "municipality_nis": None},
    )
    assert namesake.status_code == 201, namesake.text
    refused = assert_problem(
        await client.post(
            f"/v1/passholders/{holder['id']}/move", headers=registry, json={"postal_code": "8000"}
        ),
        409,
        "passholder-exists-elsewhere",
    )
    assert namesake.json()["id"] not in str(refused)
    assert date.fromisoformat(holder["birth_date"]).isoformat() not in str(refused)
