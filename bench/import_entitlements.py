"""Benchmark: import 100,000 rows of an authoritative list into PostgreSQL.

Half the rows match registered passholders (granted), half are unknown (kept pending).
The import runs twice: the second run must change nothing, and is timed too.

    .venv/bin/python bench/import_entitlements.py [--admin-url postgresql://…/postgres]

It creates a scratch database on that server and drops it afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import time
import uuid
from datetime import UTC, date, datetime, timedelta

import asyncpg
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from app.db import migrations
from app.db.engine import create_engine, create_sessionmaker, unit_of_work
from app.db.tables import municipalities, municipality_postal_codes, passholders, regions
from app.domain.access import Grant, Principal, Role
from app.domain.insz import insz_pseudonym
from app.services import imports

KEY = "bench-insz-key-0123456789abcdef0123456789"


def synthetic_insz(index: int) -> tuple[str, date]:
    born = date(1940, 1, 1) + timedelta(days=index % 25_000)
    body = f"{born:%y%m%d}{index // 25_000 + 1:03d}"
    base = int(("2" if born.year >= 2000 else "") + body)
    return f"{body}{97 - base % 97:02d}", born


async def _admin(admin_url: str, statement: str) -> None:
    url = make_url(admin_url)
    connection = await asyncpg.connect(
        host=url.host, port=url.port or 5432, user=url.username, database=url.database
    )
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def run(admin_url: str, rows: int) -> None:
    name = f"openpas_bench_{uuid.uuid4().hex[:8]}"
    await _admin(admin_url, f'CREATE DATABASE "{name}"')
    url = make_url(admin_url).set(drivername="postgresql+asyncpg", database=name)
    database_url = url.render_as_string(hide_password=False)
    try:
        await asyncio.to_thread(migrations.upgrade, database_url)
        engine = create_engine(database_url)
        region_id = uuid.uuid4()
        now = datetime.now(UTC)
        async with engine.begin() as connection:
            await connection.execute(
                sa.insert(regions).values(
                    id=region_id,
                    code="BENCH",
                    name="Bench",
                    status_grace_days=0,
                    default_status_end="04-30",
                    created_at=now,
                )
            )
            await connection.execute(
                sa.insert(municipalities).values(
                    nis_code="34022", region_id=region_id, name="Kortrijk"
                )
            )
            await connection.execute(
                sa.insert(municipality_postal_codes).values(postal_code="8500", nis_code="34022")
            )
            holders = []
            for index in range(rows // 2):
                insz, born = synthetic_insz(index)
                holders.append(
                    {
                        "id": uuid.uuid4(),
                        "region_id": region_id,
                        "first_name": f"P{index}",
                        "last_name": "Bench",
                        "name_key": f"bench|p{index}",
                        "birth_date": born,
                        "postal_code": "8500",
                        "municipality_nis": "34022",
                        "email": None,
                        "insz_hash": insz_pseudonym(insz, KEY),
                        "created_at": now,
                        "updated_at": now,
                    }
                )
            for start in range(0, len(holders), 5_000):
                await connection.execute(sa.insert(passholders), holders[start : start + 5_000])
        lines = ["insz,type,valid_from,valid_until,evidence"]
        order = list(range(rows))
        random.Random(7).shuffle(order)
        for index in order:
            insz, _ = synthetic_insz(index)
            lines.append(f"{insz},kansenstatuut,2026-05-01,2027-04-30,OCMW lijst 2026")
        text = "\n".join(lines) + "\n"
        operator = Principal("bench", (Grant(Role.ADMIN),))
        for attempt in ("first import", "same list again"):
            async with unit_of_work(create_sessionmaker(engine)) as session:
                started = time.perf_counter()
                report = await imports.import_entitlements(
                    session,
                    principal=operator,
                    insz_key=KEY,
                    region_id=str(region_id),
                    source="import:bench",
                    rows=imports.read_csv(text),
                )
                elapsed = time.perf_counter() - started
            print(
                f"{attempt}: {report.rows} rows in {elapsed:.1f} s "
                f"({report.rows / elapsed:,.0f} rows/s): granted={report.granted} "
                f"unchanged={report.unchanged} pending={report.pending} "
                f"already_pending={report.already_pending} rejected={report.rejected}"
            )
        await engine.dispose()
    finally:
        await _admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--admin-url",
        default=os.environ.get(
            "OPENPAS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
    )
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    asyncio.run(run(args.admin_url, args.rows))


if __name__ == "__main__":
    main()
