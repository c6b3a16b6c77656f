"""Sales, their items, funding and usage; counters changed atomically in SQL.

A new sale is written in one statement, `openpas_register_sale` (a PL/pgSQL function kept
in migration f44834c06b64), with its idempotency key, usage claims, settlement sums, change
event and audit rows: one round trip, in the request's transaction.

Every change to a usage counter is one statement that checks the limit and changes the
counter together (`… WHERE tickets + :n <= :max`), so two desks selling the last ticket at
the same moment cannot both succeed, on one server process or many.
"""

from __future__ import annotations

import enum
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.changes import NewEvent
from app.db.tables import (
    LABEL_LENGTH,
    allocations,
    idempotency_keys,
    sale_item_funding,
    sale_items,
    sale_usage,
    sales,
    usage_counters,
    vouchers,
)
from app.domain.groups import ALLOCATION_BUCKET
from app.domain.limits import UsageClaim
from app.domain.sales import SaleStatus

# --- usage counters --------------------------------------------------------------------


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
        if row.bucket_key == ALLOCATION_BUCKET:
            # A group's tickets go back to the allocation they came out of.
            await session.execute(
                sa.update(allocations)
                .where(allocations.c.id == row.passholder_id)
                .values(tickets_used=allocations.c.tickets_used - row.tickets)
            )
            continue
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
    # A line is sold on a card (its holder) or on a voucher (then both None).
    passholder_id: str | None
    card_number: str | None
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
    voucher_id: str | None = None
    voucher_code: str | None = None
    # An organisation's line (its group card's, or an accepted ticket request's): the
    # organisation and the allocation its tickets came out of.
    organisation_id: str | None = None
    allocation_id: str | None = None

    @property
    def bearer_id(self) -> str:
        """Whose counters the line's usage is on: its holder's, its voucher's or its
        organisation's."""
        bearer = self.passholder_id or self.voucher_id or self.organisation_id
        assert bearer is not None  # the table's one_bearer check
        return bearer


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
    """A line to write: its row, and what only the write needs (the request's item it was
    sold for; the holder's municipality on the day of the sale, for the reports; the usage
    the line claims; the day it counts on in the settlement, for a sale written confirmed)."""

    row: ItemRow
    item_index: int
    municipality_nis: str | None
    usage: tuple[UsageClaim, ...]
    counted_on: date | None = None


class Outcome(enum.StrEnum):
    """What `openpas_register_sale` did (migrations f44834c06b64, b7e1c4a9d2f3, 9a3f6c2d1e87)."""

    SOLD = "sold"
    # The key belongs to a sale that committed first: with this request's body, or not.
    REPLAY = "replay"
    KEY_REUSED = "key-reused"
    # A counter refused a claim: nothing was written.
    LIMIT_REACHED = "limit-reached"
    BUDGET_EXHAUSTED = "budget-exhausted"
    # An organisation's allocation has not enough tickets left (migration b14dc9eb5556).
    ALLOCATION_EXHAUSTED = "allocation-exhausted"
    # An offer or partner of the sale was archived (committed before the sale read it):
    # nothing was written (migration 9a3f6c2d1e87).
    OFFER_ARCHIVED = "offer-archived"
    PARTNER_ARCHIVED = "partner-archived"


@dataclass(frozen=True, slots=True)
class Written:
    outcome: Outcome
    # The request's item whose claim was refused.
    item_index: int | None
    # The key's sale: the one just written, or the one a replay answers with.
    sale_id: str | None


_REGISTER_SALE = sa.text(
    "SELECT outcome, item_index, first_sale_id"
    " FROM openpas_register_sale(:client_id, :key, :request_hash, CAST(:sale AS jsonb))"
)


async def write_sale(
    session: AsyncSession,
    sale: SaleRow,
    items: Sequence[NewItem],
    *,
    key: str,
    request_hash: str,
    audit: tuple[str, Sequence[tuple[str, str]]],
    event: NewEvent,
) -> Written:
    """Write a new sale in one statement, in the session's transaction: its idempotency
    key, the claims on its usage counters, the sale, its lines with their funding and usage,
    the settlement sums of a sale written confirmed, the change event and the audit rows
    (`audit`: the action and the (passholder_id, region_id) pairs that were read).

    Each claim is checked and counted atomically (`… WHERE tickets + n <= max`), so a limit
    holds however many desks sell at once, on one server process or many. A refused claim
    writes nothing; neither does a key that a committed sale holds (a request with the
    same key that is still running is waited for).
    """
    document = {
        "sale": {
            "id": sale.id,
            "partner_id": sale.partner_id,
            "status": sale.status,
            "created_at": sale.created_at.isoformat(),
            "hold_expires_at": _iso(sale.hold_expires_at),
            "confirmed_at": _iso(sale.confirmed_at),
        },
        "lines": [
            {
                "id": item.row.id,
                "passholder_id": item.row.passholder_id,
                "card_number": item.row.card_number,
                "offer_id": item.row.offer_id,
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
                "activity_date": item.row.activity_date.isoformat(),
                "counted_on": None if item.counted_on is None else item.counted_on.isoformat(),
                "companion_of": item.row.companion_of,
                "voucher_id": item.row.voucher_id,
                "organisation_id": item.row.organisation_id,
                "allocation_id": item.row.allocation_id,
            }
            for item in items
        ],
        "funding": [
            {
                "sale_item_id": item.row.id,
                "scheme_code": share.scheme_code,
                "payer": share.payer,
                "payer_ref": share.payer_ref,
                "amount_cents": share.amount_cents,
            }
            for item in items
            for share in item.row.funding
        ],
        "claims": [
            {
                "item": item.item_index,
                "sale_item_id": item.row.id,
                "passholder_id": claim.owner or item.row.bearer_id,
                "bucket_key": claim.bucket_key,
                "tickets": claim.tickets,
                "discount_cents": claim.discount_cents,
                "max_tickets": claim.max_tickets,
                "max_discount_cents": claim.max_discount_cents,
            }
            for item in items
            for claim in item.usage
        ],
        "action": audit[0],
        "reads": [
            {"passholder_id": passholder_id, "region_id": region_id}
            for passholder_id, region_id in dict.fromkeys(audit[1])
        ],
        "event": {
            "region_id": event.region_id,
            "kind": event.kind,
            "entity_id": event.entity_id,
            "data": dict(event.data),
        },
    }
    row = (
        await session.execute(
            _REGISTER_SALE,
            {
                "client_id": sale.client_id,
                "key": key,
                "request_hash": request_hash,
                "sale": json.dumps(document, separators=(",", ":")),
            },
        )
    ).one()
    return Written(
        Outcome(row.outcome),
        row.item_index,
        None if row.first_sale_id is None else str(row.first_sale_id),
    )


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


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
            sa.select(sale_items, vouchers.c.code.label("voucher_code"))
            .outerjoin(vouchers, vouchers.c.id == sale_items.c.voucher_id)
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
                passholder_id=None if i.passholder_id is None else str(i.passholder_id),
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
                voucher_id=None if i.voucher_id is None else str(i.voucher_id),
                voucher_code=i.voucher_code,
                organisation_id=None if i.organisation_id is None else str(i.organisation_id),
                allocation_id=None if i.allocation_id is None else str(i.allocation_id),
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
class KeyRow:
    request_hash: str
    sale_id: uuid.UUID


_KEY = sa.select(idempotency_keys.c.request_hash, idempotency_keys.c.sale_id).where(
    idempotency_keys.c.client_id == sa.bindparam("client_id"),
    idempotency_keys.c.key == sa.bindparam("key"),
)


async def key_of(session: AsyncSession, client_id: str, key: str) -> KeyRow | None:
    """The sale a client's key made, once that sale committed (a key is written with its
    sale, by `write_sale`)."""
    row = (await session.execute(_KEY, {"client_id": client_id, "key": key})).first()
    return None if row is None else KeyRow(row.request_hash, row.sale_id)
