"""Values at the edge of what Python and the database hold get a clear 422, never a 500.

Found by an integrator's trial run: a sales list from 0001-01-01, an offer on 9999-12-31
at 23:30 UTC (next year in Brussels), a scheme that allows 2**63 tickets. Each was a 500 —
some only later, at every desk that quoted or sold.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.tables import offers, schemes
from app.domain.access import Role
from tests.api.test_auth import assert_problem
from tests.api.test_desk import quote, sell
from tests.api.test_schemes import kansentarief
from tests.factories import a_desk_world, a_partner, a_region, an_insz, bearer_for, passholder_body


def errors_of(response: httpx.Response, status: int, code: str) -> list[dict[str, Any]]:
    return list(assert_problem(response, status, code)["errors"])


@pytest.mark.parametrize("parameter", ["from", "to"])
@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1899-12-31", "3000-01-01"])
async def test_a_sales_list_outside_the_calendar_is_refused(
    client: httpx.AsyncClient, session: AsyncSession, parameter: str, day: str
) -> None:
    region = await a_region(session)
    desk = await bearer_for(session, Role.DESK, partner_id=await a_partner(session, region))

    response = await client.get("/v1/sales", headers=desk, params={parameter: day})

    [error] = errors_of(response, 422, "validation-failed")
    assert error["parameter"] == parameter
    assert "1900-01-01 to 2999-12-31" in error["detail"]


@pytest.mark.parametrize(
    "starts_at", ["9999-12-31T23:30:00+00:00", "0001-01-01T00:30:00+01:00", "3000-01-01T00:00Z"]
)
async def test_an_offer_outside_the_calendar_is_refused_and_not_created(
    client: httpx.AsyncClient, session: AsyncSession, starts_at: str
) -> None:
    region = await a_region(session)
    partner = await a_partner(session, region)
    admin = await bearer_for(session, Role.PARTNER_ADMIN, partner_id=partner)
    before = (await session.execute(sa.select(sa.func.count()).select_from(offers))).scalar_one()

    response = await client.post(
        f"/v1/partners/{partner}/offers",
        headers=admin,
        json={
            "title": "Oudejaarsavond",
            "category": "podium",
            "kind": "one_off",
            "starts_at": starts_at,
            "price_classes": [{"code": "standard", "label": "Standaard", "price_cents": 1_000}],
        },
    )

    [error] = errors_of(response, 422, "validation-failed")
    assert error["pointer"] == "/starts_at"
    after = (await session.execute(sa.select(sa.func.count()).select_from(offers))).scalar_one()
    assert after == before


async def test_a_status_ending_9999_12_31_is_refused_and_not_stored(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    region = await a_region(session)
    registry = await bearer_for(session, Role.REGISTRY, region_id=region.id)
    holder = (
        await client.post("/v1/passholders", headers=registry, json=passholder_body(region))
    ).json()

    response = await client.post(
        f"/v1/passholders/{holder['id']}/entitlements",
        headers=registry,
        json={"type": "kansenstatuut", "valid_from": "2026-01-01", "valid_until": "9999-12-31"},
    )

    [error] = errors_of(response, 422, "validation-failed")
    assert error["pointer"] == "/valid_until"
    listed = await client.get(f"/v1/passholders/{holder['id']}/entitlements", headers=registry)
    assert listed.json()["items"] == []


async def test_an_imported_row_outside_the_calendar_is_rejected_with_its_reason(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    region = await a_region(session)
    registry = await bearer_for(session, Role.REGISTRY, region_id=region.id)
    insz = an_insz(date(1985, 7, 30))

    response = await client.post(
        "/v1/imports/entitlements",
        headers={**registry, "Content-Type": "text/csv"},
        content=(
            "insz,type,valid_from,valid_until\n"
            f"{insz},kansenstatuut,2026-01-01,9999-12-31\n"
            f"{insz},kansenstatuut,9999-12-31,\n"
        ),
    )

    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["rejected"], report["pending"], report["granted"]) == (2, 0, 0)
    assert report["rejections"] == [
        {"row": 1, "reason": "valid_until: give a date from 1900-01-01 to 2999-12-31"},
        {"row": 2, "reason": "valid_from: give a date from 1900-01-01 to 2999-12-31"},
    ]


async def test_a_self_check_for_someone_born_in_the_future_is_refused(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    region = await a_region(session)

    response = await client.post(
        "/v1/eligibility/check",
        json={
            "municipality_nis": region.municipalities[0].nis_code,
            "birth_date": "2999-01-01",
            "statuses": ["kansenstatuut"],
        },
    )

    [error] = errors_of(response, 422, "validation-failed")
    assert error == {"pointer": "/birth_date", "detail": "the birth date lies in the future"}


@pytest.mark.parametrize(
    ("limit", "pointer"),
    [
        ({"count": 2**63}, "/limits/0/count"),
        ({"count": 1_000_001}, "/limits/0/count"),
        ({"discount_cents": 10**25}, "/limits/0/discount_cents"),
        ({"discount_cents": 10_000_001}, "/limits/0/discount_cents"),
    ],
)
async def test_a_scheme_with_a_limit_no_counter_can_hold_is_refused(
    client: httpx.AsyncClient, session: AsyncSession, limit: dict[str, int], pointer: str
) -> None:
    region = await a_region(session)
    editor = await bearer_for(session, Role.REGION_ADMIN, region_id=region.id)
    body = kansentarief(region, code=f"TEST_{uuid.uuid4().hex[:8].upper()}")
    body["limits"] = [{**limit, "per": "passholder", "scope": "offer", "period": "absolute"}]

    response = await client.post("/v1/schemes", headers=editor, json=body)

    problem = assert_problem(response, 422, "invalid-scheme")
    assert pointer in problem["detail"]
    stored = sa.select(sa.func.count()).select_from(schemes).where(schemes.c.code == body["code"])
    assert (await session.execute(stored)).scalar_one() == 0


async def test_the_largest_limits_allowed_still_sell(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    """At the caps, a scheme quotes and sells: the caps fit what the counters store."""
    world = await a_desk_world(session, client)
    editor = await bearer_for(session, Role.REGION_ADMIN, region_id=world.region.id)
    body = kansentarief(world.region, code="TEST_RUIM")
    body["limits"] = [
        {"count": 1_000_000, "per": "passholder", "scope": "offer", "period": "absolute"},
        {"discount_cents": 10_000_000, "per": "passholder", "scope": "scheme", "period": "year"},
    ]
    assert (await client.post("/v1/schemes", headers=editor, json=body)).status_code == 201
    tariffs = (await quote(client, world)).json()["tariffs"]
    [tariff] = [t for t in tariffs if t["scheme_code"] == "TEST_RUIM"]

    sold = await sell(client, world, tariff["tariff_id"])

    assert sold.status_code == 201, sold.text
    assert tariff["remaining"] == 1_000_000


@pytest.mark.parametrize("to", ["2026-11-01", "2026-12-01"])
async def test_a_sales_list_that_ends_before_it_starts_is_refused(
    client: httpx.AsyncClient, session: AsyncSession, to: str
) -> None:
    region = await a_region(session)
    desk = await bearer_for(session, Role.DESK, partner_id=await a_partner(session, region))

    response = await client.get("/v1/sales", headers=desk, params={"from": "2026-12-01", "to": to})

    [error] = errors_of(response, 422, "validation-failed")
    assert error == {"parameter": "to", "detail": "must be after from"}


async def test_the_first_and_last_day_of_the_calendar_are_accepted(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    region = await a_region(session)
    desk = await bearer_for(session, Role.DESK, partner_id=await a_partner(session, region))

    response = await client.get(
        "/v1/sales", headers=desk, params={"from": "1900-01-01", "to": "2999-12-31"}
    )

    assert response.status_code == 200, response.text
    assert response.json() == {"items": [], "next_cursor": None}


@pytest.mark.parametrize("hold", ["yes", "no", 1, 0, "true"])
async def test_hold_is_true_or_false_and_nothing_that_reads_like_it(
    client: httpx.AsyncClient, session: AsyncSession, hold: object
) -> None:
    world = await a_desk_world(session, client)

    response = await client.post(
        "/v1/sales",
        headers={**world.desk, "Idempotency-Key": uuid.uuid4().hex},
        json={
            "items": [
                {
                    "card_number": world.card_number,
                    "offer_id": world.offer_id,
                    "price_class": "standard",
                    "tariff_id": "KORTRIJK_KANSENTARIEF.0",
                }
            ],
            "hold": hold,
        },
    )

    [error] = errors_of(response, 422, "validation-failed")
    assert error["pointer"] == "/hold"
