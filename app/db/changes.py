"""The change feed: ordered events per region, safe against out-of-order commits.

Every event row records the id of the transaction that wrote it. On PostgreSQL a reader
only sees events of transactions older than the oldest one still running
(`pg_snapshot_xmin`), ordered by (transaction id, sequence). An event that a slow writer
commits later therefore always sorts after the cursor a reader already holds.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.tables import change_events

_TXID = sa.text("pg_current_xact_id()::text::bigint")
_SAFE_HORIZON = sa.text("pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
# A transaction sees its own events too (never the case for a feed reader in production,
# which writes nothing; it lets tests read inside one rolled-back transaction).
_OWN_TXID = sa.text("pg_current_xact_id_if_assigned()::text::bigint")


@dataclass(frozen=True, slots=True)
class NewEvent:
    region_id: str
    kind: str
    entity_id: str
    data: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class EventRow:
    seq: int
    txid: int
    region_id: str
    kind: str
    entity_id: str
    data: dict[str, Any]
    occurred_at: datetime


# Built once; the transaction id is taken by the server itself.
_RECORD = sa.insert(change_events).values(txid=_TXID)


async def record(session: AsyncSession, events: Sequence[NewEvent], now: datetime) -> None:
    if not events:
        return
    await session.execute(
        _RECORD,
        [
            {
                "region_id": uuid.UUID(event.region_id),
                "kind": event.kind,
                "entity_id": event.entity_id,
                "data": dict(event.data),
                "occurred_at": now,
            }
            for event in events
        ],
    )


async def read(
    session: AsyncSession,
    *,
    region_ids: Sequence[str],
    after: tuple[int, int] | None,
    limit: int,
) -> list[EventRow]:
    query = sa.select(change_events).where(
        change_events.c.region_id.in_([uuid.UUID(r) for r in region_ids])
    )
    if after is not None:
        query = query.where(
            sa.tuple_(change_events.c.txid, change_events.c.seq) > sa.tuple_(*after)
        )
    query = query.where(
        sa.or_(change_events.c.txid < _SAFE_HORIZON, change_events.c.txid == _OWN_TXID)
    )
    query = query.order_by(change_events.c.txid, change_events.c.seq).limit(limit)
    return [
        EventRow(
            seq=row.seq,
            txid=row.txid,
            region_id=str(row.region_id),
            kind=row.kind,
            entity_id=row.entity_id,
            data=dict(row.data),
            occurred_at=row.occurred_at,
        )
        for row in (await session.execute(query)).all()
    ]
