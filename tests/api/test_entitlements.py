"""Statuses with validity, grace, suspension, end and renewal."""

from __future__ import annotations

from datetime import date, timedelta

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.clock import today_in_brussels
from app.domain.access import Role
from tests.api.test_auth import assert_problem
from tests.factories import a_region, a_registered_holder, bearer_for


async def _setup(
    client: httpx.AsyncClient, session: AsyncSession, grace_days: int = 0
) -> tuple[dict[str, str], str, str]:
    registered = await a_registered_holder(session, client, grace_days=grace_days)
    return registered.registry, registered.passholder_id, registered.region.id


async def test_a_kansenstatuut_ends_by_default_on_30_april_of_next_year(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    registry, holder_id, region_id = await _setup(client, session)
    response = await client.post(
        f"/v1/passholders/{holder_id}/entitlements",
        headers=registry,
        json={
            "type": "kansenstatuut",
            "region_id": region_id,
            "valid_from": "2026-09-01",
            "evidence": "OCMW-beslissing 2026/123",
        },
    )
    assert response.status_code == 201, response.text
    granted = response.json()
    assert granted["valid_until"] == "2027-04-30"
    assert granted["evidence"] == "OCMW-beslissing 2026/123"
    assert granted["source"].startswith("manual:")
    assert granted["renews_id"] is None


async def test_status_on_a_date_follows_validity_grace_suspension_and_end(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    registry, holder_id, region_id = await _setup(client, session, grace_days=30)
    today = today_in_brussels()
    url = f"/v1/passholders/{holder_id}/entitlements"
    granted = (
        await client.post(
            url,
            headers=registry,
            json={
                "type": "kansenstatuut",
                "region_id": region_id,
                "valid_from": (today - timedelta(days=100)).isoformat(),
                "valid_until": (today + timedelta(days=10)).isoformat(),
            },
        )
    ).json()

    def status_on(day: date) -> str:
        return day.isoformat()

    async def status(day: date) -> str:
        page = (await client.get(url, headers=registry, params={"on": status_on(day)})).json()
        assert page["on"] == day.isoformat()
        return str(page["items"][0]["status"])

    assert await status(today - timedelta(days=101)) == "future"
    assert await status(today) == "active"
    assert await status(today + timedelta(days=25)) == "in_grace"
    assert await status(today + timedelta(days=41)) == "expired"

    suspended = await client.post(
        f"{url}/{granted['id']}/suspend",
        headers=registry,
        json={"until": (today + timedelta(days=3)).isoformat()},
    )
    assert suspended.json()["status"] == "suspended"
    assert await status(today + timedelta(days=4)) == "active"

    ended = await client.post(
        f"{url}/{granted['id']}/end",
        headers=registry,
        json={"on": (today + timedelta(days=5)).isoformat()},
    )
    assert ended.json()["ended_on"] == (today + timedelta(days=5)).isoformat()
    assert await status(today + timedelta(days=6)) == "ended"
    again = await client.post(
        f"{url}/{granted['id']}/end", headers=registry, json={"on": today.isoformat()}
    )
    assert_problem(again, 409, "entitlement-ended")


async def test_a_renewal_adds_a_period_and_keeps_the_old_one(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    registry, holder_id, region_id = await _setup(client, session)
    url = f"/v1/passholders/{holder_id}/entitlements"
    first = (
        await client.post(
            url,
            headers=registry,
            json={
                "type": "kansenstatuut",
                "region_id": region_id,
                "valid_from": "2025-05-01",
                "valid_until": "2026-04-30",
            },
        )
    ).json()
    renewal = await client.post(
        url,
        headers=registry,
        json={
            "type": "kansenstatuut",
            "region_id": region_id,
            "valid_from": "2026-04-15",
            "valid_until": "2027-04-30",
        },
    )
    assert renewal.status_code == 201
    renewed = renewal.json()
    assert renewed["renews_id"] == first["id"]
    assert renewed["valid_from"] == "2026-05-01"
    periods = (await client.get(url, headers=registry)).json()["items"]
    assert [(p["valid_from"], p["valid_until"]) for p in periods] == [
        ("2025-05-01", "2026-04-30"),
        ("2026-05-01", "2027-04-30"),
    ]
    covered = await client.post(
        url,
        headers=registry,
        json={
            "type": "kansenstatuut",
            "region_id": region_id,
            "valid_from": "2026-06-01",
            "valid_until": "2027-01-31",
        },
    )
    problem = assert_problem(covered, 409, "entitlement-exists")
    assert problem["existing_id"] == renewed["id"]


async def test_unknown_types_and_inverted_dates_are_refused(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    registry, holder_id, region_id = await _setup(client, session)
    url = f"/v1/passholders/{holder_id}/entitlements"
    unknown = await client.post(
        url,
        headers=registry,
        json={"type": "vip", "region_id": region_id, "valid_from": "2026-01-01"},
    )
    assert assert_problem(unknown, 422, "validation-failed")["errors"][0]["pointer"] == "/type"
    inverted = await client.post(
        url,
        headers=registry,
        json={"type": "leefloon", "valid_from": "2026-05-01", "valid_until": "2026-04-01"},
    )
    problem = assert_problem(inverted, 422, "validation-failed")
    assert problem["errors"][0]["pointer"] == "/valid_until"


async def test_a_registry_grants_no_status_for_another_region(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    registry, holder_id, _ = await _setup(client, session)
    other = await a_region(session)
    response = await client.post(
        f"/v1/passholders/{holder_id}/entitlements",
        headers=registry,
        json={"type": "kansenstatuut", "region_id": other.id, "valid_from": "2026-01-01"},
    )
    assert_problem(response, 403, "forbidden")


@pytest.mark.parametrize(
    ("region_id", "valid_until"),
    [
        ("foo", None),
        ("00000000-0000-4000-8000-000000000000", None),
        ("00000000-0000-4000-8000-000000000000", "2026-12-31"),
    ],
)
async def test_a_status_for_a_region_that_does_not_exist_is_refused_with_a_pointer(
    client: httpx.AsyncClient, session: AsyncSession, region_id: str, valid_until: str | None
) -> None:
    _, holder_id, _ = await _setup(client, session)
    admin = await bearer_for(session, Role.ADMIN)
    response = await client.post(
        f"/v1/passholders/{holder_id}/entitlements",
        headers=admin,
        json={
            "type": "kansenstatuut",
            "region_id": region_id,
            "valid_from": "2026-09-01",
            "valid_until": valid_until,
        },
    )
    problem = assert_problem(response, 422, "validation-failed")
    assert problem["errors"][0]["pointer"] == "/region_id"
    statuses = (
        await client.get(f"/v1/passholders/{holder_id}/entitlements", headers=admin)
    ).json()["items"]
    assert statuses == []
