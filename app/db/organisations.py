"""Organisations, their allocations and vouchers: rows, and the two atomic statements.

Issuing a voucher takes its tickets from the allocation in one statement
(`UPDATE … SET tickets_used = tickets_used + n WHERE tickets_used + n <= tickets`), so
however many social workers issue at once, on however many server processes, an
allocation never gives more tickets than it has; a sale to one of the organisation's groups
takes its tickets from the same row in the sale's own statement (app.domain.groups).
A voucher's redeemed tickets live in `usage_counters` under the voucher's id
(app.domain.vouchers.VOUCHER_BUCKET), claimed and given back by the sale's own statement;
revoking locks that counter and fills it, so no desk can redeem a ticket that the
revocation gives back.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.tables import (
    allocations,
    organisations,
    sale_items,
    sales,
    usage_counters,
    vouchers,
)
from app.domain.vouchers import VOUCHER_BUCKET, AllocationUse, VoucherUse


@dataclass(frozen=True, slots=True)
class OrganisationRow:
    id: str
    region_id: str
    name: str
    kind: str
    created_at: datetime
    updated_at: datetime


def _organisation(row: Any) -> OrganisationRow:
    return OrganisationRow(
        id=str(row.id),
        region_id=str(row.region_id),
        name=row.name,
        kind=row.kind,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


async def insert_organisation(
    session: AsyncSession,
    *,
    organisation_id: uuid.UUID,
    region_id: str,
    name: str,
    kind: str,
    now: datetime,
) -> None:
    await session.execute(
        sa.insert(organisations).values(
            id=organisation_id,
            region_id=uuid.UUID(region_id),
            name=name,
            kind=kind,
            created_at=now,
            updated_at=now,
        )
    )


async def get_organisation(
    session: AsyncSession, organisation_id: uuid.UUID
) -> OrganisationRow | None:
    row = (
        await session.execute(sa.select(organisations).where(organisations.c.id == organisation_id))
    ).first()
    return None if row is None else _organisation(row)


async def list_organisations(
    session: AsyncSession,
    *,
    region_ids: list[str] | None,
    organisation_ids: list[str] | None,
    after: uuid.UUID | None,
    limit: int,
) -> list[OrganisationRow]:
    """In the order of their ids, keyset-paged; None for a filter: not filtered on it."""
    query = sa.select(organisations).order_by(organisations.c.id).limit(limit)
    if region_ids is not None:
        query = query.where(organisations.c.region_id.in_([uuid.UUID(r) for r in region_ids]))
    if organisation_ids is not None:
        query = query.where(organisations.c.id.in_([uuid.UUID(o) for o in organisation_ids]))
    if after is not None:
        query = query.where(organisations.c.id > after)
    return [_organisation(row) for row in (await session.execute(query)).all()]


async def update_organisation(
    session: AsyncSession, organisation_id: uuid.UUID, values: dict[str, Any], now: datetime
) -> None:
    await session.execute(
        sa.update(organisations)
        .where(organisations.c.id == organisation_id)
        .values(**values, updated_at=now)
    )


async def existing_organisation_ids(session: AsyncSession, ids: list[uuid.UUID]) -> set[str]:
    result = await session.execute(sa.select(organisations.c.id).where(organisations.c.id.in_(ids)))
    return {str(value) for value in result.scalars()}


# --- allocations ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AllocationRow:
    id: str
    organisation_id: str
    scheme_code: str
    valid_from: date
    valid_until: date
    tickets: int
    tickets_used: int
    budget_cents: int | None
    created_at: datetime


def _allocation(row: Any) -> AllocationRow:
    return AllocationRow(
        id=str(row.id),
        organisation_id=str(row.organisation_id),
        scheme_code=row.scheme_code,
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        tickets=row.tickets,
        tickets_used=row.tickets_used,
        budget_cents=row.budget_cents,
        created_at=row.created_at,
    )


async def insert_allocation(
    session: AsyncSession,
    *,
    allocation_id: uuid.UUID,
    organisation_id: str,
    scheme_code: str,
    valid_from: date,
    valid_until: date,
    tickets: int,
    budget_cents: int | None,
    created_by: str,
    now: datetime,
) -> None:
    await session.execute(
        sa.insert(allocations).values(
            id=allocation_id,
            organisation_id=uuid.UUID(organisation_id),
            scheme_code=scheme_code,
            valid_from=valid_from,
            valid_until=valid_until,
            tickets=tickets,
            tickets_used=0,
            budget_cents=budget_cents,
            created_at=now,
            created_by=created_by,
        )
    )


async def get_allocation(session: AsyncSession, allocation_id: uuid.UUID) -> AllocationRow | None:
    row = (
        await session.execute(sa.select(allocations).where(allocations.c.id == allocation_id))
    ).first()
    return None if row is None else _allocation(row)


async def list_allocations(session: AsyncSession, organisation_id: str) -> list[AllocationRow]:
    rows = await session.execute(
        sa.select(allocations)
        .where(allocations.c.organisation_id == uuid.UUID(organisation_id))
        .order_by(allocations.c.valid_from, allocations.c.id)
    )
    return [_allocation(row) for row in rows.all()]


async def take_tickets(session: AsyncSession, allocation_id: str, tickets: int) -> bool:
    """Take `tickets` from the allocation, checked and counted in one statement (False:
    not that many left, nothing changed)."""
    result = await session.execute(
        sa.update(allocations)
        .where(
            allocations.c.id == uuid.UUID(allocation_id),
            allocations.c.tickets_used + tickets <= allocations.c.tickets,
        )
        .values(tickets_used=allocations.c.tickets_used + tickets)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def give_back_tickets(session: AsyncSession, allocation_id: str, tickets: int) -> None:
    await session.execute(
        sa.update(allocations)
        .where(allocations.c.id == uuid.UUID(allocation_id))
        .values(tickets_used=allocations.c.tickets_used - tickets)
    )


# --- vouchers -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VoucherRow:
    id: str
    code: str
    organisation_id: str
    allocation_id: str
    people: int
    offer_id: str | None
    partner_id: str | None
    valid_until: date
    status: str
    issued_at: datetime
    revoked_at: datetime | None
    tickets_returned: int | None
    # Redeemed at desks (confirmed sales and live holds).
    used: int
    scheme_code: str
    region_id: str


_VOUCHER_SELECT = (
    sa.select(
        vouchers,
        sa.func.coalesce(usage_counters.c.tickets, 0).label("used"),
        allocations.c.scheme_code,
        organisations.c.region_id,
    )
    .join(allocations, allocations.c.id == vouchers.c.allocation_id)
    .join(organisations, organisations.c.id == vouchers.c.organisation_id)
    .outerjoin(
        usage_counters,
        sa.and_(
            usage_counters.c.passholder_id == vouchers.c.id,
            usage_counters.c.bucket_key == VOUCHER_BUCKET,
        ),
    )
)


def _voucher(row: Any) -> VoucherRow:
    return VoucherRow(
        id=str(row.id),
        code=row.code,
        organisation_id=str(row.organisation_id),
        allocation_id=str(row.allocation_id),
        people=row.people,
        offer_id=None if row.offer_id is None else str(row.offer_id),
        partner_id=None if row.partner_id is None else str(row.partner_id),
        valid_until=row.valid_until,
        status=row.status,
        issued_at=row.issued_at,
        revoked_at=row.revoked_at,
        tickets_returned=row.tickets_returned,
        used=int(row.used),
        scheme_code=row.scheme_code,
        region_id=str(row.region_id),
    )


async def insert_voucher(
    session: AsyncSession,
    *,
    voucher_id: uuid.UUID,
    code: str,
    organisation_id: str,
    allocation_id: str,
    people: int,
    offer_id: str | None,
    partner_id: str | None,
    valid_until: date,
    issued_by: str,
    now: datetime,
) -> None:
    """The voucher and its counter of redeemed tickets (at 0: a revocation locks it)."""
    await session.execute(
        sa.insert(vouchers).values(
            id=voucher_id,
            code=code,
            organisation_id=uuid.UUID(organisation_id),
            allocation_id=uuid.UUID(allocation_id),
            people=people,
            offer_id=None if offer_id is None else uuid.UUID(offer_id),
            partner_id=None if partner_id is None else uuid.UUID(partner_id),
            valid_until=valid_until,
            status="active",
            issued_at=now,
            issued_by=issued_by,
        )
    )
    await session.execute(
        sa.insert(usage_counters).values(
            passholder_id=voucher_id, bucket_key=VOUCHER_BUCKET, tickets=0, discount_cents=0
        )
    )


async def get_voucher(session: AsyncSession, code: str) -> VoucherRow | None:
    row = (await session.execute(_VOUCHER_SELECT.where(vouchers.c.code == code))).first()
    return None if row is None else _voucher(row)


async def list_vouchers(
    session: AsyncSession, organisation_id: str, *, after: uuid.UUID | None, limit: int
) -> list[VoucherRow]:
    query = (
        _VOUCHER_SELECT.where(vouchers.c.organisation_id == uuid.UUID(organisation_id))
        .order_by(vouchers.c.id)
        .limit(limit)
    )
    if after is not None:
        query = query.where(vouchers.c.id > after)
    return [_voucher(row) for row in (await session.execute(query)).all()]


_REVOKE = sa.text(
    """
WITH counter AS (
    SELECT u.tickets FROM usage_counters u
    WHERE u.passholder_id = :voucher_id AND u.bucket_key = :bucket
    FOR UPDATE
), filled AS (
    UPDATE usage_counters u SET tickets = greatest(u.tickets, :people)
    FROM counter
    WHERE u.passholder_id = :voucher_id AND u.bucket_key = :bucket
    RETURNING counter.tickets AS used
)
UPDATE vouchers v
SET status = 'revoked', revoked_at = :now,
    tickets_returned = greatest(0, v.people - (SELECT used FROM filled))
WHERE v.id = :voucher_id AND v.status = 'active'
RETURNING v.tickets_returned
"""
)


async def revoke_voucher(
    session: AsyncSession, voucher_id: str, people: int, now: datetime
) -> int | None:
    """Revoke an active voucher; the number of unused tickets it gives back (None: it was
    not active). The counter of its redeemed tickets is locked and filled up to `people`
    in the same statement, so a sale running at the same moment either redeemed before
    (and its ticket is not given back) or finds the voucher used up."""
    row = (
        await session.execute(
            _REVOKE,
            {
                "voucher_id": uuid.UUID(voucher_id),
                "bucket": VOUCHER_BUCKET,
                "people": people,
                "now": now,
            },
        )
    ).first()
    return None if row is None else int(row.tickets_returned)


# --- the allocations report -----------------------------------------------------------------


async def allocations_report(
    session: AsyncSession,
    *,
    region_id: str,
    organisation_id: str | None,
    from_date: date,
    to_date: date,
) -> tuple[list[AllocationUse], list[VoucherUse], dict[str, int]]:
    """The allocations of a region's organisations (or of one) whose period overlaps
    [from_date, to_date), their vouchers with the tickets confirmed sales redeemed, and
    per allocation the tickets confirmed sales on group cards and accepted ticket requests
    took from it."""
    query = (
        sa.select(
            allocations.c.id,
            allocations.c.organisation_id,
            organisations.c.name,
            allocations.c.scheme_code,
            allocations.c.tickets,
        )
        .join(organisations, organisations.c.id == allocations.c.organisation_id)
        .where(
            organisations.c.region_id == uuid.UUID(region_id),
            allocations.c.valid_from < to_date,
            allocations.c.valid_until >= from_date,
        )
    )
    if organisation_id is not None:
        query = query.where(organisations.c.id == uuid.UUID(organisation_id))
    found = [
        AllocationUse(str(r.id), str(r.organisation_id), r.name, r.scheme_code, r.tickets)
        for r in (await session.execute(query)).all()
    ]
    if not found:
        return [], [], {}
    redeemed = (
        sa.select(sa.func.coalesce(sa.func.sum(sale_items.c.quantity), 0))
        .join(sales, sales.c.id == sale_items.c.sale_id)
        .where(sale_items.c.voucher_id == vouchers.c.id, sales.c.status == "confirmed")
        .scalar_subquery()
    )
    rows = await session.execute(
        sa.select(
            vouchers.c.allocation_id,
            vouchers.c.people,
            vouchers.c.status,
            vouchers.c.valid_until,
            vouchers.c.tickets_returned,
            redeemed.label("redeemed"),
        ).where(vouchers.c.allocation_id.in_([uuid.UUID(a.allocation_id) for a in found]))
    )
    ids = [uuid.UUID(a.allocation_id) for a in found]
    group_rows = await session.execute(
        sa.select(sale_items.c.allocation_id, sa.func.sum(sale_items.c.quantity).label("tickets"))
        .join(sales, sales.c.id == sale_items.c.sale_id)
        .where(sale_items.c.allocation_id.in_(ids), sales.c.status == "confirmed")
        .group_by(sale_items.c.allocation_id)
    )
    groups = {str(r.allocation_id): int(r.tickets) for r in group_rows.all()}
    return (
        found,
        [
            VoucherUse(
                str(r.allocation_id),
                r.people,
                r.status,
                r.valid_until,
                r.tickets_returned,
                int(r.redeemed),
            )
            for r in rows.all()
        ],
        groups,
    )
