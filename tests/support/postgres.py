"""A PostgreSQL server for the tests: the one OPENPAS_TEST_POSTGRES_URL points at, or a
throwaway cluster started from the local binaries (initdb, pg_ctl) and removed afterwards.

Each test run works in databases of its own, so runs never see each other's rows.
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
from sqlalchemy.engine import make_url

ENV_VAR = "OPENPAS_TEST_POSTGRES_URL"
T = TypeVar("T")


def run_in_thread(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion on a fresh event loop in another thread."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def _pg_bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    if candidates:
        return candidates[0]
    raise RuntimeError(
        f"PostgreSQL's {name} was not found. Install PostgreSQL (e.g. apt-get install "
        f"postgresql) or point {ENV_VAR} at a server, e.g. "
        "postgresql://postgres@127.0.0.1:5432/postgres"
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _as_postgres_user(command: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root; CI runs as root.
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


@contextlib.contextmanager
def throwaway_cluster() -> Iterator[str]:
    """Start a private cluster on a free port; yield its maintenance URL."""
    workdir = Path(tempfile.mkdtemp(prefix="openpas-pg-"))
    data, sockets, logfile = workdir / "data", workdir / "sock", workdir / "server.log"
    sockets.mkdir()
    if os.geteuid() == 0:
        shutil.chown(workdir, "postgres")
        shutil.chown(sockets, "postgres")
    port = free_port()
    subprocess.run(
        _as_postgres_user(
            [
                _pg_bin("initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-sync",
            ]
        ),
        check=True,
        capture_output=True,
    )
    options = (
        f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
    )
    subprocess.run(
        _as_postgres_user(
            [_pg_bin("pg_ctl"), "-D", str(data), "-o", options, "-l", str(logfile), "-w", "start"]
        ),
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            _as_postgres_user([_pg_bin("pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
            check=False,
            capture_output=True,
        )
        shutil.rmtree(workdir, ignore_errors=True)


@contextlib.contextmanager
def postgres_server() -> Iterator[str]:
    """The maintenance URL of a server the tests may create databases on."""
    url = os.environ.get(ENV_VAR)
    if url:
        yield url
        return
    with throwaway_cluster() as started:
        yield started


async def _admin_connection(admin_url: str) -> asyncpg.Connection:
    parsed = make_url(admin_url)
    return await asyncpg.connect(
        host=parsed.host or "127.0.0.1",
        port=parsed.port or 5432,
        user=parsed.username or "postgres",
        password=parsed.password,
        database=parsed.database or "postgres",
    )


def admin_execute(admin_url: str, *statements: str) -> None:
    """Run `statements` one by one, each in its own implicit transaction, on the database
    `admin_url` names (a test's own too)."""

    # CREATE/DROP DATABASE cannot run in a transaction block: use asyncpg directly, on a
    # thread of its own so that no test's event loop is disturbed.
    async def run() -> None:
        connection = await _admin_connection(admin_url)
        try:
            for statement in statements:
                await connection.execute(statement)
        finally:
            await connection.close()

    run_in_thread(run())


def admin_fetchval(admin_url: str, query: str) -> Any:
    """The first value of `query`, run as the administrator (see admin_execute)."""

    async def run() -> Any:
        connection = await _admin_connection(admin_url)
        try:
            return await connection.fetchval(query)
        finally:
            await connection.close()

    return run_in_thread(run())


def create_database(admin_url: str, prefix: str = "openpas_test") -> str:
    """Create an empty database with a unique name; return its async URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin_execute(admin_url, f'CREATE DATABASE "{name}"')
    return (
        make_url(admin_url)
        .set(drivername="postgresql+asyncpg", database=name)
        .render_as_string(hide_password=False)
    )


def drop_database(admin_url: str, database_url: str) -> None:
    name = make_url(database_url).database
    for _ in range(3):
        try:
            admin_execute(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            return
        except Exception:
            time.sleep(0.5)
