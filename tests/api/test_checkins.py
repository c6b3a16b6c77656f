"""Check-ins: a desk records a visit to a free activity on a card or a voucher, at most once
per bearer, offer and day; another partner's desk cannot."""

from __future__ import annotations

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.tables import audit_log, checkins
from app.domain.access import Role
from tests.api.support_organisations import a_voucher, an_allocation, an_organisation_world
from tests.api.test_auth import assert_problem
from tests.factories import a_partner, bearer_for


async def test_a_card_visit_is_recorded_once_a_day_and_audited(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world = await an_organisation_world(session, client)
    body = {"card_number": world.desk_world.card_number, "offer_id": world.offer_id}

    first = await client.post("/v1/checkins", headers=world.desk, json=body)
    assert first.status_code == 201, first.text
    assert (first.json()["people"], first.json()["recorded"]) == (1, True)
    again = await client.post("/v1/checkins", headers=world.desk, json=body)
    assert again.status_code == 200, again.text
    assert (again.json()["id"], again.json()["recorded"]) == (first.json()["id"], False)
    assert "Sofie" not in again.text

    count = await session.scalar(sa.select(sa.func.count()).select_from(checkins))
    assert count == 1
    audited = await session.scalar(
        sa.select(sa.func.count()).select_from(audit_log).where(audit_log.c.action == "checkin")
    )
    assert audited == 2


async def test_a_voucher_visit_counts_its_people(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world = await an_organisation_world(session, client)
    allocation = await an_allocation(client, world)
    voucher = await a_voucher(client, world, allocation["id"], people=4)
    response = await client.post(
        "/v1/checkins",
        headers=world.desk,
        json={"voucher_code": voucher["printed_code"], "offer_id": world.offer_id},
    )
    assert response.status_code == 201, response.text
    assert response.json()["people"] == 4

    await client.post(f"/v1/vouchers/{voucher['code']}/revoke", headers=world.social_worker)
    revoked = await client.post(
        "/v1/checkins",
        headers=world.desk,
        json={"voucher_code": voucher["code"], "offer_id": world.offer_id},
    )
    assert_problem(revoked, 409, "voucher-revoked")


async def test_a_desk_of_another_partner_cannot_check_in_here_and_one_bearer_is_needed(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world = await an_organisation_world(session, client)
    other = await a_partner(session, world.desk_world.region, name="Andere zaal")
    other_desk = await bearer_for(session, Role.DESK, partner_id=other)
    body = {"card_number": world.desk_world.card_number, "offer_id": world.offer_id}
    assert_problem(
        await client.post("/v1/checkins", headers=other_desk, json=body), 403, "forbidden"
    )
    neither = await client.post(
        "/v1/checkins", headers=world.desk, json={"offer_id": world.offer_id}
    )
    assert_problem(neither, 422, "validation-failed")
    unknown = await client.post(
        "/v1/checkins",
        headers=world.desk,
        json={"card_number": "0000000000000", "offer_id": world.offer_id},
    )
    assert unknown.status_code in (404, 422), unknown.text


async def test_participation_counts_visits_beside_tickets(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    from app.clock import today_in_brussels
    from app.db import reports as db_reports
    from app.db.reports import Scope
    from app.domain.reports import calendar_year_of

    world = await an_organisation_world(session, client)
    allocation = await an_allocation(client, world)
    voucher = await a_voucher(client, world, allocation["id"], people=3)
    for body in (
        {"card_number": world.desk_world.card_number, "offer_id": world.offer_id},
        {"voucher_code": voucher["code"], "offer_id": world.offer_id},
    ):
        assert (await client.post("/v1/checkins", headers=world.desk, json=body)).is_success

    scope = Scope(region_id=world.desk_world.region.id)
    period = calendar_year_of(today_in_brussels())
    cells, total = await db_reports.participation(session, scope, period, "month")
    assert (total.visits, total.tickets, total.passholders) == (4, 0, 0)
    assert [(c.figures.visits, c.figures.tickets) for c in cells] == [(4, 0)]
    by_residence, _ = await db_reports.participation(session, scope, period, "municipality")
    assert {(c.key, c.figures.visits) for c in by_residence} == {
        ("anonymous", 3),
        (world.desk_world.region.municipalities[0].nis_code, 1),
    }
