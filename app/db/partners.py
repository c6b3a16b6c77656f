"""Partners: the museums, theatres and clubs that accept the pass."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

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
    return PartnerRow(
        id=str(row.id),
        region_id=str(row.region_id),
        municipality_nis=row.municipality_nis,
        name=row.name,
        categories=tuple(row.categories),
        cancellation_window_hours=row.cancellation_window_hours,
        created_at=row.created_at,
    )


async def existing_partner_ids(session: AsyncSession, ids: list[uuid.UUID]) -> set[str]:
    result = await session.execute(sa.select(partners.c.id).where(partners.c.id.in_(ids)))
    return {str(value) for value in result.scalars()}
