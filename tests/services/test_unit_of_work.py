"""The one transaction owner (app.db.engine.unit_of_work), on its own, against PostgreSQL:
work that succeeds is committed, work that fails is rolled back, and a problem that says
the work before it stands (`keeps_work`, e.g. the audit row of a refused quote) commits it.
The API tests replace it with a savepoint copy, so it is tested here directly."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db.engine import create_sessionmaker, unit_of_work
from app.errors import Conflict


@pytest.fixture
async def probe(engine: AsyncEngine) -> AsyncIterator[str]:
    """A table of its own, so that real commits touch nothing else."""
    table = f"uow_probe_{uuid.uuid4().hex[:8]}"
    async with engine.begin() as connection:
        await connection.execute(sa.text(f"CREATE TABLE {table} (note text NOT NULL)"))
    try:
        yield table
    finally:
        async with engine.begin() as connection:
            await connection.execute(sa.text(f"DROP TABLE {table}"))


async def _notes(engine: AsyncEngine, table: str) -> list[str]:
    async with engine.connect() as connection:
        rows = await connection.execute(sa.text(f"SELECT note FROM {table} ORDER BY note"))
        return [row.note for row in rows]


async def _write(engine: AsyncEngine, table: str, note: str, failure: BaseException | None) -> None:
    async with unit_of_work(create_sessionmaker(engine)) as session:
        await session.execute(sa.text(f"INSERT INTO {table} VALUES (:note)"), {"note": note})
        if failure is not None:
            raise failure


async def test_work_that_succeeds_is_committed(engine: AsyncEngine, probe: str) -> None:
    await _write(engine, probe, "done", None)
    assert await _notes(engine, probe) == ["done"]


@pytest.mark.parametrize(
    "failure",
    [Conflict("refused"), ValueError("a bug"), KeyboardInterrupt()],
    ids=["problem", "exception", "interrupt"],
)
async def test_work_that_fails_is_rolled_back(
    engine: AsyncEngine, probe: str, failure: BaseException
) -> None:
    with pytest.raises(type(failure)):
        await _write(engine, probe, "half", failure)
    assert await _notes(engine, probe) == []


async def test_a_problem_that_keeps_its_work_commits_it(engine: AsyncEngine, probe: str) -> None:
    with pytest.raises(Conflict):
        await _write(engine, probe, "audited", Conflict("refused", keeps_work=True))
    assert await _notes(engine, probe) == ["audited"]


async def test_work_committed_inside_is_not_committed_twice(
    engine: AsyncEngine, probe: str
) -> None:
    async with unit_of_work(create_sessionmaker(engine)) as session:
        await session.execute(sa.text(f"INSERT INTO {probe} VALUES ('read')"))
        await session.commit()  # as a long import may, batch by batch
    assert await _notes(engine, probe) == ["read"]
