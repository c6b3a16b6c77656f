"""The allocations report: per organisation and scheme, tickets allocated, issued,
redeemed, expired and revoked; and voucher tickets in participation, as tickets, never
as people."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.clock import today_in_brussels
from app.db import reports as db_reports
from app.db.reports import Scope
from app.db.tables import vouchers
from app.domain.access import Role
from app.domain.reports import calendar_year_of
from app.spreadsheets import XLSX_MEDIA_TYPE
from tests.api.support_organisations import (
    VOUCHER_SCHEME,
    OrganisationWorld,
    a_voucher,
    an_allocation,
    an_organisation_world,
)
from tests.api.test_auth import assert_problem
from tests.factories import a_region, bearer_for
from tests.reports.factories import read_csv, read_xlsx


async def _sold_on(client: httpx.AsyncClient, world: OrganisationWorld, code: str, n: int) -> None:
    quoted = await client.post(
        "/v1/quotes",
        headers=world.desk,
        json={
            "voucher_code": code,
            "offer_id": world.offer_id,
            "price_class": "standard",
            "quantity": n,
        },
    )
    sold = await client.post(
        "/v1/sales",
        headers={**world.desk, "Idempotency-Key": uuid.uuid4().hex},
        json={
            "items": [
                {
                    "voucher_code": code,
                    "offer_id": world.offer_id,
                    "price_class": "standard",
                    "tariff_id": quoted.json()["best_tariff_id"],
                    "quantity": n,
                }
            ]
        },
    )
    assert sold.status_code == 201, sold.text


async def _a_year_of_vouchers(
    session: AsyncSession, client: httpx.AsyncClient
) -> OrganisationWorld:
    world = await an_organisation_world(session, client)
    allocation = await an_allocation(client, world, tickets=10)
    await an_allocation(client, world, tickets=5, organisation_id=world.other_organisation_id)
    used = await a_voucher(client, world, allocation["id"], people=2)
    await _sold_on(client, world, used["code"], 2)
    revoked = await a_voucher(client, world, allocation["id"], people=3)
    await client.post(f"/v1/vouchers/{revoked['code']}/revoke", headers=world.social_worker)
    expired = await a_voucher(client, world, allocation["id"], people=4)
    await _sold_on(client, world, expired["code"], 1)
    await session.execute(
        sa.update(vouchers)
        .where(vouchers.c.code == expired["code"])
        .values(valid_until=date(2021, 1, 1))
    )
    return world


async def test_a_region_admin_sees_each_organisations_allocated_issued_redeemed_expired_revoked(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world = await _a_year_of_vouchers(session, client)
    response = await client.get(
        "/v1/reports/allocations",
        headers=world.region_admin,
        params={"region_id": world.desk_world.region.id},
    )
    assert response.status_code == 200, response.text
    lines = {line["organisation_id"]: line for line in response.json()["lines"]}
    assert lines[world.organisation_id] == {
        "organisation_id": world.organisation_id,
        "organisation_name": "Welzijnsschakel De Brug",
        "scheme_code": VOUCHER_SCHEME,
        "allocated": 10,
        "issued": 9,
        "redeemed": 3,
        "expired": 3,
        "revoked": 3,
    }
    assert (
        lines[world.other_organisation_id]["allocated"],
        lines[world.other_organisation_id]["issued"],
    ) == (5, 0)


async def test_a_social_worker_sees_only_their_own_organisations_allocations(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world = await _a_year_of_vouchers(session, client)
    own = await client.get("/v1/reports/allocations", headers=world.other_social_worker)
    assert own.status_code == 200, own.text
    assert [line["organisation_id"] for line in own.json()["lines"]] == [
        world.other_organisation_id
    ]
    elsewhere = await a_region(session)
    refused = await client.get(
        "/v1/reports/allocations",
        headers=world.social_worker,
        params={"region_id": elsewhere.id},
    )
    assert_problem(refused, 403, "forbidden")
    stranger = await bearer_for(session, Role.REPORTER, region_id=elsewhere.id)
    refused = await client.get(
        "/v1/reports/allocations",
        headers=stranger,
        params={"region_id": world.desk_world.region.id},
    )
    assert_problem(refused, 403, "forbidden")
    assert_problem(
        await client.get("/v1/reports/allocations", headers=world.desk), 403, "forbidden"
    )


async def test_the_allocations_report_as_csv_has_a_total_row(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world = await _a_year_of_vouchers(session, client)
    response = await client.get(
        "/v1/reports/allocations",
        headers={**world.region_admin, "Accept": "text/csv", "Accept-Language": "en"},
        params={"region_id": world.desk_world.region.id},
    )
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    rows = read_csv(response)
    assert rows[0] == [
        "organisation",
        "name",
        "scheme",
        "scheme name",
        "allocated",
        "issued",
        "redeemed",
        "expired",
        "revoked",
        "first day",
        "last day",
    ]
    assert rows[-1][:9] == ["total", "", "", "", "15", "9", "3", "3", "3"]


async def test_the_allocations_report_as_xlsx_has_the_json_figures_and_a_total_row(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world = await _a_year_of_vouchers(session, client)
    params = {"region_id": world.desk_world.region.id}
    as_json = await client.get("/v1/reports/allocations", headers=world.region_admin, params=params)
    as_xlsx = await client.get(
        "/v1/reports/allocations",
        headers={**world.region_admin, "Accept": XLSX_MEDIA_TYPE, "Accept-Language": "en"},
        params=params,
    )
    assert as_xlsx.status_code == 200, as_xlsx.text
    assert as_xlsx.headers["content-disposition"] == (
        'attachment; filename="allocations_{}_{}.xlsx"'.format(
            as_json.json()["from_date"], as_json.json()["to_date"]
        )
    )

    title, [header, *rows, total] = read_xlsx(as_xlsx)

    assert title == "Allocations"
    assert header == [
        "organisation",
        "name",
        "scheme",
        "scheme name",
        "allocated",
        "issued",
        "redeemed",
        "expired",
        "revoked",
        "first day",
        "last day",
    ]
    figures = ("allocated", "issued", "redeemed", "expired", "revoked")
    # Each line of the JSON answer is a row, its figures numbers, not text.
    assert [row[:3] + row[4:9] for row in rows] == [
        [line["organisation_id"], line["organisation_name"], line["scheme_code"]]
        + [line[name] for name in figures]
        for line in as_json.json()["lines"]
    ]
    assert {row[0]: row[4:9] for row in rows}[world.organisation_id] == [10, 9, 3, 3, 3]
    assert total[:9] == ["total", None, None, None, 15, 9, 3, 3, 3]
    assert total[4:9] == [sum(line[name] for line in as_json.json()["lines"]) for name in figures]
    # The period's first and last day as dates (the JSON's `to_date` is exclusive).
    first = datetime.fromisoformat(as_json.json()["from_date"])
    last = datetime.fromisoformat(as_json.json()["to_date"]) - timedelta(days=1)
    assert {(row[9], row[10]) for row in [*rows, total]} == {(first, last)}


async def test_voucher_tickets_count_in_participation_as_tickets_never_as_people(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world = await _a_year_of_vouchers(session, client)
    period = calendar_year_of(today_in_brussels())
    scope = Scope(region_id=world.desk_world.region.id)

    cells, total = await db_reports.participation(session, scope, period, "month")
    assert (total.tickets, total.anonymous_tickets, total.passholders) == (3, 3, 0)
    assert [(c.figures.passholders, c.figures.anonymous_tickets) for c in cells] == [(0, 3)]

    by_residence, _ = await db_reports.participation(session, scope, period, "municipality")
    assert [(c.key, c.figures.tickets, c.figures.passholders) for c in by_residence] == [
        ("anonymous", 3, 0)
    ]


async def test_the_settlement_shows_what_each_organisation_owes_for_its_vouchers(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world = await _a_year_of_vouchers(session, client)
    response = await client.get(
        "/v1/reports/settlement",
        headers=world.region_admin,
        params={"region_id": world.desk_world.region.id},
    )
    assert response.status_code == 200, response.text
    owed = [
        (line["payer_ref"], line["tickets"], line["amount_cents"])
        for line in response.json()["lines"]
        if line["payer"] == "organisation"
    ]
    # Three tickets redeemed, €1.25 each from the organisation.
    assert owed == [(world.organisation_id, 3, 375)]
