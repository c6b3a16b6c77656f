"""The command line: `python -m bench.dataset [--scale 1.0] [--keep] …` (see bench/README.md)."""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from .columns import check_columns
from .database import admin_execute, plain_url, prepare_database
from .fill import fill
from .people import INSZ_HMAC_KEY

DEFAULT_SUMMARY = Path(__file__).resolve().parents[2] / "var" / "bench-dataset.json"
DEFAULT_SEED = 20261127
CHUNK_ROWS = 50_000


def write_summary(path: Path, summary: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(summary, indent=1) + "\n")


async def main_async(args: argparse.Namespace) -> int:
    check_columns()
    url, created = await prepare_database(args)
    keep = args.keep or bool(args.database_url)
    print(f"filling {url} (scale {args.scale}, seed {args.seed})", flush=True)
    try:
        summary = await fill(url, args)
        summary["kept"] = keep
        path = Path(args.summary)
        await asyncio.to_thread(write_summary, path, summary)
        problems = summary["self_check_problems"]
        print(f"self-check: {problems or 'OK'}")
        print(f"summary: {path}")
        print(f"INSZ key: OPENPAS_INSZ_HMAC_KEY={INSZ_HMAC_KEY}")
        print(f"database: {url}" + ("" if keep else " (dropped now; --keep keeps it)"))
        return 1 if problems else 0
    finally:
        if created and not keep:
            name = make_url(url).database
            await admin_execute(args.admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.dataset", description="Benchmark dataset for quotes and sales."
    )
    parser.add_argument(
        "--admin-url",
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        help="a database on the server to run CREATE/DROP DATABASE from",
    )
    parser.add_argument("--scale", type=float, default=1.0, help="1.0: 1M holders, 2M sales")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--database-url", help="fill this database (kept) instead of a new one")
    parser.add_argument("--reset", action="store_true", help="empty --database-url first")
    parser.add_argument("--summary", default=str(DEFAULT_SUMMARY), help="JSON summary path")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--chunk", type=int, default=CHUNK_ROWS, help="rows per COPY")
    args = parser.parse_args()
    if args.admin_url:
        args.admin_url = plain_url(args.admin_url)
    raise SystemExit(asyncio.run(main_async(args)))


if __name__ == "__main__":
    main()
