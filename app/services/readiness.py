"""Whether this process may serve: the database answers and its schema is at the code's
migration head (the check behind GET /ready)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from app.db.migrations import current_revision, head_revision


@dataclass(frozen=True, slots=True)
class SchemaState:
    expected: str  # the code's migration head
    current: str | None = None  # the database's revision; None before the first migration
    # The type of the error met when the database did not answer, or None when it did.
    unreachable: str | None = None

    @property
    def at_head(self) -> bool:
        return self.unreachable is None and self.current == self.expected


# A probe must answer within a second, however slow or full the database is: a load
# balancer that waits 30 s for /ready learns nothing in time.
READY_WITHIN_SECONDS = 0.8


async def schema_state(
    engine: AsyncEngine, *, within_seconds: float = READY_WITHIN_SECONDS
) -> SchemaState:
    expected = head_revision()
    try:
        current = await asyncio.wait_for(current_revision(engine), within_seconds)
    except TimeoutError:
        return SchemaState(expected, unreachable="timeout")
    except Exception as error:  # any failure to reach the database makes the process unready
        return SchemaState(expected, unreachable=type(error).__name__)
    return SchemaState(expected, current)
