"""One run: generate and load every table in key order, then the settlement summaries,
ANALYZE, the quote samples, the self-check and the summary a load test reads."""

from __future__ import annotations

import argparse
import gc
import random
import time
from typing import Any

from app.clock import date_in_brussels, utcnow

from .catalogue import SCHEME_COUNT, scheme_rows
from .check import self_check
from .database import rebuild_settlement, table_sizes
from .loader import Loader
from .offers import partner_and_offer_rows
from .people import INSZ_HMAC_KEY, holder_chunks
from .places import REGIONS, region_rows
from .sales import SaleCounts, counter_chunks, sale_chunks
from .samples import QUOTE_SAMPLES, quote_samples
from .sizes import Sizes
from .world import World


async def fill(url: str, args: argparse.Namespace) -> dict[str, Any]:
    sizes = Sizes.at(args.scale)
    now = utcnow().replace(microsecond=0)
    world = World(now=now, today=date_in_brussels(now))
    seed = args.seed
    counts = SaleCounts()
    # Millions of long-lived objects and no reference cycles worth collecting: the cyclic
    # collector would only walk them again and again.
    gc.disable()
    loader = Loader(url)
    started = time.perf_counter()
    try:
        connection = await loader.lane("main")
        begin = time.perf_counter()
        batches = region_rows(world, random.Random(f"{seed}-regions"))
        await loader.run("regions", batches, time.perf_counter() - begin)
        begin = time.perf_counter()
        batches = partner_and_offer_rows(world, sizes, random.Random(f"{seed}-partners"))
        await loader.run("partners+offers", batches, time.perf_counter() - begin)
        begin = time.perf_counter()
        batches = scheme_rows(world, random.Random(f"{seed}-schemes"))
        await loader.run("schemes", batches, time.perf_counter() - begin)
        # Each stored scheme would have bumped the catalogue generation once.
        world.catalog_version = int(
            await connection.fetchval(
                "UPDATE catalog_state SET version = version + $1 WHERE id = 1 RETURNING version",
                SCHEME_COUNT,
            )
        )
        await loader.pipeline(
            "passholders+cards+entitlements",
            holder_chunks(world, sizes, random.Random(f"{seed}-holders"), seed, args.chunk),
        )
        await loader.pipeline(
            "sales", sale_chunks(world, sizes, random.Random(f"{seed}-sales"), args.chunk, counts)
        )
        await loader.pipeline("usage_counters", counter_chunks(world, args.chunk * 4))
        # The sales were copied around the sale service: compute the settlement summaries
        # it would have kept, as the migration that introduced them does.
        begin = time.perf_counter()
        await rebuild_settlement(url)
        loader.phases.append(("settlement summaries", time.perf_counter() - begin, 0.0))
        begin = time.perf_counter()
        await connection.execute("ANALYZE")
        loader.phases.append(("analyze", time.perf_counter() - begin, 0.0))
    finally:
        await loader.close()
    load_seconds = time.perf_counter() - started

    begin = time.perf_counter()
    samples, sample_partners = quote_samples(
        world, random.Random(f"{seed}-samples"), min(QUOTE_SAMPLES, sizes.passholders)
    )
    expected = {table: stats.rows for table, stats in loader.tables.items()}
    problems = await self_check(url, expected, samples)
    check_seconds = time.perf_counter() - begin
    sizes_by_table, database_bytes = await table_sizes(url)
    gc.enable()

    print_report(loader, sizes_by_table, database_bytes, load_seconds, check_seconds, counts)
    region_index = {spec.code: i for i, spec in enumerate(REGIONS)}
    return {
        "database_url": url,
        "scale": args.scale,
        "seed": seed,
        "generated_at": now.isoformat(),
        "insz_hmac_key": INSZ_HMAC_KEY,
        "catalog_version": world.catalog_version,
        "counts": expected,
        "sales_by_status": counts.by_status,
        "lines_priced": counts.attempts,
        "timings_seconds": {
            "load_total": round(load_seconds, 1),
            "samples_and_self_check": round(check_seconds, 1),
            "phases": {name: round(wall, 1) for name, wall, _ in loader.phases},
            "copy_by_table": {t: round(s.seconds, 1) for t, s in loader.tables.items()},
        },
        "database_bytes": database_bytes,
        "table_bytes": sizes_by_table,
        "self_check_problems": problems,
        "regions": [
            {
                "id": str(world.region_ids[i]),
                "code": spec.code,
                "name": spec.name,
                "municipalities": [m.nis_code for m in spec.municipalities],
                "passholders": len(world.holders_by_region[i]),
            }
            for i, spec in enumerate(REGIONS)
        ],
        "partners": [
            {
                "id": str(world.partners[i].id),
                "name": world.partners[i].name,
                "region_id": str(world.region_ids[world.partners[i].region]),
                "region_code": REGIONS[world.partners[i].region].code,
                "categories": world.partners[i].categories,
                "offers": len(world.partners[i].offers),
            }
            for i in sample_partners
        ],
        "kortrijk_region_id": str(world.region_ids[region_index["REGIO_KORTRIJK"]]),
        "brugge_region_id": str(world.region_ids[region_index["BRUGGE"]]),
        "quote_samples": samples,
        "insz_samples": world.insz_samples,
    }


def print_report(
    loader: Loader,
    sizes_by_table: dict[str, int],
    database_bytes: int,
    load_seconds: float,
    check_seconds: float,
    counts: SaleCounts,
) -> None:
    print("\nphase                            wall s   generate s (in a thread, overlapped)")
    for name, wall, generating in loader.phases:
        print(f"{name:32} {wall:7.1f}   {generating:7.1f}")
    print("\ntable                        rows   copy s    rows/s      size")
    for table, stats in loader.tables.items():
        rate = stats.rows / stats.seconds if stats.seconds else 0.0
        size = sizes_by_table.get(table, 0) / 2**20
        print(f"{table:25} {stats.rows:>10,} {stats.seconds:7.1f} {rate:>10,.0f} {size:8.0f} MiB")
    print(
        f"\nloaded in {load_seconds:.1f} s; samples and self-check {check_seconds:.1f} s; "
        f"database {database_bytes / 2**30:.2f} GiB; {counts.attempts:,} lines priced "
        f"by price() ({counts.no_tariff:,} without a tariff, retried)"
    )
