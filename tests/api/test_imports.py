"""Bulk grants from an authoritative list, matched by INSZ."""

from __future__ import annotations

import json
from datetime import date

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.api import examples
from app.db.tables import pending_entitlements
from app.domain.access import Role
from tests.api.test_auth import assert_problem
from tests.factories import a_region, an_insz, bearer_for, passholder_body

CSV = "text/csv"


async def test_a_list_grants_known_people_and_keeps_unknown_ones_pending_until_they_register(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    region = await a_region(session)
    registry = await bearer_for(session, Role.REGISTRY, region_id=region.id)
    known_insz = an_insz(date(1985, 7, 30))
    known = (
        await client.post(
            "/v1/passholders", headers=registry, json=passholder_body(region, insz=known_insz)
        )
    ).json()
    unknown_born = date(1990, 2, 3)
    unknown_insz = an_insz(unknown_born)
    listing = (
        "insz;type;valid_from;valid_until;evidence\n"
        f"{known_insz};kansenstatuut;2026-01-01;2026-12-31;OCMW 2026/1\n"
        f"{unknown_insz};kansenstatuut;2026-01-01;;OCMW 2026/2\n"
        "12345678901;kansenstatuut;2026-01-01;;\n"
        f"{known_insz};vip;2026-01-01;;\n"
        f"{known_insz};leefloon;2026-13-01;;\n"
    )
    response = await client.post(
        "/v1/imports/entitlements",
        headers={**registry, "Content-Type": CSV},
        params={"source": "OCMW lijst november"},
        content=listing,
    )
    assert response.status_code == 200, response.text
    report = response.json()
    assert report == {
        "rows": 5,
        "granted": 1,
        "renewed": 0,
        "unchanged": 0,
        "pending": 1,
        "already_pending": 0,
        "rejected": 3,
        "rejections": [
            {"row": 3, "reason": "insz: the INSZ check digits do not match (typing error?)"},
            {"row": 4, "reason": "type: unknown entitlement type"},
            {"row": 5, "reason": "valid_from: not a date (YYYY-MM-DD)"},
        ],
    }
    assert known_insz not in response.text
    assert unknown_insz not in response.text

    statuses = (
        await client.get(f"/v1/passholders/{known['id']}/entitlements", headers=registry)
    ).json()["items"]
    assert [(s["type"], s["valid_until"], s["source"]) for s in statuses] == [
        ("kansenstatuut", "2026-12-31", "import:OCMW lijst november")
    ]

    newcomer = (
        await client.post(
            "/v1/passholders",
            headers=registry,
            json=passholder_body(
                region, first_name="Nieuw", birth_date=unknown_born, insz=unknown_insz
            ),
        )
    ).json()
    applied = (
        await client.get(f"/v1/passholders/{newcomer['id']}/entitlements", headers=registry)
    ).json()["items"]
    assert [(s["type"], s["valid_from"], s["valid_until"]) for s in applied] == [
        ("kansenstatuut", "2026-01-01", "2027-04-30")
    ]
    still_pending = (
        await session.execute(
            sa.select(sa.func.count())
            .select_from(pending_entitlements)
            .where(
                pending_entitlements.c.applied_at.is_(None),
                pending_entitlements.c.region_id == sa.cast(region.id, sa.Uuid),
            )
        )
    ).scalar_one()
    assert still_pending == 0


async def test_importing_the_same_list_twice_changes_nothing(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    region = await a_region(session)
    registry = await bearer_for(session, Role.REGISTRY, region_id=region.id)
    insz = an_insz(date(1985, 7, 30))
    await client.post("/v1/passholders", headers=registry, json=passholder_body(region, insz=insz))
    lines = "\n".join(
        json.dumps(row)
        for row in (
            {"insz": insz, "type": "kansenstatuut", "valid_from": "2026-01-01"},
            {"insz": an_insz(date(1970, 1, 1)), "type": "leefloon", "valid_from": "2026-01-01"},
        )
    )
    headers = {**registry, "Content-Type": "application/x-ndjson"}
    first = (await client.post("/v1/imports/entitlements", headers=headers, content=lines)).json()
    second = (await client.post("/v1/imports/entitlements", headers=headers, content=lines)).json()
    assert (first["granted"], first["pending"]) == (1, 1)
    assert (
        second["granted"],
        second["unchanged"],
        second["pending"],
        second["already_pending"],
    ) == (0, 1, 0, 1)


async def test_a_later_list_renews_a_status(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    region = await a_region(session)
    registry = await bearer_for(session, Role.REGISTRY, region_id=region.id)
    insz = an_insz(date(1985, 7, 30))
    holder = (
        await client.post(
            "/v1/passholders", headers=registry, json=passholder_body(region, insz=insz)
        )
    ).json()
    headers = {**registry, "Content-Type": CSV}
    await client.post(
        "/v1/imports/entitlements",
        headers=headers,
        content=f"insz,type,valid_from,valid_until\n{insz},kansenstatuut,2025-05-01,2026-04-30\n",
    )
    report = (
        await client.post(
            "/v1/imports/entitlements",
            headers=headers,
            content=f"insz,type,valid_from,valid_until\n{insz},kansenstatuut,2026-05-01,2027-04-30\n",
        )
    ).json()
    assert report["renewed"] == 1
    periods = (
        await client.get(f"/v1/passholders/{holder['id']}/entitlements", headers=registry)
    ).json()["items"]
    assert periods[1]["renews_id"] == periods[0]["id"]


async def test_an_import_needs_a_known_format_and_header(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    region = await a_region(session)
    registry = await bearer_for(session, Role.REGISTRY, region_id=region.id)
    wrong_type = await client.post(
        "/v1/imports/entitlements",
        headers={**registry, "Content-Type": "application/pdf"},
        content=b"%PDF",
    )
    assert_problem(wrong_type, 415, "unsupported-media-type")
    no_header = await client.post(
        "/v1/imports/entitlements",
        headers={**registry, "Content-Type": CSV},
        content="85073000160,kansenstatuut,2026-01-01\n",
    )
    assert_problem(no_header, 422, "import-unreadable")


async def test_a_registry_imports_only_for_its_own_region(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    own, other = await a_region(session), await a_region(session)
    registry = await bearer_for(session, Role.REGISTRY, region_id=own.id)
    response = await client.post(
        "/v1/imports/entitlements",
        headers={**registry, "Content-Type": CSV},
        params={"region_id": other.id},
        content="insz,type,valid_from\n",
    )
    assert_problem(response, 403, "forbidden")


async def test_a_status_waiting_in_another_region_is_applied_when_the_holder_moves_there(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    kortrijk, brugge = await a_region(session), await a_region(session)
    kortrijk_registry = await bearer_for(session, Role.REGISTRY, region_id=kortrijk.id)
    brugge_registry = await bearer_for(session, Role.REGISTRY, region_id=brugge.id)
    insz = an_insz(date(1985, 7, 30), counter=11)
    holder = (
        await client.post(
            "/v1/passholders", headers=kortrijk_registry, json=passholder_body(kortrijk, insz=insz)
        )
    ).json()
    imported = await client.post(
        "/v1/imports/entitlements",
        headers={**brugge_registry, "Content-Type": CSV},
        params={"source": "OCMW Brugge"},
        content=f"insz;type;valid_from;valid_until\n{insz};leefloon;2026-01-01;2026-12-31\n",
    )
    assert imported.json()["pending"] == 1, imported.text

    home = brugge.municipalities[0]
    moved = await client.post(
        f"/v1/passholders/{holder['id']}/move",
        headers=kortrijk_registry,
        json={"postal_code": home.postal_codes[0], "municipality_nis": home.nis_code},
    )
    assert moved.status_code == 200, moved.text
    statuses = (
        await client.get(f"/v1/passholders/{holder['id']}/entitlements", headers=brugge_registry)
    ).json()["items"]
    assert [(s["type"], s["valid_until"], s["source"]) for s in statuses] == [
        ("leefloon", "2026-12-31", "import:OCMW Brugge")
    ]


async def test_a_status_waiting_for_an_insz_is_applied_when_the_holder_gets_that_insz(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    region = await a_region(session)
    registry = await bearer_for(session, Role.REGISTRY, region_id=region.id)
    insz = an_insz(date(1985, 7, 30), counter=12)
    # Registered without an INSZ (the desk did not have it at hand).
    holder = (
        await client.post("/v1/passholders", headers=registry, json=passholder_body(region))
    ).json()
    imported = await client.post(
        "/v1/imports/entitlements",
        headers={**registry, "Content-Type": CSV},
        params={"source": "OCMW"},
        content=f"insz;type;valid_from;valid_until\n{insz};leefloon;2026-01-01;2026-12-31\n",
    )
    assert imported.json()["pending"] == 1, imported.text

    corrected = await client.patch(
        f"/v1/passholders/{holder['id']}", headers=registry, json={"insz": insz}
    )

    assert corrected.status_code == 200, corrected.text
    statuses = (
        await client.get(f"/v1/passholders/{holder['id']}/entitlements", headers=registry)
    ).json()["items"]
    assert [(s["type"], s["source"]) for s in statuses] == [("leefloon", "import:OCMW")]


@pytest.mark.parametrize(
    ("content_type", "body"),
    [(CSV, examples.IMPORT_CSV), ("application/x-ndjson", examples.IMPORT_JSON_LINES)],
)
async def test_the_documented_example_bodies_import_without_a_rejection(
    client: httpx.AsyncClient, session: AsyncSession, content_type: str, body: str
) -> None:
    region = await a_region(session)
    registry = await bearer_for(session, Role.REGISTRY, region_id=region.id)
    response = await client.post(
        "/v1/imports/entitlements",
        headers={**registry, "Content-Type": content_type},
        content=body,
    )
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["rows"], report["pending"], report["rejected"]) == (2, 2, 0)
