"""The demo seed, the `openpas` command and the README that documents both."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.services.demo import CLIENTS, HOLDERS, PARTNERS, REGIONS, demo_id, seed_demo
from app.settings import Settings
from tests.conftest import TEST_INSZ_KEY, TEST_TOKEN_KEY
from tests.support.postgres import admin_execute, admin_fetchval, create_database, drop_database

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


async def test_the_demo_seeds_once_and_a_second_run_adds_nothing(
    session: AsyncSession, client: httpx.AsyncClient, settings: Settings
) -> None:
    first = await seed_demo(session, settings)
    assert "region REGIO_KORTRIJK" in first
    assert "client demo-desk" in first
    assert await seed_demo(session, settings) == []

    kortrijk = (await client.get(f"/v1/regions/{demo_id('region', 'REGIO_KORTRIJK')}")).json()
    names = {m["name"]: m for m in kortrijk["municipalities"]}
    assert names["Kortrijk"]["nis_code"] == "34022"
    assert "8500" in names["Kortrijk"]["postal_codes"]
    assert names["Harelbeke"]["nis_code"] == "34013"


async def test_demo_clients_get_tokens_with_their_documented_secrets(
    session: AsyncSession, client: httpx.AsyncClient, settings: Settings
) -> None:
    await seed_demo(session, settings)
    response = await client.post(
        "/v1/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "demo-desk",
            "client_secret": "demo-desk-secret",
        },
    )
    assert response.status_code == 200


def test_the_readme_lists_the_real_demo_ids_and_credentials() -> None:
    for region in REGIONS:
        assert str(demo_id("region", region.code)) in README, region.code
    for partner in PARTNERS:
        assert str(demo_id("partner", partner.key)) in README, partner.name
    for demo_client in CLIENTS:
        row = f"| `{demo_client.client_id}` | `{demo_client.secret}` | {demo_client.role.value} |"
        assert row in README, demo_client.client_id
    assert re.search(r"^make run\b", README, re.MULTILINE)
    assert re.search(r"^make test\b", README, re.MULTILINE)


@pytest.fixture
def scratch_database(postgres_admin_url: str) -> Iterator[str]:
    url = create_database(postgres_admin_url, prefix="openpas_cli")
    yield url
    drop_database(postgres_admin_url, url)


def _openpas(*args: str, database_url: str, demo: bool = False) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "OPENPAS_TOKEN_SIGNING_KEY": TEST_TOKEN_KEY,
        "OPENPAS_INSZ_HMAC_KEY": TEST_INSZ_KEY,
        "OPENPAS_DEMO": "1" if demo else "0",
    }
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_cli_migrates_bootstraps_an_admin_and_refuses_the_demo_outside_demo_mode(
    scratch_database: str,
) -> None:
    migrated = _openpas("migrate", database_url=scratch_database)
    assert migrated.returncode == 0, migrated.stderr

    created = _openpas(
        "clients", "create", "--name", "Beheer", "--role", "admin", database_url=scratch_database
    )
    assert created.returncode == 0, created.stderr
    values = dict(line.split("=", 1) for line in created.stdout.split())
    assert values["client_id"].startswith("client-")
    assert len(values["client_secret"]) >= 40

    refused = _openpas("demo", database_url=scratch_database)
    assert refused.returncode != 0
    assert "OPENPAS_DEMO=1" in refused.stderr

    seeded = _openpas("demo", database_url=scratch_database, demo=True)
    assert seeded.returncode == 0
    assert "client demo-admin" in seeded.stdout
    again = _openpas("demo", database_url=scratch_database, demo=True)
    assert "nothing added" in again.stdout


def test_the_cli_imports_a_status_list_once_and_keeps_unknown_people_pending(
    scratch_database: str, tmp_path: Path
) -> None:
    assert _openpas("migrate", database_url=scratch_database).returncode == 0
    assert _openpas("demo", database_url=scratch_database, demo=True).returncode == 0
    els = next(holder for holder in HOLDERS if holder.key == "els")  # no status yet
    unknown = "90020301454"  # a valid INSZ nobody in the demo has
    listed = tmp_path / "ocmw-november.csv"
    listed.write_text(
        "insz;type;valid_from\n"
        f"{els.insz};kansenstatuut;2026-11-01\n"
        f"{unknown};kansenstatuut;2026-11-01\n"
        "12345678901;kansenstatuut;2026-11-01\n"
    )
    kortrijk = str(demo_id("region", "REGIO_KORTRIJK"))
    command = ("import", "entitlements", str(listed), "--region-id", kortrijk)

    first = _openpas(*command, "--source", "OCMW november", database_url=scratch_database)
    again = _openpas(*command, "--source", "OCMW november", database_url=scratch_database)

    assert first.returncode == 0, first.stderr
    assert first.stdout.split() == [
        "rows=3", "granted=1", "renewed=0", "unchanged=0",
        "pending=1", "already_pending=0", "rejected=1",
    ]  # fmt: skip
    assert "row 3: insz:" in first.stderr  # the typo is named by its row, not echoed
    assert "12345678901" not in first.stdout + first.stderr
    # Written, not just counted: the second run finds both already there.
    assert again.stdout.split() == [
        "rows=3", "granted=0", "renewed=0", "unchanged=1",
        "pending=0", "already_pending=1", "rejected=1",
    ]  # fmt: skip


def test_the_cli_loads_scheme_files_idempotently_and_refuses_a_broken_one(
    scratch_database: str, tmp_path: Path
) -> None:
    catalog = Path(__file__).resolve().parents[2] / "catalog"
    assert _openpas("migrate", database_url=scratch_database).returncode == 0

    # Before the regions exist, nothing is loaded and every unknown owner is named.
    orphans = _openpas("schemes", "import", str(catalog), database_url=scratch_database)
    assert _openpas("demo", database_url=scratch_database, demo=True).returncode == 0
    unchanged = _openpas("schemes", "import", str(catalog), database_url=scratch_database)
    renamed = tmp_path / "welkomstbon.yaml"
    renamed.write_text(
        (catalog / "kortrijk_welkomstbon.yaml")
        .read_text()
        .replace("nl: Welkomstbon", "nl: Welkomstbon 2027")
    )
    changed = _openpas("schemes", "import", str(renamed), database_url=scratch_database)
    changed_again = _openpas("schemes", "import", str(renamed), database_url=scratch_database)
    broken = tmp_path / "broken.yaml"
    broken.write_text("code: BROKEN\nversion: 1\nprice: {kind: percentage}\n")
    refused = _openpas("schemes", "import", str(broken), database_url=scratch_database)

    assert orphans.returncode != 0
    assert "KORTRIJK_KANSENTARIEF: owner region REGIO_KORTRIJK does not exist" in orphans.stderr
    assert "BRUGGE_GROOT_GEZIN: owner region BRUGGE does not exist" in orphans.stderr
    assert unchanged.returncode == 0, unchanged.stderr
    assert unchanged.stdout.strip().endswith("read; nothing changed")  # the demo loaded them
    assert changed.returncode == 0, changed.stderr
    assert changed.stdout.strip() == "schemes: 1 read; KORTRIJK_WELKOMSTBON v2"
    assert changed_again.stdout.strip() == "schemes: 1 read; nothing changed"
    assert refused.returncode != 0
    assert refused.stderr.startswith("openpas: ")
    assert "Traceback" not in refused.stderr


def test_the_server_refuses_to_start_without_secrets_and_names_them(
    scratch_database: str,
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENPAS_")}
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "serve", "--port", "1"],
        env={**env, "DATABASE_URL": scratch_database},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "OPENPAS_TOKEN_SIGNING_KEY is not set" in result.stderr


def test_the_cli_maintenance_runs_every_policy_and_can_run_one(scratch_database: str) -> None:
    assert _openpas("migrate", database_url=scratch_database).returncode == 0
    assert _openpas("demo", database_url=scratch_database, demo=True).returncode == 0

    ran = _openpas("maintenance", database_url=scratch_database)

    assert ran.returncode == 0, ran.stderr
    lines = ran.stdout.splitlines()
    assert lines[0] == "idempotency: 0 keys older than 48 hours forgotten"
    assert lines[1] == "holds: 0 lapsed holds released"
    assert lines[2].startswith("audit: partitions ready audit_log_")
    assert "months dropped (older than 730 days): none" in lines[2]
    assert lines[3] == "webhooks: 0 deliveries delivered more than 30 days ago forgotten"
    only = _openpas("maintenance", "--only", "holds", database_url=scratch_database)
    assert only.stdout.splitlines() == ["holds: 0 lapsed holds released"]


def test_make_run_keeps_the_demo_tidy_in_the_background(scratch_database: str) -> None:
    """`openpas run` in demo mode runs every maintenance policy periodically (hourly; here
    every 0.2 s), and a run that fails does not stop the next."""
    import queue

    from app.cli import DEMO_MAINTENANCE_SECONDS, start_background_maintenance
    from tests.conftest import make_settings

    assert DEMO_MAINTENANCE_SECONDS == 3600
    assert _openpas("migrate", database_url=scratch_database).returncode == 0
    lines: queue.Queue[str] = queue.Queue()
    stop = start_background_maintenance(make_settings(scratch_database), 0.2, lines.put)
    try:
        seen = [lines.get(timeout=30) for _ in range(8)]  # two runs of four policies
    finally:
        stop.set()
    assert [line.split(":")[0] for line in seen] == [
        "idempotency",
        "holds",
        "audit",
        "webhooks",
    ] * 2
    assert seen[1] == "holds: 0 lapsed holds released"

    broken = make_settings(scratch_database.rsplit("/", 1)[0] + "/openpas_no_such_database")
    stop = start_background_maintenance(broken, 0.2, lines.put)
    try:
        failures = [lines.get(timeout=30) for _ in range(2)]
    finally:
        stop.set()
    assert all(f.startswith("failed (") for f in failures), failures


@pytest.mark.parametrize("demo", [True, False])
def test_openpas_run_starts_the_background_maintenance_in_demo_mode_only(
    demo: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    import argparse

    from app import cli
    from app.db import migrations
    from tests.conftest import make_settings

    started: list[float] = []
    monkeypatch.setattr(
        cli, "_settings", lambda: make_settings("postgresql://x/y", demo=demo, run_worker=False)
    )
    monkeypatch.setattr(migrations, "upgrade", lambda url: None)
    monkeypatch.setattr(cli, "cmd_demo", lambda args: None)
    monkeypatch.setattr(cli, "cmd_serve", lambda args: None)
    monkeypatch.setattr(
        cli, "start_background_maintenance", lambda settings, every: started.append(every)
    )
    cli.cmd_run(argparse.Namespace())
    # Outside demo mode a deployment runs `openpas maintenance` itself (compose: a service).
    assert started == ([3600.0] if demo else [])


def test_the_cli_lists_retries_and_disables_webhooks(scratch_database: str) -> None:
    assert _openpas("migrate", database_url=scratch_database).returncode == 0
    assert _openpas("demo", database_url=scratch_database, demo=True).returncode == 0
    subscription, delivery = uuid.uuid4(), uuid.uuid4()
    region = demo_id("region", "REGIO_KORTRIJK")
    admin_execute(
        scratch_database,
        "INSERT INTO webhook_subscriptions (id, client_id, role, region_id, url, events,"
        f" secret, created_at) VALUES ('{subscription}', 'demo-registry', 'registry',"
        f" '{region}', 'https://hooks.example.org/openpas', ARRAY['sale.confirmed'],"
        " 'whsec_c2VjcmV0', now())",
        "INSERT INTO webhook_deliveries (id, subscription_id, event_seq, txid, type,"
        " entity_id, data, occurred_at, status, attempts, next_attempt_at, created_at,"
        f" delivered_at) VALUES ('{delivery}', '{subscription}', 1, 1, 'sale.confirmed', 's',"
        " '{}', now(), 'delivered', 1, now(), now(), now())",
    )

    listed = _openpas("webhooks", "list", database_url=scratch_database)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines() == [
        f"{subscription}\tregistry\thttps://hooks.example.org/openpas\tenabled"
    ]
    retried = _openpas(
        "webhooks", "retry", str(subscription), str(delivery), database_url=scratch_database
    )
    assert retried.returncode == 0, retried.stderr
    assert (
        admin_fetchval(
            scratch_database, f"SELECT status FROM webhook_deliveries WHERE id = '{delivery}'"
        )
        == "pending"
    )
    # Woken: a job for its subscription waits in the queue.
    assert (
        admin_fetchval(
            scratch_database,
            "SELECT count(*) FROM procrastinate.procrastinate_jobs"
            f" WHERE lock = 'webhook:{subscription}' AND status = 'todo'",
        )
        == 1
    )
    disabled = _openpas(
        "webhooks",
        "disable",
        str(subscription),
        "--reason",
        "receiver retired",
        database_url=scratch_database,
    )
    assert disabled.returncode == 0, disabled.stderr
    listed = _openpas("webhooks", "list", database_url=scratch_database)
    assert listed.stdout.strip().endswith("\tdisabled: receiver retired")
    unknown = _openpas("webhooks", "disable", str(uuid.uuid4()), database_url=scratch_database)
    assert unknown.returncode != 0
    assert "no webhook" in unknown.stderr
