"""Regions and municipalities: created by an admin, read by anyone."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.access import Role
from tests.api.test_auth import assert_problem
from tests.factories import a_region, bearer_for, next_nis


def kortrijk(code: str = "REGIO_KORTRIJK") -> dict[str, Any]:
    return {
        "code": code,
        "name": "UiTPAS Regio Kortrijk",
        "status_grace_days": 30,
        "municipalities": [
            {"nis_code": next_nis(), "name": "Kortrijk", "postal_codes": ["8500", "8501"]},
            {"nis_code": next_nis(), "name": "Kuurne", "postal_codes": ["8520"]},
        ],
    }


async def test_an_admin_creates_a_region_with_its_municipalities(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    admin = await bearer_for(session, Role.ADMIN)
    payload = kortrijk()
    response = await client.post("/v1/regions", headers=admin, json=payload)

    assert response.status_code == 201, response.text
    region = response.json()
    assert region["code"] == "REGIO_KORTRIJK"
    assert region["status_grace_days"] == 30
    assert region["default_status_end"] == "04-30"
    assert [m["name"] for m in region["municipalities"]] == ["Kortrijk", "Kuurne"]
    assert region["municipalities"][0]["postal_codes"] == ["8500", "8501"]
    fetched = await client.get(f"/v1/regions/{region['id']}")
    assert fetched.json() == region


async def test_a_second_region_with_the_same_code_is_a_conflict(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    admin = await bearer_for(session, Role.ADMIN)
    assert (await client.post("/v1/regions", headers=admin, json=kortrijk())).status_code == 201
    again = await client.post("/v1/regions", headers=admin, json=kortrijk())
    assert_problem(again, 409, "already-exists")


async def test_a_municipality_belongs_to_one_region_only(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    admin = await bearer_for(session, Role.ADMIN)
    first = kortrijk("FIRST")
    assert (await client.post("/v1/regions", headers=admin, json=first)).status_code == 201
    second = kortrijk("SECOND")
    second["municipalities"][1] = first["municipalities"][0]
    response = await client.post("/v1/regions", headers=admin, json=second)
    body = assert_problem(response, 409, "municipality-taken")
    assert body["nis_codes"] == [first["municipalities"][0]["nis_code"]]


async def test_invalid_fields_are_listed_by_json_pointer(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    admin = await bearer_for(session, Role.ADMIN)
    payload = kortrijk("lower case")
    payload["municipalities"][1]["nis_code"] = "3402"
    payload["municipalities"][0]["postal_codes"] = ["850"]
    payload["colour"] = "blue"
    response = await client.post("/v1/regions", headers=admin, json=payload)
    body = assert_problem(response, 422, "validation-failed")
    pointers = {error["pointer"] for error in body["errors"]}
    assert pointers == {
        "/code",
        "/municipalities/1/nis_code",
        "/municipalities/0/postal_codes/0",
        "/colour",
    }


async def test_a_region_lists_each_municipality_once(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    admin = await bearer_for(session, Role.ADMIN)
    payload = kortrijk()
    payload["municipalities"][1]["nis_code"] = payload["municipalities"][0]["nis_code"]
    response = await client.post("/v1/regions", headers=admin, json=payload)
    assert_problem(response, 422, "validation-failed")


async def test_only_an_admin_creates_regions(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    region = await a_region(session)
    region_admin = await bearer_for(session, Role.REGION_ADMIN, region_id=region.id)
    response = await client.post("/v1/regions", headers=region_admin, json=kortrijk())
    assert_problem(response, 403, "forbidden")


async def test_regions_are_listed_page_by_page_with_a_cursor(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    codes = sorted(f"PAGE_{i}" for i in range(5))
    for code in codes:
        await a_region(session, code=code)
    seen: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, str | int] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get("/v1/regions", params=params)).json()
        assert len(page["items"]) <= 2
        seen += [item["code"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [code for code in seen if code.startswith("PAGE_")] == codes
    assert seen == sorted(seen)


async def test_a_forged_cursor_is_a_validation_error(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/regions", params={"cursor": "not-a-cursor"})
    body = assert_problem(response, 422, "validation-failed")
    assert body["errors"] == [{"parameter": "cursor", "detail": "invalid cursor"}]


async def test_an_unknown_region_id_is_not_found_in_the_callers_language(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get(
        "/v1/regions/8d3c7a42-0000-4000-8000-000000000000",
        headers={"Accept-Language": "en-GB,en;q=0.8,nl;q=0.5"},
    )
    body = assert_problem(response, 404, "not-found")
    assert body["end_user_message"] == "We cannot find this."
    assert response.headers["content-language"] == "en"


async def test_a_german_speaking_caller_gets_the_problem_in_german(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get(
        "/v1/regions/8d3c7a42-0000-4000-8000-000000000000",
        headers={"Accept-Language": "de-BE,de;q=0.9,fr;q=0.5"},
    )
    body = assert_problem(response, 404, "not-found")
    assert body["end_user_message"] == "Wir finden dies nicht."
    # The title stays the developer's English, as in every language.
    assert body["title"] == "Not found"
    assert response.headers["content-language"] == "de"
