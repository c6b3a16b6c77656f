"""The monthly settlement sums: kept exact by the sale service, read by the settlement.

Sales go through the real API (quote, sell, hold, confirm, cancel, a hold that expires);
after every step the stored sums must be what a GROUP BY over the confirmed sale rows gives,
and at the end the settlement of many periods (whole months from the sums, partial months
from the rows) must be identical to the settlement summed from the rows alone.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncSession

from app.clock import BRUSSELS
from app.db import migrations, settlement
from app.db import reports as db_reports
from app.db import sales as db_sales
from app.db.engine import create_engine
from app.db.regions import MunicipalityRow, RegionRow
from app.db.reports import Scope
from app.db.tables import (
    sale_item_funding,
    sale_items,
    sales,
    settlement_payer_months,
    settlement_scheme_months,
)
from app.domain.access import Role
from app.domain.reports import ReportPeriod, SaleTotals, split_months
from tests.api.test_auth import assert_problem
from tests.factories import (
    a_partner,
    a_region,
    bearer_for,
    catalog_scheme,
    desk_clock,
    grant_statuses,
    next_nis,
    with_schemes,
)
from tests.reports.factories import (
    NOW,
    THIRDS,
    Line,
    Share,
    a_passholder,
    a_sale,
    an_offer,
    settle_at,
)
from tests.support.postgres import create_database, drop_database

# --- the split of a period --------------------------------------------------------------------


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _is_whole_month(period: ReportPeriod) -> bool:
    start = period.from_date
    return start.day == 1 and period.to_date == (start + timedelta(days=31)).replace(day=1)


@given(st.dates(date(2020, 1, 1), date(2030, 12, 31)), st.integers(1, 800))
def test_a_period_splits_into_whole_months_and_partial_months_that_cover_it_exactly(
    start: date, days: int
) -> None:
    period = ReportPeriod(start, start + timedelta(days=days))

    split = split_months(period)

    pieces = sorted(
        [*([split.whole_months] if split.whole_months else []), *split.partial],
        key=lambda piece: piece.from_date,
    )
    assert pieces[0].from_date == period.from_date
    assert pieces[-1].to_date == period.to_date
    assert all(a.to_date == b.from_date for a, b in itertools.pairwise(pieces))
    # No calendar month that lies wholly inside the period is left in a partial piece.
    month = _month_start(period.from_date)
    while month < period.to_date:
        following = (month + timedelta(days=31)).replace(day=1)
        if period.from_date <= month and following <= period.to_date:
            assert split.whole_months is not None
            assert split.whole_months.from_date <= month
            assert following <= split.whole_months.to_date
        month = following
    if split.whole_months is None:
        assert split.partial == (period,)
        return
    assert split.whole_months.from_date.day == split.whole_months.to_date.day == 1
    assert len(split.partial) <= 2
    for part in split.partial:
        assert _month_start(part.from_date) == _month_start(part.to_date - timedelta(days=1))
        assert not _is_whole_month(part)


def test_a_period_of_whole_months_has_no_partial_months() -> None:
    year = split_months(ReportPeriod(date(2026, 1, 1), date(2027, 1, 1)))
    assert year.whole_months == ReportPeriod(date(2026, 1, 1), date(2027, 1, 1))
    assert year.partial == ()
    edges = split_months(ReportPeriod(date(2026, 1, 15), date(2026, 4, 3)))
    assert edges.whole_months == ReportPeriod(date(2026, 2, 1), date(2026, 4, 1))
    assert edges.partial == (
        ReportPeriod(date(2026, 1, 15), date(2026, 2, 1)),
        ReportPeriod(date(2026, 4, 1), date(2026, 4, 3)),
    )
    inside = ReportPeriod(date(2026, 1, 15), date(2026, 2, 10))
    assert split_months(inside).whole_months is None


# --- the sums against the sale rows -----------------------------------------------------------

Sums = dict[tuple[Any, ...], tuple[int, ...]]


def _ledger_months(
    activity: date, confirmed_at: datetime, cancelled_at: datetime | None
) -> list[tuple[date, int]]:
    """The months a confirmed line counts in (+1) and, if cancelled, is taken off in (−1):
    its activity's month, unless that month was over when it happened — then the month it
    happened in (Brussels time), so a closed month never changes."""

    def month_of(moment: datetime) -> date:
        return max(_month_start(activity), _month_start(moment.astimezone(BRUSSELS).date()))

    entries = [(month_of(confirmed_at), 1)]
    if cancelled_at is not None:
        entries.append((month_of(cancelled_at), -1))
    return entries


async def sums_from_the_sale_rows(
    session: AsyncSession, *, on_activity_dates: bool = False
) -> tuple[Sums, Sums]:
    """What the two tables must hold, added up in Python from the sale rows: the lines of
    every sale that was confirmed, less those of the confirmed sales cancelled since.

    `on_activity_dates`: as every change counted before the settlement days existed — on
    the activity's month, so that a sale cancelled since counts nowhere.
    """
    items = (
        await session.execute(
            sa.select(
                sale_items.c.id,
                sales.c.partner_id,
                sales.c.confirmed_at,
                sales.c.cancelled_at,
                sale_items.c.activity_date,
                sale_items.c.scheme_code,
                sale_items.c.quantity,
                sale_items.c.regular_price_cents,
                sale_items.c.total_cents,
                sale_items.c.discount_cents,
            )
            .join(sales, sales.c.id == sale_items.c.sale_id)
            .where(
                sales.c.status.in_(("confirmed", "cancelled")), sales.c.confirmed_at.is_not(None)
            )
        )
    ).all()
    funding: dict[Any, list[Any]] = defaultdict(list)
    for row in (await session.execute(sa.select(sale_item_funding))).all():
        funding[row.sale_item_id].append(row)
    payers: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    schemes: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for item in items:
        regular = item.regular_price_cents * item.quantity
        line = (1, item.quantity, regular, item.total_cents, item.discount_cents * item.quantity)
        if on_activity_dates:
            entries = [(_month_start(item.activity_date), 1)] * (item.cancelled_at is None)
        else:
            entries = _ledger_months(item.activity_date, item.confirmed_at, item.cancelled_at)
        for month, sign in entries:
            scheme_key = (item.partner_id, month, item.scheme_code)
            schemes[scheme_key] = [
                a + sign * b for a, b in zip(schemes[scheme_key], line, strict=True)
            ]
            for share in funding[item.id]:
                key = (
                    *scheme_key,
                    share.scheme_code,
                    share.payer,
                    share.payer_ref if share.payer_ref is not None else "",
                )
                added = (*line[:4], share.amount_cents)
                payers[key] = [a + sign * b for a, b in zip(payers[key], added, strict=True)]
    # A line counted and taken off in the same month leaves nothing there.
    return (
        {key: tuple(value) for key, value in payers.items() if any(value)},
        {key: tuple(value) for key, value in schemes.items() if any(value)},
    )


async def stored_sums(session: AsyncSession) -> tuple[Sums, Sums]:
    """The two tables, less their rows at 0 in every sum (sales all cancelled in their
    month): such a row stands for no lines. A row may be at 0 lines and not at 0 tickets or
    cents (a line of 1 ticket counted late and one of 3 taken off in the same month)."""
    payer_table, scheme_table = settlement_payer_months, settlement_scheme_months
    payers: Sums = {}
    for row in (await session.execute(sa.select(payer_table))).all():
        sums = (row.lines, row.tickets, row.regular_cents, row.paid_cents, row.amount_cents)
        key = (
            row.partner_id,
            row.month,
            row.scheme_code,
            row.funded_scheme_code,
            row.payer,
            row.payer_ref,
        )
        if any(sums):
            payers[key] = tuple(int(value) for value in sums)
    schemes: Sums = {}
    for row in (await session.execute(sa.select(scheme_table))).all():
        sums = (row.lines, row.tickets, row.regular_cents, row.paid_cents, row.discount_cents)
        if any(sums):
            schemes[(row.partner_id, row.month, row.scheme_code)] = tuple(int(v) for v in sums)
    return payers, schemes


async def assert_the_sums_are_the_sale_rows(session: AsyncSession) -> None:
    assert await stored_sums(session) == await sums_from_the_sale_rows(session)


async def assert_settlements_match_the_sale_rows(
    session: AsyncSession, scopes: list[Scope], periods: list[ReportPeriod]
) -> None:
    for period in periods:
        for scope in scopes:
            raw_lines = await db_reports.payer_lines(session, scope, period, monthly=False)
            raw_schemes = await db_reports.scheme_totals(session, scope, period, monthly=False)
            assert await db_reports.payer_lines(session, scope, period) == raw_lines, period
            assert await db_reports.scheme_totals(session, scope, period) == raw_schemes, period


def some_periods(rng: random.Random, first: date, last: date, count: int) -> list[ReportPeriod]:
    """Random periods, with whole years and months, single days and periods inside a month."""
    span = (last - first).days
    periods = [
        ReportPeriod(date(first.year, 1, 1), date(last.year + 1, 1, 1)),
        ReportPeriod(date(first.year, 1, 1), date(first.year + 1, 1, 1)),
    ]
    while len(periods) < count:
        start = first + timedelta(days=rng.randrange(span))
        kind = rng.random()
        if kind < 0.25:
            start = start.replace(day=1)
            end = (start + timedelta(days=31 * rng.randint(1, 14))).replace(day=1)
        elif kind < 0.4:
            end = start + timedelta(days=1)
        elif kind < 0.55:
            end = start + timedelta(days=rng.randint(1, 20))
        else:
            end = start + timedelta(days=rng.randint(20, 500))
        periods.append(ReportPeriod(start, end))
    return periods


# --- a world where sales go through the API ---------------------------------------------------


@dataclass
class Desk:
    partner_id: str
    headers: dict[str, str]
    offers: list[str]


@dataclass
class Holder:
    card_number: str
    municipality_nis: str


@dataclass
class MixedWorld:
    region: RegionRow
    desks: list[Desk]
    holders: list[Holder]
    first_day: date
    last_day: date
    # The sale service's clock: it moves on through the scenario, across months' ends, so
    # that sales are confirmed and cancelled after their activity's month closed.
    now: datetime = datetime(2026, 1, 27, 20, 0, tzinfo=UTC)
    sales: dict[str, str] = field(default_factory=dict)  # sale id -> status
    sale_desk: dict[str, Desk] = field(default_factory=dict)
    sold_at: dict[str, datetime] = field(default_factory=dict)

    def hold_lapsed(self, sale: str) -> bool:
        return self.now >= self.sold_at[sale] + timedelta(minutes=15)

    def too_late_to_cancel(self, sale: str) -> bool:
        return self.now > self.sold_at[sale] + timedelta(hours=168)  # a partner's default


# Large-family reduction moved to the test region and paid partly by the holder's own
# municipality, wherever they live: payer lines with several municipality references.
HOME_MUNICIPALITY_FUNDING = {
    "same_municipality": [
        {"payer": "home_municipality", "percent": 50},
        {"payer": "partner", "rest": True},
    ],
    "other": [
        {"payer": "home_municipality", "percent": 30},
        {"payer": "scheme_owner", "rest": True},
    ],
}
STATUSES = [
    ("kansenstatuut",),
    ("kansenstatuut", "large_family"),
    ("large_family",),
    ("large_family",),
    ("article27",),
    ("article27", "kansenstatuut"),
    ("large_family", "article27"),
]


async def a_mixed_world(
    session: AsyncSession, client: httpx.AsyncClient, rng: random.Random
) -> MixedWorld:
    """Two partners of a two-municipality region and one of another region, one-off offers
    on days over fifteen months (first and last days of months among them), and holders
    with statuses that give the Kortrijk kansentarief with its welcome coupon on top, a
    large-family reduction funded by home municipalities, or an Article 27 ticket whose
    funder has no reference."""
    region = await a_region(
        session,
        municipalities=(
            MunicipalityRow(next_nis(), "Brugge", ("8000",)),
            MunicipalityRow(next_nis(), "Damme", ("8340",)),
        ),
    )
    elsewhere = await a_region(session)
    await with_schemes(
        session,
        catalog_scheme("KORTRIJK_KANSENTARIEF", region.code),
        catalog_scheme("KORTRIJK_WELKOMSTBON", region.code),
        catalog_scheme(
            "BRUGGE_GROOT_GEZIN", region.code, funding_by_residence=HOME_MUNICIPALITY_FUNDING
        ),
        catalog_scheme("ARTIKEL_27", None),
    )
    first_day, last_day = date(2026, 1, 1), date(2027, 3, 31)
    days = [
        date(2026, 1, 1),
        date(2026, 1, 31),
        date(2026, 3, 1),
        date(2026, 12, 31),
        date(2027, 1, 1),
        # Around the scenario's clock: sold before a month's end, changed after it.
        date(2026, 1, 20),
        date(2026, 1, 28),
        date(2026, 2, 10),
        date(2026, 2, 27),
        *(first_day + timedelta(days=rng.randrange(455)) for _ in range(11)),
    ]
    desks = []
    for name, home in (("Schouwburg", region), ("Sportclub", region), ("Elders", elsewhere)):
        partner_id = await a_partner(session, home, name=name)
        admin = await bearer_for(session, Role.PARTNER_ADMIN, partner_id=partner_id)
        offers = []
        for day in rng.sample(days, 6):
            offer = await client.post(
                f"/v1/partners/{partner_id}/offers",
                headers=admin,
                json={
                    "title": f"Voorstelling {day}",
                    "category": "podium",
                    "kind": "one_off",
                    "starts_at": datetime(day.year, day.month, day.day, 18, tzinfo=UTC).isoformat(),
                    "price_classes": [
                        {
                            "code": "standard",
                            "label": "Standaard",
                            "price_cents": rng.randrange(500, 20_000, 5),
                        }
                    ],
                },
            )
            assert offer.status_code == 201, offer.text
            offers.append(offer.json()["id"])
        desk = await bearer_for(session, Role.DESK, partner_id=partner_id)
        desks.append(Desk(partner_id, desk, offers))
    registry = await bearer_for(session, Role.REGISTRY, region_id=region.id)
    holders = []
    for number, statuses in enumerate(STATUSES):
        municipality = region.municipalities[number % 2]
        created = await client.post(
            "/v1/passholders",
            headers=registry,
            json={
                "first_name": "Test",
                "last_name": f"Houder{number}",
                "birth_date": f"{1960 + number}-03-0{1 + number}",
                "postal_code": municipality.postal_codes[0],
                "municipality_nis": municipality.nis_code,
            },
        )
        assert created.status_code == 201, created.text
        holder_id = created.json()["id"]
        card = (await client.post(f"/v1/passholders/{holder_id}/cards", headers=registry)).json()
        await grant_statuses(client, registry, holder_id, region.id, statuses)
        holders.append(Holder(card["number"], municipality.nis_code))
    await session.commit()
    return MixedWorld(region, desks, holders, first_day, last_day)


async def sell_something(
    client: httpx.AsyncClient,
    world: MixedWorld,
    rng: random.Random,
    *,
    hold: bool,
    holder: Holder | None = None,
) -> str | None:
    """Quote a random holder, offer and quantity; sell at a random tariff of the quote."""
    desk = rng.choice(world.desks) if holder is None else world.desks[0]
    holder = holder or rng.choice(world.holders)
    item = {
        "card_number": holder.card_number,
        "offer_id": rng.choice(desk.offers),
        "price_class": "standard",
        "quantity": rng.choice((1, 1, 1, 2, 3)),
    }
    quote = await client.post("/v1/quotes", headers=desk.headers, json=item)
    assert quote.status_code == 200, quote.text
    tariffs = quote.json()["tariffs"]
    if not tariffs:
        return None
    tariff = rng.choice(tariffs)
    response = await client.post(
        "/v1/sales",
        headers={**desk.headers, "Idempotency-Key": uuid.uuid4().hex},
        json={"items": [{**item, "tariff_id": tariff["tariff_id"]}], "hold": hold},
    )
    assert response.status_code == 201, response.text
    sale = response.json()
    world.sales[sale["id"]] = sale["status"]
    world.sale_desk[sale["id"]] = desk
    world.sold_at[sale["id"]] = world.now
    return str(sale["id"])


async def change_a_sale(client: httpx.AsyncClient, world: MixedWorld, rng: random.Random) -> str:
    """One random step: a sale, a hold, a confirmation, a cancellation, or time passing (20
    minutes, which lets holds lapse, or six hours to three days)."""
    held = [sale for sale, status in world.sales.items() if status == "held"]
    confirmed = [sale for sale, status in world.sales.items() if status == "confirmed"]
    draw = rng.random()
    if not held and not confirmed:
        draw = min(draw, 0.5)
    if draw < 0.2:
        world.now += rng.choice((timedelta(minutes=20), timedelta(hours=rng.randint(6, 72))))
        return "time passes"
    if draw < 0.55 or (draw < 0.8 and not held) or (0.8 <= draw < 0.9 and not confirmed):
        await sell_something(client, world, rng, hold=draw >= 0.4)
        return "sell"
    if draw < 0.8:
        sale = rng.choice(held)
        response = await client.post(
            f"/v1/sales/{sale}/confirm", headers=world.sale_desk[sale].headers
        )
        if world.hold_lapsed(sale):  # the hold's time ran out: confirming releases it
            assert_problem(response, 409, "hold-expired")
            world.sales[sale] = "expired"
            return "expire"
        assert response.status_code == 200, response.text
        world.sales[sale] = "confirmed"
        return "confirm"
    candidates = confirmed if draw < 0.9 else (held or confirmed)
    in_time = [sale for sale in candidates if not world.too_late_to_cancel(sale)]
    # Mostly within the partner's window (some of them across a month's end), sometimes not.
    sale = rng.choice(in_time if in_time and rng.random() < 0.8 else candidates)
    was = world.sales[sale]
    response = await client.post(f"/v1/sales/{sale}/cancel", headers=world.sale_desk[sale].headers)
    if was == "held" and world.hold_lapsed(sale):  # found expired: nothing to cancel
        assert_problem(response, 409, "sale-not-active")
        world.sales[sale] = "expired"
        return "expire"
    if was == "confirmed" and world.too_late_to_cancel(sale):
        assert_problem(response, 409, "cancellation-window-passed")
        return "cancel refused"
    assert response.status_code == 200, response.text
    world.sales[sale] = "cancelled"
    return f"cancel {was}"


async def run_the_mixed_scenario(
    session: AsyncSession,
    client: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
    *,
    seed: int,
    steps: int,
) -> None:
    rng = random.Random(seed)
    world = await a_mixed_world(session, client, rng)
    desk_clock(monkeypatch, lambda: world.now)
    done: dict[str, int] = defaultdict(int)
    # Every holder buys once at a partner of the region: every scheme and payer is there.
    for holder in world.holders:
        await sell_something(client, world, rng, hold=False, holder=holder)
        await assert_the_sums_are_the_sale_rows(session)
    for _ in range(steps):
        done[await change_a_sale(client, world, rng)] += 1
        await assert_the_sums_are_the_sale_rows(session)

    scopes = [Scope(region_id=world.region.id)] + [
        Scope(partner_id=desk.partner_id) for desk in world.desks
    ]
    first = world.first_day - timedelta(days=40)
    periods = some_periods(rng, first, world.last_day + timedelta(days=40), 40)
    await assert_settlements_match_the_sale_rows(session, scopes, periods)

    # Through the API too: the report of a period with partial months at both edges.
    admin = await bearer_for(session, Role.ADMIN)
    period = ReportPeriod(date(2026, 1, 20), date(2027, 2, 10))
    response = await client.get(
        "/v1/reports/settlement",
        headers=admin,
        params={
            "region_id": world.region.id,
            "from": period.from_date.isoformat(),
            "to": period.to_date.isoformat(),
        },
    )
    assert response.status_code == 200, response.text
    raw = [
        asdict(line)
        for line in await db_reports.payer_lines(session, scopes[0], period, monthly=False)
    ]
    assert [{name: line[name] for name in raw[0]} for line in response.json()["lines"]] == raw
    raw_totals = await db_reports.scheme_totals(session, scopes[0], period, monthly=False)
    assert [line["scheme_code"] for line in response.json()["schemes"]] == [
        total.scheme_code for total in raw_totals
    ]
    assert response.json()["total"] == asdict(SaleTotals.of(t.totals for t in raw_totals))

    # The scenario did exercise what it is meant to.
    statuses = set(world.sales.values())
    assert {"confirmed", "cancelled", "expired"} <= statuses, done
    for step in ("sell", "confirm", "expire", "cancel confirmed", "cancel held", "time passes"):
        assert done[step], done
    # Months closed under the scenario: lines counted after their activity's month, and
    # lines taken off in a later month than they counted in (a correction).
    ledger = (
        await session.execute(
            sa.select(
                sale_items.c.activity_date, sale_items.c.counted_on, sale_items.c.uncounted_on
            )
        )
    ).all()
    assert any(
        line.counted_on is not None and line.counted_on > line.activity_date for line in ledger
    )
    assert any(
        line.uncounted_on is not None
        and _month_start(line.uncounted_on) > _month_start(line.counted_on)
        for line in ledger
    )
    assert world.now >= datetime(2026, 2, 1, tzinfo=UTC), world.now
    payers, _ = await stored_sums(session)
    assert "KORTRIJK_WELKOMSTBON" in {key[3] for key in payers}  # a coupon's own funder
    assert len({key[5] for key in payers if key[4] == "home_municipality"}) == 2
    assert "" in {key[5] for key in payers}  # a funder without a reference


async def test_the_sums_follow_every_sale_change_and_settle_like_the_rows_on_postgresql(
    session: AsyncSession, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    await run_the_mixed_scenario(session, client, monkeypatch, seed=20261127, steps=100)


async def test_a_cancel_that_finds_its_hold_confirmed_meanwhile_takes_it_off_once(
    session: AsyncSession, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(3)
    world = await a_mixed_world(session, client, rng)
    sale = None
    while sale is None:
        sale = await sell_something(client, world, rng, hold=True)
    real_lock = db_sales.lock_sale

    async def confirmed_meanwhile(session_: AsyncSession, sale_id: uuid.UUID) -> Any:
        # What another desk's confirmation commits while the cancel waits for the sale's
        # lock: the cancel decides on the sale as the lock finds it, confirmed.
        await settle_at(session_, str(sale_id), "confirmed", datetime.now(UTC))
        return await real_lock(session_, sale_id)

    monkeypatch.setattr(db_sales, "lock_sale", confirmed_meanwhile)

    response = await client.post(f"/v1/sales/{sale}/cancel", headers=world.sale_desk[sale].headers)

    assert response.status_code == 200, response.text
    assert response.json()["status"] == "cancelled"
    status = (
        await session.execute(sa.select(sales.c.status).where(sales.c.id == uuid.UUID(sale)))
    ).scalar_one()
    assert status == "cancelled"
    # Counted by the confirmation, taken off by the cancel: once each.
    await assert_the_sums_are_the_sale_rows(session)
    _, schemes = await stored_sums(session)
    assert sum(value[0] for value in schemes.values()) == 0


# --- the migration fills the sums from the sales already there -------------------------------

BEFORE_THE_SUMS = "a88f8dff257a"


@pytest.fixture
def empty_database(postgres_admin_url: str) -> Iterator[str]:
    admin_url = postgres_admin_url
    url = create_database(admin_url, prefix="openpas_backfill")
    yield url
    drop_database(admin_url, url)


# Tables that revisions after the settlement days one create (organisations and vouchers).
# The tables of revisions after "settlement days": the downgrade drops them (empty).
TABLES_OF_LATER_REVISIONS = frozenset(
    {
        "organisations",
        "allocations",
        "vouchers",
        "checkins",
        "staff_members",
        "staff_sessions",
        "login_failures",
        "group_cards",
        "ticket_requests",
        "webhook_subscriptions",
        "webhook_deliveries",
    }
)


async def row_counts(session: AsyncSession, tables: dict[str, int] | None = None) -> dict[str, int]:
    """Rows per table: of every table the database has, or of the tables named."""
    if tables is None:
        names = await session.run_sync(lambda sync: sa.inspect(sync.connection()).get_table_names())
    else:
        names = list(tables)
    return {
        name: (
            await session.execute(sa.select(sa.func.count()).select_from(sa.table(name)))
        ).scalar_one()
        for name in names
        if name != "alembic_version"
    }


async def _a_region_of_that_revision(session: AsyncSession) -> RegionRow:
    """A region written with the columns the table had then (the service writes and reads
    the ones it has now)."""
    region_id, nis = uuid.uuid4(), next_nis()
    code = f"R_{region_id.hex[:8].upper()}"
    await session.execute(
        sa.text(
            "INSERT INTO regions (id, code, name, status_grace_days, default_status_end, "
            "created_at) VALUES (:id, :code, :name, 0, '04-30', now())"
        ),
        {"id": region_id, "code": code, "name": f"Regio {code}"},
    )
    await session.execute(
        sa.text("INSERT INTO municipalities (nis_code, region_id, name) VALUES (:nis, :id, 'G')"),
        {"nis": nis, "id": region_id},
    )
    await session.execute(
        sa.text(
            "INSERT INTO municipality_postal_codes (postal_code, nis_code) VALUES ('8500', :nis)"
        ),
        {"nis": nis},
    )
    return RegionRow(
        id=str(region_id),
        code=code,
        name=f"Regio {code}",
        status_grace_days=0,
        default_status_end="04-30",
        created_at=datetime.now(UTC),
        municipalities=(MunicipalityRow(nis, "G", ("8500",)),),
    )


async def _a_partner_of_that_revision(session: AsyncSession, region: RegionRow) -> str:
    """A partner written with the columns the table had then (`archived_at` came later)."""
    partner_id = uuid.uuid4()
    await session.execute(
        sa.text(
            "INSERT INTO partners (id, region_id, municipality_nis, name, categories, "
            "cancellation_window_hours, created_at) VALUES (:id, :region, :nis, 'Zaal', "
            "'[\"podium\"]', 168, now())"
        ),
        {
            "id": partner_id,
            "region": uuid.UUID(region.id),
            "nis": region.municipalities[0].nis_code,
        },
    )
    return str(partner_id)


async def test_the_migration_fills_the_sums_from_the_confirmed_sales(
    empty_database: str,
) -> None:
    await migrations.upgrade_async(empty_database, BEFORE_THE_SUMS)
    engine = create_engine(empty_database)
    try:
        async with AsyncSession(bind=engine, expire_on_commit=False) as session:
            region = await _a_region_of_that_revision(session)
            partners = [
                await _a_partner_of_that_revision(session, region),
                await _a_partner_of_that_revision(session, region),
            ]
            offers = [await an_offer(session, partner) for partner in partners]
            holders = [await a_passholder(session, region) for _ in range(3)]
            rng = random.Random(11)
            for number in range(60):
                at = rng.randrange(2)
                day = date(2026, 1, 1) + timedelta(days=rng.randrange(400))
                shares = None
                if number % 7 == 0:  # a funder without a reference, and a coupon on top
                    shares = (
                        Share("ARTIKEL_27", "ARTIKEL_27_VZW", None, 5_000),
                        Share("ARTIKEL_27", "partner", partners[at], 4_420),
                        Share("KORTRIJK_WELKOMSTBON", "scheme_owner", "REGIO_KORTRIJK", 100),
                    )
                line = Line(
                    rng.choice(holders),
                    offers[at],
                    day,
                    quantity=rng.randint(1, 3) if shares is None else 1,
                    scheme_code="ARTIKEL_27" if shares else "KORTRIJK_KANSENTARIEF",
                    shares=shares,
                )
                status = rng.choice(["confirmed"] * 5 + ["cancelled", "held", "expired"])
                await a_sale(session, partners[at], [line, line], status=status, sums=False)
            await session.commit()
            before = await row_counts(session)

        await migrations.upgrade_async(empty_database)

        async with AsyncSession(bind=engine, expire_on_commit=False) as session:
            # Every later migration keeps every row.
            assert await row_counts(session, before) == before
            payers, schemes = await stored_sums(session)
            # The sales before the settlement days count on their activity dates, as then.
            assert (payers, schemes) == await sums_from_the_sale_rows(
                session, on_activity_dates=True
            )
            assert sum(value[0] for value in schemes.values()) > 60
            assert "" in {key[5] for key in payers}
            # Recomputing them from the sales gives the same rows.
            await settlement.rebuild(session)
            assert await stored_sums(session) == (payers, schemes)
            scopes = [Scope(region_id=region.id), Scope(partner_id=partners[0])]
            periods = some_periods(rng, date(2025, 12, 1), date(2027, 3, 1), 15)
            await assert_settlements_match_the_sale_rows(session, scopes, periods)
    finally:
        await engine.dispose()


# --- concurrent changes ----------------------------------------------------------------------


async def test_concurrent_changes_to_the_same_sums_neither_deadlock_nor_lose_updates(
    postgres_admin_url: str,
) -> None:
    """Forty sales of one partner over the same two months and payers, added at the same
    moment from eight connections (their lines in opposite orders), then ten cancelled at
    the same moment: every change counts once, and none waits on another for ever."""
    url = create_database(postgres_admin_url, prefix="openpas_sums")
    engine = create_engine(url, pool_size=8)
    try:
        await migrations.upgrade_async(url)
        async with AsyncSession(bind=engine, expire_on_commit=False) as session:
            region = await a_region(session)
            partner = await a_partner(session, region)
            offer = await an_offer(session, partner)
            holder = await a_passholder(session, region)
            written = []
            for number in range(40):
                # Months still running when the factory's sales are confirmed (NOW).
                lines = [
                    Line(holder, offer, date(2026, 6, 10)),
                    Line(holder, offer, date(2026, 7, 20), funding_key=THIRDS, quantity=2),
                ]
                if number % 2:
                    lines.reverse()
                written.append(await a_sale(session, partner, lines, sums=False))
            await session.commit()
        gate = asyncio.Semaphore(8)
        rng = random.Random(5)

        async def change(sale_id: str, *, cancel: bool) -> None:
            async with gate, AsyncSession(bind=engine) as session:
                await settle_at(session, sale_id, "cancelled" if cancel else "confirmed", NOW)
                await asyncio.sleep(rng.random() / 50)  # hold the rows a while
                await session.commit()

        await asyncio.gather(*(change(sale.id, cancel=False) for sale in written))
        async with AsyncSession(bind=engine) as session:
            await assert_the_sums_are_the_sale_rows(session)
        await asyncio.gather(*(change(sale.id, cancel=True) for sale in written[::4]))
        async with AsyncSession(bind=engine) as session:
            await assert_the_sums_are_the_sale_rows(session)
            _, schemes = await stored_sums(session)
            assert sum(value[0] for value in schemes.values()) == 2 * 30
    finally:
        await engine.dispose()
        drop_database(postgres_admin_url, url)


BEFORE_THE_SETTLEMENT_DAYS = "310d45f260fa"


# Tables created by revisions after the settlement days ("staff accounts").
async def test_the_settlement_days_migration_steps_down_to_activity_months_and_up_again(
    empty_database: str,
) -> None:
    """Down, the sums are recomputed as the older code kept them (every sale confirmed now
    on its activity's month); up again, the lines are counted on their activity dates, so
    the sums stay those."""
    await migrations.upgrade_async(empty_database)
    engine = create_engine(empty_database)
    try:
        async with AsyncSession(bind=engine, expire_on_commit=False) as session:
            region = await a_region(session)
            partner = await a_partner(session, region)
            offer = await an_offer(session, partner)
            holder = await a_passholder(session, region)
            await a_sale(session, partner, [Line(holder, offer, date(2026, 6, 10))])
            late = []
            for day in (date(2026, 3, 5), date(2026, 4, 30)):
                sale = await a_sale(session, partner, [Line(holder, offer, day)], status="held")
                # Confirmed when the factory's NOW (June) came: counted in June.
                await settle_at(session, sale.id, "confirmed", NOW)
                late.append(sale)
            # The second late one cancelled in July: a correction in July.
            await settle_at(session, late[1].id, "cancelled", NOW + timedelta(days=40))
            await session.commit()
            _, schemes = await stored_sums(session)
            assert sorted((key[1], value[0]) for key, value in schemes.items()) == [
                (date(2026, 6, 1), 3),
                (date(2026, 7, 1), -1),
            ]
            # The sums are recomputed below; every other row must stay (in the tables of
            # that older schema: those of later revisions go with the downgrade, empty).
            counted = await row_counts(session)
            assert {counted[name] for name in TABLES_OF_LATER_REVISIONS} == {0}
            before = {
                name: count
                for name, count in counted.items()
                if not name.startswith("settlement_") and name not in TABLES_OF_LATER_REVISIONS
            }

        await asyncio.to_thread(migrations.downgrade, empty_database, BEFORE_THE_SETTLEMENT_DAYS)

        async with AsyncSession(bind=engine, expire_on_commit=False) as session:
            assert await row_counts(session, before) == before
            activity_months = await sums_from_the_sale_rows(session, on_activity_dates=True)
            assert await stored_sums(session) == activity_months
            _, schemes = activity_months
            # The late one still confirmed on its March activity; the one on time in June.
            assert sorted((key[1], value[0]) for key, value in schemes.items()) == [
                (date(2026, 3, 1), 1),
                (date(2026, 6, 1), 1),
            ]

        await migrations.upgrade_async(empty_database)

        async with AsyncSession(bind=engine, expire_on_commit=False) as session:
            assert await stored_sums(session) == activity_months
            await settlement.rebuild(session)
            assert await stored_sums(session) == activity_months
    finally:
        await engine.dispose()
