"""Read the change feed of a region, page by page."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.db import changes as db
from app.db.changes import EventRow
from app.domain.access import Principal, Role, Tenant
from app.errors import Unprocessable
from app.services.access import ensure

FEED_READERS = frozenset({Role.REGISTRY, Role.REGION_ADMIN})


async def read_changes(
    session: AsyncSession,
    principal: Principal,
    *,
    region_id: str | None,
    after: tuple[int, int] | None,
    limit: int,
) -> list[EventRow]:
    if region_id is None:
        regions = principal.region_ids(FEED_READERS)
        if len(regions) != 1:
            raise Unprocessable(
                "Give region_id: this client may read more than one region's changes.",
                extra={"errors": [{"parameter": "region_id", "detail": "required"}]},
            )
        [region_id] = regions
    ensure(principal, FEED_READERS, Tenant(region_id=region_id), hide=False)
    return await db.read(session, region_ids=[region_id], after=after, limit=limit)
