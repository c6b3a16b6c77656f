"""The dashboard's downloads: the settlement and the participation of the page's period as
CSV and XLSX, the API's own files with the API's figures, for a logged-in coordinator."""

from __future__ import annotations

from decimal import Decimal

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.access import Role
from app.spreadsheets import XLSX_MEDIA_TYPE
from tests.api.test_staff import activate, browser, log_in, new_staff
from tests.factories import bearer_for
from tests.reports.factories import cents, read_csv, read_xlsx
from tests.reports.test_settlement import YEAR_2026, a_settlement_world

__all__ = ["browser"]  # the fixture, used by name

PERIOD = {"from": "2026-01", "to": "2026-12"}


async def test_a_reporter_downloads_the_settlement_and_participation_with_the_apis_figures(
    session: AsyncSession, client: httpx.AsyncClient, browser: httpx.AsyncClient
) -> None:
    world = await a_settlement_world(session)
    region_admin = await bearer_for(session, Role.REGION_ADMIN, region_id=world.region.id)
    staff = await new_staff(
        client, region_admin, f"/v1/regions/{world.region.id}/staff", "reporter", "c@stad.be"
    )
    await activate(browser, staff["activation_url"])
    await log_in(browser, staff["email"])
    asked = {"region_id": world.region.id, **YEAR_2026}
    settlement = (
        await client.get("/v1/reports/settlement", headers=region_admin, params=asked)
    ).json()
    participation = (
        await client.get("/v1/reports/participation", headers=region_admin, params=asked)
    ).json()

    page = await browser.get("/dashboard/", params=PERIOD)
    as_csv = await browser.get("/dashboard/settlement.csv", params=PERIOD)
    assert (await browser.get("/lang/en")).status_code in (302, 303, 307)
    as_xlsx = await browser.get("/dashboard/settlement.xlsx", params=PERIOD)
    participation_xlsx = await browser.get("/dashboard/participation.xlsx", params=PERIOD)

    assert 'href="/dashboard/settlement.xlsx?from=2026-01&amp;to=2026-12"' in page.text
    assert 'href="/dashboard/participation.csv?from=2026-01&amp;to=2026-12"' in page.text
    # The page names the payers as the files do.
    assert '<td data-payer="partner">partner: Schouwburg</td>' in page.text
    assert '<td data-payer="home_municipality">woonplaats van de pashouder: ' in page.text
    # Dutch by default: `;`, decimal commas, the JSON's amounts.
    assert as_csv.status_code == 200
    assert as_csv.headers["content-disposition"] == (
        'attachment; filename="settlement_2026-01-01_2027-01-01.csv"'
    )
    rows = read_csv(as_csv)
    assert rows[0][0] == "soort"
    assert [cents(row[12]) for row in rows if row[0] == "betaler"] == [
        line["amount_cents"] for line in settlement["lines"]
    ]
    assert cents(rows[-1][12]) == settlement["total"]["discount_cents"]
    # In English after the switch, as a workbook with numbers in it.
    assert as_xlsx.status_code == 200
    assert as_xlsx.headers["content-language"] == "en"
    title, sheet = read_xlsx(as_xlsx)
    assert title == "Settlement"
    assert [round(Decimal(str(row[12])) * 100) for row in sheet if row[0] == "payer"] == [
        line["amount_cents"] for line in settlement["lines"]
    ]
    assert {row[8] for row in sheet if row[5] == "partner"} == {"Schouwburg", "Sportclub"}
    title, months = read_xlsx(participation_xlsx)
    assert title == "Participation"
    assert [row[2] for row in months[1:]] == [
        cell["tickets"] for cell in [*participation["cells"], participation["total"]]
    ]


async def test_the_downloads_are_for_dashboard_staff_only(
    session: AsyncSession, client: httpx.AsyncClient, browser: httpx.AsyncClient
) -> None:
    anonymous = await browser.get("/dashboard/settlement.xlsx")
    unknown_format = await browser.get("/dashboard/settlement.pdf")

    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == "/login?next=/dashboard/settlement.xlsx"
    assert anonymous.headers.get("content-type") != XLSX_MEDIA_TYPE
    # Only csv and xlsx are files here; anything else is refused, not a server error.
    assert unknown_format.status_code == 422
