"""Statuses granted before the person registered: applied on the day they do."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.clock import utcnow
from app.db import changes
from app.db.changes import NewEvent
from app.db.tables import passholders, pending_entitlements
from app.services.entitlements import GrantRequest, grant_many


async def apply_pending_entitlements(session: AsyncSession, passholder_id: uuid.UUID) -> int:
    """Turn the pending grants for the holder's INSZ in the holder's region into entitlements.

    Both are read as they stand in this transaction, so it is called after every write that
    can change either — a registration, a corrected INSZ, a move to another region.
    """
    holder = (
        sa.select(passholders.c.insz_hash, passholders.c.region_id)
        .where(passholders.c.id == passholder_id, passholders.c.insz_hash.is_not(None))
        .subquery()
    )
    rows = (
        await session.execute(
            sa.select(pending_entitlements).join(
                holder,
                sa.and_(
                    pending_entitlements.c.insz_hash == holder.c.insz_hash,
                    pending_entitlements.c.region_id == holder.c.region_id,
                    pending_entitlements.c.applied_at.is_(None),
                ),
            )
        )
    ).all()
    if not rows:
        return 0
    region_id = str(rows[0].region_id)  # the holder's, as joined
    now = utcnow()
    await grant_many(
        session,
        [
            GrantRequest(
                passholder_id=str(passholder_id),
                holder_region_id=region_id,
                type=row.type,
                region_id=str(row.region_id),
                valid_from=row.valid_from,
                valid_until=row.valid_until,
                evidence=row.evidence,
                source=row.source,
            )
            for row in rows
        ],
        now,
    )
    await session.execute(
        sa.update(pending_entitlements)
        .where(pending_entitlements.c.id.in_([row.id for row in rows]))
        .values(applied_at=now)
    )
    await changes.record(
        session,
        [
            NewEvent(
                region_id, "passholder.pending_applied", str(passholder_id), {"count": len(rows)}
            )
        ],
        now,
    )
    return len(rows)
