"""The scheme catalogue API: versions, owners, plain-language summaries, validation."""

from __future__ import annotations

import copy
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.regions import RegionRow
from app.domain.access import Role
from app.errors import Unprocessable
from app.services.catalog_files import load_scheme_files
from app.services.demo import CATALOG_DIR, system_principal
from app.services.schemes import import_definitions
from tests.api.test_auth import assert_problem
from tests.factories import a_region, bearer_for


def kansentarief(region: RegionRow, code: str = "TEST_KANSENTARIEF") -> dict[str, Any]:
    return {
        "code": code,
        "name": {"nl": "Kansentarief", "fr": "Tarif d'opportunité", "en": "Opportunity rate"},
        "region_id": region.id,
        "eligibility": {"entitlement": "kansenstatuut", "in_region": "owner"},
        "applies_to": {"partners": "owner_region"},
        "price": {"type": "pay_percent", "percent": 20, "rounding": "down_10"},
        "limits": [{"count": 1, "per": "passholder", "scope": "offer", "period": "absolute"}],
        "funding": [{"payer": "partner", "percent": 50}, {"payer": "scheme_owner", "rest": True}],
    }


async def test_a_region_admin_creates_a_scheme_that_anyone_reads_in_plain_language(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    region = await a_region(session)
    editor = await bearer_for(session, Role.REGION_ADMIN, region_id=region.id)
    response = await client.post("/v1/schemes", headers=editor, json=kansentarief(region))
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["version"] == 1
    assert created["region_id"] == region.id
    assert created["definition"]["owner_region"] == region.code
    assert created["summary"]["nl"] == (
        f"Met kansenstatuut in {region.name} betaal je 20 % van de prijs, naar beneden "
        "afgerond op 10 cent; 1 ticket per activiteit."
    )
    assert created["summary"]["fr"]
    assert created["summary"]["en"]
    assert created["summary"]["de"] == (
        f"Mit Chancenstatut ({region.name}) zahlen Sie 20 % des Preises, abgerundet auf "
        "10 Cent; 1 Ticket pro Aktivität."
    )

    public = await client.get("/v1/schemes/TEST_KANSENTARIEF")
    assert public.json() == created
    listed = (await client.get("/v1/schemes")).json()["items"]
    assert [s["code"] for s in listed if s["code"] == "TEST_KANSENTARIEF"] == ["TEST_KANSENTARIEF"]


async def test_put_makes_a_new_version_and_keeps_the_old_one(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    region = await a_region(session)
    editor = await bearer_for(session, Role.REGION_ADMIN, region_id=region.id)
    body = kansentarief(region)
    await client.post("/v1/schemes", headers=editor, json=body)
    changed = copy.deepcopy(body)
    changed["price"]["percent"] = 25
    response = await client.put("/v1/schemes/TEST_KANSENTARIEF", headers=editor, json=changed)
    assert response.status_code == 200
    assert response.json()["version"] == 2
    old = (await client.get("/v1/schemes/TEST_KANSENTARIEF", params={"version": 1})).json()
    assert old["definition"]["price"]["percent"] == 20
    current = (await client.get("/v1/schemes/TEST_KANSENTARIEF")).json()
    assert current["definition"]["price"]["percent"] == 25
    same = await client.put("/v1/schemes/TEST_KANSENTARIEF", headers=editor, json=changed)
    assert same.json()["version"] == 2  # nothing changed, no new version


async def test_an_invalid_definition_points_at_each_bad_field(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    region = await a_region(session)
    editor = await bearer_for(session, Role.REGION_ADMIN, region_id=region.id)
    body = kansentarief(region)
    body["price"]["percent"] = 120
    body["funding"].append({"payer": "partner", "rest": True})
    body["eligibility"] = {"entitlement": "kansenstatuut", "in_region": "NOWHERE"}
    response = await client.post("/v1/schemes", headers=editor, json=body)
    problem = assert_problem(response, 422, "invalid-scheme")
    pointers = {error["pointer"] for error in problem["errors"]}
    assert "/price/percent" in pointers
    assert any(p.startswith("/funding") for p in pointers)


async def test_a_region_code_that_does_not_exist_is_refused(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    region = await a_region(session)
    editor = await bearer_for(session, Role.REGION_ADMIN, region_id=region.id)
    body = kansentarief(region)
    body["eligibility"] = {"entitlement": "kansenstatuut", "in_region": "NOWHERE_LAND"}
    problem = assert_problem(
        await client.post("/v1/schemes", headers=editor, json=body), 422, "invalid-scheme"
    )
    assert problem["errors"] == [
        {"pointer": "/eligibility/in_region", "detail": "no region with code NOWHERE_LAND"}
    ]


async def test_only_the_owner_regions_admin_or_an_admin_writes_a_scheme(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    own, other = await a_region(session), await a_region(session)
    stranger = await bearer_for(session, Role.REGION_ADMIN, region_id=other.id)
    registry = await bearer_for(session, Role.REGISTRY, region_id=own.id)
    assert_problem(
        await client.post("/v1/schemes", headers=stranger, json=kansentarief(own)), 403, "forbidden"
    )
    assert_problem(
        await client.post("/v1/schemes", headers=registry, json=kansentarief(own)), 403, "forbidden"
    )
    platform_wide = kansentarief(own)
    del platform_wide["region_id"]
    platform_wide["eligibility"] = {"entitlement": "kansenstatuut"}
    platform_wide["applies_to"] = {"partners": "all"}
    platform_wide["funding"] = [{"payer": "partner", "rest": True}]
    region_admin = await bearer_for(session, Role.REGION_ADMIN, region_id=own.id)
    assert_problem(
        await client.post("/v1/schemes", headers=region_admin, json=platform_wide),
        403,
        "forbidden",
    )
    admin = await bearer_for(session, Role.ADMIN)
    assert (await client.post("/v1/schemes", headers=admin, json=platform_wide)).status_code == 201
    owner = await bearer_for(session, Role.REGION_ADMIN, region_id=own.id)
    created = await client.post("/v1/schemes", headers=owner, json=kansentarief(own, "OWN_ONE"))
    assert created.status_code == 201
    taken = await client.put("/v1/schemes/OWN_ONE", headers=stranger, json=kansentarief(own))
    assert_problem(taken, 403, "forbidden")


async def test_importing_the_shipped_catalogue_twice_changes_nothing(
    session: AsyncSession, client: httpx.AsyncClient
) -> None:
    await a_region(session, code="REGIO_KORTRIJK")
    await a_region(session, code="BRUGGE")
    definitions = load_scheme_files([CATALOG_DIR])
    first = await import_definitions(session, system_principal(), definitions)
    assert "KORTRIJK_KANSENTARIEF v1" in first
    assert await import_definitions(session, system_principal(), definitions) == []
    scheme = (await client.get("/v1/schemes/KORTRIJK_KANSENTARIEF")).json()
    assert scheme["summary"]["nl"].startswith("Met kansenstatuut in Regio REGIO_KORTRIJK")


async def test_an_import_with_an_unknown_owner_region_writes_nothing(
    session: AsyncSession, client: httpx.AsyncClient
) -> None:
    # Only Kortrijk exists: the Brugge schemes of the catalogue cannot be loaded, and the
    # Kortrijk ones must not be left half-imported either.
    await a_region(session, code="REGIO_KORTRIJK")
    definitions = load_scheme_files([CATALOG_DIR])
    assert {d.owner_region for d in definitions} >= {"REGIO_KORTRIJK", "BRUGGE"}
    with pytest.raises(Unprocessable) as refused:
        await import_definitions(session, system_principal(), definitions)
    assert "owner region BRUGGE does not exist" in refused.value.detail
    assert (await client.get("/v1/schemes")).json()["items"] == []
