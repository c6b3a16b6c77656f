"""A region admin of another region reaches nothing of this region's organisations: every
organisation, allocation and voucher route refuses them, and nothing changes.

An organisation or voucher the stranger may not see answers 404 `not-found`; a route
whose role they lack, or a region they have no grant in, answers 403.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.access import Role
from tests.api.support_organisations import (
    VOUCHER_SCHEME,
    OrganisationWorld,
    a_voucher,
    an_allocation,
    an_organisation_world,
)
from tests.api.test_auth import assert_problem
from tests.factories import a_region, bearer_for

# (method, path, body, Accept, status, code); {organisation}, {region}, {allocation} and
# {voucher} are this region's.
ATTEMPTS = [
    pytest.param(
        "PATCH",
        "/v1/organisations/{organisation}",
        {"name": "Overgenomen"},
        None,
        404,
        "not-found",
        id="rename-organisation",
    ),
    pytest.param(
        "PATCH",
        "/v1/organisations/{organisation}",
        {"kind": "school"},
        None,
        404,
        "not-found",
        id="change-kind",
    ),
    pytest.param(
        "POST",
        "/v1/organisations/{organisation}/allocations",
        {
            "scheme_code": VOUCHER_SCHEME,
            "valid_from": "2027-01-01",
            "valid_until": "2027-12-31",
            "tickets": 50,
        },
        None,
        404,
        "not-found",
        id="grant-allocation",
    ),
    pytest.param(
        "GET",
        "/v1/organisations/{organisation}/allocations",
        None,
        None,
        404,
        "not-found",
        id="list-allocations",
    ),
    pytest.param(
        "GET",
        "/v1/organisations?region_id={region}",
        None,
        None,
        403,
        "forbidden",
        id="list-the-regions-organisations",
    ),
    pytest.param(
        "POST",
        "/v1/organisations/{organisation}/vouchers",
        {"allocation_id": "{allocation}", "people": 1},
        None,
        403,
        "forbidden",
        id="issue-voucher",
    ),
    pytest.param(
        "GET",
        "/v1/organisations/{organisation}/vouchers",
        None,
        None,
        404,
        "not-found",
        id="list-vouchers",
    ),
    pytest.param(
        "GET",
        "/v1/vouchers/{voucher}",
        None,
        None,
        404,
        "voucher-not-found",  # as for a code never issued
        id="read-voucher",
    ),
    pytest.param(
        "GET",
        "/v1/vouchers/{voucher}",
        None,
        "image/svg+xml",
        404,
        "voucher-not-found",  # as for a code never issued
        id="print-voucher",
    ),
    pytest.param(
        "POST",
        "/v1/vouchers/{voucher}/revoke",
        None,
        None,
        403,
        "forbidden",
        id="revoke-voucher",
    ),
]


async def _state(client: httpx.AsyncClient, world: OrganisationWorld) -> dict[str, Any]:
    """What this region's own admin and social worker see of the organisation."""
    organisation = f"/v1/organisations/{world.organisation_id}"
    region = world.desk_world.region.id
    answers = {
        "organisation": await client.get(organisation, headers=world.region_admin),
        "organisations": await client.get(
            f"/v1/organisations?region_id={region}", headers=world.region_admin
        ),
        "allocations": await client.get(f"{organisation}/allocations", headers=world.region_admin),
        "vouchers": await client.get(f"{organisation}/vouchers", headers=world.social_worker),
    }
    for name, answer in answers.items():
        assert answer.status_code == 200, (name, answer.text)
    return {name: answer.json() for name, answer in answers.items()}


def _filled(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**names)
    if isinstance(value, dict):
        return {key: _filled(item, names) for key, item in value.items()}
    return value


@pytest.mark.parametrize(("method", "path", "body", "accept", "status", "code"), ATTEMPTS)
async def test_a_region_admin_of_another_region_is_refused_and_changes_nothing(
    client: httpx.AsyncClient,
    session: AsyncSession,
    method: str,
    path: str,
    body: dict[str, Any] | None,
    accept: str | None,
    status: int,
    code: str,
) -> None:
    world = await an_organisation_world(session, client)
    allocation = await an_allocation(client, world, tickets=10)
    voucher = await a_voucher(client, world, allocation["id"], people=3)
    elsewhere = await a_region(session)
    stranger = await bearer_for(session, Role.REGION_ADMIN, region_id=elsewhere.id)
    names = {
        "organisation": world.organisation_id,
        "region": world.desk_world.region.id,
        "allocation": allocation["id"],
        "voucher": voucher["code"],
    }
    before = await _state(client, world)
    assert before["allocations"]["items"][0]["tickets_used"] == 3
    assert before["vouchers"]["items"][0]["status"] == "active"

    headers = {**stranger, **({"Accept": accept} if accept else {})}
    response = await client.request(
        method, _filled(path, names), headers=headers, json=_filled(body, names)
    )

    assert_problem(response, status, code)
    assert await _state(client, world) == before


async def test_a_region_admin_of_another_region_lists_none_of_this_regions_organisations(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world = await an_organisation_world(session, client)
    elsewhere = await a_region(session)
    stranger = await bearer_for(session, Role.REGION_ADMIN, region_id=elsewhere.id)
    made = await client.post(
        "/v1/organisations",
        headers=stranger,
        json={"name": "Vzw Elders", "region_id": elsewhere.id, "kind": "association"},
    )
    assert made.status_code == 201, made.text

    listed = await client.get("/v1/organisations", headers=stranger)

    assert listed.status_code == 200, listed.text
    assert [o["id"] for o in listed.json()["items"]] == [made.json()["id"]]
    assert world.organisation_id != made.json()["id"]


async def test_another_regions_voucher_answers_as_an_unknown_code_does(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world = await an_organisation_world(session, client)
    allocation = await an_allocation(client, world)
    voucher = await a_voucher(client, world, allocation["id"])
    elsewhere = await a_region(session)
    stranger = await bearer_for(session, Role.REGION_ADMIN, region_id=elsewhere.id)
    unknown = voucher["code"][:-1] + ("2" if voucher["code"][-1] != "2" else "3")

    theirs = await client.get(f"/v1/vouchers/{voucher['code']}", headers=stranger)
    nothing = await client.get(f"/v1/vouchers/{unknown}", headers=stranger)

    assert_problem(nothing, 404, "voucher-not-found")
    assert (theirs.status_code, theirs.json()["code"]) == (404, "voucher-not-found")
