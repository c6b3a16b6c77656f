"""Pending grants: statuses from an authoritative list for people not registered yet.

Only the keyed hash of the INSZ is kept; a grant waits here until a passholder with that
hash registers in (or moves to) its region.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.tables import passholders, pending_entitlements

# Rows per insert statement of a large list.
_BATCH = 1000


@dataclass(frozen=True, slots=True)
class PendingGrant:
    """A status to grant to whoever registers with this INSZ hash in this region."""

    insz_hash: str
    type: str
    region_id: str
    valid_from: date
    valid_until: date | None
    evidence: str | None
    source: str


@dataclass(frozen=True, slots=True)
class PendingRow:
    id: uuid.UUID
    grant: PendingGrant


async def keep(session: AsyncSession, grants: Sequence[PendingGrant], now: datetime) -> int:
    """Store the grants; one already pending (the same person on the same list twice, or the
    same list imported again) is kept once. Returns how many were new."""
    statement = (
        postgresql.insert(pending_entitlements)
        .on_conflict_do_nothing(index_elements=["insz_hash", "type", "region_id", "valid_from"])
        .returning(pending_entitlements.c.id)
    )
    values = [
        {
            "id": uuid.uuid4(),
            "insz_hash": grant.insz_hash,
            "type": grant.type,
            "region_id": uuid.UUID(grant.region_id),
            "valid_from": grant.valid_from,
            "valid_until": grant.valid_until,
            "evidence": grant.evidence,
            "source": grant.source,
            "created_at": now,
        }
        for grant in grants
    ]
    created = 0
    for start in range(0, len(values), _BATCH):
        result = await session.execute(statement, values[start : start + _BATCH])
        created += len(result.all())
    return created


async def waiting_for(session: AsyncSession, passholder_id: uuid.UUID) -> list[PendingRow]:
    """The grants not applied yet for the holder's INSZ hash in the holder's region (none
    for a holder without an INSZ), as they stand in this transaction."""
    holder = (
        sa.select(passholders.c.insz_hash, passholders.c.region_id)
        .where(passholders.c.id == passholder_id, passholders.c.insz_hash.is_not(None))
        .subquery()
    )
    rows = await session.execute(
        sa.select(pending_entitlements).join(
            holder,
            sa.and_(
                pending_entitlements.c.insz_hash == holder.c.insz_hash,
                pending_entitlements.c.region_id == holder.c.region_id,
                pending_entitlements.c.applied_at.is_(None),
            ),
        )
    )
    return [
        PendingRow(
            row.id,
            PendingGrant(
                insz_hash=row.insz_hash,
                type=row.type,
                region_id=str(row.region_id),
                valid_from=row.valid_from,
                valid_until=row.valid_until,
                evidence=row.evidence,
                source=row.source,
            ),
        )
        for row in rows.all()
    ]


async def mark_applied(session: AsyncSession, ids: Sequence[uuid.UUID], now: datetime) -> None:
    await session.execute(
        sa.update(pending_entitlements)
        .where(pending_entitlements.c.id.in_(list(ids)))
        .values(applied_at=now)
    )
