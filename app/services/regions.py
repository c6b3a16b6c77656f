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
from app.services.region_files import RegionFile


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


async def import_regions(session: AsyncSession, regions: Sequence[RegionFile]) -> list[str]:
    """Create the regions of files that do not exist yet; for those that do, take the
    file's name and settings and add the municipalities it lists that are new (none is
    ever taken away: people live there). Running it twice changes nothing the second
    time. Returns what changed, one line per region."""
    changed: list[str] = []
    for region in regions:
        existing_id = await db.region_id_by_code(session, region.code)
        if existing_id is None:
            await create_region(
                session,
                code=region.code,
                name=region.name,
                status_grace_days=region.status_grace_days,
                default_status_end=region.default_status_end,
                municipality_rows=region.municipalities,
                end_statuses_on_move=region.end_statuses_on_move,
            )
            changed.append(f"{region.code} created")
            continue
        current = await get_region(session, uuid.UUID(existing_id))
        settings = {
            "name": region.name,
            "status_grace_days": region.status_grace_days,
            "default_status_end": region.default_status_end,
            "end_statuses_on_move": region.end_statuses_on_move,
        }
        differing = {k: v for k, v in settings.items() if getattr(current, k) != v}
        known = {m.nis_code for m in current.municipalities}
        new = [m for m in region.municipalities if m.nis_code not in known]
        taken = await db.taken_nis_codes(session, [m.nis_code for m in new])
        if taken:
            raise Conflict(
                f"{region.code}: municipalities {', '.join(taken)} already belong to another "
                "region; a municipality belongs to one region.",
                code="municipality-taken",
                extra={"nis_codes": taken},
            )
        await db.update_region(session, uuid.UUID(existing_id), differing)
        await db.add_municipalities(session, uuid.UUID(existing_id), new)
        if differing or new:
            parts = [f"{', '.join(sorted(differing))} changed"] if differing else []
            parts += [f"{len(new)} municipalities added"] if new else []
            changed.append(f"{region.code} " + "; ".join(parts))
    return changed
