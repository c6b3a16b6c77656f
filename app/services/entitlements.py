"""Grant, renew, suspend and end statuses (kansenstatuut, verhoogde tegemoetkoming, …)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from app.clock import today_in_brussels, utcnow
from app.db import changes
from app.db import passholders as db
from app.db import regions as db_regions
from app.db.changes import NewEvent
from app.db.passholders import EntitlementRow
from app.db.regions import RegionRow
from app.domain.access import Principal, Tenant
from app.domain.entitlements import (
    ENTITLEMENT_TYPES,
    EntitlementFact,
    EntitlementStatus,
    entitlement_status,
    grace_days_of,
)
from app.domain.moves import HeldStatus, statuses_ended_by_move
from app.domain.renewal import Renewal, Unchanged, ValidityPeriod, default_valid_until, plan_grant
from app.errors import Conflict, NotFound
from app.services.access import ensure
from app.services.audit import record_reads
from app.services.lookup import REGISTRY, field_error, load_for

Outcome = Literal["granted", "renewed", "unchanged"]


@dataclass(frozen=True, slots=True)
class GrantRequest:
    passholder_id: str
    holder_region_id: str
    type: str
    region_id: str | None
    valid_from: date
    valid_until: date | None
    evidence: str | None
    source: str


@dataclass(frozen=True, slots=True)
class GrantResult:
    outcome: Outcome
    entitlement_id: str


async def grant_many(
    session: AsyncSession, requests: Sequence[GrantRequest], now: datetime
) -> list[GrantResult]:
    """Plan and write many grants with one read and one bulk insert (imports use this)."""
    holder_ids = sorted({uuid.UUID(r.passholder_id) for r in requests})
    periods: dict[tuple[str, str, str | None], list[ValidityPeriod]] = defaultdict(list)
    for row in await db.entitlements_of(session, holder_ids):
        periods[(row.passholder_id, row.type, row.region_id)].append(
            ValidityPeriod(row.id, row.valid_from, row.valid_until, row.ended_on)
        )
    results: list[GrantResult] = []
    inserts: list[dict[str, object]] = []
    events: list[NewEvent] = []
    for request in requests:
        key = (request.passholder_id, request.type, request.region_id)
        plan = plan_grant(periods[key], request.valid_from, request.valid_until)
        if isinstance(plan, Unchanged):
            results.append(GrantResult("unchanged", plan.existing_id))
            continue
        new_id = uuid.uuid4()
        renews = plan.renews_id if isinstance(plan, Renewal) else None
        inserts.append(
            {
                "id": new_id,
                "passholder_id": uuid.UUID(request.passholder_id),
                "type": request.type,
                "region_id": uuid.UUID(request.region_id) if request.region_id else None,
                "valid_from": plan.valid_from,
                "valid_until": plan.valid_until,
                "evidence": request.evidence,
                "source": request.source,
                "renews_id": uuid.UUID(renews) if renews else None,
                "created_at": now,
                "updated_at": now,
            }
        )
        # Later requests in the same batch see this period (a list may repeat a person).
        periods[key].append(ValidityPeriod(str(new_id), plan.valid_from, plan.valid_until))
        outcome: Outcome = "renewed" if isinstance(plan, Renewal) else "granted"
        results.append(GrantResult(outcome, str(new_id)))
        events.append(
            NewEvent(
                request.holder_region_id,
                f"entitlement.{outcome}",
                str(new_id),
                {
                    "passholder_id": request.passholder_id,
                    "type": request.type,
                    "valid_from": plan.valid_from.isoformat(),
                    "valid_until": plan.valid_until.isoformat() if plan.valid_until else None,
                },
            )
        )
    await db.insert_entitlements(session, inserts)
    await changes.record(session, events, now)
    return results


async def _check_type_and_region(principal: Principal, type_: str, region_id: str | None) -> None:
    if type_ not in ENTITLEMENT_TYPES:
        raise field_error(
            "/type", "unknown entitlement type; one of " + ", ".join(ENTITLEMENT_TYPES)
        )
    if region_id is not None:
        # A registry grants statuses for its own region, or ones that count everywhere.
        ensure(principal, REGISTRY, Tenant(region_id=region_id), hide=False)


async def _existing_region(session: AsyncSession, region_id: str) -> RegionRow:
    try:
        key = uuid.UUID(region_id)
    except ValueError:
        raise field_error("/region_id", "not a region id") from None
    found = await db_regions.get_regions(session, region_ids=[key])
    if not found:
        raise field_error("/region_id", "no region with this id")
    return found[0]


@dataclass(frozen=True, slots=True)
class EntitlementView:
    row: EntitlementRow
    status: EntitlementStatus


async def _grace_days(session: AsyncSession, region_ids: set[str]) -> dict[str, int]:
    regions = await db_regions.get_regions(session, region_ids=[uuid.UUID(r) for r in region_ids])
    return {region.id: region.status_grace_days for region in regions}


def _fact(row: EntitlementRow, grace_days: int) -> EntitlementFact:
    # Only for the status on a date, which does not look at the region; pricing builds its
    # facts with region codes (app/db/pricing.py).
    return EntitlementFact(
        type=row.type,
        region=None,
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        suspended_until=row.suspended_until,
        ended_on=row.ended_on,
        grace_days=grace_days,
    )


async def _views(
    session: AsyncSession, rows: Sequence[EntitlementRow], holder_region_id: str, on: date
) -> list[EntitlementView]:
    grace = await _grace_days(
        session, {holder_region_id} | {r.region_id for r in rows if r.region_id is not None}
    )
    home = grace.get(holder_region_id, 0)
    return [
        EntitlementView(
            row,
            entitlement_status(_fact(row, grace_days_of(grace.get(row.region_id or ""), home)), on),
        )
        for row in rows
    ]


async def grant_entitlement(
    session: AsyncSession,
    principal: Principal,
    passholder_id: str,
    *,
    type_: str,
    region_id: str | None,
    valid_from: date,
    valid_until: date | None,
    evidence: str | None,
) -> tuple[Outcome, EntitlementView]:
    holder = await load_for(session, principal, passholder_id)
    await _check_type_and_region(principal, type_, region_id)
    # The status's region, or the home region for a status that counts everywhere.
    region = await _existing_region(session, region_id or holder.region_id)
    if valid_until is None:
        valid_until = default_valid_until(valid_from, region.default_status_end)
    if valid_until < valid_from:
        raise field_error("/valid_until", "valid_until lies before valid_from")
    [result] = await grant_many(
        session,
        [
            GrantRequest(
                passholder_id=holder.id,
                holder_region_id=holder.region_id,
                type=type_,
                region_id=region_id,
                valid_from=valid_from,
                valid_until=valid_until,
                evidence=evidence,
                source=f"manual:{principal.client_id}",
            )
        ],
        utcnow(),
    )
    if result.outcome == "unchanged":
        raise Conflict(
            "An existing period of this status already covers these dates.",
            code="entitlement-exists",
            extra={"existing_id": result.entitlement_id},
        )
    row = await db.get_entitlement(session, uuid.UUID(result.entitlement_id))
    assert row is not None
    [view] = await _views(session, [row], holder.region_id, today_in_brussels())
    return result.outcome, view


async def list_entitlements(
    session: AsyncSession, principal: Principal, passholder_id: str, on: date
) -> list[EntitlementView]:
    holder = await load_for(session, principal, passholder_id)
    rows = await db.entitlements_of(session, [uuid.UUID(holder.id)])
    views = await _views(session, rows, holder.region_id, on)
    # Statuses are personal data: reading them is audited like the passholder itself.
    await record_reads(session, principal, "entitlements.read", [(holder.id, holder.region_id)])
    return views


async def _load_entitlement(
    session: AsyncSession, principal: Principal, passholder_id: str, entitlement_id: str
) -> tuple[str, EntitlementRow]:
    holder = await load_for(session, principal, passholder_id)
    try:
        row = await db.get_entitlement(session, uuid.UUID(entitlement_id))
    except ValueError:
        row = None
    if row is None or row.passholder_id != holder.id:
        raise NotFound(f"No entitlement {entitlement_id[:64]!r} for this passholder.")
    return holder.region_id, row


async def suspend_entitlement(
    session: AsyncSession,
    principal: Principal,
    passholder_id: str,
    entitlement_id: str,
    until: date,
) -> EntitlementView:
    region_id, row = await _load_entitlement(session, principal, passholder_id, entitlement_id)
    today = today_in_brussels()
    if until < today:
        raise field_error("/until", "a suspension ends today or later")
    if row.ended_on is not None:
        raise Conflict("An ended status cannot be suspended.", code="entitlement-ended")
    return await _change(session, region_id, row, {"suspended_until": until}, "suspended", today)


async def end_entitlement(
    session: AsyncSession, principal: Principal, passholder_id: str, entitlement_id: str, on: date
) -> EntitlementView:
    region_id, row = await _load_entitlement(session, principal, passholder_id, entitlement_id)
    if on < row.valid_from:
        raise field_error("/on", "a status cannot end before it starts")
    if row.ended_on is not None:
        raise Conflict("This status has ended already.", code="entitlement-ended")
    return await _change(session, region_id, row, {"ended_on": on}, "ended", today_in_brussels())


async def end_statuses_on_move(
    session: AsyncSession,
    *,
    passholder_id: str,
    from_region: RegionRow,
    on: date,
) -> list[str]:
    """End the statuses a move ends (app.domain.moves), each told to the region left as
    `entitlement.ended`; the ids of those ended."""
    rows = await db.entitlements_of(session, [uuid.UUID(passholder_id)])
    grace = await _grace_days(
        session, {from_region.id} | {r.region_id for r in rows if r.region_id is not None}
    )
    home = grace.get(from_region.id, 0)
    held = [
        HeldStatus(
            row.id, row.region_id, _fact(row, grace_days_of(grace.get(row.region_id or ""), home))
        )
        for row in rows
    ]
    ended = statuses_ended_by_move(
        held,
        from_region_id=from_region.id,
        on=on,
        end_statuses_on_move=from_region.end_statuses_on_move,
    )
    by_id = {row.id: row for row in rows}
    for entitlement_id, ended_on in ended:
        await _change(
            session, from_region.id, by_id[entitlement_id], {"ended_on": ended_on}, "ended", on
        )
    return [entitlement_id for entitlement_id, _ in ended]


async def _change(
    session: AsyncSession,
    holder_region_id: str,
    row: EntitlementRow,
    values: dict[str, object],
    what: str,
    today: date,
) -> EntitlementView:
    now = utcnow()
    await db.update_entitlement(session, uuid.UUID(row.id), {**values, "updated_at": now})
    data = {"passholder_id": row.passholder_id, "type": row.type}
    data |= {key: value.isoformat() for key, value in values.items() if isinstance(value, date)}
    await changes.record(
        session, [NewEvent(holder_region_id, f"entitlement.{what}", row.id, data)], now
    )
    updated = await db.get_entitlement(session, uuid.UUID(row.id))
    assert updated is not None
    [view] = await _views(session, [updated], holder_region_id, today)
    return view
