"""A sale writes in one round trip: `openpas_register_sale`, after the sale's reads."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import sales as db
from app.db import settlement
from app.db.changes import NewEvent
from app.db.sales import ItemRow, NewItem, Outcome, SaleRow
from app.db.tables import (
    audit_log,
    change_events,
    idempotency_keys,
    sale_items,
    sale_usage,
    sales,
    settlement_payer_months,
    settlement_scheme_months,
    usage_counters,
)
from app.domain.limits import UsageClaim
from app.domain.sales import SaleStatus
from tests.api.test_desk import (
    disability_card_world,
    kortrijk_world,
    quote,
    sale_item,
    sell,
)

# A statement that changes data (the function is called with a SELECT).
_WRITES = re.compile(r"\b(INSERT|UPDATE|DELETE|openpas_register_sale)\b", re.IGNORECASE)


async def test_a_sale_sends_one_write_statement_after_its_reads(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world = await kortrijk_world(session, client)
    tariff_id = (await quote(client, world)).json()["best_tariff_id"]
    connection = await session.connection()
    sent: list[str] = []
    sent_raw: list[str] = []

    def through_sqlalchemy(*args: Any) -> None:
        sent.append(args[2])

    def around_sqlalchemy(record: Any) -> None:
        sent_raw.append(record.query)

    # Statements through SQLAlchemy, and any sent with asyncpg itself on the same connection.
    event.listen(connection.sync_connection, "before_cursor_execute", through_sqlalchemy)
    raw = (await connection.get_raw_connection()).driver_connection
    assert raw is not None
    raw.add_query_logger(around_sqlalchemy)
    try:
        response = await sell(client, world, tariff_id)
    finally:
        event.remove(connection.sync_connection, "before_cursor_execute", through_sqlalchemy)
        raw.remove_query_logger(around_sqlalchemy)

    assert response.status_code == 201, response.text
    # The unit of work (in a test: a savepoint per request) begins and ends the request; the
    # service's own statements are what lies between.
    assert sent[0].upper().startswith("SAVEPOINT")
    assert sent[-1].upper().startswith("RELEASE SAVEPOINT")
    sent = sent[1:-1]
    writes = [statement for statement in sent + sent_raw if _WRITES.search(statement)]
    assert len(writes) == 1
    assert "openpas_register_sale" in writes[0]
    # The write comes after every read, and the service commits nothing (in a test a
    # commit releases a savepoint). The line's facts are read once, by the statement a quote
    # sends (app.db.pricing.desk_facts, with asyncpg itself), not audited: the write is.
    assert sent[-1] == writes[0]
    desk_reads = [statement for statement in sent_raw if "FROM holder h" in statement]
    assert len(desk_reads) == 1
    assert "audit_log" not in desk_reads[0]
    assert not any(statement.upper().startswith("RELEASE") for statement in sent + sent_raw)
    # Yet everything was written: the sale, its usage, its event and its audit row.
    sale_id = uuid.UUID(response.json()["id"])
    assert (await count(session, sales, sales.c.id == sale_id)) == 1
    assert (await count(session, change_events, change_events.c.entity_id == str(sale_id))) == 1
    items = sa.select(sale_items.c.id).where(sale_items.c.sale_id == sale_id)
    assert (await count(session, sale_usage, sale_usage.c.sale_item_id.in_(items))) >= 1
    sale_audit = sa.and_(
        audit_log.c.passholder_id == uuid.UUID(world.passholder_id), audit_log.c.action == "sale"
    )
    assert (await count(session, audit_log, sale_audit)) == 1
    assert (await count(session, idempotency_keys, idempotency_keys.c.sale_id == sale_id)) == 1


async def test_the_change_event_and_the_audit_row_are_written_with_the_sale(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world = await kortrijk_world(session, client)
    tariff_id = (await quote(client, world)).json()["best_tariff_id"]
    sale = (await sell(client, world, tariff_id)).json()

    [change] = (
        await session.execute(
            sa.select(change_events).where(change_events.c.entity_id == sale["id"])
        )
    ).all()
    assert (change.kind, str(change.region_id)) == ("sale.confirmed", world.region.id)
    assert change.data == {
        "partner_id": world.partner_id,
        "passholder_ids": [world.passholder_id],
        "total_cents": 2_380,
    }
    # Ordered in the feed by the transaction that wrote it: the test's own.
    own = (await session.execute(sa.text("SELECT pg_current_xact_id()::text::bigint"))).scalar()
    assert change.txid == own
    audited = sa.select(audit_log.c.client_id, audit_log.c.region_id).where(
        audit_log.c.passholder_id == uuid.UUID(world.passholder_id),
        audit_log.c.action == "sale",
    )
    seller = sa.select(sales.c.client_id).where(sales.c.id == uuid.UUID(sale["id"]))
    assert (await session.execute(audited)).all() == [
        ((await session.execute(seller)).scalar_one(), uuid.UUID(world.region.id))
    ]


async def test_the_settlement_sums_of_sales_written_confirmed_are_those_a_rebuild_computes(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    kortrijk = await kortrijk_world(session, client)
    tariff_id = (await quote(client, kortrijk)).json()["best_tariff_id"]
    assert (await sell(client, kortrijk, tariff_id)).status_code == 201
    world = await disability_card_world(session, client)
    [tariff] = (await quote(client, world)).json()["tariffs"]
    with_assistant = await client.post(
        "/v1/sales",
        headers={**world.desk, "Idempotency-Key": uuid.uuid4().hex},
        json={"items": [sale_item(world, tariff["tariff_id"], companions=1)]},
    )
    assert with_assistant.status_code == 201, with_assistant.text
    held = await sell(client, kortrijk, tariff_id, hold=True)
    assert held.status_code == 409  # the one ticket is sold: nothing held, nothing counted

    written = await settlement_sums(session)
    await settlement.rebuild(session)

    assert written == await settlement_sums(session)
    # Three lines: the kansentarief's, the holder's and the assistant's.
    lines = sa.select(sa.func.sum(settlement_scheme_months.c.lines))
    assert (await session.execute(lines)).scalar_one() == 3


async def test_a_retry_is_answered_with_the_sale_as_it_is_now(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world = await kortrijk_world(session, client)
    tariff_id = (await quote(client, world)).json()["best_tariff_id"]
    first = (await sell(client, world, tariff_id, key="sold-then-cancelled")).json()
    await client.post(f"/v1/sales/{first['id']}/cancel", headers=world.desk)

    retry = await sell(client, world, tariff_id, key="sold-then-cancelled")

    # The key keeps the sale, not an answer: the retry does not sell again, and shows the
    # sale cancelled, as reading it would.
    assert retry.status_code == 201
    assert retry.json() | {"status": "confirmed", "cancelled_at": None} == first
    assert retry.json()["status"] == "cancelled"
    stored = sa.select(idempotency_keys.c.sale_id).where(
        idempotency_keys.c.key == "sold-then-cancelled"
    )
    assert str((await session.execute(stored)).scalar_one()) == first["id"]


async def test_a_refused_claim_gives_back_the_claims_before_it_and_frees_the_key(
    session: AsyncSession,
) -> None:
    holder = str(uuid.uuid4())
    await session.execute(
        sa.insert(usage_counters),
        [
            {"passholder_id": uuid.UUID(holder), "bucket_key": "T|full", "tickets": 1,
             "discount_cents": 0},
            {"passholder_id": uuid.UUID(holder), "bucket_key": "T|budget", "tickets": 0,
             "discount_cents": 20_000},
        ],
    )  # fmt: skip
    counters_before = await counters(session, holder)
    free = UsageClaim("T|free", 1, 0, 5, None)

    ticket_refused = await write(
        session, holder, [(free,), (free, UsageClaim("T|full", 1, 0, 1, None))]
    )
    budget_refused = await write(
        session, holder, [(free,), (), (UsageClaim("T|budget", 1, 8_000, 10, 24_000),)]
    )
    alone_too_big = await write(session, holder, [(UsageClaim("T|new", 3, 0, 2, None),)])

    assert (ticket_refused.outcome, ticket_refused.item_index) == (Outcome.LIMIT_REACHED, 1)
    assert (budget_refused.outcome, budget_refused.item_index) == (Outcome.BUDGET_EXHAUSTED, 2)
    assert (alone_too_big.outcome, alone_too_big.item_index) == (Outcome.LIMIT_REACHED, 0)
    # The "free" bucket got its claims and gave them back: it counts nothing.
    assert await counters(session, holder) == counters_before | {"T|free": (0, 0)}
    assert await count(session, idempotency_keys, idempotency_keys.c.client_id == "one-trip") == 0
    assert await count(session, sale_usage, sale_usage.c.passholder_id == uuid.UUID(holder)) == 0


async def test_two_lines_on_one_bucket_claim_it_together(session: AsyncSession) -> None:
    holder = str(uuid.uuid4())
    one_of_two = UsageClaim("T|two", 1, 0, 2, None)

    refused = await write(session, holder, [(one_of_two,), (one_of_two,), (one_of_two,)])

    assert (refused.outcome, refused.item_index) == (Outcome.LIMIT_REACHED, 2)
    assert await counters(session, holder) == {"T|two": (0, 0)}


async def write(
    session: AsyncSession, holder: str, claims_per_item: list[tuple[UsageClaim, ...]]
) -> db.Written:
    """A sale of one line per item, claiming `claims_per_item` (for ids that exist nowhere:
    a refused sale writes no row that would need them)."""
    now = datetime.now(UTC)
    items = [
        NewItem(
            ItemRow(
                id=str(uuid.uuid4()),
                passholder_id=holder,
                card_number="0000000000000",
                offer_id=str(uuid.uuid4()),
                price_class="standard",
                scheme_code="T",
                scheme_version=1,
                parts=[],
                label="T",
                quantity=1,
                regular_price_cents=1_000,
                unit_price_cents=200,
                total_cents=200,
                discount_cents=800,
                activity_date=date.today(),
                funding=(),
            ),
            index,
            "34022",
            claims,
        )
        for index, claims in enumerate(claims_per_item)
    ]
    sale = SaleRow(
        id=str(uuid.uuid4()),
        partner_id=str(uuid.uuid4()),
        client_id="one-trip",
        status=SaleStatus.CONFIRMED,
        created_at=now,
        hold_expires_at=None,
        confirmed_at=now,
        cancelled_at=None,
        items=tuple(item.row for item in items),
    )
    return await db.write_sale(
        session,
        sale,
        items,
        key=uuid.uuid4().hex,
        request_hash="0" * 64,
        audit=("sale", [(holder, str(uuid.uuid4()))]),
        event=NewEvent(str(uuid.uuid4()), "sale.confirmed", sale.id, {}),
    )


async def counters(session: AsyncSession, holder: str) -> dict[str, tuple[int, int]]:
    rows = await session.execute(
        sa.select(
            usage_counters.c.bucket_key, usage_counters.c.tickets, usage_counters.c.discount_cents
        ).where(usage_counters.c.passholder_id == uuid.UUID(holder))
    )
    return {key: (tickets, discount) for key, tickets, discount in rows.all()}


async def count(session: AsyncSession, table: sa.Table, where: sa.ColumnElement[bool]) -> int:
    query = sa.select(sa.func.count()).select_from(table).where(where)
    return int((await session.execute(query)).scalar_one())


async def settlement_sums(session: AsyncSession) -> dict[str, list[tuple[Any, ...]]]:
    return {
        table.name: sorted(tuple(row) for row in (await session.execute(sa.select(table))).all())
        for table in (settlement_payer_months, settlement_scheme_months)
    }
