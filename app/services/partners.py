"""Partners (vrijetijdsaanbieders) of a region."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.clock import utcnow
from app.db import partners as db
from app.db import regions as db_regions
from app.db.partners import PartnerRow
from app.db.schemes import bump_generation
from app.domain.access import Principal, Role, Tenant
from app.errors import Conflict, NotFound, Unprocessable
from app.services.access import ensure
from app.services.quotes import forget_offers

CREATORS = frozenset({Role.REGION_ADMIN})
READERS = frozenset({Role.REGION_ADMIN, Role.PARTNER_ADMIN, Role.DESK})


async def create_partner(
    session: AsyncSession,
    *,
    name: str,
    region_id: uuid.UUID,
    municipality_nis: str,
    categories: list[str],
    cancellation_window_hours: int = 168,
    partner_id: uuid.UUID | None = None,
) -> PartnerRow:
    region = await db_regions.get_regions(session, region_ids=[region_id])
    if region and region[0].archived_at is not None:
        raise Conflict("This region is archived: it gets no new partners.", code="region-archived")
    home_region = await db_regions.municipality_region(session, municipality_nis)
    if home_region != str(region_id):
        raise Unprocessable(
            f"Municipality {municipality_nis} is not part of region {region_id}.",
            extra={
                "errors": [
                    {"pointer": "/municipality_nis", "detail": "not a municipality of this region"}
                ]
            },
        )
    partner_id = partner_id or uuid.uuid4()
    await db.insert_partner(
        session,
        partner_id=partner_id,
        region_id=str(region_id),
        municipality_nis=municipality_nis,
        name=name,
        categories=sorted(set(categories)),
        cancellation_window_hours=cancellation_window_hours,
        now=utcnow(),
    )
    return await get_partner(session, partner_id)


async def get_partner(session: AsyncSession, partner_id: uuid.UUID) -> PartnerRow:
    row = await db.get_partner(session, partner_id)
    if row is None:
        raise NotFound(f"No partner with id {partner_id}.")
    return row


async def read_partner(
    session: AsyncSession, principal: Principal, partner_id: uuid.UUID
) -> PartnerRow:
    """A partner for its region's roles and its own partner roles; to anyone else it does
    not exist (404), so partner ids of other regions do not leak."""
    row = await get_partner(session, partner_id)
    ensure(principal, READERS, Tenant(region_id=row.region_id, partner_id=row.id), hide=True)
    return row


PARTNER_STATUSES = ("active", "archived", "all")


@dataclass(frozen=True, slots=True)
class PartnerPage:
    items: list[PartnerRow]
    next_after: tuple[str, str] | None  # the last partner's (name, id) when there are more


async def list_partners(
    session: AsyncSession,
    principal: Principal,
    *,
    region_id: str | None,
    name_contains: str | None,
    status: str,
    after: tuple[str, uuid.UUID] | None,
    limit: int,
) -> PartnerPage:
    """Partners by name: a region's for its admin (every region's for an admin); a
    partner's roles see their own partner."""
    region_ids: list[uuid.UUID] | None = None
    partner_ids: list[uuid.UUID] | None = None
    if region_id is not None:
        if not principal.may(READERS, Tenant(region_id=region_id)):
            own = principal.partner_ids(READERS)
            if not own:
                ensure(principal, READERS, Tenant(region_id=region_id), hide=False)
            partner_ids = [uuid.UUID(p) for p in sorted(own)]
        region_ids = [uuid.UUID(region_id)]
    elif not principal.is_admin:
        regions = principal.region_ids(READERS)
        region_ids = [uuid.UUID(r) for r in sorted(regions)] if regions else None
        if region_ids is None:
            partner_ids = [uuid.UUID(p) for p in sorted(principal.partner_ids(READERS))]
    found = await db.list_partners(
        session,
        region_ids=region_ids,
        partner_ids=partner_ids,
        name_contains=name_contains,
        archived=None if status == "all" else status == "archived",
        after=after,
        limit=limit + 1,
    )
    more = len(found) > limit
    found = found[:limit]
    last = found[-1] if more and found else None
    return PartnerPage(found, None if last is None else (last.name, last.id))


async def _editable_partner(
    session: AsyncSession, principal: Principal, partner_id: uuid.UUID
) -> PartnerRow:
    row = await get_partner(session, partner_id)
    ensure(principal, READERS, Tenant(region_id=row.region_id, partner_id=row.id), hide=True)
    ensure(principal, CREATORS, Tenant(region_id=row.region_id), hide=False)
    return row


async def update_partner(
    session: AsyncSession, principal: Principal, partner_id: uuid.UUID, changes: dict[str, Any]
) -> PartnerRow:
    """Rename a partner, move it to another municipality of its region, change its
    categories or cancellation window. Its offers' quotes see the change from the next
    card on, in every process."""
    row = await _editable_partner(session, principal, partner_id)
    nis = changes.get("municipality_nis")
    if nis is not None and await db_regions.municipality_region(session, nis) != row.region_id:
        raise Unprocessable(
            f"Municipality {nis} is not part of the partner's region.",
            extra={
                "errors": [
                    {"pointer": "/municipality_nis", "detail": "not a municipality of this region"}
                ]
            },
        )
    if "categories" in changes:
        changes = {**changes, "categories": sorted(set(changes["categories"]))}
    await db.update_partner(session, partner_id, changes)
    await _offers_changed(session)
    return await get_partner(session, partner_id)


async def archive_partner(
    session: AsyncSession, principal: Principal, partner_id: uuid.UUID
) -> PartnerRow:
    """Archive a partner: its sales and settlement stay; none of its offers is quoted,
    sold or checked in on any more (`partner-archived`)."""
    await _editable_partner(session, principal, partner_id)
    await db.archive_partner(session, partner_id, utcnow())
    await _offers_changed(session)
    return await get_partner(session, partner_id)


async def _offers_changed(session: AsyncSession) -> None:
    # Cached offers carry their partner's facts: every process reads them again.
    await bump_generation(session)
    forget_offers()
