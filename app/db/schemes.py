"""Versioned scheme definitions and the catalogue version that tells caches they are stale."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.tables import catalog_state, schemes


@dataclass(frozen=True, slots=True)
class SchemeRow:
    code: str
    version: int
    owner_region_id: str | None
    definition: dict[str, Any]
    created_at: datetime


def _row(row: Any) -> SchemeRow:
    return SchemeRow(
        code=row.code,
        version=row.version,
        owner_region_id=str(row.owner_region_id) if row.owner_region_id else None,
        definition=dict(row.definition),
        created_at=row.created_at,
    )


async def insert_version(
    session: AsyncSession,
    *,
    code: str,
    version: int,
    owner_region_id: str | None,
    definition: Mapping[str, Any],
    created_by: str,
    now: datetime,
) -> None:
    await session.execute(
        sa.insert(schemes).values(
            id=uuid.uuid4(),
            code=code,
            version=version,
            owner_region_id=uuid.UUID(owner_region_id) if owner_region_id else None,
            definition=dict(definition),
            created_at=now,
            created_by=created_by,
        )
    )
    await bump_generation(session)


async def bump_generation(session: AsyncSession) -> None:
    """Tell every process that what it caches of the catalogue, the offers or the partners
    is stale: the generation is read with every quote's card (app.db.pricing)."""
    # A fresh random generation rather than a counter: a change that is rolled back must
    # never leave behind a number that a later change would reuse, or a cache keyed on it
    # would serve the rolled-back catalogue.
    await session.execute(
        sa.update(catalog_state)
        .where(catalog_state.c.id == 1)
        .values(version=secrets.randbits(62) + 1)
    )


async def latest(session: AsyncSession, code: str) -> SchemeRow | None:
    row = (
        await session.execute(
            sa.select(schemes)
            .where(schemes.c.code == code)
            .order_by(schemes.c.version.desc())
            .limit(1)
        )
    ).first()
    return _row(row) if row else None


async def get_version(session: AsyncSession, code: str, version: int) -> SchemeRow | None:
    row = (
        await session.execute(
            sa.select(schemes).where(schemes.c.code == code, schemes.c.version == version)
        )
    ).first()
    return _row(row) if row else None


async def current_versions(session: AsyncSession) -> list[SchemeRow]:
    """The newest version of every scheme, by code."""
    newest = (
        sa.select(schemes.c.code, sa.func.max(schemes.c.version).label("version"))
        .group_by(schemes.c.code)
        .subquery()
    )
    rows = await session.execute(
        sa.select(schemes)
        .join(
            newest,
            sa.and_(schemes.c.code == newest.c.code, schemes.c.version == newest.c.version),
        )
        .order_by(schemes.c.code)
    )
    return [_row(row) for row in rows.all()]


async def catalog_version(session: AsyncSession) -> int:
    value = (
        await session.execute(sa.select(catalog_state.c.version).where(catalog_state.c.id == 1))
    ).scalar_one()
    return int(value)
