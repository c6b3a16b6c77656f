"""The change feed for regional systems and the audit log of reads of personal data."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from app.api.deps import Authorized, SessionDep
from app.api.models import (
    ID_SCHEMA,
    MAX_PAGE_SIZE,
    IsoDate,
    ResponseModel,
    decode_cursor,
    encode_cursor,
    parse_reference,
)
from app.api.problems import problem_responses
from app.cursors import FEED_POSITION_FIELDS, feed_cursor
from app.domain.access import Principal, Role
from app.services import changes as change_service
from app.services.audit import AUDITORS, read_audit

router = APIRouter(prefix="/v1", tags=["feeds"])


class ChangeOut(ResponseModel):
    cursor: str
    kind: str
    entity_id: str
    region_id: str
    data: dict[str, Any]
    occurred_at: datetime


class ChangePage(ResponseModel):
    items: list[ChangeOut]
    next_cursor: str | None


def _position(cursor: str | None) -> tuple[int, int] | None:
    position = decode_cursor(cursor, FEED_POSITION_FIELDS, parameter="after")
    return None if position is None else (position["t"], position["s"])


@router.get(
    "/changes",
    operation_id="listChanges",
    response_model=ChangePage,
    responses=problem_responses(401, 403),
    summary="Ordered change events of a region; poll again with next_cursor",
)
async def changes(
    session: SessionDep,
    principal: Annotated[Principal, Depends(Authorized(Role.REGISTRY, Role.REGION_ADMIN))],
    after: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 100,
    region_id: Annotated[
        str | None, Query(min_length=1, max_length=64, json_schema_extra=ID_SCHEMA)
    ] = None,
) -> ChangePage:
    position = _position(after)
    if region_id is not None:
        region_id = parse_reference(region_id, parameter="region_id")
    events = await change_service.read_changes(
        session, principal, region_id=region_id, after=position, limit=limit
    )
    items = [
        ChangeOut(
            cursor=feed_cursor(event.txid, event.seq),
            kind=event.kind,
            entity_id=event.entity_id,
            region_id=event.region_id,
            data=event.data,
            occurred_at=event.occurred_at,
        )
        for event in events
    ]
    # The cursor to poll from next: the last event seen, or where the caller already was.
    next_cursor = items[-1].cursor if items else after
    return ChangePage(items=items, next_cursor=next_cursor)


class AuditOut(ResponseModel):
    id: int
    at: datetime
    client_id: str
    action: str
    passholder_id: str
    region_id: str


class AuditPage(ResponseModel):
    items: list[AuditOut]
    next_cursor: str | None


@router.get(
    "/audit",
    operation_id="listAuditEvents",
    response_model=AuditPage,
    responses=problem_responses(401, 403),
    summary="Who read whose personal data, newest first",
)
async def audit(
    session: SessionDep,
    principal: Annotated[Principal, Depends(Authorized(*AUDITORS))],
    passholder_id: Annotated[
        str | None, Query(min_length=1, max_length=64, json_schema_extra=ID_SCHEMA)
    ] = None,
    from_: Annotated[IsoDate | None, Query(alias="from", description="first day")] = None,
    to: Annotated[IsoDate | None, Query(description="day after the last")] = None,
    region_id: Annotated[
        str | None, Query(min_length=1, max_length=64, json_schema_extra=ID_SCHEMA)
    ] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 100,
) -> AuditPage:
    region = None if region_id is None else parse_reference(region_id, parameter="region_id")
    position = decode_cursor(cursor, {"before": int})
    page = await read_audit(
        session,
        principal,
        region_id=region,
        passholder_id=(
            parse_reference(passholder_id, parameter="passholder_id") if passholder_id else None
        ),
        from_date=from_,
        to_date=to,
        before_id=position["before"] if position else None,  # decode_cursor checked the int
        limit=limit,
    )
    rows = page.rows
    return AuditPage(
        items=[
            AuditOut(
                id=row.id,
                at=row.at,
                client_id=row.client_id,
                action=row.action,
                passholder_id=row.passholder_id,
                region_id=row.region_id,
            )
            for row in rows
        ],
        next_cursor=encode_cursor({"before": rows[-1].id}) if page.more else None,
    )
