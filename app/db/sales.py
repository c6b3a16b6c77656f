"""Sales, their items, funding and usage; counters changed atomically in SQL.

Every change to a usage counter is one statement that checks the limit and changes the
counter together (`… WHERE tickets + :n <= :max`), so two desks selling the last ticket at
the same moment cannot both succeed, on one server process or many.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.engine import insert_for
from app.db.tables import (
    LABEL_LENGTH,
    idempotency_keys,
    sale_item_funding,
    sale_items,
    sale_usage,
    sales,
    usage_counters,
)
from app.domain.limits import UsageClaim
from app.domain.sales import SaleStatus

# --- usage counters --------------------------------------------------------------------


@functools.cache
def _claim_statement(dialect: str) -> Any:
    """Add a claim to its bucket, creating the bucket, unless a maximum would be passed.

    One statement, built once: the conflict's WHERE decides atomically against the row as
    it is when this transaction gets its lock (PostgreSQL re-reads a row that a concurrent
    sale changed), so the limit holds however many desks sell at once. A claim beyond its
    maxima on its own is refused before this runs: a new bucket is inserted unchecked.
    """
    insert = insert_for(dialect, usage_counters)
    insert = insert.values(
        passholder_id=sa.bindparam("holder", type_=sa.Uuid),
        bucket_key=sa.bindparam("bucket_key", type_=sa.String),
        tickets=sa.bindparam("tickets", type_=sa.Integer),
        discount_cents=sa.bindparam("discount_cents", type_=sa.Integer),
    )
    max_tickets = sa.bindparam("max_tickets", type_=sa.Integer)
    max_discount = sa.bindparam("max_discount_cents", type_=sa.Integer)
    tickets = usage_counters.c.tickets + insert.excluded.tickets
    discount = usage_counters.c.discount_cents + insert.excluded.discount_cents
    return insert.on_conflict_do_update(
        index_elements=["passholder_id", "bucket_key"],
        set_={"tickets": tickets, "discount_cents": discount},
        where=sa.and_(
            sa.or_(max_tickets.is_(None), tickets <= max_tickets),
            sa.or_(max_discount.is_(None), discount <= max_discount),
        ),
    ).returning(usage_counters.c.tickets)


async def claim_usage(session: AsyncSession, passholder_id: str, claim: UsageClaim) -> bool:
    """Add a claim to its bucket if the bucket stays within its maxima; False if not."""
    if (claim.max_tickets is not None and claim.tickets > claim.max_tickets) or (
        claim.max_discount_cents is not None and claim.discount_cents > claim.max_discount_cents
    ):
        return False
    result = await session.execute(
        _claim_statement(session.get_bind().dialect.name),
        {
            "holder": uuid.UUID(passholder_id),
            "bucket_key": claim.bucket_key,
            "tickets": claim.tickets,
            "discount_cents": claim.discount_cents,
            "max_tickets": claim.max_tickets,
            "max_discount_cents": claim.max_discount_cents,
        },
    )
    return result.first() is not None


async def counter(session: AsyncSession, passholder_id: str, bucket_key: str) -> tuple[int, int]:
    row = (
        await session.execute(
            sa.select(usage_counters.c.tickets, usage_counters.c.discount_cents).where(
                usage_counters.c.passholder_id == uuid.UUID(passholder_id),
                usage_counters.c.bucket_key == bucket_key,
            )
        )
    ).first()
    return (int(row[0]), int(row[1])) if row else (0, 0)


async def end_hold(session: AsyncSession, sale_id: uuid.UUID) -> None:
    """The sale is no longer a hold (confirmed, expired or cancelled)."""
    await session.execute(
        sa.update(sale_usage)
        .where(
            sale_usage.c.sale_item_id.in_(
                sa.select(sale_items.c.id).where(sale_items.c.sale_id == sale_id)
            ),
            sale_usage.c.held_until.is_not(None),
        )
        .values(held_until=None)
    )


async def give_back_usage(session: AsyncSession, sale_id: uuid.UUID) -> None:
    """Return what a sale's items took from their buckets."""
    taken = (
        await session.execute(
            sa.select(
                sale_usage.c.passholder_id,
                sale_usage.c.bucket_key,
                sale_usage.c.tickets,
                sale_usage.c.discount_cents,
            )
            .join(sale_items, sale_items.c.id == sale_usage.c.sale_item_id)
            .where(sale_items.c.sale_id == sale_id)
        )
    ).all()
    for row in taken:
        await session.execute(
            sa.update(usage_counters)
            .where(
                usage_counters.c.passholder_id == row.passholder_id,
                usage_counters.c.bucket_key == row.bucket_key,
            )
            .values(
                tickets=usage_counters.c.tickets - row.tickets,
                discount_cents=usage_counters.c.discount_cents - row.discount_cents,
            )
        )


# --- sales -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FundingRow:
    scheme_code: str
    payer: str
    payer_ref: str | None
    amount_cents: int


@dataclass(frozen=True, slots=True)
class ItemRow:
    id: str
    passholder_id: str
    card_number: str
    offer_id: str
    price_class: str
    scheme_code: str
    scheme_version: int
    parts: list[dict[str, Any]]
    label: str
    quantity: int
    regular_price_cents: int
    unit_price_cents: int
    total_cents: int
    discount_cents: int
    activity_date: date
    funding: tuple[FundingRow, ...]
    # The holder's line these companions came with; None on a holder's own line.
    companion_of: str | None = None


@dataclass(frozen=True, slots=True)
class SaleRow:
    id: str
    partner_id: str
    client_id: str
    status: SaleStatus
    created_at: datetime
    hold_expires_at: datetime | None
    confirmed_at: datetime | None
    cancelled_at: datetime | None
    items: tuple[ItemRow, ...]


def fit_label(text: str) -> str:
    """A line's label as it is stored: one longer than the column (several long scheme
    names joined) is shortened, so that it never fails a sale."""
    return text if len(text) <= LABEL_LENGTH else text[: LABEL_LENGTH - 1] + "…"


@dataclass(frozen=True, slots=True)
class NewItem:
    """A line to write: its row, and what only the write needs (the holder's municipality
    on the day of the sale, for the reports; the usage the line claimed; the day it counts
    on in the settlement, for a sale written confirmed)."""

    row: ItemRow
    municipality_nis: str
    usage: tuple[UsageClaim, ...]
    counted_on: date | None = None


# Built once: building and keying an insert with `.values(...)` per sale cost more than
# sending it. Each is executed with its rows as parameters (one statement per table).
_INSERT_SALE = sa.insert(sales)
_INSERT_ITEMS = sa.insert(sale_items)
_INSERT_FUNDING = sa.insert(sale_item_funding)
_INSERT_USAGE = sa.insert(sale_usage)


async def insert_sale(session: AsyncSession, sale: SaleRow, items: Sequence[NewItem]) -> None:
    """Write a new sale, its lines, their funding and the usage they claimed.

    A hold's usage rows carry its expiry, so a lapsed hold stops counting by itself.
    """
    sale_id = uuid.UUID(sale.id)
    await session.execute(
        _INSERT_SALE,
        {
            "id": sale_id,
            "partner_id": uuid.UUID(sale.partner_id),
            "client_id": sale.client_id,
            "status": sale.status,
            "created_at": sale.created_at,
            "hold_expires_at": sale.hold_expires_at,
            "confirmed_at": sale.confirmed_at,
        },
    )
    await session.execute(
        _INSERT_ITEMS,
        [
            {
                "id": uuid.UUID(item.row.id),
                "sale_id": sale_id,
                "passholder_id": uuid.UUID(item.row.passholder_id),
                "card_number": item.row.card_number,
                "offer_id": uuid.UUID(item.row.offer_id),
                "price_class": item.row.price_class,
                "municipality_nis": item.municipality_nis,
                "scheme_code": item.row.scheme_code,
                "scheme_version": item.row.scheme_version,
                "parts": item.row.parts,
                "label": item.row.label,
                "quantity": item.row.quantity,
                "regular_price_cents": item.row.regular_price_cents,
                "unit_price_cents": item.row.unit_price_cents,
                "total_cents": item.row.total_cents,
                "discount_cents": item.row.discount_cents,
                "activity_date": item.row.activity_date,
                "counted_on": item.counted_on,
                "companion_of": (
                    None if item.row.companion_of is None else uuid.UUID(item.row.companion_of)
                ),
            }
            for item in items
        ],
    )
    funding = [
        {
            "sale_item_id": uuid.UUID(item.row.id),
            "scheme_code": share.scheme_code,
            "payer": share.payer,
            "payer_ref": share.payer_ref,
            "amount_cents": share.amount_cents,
        }
        for item in items
        for share in item.row.funding
    ]
    if funding:
        await session.execute(_INSERT_FUNDING, funding)
    usage = [
        {
            "sale_item_id": uuid.UUID(item.row.id),
            "passholder_id": uuid.UUID(item.row.passholder_id),
            "bucket_key": claim.bucket_key,
            "tickets": claim.tickets,
            "discount_cents": claim.discount_cents,
            "held_until": sale.hold_expires_at,
        }
        for item in items
        for claim in item.usage
    ]
    if usage:
        await session.execute(_INSERT_USAGE, usage)


async def set_status(
    session: AsyncSession, sale_id: uuid.UUID, *, before: SaleStatus, values: Mapping[str, Any]
) -> bool:
    """Move a sale on from status `before` (False if it is not in it): for a sale that
    `lock_sale` locked, so that the move is made on the status the domain decided on."""
    result = await session.execute(
        sa.update(sales).where(sales.c.id == sale_id, sales.c.status == before).values(**values)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


# A holder's holds that have not ended, with their moment, found through their usage rows
# (a hold's rows carry its expiry until it ends, under a partial index per holder). Through
# `sales` instead, PostgreSQL walked every lapsed hold of every holder that nobody released
# yet: ≈ 2 ms a sale on the benchmark, growing with time. A hold that claimed no usage
# limits no sale; it is marked expired when its partner lists, reads or confirms it.
_HOLDS_OF_HOLDER = (
    sa.select(sale_items.c.sale_id, sale_usage.c.held_until)
    .distinct()
    .join(sale_usage, sale_usage.c.sale_item_id == sale_items.c.id)
    .where(
        sale_usage.c.passholder_id == sa.bindparam("holder", type_=sa.Uuid),
        sale_usage.c.held_until.is_not(None),
    )
    .order_by(sale_items.c.sale_id)
)


async def holds_of_holder(
    session: AsyncSession, passholder_id: str
) -> list[tuple[uuid.UUID, datetime]]:
    """The holder's holds that still hold usage, and until when: which of them lapsed is
    app.domain.sales.hold_lapsed's to say."""
    rows = await session.execute(_HOLDS_OF_HOLDER, {"holder": uuid.UUID(passholder_id)})
    return [(row.sale_id, row.held_until) for row in rows]


async def holds_of_partner(
    session: AsyncSession, partner_id: str
) -> list[tuple[uuid.UUID, datetime | None]]:
    """The partner's sales that are holds, and until when (in the order of their ids)."""
    rows = await session.execute(
        sa.select(sales.c.id, sales.c.hold_expires_at)
        .where(sales.c.partner_id == uuid.UUID(partner_id), sales.c.status == SaleStatus.HELD)
        .order_by(sales.c.id)
    )
    return [(row.id, row.hold_expires_at) for row in rows]


async def lock_sale(session: AsyncSession, sale_id: uuid.UUID) -> SaleRow | None:
    """The sale as it is now, its row locked until the transaction ends.

    Whoever changes a sale's status reads it through here first: a second confirm or cancel
    of the same sale waits for the first to commit and then reads what it left, so the
    decision is always made on the current state (PostgreSQL's FOR UPDATE returns the row's
    latest committed version once the lock is granted). Only the sale's row is locked, not
    its lines or counters.
    """
    found = await get_sales(session, [sale_id], for_update=True)
    return found[0] if found else None


async def get_sales(
    session: AsyncSession, sale_ids: Sequence[uuid.UUID], *, for_update: bool = False
) -> list[SaleRow]:
    """Sales with their items and funding, in the order of `sale_ids` (see `lock_sale`)."""
    if not sale_ids:
        return []
    query = sa.select(sales).where(sales.c.id.in_(sale_ids))
    if for_update:
        query = query.order_by(sales.c.id).with_for_update()
    sale_rows = {row.id: row for row in (await session.execute(query)).all()}
    item_rows = (
        await session.execute(
            sa.select(sale_items)
            .where(sale_items.c.sale_id.in_(sale_ids))
            .order_by(sale_items.c.sale_id, sale_items.c.id)
        )
    ).all()
    funding_rows = (
        await session.execute(
            sa.select(sale_item_funding)
            .join(sale_items, sale_items.c.id == sale_item_funding.c.sale_item_id)
            .where(sale_items.c.sale_id.in_(sale_ids))
            .order_by(sale_item_funding.c.id)
        )
    ).all()
    funding: dict[uuid.UUID, list[FundingRow]] = {}
    for f in funding_rows:
        funding.setdefault(f.sale_item_id, []).append(
            FundingRow(f.scheme_code, f.payer, f.payer_ref, f.amount_cents)
        )
    items: dict[uuid.UUID, list[ItemRow]] = {}
    for i in item_rows:
        items.setdefault(i.sale_id, []).append(
            ItemRow(
                id=str(i.id),
                passholder_id=str(i.passholder_id),
                card_number=i.card_number,
                offer_id=str(i.offer_id),
                price_class=i.price_class,
                scheme_code=i.scheme_code,
                scheme_version=i.scheme_version,
                parts=list(i.parts),
                label=i.label,
                quantity=i.quantity,
                regular_price_cents=i.regular_price_cents,
                unit_price_cents=i.unit_price_cents,
                total_cents=i.total_cents,
                discount_cents=i.discount_cents,
                activity_date=i.activity_date,
                funding=tuple(funding.get(i.id, ())),
                companion_of=None if i.companion_of is None else str(i.companion_of),
            )
        )
    return [
        SaleRow(
            id=str(row.id),
            partner_id=str(row.partner_id),
            client_id=row.client_id,
            status=SaleStatus(row.status),
            created_at=row.created_at,
            hold_expires_at=row.hold_expires_at,
            confirmed_at=row.confirmed_at,
            cancelled_at=row.cancelled_at,
            items=tuple(items.get(row.id, ())),
        )
        for sale_id in sale_ids
        if (row := sale_rows.get(sale_id)) is not None
    ]


async def list_sale_ids(
    session: AsyncSession,
    *,
    partner_id: str,
    status: SaleStatus | None,
    offer_id: str | None,
    since: datetime | None,
    until: datetime | None,
    before: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[tuple[datetime, uuid.UUID]]:
    """Newest first, keyset-paged on (created_at, id)."""
    query = (
        sa.select(sales.c.created_at, sales.c.id)
        .where(sales.c.partner_id == uuid.UUID(partner_id))
        .order_by(sales.c.created_at.desc(), sales.c.id.desc())
        .limit(limit)
    )
    if status is not None:
        query = query.where(sales.c.status == status)
    if offer_id is not None:
        query = query.where(
            sales.c.id.in_(
                sa.select(sale_items.c.sale_id).where(sale_items.c.offer_id == uuid.UUID(offer_id))
            )
        )
    if since is not None:
        query = query.where(sales.c.created_at >= since)
    if until is not None:
        query = query.where(sales.c.created_at < until)
    if before is not None:
        query = query.where(sa.tuple_(sales.c.created_at, sales.c.id) < sa.tuple_(*before))
    return [(row.created_at, row.id) for row in (await session.execute(query)).all()]


# --- idempotency keys ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IdempotencyRow:
    request_hash: str
    state: str
    response_status: int | None
    response_body: Any
    created_at: datetime


@functools.cache
def _begin_statement(dialect: str) -> Any:
    insert = insert_for(dialect, idempotency_keys).values(
        client_id=sa.bindparam("client"),
        key=sa.bindparam("idempotency_key"),
        request_hash=sa.bindparam("hash"),
        state="in_progress",
        created_at=sa.bindparam("now", type_=idempotency_keys.c.created_at.type),
    )
    return insert.on_conflict_do_nothing(index_elements=["client_id", "key"]).returning(
        idempotency_keys.c.key
    )


async def try_begin(
    session: AsyncSession, client_id: str, key: str, request_hash: str, now: datetime
) -> bool:
    """Record the key as in progress; False when it was there already."""
    result = await session.execute(
        _begin_statement(session.get_bind().dialect.name),
        {"client": client_id, "idempotency_key": key, "hash": request_hash, "now": now},
    )
    return result.first() is not None


async def get_key(session: AsyncSession, client_id: str, key: str) -> IdempotencyRow | None:
    row = (
        await session.execute(
            sa.select(idempotency_keys).where(
                idempotency_keys.c.client_id == client_id, idempotency_keys.c.key == key
            )
        )
    ).first()
    if row is None:
        return None
    return IdempotencyRow(
        row.request_hash, row.state, row.response_status, row.response_body, row.created_at
    )


async def take_over_stale(
    session: AsyncSession, client_id: str, key: str, stale_before: datetime, now: datetime
) -> bool:
    """Claim a key whose first request died mid-way (in progress for too long)."""
    result = await session.execute(
        sa.update(idempotency_keys)
        .where(
            idempotency_keys.c.client_id == client_id,
            idempotency_keys.c.key == key,
            idempotency_keys.c.state == "in_progress",
            idempotency_keys.c.created_at < stale_before,
        )
        .values(created_at=now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


_THIS_KEY = (
    idempotency_keys.c.client_id == sa.bindparam("client"),
    idempotency_keys.c.key == sa.bindparam("idempotency_key"),
)
_FINISH_KEY = (
    sa.update(idempotency_keys)
    .where(*_THIS_KEY)
    .values(
        state="done",
        response_status=sa.bindparam("status", type_=sa.Integer),
        response_body=sa.bindparam("body", type_=idempotency_keys.c.response_body.type),
    )
)
_DROP_KEY = sa.delete(idempotency_keys).where(*_THIS_KEY, idempotency_keys.c.state == "in_progress")


async def finish_key(
    session: AsyncSession, client_id: str, key: str, status: int, body: Any
) -> None:
    await session.execute(
        _FINISH_KEY,
        {"client": client_id, "idempotency_key": key, "status": status, "body": body},
    )


async def drop_key(session: AsyncSession, client_id: str, key: str) -> None:
    await session.execute(_DROP_KEY, {"client": client_id, "idempotency_key": key})
