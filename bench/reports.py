"""Time the reports on a populated database (target: under 2 s each with 2,000,000 sales).

A region's year of settlement, the same year less two weeks at either end (whole months
from the monthly sums, the two partial months from the sale rows), the year summed from the
sale rows alone (the lines counted less those taken off, with no monthly sums: for
comparison, no route does it), its busiest partner's year of settlement, the region's year
of participation by month, and its non-take-up counts.

    .venv/bin/python bench/reports.py DATABASE_URL [--region CODE] [--year 2026] [--rounds 5]
        [--explain] [--synthetic 2000000 [--regions 1]]

DATABASE_URL is a migrated database with sales in it, such as the one `python -m bench.dataset
--keep` leaves behind. Without --region the region with the most sale lines is timed, and
without --year the year in which it has the most. Each report runs once to warm the cache,
then --rounds times; the median and the fastest are printed. --explain prints PostgreSQL's
plan (EXPLAIN ANALYZE, BUFFERS) of every report query.

--synthetic N first fills an *empty* PostgreSQL database (it is migrated here) with N sales
made by a few set-based INSERT … SELECT statements: a quick stand-in when the full dataset
is not at hand. Every sale has one line, every fifth a second one; 90 % are confirmed, the
rest cancelled, expired or still held; most lines are at a 20 % kansentarief split between
partner and region, a fifth at a fixed price split three ways, 2 % at the regular price. All
lines fall in 2026, and with --regions 1 (the default) in one region: the worst case, where a
region's year is every row in the database.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.db import migrations, settlement
from app.db import reports as db_reports
from app.db.engine import create_engine, create_sessionmaker
from app.domain.access import Grant, Principal, Role
from app.domain.reports import ReportPeriod
from app.services import reports
from app.settings import async_database_url

ADMIN = Principal("bench-reports", (Grant(Role.ADMIN),))

# --- a quick synthetic fill ------------------------------------------------------------------

_FILL = [
    """
    INSERT INTO regions (id, code, name, status_grace_days, default_status_end, created_at)
    SELECT md5('r' || r)::uuid, 'BENCH_' || r, 'Bench region ' || r, 30, '04-30', now()
    FROM generate_series(0, :regions - 1) r
    """,
    """
    INSERT INTO municipalities (nis_code, region_id, name)
    SELECT (90000 + r * 10 + m)::text, md5('r' || r)::uuid, 'Gemeente ' || r || '-' || m
    FROM generate_series(0, :regions - 1) r, generate_series(0, 4) m
    """,
    """
    INSERT INTO partners (id, region_id, municipality_nis, name, categories, created_at)
    SELECT md5('p' || p)::uuid, md5('r' || (p % :regions))::uuid,
           (90000 + (p % :regions) * 10 + p % 5)::text, 'Partner ' || p, '["podium"]', now()
    FROM generate_series(0, :partners - 1) p
    """,
    """
    INSERT INTO offers (id, partner_id, title, category, kind, created_at)
    SELECT md5('o' || o)::uuid, md5('p' || (o / 10))::uuid, 'Offer ' || o,
           (ARRAY['podium', 'sport', 'museum', 'film', 'jeugd', 'cursus'])[1 + o % 6],
           'permanent', now()
    FROM generate_series(0, :partners * 10 - 1) o
    """,
    """
    INSERT INTO passholders (id, region_id, first_name, last_name, name_key, birth_date,
                             postal_code, municipality_nis, created_at, updated_at)
    SELECT md5('h' || h)::uuid, md5('r' || (h % :regions))::uuid, 'Bench', 'Holder ' || h,
           'holder' || h || '|bench', date '1950-01-01' + h % 20000, '8500',
           (90000 + (h % :regions) * 10 + (h / :regions) % 5)::text, now(), now()
    FROM generate_series(0, :holders - 1) h
    """,
    """
    INSERT INTO sales (id, partner_id, client_id, status, created_at, hold_expires_at,
                       confirmed_at, cancelled_at)
    SELECT md5('s' || s)::uuid, md5('p' || (s % :partners))::uuid, 'bench', status, at,
           CASE WHEN status IN ('held', 'expired') THEN at + interval '15 minutes' END,
           CASE WHEN status IN ('confirmed', 'cancelled') THEN at END,
           CASE WHEN status = 'cancelled' THEN at + interval '1 day' END
    FROM generate_series(0, :sales - 1) s,
         LATERAL (SELECT timestamptz '2026-01-01 08:00+00'
                         + ((s::bigint * 7919) % 525600) * interval '1 minute' AS at,
                         CASE WHEN s % 100 < 90 THEN 'confirmed'
                              WHEN s % 100 < 94 THEN 'cancelled'
                              WHEN s % 100 < 97 THEN 'expired'
                              ELSE 'held' END AS status) v
    """,
    """
    INSERT INTO sale_items (id, sale_id, passholder_id, card_number, offer_id, price_class,
                            municipality_nis, scheme_code, scheme_version, parts, label,
                            quantity, regular_price_cents, unit_price_cents, total_cents,
                            discount_cents, activity_date)
    SELECT md5('i' || s || '-' || n)::uuid, md5('s' || s)::uuid, md5('h' || h)::uuid,
           '0000000000000', md5('o' || ((s % :partners) * 10 + (s * 31 + n) % 10))::uuid,
           'standard', (90000 + r * 10 + (h / :regions) % 5)::text, scheme, 1, '[]', scheme,
           quantity, regular, unit, unit * quantity, regular - unit,
           date '2026-01-01' + ((s::bigint * 7919) % 525600)::int / 1440
    FROM generate_series(0, :sales - 1) s
    CROSS JOIN LATERAL generate_series(0, CASE WHEN s % 5 = 0 THEN 1 ELSE 0 END) n
    CROSS JOIN LATERAL (
        SELECT (s % :partners) % :regions AS r,
               500 + ((s * 13 + n) % 40) * 250 AS regular,
               1 + ((s + n) % 7 = 0)::int AS quantity,
               CASE WHEN (s + n) % 50 = 0 THEN 'REGULAR'
                    WHEN (s + n) % 5 = 1 THEN 'ARTIKEL_27'
                    ELSE 'KANSENTARIEF' END AS scheme
    ) a
    CROSS JOIN LATERAL (
        SELECT ((s::bigint * 104729 + n * 7) % (:holders / :regions)) * :regions + r AS h,
               CASE scheme WHEN 'REGULAR' THEN regular
                           WHEN 'ARTIKEL_27' THEN 125
                           ELSE regular / 50 * 10 END AS unit
    ) b
    """,
    """
    -- The settlement days, from the sales' own moments: the activity date, or the first day
    -- of the (Brussels) month of the confirmation or cancellation when the activity's month
    -- was over (app.domain.reports.settlement_day, restated for PostgreSQL).
    UPDATE sale_items i
    SET counted_on = greatest(
            i.activity_date,
            date_trunc('month', s.confirmed_at AT TIME ZONE 'Europe/Brussels')::date),
        uncounted_on = CASE WHEN s.status = 'cancelled' THEN
            greatest(i.activity_date,
                     date_trunc('month', s.cancelled_at AT TIME ZONE 'Europe/Brussels')::date)
        END
    FROM sales s
    WHERE s.id = i.sale_id AND s.confirmed_at IS NOT NULL
    """,
    """
    INSERT INTO sale_item_funding (sale_item_id, scheme_code, payer, payer_ref, amount_cents)
    SELECT i.id, i.scheme_code, share.payer, share.ref, share.amount
    FROM sale_items i
    JOIN sales s ON s.id = i.sale_id
    JOIN partners p ON p.id = s.partner_id
    JOIN regions g ON g.id = p.region_id
    CROSS JOIN LATERAL (SELECT i.discount_cents * i.quantity AS d) line
    CROSS JOIN LATERAL (
        SELECT * FROM (VALUES
            ('partner', p.id::text,
             CASE WHEN i.scheme_code = 'ARTIKEL_27' THEN line.d * 3333 / 10000
                  ELSE line.d / 2 END),
            ('home_municipality', i.municipality_nis,
             CASE WHEN i.scheme_code = 'ARTIKEL_27' THEN line.d * 3333 / 10000 ELSE 0 END),
            ('scheme_owner', g.code,
             CASE WHEN i.scheme_code = 'ARTIKEL_27' THEN line.d - 2 * (line.d * 3333 / 10000)
                  ELSE line.d - line.d / 2 END)
        ) AS v(payer, ref, amount)
    ) share
    WHERE share.amount > 0
    """,
]


async def fill_synthetic(url: str, sales: int, regions: int) -> None:
    engine = create_engine(async_database_url(url))
    try:
        async with engine.begin() as connection:
            if (await connection.execute(sa.text("SELECT count(*) FROM sales"))).scalar_one():
                sys.exit("--synthetic fills an empty database; this one has sales already")
            values = {
                "sales": sales,
                "regions": regions,
                "partners": max(regions * 50, 50),
                "holders": max(sales // 10, regions * 100),
            }
            for number, statement in enumerate(_FILL, 1):
                started = time.perf_counter()
                await connection.execute(sa.text(statement), values)
                print(f"fill step {number}/{len(_FILL)}: {time.perf_counter() - started:.1f} s")
        async with AsyncSession(bind=engine) as session:
            started = time.perf_counter()
            await settlement.rebuild(session)
            await session.commit()
            print(f"settlement sums: {time.perf_counter() - started:.1f} s")
        async with engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(sa.text("ANALYZE"))
    finally:
        await engine.dispose()


# --- timing ----------------------------------------------------------------------------------


async def busiest(session: AsyncSession, region: str | None, year: int | None) -> tuple[str, int]:
    """The region (by code, or the one with most lines) and the year to time."""
    lines = sa.text(
        """
        SELECT g.id::text AS region_id, g.code,
               extract(year FROM i.activity_date)::int AS year, count(*) AS lines
        FROM sale_items i JOIN sales s ON s.id = i.sale_id
        JOIN partners p ON p.id = s.partner_id JOIN regions g ON g.id = p.region_id
        GROUP BY 1, 2, 3 ORDER BY lines DESC
        """
    )
    rows = (await session.execute(lines)).all()
    rows = [r for r in rows if region in (None, r.code) and year in (None, r.year)]
    if not rows:
        sys.exit("no sale lines for that region and year")
    best = rows[0]
    print(f"region {best.code}, year {best.year}: {best.lines:,} sale lines")
    return best.region_id, best.year


async def busiest_partner(session: AsyncSession, region_id: str, year: int) -> str:
    row = (
        await session.execute(
            sa.text(
                """
                SELECT s.partner_id::text AS partner_id, count(*) AS lines
                FROM sale_items i JOIN sales s ON s.id = i.sale_id
                JOIN partners p ON p.id = s.partner_id
                WHERE p.region_id = CAST(:region AS uuid)
                  AND i.activity_date >= :start AND i.activity_date < :end
                GROUP BY 1 ORDER BY lines DESC LIMIT 1
                """
            ),
            {"region": region_id, "start": date(year, 1, 1), "end": date(year + 1, 1, 1)},
        )
    ).one()
    print(f"its busiest partner: {row.lines:,} sale lines")
    return str(row.partner_id)


async def timed(rounds: int, work: Callable[[], Awaitable[object]]) -> tuple[float, float, object]:
    result = await work()  # warm-up: the first run also reads the pages into memory
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        result = await work()
        times.append(time.perf_counter() - started)
    return statistics.median(times), min(times), result


def capture_statements(engine: AsyncEngine) -> list[tuple[str, Any]]:
    seen: list[tuple[str, Any]] = []

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _remember(_c: Any, _cur: Any, statement: str, parameters: Any, *_: Any) -> None:
        seen.append((statement, parameters))

    return seen


async def main_async(args: argparse.Namespace) -> None:
    if args.synthetic:
        await fill_synthetic(args.database_url, args.synthetic, args.regions)
    engine = create_engine(async_database_url(args.database_url))
    statements = capture_statements(engine)
    try:
        async with create_sessionmaker(engine)() as session:
            region_id, year = await busiest(session, args.region, args.year)
            period = ReportPeriod(date(year, 1, 1), date(year + 1, 1, 1))

            async def settle() -> object:
                return await reports.settlement(
                    session, ADMIN, partner_id=None, region_id=region_id, period=period
                )

            edged = ReportPeriod(
                period.from_date + timedelta(days=14), period.to_date - timedelta(days=14)
            )

            async def settle_edged() -> object:
                return await reports.settlement(
                    session, ADMIN, partner_id=None, region_id=region_id, period=edged
                )

            async def settle_from_rows() -> object:
                scope = db_reports.Scope(region_id=region_id)
                lines = await db_reports.payer_lines(session, scope, period, monthly=False)
                schemes = await db_reports.scheme_totals(session, scope, period, monthly=False)
                return f"{len(lines)} payer lines, {len(schemes)} schemes"

            partner_id = await busiest_partner(session, region_id, year)

            async def settle_partner() -> object:
                return await reports.settlement(
                    session, ADMIN, partner_id=partner_id, region_id=None, period=period
                )

            async def participate() -> object:
                return await reports.participation(
                    session, ADMIN, region_id=region_id, period=period, group_by="month"
                )

            async def non_take_up() -> object:
                return await reports.non_take_up(
                    session, ADMIN, region_id=region_id, on=date(year, 12, 31)
                )

            for name, work in (
                ("settlement of the region", settle),
                (f"settlement of the region, {edged.from_date} to {edged.to_date}", settle_edged),
                ("settlement of the region from the sale rows only (no sums)", settle_from_rows),
                ("settlement of its busiest partner", settle_partner),
                ("participation by month", participate),
                ("non-take-up", non_take_up),
            ):
                median, fastest, result = await timed(args.rounds, work)
                print(f"{name}: median {median:.3f} s, fastest {fastest:.3f} s")
                print(f"  {getattr(result, 'total', result)}")
                if args.explain:
                    statements.clear()
                    await work()
                    await explain(session, list(statements))
    finally:
        await engine.dispose()


async def explain(session: AsyncSession, statements: list[tuple[str, Any]]) -> None:
    connection = await session.connection()
    # The aggregates are what costs; the look-ups of a region or partner are left out.
    for statement, parameters in statements:
        if "sum(" not in statement.lower() and "count(" not in statement.lower():
            continue
        plan = await connection.exec_driver_sql(
            "EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters
        )
        print("\n".join("    " + row[0] for row in plan.all()))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("database_url", help="postgresql://… of a populated database")
    parser.add_argument("--region", help="region code (default: the one with most lines)")
    parser.add_argument("--year", type=int, help="calendar year (default: the busiest)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--explain", action="store_true", help="print the query plans")
    parser.add_argument("--synthetic", type=int, metavar="SALES", help="fill an empty database")
    parser.add_argument("--regions", type=int, default=1, help="regions of the synthetic fill")
    args = parser.parse_args()
    if args.synthetic:
        migrations.upgrade(async_database_url(args.database_url))  # runs its own event loop
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
