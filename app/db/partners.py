"""Partners: the museums, theatres and clubs that accept the pass."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.tables import partners


@dataclass(frozen=True, slots=True)
class PartnerRow:
    id: str
    region_id: str
    municipality_nis: str
    name: str
    categories: tuple[str, ...]
    cancellation_window_hours: int
    created_at: datetime
    archived_at: datetime | None = None


async def insert_partner(
    session: AsyncSession,
    *,
    partner_id: uuid.UUID,
    region_id: str,
    municipality_nis: str,
    name: str,
    categories: list[str],
    cancellation_window_hours: int,
    now: datetime,
) -> None:
    await session.execute(
        sa.insert(partners).values(
            id=partner_id,
            region_id=uuid.UUID(region_id),
            municipality_nis=municipality_nis,
            name=name,
            categories=categories,
            cancellation_window_hours=cancellation_window_hours,
            created_at=now,
        )
    )


async def get_partner(session: AsyncSession, partner_id: uuid.UUID) -> PartnerRow | None:
    row = (await session.execute(sa.select(partners).where(partners.c.id == partner_id))).first()
    if row is None:
        return None
    return _partner(row)


def _partner(row: Any) -> PartnerRow:
    return PartnerRow(
        id=str(row.id),
        region_id=str(row.region_id),
        municipality_nis=row.municipality_nis,
        name=row.name,
        categories=tuple(row.categories),
        cancellation_window_hours=row.cancellation_window_hours,
        created_at=row.created_at,
        archived_at=row.archived_at,
    )


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def list_partners(
    session: AsyncSession,
    *,
    region_ids: Sequence[uuid.UUID] | None,
    partner_ids: Sequence[uuid.UUID] | None,
    name_contains: str | None,
    archived: bool | None,
    after: tuple[str, uuid.UUID] | None,
    limit: int,
) -> list[PartnerRow]:
    """By name, then id, keyset-paged; None for a filter: not filtered on it."""
    query = sa.select(partners).order_by(partners.c.name, partners.c.id).limit(limit)
    if region_ids is not None:
        query = query.where(partners.c.region_id.in_(region_ids))
    if partner_ids is not None:
        query = query.where(partners.c.id.in_(partner_ids))
    if name_contains:
        query = query.where(partners.c.name.ilike(f"%{_escape_like(name_contains)}%", escape="\\"))
    if archived is not None:
        is_archived = partners.c.archived_at.is_not(None)
        query = query.where(is_archived if archived else sa.not_(is_archived))
    if after is not None:
        query = query.where(sa.tuple_(partners.c.name, partners.c.id) > sa.tuple_(*after))
    return [_partner(row) for row in (await session.execute(query)).all()]


async def update_partner(
    session: AsyncSession, partner_id: uuid.UUID, values: dict[str, Any]
) -> None:
    if values:
        await session.execute(
            sa.update(partners).where(partners.c.id == partner_id).values(**values)
        )


async def archive_partner(session: AsyncSession, partner_id: uuid.UUID, now: datetime) -> None:
    await session.execute(
        sa.update(partners)
        .where(partners.c.id == partner_id, partners.c.archived_at.is_(None))
        .values(archived_at=now)
    )


async def existing_partner_ids(session: AsyncSession, ids: list[uuid.UUID]) -> set[str]:
    result = await session.execute(sa.select(partners.c.id).where(partners.c.id.in_(ids)))
    return {str(value) for value in result.scalars()}
