"""Migrations upgrade and downgrade, and agree with the tables in code."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
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


def test_a_key_keeps_its_sale_across_the_revision_that_writes_a_sale_in_one_statement(
    postgres_admin_url: str,
) -> None:
    url = create_database(postgres_admin_url, prefix="openpas_migrations")
    try:
        migrations.upgrade(url)
        key, answer = run_in_thread(_a_sale(url))

        # Down: the key's answer is rendered again, as POST /v1/sales answered it.
        migrations.downgrade(url, "8c3d5e2f9a14")
        stored = _inspect(url, _keys("state, response_status, response_body"))
        # As POST /v1/sales answered then: without the fields added to a line since.
        then = {
            **answer,
            "items": [
                {name: value for name, value in item.items() if name != "voucher_code"}
                for item in answer["items"]
            ],
        }
        assert stored == [(key, "done", 201, then)]
        _inspect(url, _a_request_that_died)

        # Up: the key keeps the sale it made; a request that died in the middle leaves none.
        migrations.upgrade(url)
        assert _inspect(url, _keys("sale_id::text")) == [(key, answer["id"])]
    finally:
        drop_database(postgres_admin_url, url)


async def _a_sale(url: str) -> tuple[str, Any]:
    """A sale through the service, committed: its key and its answer."""
    from app.api.routes.sales import SaleOut
    from app.db.engine import create_sessionmaker
    from app.db.offers import PriceClassRow
    from app.domain.access import Grant, Principal, Role
    from app.services import sales as service
    from app.services.demo import HOLDERS, demo_id, seed_demo
    from app.services.offers import NewOffer, create_offer
    from app.services.quotes import quote_for_desk
    from tests.conftest import make_settings

    sofie = next(h for h in HOLDERS if h.key == "sofie")
    desk = Principal("demo-desk", (Grant(Role.ADMIN),))
    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine)() as session:
            await seed_demo(session, make_settings(url))
            offer = await create_offer(
                session,
                desk,
                str(demo_id("partner", "schouwburg-kortrijk")),
                NewOffer(
                    title="Concert",
                    category="podium",
                    kind="permanent",
                    starts_at=None,
                    ends_at=None,
                    external_ref=None,
                    price_classes=(PriceClassRow("standard", "Standaard", 11_900),),
                ),
            )
            quoted = await quote_for_desk(
                session,
                desk,
                card_number=sofie.card_number,
                offer_id=offer.id,
                price_class="standard",
                quantity=1,
            )
            tariff_id = quoted.quote.best_tariff_id
            assert tariff_id is not None
            item = service.SaleItemRequest(sofie.card_number, offer.id, "standard", tariff_id, 1)
            sale = await service.register_sale(
                session,
                make_settings(url),
                desk,
                idempotency_key="kept-across",
                body_hash="0" * 64,
                request=service.SaleRequest(items=(item,), hold=False),
            )
            await session.commit()
            return "kept-across", SaleOut.of(sale).model_dump(mode="json")
    finally:
        await engine.dispose()


def _keys(columns: str) -> Any:
    def read(connection: sa.Connection) -> list[tuple[Any, ...]]:
        query = f"SELECT key, {columns} FROM idempotency_keys ORDER BY key"
        return [tuple(row) for row in connection.execute(sa.text(query)).all()]

    return read


def _a_request_that_died(connection: sa.Connection) -> None:
    connection.execute(
        sa.text(
            "INSERT INTO idempotency_keys (client_id, key, request_hash, state, created_at)"
            " VALUES ('demo-desk', 'died', :hash, 'in_progress', now())"
        ),
        {"hash": "1" * 64},
    )
    connection.commit()


def test_partitioning_the_audit_log_keeps_every_row_and_its_id_both_ways(
    empty_database: str,
) -> None:
    migrations.upgrade(empty_database, "b7d41e9a2c35")  # before the audit log was partitioned
    moments = (
        datetime(2023, 3, 15, 10, tzinfo=UTC),
        datetime(2026, 11, 30, 23, 30, tzinfo=UTC),
        datetime(2026, 12, 1, 0, 30, tzinfo=UTC),
    )

    def write(connection: sa.Connection) -> None:
        for moment in moments:
            connection.execute(
                sa.text(
                    "INSERT INTO audit_log (at, client_id, action, passholder_id, region_id) "
                    "VALUES (:at, 'c', 'passholder.read', "
                    "gen_random_uuid(), gen_random_uuid())"
                ),
                {"at": moment},
            )
        connection.commit()

    def rows(connection: sa.Connection) -> list[tuple[int, str]]:
        result = connection.execute(
            sa.text("SELECT id, tableoid::regclass::text FROM audit_log ORDER BY id")
        )
        return [(row[0], row[1]) for row in result]

    _inspect(empty_database, write)
    before = _inspect(empty_database, rows)
    migrations.upgrade(empty_database)
    after = _inspect(empty_database, rows)

    assert [row_id for row_id, _ in after] == [row_id for row_id, _ in before]
    assert [partition for _, partition in after] == [
        "audit_partitions.audit_log_2023_03",
        "audit_partitions.audit_log_2026_11",
        "audit_partitions.audit_log_2026_12",
    ]
    _inspect(empty_database, write)  # new rows continue the ids
    grown = _inspect(empty_database, rows)
    assert [row_id for row_id, _ in grown][3:] == [4, 5, 6]

    migrations.downgrade(empty_database, "b7d41e9a2c35")
    assert [row_id for row_id, _ in _inspect(empty_database, rows)] == [1, 2, 3, 4, 5, 6]


def test_the_group_revision_steps_down_with_group_sales_giving_their_tickets_back(
    postgres_admin_url: str,
) -> None:
    url = create_database(postgres_admin_url, prefix="openpas_migrations")
    try:
        migrations.upgrade(url)
        allocation_id = run_in_thread(_a_group_sale(url))
        used = f"SELECT tickets_used FROM allocations WHERE id = '{allocation_id}'"
        assert _inspect(url, _rows(used)) == [(7,)]

        # Down: the organisation's lines go, and their tickets back to the allocation.
        migrations.downgrade(url, "9a3f6c2d1e87")
        assert _inspect(url, _rows(used)) == [(0,)]
        assert _inspect(url, _rows("SELECT count(*) FROM sale_items")) == [(0,)]
        migrations.upgrade(url)
        assert _inspect(url, _differences) == []
    finally:
        drop_database(postgres_admin_url, url)


def _rows(query: str) -> Any:
    def read(connection: sa.Connection) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in connection.execute(sa.text(query)).all()]

    return read


async def _a_group_sale(url: str) -> str:
    """The demo school's group card sells 7 tickets, committed; the allocation's id."""
    from app.db.engine import create_sessionmaker
    from app.db.offers import PriceClassRow
    from app.domain.access import Grant, Principal, Role
    from app.services import sales as service
    from app.services.demo import DEMO_GROUP_CARD, demo_id, seed_demo
    from app.services.offers import NewOffer, create_offer
    from app.services.quotes import quote_for_desk
    from tests.conftest import make_settings

    desk = Principal("demo-desk", (Grant(Role.ADMIN),))
    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine)() as session:
            await seed_demo(session, make_settings(url))
            offer = await create_offer(
                session,
                desk,
                str(demo_id("partner", "schouwburg-kortrijk")),
                NewOffer(
                    title="Schoolvoorstelling",
                    category="podium",
                    kind="permanent",
                    starts_at=None,
                    ends_at=None,
                    external_ref=None,
                    price_classes=(PriceClassRow("standard", "Standaard", 800),),
                ),
            )
            quoted = await quote_for_desk(
                session,
                desk,
                card_number=DEMO_GROUP_CARD,
                offer_id=offer.id,
                price_class="standard",
                quantity=7,
            )
            tariff_id = quoted.quote.best_tariff_id
            assert tariff_id is not None
            item = service.SaleItemRequest(DEMO_GROUP_CARD, offer.id, "standard", tariff_id, 7)
            await service.register_sale(
                session,
                make_settings(url),
                desk,
                idempotency_key="group-across",
                body_hash="0" * 64,
                request=service.SaleRequest(items=(item,), hold=False),
            )
            await session.commit()
            return str(demo_id("allocation", "school-de-vlieger"))
    finally:
        await engine.dispose()
