"""Settlement: who owes what per payer and scheme, reconciling with the sale rows to the cent."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.clock import today_in_brussels
from app.db.regions import RegionRow
from app.db.tables import sale_item_funding, sale_items, sales
from app.domain.access import Role
from app.spreadsheets import XLSX_MEDIA_TYPE
from tests.api.test_auth import assert_problem
from tests.factories import a_partner, a_region, bearer_for, catalog_scheme, with_schemes
from tests.reports.factories import (
    THIRDS,
    Line,
    Share,
    WrittenLine,
    WrittenSale,
    a_passholder,
    a_sale,
    an_offer,
    cents,
    read_csv,
    read_xlsx,
)

YEAR_2026 = {"from": "2026-01-01", "to": "2027-01-01"}


@dataclass
class World:
    region: RegionRow
    partner: str
    other_partner: str
    counted: list[WrittenSale]
    not_counted: list[WrittenSale]


async def a_settlement_world(session: AsyncSession) -> World:
    """Two partners of one region with sales that count, and sales that must not."""
    region = await a_region(session)
    elsewhere = await a_region(session)
    partner = await a_partner(session, region, name="Schouwburg")
    other_partner = await a_partner(session, region, name="Sportclub")
    stranger = await a_partner(session, elsewhere, name="Elders")
    holders = [await a_passholder(session, region) for _ in range(3)]
    show, match, far = (
        await an_offer(session, partner),
        await an_offer(session, other_partner, category="sport"),
        await an_offer(session, stranger),
    )
    nis = region.municipalities[0].nis_code

    counted = [
        # €119 season ticket at the 20-40-40 kansentarief: the holder pays €23.80.
        await a_sale(session, partner, [Line(holders[0], show, date(2026, 3, 14))]),
        # Three tickets at a three-way key whose thirds leave a remainder for the rest payer.
        await a_sale(
            session,
            partner,
            [
                Line(
                    holders[1],
                    show,
                    date(2026, 4, 2),
                    regular_price_cents=1_575,
                    unit_price_cents=315,
                    quantity=3,
                    scheme_code="ARTIKEL_27",
                    funding_key=THIRDS,
                    municipality_nis=nis,
                ),
                Line(holders[2], show, date(2026, 4, 2)),
            ],
        ),
        await a_sale(
            session,
            other_partner,
            [Line(holders[2], match, date(2026, 12, 31), quantity=2)],
        ),
        # A welcome coupon on top of the kansentarief takes the last €3 off a €15 ticket.
        await a_sale(
            session,
            other_partner,
            [
                Line(
                    holders[0],
                    match,
                    date(2026, 5, 1),
                    regular_price_cents=1_500,
                    unit_price_cents=0,
                    parts=(("KORTRIJK_KANSENTARIEF", 1_200), ("KORTRIJK_WELKOMSTBON", 300)),
                    shares=(
                        Share("KORTRIJK_KANSENTARIEF", "partner", other_partner, 600),
                        Share("KORTRIJK_KANSENTARIEF", "scheme_owner", "REGIO_KORTRIJK", 600),
                        Share("KORTRIJK_WELKOMSTBON", "scheme_owner", "REGIO_KORTRIJK", 300),
                    ),
                )
            ],
        ),
    ]
    ticket = Line(holders[0], show, date(2026, 6, 1))
    not_counted = [
        await a_sale(session, partner, [ticket], status="held"),
        await a_sale(session, partner, [ticket], status="cancelled"),
        await a_sale(session, partner, [ticket], status="expired"),
        await a_sale(session, partner, [Line(holders[0], show, date(2025, 12, 31))]),
        await a_sale(session, other_partner, [Line(holders[2], match, date(2027, 1, 1))]),
        await a_sale(session, stranger, [Line(holders[0], far, date(2026, 6, 1))]),
    ]
    await session.commit()
    return World(region, partner, other_partner, counted, not_counted)


def lines_of(sales_: list[WrittenSale], partner: str | None = None) -> list[WrittenLine]:
    return [line for sale in sales_ if partner in (None, sale.partner_id) for line in sale.lines]


def expected_payer_lines(lines: list[WrittenLine]) -> list[dict[str, Any]]:
    """The payer lines, summed by hand from the funding rows that were written."""
    sums: dict[tuple[str, str, str, str | None], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for written in lines:
        line = written.line
        for share in written.funding:
            row = sums[(line.scheme_code, share.scheme_code, share.payer, share.payer_ref)]
            row[0] += line.quantity
            row[1] += line.regular_price_cents * line.quantity
            row[2] += line.unit_price_cents * line.quantity
            row[3] += share.amount_cents
    return [
        {
            "scheme_code": scheme,
            "funded_scheme_code": funded,
            "payer": payer,
            "payer_ref": ref,
            "tickets": tickets,
            "regular_cents": regular,
            "paid_cents": paid,
            "amount_cents": amount,
        }
        for (scheme, funded, payer, ref), (tickets, regular, paid, amount) in sorted(
            sums.items(), key=lambda item: (*item[0][:3], item[0][3] or "")
        )
    ]


async def test_a_region_settlement_reconciles_every_payer_with_the_confirmed_sale_rows(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world = await a_settlement_world(session)
    headers = await bearer_for(session, Role.REGION_ADMIN, region_id=world.region.id)

    response = await client.get(
        "/v1/reports/settlement",
        headers=headers,
        params={"region_id": world.region.id, **YEAR_2026},
    )

    assert response.status_code == 200, response.text
    report = response.json()
    lines = lines_of(world.counted)
    assert report["region_id"] == world.region.id
    assert report["partner_id"] is None
    assert (report["from_date"], report["to_date"]) == ("2026-01-01", "2027-01-01")
    assert report["lines"] == expected_payer_lines(lines)
    # Per tariff scheme, the payers owe exactly the reduction of the tickets sold at it.
    for scheme in report["schemes"]:
        at_scheme = [w.line for w in lines if w.line.scheme_code == scheme["scheme_code"]]
        reduction = sum(
            (line.regular_price_cents - line.unit_price_cents) * line.quantity for line in at_scheme
        )
        owed = sum(
            row["amount_cents"]
            for row in report["lines"]
            if row["scheme_code"] == scheme["scheme_code"]
        )
        assert scheme["discount_cents"] == owed == reduction
        assert scheme["regular_cents"] - scheme["paid_cents"] == reduction
        assert scheme["tickets"] == sum(line.quantity for line in at_scheme)
    assert report["total"] == {
        "tickets": 1 + 3 + 1 + 2 + 1,
        "regular_cents": 11_900 + 3 * 1_575 + 11_900 + 2 * 11_900 + 1_500,
        "paid_cents": 2_380 + 3 * 315 + 2_380 + 2 * 2_380 + 0,
        "discount_cents": 9_520 + 3 * 1_260 + 9_520 + 2 * 9_520 + 1_500,
    }


async def test_the_settlement_figures_are_the_figures_in_the_funding_table(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world = await a_settlement_world(session)
    headers = await bearer_for(session, Role.REPORTER, region_id=world.region.id)
    report = (await client.get("/v1/reports/settlement", headers=headers, params=YEAR_2026)).json()

    in_tables = (
        await session.execute(
            sa.select(sa.func.sum(sale_item_funding.c.amount_cents))
            .join(sale_items, sale_items.c.id == sale_item_funding.c.sale_item_id)
            .join(sales, sales.c.id == sale_items.c.sale_id)
            .where(
                sales.c.status == "confirmed",
                sales.c.partner_id.in_([world.partner, world.other_partner]),
                sale_items.c.activity_date >= date(2026, 1, 1),
                sale_items.c.activity_date < date(2027, 1, 1),
            )
        )
    ).scalar_one()
    assert sum(row["amount_cents"] for row in report["lines"]) == in_tables
    assert report["total"]["discount_cents"] == in_tables == 43_360


async def test_the_kortrijk_season_ticket_splits_its_discount_between_partner_and_region(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world = await a_settlement_world(session)
    # The partner's settlement, read by its region (a partner admin reads closed months).
    headers = await bearer_for(session, Role.REGION_ADMIN, region_id=world.region.id)

    report = (
        await client.get(
            "/v1/reports/settlement",
            headers=headers,
            params={"partner_id": world.partner, **YEAR_2026},
        )
    ).json()

    assert report["partner_id"] == world.partner
    kansentarief = [r for r in report["lines"] if r["scheme_code"] == "KORTRIJK_KANSENTARIEF"]
    assert kansentarief == [
        {
            "scheme_code": "KORTRIJK_KANSENTARIEF",
            "funded_scheme_code": "KORTRIJK_KANSENTARIEF",
            "payer": "partner",
            "payer_ref": world.partner,
            "tickets": 2,
            "regular_cents": 23_800,
            "paid_cents": 4_760,
            "amount_cents": 9_520,
        },
        {
            "scheme_code": "KORTRIJK_KANSENTARIEF",
            "funded_scheme_code": "KORTRIJK_KANSENTARIEF",
            "payer": "scheme_owner",
            "payer_ref": "REGIO_KORTRIJK",
            "tickets": 2,
            "regular_cents": 23_800,
            "paid_cents": 4_760,
            "amount_cents": 9_520,
        },
    ]
    # The three-way key: 33.33 % of €37.80 twice, rounded down, and the rest to the region.
    artikel = [
        (r["payer"], r["amount_cents"]) for r in report["lines"] if r["scheme_code"] == "ARTIKEL_27"
    ]
    assert artikel == [("home_municipality", 1_259), ("partner", 1_259), ("scheme_owner", 1_262)]
    assert report["lines"] == expected_payer_lines(lines_of(world.counted, world.partner))


async def test_a_coupon_on_top_is_owed_by_its_own_funder_under_the_tariff_it_was_stacked_on(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world = await a_settlement_world(session)
    # The partner's settlement, read by its region (a partner admin reads closed months).
    headers = await bearer_for(session, Role.REGION_ADMIN, region_id=world.region.id)

    report = (
        await client.get(
            "/v1/reports/settlement",
            headers=headers,
            params={"partner_id": world.other_partner, **YEAR_2026},
        )
    ).json()

    coupon = [r for r in report["lines"] if r["funded_scheme_code"] == "KORTRIJK_WELKOMSTBON"]
    assert coupon == [
        {
            "scheme_code": "KORTRIJK_KANSENTARIEF",
            "funded_scheme_code": "KORTRIJK_WELKOMSTBON",
            "payer": "scheme_owner",
            "payer_ref": "REGIO_KORTRIJK",
            "tickets": 1,
            "regular_cents": 1_500,
            "paid_cents": 0,
            "amount_cents": 300,
        }
    ]
    [scheme] = report["schemes"]
    assert scheme == {
        "scheme_code": "KORTRIJK_KANSENTARIEF",
        "tickets": 3,
        "regular_cents": 2 * 11_900 + 1_500,
        "paid_cents": 2 * 2_380,
        "discount_cents": 2 * 9_520 + 1_500,
    }
    assert sum(r["amount_cents"] for r in report["lines"]) == scheme["discount_cents"]


async def test_cancelled_held_expired_and_out_of_period_sales_are_left_out(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world = await a_settlement_world(session)
    # The partner's settlement, read by its region (a partner admin reads closed months).
    headers = await bearer_for(session, Role.REGION_ADMIN, region_id=world.region.id)

    report = (
        await client.get(
            "/v1/reports/settlement",
            headers=headers,
            params={"partner_id": world.partner, **YEAR_2026},
        )
    ).json()

    # Only the partner's three confirmed lines of 2026: 1 + 3 + 1 tickets.
    assert report["total"]["tickets"] == 5
    assert report["total"]["discount_cents"] == 9_520 + 3_780 + 9_520
    assert len(world.not_counted) == 6

    held_only = await a_region(session)
    lonely = await a_partner(session, held_only)
    offer = await an_offer(session, lonely)
    holder = await a_passholder(session, held_only)
    for status in ("held", "cancelled", "expired"):
        await a_sale(session, lonely, [Line(holder, offer, date(2026, 6, 1))], status=status)
    await session.commit()
    admin = await bearer_for(session, Role.ADMIN)
    empty = (
        await client.get(
            "/v1/reports/settlement", headers=admin, params={"partner_id": lonely, **YEAR_2026}
        )
    ).json()
    assert empty["lines"] == []
    assert empty["schemes"] == []
    assert empty["total"] == {
        "tickets": 0,
        "regular_cents": 0,
        "paid_cents": 0,
        "discount_cents": 0,
    }


async def test_a_period_counts_activity_dates_from_its_first_day_up_to_but_not_its_last(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world = await a_settlement_world(session)
    headers = await bearer_for(session, Role.REGION_ADMIN, region_id=world.region.id)

    async def tickets(start: str, end: str) -> int:
        report = (
            await client.get(
                "/v1/reports/settlement", headers=headers, params={"from": start, "to": end}
            )
        ).json()
        return int(report["total"]["tickets"])

    assert await tickets("2026-04-02", "2026-04-03") == 4
    assert await tickets("2026-04-01", "2026-04-02") == 0
    assert await tickets("2026-12-31", "2027-01-02") == 2 + 1
    assert await tickets("2025-12-31", "2026-01-01") == 1


async def test_without_a_period_the_settlement_covers_the_current_calendar_year(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    region = await a_region(session)
    partner = await a_partner(session, region)
    offer = await an_offer(session, partner)
    holder = await a_passholder(session, region)
    today = today_in_brussels()
    await a_sale(session, partner, [Line(holder, offer, today)])
    await a_sale(session, partner, [Line(holder, offer, date(today.year - 1, 12, 31))])
    await session.commit()
    headers = await bearer_for(session, Role.REGION_ADMIN, region_id=region.id)

    report = (await client.get("/v1/reports/settlement", headers=headers)).json()

    assert report["from_date"] == date(today.year, 1, 1).isoformat()
    assert report["to_date"] == date(today.year + 1, 1, 1).isoformat()
    assert report["total"]["tickets"] == 1


async def test_without_a_period_a_partner_admin_gets_the_closed_months_of_the_year(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    region = await a_region(session)
    partner = await a_partner(session, region)
    offer = await an_offer(session, partner)
    holder = await a_passholder(session, region)
    today = today_in_brussels()
    this_month = date(today.year, today.month, 1)
    await a_sale(session, partner, [Line(holder, offer, today)])  # the month still runs
    await a_sale(session, partner, [Line(holder, offer, date(today.year - 1, 12, 31))])
    if today.month > 1:  # a sale in a closed month of this year
        await a_sale(session, partner, [Line(holder, offer, date(today.year, 1, 15))])
    await session.commit()
    headers = await bearer_for(session, Role.PARTNER_ADMIN, partner_id=partner)

    report = (await client.get("/v1/reports/settlement", headers=headers)).json()
    running = await client.get(
        "/v1/reports/settlement",
        headers=headers,
        params={"from": this_month.isoformat(), "to": date(today.year + 1, 1, 1).isoformat()},
    )

    in_january = today.month == 1
    first = date(today.year - 1, 1, 1) if in_january else date(today.year, 1, 1)
    assert (report["from_date"], report["to_date"]) == (first.isoformat(), this_month.isoformat())
    # Today's sale not yet; January's (or, in January, last December's) counted.
    assert report["total"]["tickets"] == 1
    assert assert_problem(running, 422, "validation-failed")["errors"][0]["parameter"] == "to"


async def test_a_half_given_period_or_one_that_ends_before_it_starts_is_refused(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    region = await a_region(session)
    headers = await bearer_for(session, Role.REGION_ADMIN, region_id=region.id)

    only_from = await client.get(
        "/v1/reports/settlement", headers=headers, params={"from": "2026-01-01"}
    )
    backwards = await client.get(
        "/v1/reports/settlement", headers=headers, params={"from": "2026-02-01", "to": "2026-01-01"}
    )
    not_a_date = await client.get(
        "/v1/reports/settlement", headers=headers, params={"from": "1", "to": "2026-01-01"}
    )

    assert assert_problem(only_from, 422, "validation-failed")["errors"] == [
        {"parameter": "to", "detail": "required with the other"}
    ]
    assert assert_problem(backwards, 422, "validation-failed")["errors"][0]["parameter"] == "to"
    assert_problem(not_a_date, 422, "validation-failed")


async def test_partner_and_region_together_are_refused(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    region = await a_region(session)
    partner = await a_partner(session, region)
    admin = await bearer_for(session, Role.ADMIN)

    response = await client.get(
        "/v1/reports/settlement",
        headers=admin,
        params={"partner_id": partner, "region_id": region.id},
    )

    assert_problem(response, 422, "validation-failed")


async def test_the_settlement_as_csv_is_for_a_belgian_spreadsheet_with_names_beside_ids(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world = await a_settlement_world(session)
    await with_schemes(
        session,
        catalog_scheme("KORTRIJK_KANSENTARIEF", world.region.code),
        catalog_scheme("ARTIKEL_27", world.region.code),
    )
    # The partner's settlement, read by its region (a partner admin reads closed months).
    headers = await bearer_for(session, Role.REGION_ADMIN, region_id=world.region.id)
    asked = {"partner_id": world.partner, **YEAR_2026}

    response = await client.get(
        "/v1/reports/settlement", headers={**headers, "Accept": "text/csv"}, params=asked
    )
    report = (await client.get("/v1/reports/settlement", headers=headers, params=asked)).json()

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-language"] == "nl"
    assert response.headers["content-disposition"] == (
        'attachment; filename="settlement_2026-01-01_2027-01-01.csv"'
    )
    assert response.content.endswith(b"\r\n")
    assert b";" in response.content.splitlines()[0]
    rows = read_csv(response)
    assert rows[0] == [
        "soort",
        "kortingssysteem",
        "naam kortingssysteem",
        "korting betaald voor",
        "naam kortingssysteem betaald voor",
        "betaler",
        "soort betaler",
        "referentie betaler",
        "naam betaler",
        "tickets",
        "normale prijs",
        "betaald door pashouders",
        "bedrag",
        "eerste dag",
        "laatste dag",
    ]
    assert [
        "betaler",
        "KORTRIJK_KANSENTARIEF",
        "Kansentarief",
        "KORTRIJK_KANSENTARIEF",
        "Kansentarief",
        "partner",
        "partner",
        world.partner,
        "Schouwburg",
        "2",
        "238,00",
        "47,60",
        "95,20",
        "2026-01-01",
        "2026-12-31",
    ] in rows
    assert rows[3][:9] == [
        "betaler",
        "ARTIKEL_27",
        "Artikel 27-ticket",
        "ARTIKEL_27",
        "Artikel 27-ticket",
        "scheme_owner",
        "regio van het kortingssysteem",
        "REGIO_KORTRIJK",
        "",  # no region with that code in this world: no name
    ]
    assert rows[3][9:13] == ["3", "47,25", "9,45", "12,62"]
    assert rows[-1][:13] == ["totaal", *([""] * 8), "5", "285,25", "57,05", "228,20"]
    # Read back, the file holds the JSON's figures, cent for cent.
    payer_rows = [row for row in rows if row[0] == "betaler"]
    assert [
        (row[1], row[3], row[5], row[7] or None, int(row[9]), *(cents(c) for c in row[10:13]))
        for row in payer_rows
    ] == [
        (
            line["scheme_code"],
            line["funded_scheme_code"],
            line["payer"],
            line["payer_ref"],
            line["tickets"],
            line["regular_cents"],
            line["paid_cents"],
            line["amount_cents"],
        )
        for line in report["lines"]
    ]
    scheme_rows = [row for row in rows if row[0] == "totaal kortingssysteem"]
    assert [(row[1], row[2], cents(row[12])) for row in scheme_rows] == [
        (scheme["scheme_code"], name, scheme["discount_cents"])
        for scheme, name in zip(
            report["schemes"], ["Artikel 27-ticket", "Kansentarief"], strict=True
        )
    ]
    assert cents(rows[-1][12]) == report["total"]["discount_cents"]


@pytest.mark.parametrize(
    ("accept_language", "language", "delimiter", "headers", "kinds"),
    [
        (
            "en-GB,en;q=0.9",
            "en",
            ",",
            ("kind", "scheme", "scheme name", "discount paid for"),
            ("payer", "scheme total", "total"),
        ),
        (
            "fr",
            "fr",
            ";",
            ("type", "système de réduction", "nom du système de réduction", "réduction payée pour"),
            ("payeur", "total système de réduction", "total"),
        ),
        (
            "de-BE,de;q=0.9,fr;q=0.5",
            "de",
            ";",
            ("Art", "Ermäßigungssystem", "Name des Ermäßigungssystems", "Ermäßigung bezahlt für"),
            ("Zahler", "Summe Ermäßigungssystem", "Summe"),
        ),
    ],
)
async def test_the_settlement_as_csv_speaks_the_language_asked_with_the_same_figures(
    client: httpx.AsyncClient,
    session: AsyncSession,
    accept_language: str,
    language: str,
    delimiter: str,
    headers: tuple[str, ...],
    kinds: tuple[str, str, str],
) -> None:
    world = await a_settlement_world(session)
    # The partner's settlement, read by its region (a partner admin reads closed months).
    region_admin = await bearer_for(session, Role.REGION_ADMIN, region_id=world.region.id)
    asked = {"partner_id": world.partner, **YEAR_2026}

    response = await client.get(
        "/v1/reports/settlement",
        headers={**region_admin, "Accept": "text/csv", "Accept-Language": accept_language},
        params=asked,
    )

    assert response.content.decode("utf-8-sig").splitlines()[0].count(delimiter) == 14
    rows = read_csv(response)
    assert response.headers["content-language"] == language
    assert tuple(rows[0][:4]) == headers
    payer, scheme_total, total = kinds
    assert {row[0] for row in rows[1:-1]} == {payer, scheme_total}
    assert rows[-1][0] == total
    # The same figures as in Dutch, to the cent.
    dutch = await client.get(
        "/v1/reports/settlement", headers={**region_admin, "Accept": "text/csv"}, params=asked
    )

    def figures(table: list[list[str]]) -> list[tuple[object, ...]]:
        return [(row[1], row[7], row[9], *(cents(c) for c in row[10:13])) for row in table[1:]]

    assert figures(read_csv(dutch)) == figures(rows)


async def test_the_settlement_as_xlsx_has_the_json_figures_in_typed_cells(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world = await a_settlement_world(session)
    region_admin = await bearer_for(session, Role.REGION_ADMIN, region_id=world.region.id)
    asked = {"region_id": world.region.id, **YEAR_2026}

    response = await client.get(
        "/v1/reports/settlement",
        headers={**region_admin, "Accept": XLSX_MEDIA_TYPE, "Accept-Language": "fr"},
        params=asked,
    )
    report = (await client.get("/v1/reports/settlement", headers=region_admin, params=asked)).json()

    assert response.status_code == 200
    assert response.headers["content-disposition"] == (
        'attachment; filename="settlement_2026-01-01_2027-01-01.xlsx"'
    )
    assert response.headers["content-language"] == "fr"
    title, rows = read_xlsx(response)
    assert title == "Décompte"
    assert rows[0][:2] == ["type", "système de réduction"]
    assert rows[0][-2:] == ["premier jour", "dernier jour"]
    payer_rows = [row for row in rows if row[0] == "payeur"]
    assert [
        (row[1], row[5], row[7], row[9], *(round(Decimal(str(v)) * 100) for v in row[10:13]))
        for row in payer_rows
    ] == [
        (
            line["scheme_code"],
            line["payer"],
            line["payer_ref"],
            line["tickets"],
            line["regular_cents"],
            line["paid_cents"],
            line["amount_cents"],
        )
        for line in report["lines"]
    ]
    # Money is a number (a float in the file), dates are dates.
    assert all(isinstance(row[12], int | float) for row in rows[1:])
    names = {row[7]: row[8] for row in payer_rows if row[5] == "partner"}
    assert names == {world.partner: "Schouwburg", world.other_partner: "Sportclub"}
    assert {row[6] for row in payer_rows} >= {"partenaire", "commune de résidence du détenteur"}
    total = rows[-1]
    assert total[0] == "total"
    assert round(Decimal(str(total[12])) * 100) == report["total"]["discount_cents"]
    assert (total[13], total[14]) == (datetime(2026, 1, 1), datetime(2026, 12, 31))


async def test_json_stays_the_default_unless_a_file_is_preferred(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    region = await a_region(session)
    headers = await bearer_for(session, Role.REGION_ADMIN, region_id=region.id)

    async def content_type(accept: str | None) -> str:
        response = await client.get(
            "/v1/reports/settlement",
            headers={**headers, **({} if accept is None else {"Accept": accept})},
            params=YEAR_2026,
        )
        # One URL, three representations: caches must keep them apart.
        assert response.headers["vary"] == "Accept, Accept-Language"
        return response.headers["content-type"].split(";")[0]

    assert await content_type(None) == "application/json"
    assert await content_type("*/*") == "application/json"
    assert await content_type("application/*") == "application/json"
    assert await content_type("application/json, text/csv;q=0.5") == "application/json"
    assert await content_type("text/csv, application/json;q=0.5") == "text/csv"
    assert await content_type("text/*") == "text/csv"
    assert await content_type(f"{XLSX_MEDIA_TYPE}, */*;q=0.1") == XLSX_MEDIA_TYPE
    # A browser's Accept ends in */*: JSON.
    assert await content_type("text/html,application/xml;q=0.9,*/*;q=0.8") == "application/json"


@pytest.mark.parametrize("path", ["settlement", "participation", "allocations", "non-take-up"])
@pytest.mark.parametrize("accept", ["application/xml", "text/html", "application/json;q=0"])
async def test_an_unsupported_accept_is_refused_with_406_naming_what_is_supported(
    client: httpx.AsyncClient, session: AsyncSession, path: str, accept: str
) -> None:
    region = await a_region(session)
    headers = await bearer_for(session, Role.REGION_ADMIN, region_id=region.id)

    response = await client.get(
        f"/v1/reports/{path}",
        headers={**headers, "Accept": accept, "Accept-Language": "en"},
        params={"region_id": region.id},
    )

    body = assert_problem(response, 406, "not-acceptable")
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["vary"] == "Accept, Accept-Language"
    assert body["supported"] == ["application/json", "text/csv", XLSX_MEDIA_TYPE]
    assert body["end_user_message"] == "This file cannot be made in the format asked for."


async def test_a_partner_admin_settles_by_whole_months_and_a_region_admin_by_any_days(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world = await a_settlement_world(session)
    partner_admin = await bearer_for(session, Role.PARTNER_ADMIN, partner_id=world.partner)
    region_admin = await bearer_for(session, Role.REGION_ADMIN, region_id=world.region.id)
    one_day = {"from": "2026-04-02", "to": "2026-04-03"}
    half_april = {"from": "2026-04-01", "to": "2026-04-15"}
    april = {"from": "2026-04-01", "to": "2026-05-01"}

    async def settle(headers: dict[str, str], **params: str) -> httpx.Response:
        return await client.get("/v1/reports/settlement", headers=headers, params=params)

    # A day's lines name the home municipalities of that day's buyers: not for the partner.
    refused_day = await settle(partner_admin, **one_day)
    refused_half = await settle(partner_admin, **half_april)
    assert [
        e["parameter"] for e in assert_problem(refused_day, 422, "validation-failed")["errors"]
    ] == ["from"]
    assert [
        e["parameter"] for e in assert_problem(refused_half, 422, "validation-failed")["errors"]
    ] == ["to"]

    by_month = await settle(partner_admin, **april)
    as_region = await settle(region_admin, partner_id=world.partner, **april)
    assert by_month.status_code == as_region.status_code == 200
    assert by_month.json() == as_region.json()
    assert by_month.json()["total"]["tickets"] > 0

    # The region's own staff read any period, of the region or of one of its partners.
    day = await settle(region_admin, **one_day)
    partner_day = await settle(region_admin, partner_id=world.partner, **one_day)
    assert day.json()["total"]["tickets"] == 4
    assert 0 < partner_day.json()["total"]["tickets"] <= 4
