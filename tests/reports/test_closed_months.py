"""A closed month's settlement never changes.

A partner invoices a month once it is over. A sale confirmed, or a confirmed sale cancelled,
after its activity's month ended counts in the month it happened in — a late addition, or a
correction with negative figures — and leaves the invoiced month as it was. Through the
API, with the desk's clock set to the moments of the story.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.access import Role
from tests.api.test_desk import kortrijk_world, quote, sell
from tests.factories import DeskWorld, a_partner, a_region, bearer_for, desk_clock
from tests.reports.factories import (
    Line,
    Share,
    a_passholder,
    a_sale,
    an_offer,
    read_csv,
    settle_at,
)

SEPTEMBER = {"from": "2026-09-01", "to": "2026-10-01"}
OCTOBER = {"from": "2026-10-01", "to": "2026-11-01"}
YEAR_2026 = {"from": "2026-01-01", "to": "2027-01-01"}


@dataclass
class Desk:
    world: DeskWorld  # its offer: the evening of 30 September
    partner_admin: dict[str, str]
    region_admin: dict[str, str]
    offers: dict[str, str]  # evening -> offer id


async def a_desk(session: AsyncSession, client: httpx.AsyncClient) -> Desk:
    """A partner of a region with the Kortrijk kansentarief (the holder pays 20 %, the
    partner and the region each fund half of the reduction), one-off evenings on the last
    day of September and in October at €10 and €15, and a holder with a kansenstatuut."""
    world = await kortrijk_world(
        session,
        client,
        kind="one_off",
        starts_at=datetime(2026, 9, 30, 18, tzinfo=UTC),
        price_cents=1_000,
    )
    admin = await bearer_for(session, Role.PARTNER_ADMIN, partner_id=world.partner_id)
    offers = {"30 september": world.offer_id}
    for evening, starts_at, price in (
        ("30 september, laat", "2026-09-30T21:00:00+00:00", 1_500),
        ("5 oktober", "2026-10-05T18:00:00+00:00", 1_000),
    ):
        offer = await client.post(
            f"/v1/partners/{world.partner_id}/offers",
            headers=admin,
            json={
                "title": f"Voorstelling {evening}",
                "category": "podium",
                "kind": "one_off",
                "starts_at": starts_at,
                "price_classes": [{"code": "standard", "label": "Standaard", "price_cents": price}],
            },
        )
        assert offer.status_code == 201, offer.text
        offers[evening] = offer.json()["id"]
    await session.commit()
    return Desk(
        world=world,
        partner_admin=admin,
        region_admin=await bearer_for(session, Role.REGION_ADMIN, region_id=world.region.id),
        offers=offers,
    )


def at(monkeypatch: pytest.MonkeyPatch, moment: str) -> None:
    """The desk's clock stands at `moment` (UTC)."""
    now = datetime.fromisoformat(moment).replace(tzinfo=UTC)
    desk_clock(monkeypatch, lambda: now)


async def sell_at_kansentarief(
    client: httpx.AsyncClient, desk: Desk, evening: str, *, hold: bool = False
) -> str:
    world = replace(desk.world, offer_id=desk.offers[evening])
    [tariff] = (await quote(client, world)).json()["tariffs"]
    assert tariff["scheme_code"] == "KORTRIJK_KANSENTARIEF"
    sale = await sell(client, world, tariff["tariff_id"], hold=hold)
    assert sale.status_code == 201, sale.text
    return str(sale.json()["id"])


async def settlement_report(
    client: httpx.AsyncClient, headers: dict[str, str], period: dict[str, str], **scope: str
) -> dict[str, Any]:
    response = await client.get(
        "/v1/reports/settlement", headers=headers, params={**period, **scope}
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def owed(report: dict[str, Any]) -> dict[str, int]:
    return {line["payer"]: line["amount_cents"] for line in report["lines"]}


async def test_a_cancellation_after_the_month_closed_is_a_correction_in_the_month_it_was_made(
    client: httpx.AsyncClient, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk = await a_desk(session, client)
    at(monkeypatch, "2026-09-30T17:00:00")
    sold = await sell_at_kansentarief(client, desk, "30 september")
    invoiced = await settlement_report(client, desk.partner_admin, SEPTEMBER)
    assert invoiced["total"] == {
        "tickets": 1,
        "regular_cents": 1_000,
        "paid_cents": 200,
        "discount_cents": 800,
    }
    assert owed(invoiced) == {"partner": 400, "scheme_owner": 400}

    # Two days into October, within the partner's week to cancel.
    at(monkeypatch, "2026-10-02T09:00:00")
    cancelled = await client.post(f"/v1/sales/{sold}/cancel", headers=desk.world.desk)
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    # A sale made and cancelled while its month runs leaves no trace in it.
    at(monkeypatch, "2026-10-05T10:00:00")
    same_month = await sell_at_kansentarief(client, desk, "5 oktober")
    assert (await client.post(f"/v1/sales/{same_month}/cancel", headers=desk.world.desk)).is_success

    assert await settlement_report(client, desk.partner_admin, SEPTEMBER) == invoiced
    october = await settlement_report(client, desk.partner_admin, OCTOBER)
    assert october["total"] == {
        "tickets": -1,
        "regular_cents": -1_000,
        "paid_cents": -200,
        "discount_cents": -800,
    }
    assert owed(october) == {"partner": -400, "scheme_owner": -400}
    assert [line["tickets"] for line in october["lines"]] == [-1, -1]
    # Over the year the sale and its correction cancel out: nothing is owed.
    year = await settlement_report(
        client, desk.region_admin, YEAR_2026, region_id=desk.world.region.id
    )
    assert year["lines"] == []
    assert year["total"]["tickets"] == 0
    # The invoice file shows the correction as negative euros.
    csv = await client.get(
        "/v1/reports/settlement",
        headers={**desk.partner_admin, "Accept": "text/csv"},
        params=OCTOBER,
    )
    assert [row[5:13] for row in read_csv(csv) if row[0] == "betaler"] == [
        [
            "partner",
            "partner",
            desk.world.partner_id,
            "Cultuurcentrum",
            "-1",
            "-10,00",
            "-2,00",
            "-4,00",
        ],
        [
            "scheme_owner",
            "regio van het kortingssysteem",
            desk.world.region.code,
            desk.world.region.name,
            "-1",
            "-10,00",
            "-2,00",
            "-4,00",
        ],
    ]


async def test_a_cancellation_after_midnight_in_brussels_is_a_correction_in_the_new_month(
    client: httpx.AsyncClient, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk = await a_desk(session, client)
    at(monkeypatch, "2026-10-31T20:00:00")  # 21:00 in Brussels, 31 October
    sold = await sell_at_kansentarief(client, desk, "5 oktober")
    invoiced = await settlement_report(client, desk.partner_admin, OCTOBER)

    # 23:30 UTC, still 31 October in UTC: 00:30 on 1 November in Brussels.
    at(monkeypatch, "2026-10-31T23:30:00")
    cancelled = await client.post(f"/v1/sales/{sold}/cancel", headers=desk.world.desk)

    assert cancelled.status_code == 200, cancelled.text
    assert invoiced["total"]["tickets"] == 1
    assert await settlement_report(client, desk.partner_admin, OCTOBER) == invoiced
    november = {"from": "2026-11-01", "to": "2026-12-01"}
    corrected = await settlement_report(
        client, desk.region_admin, november, region_id=desk.world.region.id
    )
    assert corrected["total"]["tickets"] == -1


async def test_a_hold_confirmed_after_its_month_closed_counts_in_the_month_it_was_confirmed(
    client: httpx.AsyncClient, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk = await a_desk(session, client)
    # 23:55 in Brussels on the last evening of September; confirmed ten minutes later.
    at(monkeypatch, "2026-09-30T21:55:00")
    held = await sell_at_kansentarief(client, desk, "30 september, laat", hold=True)
    at(monkeypatch, "2026-09-30T22:05:00")
    confirmed = await client.post(f"/v1/sales/{held}/confirm", headers=desk.world.desk)
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "confirmed"

    september = await settlement_report(client, desk.partner_admin, SEPTEMBER)
    october = await settlement_report(client, desk.partner_admin, OCTOBER)

    assert september["lines"] == []
    assert september["total"]["tickets"] == 0
    assert october["total"]["tickets"] == 1
    assert owed(october) == {"partner": 600, "scheme_owner": 600}
    # The line still carries its activity date (participation counts on it).
    [line] = confirmed.json()["items"]
    assert line["activity_date"] == "2026-09-30"


async def test_a_scheme_whose_late_changes_cancel_out_keeps_its_total_beside_its_payers(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    """In October a September sale is cancelled and another, at the same price, confirmed
    late: the scheme's sums cancel out, but the two buyers' home municipalities each owe (or
    get back) their share. The payer lines are reported, and so is their scheme, at 0."""
    region = await a_region(session)
    partner = await a_partner(session, region)
    offer = await an_offer(session, partner)

    def line(holder: str, day: date, municipality: str) -> Line:
        return Line(
            holder,
            offer,
            day,
            shares=(
                Share("KORTRIJK_KANSENTARIEF", "partner", partner, 4_760),
                Share("KORTRIJK_KANSENTARIEF", "home_municipality", municipality, 4_760),
            ),
        )

    october_3 = datetime(2026, 10, 3, 10, tzinfo=UTC)
    cancelled = await a_sale(
        session, partner, [line(await a_passholder(session, region), date(2026, 9, 20), "11111")]
    )
    await settle_at(session, cancelled.id, "cancelled", october_3)
    late = await a_sale(
        session,
        partner,
        [line(await a_passholder(session, region), date(2026, 9, 25), "22222")],
        status="held",
    )
    await settle_at(session, late.id, "confirmed", october_3)
    await session.commit()
    headers = await bearer_for(session, Role.PARTNER_ADMIN, partner_id=partner)

    october = await settlement_report(client, headers, OCTOBER)

    assert [
        (line["payer"], line["payer_ref"], line["amount_cents"]) for line in october["lines"]
    ] == [
        ("home_municipality", "11111", -4_760),
        ("home_municipality", "22222", 4_760),
    ]
    assert october["schemes"] == [
        {
            "scheme_code": "KORTRIJK_KANSENTARIEF",
            "tickets": 0,
            "regular_cents": 0,
            "paid_cents": 0,
            "discount_cents": 0,
        }
    ]
