"""Register a sale: all items or none, limits consumed atomically, idempotent by key; then
confirm, cancel, read and list it.

A sale re-computes each item's quote and sells only at the tariff the desk chose: if that
tariff no longer holds the desk gets `price-changed` with the fresh quote, or
`limit-reached` when another desk used up the limit in the meantime
(app.domain.sale_lines). What it decided is written in one statement
(app.db.sales.write_sale); an idempotency key keeps the sale it made, and a retry is
answered with that sale as it is then. A confirm or cancel locks the sale and lets
app.domain.sales decide on it as it now is; this module writes what was decided and maps a
refusal to its problem.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.clock import date_in_brussels, utcnow
from app.db import changes, settlement
from app.db import maintenance as db_maintenance
from app.db import partners as db_partners
from app.db import sales as db
from app.db.changes import NewEvent
from app.db.offers import OfferRow, PriceClassRow
from app.db.partners import PartnerRow
from app.db.sales import FundingRow, ItemRow, NewItem, Outcome, SaleRow
from app.domain import sales as lifecycle
from app.domain.access import Principal, Tenant
from app.domain.cards import CardStatus
from app.domain.funding import FundingShare
from app.domain.groups import allocation_of
from app.domain.limits import UsageClaim, activity_day
from app.domain.pricing import CompanionTerms, Tariff, TariffPart
from app.domain.reasons import Reason
from app.domain.reports import settlement_day
from app.domain.sale_lines import (
    CompanionAsk,
    TariffGone,
    TooManyCompanions,
    chosen_tariff,
    companion_line,
    companions_refusal,
)
from app.domain.sales import Decision, Refusal, SaleFacts, SaleStatus, Transition
from app.domain.vouchers import VoucherRefusal
from app.errors import BadRequest, Conflict, NotFound, OpenPasError, Unprocessable
from app.services.access import ensure
from app.services.audit import record_reads
from app.services.lookup import parse_card_field
from app.services.quotes import (
    DESKS,
    MAX_QUANTITY,
    QuoteResult,
    budget_problem,
    card_problem,
    desk_offer,
    desk_quote,
    forget_offers,
    group_quote,
    is_unknown_card,
    offer_facts,
    quantity_problem,
    refuse_too_large,
    voucher_problem,
    voucher_quote,
)
from app.settings import Settings


@dataclass(frozen=True, slots=True)
class ForOrganisation:
    """A line sold to an organisation without a card (an accepted ticket request): under
    its allocation's scheme alone."""

    organisation_id: str
    scheme_code: str
    allocation_id: str


@dataclass(frozen=True, slots=True)
class SaleItemRequest:
    # Exactly one of the three: the line is sold on a card (a person's or a group card),
    # on a voucher, or to an organisation (`organisation`).
    card_number: str | None
    offer_id: str
    price_class: str
    # None: the best tariff of the fresh quote (a partner accepting a ticket request sells
    # at the allocation's tariff, not one a desk chose).
    tariff_id: str | None
    quantity: int
    # Companions' tickets at the tariff's companion price (0 to its `companions.max`).
    companions: int = 0
    voucher_code: str | None = None
    # An open-price offer's line: the regular price it is sold at (app.domain.offers).
    regular_price_cents: int | None = None
    organisation: ForOrganisation | None = None


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
        if isinstance(failure, PriceChanged) and failure.result.holder is not None:
            # The desk is shown the fresh quote: audited as a quote is (a voucher's quote
            # reads nothing personal).
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
        case Outcome.ALLOCATION_EXHAUSTED:
            # Another sale, voucher or accepted request took the allocation's last tickets.
            problem = allocation_exhausted()
            assert written.item_index is not None
            problem.at_item(written.item_index)
            raise problem
        case Outcome.SOLD:
            # The answer is built from what was written, not read back.
            return new.sale
        case Outcome.REPLAY:
            assert written.sale_id is not None
            return await read_sale(session, principal, written.sale_id)
        case Outcome.KEY_REUSED:
            raise _key_reused()
        case Outcome.OFFER_ARCHIVED | Outcome.PARTNER_ARCHIVED:
            # Archived while this sale was read and priced: forget what this process
            # keeps of its offers, and refuse as a quote now would.
            forget_offers(item.row.offer_id for item in new.items)
            raise Conflict(
                "An offer of this sale, or its partner, was archived meanwhile.",
                code=written.outcome.value,
            )
    assert written.item_index is not None
    on_voucher = any(
        item.item_index == written.item_index and item.row.voucher_id is not None
        for item in new.items
    )
    if on_voucher:
        # A desk at the same moment took the voucher's last tickets, or its allocation's
        # last budget.
        problem = (
            voucher_problem(VoucherRefusal.USED_UP)
            if written.outcome is Outcome.LIMIT_REACHED
            else budget_problem()
        )
    else:
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
    # (passholder_id, region_id) of every holder whose data the sale read: the audit rows
    # (a voucher's line reads nothing personal).
    holders: list[tuple[str, str]]
    event: NewEvent


async def _sell(
    session: AsyncSession, settings: Settings, principal: Principal, request: SaleRequest
) -> _NewSale:
    now = utcnow()
    sale_id = uuid.uuid4()
    lines: list[tuple[QuoteResult, Tariff, int]] = []
    asked: list[CompanionAsk] = []  # the companions of the lines so far
    claimed: dict[str, tuple[UsageClaim, ...]] = {}  # usage per holder, of the items so far
    partner_id = None
    for index, requested in enumerate(request.items):
        try:
            result, tariff = await _sell_item(session, principal, requested, asked, claimed, now)
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
            assert tariff.companions is not None  # checked by companions_refusal
            rows.append((_companions_row(next(ids), own, tariff.companions, companions), ()))
        new_items += [
            NewItem(
                row,
                index,
                None if result.holder is None else result.holder.municipality_nis,
                usage,
                None if on is None else settlement_day(row.activity_date, on),
            )
            for row, usage in rows
        ]
    sale = SaleRow(
        id=str(sale_id),
        partner_id=offer.partner_id,
        client_id=principal.client_id,
        status=SaleStatus.HELD if request.hold else SaleStatus.CONFIRMED,
        created_at=now,
        hold_expires_at=held_until,
        confirmed_at=None if request.hold else now,
        cancelled_at=None,
        items=tuple(item.row for item in new_items),
    )
    holders = [
        (r.holder.passholder_id, r.holder.region_id) for r, *_ in lines if r.holder is not None
    ]
    data: dict[str, Any] = {
        "partner_id": sale.partner_id,
        "passholder_ids": sorted({holder for holder, _ in holders}),
        "total_cents": sum(item.total_cents for item in sale.items),
    }
    organisations = sorted({r.group.facts.organisation_id for r, *_ in lines if r.group})
    if organisations:
        data["organisation_ids"] = organisations
    event = NewEvent(
        offer.partner_region_id,
        "sale.held" if request.hold else "sale.confirmed",
        sale.id,
        data,
    )
    return _NewSale(sale, new_items, holders, event)


async def _sell_item(
    session: AsyncSession,
    principal: Principal,
    requested: SaleItemRequest,
    asked: list[CompanionAsk],
    claimed: dict[str, tuple[UsageClaim, ...]],
    now: datetime,
) -> tuple[QuoteResult, Tariff]:
    """One item: quoted again, at the tariff the desk chose; its usage claimed with the
    sale's, when it is written."""
    offer, price_class = await desk_offer(
        session,
        principal,
        requested.offer_id,
        requested.price_class,
        requested.regular_price_cents,
    )
    if requested.organisation is not None:
        return await _sell_to_group(session, requested, offer, price_class, claimed, now)
    if requested.card_number is None:
        if requested.quantity > MAX_QUANTITY:
            raise quantity_problem()
        return await _sell_on_voucher(session, requested, offer, price_class, claimed, now)
    # Items are checked one after the other: a second item for the same holder sees the
    # usage the first one claims. The facts are read as a quote reads them, in this
    # transaction and unaudited (the sale's write audits the sale).
    try:
        result, facts = await desk_quote(
            session,
            offer,
            price_class,
            requested.card_number,
            requested.quantity,
            now,
            audited_for=None,
            claimed=claimed,
            regular_price_cents=requested.regular_price_cents,
        )
    except NotFound as unknown:
        if not is_unknown_card(unknown):
            raise
        return await _sell_to_group(session, requested, offer, price_class, claimed, now)
    if requested.quantity > MAX_QUANTITY:
        raise quantity_problem()
    holder = facts.holder
    if facts.has_lapsed_holds(now):
        # The counters still include what lapsed holds hold; the sale's claims check the
        # counters, so those holds are released first (the quote above already left them out).
        await release_expired_holds(session, holder.passholder_id, now)
    tariff = _chosen(result, requested.tariff_id)
    ask = CompanionAsk(holder.passholder_id, offer.id, requested.companions)
    too_many = companions_refusal(asked, ask, tariff.companions)
    if too_many is not None:
        raise _too_many_companions(too_many)
    asked.append(ask)
    claimed[holder.passholder_id] = claimed.get(holder.passholder_id, ()) + tariff.usage_claims
    return result, tariff


async def _sell_on_voucher(
    session: AsyncSession,
    requested: SaleItemRequest,
    offer: OfferRow,
    price_class: PriceClassRow,
    claimed: dict[str, tuple[UsageClaim, ...]],
    now: datetime,
) -> tuple[QuoteResult, Tariff]:
    """One item on a voucher: quoted again as a quote on it is, in this transaction; its
    tickets (and budget) are claimed by the sale's statement, so concurrent sales never
    redeem more than the voucher's people."""
    assert requested.voucher_code is not None  # the request model takes exactly one
    if requested.companions:
        raise _too_many_companions(TooManyCompanions(0))
    result, facts = await voucher_quote(
        session,
        offer,
        price_class,
        requested.voucher_code,
        requested.quantity,
        now,
        claimed=claimed,
        regular_price_cents=requested.regular_price_cents,
    )
    voucher = facts.voucher
    if facts.has_lapsed_holds(now):
        await release_expired_holds(session, voucher.voucher_id, now)
        await release_expired_holds(session, voucher.allocation_id, now)
    tariff = _chosen(result, requested.tariff_id)
    claimed[voucher.voucher_id] = claimed.get(voucher.voucher_id, ()) + tariff.usage_claims
    return result, tariff


async def _sell_to_group(
    session: AsyncSession,
    requested: SaleItemRequest,
    offer: OfferRow,
    price_class: PriceClassRow,
    claimed: dict[str, tuple[UsageClaim, ...]],
    now: datetime,
) -> tuple[QuoteResult, Tariff]:
    """One item to an organisation: on its group card, or for its ticket request. Quoted
    again as a quote on it is, in this transaction; its tickets are taken from the
    allocation by the sale's statement, so concurrent sales, vouchers and accepted requests
    never take more than the allocation has."""
    if requested.companions:
        raise _too_many_companions(TooManyCompanions(0))
    bearer = requested.organisation
    result, facts = await group_quote(
        session,
        offer,
        price_class,
        requested.quantity,
        now,
        card_number=None
        if requested.card_number is None
        else parse_card_field(requested.card_number),
        organisation_id=None if bearer is None else bearer.organisation_id,
        scheme_code=None if bearer is None else bearer.scheme_code,
        allocation_id=None if bearer is None else bearer.allocation_id,
        claimed=claimed,
        regular_price_cents=requested.regular_price_cents,
    )
    if facts.has_lapsed_holds(now):
        await release_expired_holds(session, facts.organisation_id, now)
        for allocation in facts.allocations:
            await release_expired_holds(session, allocation.allocation_id, now)
    tariff = _chosen(result, requested.tariff_id)
    owner = facts.organisation_id
    claimed[owner] = claimed.get(owner, ()) + tariff.usage_claims
    return result, tariff


def allocation_exhausted() -> Conflict:
    return Conflict(
        "The organisation's allocation has not enough tickets left for this sale.",
        code="allocation-exhausted",
    )


def _chosen(result: QuoteResult, tariff_id: str | None) -> Tariff:
    if tariff_id is None:
        # The best of the fresh quote (a ticket request accepted); none: why not.
        best = result.quote.best
        if best is not None:
            return best
        refuse_too_large(result)
        if any(r.reason in _ALLOCATION_REASONS for r in result.quote.not_applicable):
            raise allocation_exhausted()
        raise Conflict(
            "No tariff of the allocation's scheme applies to this offer now.",
            code="no-tariff",
        )
    chosen = chosen_tariff(result.quote, tariff_id)
    if result.voucher is not None and chosen is TariffGone.BUDGET_EXHAUSTED:
        raise budget_problem()
    match chosen:
        case TariffGone.CARD_BLOCKED:
            raise card_problem(CardStatus.BLOCKED)
        case TariffGone.CARD_REPLACED:
            raise card_problem(CardStatus.REPLACED)
        case TariffGone.LIMIT_REACHED:
            raise _limit_error(True)
        case TariffGone.BUDGET_EXHAUSTED:
            raise _limit_error(False)
        case TariffGone.ALLOCATION_EXHAUSTED:
            raise allocation_exhausted()
        case TariffGone.GROUP_TOO_LARGE:
            refuse_too_large(result)
            raise PriceChanged(result)
        case TariffGone.PRICE_CHANGED:
            raise PriceChanged(result)
    return chosen


_ALLOCATION_REASONS = frozenset({Reason.ALLOCATION_EXHAUSTED, Reason.NO_ALLOCATION})


def _too_many_companions(refusal: TooManyCompanions) -> Unprocessable:
    most = refusal.most
    detail = (
        "this tariff admits no companions"
        if most == 0
        else f"this tariff admits at most {most} companion{'s' if most > 1 else ''} "
        "per holder and offer in one sale"
    )
    return Unprocessable(
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
            # Nothing of the sale is written yet (its one write comes after every check);
            # what stands is the audit row of the fresh quote the desk is shown.
            keeps_work=True,
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


def _parts(parts: Sequence[TariffPart]) -> list[dict[str, Any]]:
    """A line's `parts` as stored: which scheme version took off how much."""
    return [
        {"code": p.scheme_code, "version": p.scheme_version, "discount_cents": p.discount_cents}
        for p in parts
    ]


def _funding(shares: Sequence[FundingShare]) -> tuple[FundingRow, ...]:
    return tuple(
        FundingRow(share.scheme_code, share.payer, share.payer_ref, share.amount_cents)
        for share in shares
    )


def _item_row(item_id: uuid.UUID, result: QuoteResult, tariff: Tariff) -> ItemRow:
    """The line as sold: the tariff the desk chose, on the quote it was chosen from."""
    holder, voucher, group = result.holder, result.voucher, result.group
    card_number = holder.card_number if holder is not None else None
    if group is not None:
        card_number = group.facts.card_number
    return ItemRow(
        id=str(item_id),
        passholder_id=None if holder is None else holder.passholder_id,
        card_number=card_number,
        offer_id=result.offer.id,
        price_class=result.price_class.code,
        scheme_code=tariff.scheme_code,
        scheme_version=tariff.scheme_version,
        parts=_parts(tariff.parts),
        label=db.fit_label(tariff.label.nl),
        quantity=tariff.quantity,
        regular_price_cents=result.quote.regular_price_cents,
        unit_price_cents=tariff.unit_price_cents,
        total_cents=tariff.total_cents,
        discount_cents=tariff.discount_cents,
        activity_date=activity_day(offer_facts(result.offer), result.at),
        funding=_funding(tariff.funding),
        voucher_id=None if voucher is None else voucher.facts.voucher_id,
        voucher_code=None if voucher is None else voucher.facts.code,
        organisation_id=None if group is None else group.facts.organisation_id,
        allocation_id=None if group is None else allocation_of(tariff),
    )


def _companions_row(
    item_id: uuid.UUID, holder_line: ItemRow, terms: CompanionTerms, count: int
) -> ItemRow:
    """The companions' line (app.domain.sale_lines.companion_line) next to a holder's."""
    line = companion_line(terms, count)
    return ItemRow(
        id=str(item_id),
        passholder_id=holder_line.passholder_id,
        card_number=holder_line.card_number,
        offer_id=holder_line.offer_id,
        price_class=holder_line.price_class,
        scheme_code=line.scheme_code,
        scheme_version=line.scheme_version,
        parts=_parts(line.parts),
        label=db.fit_label(line.label),
        quantity=line.quantity,
        regular_price_cents=holder_line.regular_price_cents,
        unit_price_cents=line.unit_price_cents,
        total_cents=line.total_cents,
        discount_cents=line.discount_cents,
        activity_date=holder_line.activity_date,
        funding=_funding(line.funding),
        companion_of=holder_line.id,
    )


# --- a sale's life: decided by app.domain.sales on the locked sale, written here ------------


def _facts(sale: SaleRow) -> SaleFacts:
    return SaleFacts(sale.status, sale.created_at, sale.hold_expires_at)


def _sale_key(sale_id: str) -> uuid.UUID:
    try:
        return uuid.UUID(sale_id)
    except ValueError:
        raise NotFound(f"No sale {sale_id[:64]!r}.") from None


async def _locked(session: AsyncSession, principal: Principal, sale_id: str) -> SaleRow:
    """One of the partner's own sales, locked: see app.db.sales.lock_sale."""
    sale = await db.lock_sale(session, _sale_key(sale_id))
    if sale is None:
        raise NotFound(f"No sale {sale_id}.")
    ensure(principal, DESKS, Tenant(partner_id=sale.partner_id), hide=True)
    return sale


async def _carry_out(
    session: AsyncSession,
    sale: SaleRow,
    decision: Decision,
    now: datetime,
    partner: PartnerRow | None = None,
) -> SaleRow:
    """Make the decision's move on the locked `sale`; the sale as it then is."""
    move = decision.transition
    if move is None:
        return sale
    key = uuid.UUID(sale.id)
    moved = await db.set_status(session, key, before=move.before, values=_stamped(move, now))
    assert moved, "the sale is locked, so it is still in the status decided on"
    if move.ends_hold:
        await db.end_hold(session, key)
    if move.gives_back_usage:
        await db.give_back_usage(session, key)
    if move.settlement_sign:
        await settlement.book(session, key, move.settlement_sign, _settlement_days(sale, now))
    event = _EVENTS.get(move.after)
    if event is not None:
        partner = partner or await _partner(session, sale)
        await changes.record(
            session, [NewEvent(partner.region_id, event, sale.id, {"partner_id": partner.id})], now
        )
    [current] = await db.get_sales(session, [key])
    return current


# The change feed tells regional systems about confirmations and cancellations; a lapsed
# hold never counted anywhere, so its end is no event.
_EVENTS = {SaleStatus.CONFIRMED: "sale.confirmed", SaleStatus.CANCELLED: "sale.cancelled"}


def _stamped(move: Transition, now: datetime) -> dict[str, Any]:
    values: dict[str, Any] = {"status": move.after}
    if move.after == SaleStatus.CONFIRMED:
        values["confirmed_at"] = now
    elif move.after == SaleStatus.CANCELLED:
        values["cancelled_at"] = now
    return values


def _refused(decision: Decision) -> Conflict:
    """The desk's problem; what the decision carried out before it (a lapsed hold
    released) stands."""
    problem = _refusal(decision)
    problem.keeps_work = True
    return problem


def _refusal(decision: Decision) -> Conflict:
    match decision.refusal:
        case Refusal.HOLD_EXPIRED:
            return Conflict(
                "The hold expired; its tickets were released. Sell again.", code="hold-expired"
            )
        case Refusal.NOT_HELD:
            return Conflict(
                f"The sale is {decision.status}; only a hold can be confirmed.",
                code="sale-not-held",
            )
        case Refusal.NOT_ACTIVE:
            return Conflict(
                f"The sale is {decision.status}; there is nothing to cancel.",
                code="sale-not-active",
            )
        case Refusal.WINDOW_PASSED:
            return Conflict(
                "The partner's cancellation window for this sale has passed.",
                code="cancellation-window-passed",
            )
    raise AssertionError(f"no refusal in {decision}")


async def _release_if_lapsed(session: AsyncSession, sale_id: uuid.UUID) -> SaleRow | None:
    """Expire the sale if it is a hold that lapsed, deciding on it locked (another request
    may have confirmed, cancelled or expired it meanwhile); None if there is no such sale."""
    sale = await db.lock_sale(session, sale_id)
    if sale is None:
        return None
    now = utcnow()
    return await _carry_out(session, sale, lifecycle.as_read(_facts(sale), now), now)


async def release_expired_holds(session: AsyncSession, passholder_id: str, now: datetime) -> None:
    """Give back what the holder's lapsed holds still hold, before a sale claims usage."""
    for sale_id, held_until in await db.holds_of_holder(session, passholder_id):
        if lifecycle.hold_lapsed(held_until, now):
            await _release_if_lapsed(session, sale_id)


async def release_lapsed_holds(session: AsyncSession, now: datetime, *, limit: int) -> int:
    """The periodic job's part: release up to `limit` holds whose time ran out, whoever's
    they are, so their usage does not wait for a reader (the holds a sale, a read or a
    list meets are still released on the way). How many were released."""
    released = 0
    for sale_id, hold_expires_at in await db_maintenance.lapsed_holds(session, now, limit):
        if not lifecycle.hold_lapsed(hold_expires_at, now):
            continue
        sale = await _release_if_lapsed(session, sale_id)
        if sale is not None and sale.status == SaleStatus.EXPIRED:
            released += 1
    return released


async def read_sale(session: AsyncSession, principal: Principal, sale_id: str) -> SaleRow:
    """One of the partner's own sales, as it is now: a hold whose time ran out is released
    on the way, so it reads as expired — to GET, confirm and cancel alike, whether or not
    something released it before."""
    key = _sale_key(sale_id)
    found = await db.get_sales(session, [key])
    if not found:
        raise NotFound(f"No sale {sale_id}.")
    sale = found[0]
    ensure(principal, DESKS, Tenant(partner_id=sale.partner_id), hide=True)
    if lifecycle.as_read(_facts(sale), utcnow()).transition is None:
        return sale  # the usual read: nothing to release, nothing locked
    return await _release_if_lapsed(session, key) or sale


async def confirm_sale(session: AsyncSession, principal: Principal, sale_id: str) -> SaleRow:
    """Confirm a hold; a confirmed sale is answered as it is (a retry, a second desk)."""
    sale = await _locked(session, principal, sale_id)
    now = utcnow()  # read once the lock is ours: the hold may have lapsed while we waited
    decision = lifecycle.confirm(_facts(sale), now)
    current = await _carry_out(session, sale, decision, now)
    if decision.refusal is not None:
        raise _refused(decision)
    return current


async def cancel_sale(session: AsyncSession, principal: Principal, sale_id: str) -> SaleRow:
    """Cancel a sale or release a hold; a cancelled sale is answered as it is."""
    sale = await _locked(session, principal, sale_id)
    partner = await _partner(session, sale)
    now = utcnow()
    decision = lifecycle.cancel(_facts(sale), now, partner.cancellation_window_hours)
    current = await _carry_out(session, sale, decision, now, partner)
    if decision.refusal is not None:
        raise _refused(decision)
    return current


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
    status: SaleStatus | None,
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
    for sale_id, hold_expires_at in await db.holds_of_partner(session, partner.id):
        if lifecycle.hold_lapsed(hold_expires_at, now):
            await _release_if_lapsed(session, sale_id)
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
