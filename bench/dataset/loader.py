"""COPY into the migrated tables, one connection per table, while the next chunk is being
generated in a thread."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from .columns import Batch, Row


@dataclass(slots=True)
class TableStats:
    rows: int = 0
    seconds: float = 0.0


# A chunk's rows of a table go in once its parent table's rows of that chunk are committed:
# foreign keys are checked row by row, as for any insert.
PARENTS: dict[str, tuple[str, ...]] = {
    "cards": ("passholders",),
    "entitlements": ("passholders",),
    "sale_items": ("sales",),
    "sale_item_funding": ("sale_items",),
    "sale_usage": ("sale_items",),
}
IN_FLIGHT_CHUNKS = 2


@dataclass(slots=True)
class Loader:
    """COPY into the tables, one connection (lane) per table, so the server checks keys and
    fills indexes of several tables at once while a thread generates the next chunk."""

    url: str
    tables: dict[str, TableStats] = field(default_factory=dict)
    phases: list[tuple[str, float, float]] = field(default_factory=list)  # name, wall, gen
    lanes: dict[str, Any] = field(default_factory=dict)

    async def lane(self, table: str) -> Any:
        connection = self.lanes.get(table)
        if connection is None:
            connection = self.lanes[table] = await asyncpg.connect(self.url)
            # A bulk load: losing the last commits in a crash only means running it again.
            await connection.execute("SET synchronous_commit = off")
        return connection

    async def close(self) -> None:
        for connection in self.lanes.values():
            await connection.close()
        self.lanes.clear()

    async def copy(
        self, table: str, columns: tuple[str, ...], rows: list[Row], after: Sequence[Any] = ()
    ) -> None:
        if after:
            await asyncio.gather(*after)
        if not rows:
            return
        connection = await self.lane(table)
        started = time.perf_counter()
        await connection.copy_records_to_table(table, records=rows, columns=list(columns))
        stats = self.tables.setdefault(table, TableStats())
        stats.rows += len(rows)
        stats.seconds += time.perf_counter() - started

    async def pipeline(self, name: str, chunks: Iterator[list[Batch]]) -> None:
        """Copy chunk n (table after table, in key order, on their lanes) while a thread
        generates chunk n + 1; at most IN_FLIGHT_CHUNKS chunks are being copied."""
        started = time.perf_counter()
        generating = 0.0

        def produce() -> list[Batch] | None:
            nonlocal generating
            begin = time.perf_counter()
            try:
                return next(chunks, None)
            finally:
                generating += time.perf_counter() - begin

        tails: dict[str, asyncio.Task[None]] = {}
        in_flight: list[asyncio.Future[list[None]]] = []
        pending = asyncio.ensure_future(asyncio.to_thread(produce))
        done = 0
        while True:
            batches = await pending
            if batches is None:
                break
            pending = asyncio.ensure_future(asyncio.to_thread(produce))
            tasks: dict[str, asyncio.Task[None]] = {}
            for table, columns, rows in batches:
                after = [tasks[parent] for parent in PARENTS.get(table, ()) if parent in tasks]
                if table in tails:
                    after.append(tails[table])
                task = asyncio.create_task(self.copy(table, columns, rows, after))
                tasks[table] = tails[table] = task
            in_flight.append(asyncio.gather(*tasks.values()))
            while len(in_flight) > IN_FLIGHT_CHUNKS:
                await in_flight.pop(0)
            done += len(batches[0][2])
            print(f"  {name}: {done:,} {batches[0][0]} generated …", file=sys.stderr, flush=True)
        for chunk in in_flight:
            await chunk
        self.phases.append((name, time.perf_counter() - started, generating))

    async def run(self, name: str, batches: list[Batch], generating: float) -> None:
        started = time.perf_counter()
        for table, columns, rows in batches:
            await self.copy(table, columns, rows)
        self.phases.append((name, time.perf_counter() - started + generating, generating))
