"""Webhooks end to end: a real server process, `openpas worker` as its own process, and a
real receiver on loopback that verifies every signature with `standardwebhooks`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
import standardwebhooks

from app.db import migrations
from app.db.engine import create_engine, create_sessionmaker, unit_of_work
from app.db.offers import PriceClassRow
from app.domain.webhooks import EVENT_TYPES, SALE_EVENTS
from app.services.demo import HOLDERS, demo_id, seed_demo, system_principal
from app.services.offers import NewOffer, create_offer
from tests.conftest import NO_RATE_LIMITS, TEST_INSZ_KEY, TEST_TOKEN_KEY, make_settings
from tests.support.live_server import LiveServer, live_server
from tests.support.postgres import (
    admin_execute,
    admin_fetchval,
    create_database,
    drop_database,
    free_port,
    run_in_thread,
)

pytestmark = pytest.mark.concurrency

SOFIE = next(h for h in HOLDERS if h.key == "sofie")  # kansenstatuut in Regio Kortrijk
ENV = {
    "OPENPAS_DEMO": "1",  # http:// receivers (loopback, no certificate)
    "OPENPAS_TOKEN_SIGNING_KEY": TEST_TOKEN_KEY,
    "OPENPAS_INSZ_HMAC_KEY": TEST_INSZ_KEY,
    "OPENPAS_WEBHOOK_ALLOW_PRIVATE": "1",
    "OPENPAS_WEBHOOK_TIMEOUT_SECONDS": "1",
    "OPENPAS_WEBHOOK_BACKOFF_BASE_SECONDS": "0.2",
    "OPENPAS_WEBHOOK_RETRY_WINDOW_SECONDS": "12",
    "OPENPAS_WEBHOOK_STALLED_AFTER_SECONDS": "2",
    "OPENPAS_LOG_LEVEL": "WARNING",
}


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    verified: bool


@dataclass
class Receiver:
    """One HTTP server; each path is one subscriber with its secret and its behaviour."""

    port: int
    secrets: dict[str, str] = field(default_factory=dict)
    # path -> status to answer (default 200), or a callable giving one per call
    behaviour: dict[str, Callable[[], int]] = field(default_factory=dict)
    delay: dict[str, float] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    arrived: threading.Event = field(default_factory=threading.Event)
    server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                secret = receiver.secrets.get(self.path)
                verified = False
                if secret is not None:
                    try:
                        standardwebhooks.Webhook(secret).verify(raw, headers)
                        verified = True
                    except standardwebhooks.WebhookVerificationError:
                        verified = False
                receiver.received.append(Received(self.path, headers, json.loads(raw), verified))
                receiver.arrived.set()
                time.sleep(receiver.delay.get(self.path, 0))
                status = receiver.behaviour.get(self.path, lambda: 200)()
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except OSError:
                    pass  # the sender gave up (a timeout, a killed worker)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        assert self.server is not None
        self.server.shutdown()
        self.server.server_close()
        self.server = None

    def at(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path]


class Workers:
    """`openpas worker` processes, two unless a test changes that: they share the queue."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self, count: int = 2) -> None:
        for _ in range(count):
            self.processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", "app.cli", "worker"],
                    env={**os.environ, **NO_RATE_LIMITS, **ENV, "DATABASE_URL": self.database_url},
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    start_new_session=True,
                )
            )

    def kill(self) -> None:
        """SIGKILL: no clean shutdown, no job handed back."""
        for process in self.processes:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        self.processes = []

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.processes = []


@dataclass(frozen=True)
class World:
    server: LiveServer
    receiver: Receiver
    worker: Workers


@pytest.fixture(scope="module")
def world(postgres_admin_url: str) -> Iterator[World]:
    url = create_database(postgres_admin_url, prefix="openpas_webhooks")
    migrations.upgrade(url)

    async def seed() -> None:
        engine = create_engine(url)
        try:
            async with unit_of_work(create_sessionmaker(engine)) as session:
                await seed_demo(session, make_settings(url, demo=True))
                await session.commit()
        finally:
            await engine.dispose()

    run_in_thread(seed())
    receiver = Receiver(free_port())
    receiver.start()
    worker = Workers(url)
    worker.start()
    try:
        with live_server(url, ENV) as server:
            yield World(server, receiver, worker)
    finally:
        worker.stop()
        if receiver.server is not None:
            receiver.stop()
        drop_database(postgres_admin_url, url)


def _offer(database_url: str, partner: str) -> str:
    async def create() -> str:
        engine = create_engine(database_url)
        try:
            async with create_sessionmaker(engine)() as session:
                offer = await create_offer(
                    session,
                    system_principal(),
                    str(demo_id("partner", partner)),
                    NewOffer(
                        title="Concert",
                        category="podium" if partner.startswith("schouwburg") else "sport",
                        kind="permanent",
                        starts_at=None,
                        ends_at=None,
                        external_ref=None,
                        price_classes=(PriceClassRow("standard", "Standaard", 1_500),),
                    ),
                )
                await session.commit()
                return offer.id
        finally:
            await engine.dispose()

    return run_in_thread(create())


def _token(server: LiveServer, client_id: str) -> dict[str, str]:
    response = httpx.post(
        f"{server.base_url}/v1/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": f"{client_id}-secret",
        },
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _sell(world: World, desk: str, partner: str) -> str:
    """A confirmed sale of a fresh offer of `partner` to Sofie; its id."""
    server = world.server
    offer = _offer(server.database_url, partner)
    headers = _token(server, desk)
    quote = httpx.post(
        f"{server.base_url}/v1/quotes",
        headers=headers,
        json={"card_number": SOFIE.card_number, "offer_id": offer, "price_class": "standard"},
    )
    assert quote.status_code == 200, quote.text
    body = quote.json()
    tariff = body["best_tariff_id"] or body["tariffs"][0]["tariff_id"]
    sale = httpx.post(
        f"{server.base_url}/v1/sales",
        headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
        json={
            "items": [
                {
                    "card_number": SOFIE.card_number,
                    "offer_id": offer,
                    "price_class": "standard",
                    "tariff_id": tariff,
                }
            ]
        },
    )
    assert sale.status_code == 201, sale.text
    return str(sale.json()["id"])


def _subscribe(world: World, client_id: str, events: list[str]) -> tuple[str, str]:
    """A subscription of `client_id` to a path of its own; (id, path)."""
    path = f"/hooks/{uuid.uuid4().hex[:8]}"
    response = httpx.post(
        f"{world.server.base_url}/v1/webhooks",
        headers=_token(world.server, client_id),
        json={"url": world.receiver.base_url + path, "events": events},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["secret"].startswith("whsec_")
    world.receiver.secrets[path] = body["secret"]
    return str(body["id"]), path


def _wait(condition: Callable[[], bool], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError("timed out waiting")


def _deliveries(world: World, client_id: str, webhook_id: str) -> list[dict[str, Any]]:
    response = httpx.get(
        f"{world.server.base_url}/v1/webhooks/{webhook_id}/deliveries",
        headers=_token(world.server, client_id),
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def _feed(world: World) -> list[dict[str, Any]]:
    response = httpx.get(
        f"{world.server.base_url}/v1/changes",
        headers=_token(world.server, "demo-registry"),
        params={"limit": 500},
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def test_a_confirmed_sale_arrives_signed_with_its_feed_cursor(world: World) -> None:
    webhook_id, path = _subscribe(world, "demo-registry", ["sale.confirmed"])
    sale_id = _sell(world, "demo-desk", "schouwburg-kortrijk")

    _wait(lambda: len(world.receiver.at(path)) == 1)
    [got] = world.receiver.at(path)
    assert got.verified
    assert got.headers["webhook-id"].startswith("msg_")
    assert got.body["type"] == "sale.confirmed"
    assert got.body["data"]["id"] == sale_id
    assert got.body["data"]["partner_id"] == str(demo_id("partner", "schouwburg-kortrijk"))
    assert set(got.body) == {"type", "id", "cursor", "occurred_at", "data"}
    assert SOFIE.insz not in json.dumps(got.body)
    [event] = [e for e in _feed(world) if e["entity_id"] == sale_id]
    assert got.body["cursor"] == event["cursor"]
    _wait(lambda: _deliveries(world, "demo-registry", webhook_id)[0]["status"] == "delivered")
    [delivery] = _deliveries(world, "demo-registry", webhook_id)
    assert delivery["attempts"] == 1
    assert delivery["last_response_code"] == 200


def test_a_partner_receives_only_its_own_sales_and_no_other_region_anything(
    world: World,
) -> None:
    partner_hook, partner_path = _subscribe(world, "demo-partner-admin", ["sale.confirmed"])
    _, brugge_path = _subscribe(world, "demo-registry-brugge", ["sale.confirmed"])
    _, region_path = _subscribe(world, "demo-registry", ["sale.confirmed"])
    other_sale = _sell(world, "demo-desk-kv", "kv-kortrijk")
    own_sale = _sell(world, "demo-desk", "schouwburg-kortrijk")

    _wait(lambda: len(world.receiver.at(region_path)) == 2)
    _wait(lambda: len(world.receiver.at(partner_path)) == 1)
    time.sleep(1)  # anything wrongly sent would have arrived by now
    [got] = world.receiver.at(partner_path)
    assert got.body["data"]["id"] == own_sale
    assert "passholder_ids" not in got.body["data"]  # a partner does not learn who bought
    assert [r.body["data"]["id"] for r in world.receiver.at(region_path)] == [
        other_sale,
        own_sale,
    ]
    assert world.receiver.at(brugge_path) == []
    # Another tenant does not even see that the subscription exists.
    response = httpx.get(
        f"{world.server.base_url}/v1/webhooks/{partner_hook}",
        headers=_token(world.server, "demo-registry-brugge"),
    )
    assert response.status_code == 404
    listed = httpx.get(
        f"{world.server.base_url}/v1/webhooks", headers=_token(world.server, "demo-registry-brugge")
    ).json()["items"]
    assert partner_hook not in [item["id"] for item in listed]


def test_a_partner_cannot_subscribe_to_the_region_feed(world: World) -> None:
    response = httpx.post(
        f"{world.server.base_url}/v1/webhooks",
        headers=_token(world.server, "demo-partner-admin"),
        json={"url": world.receiver.base_url + "/x", "events": ["card.blocked"]},
    )
    assert response.status_code == 422
    assert response.json()["code"] == "webhook-events-refused"


def test_a_receiver_down_for_a_while_gets_every_event_in_order(world: World) -> None:
    webhook_id, path = _subscribe(world, "demo-registry", ["sale.confirmed"])
    world.receiver.behaviour[path] = lambda: 503
    sales = [_sell(world, "demo-desk", "schouwburg-kortrijk") for _ in range(3)]
    _wait(lambda: len(world.receiver.at(path)) >= 2)  # the first one, retried
    pending = _deliveries(world, "demo-registry", webhook_id)
    assert {d["status"] for d in pending} == {"pending"}
    assert max(d["last_response_code"] or 0 for d in pending) == 503
    # Only the first was tried: the later ones wait for it.
    assert {r.body["data"]["id"] for r in world.receiver.at(path)} == {sales[0]}

    del world.receiver.behaviour[path]
    _wait(lambda: len({r.body["id"] for r in world.receiver.at(path)}) == 3)
    arrived = [r.body for r in world.receiver.at(path)]
    firsts = list(dict.fromkeys(body["data"]["id"] for body in arrived))
    assert firsts == sales
    assert all(r.verified for r in world.receiver.at(path))
    feed = [e["cursor"] for e in _feed(world) if e["entity_id"] in sales]
    assert list(dict.fromkeys(body["cursor"] for body in arrived)) == feed


def test_a_receiver_answering_500_is_retried_until_it_accepts(world: World) -> None:
    webhook_id, path = _subscribe(world, "demo-registry", ["sale.confirmed"])
    answers = iter([500, 500])
    world.receiver.behaviour[path] = lambda: next(answers, 200)
    _sell(world, "demo-desk", "schouwburg-kortrijk")
    _wait(lambda: _deliveries(world, "demo-registry", webhook_id)[0]["status"] == "delivered")
    [delivery] = _deliveries(world, "demo-registry", webhook_id)
    assert delivery["attempts"] == 3
    ids = {r.headers["webhook-id"] for r in world.receiver.at(path)}
    assert len(world.receiver.at(path)) == 3
    assert len(ids) == 1  # the same message, again


def test_a_slow_receiver_times_out_and_is_tried_again(world: World) -> None:
    webhook_id, path = _subscribe(world, "demo-registry", ["sale.confirmed"])
    world.receiver.delay[path] = 2.5  # the test's timeout is 1 s
    _sell(world, "demo-desk", "schouwburg-kortrijk")
    _wait(lambda: (_deliveries(world, "demo-registry", webhook_id)[0]["last_error"] or "") != "")
    [delivery] = _deliveries(world, "demo-registry", webhook_id)
    assert delivery["status"] == "pending"
    assert delivery["last_error"] == "timeout"
    world.receiver.delay[path] = 0
    _wait(lambda: _deliveries(world, "demo-registry", webhook_id)[0]["status"] == "delivered")


def test_a_worker_killed_mid_delivery_leads_to_a_redelivery(world: World) -> None:
    webhook_id, path = _subscribe(world, "demo-registry", ["sale.confirmed"])
    world.receiver.delay[path] = 0.8  # under the timeout: the worker is waiting for it
    world.receiver.arrived.clear()
    _sell(world, "demo-desk", "schouwburg-kortrijk")
    _wait(lambda: len(world.receiver.at(path)) == 1)
    world.worker.kill()
    world.receiver.delay[path] = 0
    try:
        assert _deliveries(world, "demo-registry", webhook_id)[0]["status"] == "pending"
    finally:
        world.worker.start()
    _wait(lambda: _deliveries(world, "demo-registry", webhook_id)[0]["status"] == "delivered")
    got = world.receiver.at(path)
    assert len(got) == 2
    assert got[0].headers["webhook-id"] == got[1].headers["webhook-id"]


def test_a_subscription_failing_past_the_window_is_disabled_with_its_reason(
    world: World,
) -> None:
    webhook_id, path = _subscribe(world, "demo-region-admin", ["sale.confirmed"])
    world.receiver.behaviour[path] = lambda: 500
    _sell(world, "demo-desk", "schouwburg-kortrijk")
    headers = _token(world.server, "demo-region-admin")

    def disabled() -> bool:
        body = httpx.get(f"{world.server.base_url}/v1/webhooks/{webhook_id}", headers=headers)
        return body.json()["enabled"] is False

    _wait(disabled, seconds=40)
    body = httpx.get(f"{world.server.base_url}/v1/webhooks/{webhook_id}", headers=headers).json()
    assert "HTTP 500" in body["disabled_reason"]
    # Re-enabled once the receiver is fixed, it gets what waited.
    del world.receiver.behaviour[path]
    patched = httpx.patch(
        f"{world.server.base_url}/v1/webhooks/{webhook_id}", headers=headers, json={"enabled": True}
    )
    assert patched.status_code == 200, patched.text
    _wait(lambda: _deliveries(world, "demo-region-admin", webhook_id)[0]["status"] == "delivered")


def test_a_rotated_secret_keeps_the_old_one_signing_during_the_overlap(world: World) -> None:
    webhook_id, path = _subscribe(world, "demo-registry", ["sale.confirmed"])
    old = world.receiver.secrets[path]
    rotated = httpx.post(
        f"{world.server.base_url}/v1/webhooks/{webhook_id}/rotate-secret",
        headers=_token(world.server, "demo-registry"),
    )
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["secret"]
    assert new != old
    ping = httpx.post(
        f"{world.server.base_url}/v1/webhooks/{webhook_id}/ping",
        headers=_token(world.server, "demo-registry"),
    )
    assert ping.status_code == 202, ping.text
    _wait(lambda: len(world.receiver.at(path)) == 1)
    [got] = world.receiver.at(path)
    assert got.body["type"] == "webhook.ping"
    assert len(got.headers["webhook-signature"].split(" ")) == 2
    raw = json.dumps(got.body, separators=(",", ":")).encode()
    for secret in (old, new):
        standardwebhooks.Webhook(secret).verify(raw, got.headers)


def test_a_rolled_back_change_sends_nothing(world: World) -> None:
    _, path = _subscribe(world, "demo-registry", ["sale.confirmed"])

    async def rolled_back() -> None:
        import sqlalchemy as sa

        engine = create_engine(world.server.database_url)
        try:
            async with engine.connect() as connection:
                transaction = await connection.begin()
                await connection.execute(
                    sa.text(
                        "INSERT INTO change_events (txid, region_id, kind, entity_id, data,"
                        " occurred_at) VALUES (pg_current_xact_id()::text::bigint,"
                        " CAST(:r AS uuid), 'sale.confirmed', 'x', '{}', now())"
                    ),
                    {"r": str(demo_id("region", "REGIO_KORTRIJK"))},
                )
                await transaction.rollback()
        finally:
            await engine.dispose()

    run_in_thread(rolled_back())
    sale_id = _sell(world, "demo-desk", "schouwburg-kortrijk")
    _wait(lambda: len(world.receiver.at(path)) == 1)
    time.sleep(0.5)
    assert [r.body["data"]["id"] for r in world.receiver.at(path)] == [sale_id]


def test_two_workers_send_each_event_once_per_subscription_in_feed_order(world: World) -> None:
    hooks = [_subscribe(world, "demo-registry", ["sale.confirmed"]) for _ in range(3)]
    sales = [_sell(world, "demo-desk", "schouwburg-kortrijk") for _ in range(8)]
    paths = [path for _, path in hooks]
    _wait(lambda: all(len(world.receiver.at(path)) >= len(sales) for path in paths))
    time.sleep(1)
    feed = [e["cursor"] for e in _feed(world) if e["entity_id"] in sales]
    for path in paths:
        got = world.receiver.at(path)
        assert [r.body["data"]["id"] for r in got] == sales
        assert [r.body["cursor"] for r in got] == feed
        assert len({r.headers["webhook-id"] for r in got}) == len(sales)
        assert all(r.verified for r in got)


def test_a_revoked_clients_subscription_stops_before_sending_anything(world: World) -> None:
    base = world.server.base_url
    admin = _token(world.server, "demo-admin")
    created = httpx.post(
        f"{base}/v1/clients",
        headers=admin,
        json={
            "name": "Regional CRM",
            "grants": [{"role": "registry", "region_id": str(demo_id("region", "REGIO_KORTRIJK"))}],
        },
    )
    assert created.status_code == 201, created.text
    client = created.json()
    token = httpx.post(
        f"{base}/v1/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": client["client_id"],
            "client_secret": client["client_secret"],
        },
    ).json()["access_token"]
    path = f"/hooks/{uuid.uuid4().hex[:8]}"
    hook = httpx.post(
        f"{base}/v1/webhooks",
        headers={"Authorization": f"Bearer {token}"},
        json={"url": world.receiver.base_url + path, "events": ["sale.confirmed"]},
    ).json()
    world.receiver.secrets[path] = hook["secret"]
    revoked = httpx.delete(f"{base}/v1/clients/{client['client_id']}", headers=admin)
    assert revoked.status_code == 204

    _sell(world, "demo-desk", "schouwburg-kortrijk")

    def disabled() -> bool:
        read = httpx.get(f"{base}/v1/webhooks/{hook['id']}", headers=admin).json()
        return read["enabled"] is False

    _wait(disabled)
    read = httpx.get(f"{base}/v1/webhooks/{hook['id']}", headers=admin).json()
    assert "revoked" in read["disabled_reason"]
    assert world.receiver.at(path) == []


def test_every_event_type_reaches_whoever_may_read_it_and_no_one_else(world: World) -> None:
    base = world.server.base_url
    registry = _token(world.server, "demo-registry")
    start = httpx.get(f"{base}/v1/changes", headers=registry, params={"limit": 500}).json()
    _, region_path = _subscribe(world, "demo-registry", sorted(EVENT_TYPES))
    _, brugge_path = _subscribe(world, "demo-registry-brugge", sorted(EVENT_TYPES))
    _, partner_path = _subscribe(world, "demo-partner-admin", sorted(SALE_EVENTS))

    def call(method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        response = httpx.request(method, f"{base}{path}", headers=registry, json=body)
        assert response.status_code in (200, 201), response.text
        answer: dict[str, Any] = response.json()
        return answer

    holder = call(
        "POST",
        "/v1/passholders",
        {
            "first_name": "Ilse",
            "last_name": f"Claes-{uuid.uuid4().hex[:6]}",
            "birth_date": "1980-03-04",
            "postal_code": "8500",
        },
    )
    card = call("POST", f"/v1/passholders/{holder['id']}/cards")
    call("POST", f"/v1/cards/{card['number']}/block", {"reason": "lost"})
    replaced = call("POST", f"/v1/cards/{card['number']}/replace")
    granted = call(
        "POST",
        f"/v1/passholders/{holder['id']}/entitlements",
        {"type": "kansenstatuut", "region_id": str(demo_id("region", "REGIO_KORTRIJK")),
         "valid_from": "2026-01-01"},
    )  # fmt: skip
    entitlement = f"/v1/passholders/{holder['id']}/entitlements/{granted['id']}"
    call("POST", f"{entitlement}/suspend", {"until": "2026-12-31"})
    call("POST", f"{entitlement}/end", {"on": "2027-01-31"})
    call("PATCH", f"/v1/passholders/{holder['id']}", {"email": "ilse@example.org"})
    other_sale = _sell(world, "demo-desk-kv", "kv-kortrijk")
    own_sale = _sell(world, "demo-desk", "schouwburg-kortrijk")
    cancelled = httpx.post(
        f"{base}/v1/sales/{own_sale}/cancel", headers=_token(world.server, "demo-desk")
    )
    assert cancelled.status_code == 200, cancelled.text

    after = {"after": start["next_cursor"]} if start["next_cursor"] else {}

    def read_feed() -> list[dict[str, Any]]:
        page = httpx.get(
            f"{base}/v1/changes", headers=registry, params={"limit": 500, **after}
        ).json()
        items: list[dict[str, Any]] = page["items"]
        return items

    # The feed shows an event once every older transaction of the server has ended (other
    # databases' included): wait for the last one.
    _wait(lambda: "sale.cancelled" in {event["kind"] for event in read_feed()})
    # This test's events only: another test's may still have been settling at `start`.
    ours = {holder["id"], card["number"], replaced["number"], granted["id"], other_sale, own_sale}
    feed = [event for event in read_feed() if event["entity_id"] in ours]
    kinds = {event["kind"] for event in feed}
    assert {
        "passholder.created", "card.issued", "card.blocked", "card.replaced",
        "entitlement.granted", "entitlement.suspended", "entitlement.ended",
        "passholder.updated", "sale.confirmed", "sale.cancelled",
    } <= kinds, kinds  # fmt: skip
    _wait(lambda: len(world.receiver.at(region_path)) >= len(feed))
    _wait(lambda: len(world.receiver.at(partner_path)) >= 2)
    time.sleep(1)
    got = [r for r in world.receiver.at(region_path) if r.body["data"]["id"] in ours]
    assert len(got) == len(world.receiver.at(region_path))
    assert [(r.body["type"], r.body["cursor"]) for r in got] == [
        (event["kind"], event["cursor"]) for event in feed
    ]
    assert [r.body["data"]["id"] for r in got] == [event["entity_id"] for event in feed]
    assert all(r.verified for r in got)
    partner = world.receiver.at(partner_path)
    assert [(r.body["type"], r.body["data"]["id"]) for r in partner] == [
        ("sale.confirmed", own_sale),
        ("sale.cancelled", own_sale),
    ]
    assert other_sale not in json.dumps([r.body for r in partner])
    assert world.receiver.at(brugge_path) == []


def test_a_send_in_progress_holds_no_transaction_id(world: World) -> None:
    """The change feed shows only events older than every running transaction id: a
    sender waiting for its receiver with one would hold back `GET /v1/changes` and every
    other subscription's deliveries for as long as the receiver takes."""
    _, path = _subscribe(world, "demo-registry", ["sale.confirmed"])
    world.receiver.delay[path] = 0.9  # under the timeout: the worker waits for the answer
    _sell(world, "demo-desk", "schouwburg-kortrijk")
    _wait(lambda: len(world.receiver.at(path)) == 1)
    holding = admin_fetchval(
        world.server.database_url,
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
        " AND backend_xid IS NOT NULL AND pid <> pg_backend_pid()",
    )
    world.receiver.delay[path] = 0
    assert holding == 0


def test_a_delivery_its_grant_cannot_read_is_skipped_never_sent(world: World) -> None:
    # The trigger never enqueues one; should a defect do it, the worker's own check stops it.
    hook, path = _subscribe(world, "demo-partner-admin", ["sale.confirmed"])
    other = demo_id("partner", "kv-kortrijk")
    admin_execute(
        world.server.database_url,
        "INSERT INTO webhook_deliveries (id, subscription_id, event_seq, txid, type,"
        " entity_id, data, occurred_at, status, attempts, next_attempt_at, created_at)"
        f" VALUES (gen_random_uuid(), '{hook}', 1, 1, 'sale.confirmed', 'sale-x',"
        f" '{{\"partner_id\": \"{other}\"}}', now(), 'pending', 0, now(), now())",
        f"SELECT openpas_webhook_wake('{hook}', now(), true)",
    )
    _wait(lambda: _deliveries(world, "demo-partner-admin", hook)[0]["status"] == "skipped")
    time.sleep(0.5)
    assert world.receiver.at(path) == []
