"""Real OpenPas server processes for the tests that need them (fuzzing, concurrency)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx

from tests.support.postgres import create_database, drop_database, free_port, run_in_thread


@dataclass(frozen=True)
class LiveServer:
    base_url: str
    database_url: str


@contextlib.contextmanager
def live_server(
    database_url: str, env: dict[str, str], *, workers: int = 1
) -> Iterator[LiveServer]:
    """Start `uvicorn app.asgi:app` with `workers` processes on a free port (rate limits off
    unless `env` sets them)."""
    from tests.conftest import NO_RATE_LIMITS

    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "app.asgi:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--http",
            "app.http_protocol:ProblemHttpToolsProtocol",
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        env={**os.environ, **NO_RATE_LIMITS, **env, "DATABASE_URL": database_url},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base_url, process)
        yield LiveServer(base_url=base_url, database_url=database_url)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _wait_ready(base_url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            stderr = process.stderr.read().decode() if process.stderr else ""
            raise RuntimeError(f"the server exited with {process.returncode}: {stderr[-2000:]}")
        try:
            if httpx.get(f"{base_url}/ready", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the server did not become ready within 60 s")


@contextlib.contextmanager
def demo_server(
    admin_url: str, *, prefix: str, env: dict[str, str] | None = None, workers: int = 1
) -> Iterator[LiveServer]:
    """A throwaway database, migrated and seeded with the demo, served by `workers` real
    processes with the test keys; dropped afterwards."""
    from app.db import migrations
    from app.db.engine import create_engine, create_sessionmaker, unit_of_work
    from app.services.demo import seed_demo
    from tests.conftest import TEST_INSZ_KEY, TEST_TOKEN_KEY, make_settings

    url = create_database(admin_url, prefix=prefix)

    async def seed() -> None:
        engine = create_engine(url)
        try:
            async with unit_of_work(create_sessionmaker(engine)) as session:
                await seed_demo(session, make_settings(url))
        finally:
            await engine.dispose()

    try:
        migrations.upgrade(url)
        run_in_thread(seed())
        keys = {"OPENPAS_TOKEN_SIGNING_KEY": TEST_TOKEN_KEY, "OPENPAS_INSZ_HMAC_KEY": TEST_INSZ_KEY}
        with live_server(url, {**keys, **(env or {})}, workers=workers) as running:
            yield running
    finally:
        drop_database(admin_url, url)
