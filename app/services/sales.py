"""Register a sale: all items or none, limits consumed atomically, idempotent by key.

A sale re-computes each item's quote and sells only at the tariff the desk chose: if that
tariff no longer holds the desk gets `price-changed` with the fresh quote, or
`limit-reached` when another desk used up the limit in the meantime. What it decided is
written in one statement (app.db.sales.write_sale); an idempotency key keeps the sale it
made, and a retry is answered with that sale as it is then.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.clock import date_in_brussels, utcnow
from app.db import changes, settlement
from app.db import partners as db_partners
from app.db import sales as db
from app.db.changes import NewEvent
from app.db.partners import PartnerRow
from app.db.sales import FundingRow, ItemRow, NewItem, Outcome, SaleRow
from app.domain.access import Principal, Tenant
from app.domain.limits import UsageClaim
from app.domain.pricing import CompanionTerms, Tariff
from app.domain.reasons import Reason
from app.domain.reports import settlement_day
from app.errors import BadRequest, Conflict, NotFound, OpenPasError, Unprocessable
from app.services.access import ensure
from app.services.audit import record_reads
from app.services.quotes import (
    DESKS,
    QuoteResult,
    activity_date,
    compute_quote,
    desk_offer,
    load_card_holder,
)
from app.settings import Settings

LIMIT_REASONS = {Reason.LIMIT_REACHED, Reason.QUANTITY_EXCEEDS_LIMIT}
# The label of a companions' line (labels are stored in Dutch, as a tariff's).
COMPANION_LABEL = "Begeleider"


@dataclass(frozen=True, slots=True)
class SaleItemRequest:
    card_number: str
    offer_id: str
    price_class: str
    tariff_id: str
    quantity: int
    # Companions' tickets at the tariff's companion price (0 to its `companions.max`).
    companions: int = 0


@dataclass(frozen=True, slots=True)
class SaleRequest:
    items: tuple[SaleItemRequest, ...]
    hold: bool


def request_hash(body: Any) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


async def register_sale(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    *,
    idempotency_key: str | None,
    body_hash: str,
    request: SaleRequest,
) -> SaleRow:
    """Run a sale once per idempotency key; a retry gets the key's sale back, as it is now.

    Every item is read and priced first; then the whole sale is written in one statement
    (app.db.sales.write_sale), which takes the key and claims the limits atomically, or
    finds the key taken and names its sale. Nothing here commits: the request's unit of
    work does, and a refused sale has written nothing.

    The key is not looked up first: retries are rare, and a retry is recognised by the
    write (which waits for a first request still running), or, when its reads fail (the
    first request used up the limit, say), by looking the key up then.
    """
    if not idempotency_key:
        raise BadRequest(
            "POST /v1/sales needs an Idempotency-Key header (a fresh random value per sale).",
            code="idempotency-key-missing",
        )
    try:
        new = await _sell(session, settings, principal, request)
    except OpenPasError as failure:
        # A first request with this key may have committed, with the very usage that now
        # refuses this one: its sale is the answer.
        first = await _sale_of_key(session, principal, idempotency_key, body_hash)
        if first is not None:
            return first
        if isinstance(failure, PriceChanged):
            # The desk is shown the fresh quote: audited as a quote is.
            shown = failure.result.holder
            await record_reads(
                session, principal, "quote", [(shown.passholder_id, shown.region_id)]
            )
        raise
    written = await db.write_sale(
        session,
        new.sale,
        new.items,
        key=idempotency_key,
        request_hash=body_hash,
        audit=("sale", new.holders),
        event=new.event,
    )
    match written.outcome:
        case Outcome.SOLD:
            # The answer is built from what was written, not read back.
            return new.sale
        case Outcome.REPLAY:
            assert written.sale_id is not None
            return await read_sale(session, principal, written.sale_id)
        case Outcome.KEY_REUSED:
            raise _key_reused()
    assert written.item_index is not None
    problem = _limit_error(written.outcome is Outcome.LIMIT_REACHED)
    problem.at_item(written.item_index)
    raise problem


async def _sale_of_key(
    session: AsyncSession, principal: Principal, key: str, body_hash: str
) -> SaleRow | None:
    """The sale a committed request with this key made, as it is now; None if none did."""
    found = await db.key_of(session, principal.client_id, key)
    if found is None:
        return None
    if found.request_hash != body_hash:
        raise _key_reused()
    return await read_sale(session, principal, str(found.sale_id))


def _key_reused() -> Unprocessable:
    return Unprocessable(
        "This Idempotency-Key was used for a different request.", code="idempotency-key-reused"
    )


@dataclass(frozen=True, slots=True)
class _NewSale:
    """A sale as decided, before it is written."""

    sale: SaleRow
    items: list[NewItem]
    # (passholder_id, region_id) of every holder whose data the sale read: the audit rows.
    holders: list[tuple[str, str]]
    event: NewEvent


async def _sell(
    session: AsyncSession, settings: Settings, principal: Principal, request: SaleRequest
) -> _NewSale:
    now = utcnow()
    sale_id = uuid.uuid4()
    lines: list[tuple[QuoteResult, Tariff, int]] = []
    brought: Counter[tuple[str, str]] = Counter()  # companions per holder and offer
    claimed: dict[str, tuple[UsageClaim, ...]] = {}  # usage per holder, of the items so far
    partner_id = None
    for index, requested in enumerate(request.items):
        try:
            result, tariff = await _sell_item(session, principal, requested, brought, claimed, now)
        except OpenPasError as problem:
            problem.at_item(index)  # which of the items: its index, and pointers under it
            raise
        if partner_id not in (None, result.offer.partner_id):
            raise Unprocessable(
                "All items of one sale are for the same partner.",
                extra={
                    "errors": [{"pointer": f"/items/{index}/offer_id", "detail": "another partner"}]
                },
            )
        partner_id = result.offer.partner_id
        lines.append((result, tariff, requested.companions))

    offer = lines[0][0].offer
    held_until = now + timedelta(minutes=settings.hold_minutes) if request.hold else None
    # Line ids in ascending order, as the lines were asked (a holder's line, then its
    # companions' line): a sale read back, ordered by id, lists them as this answer does.
    ids = iter(sorted(uuid.uuid4() for _ in range(len(lines) + sum(c > 0 for *_, c in lines))))
    # A sale written confirmed counts in the settlement from its lines' day.
    on = None if request.hold else date_in_brussels(now)
    new_items: list[NewItem] = []
    for index, (result, tariff, companions) in enumerate(lines):
        own = _item_row(next(ids), result, tariff)
        rows = [(own, tariff.usage_claims)]
        if companions:
            assert tariff.companions is not None  # checked by _check_companions
            rows.append((_companions_row(next(ids), own, tariff.companions, companions), ()))
        new_items += [
            NewItem(
                row,
                index,
                result.holder.municipality_nis,
                usage,
                None if on is None else settlement_day(row.activity_date, on),
            )
            for row, usage in rows
        ]
    sale = SaleRow(
        id=str(sale_id),
        partner_id=offer.partner_id,
        client_id=principal.client_id,
        status="held" if request.hold else "confirmed",
        created_at=now,
        hold_expires_at=held_until,
        confirmed_at=None if request.hold else now,
        cancelled_at=None,
        items=tuple(item.row for item in new_items),
    )
    holders = [(r.holder.passholder_id, r.holder.region_id) for r, *_ in lines]
    event = NewEvent(
        offer.partner_region_id,
        "sale.held" if request.hold else "sale.confirmed",
        sale.id,
        {
            "partner_id": sale.partner_id,
            "passholder_ids": sorted({holder for holder, _ in holders}),
            "total_cents": sum(item.total_cents for item in sale.items),
        },
    )
    return _NewSale(sale, new_items, holders, event)


async def _sell_item(
    session: AsyncSession,
    principal: Principal,
    requested: SaleItemRequest,
    brought: Counter[tuple[str, str]],
    claimed: dict[str, tuple[UsageClaim, ...]],
    now: datetime,
) -> tuple[QuoteResult, Tariff]:
    """One item: quoted again, at the tariff the desk chose; its usage claimed with the
    sale's, when it is written."""
    offer, price_class = await desk_offer(
        session, principal, requested.offer_id, requested.price_class
    )
    holder = await load_card_holder(session, requested.card_number)
    await release_expired_holds(session, holder.passholder_id, now)
    # Items are checked one after the other: a second item for the same holder sees the
    # usage the first one claims.
    earlier = claimed.get(holder.passholder_id, ())
    result = await compute_quote(
        session, holder, offer, price_class, requested.quantity, now, earlier
    )
    tariff = _chosen(result, requested.tariff_id)
    # The maximum is per holder and offer: splitting a sale into lines does not raise it.
    brought[holder.passholder_id, offer.id] += requested.companions
    _check_companions(tariff, brought[holder.passholder_id, offer.id])
    claimed[holder.passholder_id] = earlier + tariff.usage_claims
    return result, tariff


def _chosen(result: QuoteResult, tariff_id: str) -> Tariff:
    for tariff in result.quote.tariffs:
        if tariff.tariff_id == tariff_id:
            return tariff
    # The id starts with its scheme's code: was that scheme's limit used up meanwhile?
    scheme_code = tariff_id.split(".", 1)[0]
    for missing in result.quote.not_applicable:
        if missing.scheme_code == scheme_code and missing.reason in LIMIT_REASONS:
            raise _limit_error(True)
        if missing.scheme_code == scheme_code and missing.reason == Reason.BUDGET_EXHAUSTED:
            raise _limit_error(False)
    raise PriceChanged(result)


def _check_companions(tariff: Tariff, companions: int) -> None:
    most = 0 if tariff.companions is None else tariff.companions.max
    if companions > most:
        detail = (
            "this tariff admits no companions"
            if most == 0
            else f"this tariff admits at most {most} companion{'s' if most > 1 else ''} "
            "per holder and offer in one sale"
        )
        raise Unprocessable(
            f"{detail[0].upper()}{detail[1:]}.",
            code="too-many-companions",
            extra={"errors": [{"pointer": "/companions", "detail": detail}]},
        )


class PriceChanged(Conflict):
    """The chosen tariff no longer holds; the desk gets the fresh quote to sell at."""

    def __init__(self, result: QuoteResult) -> None:
        super().__init__(
            "The chosen tariff no longer holds; sell at a tariff of the fresh quote.",
            code="price-changed",
            extra={"best_tariff_id": result.quote.best_tariff_id},
        )
        self.result = result


def _limit_error(count_limit: bool) -> Conflict:
    if count_limit:
        return Conflict(
            "The holder has no tickets left under this tariff's limit.", code="limit-reached"
        )
    return Conflict(
        "The holder's discount budget does not cover this sale.", code="budget-exhausted"
    )


def _item_row(item_id: uuid.UUID, result: QuoteResult, tariff: Tariff) -> ItemRow:
    """The line as sold: the tariff the desk chose, on the quote it was chosen from."""
    return ItemRow(
        id=str(item_id),
        passholder_id=result.holder.passholder_id,
        card_number=result.holder.card_number,
        offer_id=result.offer.id,
        price_class=result.price_class.code,
        scheme_code=tariff.scheme_code,
        scheme_version=tariff.scheme_version,
        parts=[
            {"code": p.scheme_code, "version": p.scheme_version, "discount_cents": p.discount_cents}
            for p in tariff.parts
        ],
        label=db.fit_label(tariff.label.nl),
        quantity=tariff.quantity,
        regular_price_cents=result.quote.regular_price_cents,
        unit_price_cents=tariff.unit_price_cents,
        total_cents=tariff.total_cents,
        discount_cents=tariff.discount_cents,
        activity_date=activity_date(result.offer) or result.at,
        funding=tuple(
            FundingRow(share.scheme_code, share.payer, share.payer_ref, share.amount_cents)
            for share in tariff.funding
        ),
    )


def _companions_row(
    item_id: uuid.UUID, holder_line: ItemRow, terms: CompanionTerms, count: int
) -> ItemRow:
    """The companions' tickets next to a holder's line: at the companion price on the
    regular price, funded by the base scheme's key, using up no limit."""
    return ItemRow(
        id=str(item_id),
        passholder_id=holder_line.passholder_id,
        card_number=holder_line.card_number,
        offer_id=holder_line.offer_id,
        price_class=holder_line.price_class,
        scheme_code=terms.scheme_code,
        scheme_version=terms.scheme_version,
        parts=[
            {
                "code": terms.scheme_code,
                "version": terms.scheme_version,
                "discount_cents": terms.discount_cents,
            }
        ],
        label=db.fit_label(f"{COMPANION_LABEL} ({terms.scheme_name.nl})"),
        quantity=count,
        regular_price_cents=holder_line.regular_price_cents,
        unit_price_cents=terms.unit_price_cents,
        total_cents=terms.unit_price_cents * count,
        discount_cents=terms.discount_cents,
        activity_date=holder_line.activity_date,
        funding=tuple(
            FundingRow(share.scheme_code, share.payer, share.payer_ref, share.amount_cents)
            for share in terms.funding(count)
        ),
        companion_of=holder_line.id,
    )


async def release_expired_holds(session: AsyncSession, passholder_id: str, now: datetime) -> None:
    for sale_id in await db.expired_holds_of(session, passholder_id, now):
        await _expire(session, sale_id, now)


async def _expire(session: AsyncSession, sale_id: uuid.UUID, now: datetime) -> bool:
    """A hold whose time ran out gives its usage back, once."""
    return await _release(session, sale_id, "expired", now, from_statuses=("held",))


async def _release(
    session: AsyncSession,
    sale_id: uuid.UUID,
    status: str,
    now: datetime,
    *,
    from_statuses: Sequence[str],
) -> bool:
    """Move the sale to `status` and give its usage back, exactly once."""
    values: dict[str, Any] = {"status": status}
    if status == "cancelled":
        values["cancelled_at"] = now
    if not await db.set_status(session, sale_id, from_statuses=from_statuses, values=values):
        return False
    await db.give_back_usage(session, sale_id)
    await db.end_hold(session, sale_id)
    return True


async def read_sale(
    session: AsyncSession, principal: Principal, sale_id: str, now: datetime | None = None
) -> SaleRow:
    """One of the partner's own sales, as it is at `now`: a hold whose time ran out is
    released on the way, so it reads as expired — to GET, confirm and cancel alike, whether
    or not something released it before."""
    try:
        key = uuid.UUID(sale_id)
    except ValueError:
        raise NotFound(f"No sale {sale_id[:64]!r}.") from None
    found = await db.get_sales(session, [key])
    if not found:
        raise NotFound(f"No sale {sale_id}.")
    sale = found[0]
    ensure(principal, DESKS, Tenant(partner_id=sale.partner_id), hide=True)
    now = now or utcnow()
    if sale.status != "held" or sale.hold_expires_at is None or sale.hold_expires_at > now:
        return sale
    if await _expire(session, key, now):
        await session.commit()
    [current] = await db.get_sales(session, [key])
    return current


_HOLD_EXPIRED = "The hold expired; its tickets were released. Sell again."


async def confirm_sale(session: AsyncSession, principal: Principal, sale_id: str) -> SaleRow:
    now = utcnow()
    sale = await read_sale(session, principal, sale_id, now)
    if sale.status == "confirmed":
        return sale  # confirming twice is harmless
    if sale.status == "expired":
        raise Conflict(_HOLD_EXPIRED, code="hold-expired")
    if sale.status != "held":
        raise Conflict(
            f"The sale is {sale.status}; only a hold can be confirmed.", code="sale-not-held"
        )
    key = uuid.UUID(sale.id)
    if not await db.set_status(
        session,
        key,
        from_statuses=("held",),
        values={"status": "confirmed", "confirmed_at": now},
        held_until_after=now,
    ):
        # Its time ran out between the read and now.
        await _expire(session, key, now)
        await session.commit()
        raise Conflict(_HOLD_EXPIRED, code="hold-expired")
    await db.end_hold(session, key)
    await settlement.book(session, key, +1, _settlement_days(sale, now))
    partner = await _partner(session, sale)
    await changes.record(
        session,
        [NewEvent(partner.region_id, "sale.confirmed", sale.id, {"partner_id": partner.id})],
        now,
    )
    await session.commit()
    [confirmed] = await db.get_sales(session, [key])
    return confirmed


async def cancel_sale(session: AsyncSession, principal: Principal, sale_id: str) -> SaleRow:
    now = utcnow()
    sale = await read_sale(session, principal, sale_id, now)
    if sale.status == "cancelled":
        return sale
    if sale.status not in ("confirmed", "held"):
        raise Conflict(
            f"The sale is {sale.status}; there is nothing to cancel.", code="sale-not-active"
        )
    partner = await _partner(session, sale)
    # The window is the partner's promise about sales; a hold is a reservation the desk may
    # always release before it lapses (even at a partner that takes no cancellations).
    window = timedelta(hours=partner.cancellation_window_hours)
    if sale.status == "confirmed" and now > sale.created_at + window:
        raise Conflict(
            "The partner's cancellation window for this sale has passed.",
            code="cancellation-window-passed",
        )
    key = uuid.UUID(sale.id)
    # Only from the status read above: a hold confirmed meanwhile must be taken off the
    # settlement sums, which this cancel would not know to do.
    if not await _release(session, key, "cancelled", now, from_statuses=(sale.status,)):
        raise Conflict("The sale changed at the same moment; read it again.", code="conflict")
    if sale.status == "confirmed":
        await settlement.book(session, key, -1, _settlement_days(sale, now))
    await changes.record(
        session,
        [NewEvent(partner.region_id, "sale.cancelled", sale.id, {"partner_id": partner.id})],
        now,
    )
    await session.commit()
    [cancelled] = await db.get_sales(session, [key])
    return cancelled


def _settlement_days(sale: SaleRow, now: datetime) -> dict[str, date]:
    """The day each line counts on (or is taken off on) when its sale is confirmed (or
    cancelled) `now`: in a closed month's stead, the first day of this month."""
    on = date_in_brussels(now)
    return {item.id: settlement_day(item.activity_date, on) for item in sale.items}


async def _partner(session: AsyncSession, sale: SaleRow) -> PartnerRow:
    partner = await db_partners.get_partner(session, uuid.UUID(sale.partner_id))
    assert partner is not None  # a sale's partner is a foreign key
    return partner


@dataclass(frozen=True, slots=True)
class SalesPage:
    sales: list[SaleRow]
    next_position: tuple[datetime, str] | None


async def list_sales(
    session: AsyncSession,
    principal: Principal,
    *,
    partner_id: str | None,
    status: str | None,
    offer_id: str | None,
    since: datetime | None,
    until: datetime | None,
    before: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> SalesPage:
    """A partner's own sales, newest first; expired holds are released on the way."""
    if partner_id is None:
        own = principal.partner_ids(DESKS)
        if len(own) != 1:
            raise Unprocessable(
                "Give partner_id: this client is not tied to exactly one partner.",
                extra={"errors": [{"parameter": "partner_id", "detail": "required"}]},
            )
        [partner_id] = own
    partner = await db_partners.get_partner(session, uuid.UUID(partner_id))
    if partner is None:
        raise NotFound(f"No partner {partner_id}.")
    ensure(principal, DESKS, Tenant(region_id=partner.region_id, partner_id=partner.id), hide=False)
    now = utcnow()
    expired = await db.expired_holds_of_partner(session, partner.id, now)
    for sale_id in expired:
        await _expire(session, sale_id, now)
    if expired:
        await session.commit()
    found = await db.list_sale_ids(
        session,
        partner_id=partner.id,
        status=status,
        offer_id=offer_id,
        since=since,
        until=until,
        before=before,
        limit=limit + 1,
    )
    more = len(found) > limit
    found = found[:limit]
    sales = await db.get_sales(session, [sale_id for _, sale_id in found])
    last = (found[-1][0], str(found[-1][1])) if more and found else None
    return SalesPage(sales, last)
