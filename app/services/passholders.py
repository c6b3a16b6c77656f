"""Register, read, correct and find passholders — for the registry of their home region."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.clock import today_in_brussels, utcnow
from app.db import changes
from app.db import passholders as db
from app.db import regions as db_regions
from app.db.changes import NewEvent
from app.db.passholders import PassholderRow
from app.domain.access import Principal, Tenant
from app.domain.moves import is_move
from app.domain.people import birth_date_problem, name_key
from app.errors import Conflict, Unprocessable
from app.services.access import ensure
from app.services.audit import record_reads
from app.services.entitlements import end_statuses_on_move
from app.services.lookup import (
    REGISTRY,
    field_error,
    load_for,
    parse_card_field,
    parse_insz_field,
)
from app.services.pending import apply_pending_entitlements
from app.settings import Settings


@dataclass(frozen=True, slots=True)
class PassholderInput:
    first_name: str
    last_name: str
    birth_date: date
    postal_code: str
    municipality_nis: str | None = None
    email: str | None = None
    insz: str | None = None


async def resolve_residence(
    session: AsyncSession, postal_code: str, municipality_nis: str | None
) -> tuple[str, str]:
    """(municipality NIS code, home region id) for a postal code and optional NIS code."""
    candidates = await db.municipalities_of_postal_code(session, postal_code)
    if municipality_nis is not None:
        if municipality_nis not in candidates:
            raise field_error(
                "/municipality_nis",
                f"municipality {municipality_nis} does not have postal code {postal_code} "
                "in any pass region",
            )
        chosen = municipality_nis
    elif len(candidates) == 1:
        chosen = candidates[0]
    elif not candidates:
        raise field_error("/postal_code", f"postal code {postal_code} is not in any pass region")
    else:
        raise Unprocessable(
            f"postal code {postal_code} covers several municipalities; give municipality_nis",
            code="municipality-ambiguous",
            extra={
                "errors": [
                    {
                        "pointer": "/municipality_nis",
                        "detail": "required: one of " + ", ".join(candidates),
                    }
                ],
                "municipality_nis_options": candidates,
            },
        )
    region_id = await db_regions.municipality_region(session, chosen)
    assert region_id is not None  # a municipality always belongs to a region
    return chosen, region_id


async def register_passholder(
    session: AsyncSession, settings: Settings, principal: Principal, data: PassholderInput
) -> PassholderRow:
    nis, region_id = await resolve_residence(session, data.postal_code, data.municipality_nis)
    ensure(principal, REGISTRY, Tenant(region_id=region_id), hide=False)
    problem = birth_date_problem(data.birth_date, today_in_brussels())
    if problem:
        raise field_error("/birth_date", problem)
    insz_hash = None
    if data.insz is not None:
        insz_hash = parse_insz_field(data.insz, data.birth_date).pseudonym(settings.insz_hmac_key)
        await _check_insz_unique(session, principal, insz_hash, None)
    key = name_key(data.first_name, data.last_name)
    existing = await db.id_by_name_key(session, region_id, key, data.birth_date)
    if existing:
        raise _duplicate(existing, "a passholder with this name and birth date exists already")

    passholder_id = uuid.uuid4()
    now = utcnow()
    try:
        await db.insert_passholder(
            session,
            {
                "id": passholder_id,
                "region_id": uuid.UUID(region_id),
                "first_name": data.first_name,
                "last_name": data.last_name,
                "name_key": key,
                "birth_date": data.birth_date,
                "postal_code": data.postal_code,
                "municipality_nis": nis,
                "email": data.email,
                "insz_hash": insz_hash,
                "created_at": now,
                "updated_at": now,
            },
        )
        await changes.record(
            session,
            [NewEvent(region_id, "passholder.created", str(passholder_id), {})],
            now,
        )
        await apply_pending_entitlements(session, passholder_id)
    except IntegrityError:
        # A concurrent registration of the same person won the race.
        raise Conflict("This passholder was registered at the same moment.") from None
    row = await db.get_passholder(session, passholder_id)
    assert row is not None
    return row


def _duplicate(existing_id: str, detail: str) -> Conflict:
    return Conflict(detail, code="passholder-exists", extra={"existing_id": existing_id})


async def _check_insz_unique(
    session: AsyncSession, principal: Principal, insz_hash: str, own_id: str | None
) -> None:
    """One passholder per INSZ, across regions. The existing record's id is named only to
    a caller who may read it: another region's registry learns that the person is
    registered elsewhere (so it does not register them twice), not where or under which id."""
    existing = await db.id_by_insz_hash(session, insz_hash)
    if existing is None or existing[0] == own_id:
        return
    existing_id, existing_region = existing
    if principal.may(REGISTRY, Tenant(region_id=existing_region)):
        raise _duplicate(existing_id, "a passholder with this INSZ exists already")
    raise Conflict(
        "A passholder with this INSZ is registered in another region; that region's registry "
        "records a move.",
        code="passholder-exists-elsewhere",
    )


async def read_passholder(
    session: AsyncSession, principal: Principal, passholder_id: str
) -> PassholderRow:
    row = await load_for(session, principal, passholder_id)
    await record_reads(session, principal, "passholder.read", [(row.id, row.region_id)])
    return row


async def correct_passholder(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    passholder_id: str,
    changes_requested: dict[str, Any],
    check_current: Callable[[PassholderRow], None] | None = None,
) -> PassholderRow:
    """Apply a PATCH: only the fields given; the home region follows a new residence.
    `check_current` sees the passholder as it is before anything changes (the API checks
    that read-only fields were sent back unchanged)."""
    row = await load_for(session, principal, passholder_id)
    if check_current is not None:
        check_current(row)
    values: dict[str, Any] = {}
    first = changes_requested.get("first_name", row.first_name)
    last = changes_requested.get("last_name", row.last_name)
    birth = changes_requested.get("birth_date", row.birth_date)
    if "birth_date" in changes_requested:
        problem = birth_date_problem(birth, today_in_brussels())
        if problem:
            raise field_error("/birth_date", problem)
    region_id = row.region_id
    if {"postal_code", "municipality_nis"} & changes_requested.keys():
        postal = changes_requested.get("postal_code", row.postal_code)
        nis_given = changes_requested.get(
            "municipality_nis", None if "postal_code" in changes_requested else row.municipality_nis
        )
        nis, region_id = await resolve_residence(session, postal, nis_given)
        if is_move(row.region_id, region_id):
            # A correction stays in the region; handing the person to another region's
            # registry is a move, said as one (POST /v1/passholders/{id}/move).
            raise Unprocessable(
                f"postal code {postal} lies in another pass region: a registry sets a residence "
                f"in its own region only; record the move with POST /v1/passholders/{row.id}/move",
                code="move-required",
                extra={
                    "errors": [
                        {
                            "pointer": "/postal_code"
                            if "postal_code" in changes_requested
                            else "/municipality_nis",
                            "detail": "in another pass region: record a move",
                        }
                    ]
                },
            )
        values |= {"postal_code": postal, "municipality_nis": nis}
    for field in ("first_name", "last_name", "birth_date", "email"):
        if field in changes_requested:
            values[field] = changes_requested[field]
    insz_hash = None
    if changes_requested.get("insz") is not None:
        insz_hash = parse_insz_field(changes_requested["insz"], birth).pseudonym(
            settings.insz_hmac_key
        )
        await _check_insz_unique(session, principal, insz_hash, row.id)
        values["insz_hash"] = insz_hash
    elif "insz" in changes_requested:
        values["insz_hash"] = None
    key = name_key(first, last)
    existing = await db.id_by_name_key(session, region_id, key, birth)
    if existing and existing != row.id:
        raise _duplicate(existing, "a passholder with this name and birth date exists already")
    values["name_key"] = key
    now = utcnow()
    values["updated_at"] = now
    changed = sorted(k for k in changes_requested if k != "insz") + (
        ["insz"] if "insz" in changes_requested else []
    )
    try:
        await db.update_passholder(session, uuid.UUID(row.id), values)
        events = [NewEvent(region_id, "passholder.updated", row.id, {"fields": changed})]
        await changes.record(session, events, now)
        # A new INSZ may match statuses waiting for this person.
        if "insz_hash" in values:
            await apply_pending_entitlements(session, uuid.UUID(row.id))
    except IntegrityError:
        raise Conflict("The change conflicts with another passholder.") from None
    updated = await db.get_passholder(session, uuid.UUID(row.id))
    assert updated is not None
    return updated


async def move_passholder(
    session: AsyncSession,
    principal: Principal,
    passholder_id: str,
    *,
    postal_code: str | None,
    municipality_nis: str | None,
) -> PassholderRow:
    """Move a person to a residence in another region, on the word of the registry of the
    region they leave (app.domain.moves): same id, cards, history and usage; the statuses
    that region granted end today unless its setting keeps them; the move is audited under
    both regions and told to both through the change feed."""
    row = await load_for(session, principal, passholder_id)
    if postal_code is None:
        assert municipality_nis is not None
        postal_code = await _only_postal_code(session, municipality_nis)
    nis, region_id = await resolve_residence(session, postal_code, municipality_nis)
    if not is_move(row.region_id, region_id):
        raise Unprocessable(
            "this residence lies in the passholder's own region: correct it with PATCH "
            f"/v1/passholders/{row.id}",
            code="not-a-move",
        )
    taken = await db.id_by_name_key(
        session, region_id, name_key(row.first_name, row.last_name), row.birth_date
    )
    if taken:
        raise Conflict(
            "A passholder with this name and birth date is registered in the region of the new "
            "residence; that region's registry can tell whether it is the same person.",
            code="passholder-exists-elsewhere",
        )
    [from_region] = await db_regions.get_regions(session, region_ids=[uuid.UUID(row.region_id)])
    now = utcnow()
    ended = await end_statuses_on_move(
        session, passholder_id=row.id, from_region=from_region, on=today_in_brussels()
    )
    try:
        await db.update_passholder(
            session,
            uuid.UUID(row.id),
            {
                "postal_code": postal_code,
                "municipality_nis": nis,
                "region_id": uuid.UUID(region_id),
                "updated_at": now,
            },
        )
    except IntegrityError:
        raise Conflict("The move conflicts with another passholder.") from None
    await changes.record(
        session,
        [
            NewEvent(
                row.region_id,
                "passholder.moved_out",
                row.id,
                {"to_region_id": region_id, "ended_entitlement_ids": ended},
            ),
            NewEvent(region_id, "passholder.moved_in", row.id, {"from_region_id": row.region_id}),
        ],
        now,
    )
    # Who moved whom, in the audit of both regions.
    await record_reads(
        session, principal, "passholder.moved", [(row.id, row.region_id), (row.id, region_id)]
    )
    # Statuses the new region keeps waiting for this INSZ apply now.
    await apply_pending_entitlements(session, uuid.UUID(row.id))
    moved = await db.get_passholder(session, uuid.UUID(row.id))
    assert moved is not None
    return moved


async def _only_postal_code(session: AsyncSession, municipality_nis: str) -> str:
    codes = await db.postal_codes_of_municipality(session, municipality_nis)
    if not codes:
        raise field_error(
            "/municipality_nis", f"municipality {municipality_nis} is not in any pass region"
        )
    if len(codes) > 1:
        raise Unprocessable(
            f"municipality {municipality_nis} has several postal codes; give postal_code",
            code="validation-failed",
            extra={
                "errors": [
                    {"pointer": "/postal_code", "detail": "required: one of " + ", ".join(codes)}
                ]
            },
        )
    return codes[0]


@dataclass(frozen=True, slots=True)
class SearchQuery:
    card_number: str | None = None
    insz: str | None = None
    last_name: str | None = None
    birth_date: date | None = None


async def search_passholders(
    session: AsyncSession, settings: Settings, principal: Principal, query: SearchQuery
) -> list[PassholderRow]:
    """Find passholders in the registry's own regions; every hit is an audited read."""
    regions = None if principal.is_admin else sorted(principal.region_ids(REGISTRY))
    if regions == []:
        return []
    if query.card_number is not None:
        rows = await db.search(
            session, region_ids=regions, card_number=parse_card_field(query.card_number)
        )
    elif query.insz is not None:
        insz_hash = parse_insz_field(query.insz, None).pseudonym(settings.insz_hmac_key)
        rows = await db.search(session, region_ids=regions, insz_hash=insz_hash)
    else:
        assert query.last_name is not None
        assert query.birth_date is not None
        last_key = name_key("", query.last_name).split("|", 1)[0]
        rows = await db.search(
            session, region_ids=regions, last_name_key=last_key, birth_date=query.birth_date
        )
    await record_reads(session, principal, "passholder.search", [(r.id, r.region_id) for r in rows])
    return rows
