"""Partners (vrijetijdsaanbieders) of a region."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app.clock import utcnow
from app.db import partners as db
from app.db import regions as db_regions
from app.db.partners import PartnerRow
from app.domain.access import Principal, Role, Tenant
from app.errors import NotFound, Unprocessable
from app.services.access import ensure

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
