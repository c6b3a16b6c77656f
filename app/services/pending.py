"""Statuses granted before the person registered: applied on the day they do."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app.clock import utcnow
from app.db import changes
from app.db import pending as db
from app.db.changes import NewEvent
from app.services.entitlements import GrantRequest, grant_many


async def apply_pending_entitlements(session: AsyncSession, passholder_id: uuid.UUID) -> int:
    """Turn the pending grants for the holder's INSZ in the holder's region into entitlements.

    Both are read as they stand in this transaction, so it is called after every write that
    can change either — a registration, a corrected INSZ, a move to another region. Pending
    grants are matched by INSZ alone: a holder without one has none waiting, which the
    query itself checks.
    """
    waiting = await db.waiting_for(session, passholder_id)
    if not waiting:
        return 0
    region_id = waiting[0].grant.region_id  # the holder's, as joined
    now = utcnow()
    await grant_many(
        session,
        [
            GrantRequest(
                passholder_id=str(passholder_id),
                holder_region_id=region_id,
                type=row.grant.type,
                region_id=row.grant.region_id,
                valid_from=row.grant.valid_from,
                valid_until=row.grant.valid_until,
                evidence=row.grant.evidence,
                source=row.grant.source,
            )
            for row in waiting
        ],
        now,
    )
    await db.mark_applied(session, [row.id for row in waiting], now)
    await changes.record(
        session,
        [
            NewEvent(
                region_id, "passholder.pending_applied", str(passholder_id), {"count": len(waiting)}
            )
        ],
        now,
    )
    return len(waiting)
