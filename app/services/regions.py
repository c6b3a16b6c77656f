"""Regions (kaartsystemen) and the municipalities that issue the pass together."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.clock import utcnow
from app.db import regions as db
from app.db.regions import MunicipalityRow, RegionRow
from app.domain.access import Principal, Role, Tenant
from app.errors import Conflict, NotFound
from app.services.access import ensure


async def create_region(
    session: AsyncSession,
    *,
    code: str,
    name: str,
    status_grace_days: int,
    default_status_end: str,
    municipality_rows: Sequence[MunicipalityRow],
    region_id: uuid.UUID | None = None,
    end_statuses_on_move: bool = True,
) -> RegionRow:
    if await db.region_id_by_code(session, code):
        raise Conflict(f"A region with code {code} already exists.", code="already-exists")
    taken = await db.taken_nis_codes(session, [m.nis_code for m in municipality_rows])
    if taken:
        raise Conflict(
            f"Municipalities {', '.join(taken)} already belong to another region; "
            "a municipality belongs to one region.",
            code="municipality-taken",
            extra={"nis_codes": taken},
        )
    region_id = region_id or uuid.uuid4()
    try:
        await db.insert_region(
            session,
            region_id=region_id,
            code=code,
            name=name,
            status_grace_days=status_grace_days,
            default_status_end=default_status_end,
            municipality_rows=municipality_rows,
            now=utcnow(),
            end_statuses_on_move=end_statuses_on_move,
        )
    except IntegrityError:
        # Lost a race with a concurrent create of the same code or municipality.
        raise Conflict("The region or one of its municipalities exists already.") from None
    return await get_region(session, region_id)


async def get_region(session: AsyncSession, region_id: uuid.UUID) -> RegionRow:
    found = await db.get_regions(session, region_ids=[region_id])
    if not found:
        raise NotFound(f"No region with id {region_id}.")
    return found[0]


async def list_regions(
    session: AsyncSession, *, after_code: str | None, limit: int
) -> list[RegionRow]:
    return await db.get_regions(session, after_code=after_code, limit=limit)


async def update_region(
    session: AsyncSession, principal: Principal, region_id: uuid.UUID, changes: dict[str, Any]
) -> RegionRow:
    """Rename a region or change its settings (grace days, default status end, what a
    move ends): for an admin, or the region's own admin."""
    await get_region(session, region_id)
    ensure(principal, {Role.REGION_ADMIN}, Tenant(region_id=str(region_id)), hide=False)
    await db.update_region(session, region_id, changes)
    return await get_region(session, region_id)


async def archive_region(
    session: AsyncSession, principal: Principal, region_id: uuid.UUID
) -> RegionRow:
    """Archive a region (admin): its history stays; no partner is registered in it."""
    await get_region(session, region_id)
    ensure(principal, {Role.ADMIN}, Tenant(region_id=str(region_id)), hide=False)
    await db.archive_region(session, region_id, utcnow())
    return await get_region(session, region_id)
