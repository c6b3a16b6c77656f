"""A PostgreSQL server for the tests: the one OPENPAS_TEST_POSTGRES_URL points at, or a
throwaway embedded server (the demo's, app.db.embedded) started and removed afterwards.

Each test run works in databases of its own, so runs never see each other's rows.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import tempfile
import time
import uuid
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
from sqlalchemy.engine import make_url

from app.db import embedded

ENV_VAR = "OPENPAS_TEST_POSTGRES_URL"
T = TypeVar("T")


def run_in_thread(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion on a fresh event loop in another thread."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def throwaway_cluster() -> Iterator[str]:
    """A private embedded server (app.db.embedded) in a temporary folder; yield its
    maintenance URL. Not durable: a test run's data is thrown away anyway."""
    workdir = Path(tempfile.mkdtemp(prefix="openpas-pg-"))
    try:
        with embedded.running(workdir / "data", durable=False) as server:
            yield server.url("postgres")
    finally:
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
