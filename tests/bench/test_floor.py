"""The floor app (bench/floor/): it answers and writes what OpenPas does, in its one or two
statements, and the runner leaves the database as it found it.

One real OpenPas server on a throwaway demo database teaches the floor its plan, as the
runner does; the floor app runs in this process. The last test runs the whole runner with
wrk for a second per run (skipped without wrk).
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from app.clock import today_in_brussels
from app.services.demo import demo_id
from tests.conftest import TEST_TOKEN_KEY
from tests.support.live_server import LiveServer, demo_server
from tests.support.postgres import run_in_thread

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

from floor import app as floor_app  # noqa: E402
from floor import fixture  # noqa: E402
from floor.plan import PlanBuilder, SaleTemplate, offer_buckets, probe_sale, quote_all  # noqa: E402

KERSENTUIN = str(demo_id("offer", "kersentuin"))  # Schouwburg Kortrijk, one-off, €22


@dataclass(frozen=True)
class World:
    server: LiveServer
    url: str  # postgresql://, for asyncpg
    client_id: str
    token: str
    tag: str
    plan_path: Path
    template: SaleTemplate
    fresh_cards: list[str]
    sofie_card: str


def _plain(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def _new_client(server: LiveServer) -> tuple[str, str]:
    """An admin client of the test's own, and its token."""
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        admin = await http.post(
            "/v1/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": "demo-admin",
                "client_secret": "demo-admin-secret",
            },
        )
        headers = {"Authorization": f"Bearer {admin.json()['access_token']}"}
        created = await http.post(
            "/v1/clients",
            json={"name": "floor test", "grants": [{"role": "admin"}]},
            headers=headers,
        )
        assert created.status_code == 201, created.text
        client = created.json()
        token = await http.post(
            "/v1/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": client["client_id"],
                "client_secret": client["client_secret"],
            },
        )
        return client["client_id"], token.json()["access_token"]


async def _build(server: LiveServer, plan_path: Path) -> World:
    url = _plain(server.database_url)
    client_id, token = await _new_client(server)
    tag = uuid.uuid4().hex[:10]
    connection = await asyncpg.connect(url)
    try:
        sofie_card = await connection.fetchval(
            "SELECT c.number FROM cards c JOIN passholders p ON p.id = c.passholder_id "
            "WHERE p.first_name = 'Sofie'"
        )
        samples = [
            (row["number"], row["id"], row["code"])
            for row in await connection.fetch(
                "SELECT c.number, o.id::text AS id, pc.code FROM cards c CROSS JOIN offers o "
                "JOIN price_classes pc ON pc.offer_id = o.id WHERE c.status = 'active'"
            )
        ]
        builder = PlanBuilder()
        async with httpx.AsyncClient(
            base_url=server.base_url, headers={"Authorization": f"Bearer {token}"}
        ) as openpas:
            await quote_all(openpas, samples, builder)
            builder.offers = await offer_buckets(
                connection, sorted({offer for _, offer, _ in samples}), today_in_brussels()
            )
            home = await fixture.home_of_partner(connection, KERSENTUIN)
            cards = await fixture.create_holders(connection, home, 8, tag, today_in_brussels())
            template = await probe_sale(
                openpas, connection, builder.offers[KERSENTUIN], "standard", cards.pop(), builder
            )
        plan = builder.to_json()
    finally:
        await connection.close()
    await asyncio.to_thread(plan_path.write_text, json.dumps(plan))
    return World(server, url, client_id, token, tag, plan_path, template, cards, sofie_card)


@pytest.fixture(scope="module")
def world(postgres_admin_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with demo_server(postgres_admin_url, prefix="openpas_floor_test") as server:
        yield run_in_thread(_build(server, tmp_path_factory.mktemp("floor") / "plan.json"))


@pytest.fixture
async def floor(world: World, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[httpx.AsyncClient]:
    monkeypatch.setenv("FLOOR_DATABASE_URL", world.url)
    monkeypatch.setenv("FLOOR_TOKEN_SIGNING_KEY", TEST_TOKEN_KEY)
    monkeypatch.setenv("FLOOR_PLAN", str(world.plan_path))
    monkeypatch.setenv("FLOOR_POOL_SIZE", "2")
    app = floor_app.app
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://floor",
            headers={"Authorization": f"Bearer {world.token}"},
        ) as client,
    ):
        yield client


@pytest.fixture
async def db(world: World) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(world.url)
    try:
        yield connection
    finally:
        await connection.close()


def _sale(template: SaleTemplate, card: str) -> dict[str, Any]:
    return {
        "items": [
            {
                "card_number": card,
                "offer_id": template.offer_id,
                "price_class": template.price_class,
                "tariff_id": template.tariff_id,
                "quantity": 1,
            }
        ]
    }


async def test_the_floor_answers_health_as_openpas_does(
    world: World, floor: httpx.AsyncClient
) -> None:
    ours = await floor.get("/health")
    async with httpx.AsyncClient(base_url=world.server.base_url) as openpas:
        theirs = await openpas.get("/health")
    assert ours.status_code == 200
    assert ours.json() == theirs.json() == {"status": "ok"}


async def test_a_floor_quote_answers_openpas_tariffs_at_openpas_size_and_audits_the_read(
    world: World, floor: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    body = {"card_number": world.sofie_card, "offer_id": KERSENTUIN, "price_class": "standard"}
    async with httpx.AsyncClient(base_url=world.server.base_url) as openpas:
        theirs = await openpas.post(
            "/v1/quotes", json=body, headers={"Authorization": f"Bearer {world.token}"}
        )
    audited = "SELECT count(*) FROM audit_log WHERE client_id = $1 AND action = 'quote'"
    before = await db.fetchval(audited, world.client_id)

    ours = await floor.post("/v1/quotes", json=body)

    assert ours.status_code == 200
    assert len(ours.content) == len(theirs.content)
    assert ours.json() == theirs.json()
    assert ours.json()["holder"] == {"display_name": "Sofie D.", "card_status": "active"}
    assert await db.fetchval(audited, world.client_id) == before + 1


async def test_a_floor_quote_needs_a_token_signed_with_openpas_key(
    world: World, floor: httpx.AsyncClient
) -> None:
    body = {"card_number": world.sofie_card, "offer_id": KERSENTUIN, "price_class": "standard"}
    assert (
        await floor.post("/v1/quotes", json=body, headers={"Authorization": ""})
    ).status_code == 401
    forged = await floor.post(
        "/v1/quotes", json=body, headers={"Authorization": "Bearer not.a.token"}
    )
    assert forged.status_code == 401
    unknown = await floor.post("/v1/quotes", json=body | {"card_number": "0000000000000"})
    assert unknown.status_code == 404


async def _sale_rows(db: asyncpg.Connection, sale_id: str) -> dict[str, Any]:
    key = uuid.UUID(sale_id)
    return {
        "sale": await db.fetchrow("SELECT * FROM sales WHERE id = $1", key),
        "items": await db.fetch("SELECT * FROM sale_items WHERE sale_id = $1", key),
        "funding": await db.fetch(
            "SELECT f.scheme_code, f.payer, f.payer_ref, f.amount_cents FROM sale_item_funding f "
            "JOIN sale_items i ON i.id = f.sale_item_id WHERE i.sale_id = $1 ORDER BY f.id",
            key,
        ),
        "usage": await db.fetch(
            "SELECT u.bucket_key, u.tickets, u.discount_cents, u.held_until FROM sale_usage u "
            "JOIN sale_items i ON i.id = u.sale_item_id WHERE i.sale_id = $1 ORDER BY u.id",
            key,
        ),
        "events": await db.fetch(
            "SELECT kind, data::text AS data FROM change_events WHERE entity_id = $1", sale_id
        ),
    }


_TABLES = (
    "passholders",
    "cards",
    "entitlements",
    "sales",
    "sale_items",
    "sale_item_funding",
    "sale_usage",
    "usage_counters",
    "audit_log",
    "change_events",
    "idempotency_keys",
    "api_clients",
)


async def _counts(db: asyncpg.Connection) -> dict[str, int]:
    return {table: await db.fetchval(f"SELECT count(*) FROM {table}") for table in _TABLES}


async def _settlement(db: asyncpg.Connection) -> list[tuple[Any, ...]]:
    payer = await db.fetch("SELECT * FROM settlement_payer_months ORDER BY 1, 2, 3, 4, 5, 6")
    scheme = await db.fetch("SELECT * FROM settlement_scheme_months ORDER BY 1, 2, 3")
    return [tuple(row) for row in [*payer, *scheme]]


async def test_a_floor_sale_writes_the_sale_lines_funding_usage_sums_event_audit_and_key(
    world: World, floor: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    template = world.template
    card = world.fresh_cards.pop()
    holder = await db.fetchval("SELECT passholder_id FROM cards WHERE number = $1", card)
    sums = await db.fetchrow(
        "SELECT lines, tickets, paid_cents FROM settlement_scheme_months "
        "WHERE partner_id = $1 AND scheme_code = $2",
        uuid.UUID(template.plan["partner_id"]),
        template.plan["line"]["scheme_code"],
    )

    sold = await floor.post(
        "/v1/sales", json=_sale(template, card), headers={"Idempotency-Key": "k1"}
    )

    assert sold.status_code == 201, sold.text
    assert len(sold.content) == template.plan["size"]
    answer = sold.json()
    rows = await _sale_rows(db, answer["id"])
    assert rows["sale"]["status"] == "confirmed"
    assert rows["sale"]["client_id"] == world.client_id
    [item] = rows["items"]
    line = template.plan["line"]
    assert (item["passholder_id"], item["scheme_code"], item["unit_price_cents"]) == (
        holder,
        line["scheme_code"],
        line["unit_price_cents"],
    )
    assert item["counted_on"].isoformat() == line["counted_on"]
    assert [dict(f) for f in rows["funding"]] == template.plan["funding"]
    assert [(u["bucket_key"], u["tickets"], u["held_until"]) for u in rows["usage"]] == [
        (c["bucket_key"], c["tickets"], None) for c in template.plan["claims"]
    ]
    counters = await db.fetch(
        "SELECT bucket_key, tickets FROM usage_counters WHERE passholder_id = $1 ORDER BY 1",
        holder,
    )
    assert [tuple(c) for c in counters] == sorted(
        (c["bucket_key"], c["tickets"]) for c in template.plan["claims"]
    )
    [event] = rows["events"]
    assert event["kind"] == "sale.confirmed"
    assert json.loads(event["data"])["passholder_ids"] == [str(holder)]
    assert (
        await db.fetchval(
            "SELECT count(*) FROM audit_log WHERE passholder_id = $1 AND action = 'sale'", holder
        )
        == 1
    )
    assert (
        await db.fetchval(
            "SELECT sale_id::text FROM idempotency_keys WHERE client_id = $1 AND key = 'k1'",
            world.client_id,
        )
        == answer["id"]
    )
    after = await db.fetchrow(
        "SELECT lines, tickets, paid_cents FROM settlement_scheme_months "
        "WHERE partner_id = $1 AND scheme_code = $2",
        uuid.UUID(template.plan["partner_id"]),
        line["scheme_code"],
    )
    assert (after["lines"] - sums["lines"], after["paid_cents"] - sums["paid_cents"]) == (
        1,
        line["total_cents"],
    )


async def test_a_floor_sale_past_a_limit_or_on_a_used_key_writes_nothing(
    world: World, floor: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    template = world.template
    card = world.fresh_cards.pop()
    first = await floor.post(
        "/v1/sales", json=_sale(template, card), headers={"Idempotency-Key": "k2"}
    )
    assert first.status_code == 201
    counted = "SELECT count(*) FROM sales WHERE client_id = $1"
    sales_before = await db.fetchval(counted, world.client_id)
    settlement_before = await _settlement(db)

    # The Kortrijk kansentarief is one ticket per offer: the holder has none left.
    again = await floor.post(
        "/v1/sales", json=_sale(template, card), headers={"Idempotency-Key": "k3"}
    )
    reused = await floor.post(
        "/v1/sales",
        json=_sale(template, world.fresh_cards.pop()),
        headers={"Idempotency-Key": "k2"},
    )

    assert (again.status_code, again.json()["detail"]) == (409, "limit-reached")
    assert (reused.status_code, reused.json()["detail"]) == (409, "idempotency-key-used")
    assert await db.fetchval(counted, world.client_id) == sales_before
    assert await _settlement(db) == settlement_before
    assert (
        await db.fetchval(
            "SELECT count(*) FROM idempotency_keys WHERE client_id = $1 AND key = 'k3'",
            world.client_id,
        )
        == 0
    )


async def test_a_floor_sale_locks_the_payer_sums_before_the_scheme_sums_as_openpas_does(
    world: World, floor: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    """Otherwise a floor sale and an OpenPas sale at the same partner deadlock."""
    template = world.template
    await floor.post(
        "/v1/sales",
        json=_sale(template, world.fresh_cards.pop()),
        headers={"Idempotency-Key": "k4"},
    )
    partner = uuid.UUID(template.plan["partner_id"])
    holder = await asyncpg.connect(world.url)
    other = await asyncpg.connect(world.url)
    try:
        transaction = holder.transaction()
        await transaction.start()
        await holder.execute(
            "UPDATE settlement_payer_months SET lines = lines WHERE partner_id = $1", partner
        )
        selling = asyncio.create_task(
            floor.post(
                "/v1/sales",
                json=_sale(template, world.fresh_cards.pop()),
                headers={"Idempotency-Key": "k5"},
            )
        )
        for _ in range(100):
            waiting = await db.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'"
            )
            if waiting:
                break
            await asyncio.sleep(0.05)
        assert waiting == 1
        # The waiting sale holds no scheme sum yet: another transaction may take them all.
        async with other.transaction():
            await other.execute(
                "SELECT 1 FROM settlement_scheme_months WHERE partner_id = $1 FOR UPDATE NOWAIT",
                partner,
            )
        await transaction.rollback()
        assert (await selling).status_code == 201
    finally:
        await holder.close()
        await other.close()


async def test_removing_a_run_leaves_the_database_as_it_was_found(
    world: World, floor: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    before, settlement = await _counts(db), await _settlement(db)
    client_id, token = await _new_client(world.server)
    tag = uuid.uuid4().hex[:10]

    home = await fixture.home_of_partner(db, KERSENTUIN)
    cards = await fixture.create_holders(db, home, 2, tag, today_in_brussels())
    auth = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=world.server.base_url, headers=auth) as openpas:
        by_openpas = await openpas.post(
            "/v1/sales", json=_sale(world.template, cards[0]), headers={"Idempotency-Key": "r1"}
        )
    by_floor = await floor.post(
        "/v1/sales",
        json=_sale(world.template, cards[1]),
        headers=auth | {"Idempotency-Key": "r2"},
    )
    assert (by_openpas.status_code, by_floor.status_code) == (201, 201)
    assert await _settlement(db) != settlement

    removed = await fixture.remove_run(db, client_id, tag)

    assert (removed.sales, removed.holders) == (2, 2)
    assert await _counts(db) == before
    assert await _settlement(db) == settlement


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")
async def test_the_runner_measures_both_servers_and_leaves_the_database_as_it_found_it(
    world: World, db: asyncpg.Connection, tmp_path: Path
) -> None:
    """The whole runner, a second a run, on the demo database of the other tests."""
    before, settlement = await _counts(db), await _settlement(db)
    figures = tmp_path / "floor.json"
    command = [sys.executable, str(BENCH / "floor" / "run.py"), "--database-url", world.url]
    command += ["--seconds", "1", "--warmup", "0", "--rounds", "1", "--quotes", "20"]
    # Few connections: the test's server and other runs share this PostgreSQL.
    command += ["--pool-size", "3"]
    command += ["--sale-offers", "2", "--json", str(figures)]

    done = await asyncio.to_thread(
        subprocess.run, command, capture_output=True, text=True, timeout=300
    )

    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = json.loads(figures.read_text())
    assert [s["pair"] for s in report["summary"]] == ["health", "quote", "sale"]
    assert all(s["ratio"] > 0 for s in report["summary"])
    assert {(r["pair"], r["server"]) for r in report["runs"]} == {
        (pair, server) for pair in ("health", "quote", "sale") for server in ("openpas", "floor")
    }
    assert all(r["requests"] > 0 and r["non_2xx"] == 0 for r in report["runs"])
    assert await _counts(db) == before
    assert await _settlement(db) == settlement
