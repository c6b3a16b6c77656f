"""Who may read which report: each role on its own tenant, nobody on another's."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.regions import RegionRow
from app.domain.access import Role
from tests.api.test_auth import assert_problem
from tests.factories import a_partner, a_region, bearer_for
from tests.reports.factories import Line, a_passholder, a_sale, an_offer

YEAR_2026 = {"from": "2026-01-01", "to": "2027-01-01"}
SETTLEMENT = "/v1/reports/settlement"
PARTICIPATION = "/v1/reports/participation"
NON_TAKE_UP = "/v1/reports/non-take-up"


@dataclass
class Tenants:
    home: RegionRow
    away: RegionRow
    partner: str
    neighbour: str
    away_partner: str


async def two_regions(session: AsyncSession) -> Tenants:
    """Two regions; the home region has two partners, each with one sale of €95.20 discount."""
    home, away = await a_region(session), await a_region(session)
    partner = await a_partner(session, home, name="Eigen partner")
    neighbour = await a_partner(session, home, name="Buur")
    away_partner = await a_partner(session, away, name="Elders")
    for owner, region in ((partner, home), (neighbour, home), (away_partner, away)):
        holder = await a_passholder(session, region)
        await a_sale(
            session, owner, [Line(holder, await an_offer(session, owner), date(2026, 5, 1))]
        )
    await session.commit()
    return Tenants(home, away, partner, neighbour, away_partner)


async def discount(client: httpx.AsyncClient, headers: dict[str, str], **params: str) -> int:
    response = await client.get(SETTLEMENT, headers=headers, params={**YEAR_2026, **params})
    assert response.status_code == 200, response.text
    return int(response.json()["total"]["discount_cents"])


async def test_a_partner_admin_settles_its_own_partner_only(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    t = await two_regions(session)
    headers = await bearer_for(session, Role.PARTNER_ADMIN, partner_id=t.partner)
    closed = {"from": "2026-01-01", "to": "2026-07-01"}  # a partner settles closed months

    assert await discount(client, headers, **closed) == 9_520
    assert await discount(client, headers, partner_id=t.partner, **closed) == 9_520
    for params in (
        {"partner_id": t.neighbour},
        {"partner_id": t.away_partner},
        {"partner_id": str(uuid.uuid4())},
        {"region_id": t.home.id},
    ):
        response = await client.get(SETTLEMENT, headers=headers, params={**closed, **params})
        assert_problem(response, 403, "forbidden")


@pytest.mark.parametrize("role", [Role.REGION_ADMIN, Role.REPORTER])
async def test_a_region_role_settles_its_region_or_one_of_its_partners(
    client: httpx.AsyncClient, session: AsyncSession, role: Role
) -> None:
    t = await two_regions(session)
    headers = await bearer_for(session, role, region_id=t.home.id)

    assert await discount(client, headers) == 2 * 9_520
    assert await discount(client, headers, region_id=t.home.id) == 2 * 9_520
    assert await discount(client, headers, partner_id=t.neighbour) == 9_520
    for params in (
        {"region_id": t.away.id},
        {"partner_id": t.away_partner},
        {"region_id": str(uuid.uuid4())},
    ):
        response = await client.get(SETTLEMENT, headers=headers, params={**YEAR_2026, **params})
        assert_problem(response, 403, "forbidden")


@pytest.mark.parametrize("role", [Role.REGION_ADMIN, Role.REPORTER])
async def test_a_region_role_reads_participation_and_non_take_up_of_its_region_only(
    client: httpx.AsyncClient, session: AsyncSession, role: Role
) -> None:
    t = await two_regions(session)
    headers = await bearer_for(session, role, region_id=t.home.id)

    for path in (PARTICIPATION, NON_TAKE_UP):
        own = await client.get(path, headers=headers, params={"region_id": t.home.id})
        implied = await client.get(path, headers=headers)
        other = await client.get(path, headers=headers, params={"region_id": t.away.id})
        assert own.status_code == implied.status_code == 200
        assert own.json()["region_id"] == implied.json()["region_id"] == t.home.id
        assert_problem(other, 403, "forbidden")


async def test_an_admin_reads_every_report_of_any_tenant_but_must_name_it(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    t = await two_regions(session)
    admin = await bearer_for(session, Role.ADMIN)

    assert await discount(client, admin, region_id=t.away.id) == 9_520
    assert await discount(client, admin, partner_id=t.neighbour) == 9_520
    for path in (PARTICIPATION, NON_TAKE_UP):
        response = await client.get(path, headers=admin, params={"region_id": t.away.id})
        assert response.status_code == 200
        unnamed = await client.get(path, headers=admin)
        assert_problem(unnamed, 422, "validation-failed")
    assert_problem(await client.get(SETTLEMENT, headers=admin), 422, "validation-failed")


async def test_an_admin_learns_that_an_unknown_tenant_does_not_exist(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    admin = await bearer_for(session, Role.ADMIN)
    nobody = str(uuid.uuid4())

    for path, params in (
        (SETTLEMENT, {"partner_id": nobody}),
        (SETTLEMENT, {"region_id": nobody}),
        (PARTICIPATION, {"region_id": nobody}),
        (NON_TAKE_UP, {"region_id": nobody}),
    ):
        assert_problem(await client.get(path, headers=admin, params=params), 404, "not-found")
    malformed = await client.get(SETTLEMENT, headers=admin, params={"partner_id": "not-an-id"})
    assert assert_problem(malformed, 422, "validation-failed")["errors"] == [
        {"parameter": "partner_id", "detail": "not a valid id"}
    ]


async def test_a_partner_admin_reads_its_own_partners_participation_but_no_region_figures(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    t = await two_regions(session)
    # Enough people at both partners of the home region that nothing is suppressed: five
    # more at the own partner (1 ticket each), seven at the neighbour (2 tickets each).
    for owner, people, tickets in ((t.partner, 5, 1), (t.neighbour, 7, 2)):
        offer = await an_offer(session, owner)
        for _ in range(people):
            holder = await a_passholder(session, t.home)
            await a_sale(session, owner, [Line(holder, offer, date(2026, 5, 2), quantity=tickets)])
    await session.commit()
    headers = await bearer_for(session, Role.PARTNER_ADMIN, partner_id=t.partner)

    own = await client.get(
        PARTICIPATION, headers=headers, params={"group_by": "partner", **YEAR_2026}
    )
    assert own.status_code == 200, own.text
    body = own.json()
    assert body["partner_id"] == t.partner
    assert body["region_id"] == t.home.id
    # Only the own partner's six people and six tickets, in one cell of its own.
    assert (body["total"]["passholders"], body["total"]["tickets"]) == (6, 6)
    assert [cell["key"] for cell in body["cells"]] == [t.partner]
    neighbours = await client.get(
        PARTICIPATION, headers=headers, params={"partner_id": t.neighbour}
    )
    assert_problem(neighbours, 403, "forbidden")
    for path in (PARTICIPATION, NON_TAKE_UP):
        response = await client.get(path, headers=headers, params={"region_id": t.home.id})
        assert_problem(response, 403, "forbidden")


@pytest.mark.parametrize(("role", "tenant"), [(Role.DESK, "partner"), (Role.REGISTRY, "region")])
async def test_desks_and_registries_read_no_reports(
    client: httpx.AsyncClient, session: AsyncSession, role: Role, tenant: str
) -> None:
    t = await two_regions(session)
    if tenant == "partner":
        headers = await bearer_for(session, role, partner_id=t.partner)
    else:
        headers = await bearer_for(session, role, region_id=t.home.id)

    for path in (SETTLEMENT, PARTICIPATION, NON_TAKE_UP):
        assert_problem(await client.get(path, headers=headers), 403, "forbidden")


async def test_reports_need_a_token(client: httpx.AsyncClient) -> None:
    for path in (SETTLEMENT, PARTICIPATION, NON_TAKE_UP):
        assert_problem(await client.get(path), 401, "unauthorized")
