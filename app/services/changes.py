"""Read the change feed of a region, page by page."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.db import changes as db
from app.db.changes import EventRow
from app.domain.access import Principal, Role, Tenant
from app.errors import Unprocessable
from app.services.access import ensure
from app.services.audit import record_reads

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
    events = await db.read(session, region_ids=[region_id], after=after, limit=limit)
    # The feed names passholders and what happened to them (a status granted, a card
    # blocked, a sale): a read of personal data like any other, so it is audited.
    await record_reads(
        session,
        principal,
        "changes.read",
        [(holder, event.region_id) for event in events for holder in _passholders_in(event)],
    )
    return events


def _passholders_in(event: EventRow) -> list[str]:
    named = [str(holder) for holder in event.data.get("passholder_ids", ())]
    if "passholder_id" in event.data:
        named.append(str(event.data["passholder_id"]))
    if event.kind.startswith("passholder."):
        named.append(event.entity_id)
    return named
