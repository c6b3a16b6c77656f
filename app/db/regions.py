"""Regions, their municipalities and postal codes."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.tables import municipalities, municipality_postal_codes, regions


@dataclass(frozen=True, slots=True)
class MunicipalityRow:
    nis_code: str
    name: str
    postal_codes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RegionRow:
    id: str
    code: str
    name: str
    status_grace_days: int
    default_status_end: str
    created_at: datetime
    municipalities: tuple[MunicipalityRow, ...]
    end_statuses_on_move: bool = True
    archived_at: datetime | None = None


async def insert_region(
    session: AsyncSession,
    *,
    region_id: uuid.UUID,
    code: str,
    name: str,
    status_grace_days: int,
    default_status_end: str,
    municipality_rows: Sequence[MunicipalityRow],
    now: datetime,
    end_statuses_on_move: bool = True,
) -> None:
    await session.execute(
        sa.insert(regions).values(
            id=region_id,
            code=code,
            name=name,
            status_grace_days=status_grace_days,
            default_status_end=default_status_end,
            end_statuses_on_move=end_statuses_on_move,
            created_at=now,
        )
    )
    await session.execute(
        sa.insert(municipalities),
        [
            {"nis_code": m.nis_code, "region_id": region_id, "name": m.name}
            for m in municipality_rows
        ],
    )
    postal_rows = [
        {"postal_code": postal_code, "nis_code": m.nis_code}
        for m in municipality_rows
        for postal_code in m.postal_codes
    ]
    if postal_rows:
        await session.execute(sa.insert(municipality_postal_codes), postal_rows)


async def region_id_by_code(session: AsyncSession, code: str) -> str | None:
    result = await session.execute(sa.select(regions.c.id).where(regions.c.code == code))
    value = result.scalar_one_or_none()
    return str(value) if value else None


async def taken_nis_codes(session: AsyncSession, nis_codes: Sequence[str]) -> list[str]:
    result = await session.execute(
        sa.select(municipalities.c.nis_code).where(municipalities.c.nis_code.in_(nis_codes))
    )
    return sorted(result.scalars())


async def municipality_region(session: AsyncSession, nis_code: str) -> str | None:
    result = await session.execute(
        sa.select(municipalities.c.region_id).where(municipalities.c.nis_code == nis_code)
    )
    value = result.scalar_one_or_none()
    return str(value) if value else None


async def get_regions(
    session: AsyncSession,
    *,
    region_ids: Sequence[uuid.UUID] | None = None,
    after_code: str | None = None,
    limit: int | None = None,
) -> list[RegionRow]:
    query = sa.select(regions).order_by(regions.c.code)
    if region_ids is not None:
        query = query.where(regions.c.id.in_(region_ids))
    if after_code is not None:
        query = query.where(regions.c.code > after_code)
    if limit is not None:
        query = query.limit(limit)
    region_rows = (await session.execute(query)).all()
    if not region_rows:
        return []
    ids = [row.id for row in region_rows]
    muni_rows = (
        await session.execute(
            sa.select(municipalities)
            .where(municipalities.c.region_id.in_(ids))
            .order_by(municipalities.c.nis_code)
        )
    ).all()
    postal_rows = (
        await session.execute(
            sa.select(municipality_postal_codes)
            .join(municipalities)
            .where(municipalities.c.region_id.in_(ids))
            .order_by(municipality_postal_codes.c.postal_code)
        )
    ).all()
    postal_by_nis: dict[str, list[str]] = {}
    for postal in postal_rows:
        postal_by_nis.setdefault(postal.nis_code, []).append(postal.postal_code)
    munis_by_region: dict[uuid.UUID, list[MunicipalityRow]] = {}
    for muni in muni_rows:
        munis_by_region.setdefault(muni.region_id, []).append(
            MunicipalityRow(muni.nis_code, muni.name, tuple(postal_by_nis.get(muni.nis_code, ())))
        )
    return [
        RegionRow(
            id=str(row.id),
            code=row.code,
            name=row.name,
            status_grace_days=row.status_grace_days,
            default_status_end=row.default_status_end,
            created_at=row.created_at,
            municipalities=tuple(munis_by_region.get(row.id, ())),
            end_statuses_on_move=row.end_statuses_on_move,
            archived_at=row.archived_at,
        )
        for row in region_rows
    ]


async def update_region(
    session: AsyncSession, region_id: uuid.UUID, values: dict[str, Any]
) -> None:
    if values:
        await session.execute(sa.update(regions).where(regions.c.id == region_id).values(**values))


async def archive_region(session: AsyncSession, region_id: uuid.UUID, now: datetime) -> None:
    await session.execute(
        sa.update(regions)
        .where(regions.c.id == region_id, regions.c.archived_at.is_(None))
        .values(archived_at=now)
    )


async def add_municipalities(
    session: AsyncSession, region_id: uuid.UUID, municipality_rows: Sequence[MunicipalityRow]
) -> None:
    """New municipalities of an existing region, with their postal codes."""
    if not municipality_rows:
        return
    await session.execute(
        sa.insert(municipalities),
        [
            {"nis_code": m.nis_code, "region_id": region_id, "name": m.name}
            for m in municipality_rows
        ],
    )
    postal_rows = [
        {"postal_code": postal_code, "nis_code": m.nis_code}
        for m in municipality_rows
        for postal_code in m.postal_codes
    ]
    if postal_rows:
        await session.execute(sa.insert(municipality_postal_codes), postal_rows)
