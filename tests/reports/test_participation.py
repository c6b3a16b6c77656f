"""Participation: tickets, people reached and discount, with cells under 5 people suppressed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.regions import MunicipalityRow, RegionRow
from app.domain.access import Role
from app.spreadsheets import XLSX_MEDIA_TYPE
from tests.api.test_auth import assert_problem
from tests.factories import a_partner, a_region, bearer_for, next_nis
from tests.reports.factories import (
    Line,
    a_passholder,
    a_sale,
    an_offer,
    read_csv,
    read_xlsx,
)

YEAR_2026 = {"from": "2026-01-01", "to": "2027-01-01"}


@dataclass
class World:
    region: RegionRow
    theatre: str
    club: str
    lines: list[Line]
    people: list[str]


async def a_participation_world(session: AsyncSession) -> World:
    """Twelve people over four months at two partners; February has only two of them.

    January: p0–p5 at the theatre. February: p0 and p6 at the theatre. March: p7–p11 at the
    club, p7 with two tickets and p11 at the regular price. April: p0–p7 at the club.
    p9–p11 live in a second municipality of the region.
    """
    region = await a_region(
        session,
        municipalities=(
            MunicipalityRow(next_nis(), "Kortrijk", ("8500",)),
            MunicipalityRow(next_nis(), "Kuurne", ("8520",)),
        ),
    )
    elsewhere = await a_region(session)
    theatre = await a_partner(session, region, name="Schouwburg")
    club = await a_partner(session, region, name="Sportclub")
    stranger = await a_partner(session, elsewhere, name="Elders")
    play = await an_offer(session, theatre, category="podium")
    match = await an_offer(session, club, category="sport")
    far = await an_offer(session, stranger)
    people = [await a_passholder(session, region) for _ in range(13)]
    kortrijk, kuurne = (m.nis_code for m in region.municipalities)

    def line(person: int, offer: str, day: date, **changes: Any) -> Line:
        home = kuurne if person in (9, 10, 11) else kortrijk
        values: dict[str, Any] = {"municipality_nis": home, **changes}
        return Line(people[person], offer, day, **values)

    lines = [
        *(line(p, play, date(2026, 1, 10)) for p in range(6)),
        *(line(p, play, date(2026, 2, 14)) for p in (0, 6)),
        line(7, match, date(2026, 3, 1), quantity=2),
        *(line(p, match, date(2026, 3, 8)) for p in (8, 9, 10)),
        line(11, match, date(2026, 3, 8), unit_price_cents=11_900, scheme_code="REGULAR"),
        *(line(p, match, date(2026, 4, 30)) for p in range(8)),
    ]
    for one in lines:
        await a_sale(session, theatre if one.offer_id == play else club, [one])
    # None of these count: p12 would make February a cell of three.
    for status in ("held", "cancelled", "expired"):
        await a_sale(session, theatre, [line(12, play, date(2026, 2, 1))], status=status)
    await a_sale(session, stranger, [line(12, far, date(2026, 2, 1))])
    await a_sale(session, theatre, [line(12, play, date(2027, 1, 1))])
    await session.commit()
    return World(region, theatre, club, lines, people)


def figures(lines: list[Line]) -> dict[str, Any]:
    """A cell's figures, computed from the rows that were written."""
    tickets = sum(line.quantity for line in lines)
    social = sum(line.quantity for line in lines if line.discount_cents > 0)
    return {
        "suppressed": False,
        "passholders": len({line.passholder_id for line in lines}),
        "tickets": tickets,
        "social_tariff_tickets": social,
        "social_tariff_share": round(social / tickets, 4),
        "discount_cents": sum(line.discount_cents * line.quantity for line in lines),
        "anonymous_tickets": 0,
        "visits": 0,
    }


SUPPRESSED = {
    "suppressed": True,
    "passholders": None,
    "tickets": None,
    "social_tariff_tickets": None,
    "social_tariff_share": None,
    "discount_cents": None,
    "anonymous_tickets": None,
    "visits": None,
}


async def report(
    client: httpx.AsyncClient, headers: dict[str, str], **params: str
) -> dict[str, Any]:
    response = await client.get(
        "/v1/reports/participation", headers=headers, params={**YEAR_2026, **params}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_months_under_five_people_are_suppressed_with_the_next_smallest_month(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world = await a_participation_world(session)
    headers = await bearer_for(session, Role.REPORTER, region_id=world.region.id)

    body = await report(client, headers, group_by="month")

    def month(number: int) -> list[Line]:
        return [line for line in world.lines if line.activity_date.month == number]

    assert body["region_id"] == world.region.id
    assert body["group_by"] == "month"
    assert body["suppression_threshold"] == 5
    assert body["cells"] == [
        {"key": "2026-01", "label": None, **figures(month(1))},
        {"key": "2026-02", "label": None, **SUPPRESSED},
        # March has five people: published on its own, but it is the smallest month left.
        {"key": "2026-03", "label": None, **SUPPRESSED},
        {"key": "2026-04", "label": None, **figures(month(4))},
    ]
    assert body["total"] == figures(world.lines)
    assert body["total"]["passholders"] == 12
    assert figures(month(1))["tickets"] == 6
    assert figures(month(4))["discount_cents"] == 8 * 9_520


async def test_what_the_total_leaves_after_the_published_months_covers_more_than_february(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world = await a_participation_world(session)
    headers = await bearer_for(session, Role.REGION_ADMIN, region_id=world.region.id)

    body = await report(client, headers, group_by="month")

    published = [cell for cell in body["cells"] if not cell["suppressed"]]
    left_tickets = body["total"]["tickets"] - sum(cell["tickets"] for cell in published)
    february = [line for line in world.lines if line.activity_date.month == 2]
    march = [line for line in world.lines if line.activity_date.month == 3]
    assert left_tickets == sum(line.quantity for line in february + march) == 2 + 6
    assert len({line.passholder_id for line in february + march}) >= 5


async def test_the_share_at_a_social_tariff_counts_tickets_with_a_reduction(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world = await a_participation_world(session)
    headers = await bearer_for(session, Role.REGION_ADMIN, region_id=world.region.id)

    body = await report(client, headers, group_by="partner")

    assert body["cells"] == sorted(
        [
            {
                "key": world.theatre,
                "label": "Schouwburg",
                **figures([line for line in world.lines if line.activity_date.month <= 2]),
            },
            {
                "key": world.club,
                "label": "Sportclub",
                **figures([line for line in world.lines if line.activity_date.month >= 3]),
            },
        ],
        key=lambda cell: str(cell["key"]),
    )
    club = next(cell for cell in body["cells"] if cell["key"] == world.club)
    # 14 tickets at the club, one of them at the regular price.
    assert (club["tickets"], club["social_tariff_tickets"]) == (14, 13)
    assert club["social_tariff_share"] == 0.9286


async def test_a_small_municipality_takes_the_only_other_one_down_but_not_the_total(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world = await a_participation_world(session)
    headers = await bearer_for(session, Role.REGION_ADMIN, region_id=world.region.id)

    body = await report(client, headers, group_by="municipality")

    kortrijk, kuurne = world.region.municipalities
    assert body["cells"] == sorted(
        [
            {"key": kortrijk.nis_code, "label": "Kortrijk", **SUPPRESSED},
            {"key": kuurne.nis_code, "label": "Kuurne", **SUPPRESSED},
        ],
        key=lambda cell: str(cell["key"]),
    )
    assert body["total"] == figures(world.lines)


async def test_cells_by_scheme_and_by_category_reconcile_with_the_total(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world = await a_participation_world(session)
    headers = await bearer_for(session, Role.REGION_ADMIN, region_id=world.region.id)

    by_scheme = await report(client, headers, group_by="scheme")
    by_category = await report(client, headers, group_by="category")

    # One person at the regular price: that cell is suppressed, with the only other one.
    assert [(c["key"], c["suppressed"]) for c in by_scheme["cells"]] == [
        ("KORTRIJK_KANSENTARIEF", True),
        ("REGULAR", True),
    ]
    assert by_category["cells"] == [
        {
            "key": "podium",
            "label": None,
            **figures([line for line in world.lines if line.activity_date.month <= 2]),
        },
        {
            "key": "sport",
            "label": None,
            **figures([line for line in world.lines if line.activity_date.month >= 3]),
        },
    ]
    assert sum(c["tickets"] for c in by_category["cells"]) == by_category["total"]["tickets"]
    assert by_scheme["total"] == by_category["total"] == figures(world.lines)


async def test_a_report_of_fewer_than_five_people_publishes_nothing(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    region = await a_region(session)
    partner = await a_partner(session, region)
    offer = await an_offer(session, partner)
    for person in range(4):
        holder = await a_passholder(session, region)
        await a_sale(session, partner, [Line(holder, offer, date(2026, 1 + person, 1))])
    await session.commit()
    headers = await bearer_for(session, Role.REGION_ADMIN, region_id=region.id)

    body = await report(client, headers)

    assert [cell["suppressed"] for cell in body["cells"]] == [True] * 4
    assert body["total"] == SUPPRESSED


async def test_a_total_of_one_person_per_small_cell_is_suppressed_too(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    region = await a_region(session)
    partner = await a_partner(session, region)
    offer = await an_offer(session, partner)
    for person in range(5):
        holder = await a_passholder(session, region)
        await a_sale(session, partner, [Line(holder, offer, date(2026, 1 + person, 1))])
    await session.commit()
    headers = await bearer_for(session, Role.REGION_ADMIN, region_id=region.id)

    body = await report(client, headers)

    # Five people, five months: the total would say each month is exactly one person.
    assert [cell["suppressed"] for cell in body["cells"]] == [True] * 5
    assert body["total"] == SUPPRESSED


async def test_small_cells_only_leave_the_total_published_when_it_pins_no_cell(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    region = await a_region(session)
    partner = await a_partner(session, region)
    offer = await an_offer(session, partner)
    lines = []
    for person in range(6):
        holder = await a_passholder(session, region)
        lines.append(Line(holder, offer, date(2026, 1 + person % 2, 1)))
    for one in lines:
        await a_sale(session, partner, [one])
    await session.commit()
    headers = await bearer_for(session, Role.REGION_ADMIN, region_id=region.id)

    body = await report(client, headers)

    assert [cell["suppressed"] for cell in body["cells"]] == [True, True]
    assert body["total"] == figures(lines)


async def test_participation_periods_are_whole_months(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    region = await a_region(session)
    headers = await bearer_for(session, Role.REGION_ADMIN, region_id=region.id)

    response = await client.get(
        "/v1/reports/participation",
        headers=headers,
        params={"from": "2026-01-01", "to": "2026-03-15"},
    )
    unknown_grouping = await client.get(
        "/v1/reports/participation", headers=headers, params={"group_by": "person"}
    )

    body = assert_problem(response, 422, "validation-failed")
    assert body["errors"][0]["parameter"] == "to"
    assert_problem(unknown_grouping, 422, "validation-failed")


async def test_the_participation_as_csv_leaves_suppressed_figures_empty(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world = await a_participation_world(session)
    headers = await bearer_for(session, Role.REGION_ADMIN, region_id=world.region.id)

    dutch = await client.get(
        "/v1/reports/participation", headers={**headers, "Accept": "text/csv"}, params=YEAR_2026
    )
    english = await client.get(
        "/v1/reports/participation",
        headers={**headers, "Accept": "text/csv", "Accept-Language": "en"},
        params={**YEAR_2026, "group_by": "partner"},
    )

    assert dutch.headers["content-type"] == "text/csv; charset=utf-8"
    assert dutch.headers["content-disposition"] == (
        'attachment; filename="participation_month_2026-01-01_2027-01-01.csv"'
    )
    period = ["2026-01-01", "2026-12-31"]
    rows = read_csv(dutch)
    assert rows == [
        [
            "maand",
            "naam",
            "tickets",
            "pashouders",
            "tickets aan kansentarief",
            "aandeel kansentarief",
            "korting",
            "afgeschermd",
            "anonieme tickets (ticketbons)",
            "bezoeken",
            "eerste dag",
            "laatste dag",
        ],
        ["2026-01", "", "6", "6", "6", "1,0000", "571,20", "nee", "0", "0", *period],
        ["2026-02", "", "", "", "", "", "", "ja", "", "", *period],
        ["2026-03", "", "", "", "", "", "", "ja", "", "", *period],
        ["2026-04", "", "8", "8", "8", "1,0000", "761,60", "nee", "0", "0", *period],
        ["totaal", "", "22", "12", "21", "0,9545", "1999,20", "nee", "0", "0", *period],
    ]
    english_rows = read_csv(english)
    assert english_rows[0][:4] == ["partner", "name", "tickets", "passholders"]
    assert english_rows[-1][5:7] == ["0.9545", "1999.20"]  # a decimal point in English
    assert english_rows[-1][0] == "total"
    assert {row[1] for row in english_rows[1:-1]} == {"Schouwburg", "Sportclub"}


async def test_the_participation_as_xlsx_has_months_as_dates_and_the_json_figures(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world = await a_participation_world(session)
    headers = await bearer_for(session, Role.REGION_ADMIN, region_id=world.region.id)

    response = await client.get(
        "/v1/reports/participation",
        headers={**headers, "Accept": XLSX_MEDIA_TYPE, "Accept-Language": "en"},
        params=YEAR_2026,
    )
    report = (
        await client.get("/v1/reports/participation", headers=headers, params=YEAR_2026)
    ).json()

    title, rows = read_xlsx(response)
    assert title == "Participation"
    assert rows[0][:4] == ["month", "name", "tickets", "passholders"]
    assert [row[0] for row in rows[1:-1]] == [datetime(2026, month, 1) for month in (1, 2, 3, 4)]
    assert [
        (row[2], row[3], None if row[6] is None else round(Decimal(str(row[6])) * 100))
        for row in rows[1:]
    ] == [
        (cell["tickets"], cell["passholders"], cell["discount_cents"])
        for cell in [*report["cells"], report["total"]]
    ]
    assert rows[-1][0] == "total"


async def test_the_participation_as_csv_speaks_french_for_a_francophone_council(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world = await a_participation_world(session)
    headers = await bearer_for(session, Role.REGION_ADMIN, region_id=world.region.id)

    french = await client.get(
        "/v1/reports/participation",
        headers={**headers, "Accept": "text/csv", "Accept-Language": "fr-BE,fr;q=0.9,nl;q=0.5"},
        params=YEAR_2026,
    )

    assert french.headers["content-language"] == "fr"
    rows = read_csv(french)
    assert rows[0] == [
        "mois",
        "nom",
        "tickets",
        "détenteurs du pass",
        "tickets au tarif social",
        "part du tarif social",
        "réduction",
        "masqué",
        "tickets anonymes (bons)",
        "visites",
        "premier jour",
        "dernier jour",
    ]
    assert rows[1][:10] == ["2026-01", "", "6", "6", "6", "1,0000", "571,20", "non", "0", "0"]
    assert rows[2][7] == "oui"  # suppressed, as in Dutch
    assert rows[-1][:10] == ["total", "", "22", "12", "21", "0,9545", "1999,20", "non", "0", "0"]
