"""The database the dataset goes into: created (or given) and migrated, then measured."""

from __future__ import annotations

import argparse
import asyncio
import uuid

import asyncpg
from sqlalchemy.engine import make_url

from app.db import migrations, settlement, tables
from app.db.engine import create_engine, create_sessionmaker
from app.settings import async_database_url


async def admin_execute(admin_url: str, statement: str) -> None:
    connection = await asyncpg.connect(admin_url)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def database_exists(admin_url: str, name: str) -> bool:
    connection = await asyncpg.connect(admin_url)
    try:
        return bool(await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name))
    finally:
        await connection.close()


def plain_url(url: str) -> str:
    """postgresql://… without a driver name: what asyncpg, psql and DATABASE_URL take."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def prepare_database(args: argparse.Namespace) -> tuple[str, bool]:
    """The database to fill, created and migrated; and whether we created it."""
    if args.database_url:
        url = plain_url(args.database_url)
        name = make_url(url).database or ""
        created = False
        if not await database_exists(args.admin_url, name):
            await admin_execute(args.admin_url, f'CREATE DATABASE "{name}"')
            created = True
    else:
        name = f"openpas_bench_{uuid.uuid4().hex[:8]}"
        await admin_execute(args.admin_url, f'CREATE DATABASE "{name}"')
        url = (
            make_url(plain_url(args.admin_url))
            .set(database=name)
            .render_as_string(hide_password=False)
        )
        created = True
    await asyncio.to_thread(migrations.upgrade, async_database_url(url))
    connection = await asyncpg.connect(url)
    try:
        filled = await connection.fetchval("SELECT count(*) FROM regions")
        if filled and args.reset:
            names = ", ".join(
                f'"{table}"' for table in tables.metadata.tables if table != "catalog_state"
            )
            await connection.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
        elif filled:
            raise SystemExit(f"{name} already holds data; pass --reset to empty it first")
    finally:
        await connection.close()
    return url, created


async def table_sizes(url: str) -> tuple[dict[str, int], int]:
    connection = await asyncpg.connect(url)
    try:
        rows = await connection.fetch(
            """SELECT c.relname, pg_total_relation_size(c.oid) AS bytes FROM pg_class c
               JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY bytes DESC"""
        )
        total = await connection.fetchval("SELECT pg_database_size(current_database())")
        return {row["relname"]: int(row["bytes"]) for row in rows}, int(total)
    finally:
        await connection.close()


async def rebuild_settlement(url: str) -> None:
    engine = create_engine(async_database_url(url))
    try:
        async with create_sessionmaker(engine)() as session:
            await settlement.rebuild(session)
            await session.commit()
    finally:
        await engine.dispose()
