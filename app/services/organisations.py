"""Organisations (social organisations, associations, schools), their allocations and the
anonymous vouchers they issue.

A region admin registers an organisation and grants it allocations; a social worker of the
organisation (role `organisation`) issues vouchers from them and revokes them. Every use
case checks role and tenant: a social worker of organisation A finds nothing of
organisation B (404), as a registry of one region finds nothing of another's.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.clock import date_in_brussels, utcnow
from app.db import changes
from app.db import organisations as db
from app.db import partners as db_partners
from app.db import regions as db_regions
from app.db.changes import NewEvent
from app.db.organisations import AllocationRow, OrganisationRow, VoucherRow
from app.domain.access import Principal, Role, Tenant
from app.domain.vouchers import (
    AllocationProblem,
    OrganisationKind,
    VoucherStatus,
    new_code,
    normalise_code,
    voucher_status,
    voucher_valid_until,
)
from app.errors import Conflict, NotFound, Unprocessable
from app.services.access import ensure
from app.services.catalog import CATALOG
from app.services.quotes import load_offer

# Who registers and changes organisations and grants allocations.
MANAGERS = frozenset({Role.REGION_ADMIN})
# Who reads an organisation and its allocations: its region's admins and reporters, and
# its own social workers.
READERS = frozenset({Role.REGION_ADMIN, Role.REPORTER, Role.ORGANISATION})
# Who issues and revokes vouchers: the organisation's own social workers.
ISSUERS = frozenset({Role.ORGANISATION})
# Who reads vouchers: the organisation's social workers and its region's admins.
VOUCHER_READERS = frozenset({Role.ORGANISATION, Role.REGION_ADMIN})


def tenant_of(organisation: OrganisationRow) -> Tenant:
    return Tenant(region_id=organisation.region_id, organisation_id=organisation.id)


def _uuid(value: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise NotFound(f"No {what} {value[:64]!r}.") from None


# --- organisations --------------------------------------------------------------------------


async def create_organisation(
    session: AsyncSession,
    principal: Principal,
    *,
    region_id: str,
    name: str,
    kind: OrganisationKind,
    organisation_id: uuid.UUID | None = None,
) -> OrganisationRow:
    ensure(principal, MANAGERS, Tenant(region_id=region_id), hide=False)
    if not await db_regions.get_regions(session, region_ids=[_region_uuid(region_id)]):
        raise Unprocessable(
            f"No region {region_id}.",
            extra={"errors": [{"pointer": "/region_id", "detail": "unknown region"}]},
        )
    organisation_id = organisation_id or uuid.uuid4()
    await db.insert_organisation(
        session,
        organisation_id=organisation_id,
        region_id=region_id,
        name=name,
        kind=kind.value,
        now=utcnow(),
    )
    row = await db.get_organisation(session, organisation_id)
    assert row is not None
    return row


def _region_uuid(region_id: str) -> uuid.UUID:
    try:
        return uuid.UUID(region_id)
    except ValueError:
        raise Unprocessable(
            f"No region {region_id[:64]!r}.",
            extra={"errors": [{"pointer": "/region_id", "detail": "unknown region"}]},
        ) from None


async def read_organisation(
    session: AsyncSession,
    principal: Principal,
    organisation_id: str,
    roles: Iterable[Role] = READERS,
) -> OrganisationRow:
    """An organisation for its region's roles and its own social workers; to anyone else it
    does not exist (404)."""
    row = await db.get_organisation(session, _uuid(organisation_id, "organisation"))
    if row is None:
        raise NotFound(f"No organisation {organisation_id}.")
    ensure(principal, roles, tenant_of(row), hide=True)
    return row


async def update_organisation(
    session: AsyncSession, principal: Principal, organisation_id: str, changes_: dict[str, Any]
) -> OrganisationRow:
    row = await read_organisation(session, principal, organisation_id, READERS)
    ensure(principal, MANAGERS, tenant_of(row), hide=False)
    if changes_:
        await db.update_organisation(session, uuid.UUID(row.id), changes_, utcnow())
    return await read_organisation(session, principal, organisation_id, READERS)


@dataclass(frozen=True, slots=True)
class OrganisationPage:
    items: list[OrganisationRow]
    next_after: str | None


async def list_organisations(
    session: AsyncSession,
    principal: Principal,
    *,
    region_id: str | None,
    after: str | None,
    limit: int,
) -> OrganisationPage:
    """A region's organisations (for its admins and reporters); a social worker is shown
    only their own organisation."""
    region_ids: list[str] | None = None
    organisation_ids: list[str] | None = None
    if region_id is not None:
        if not principal.may(READERS - {Role.ORGANISATION}, Tenant(region_id=region_id)):
            own = sorted(principal.organisation_ids({Role.ORGANISATION}))
            if not own:
                ensure(principal, READERS, Tenant(region_id=region_id), hide=False)
            organisation_ids = own
        region_ids = [region_id]
    elif not principal.is_admin:
        regions = principal.region_ids(READERS)
        mine = principal.organisation_ids({Role.ORGANISATION})
        if regions and mine:
            raise Unprocessable(
                "Give region_id.",
                extra={"errors": [{"parameter": "region_id", "detail": "required"}]},
            )
        if regions:
            region_ids = sorted(regions)
        else:
            organisation_ids = sorted(mine)
    found = await db.list_organisations(
        session,
        region_ids=region_ids,
        organisation_ids=organisation_ids,
        after=None if after is None else _uuid(after, "cursor"),
        limit=limit + 1,
    )
    more = len(found) > limit
    found = found[:limit]
    return OrganisationPage(found, found[-1].id if more and found else None)


# --- allocations ----------------------------------------------------------------------------


async def create_allocation(
    session: AsyncSession,
    principal: Principal,
    organisation_id: str,
    *,
    scheme_code: str,
    valid_from: date,
    valid_until: date,
    tickets: int,
    budget_cents: int | None,
    allocation_id: uuid.UUID | None = None,
) -> AllocationRow:
    organisation = await read_organisation(session, principal, organisation_id)
    ensure(principal, MANAGERS, tenant_of(organisation), hide=False)
    if valid_until < valid_from:
        raise Unprocessable(
            AllocationProblem.PERIOD.value,
            extra={"errors": [{"pointer": "/valid_until", "detail": AllocationProblem.PERIOD}]},
        )
    catalog = await CATALOG.get(session)
    if not any(scheme.code == scheme_code for scheme in catalog.schemes):
        raise Unprocessable(
            f"No scheme {scheme_code!r}.",
            code="unknown-scheme",
            extra={"errors": [{"pointer": "/scheme_code", "detail": "unknown scheme"}]},
        )
    allocation_id = allocation_id or uuid.uuid4()
    await db.insert_allocation(
        session,
        allocation_id=allocation_id,
        organisation_id=organisation.id,
        scheme_code=scheme_code,
        valid_from=valid_from,
        valid_until=valid_until,
        tickets=tickets,
        budget_cents=budget_cents,
        created_by=principal.client_id,
        now=utcnow(),
    )
    row = await db.get_allocation(session, allocation_id)
    assert row is not None
    return row


async def list_allocations(
    session: AsyncSession, principal: Principal, organisation_id: str
) -> list[AllocationRow]:
    organisation = await read_organisation(session, principal, organisation_id)
    return await db.list_allocations(session, organisation.id)


# --- vouchers -------------------------------------------------------------------------------


async def issue_voucher(
    session: AsyncSession,
    principal: Principal,
    organisation_id: str,
    *,
    allocation_id: str,
    people: int,
    offer_id: str | None,
    partner_id: str | None,
    valid_until: date | None,
) -> VoucherRow:
    """Take `people` tickets from the allocation and make a voucher for them, atomically:
    over the quota, 409 `allocation-exhausted` and nothing is written."""
    organisation = await read_organisation(session, principal, organisation_id, ISSUERS)
    allocation = await db.get_allocation(session, _uuid(allocation_id, "allocation"))
    if allocation is None or allocation.organisation_id != organisation.id:
        raise Unprocessable(
            "No allocation of this organisation with this id.",
            extra={"errors": [{"pointer": "/allocation_id", "detail": "unknown allocation"}]},
        )
    now = utcnow()
    until = voucher_valid_until(
        valid_until,
        allocation_valid_from=allocation.valid_from,
        allocation_valid_until=allocation.valid_until,
        today=date_in_brussels(now),
    )
    if isinstance(until, AllocationProblem):
        pointer = "/allocation_id" if until is AllocationProblem.ALLOCATION_OVER else "/valid_until"
        raise Unprocessable(
            f"{until.value[0].upper()}{until.value[1:]}.",
            extra={"errors": [{"pointer": pointer, "detail": until.value}]},
        )
    if offer_id is not None:
        offer = await load_offer(session, offer_id)
        if offer.partner_region_id != organisation.region_id:
            raise _elsewhere("/offer_id", "an offer of another region")
        if partner_id is not None and partner_id != offer.partner_id:
            raise _elsewhere("/partner_id", "not the offer's partner")
        offer_id = offer.id
    if partner_id is not None:
        partner = await db_partners.get_partner(session, _uuid(partner_id, "partner"))
        if partner is None or partner.region_id != organisation.region_id:
            raise _elsewhere("/partner_id", "no partner of the organisation's region")
        partner_id = partner.id
    if not await db.take_tickets(session, allocation.id, people):
        raise Conflict(
            f"The allocation has {allocation.tickets - allocation.tickets_used} tickets left, "
            f"fewer than {people}.",
            code="allocation-exhausted",
        )
    voucher_id = uuid.uuid4()
    code = new_code()
    await db.insert_voucher(
        session,
        voucher_id=voucher_id,
        code=code,
        organisation_id=organisation.id,
        allocation_id=allocation.id,
        people=people,
        offer_id=offer_id,
        partner_id=partner_id,
        valid_until=until,
        issued_by=principal.client_id,
        now=now,
    )
    await changes.record(
        session,
        [
            NewEvent(
                organisation.region_id,
                "voucher.issued",
                str(voucher_id),
                {
                    "organisation_id": organisation.id,
                    "allocation_id": allocation.id,
                    "people": people,
                },
            )
        ],
        now,
    )
    found = await db.get_voucher(session, code)
    assert found is not None
    return found


def _elsewhere(pointer: str, detail: str) -> Unprocessable:
    return Unprocessable(
        f"The voucher cannot be made out for {detail}.",
        extra={"errors": [{"pointer": pointer, "detail": detail}]},
    )


async def read_voucher(
    session: AsyncSession,
    principal: Principal,
    code: str,
    roles: Iterable[Role] = VOUCHER_READERS,
) -> VoucherRow:
    normalised = normalise_code(code)
    found = None if normalised is None else await db.get_voucher(session, normalised)
    if found is None:
        raise _no_voucher()
    try:
        ensure(
            principal,
            roles,
            Tenant(region_id=found.region_id, organisation_id=found.organisation_id),
            hide=True,
        )
    except NotFound:
        # Another tenant's voucher answers exactly as a code that does not exist: the
        # answer must not tell that a voucher with this code was issued.
        raise _no_voucher() from None
    return found


def _no_voucher() -> NotFound:
    return NotFound("No voucher with this code.", code="voucher-not-found")


async def list_vouchers(
    session: AsyncSession,
    principal: Principal,
    organisation_id: str,
    *,
    after: str | None,
    limit: int,
) -> tuple[list[VoucherRow], str | None]:
    organisation = await read_organisation(session, principal, organisation_id, VOUCHER_READERS)
    found = await db.list_vouchers(
        session,
        organisation.id,
        after=None if after is None else _uuid(after, "cursor"),
        limit=limit + 1,
    )
    more = len(found) > limit
    found = found[:limit]
    return found, (found[-1].id if more and found else None)


async def revoke_voucher(session: AsyncSession, principal: Principal, code: str) -> VoucherRow:
    """Revoke a voucher: its unused tickets go back to the allocation. A revoked voucher is
    answered as it is (a retry)."""
    voucher = await read_voucher(session, principal, code, VOUCHER_READERS)
    ensure(
        principal,
        ISSUERS,
        Tenant(region_id=voucher.region_id, organisation_id=voucher.organisation_id),
        hide=False,
    )
    now = utcnow()
    returned = await db.revoke_voucher(session, voucher.id, voucher.people, now)
    if returned is not None:
        if returned:
            await db.give_back_tickets(session, voucher.allocation_id, returned)
        await changes.record(
            session,
            [
                NewEvent(
                    voucher.region_id,
                    "voucher.revoked",
                    voucher.id,
                    {"organisation_id": voucher.organisation_id, "tickets_returned": returned},
                )
            ],
            now,
        )
    found = await db.get_voucher(session, voucher.code)
    assert found is not None
    return found


def status_of(voucher: VoucherRow, on: date) -> VoucherStatus:
    return voucher_status(
        revoked=voucher.status == VoucherStatus.REVOKED,
        valid_until=voucher.valid_until,
        people=voucher.people,
        used=voucher.used,
        on=on,
    )
