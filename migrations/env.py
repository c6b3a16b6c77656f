"""Alembic environment: the async engine and the shared naming convention."""

from __future__ import annotations

import asyncio
import os
from typing import Literal

from alembic import context
from sqlalchemy import Connection

from app.db.engine import create_engine
from app.db.tables import UtcDateTime, metadata
from app.settings import async_database_url

config = context.config


def _render_item(type_: str, obj: object, autogen_context: object) -> str | Literal[False]:
    # Revisions must not import application code: our UTC wrapper is a plain DateTime there.
    if type_ == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        compare_type=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_online() -> None:
    # From `openpas migrate` (set in code), else the same variable the server reads.
    url = config.get_main_option("sqlalchemy.url") or async_database_url(os.environ["DATABASE_URL"])
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
            await connection.commit()
    finally:
        await engine.dispose()


if context.is_offline_mode():
    raise RuntimeError("offline (SQL script) migrations are not supported")
asyncio.run(_run_online())
