"""Every read of a passholder's personal data leaves a row: who, what, whom, when."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from app.clock import utcnow
from app.db import audit as db
from app.domain.access import Principal


async def record_reads(
    session: AsyncSession,
    principal: Principal,
    action: str,
    subjects: Iterable[tuple[str, str]],
) -> None:
    """Write audit rows for (passholder_id, region_id) pairs; the unit of work commits."""
    await db.record(
        session,
        client_id=principal.client_id,
        action=action,
        subjects=list(dict.fromkeys(subjects)),
        now=utcnow(),
    )
