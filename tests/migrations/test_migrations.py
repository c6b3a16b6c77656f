"""Migrations upgrade and downgrade, and agree with the tables in code."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from app.db import migrations
from app.db.engine import create_engine
from app.db.tables import metadata
from tests.support.postgres import create_database, drop_database, run_in_thread


@pytest.fixture
def empty_database(postgres_admin_url: str) -> Iterator[str]:
    admin_url = postgres_admin_url
    url = create_database(admin_url, prefix="openpas_migrations")
    yield url
    drop_database(admin_url, url)


def _inspect(url: str, work: Any) -> Any:
    async def run() -> Any:
        engine = create_engine(url)
        try:
            async with engine.connect() as connection:
                return await connection.run_sync(work)
        finally:
            await engine.dispose()

    return run_in_thread(run())


def _tables(connection: sa.Connection) -> set[str]:
    return set(sa.inspect(connection).get_table_names()) - {"alembic_version"}


def _differences(connection: sa.Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


def test_every_revision_upgrades_downgrades_and_upgrades_again(empty_database: str) -> None:
    migrations.upgrade(empty_database)
    assert _inspect(empty_database, _tables) == set(metadata.tables)

    migrations.downgrade(empty_database, "base")
    assert _inspect(empty_database, _tables) == set()

    migrations.upgrade(empty_database)
    assert _inspect(empty_database, _tables) == set(metadata.tables)


def test_each_revision_steps_down_and_up_one_at_a_time(empty_database: str) -> None:
    script = ScriptDirectory.from_config(migrations.alembic_config(empty_database))
    revisions = [rev.revision for rev in script.walk_revisions("base", "heads")][::-1]
    for revision in revisions:
        migrations.upgrade(empty_database, revision)
        migrations.downgrade(empty_database, "-1")
        migrations.upgrade(empty_database, revision)


def test_the_migrated_schema_matches_the_tables_in_code(empty_database: str) -> None:
    migrations.upgrade(empty_database)
    assert _inspect(empty_database, _differences) == []


def test_there_is_one_head_and_file_names_are_dated() -> None:
    assert migrations.head_revision()
    for path in (migrations.MIGRATIONS_DIR / "versions").glob("*.py"):
        assert re.match(r"^\d{4}_\d{2}_\d{2}_\d{4}-\w+\.py$", path.name), path.name
