"""Quote: what does this card holder pay for this offer, at every scheme that applies.

Load the facts (card and holder, statuses, usage), decide with the pure price calculation,
and tell the desk the tariffs — never why the holder qualifies. A card the desk may not sell
on is the calculation's answer too (`Quote.card_refused`), told as its problem here.

A voucher of a social organisation is quoted on the same path: one read of its facts
(app.db.pricing.voucher_facts), the same price calculation over its allocation's scheme
alone, for an anonymous bearer (app.domain.vouchers.priced_on_voucher adds what the
voucher allows). The desk learns the tariff and the tickets left on the voucher, nothing
about who it is for.

A group card (app.domain.groups) is a card number too: a number that is no person's card is
looked up among group cards, and quoted with the group schemes only, for the organisation
as an anonymous group (app.domain.groups.priced_for_group takes the tickets from its
allocation). The desk learns the organisation's name, nothing about its members. A ticket
request a partner accepts is priced on the same path, for the organisation without a card,
under its allocation's scheme alone.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.clock import date_in_brussels, utcnow
from app.db import groups as db_groups
from app.db import offers as db_offers
from app.db import pricing as db
from app.db.groups import GroupFacts
from app.db.offers import OfferRow, PriceClassRow
from app.db.pricing import CardHolder, DeskFacts, VoucherDeskFacts
from app.domain.access import Principal, Role, Tenant
from app.domain.cards import CardStatus
from app.domain.facts import HolderFacts, OfferFacts, PriceClass
from app.domain.groups import ALLOCATION_BUCKET, AllocationAtHand, priced_for_group, too_large
from app.domain.limits import UsageAmount, UsageClaim, with_claims
from app.domain.offers import (
    NotSellable,
    OpenPriceRefusal,
    activity_date,
    not_sellable,
    regular_price,
)
from app.domain.pricing import Quote, price, usage_keys
from app.domain.schemes import SchemeDefinition
from app.domain.vouchers import (
    BUDGET_BUCKET,
    VOUCHER_BUCKET,
    VoucherFacts,
    VoucherRefusal,
    budget_left,
    desk_refusal,
    normalise_code,
    priced_on_voucher,
    tickets_left,
)
from app.errors import Conflict, NotFound, Unprocessable
from app.services.access import ensure
from app.services.catalog import CATALOG, Catalog
from app.services.lookup import parse_card_field

DESKS = frozenset({Role.DESK, Role.PARTNER_ADMIN})
# The most tickets of one line on a person's card or a voucher; a group card's line may
# have up to its scheme's max_group_size (app.domain.schemes.MAX_GROUP_SIZE at most).
MAX_QUANTITY = 20


@dataclass(frozen=True, slots=True)
class VoucherAtDesk:
    """A voucher as the desk may know it: how many people, how many tickets are left."""

    facts: VoucherFacts
    tickets_left: int
    budget_left_cents: int | None


@dataclass(frozen=True, slots=True)
class GroupAtDesk:
    """A group as the desk may know it: the organisation's name, nothing of its members."""

    facts: GroupFacts


@dataclass(frozen=True, slots=True)
class QuoteResult:
    # The card's holder; None for a quote on a voucher (then `voucher`).
    holder: CardHolder | None
    offer: OfferRow
    price_class: PriceClassRow
    quantity: int
    at: date
    quote: Quote
    schemes: tuple[SchemeDefinition, ...]
    voucher: VoucherAtDesk | None = None
    # On a group card, or for a ticket request: the organisation (then `holder` is None).
    group: GroupAtDesk | None = None

    @property
    def bearer_id(self) -> str:
        """Whose counters the line's usage is on: the holder's, the voucher's or the
        organisation's."""
        if self.holder is not None:
            return self.holder.passholder_id
        if self.group is not None:
            return self.group.facts.organisation_id
        assert self.voucher is not None
        return self.voucher.facts.voucher_id


def offer_facts(offer: OfferRow) -> OfferFacts:
    return OfferFacts(
        offer_id=offer.id,
        partner_id=offer.partner_id,
        partner_region=offer.partner_region_code,
        partner_municipality_nis=offer.partner_municipality_nis,
        category=offer.category,
        activity_date=activity_date(offer.kind, offer.starts_at),
    )


# A process keeps the offers it sold on, so a quote reads only the card and the usage. An
# offer or partner that is changed or archived bumps the catalogue generation
# (app.db.schemes.bump_generation), which every quote reads with the card: each entry keeps
# the generation it was read under, and a quote under another generation reads its offer
# again (`current_offer`). The process that made the change forgets the entry at once.
_OFFERS: dict[uuid.UUID, tuple[int | None, OfferRow]] = {}
_MAX_CACHED_OFFERS = 50_000


def _offer_key(offer_id: str) -> uuid.UUID:
    try:
        return uuid.UUID(offer_id)
    except ValueError:
        raise NotFound(f"No offer {offer_id[:64]!r}.", code="offer-not-found") from None


async def _read_offer(session: AsyncSession, key: uuid.UUID, generation: int | None) -> OfferRow:
    offer = await db_offers.get_offer(session, key)
    if offer is None:
        raise NotFound(f"No offer {str(key)!r}.", code="offer-not-found")
    if len(_OFFERS) >= _MAX_CACHED_OFFERS:
        _OFFERS.clear()
    _OFFERS[key] = (generation, offer)
    return offer


async def load_offer(session: AsyncSession, offer_id: str) -> OfferRow:
    """The offer, from this process's cache when it has it (see `current_offer`). An
    entry of no generation (read by `fresh_offer`, maybe inside a transaction that did not
    commit) is read again."""
    key = _offer_key(offer_id)
    cached = _OFFERS.get(key)
    if cached is not None and cached[0] is not None:
        return cached[1]
    return await _read_offer(session, key, CATALOG.known_generation)


async def fresh_offer(session: AsyncSession, offer_id: str) -> OfferRow:
    """The offer as the database has it now (for reads that are not the desk's hot path)."""
    return await _read_offer(session, _offer_key(offer_id), None)


async def current_offer(session: AsyncSession, offer: OfferRow, generation: int) -> OfferRow:
    """`offer` as of catalogue `generation` (read with the card): the cached row when it was
    read under that generation, else read again. Then refused if it no longer sells."""
    key = uuid.UUID(offer.id)
    cached = _OFFERS.get(key)
    if cached is None or cached[0] != generation:
        offer = await _read_offer(session, key, generation)
    else:
        offer = cached[1]
    ensure_sellable(offer)
    return offer


def forget_offers(offer_ids: Iterable[str] | None = None) -> None:
    """Forget cached offers after this process changed them (None: every offer)."""
    if offer_ids is None:
        _OFFERS.clear()
        return
    for offer_id in offer_ids:
        _OFFERS.pop(uuid.UUID(offer_id), None)


def ensure_sellable(offer: OfferRow) -> None:
    """409 `offer-archived` / `partner-archived` for an offer that no longer sells."""
    refusal = not_sellable(offer.archived_at, offer.partner_archived_at)
    if refusal is NotSellable.PARTNER_ARCHIVED:
        raise Conflict(
            "This offer's partner is archived: none of its offers is sold.", code=refusal.value
        )
    if refusal is NotSellable.OFFER_ARCHIVED:
        raise Conflict("This offer is archived: it is no longer sold.", code=refusal.value)


def pick_price_class(
    offer: OfferRow, code: str, regular_price_cents: int | None = None
) -> PriceClassRow:
    """The price class a quote or sale line is about, at the regular price it is priced and
    sold at: its own price on a fixed-price offer, `regular_price_cents` (the desk's) on an
    open-price one (app.domain.offers.regular_price). Every price calculation of a desk
    starts from this one price, so a quote, a sale and the settlement say the same."""
    chosen = offer.price_class(code)
    if chosen is None:
        raise Unprocessable(
            f"The offer has no price class {code!r}; it has "
            + ", ".join(pc.code for pc in offer.price_classes),
            code="unknown-price-class",
            extra={"errors": [{"pointer": "/price_class", "detail": "unknown price class"}]},
        )
    regular = regular_price(
        chosen.price_cents,
        open_price=offer.open_price,
        max_price_cents=offer.max_price_cents,
        asked_cents=regular_price_cents,
    )
    if isinstance(regular, OpenPriceRefusal):
        raise regular_price_problem(regular, offer.max_price_cents)
    return chosen if regular == chosen.price_cents else replace(chosen, price_cents=regular)


_OPEN_PRICE_DETAILS = {
    OpenPriceRefusal.REQUIRED: (
        "This offer has an open price: give the regular price in regular_price_cents.",
        "required for an open-price offer",
    ),
    OpenPriceRefusal.NOT_ALLOWED: (
        "This offer has fixed prices: its price class sets the regular price.",
        "only for an open-price offer",
    ),
}


def regular_price_problem(refusal: OpenPriceRefusal, most: int | None) -> Unprocessable:
    """422 for a regular price the offer does not take (its code is the refusal's)."""
    detail, pointer_detail = _OPEN_PRICE_DETAILS.get(
        refusal,
        (
            f"The regular price is above this offer's maximum of {most} cents.",
            f"at most {most}",
        ),
    )
    return Unprocessable(
        detail,
        code=refusal.value,
        extra={"errors": [{"pointer": "/regular_price_cents", "detail": pointer_detail}]},
    )


def card_problem(status: CardStatus) -> Conflict:
    """The problem a desk is told for a card that stops every tariff."""
    if status == CardStatus.REPLACED:
        return Conflict("This card was replaced by a newer one.", code="card-replaced")
    return Conflict("This card is blocked.", code="card-blocked")


async def desk_quote(
    session: AsyncSession,
    offer: OfferRow,
    price_class: PriceClassRow,
    card_number: str,
    quantity: int,
    now: datetime,
    *,
    audited_for: str | None,
    claimed: Mapping[str, Sequence[UsageClaim]] | None = None,
    regular_price_cents: int | None = None,
) -> tuple[QuoteResult, DeskFacts]:
    """The one read of the desk's facts and the price calculation over them, for a quote
    (`audited_for` its client: one round trip with its audit row) and for each line of a
    sale (None: inside the sale's transaction, whose earlier lines' usage, per passholder,
    is `claimed` but not written yet).

    The buckets to read depend on the catalogue, and the catalogue generation is read in
    the same statement as the card, so the process's last known catalogue names the
    buckets; in the rare case that it was replaced meanwhile, the quote is priced on the new
    one and the facts are read again for the buckets that one adds (unaudited: the first
    read wrote the audit row).
    """
    number = parse_card_field(card_number)
    at = date_in_brussels(now)  # one clock reading for the whole quote (or sale)
    catalog = await CATALOG.last_known(session)
    keys = usage_keys(offer_facts(offer), at, catalog.card_schemes)
    facts = await db.desk_facts(session, number, list(keys), now, audited_for=audited_for)
    if facts is None:
        raise NotFound("No card with this number.", code="card-not-found")
    generation = facts.holder.catalog_generation
    offer = await current_offer(session, offer, generation)
    # The offer as of this generation may have been changed: its terms are checked again.
    price_class = pick_price_class(offer, price_class.code, regular_price_cents)
    if generation != catalog.generation:
        catalog = await CATALOG.get(session, generation)
        fresh = usage_keys(offer_facts(offer), at, catalog.card_schemes)
        if not set(fresh) <= set(keys):
            again = await db.desk_facts(session, number, list(fresh), now, audited_for=None)
            facts = again or facts
    earlier = (claimed or {}).get(facts.holder.passholder_id, ())
    usage = with_claims(facts.usage_at(now), earlier)
    return priced(facts.holder, offer, price_class, quantity, at, usage, catalog), facts


def priced(
    holder: CardHolder,
    offer: OfferRow,
    price_class: PriceClassRow,
    quantity: int,
    at: date,
    usage: Mapping[str, UsageAmount],
    catalog: Catalog,
) -> QuoteResult:
    holder_facts = HolderFacts(
        passholder_id=holder.passholder_id,
        birth_date=holder.birth_date,
        municipality_nis=holder.municipality_nis,
        region=holder.region_code,
        entitlements=holder.entitlements,
        card_status=holder.card_status,
    )
    quote = price(
        offer=offer_facts(offer),
        price_class=PriceClass(price_class.code, price_class.price_cents),
        holder=holder_facts,
        at=at,
        quantity=quantity,
        usage=usage,
        schemes=catalog.card_schemes,
    )
    return QuoteResult(holder, offer, price_class, quantity, at, quote, catalog.card_schemes)


_VOUCHER_PROBLEMS = {
    VoucherRefusal.REVOKED: "This voucher was revoked.",
    VoucherRefusal.EXPIRED: "This voucher is not valid on this day.",
    VoucherRefusal.USED_UP: "This voucher has fewer tickets left than asked.",
    VoucherRefusal.NOT_HERE: "This voucher is made out for another offer or partner.",
}


def voucher_problem(refusal: VoucherRefusal) -> Conflict:
    return Conflict(_VOUCHER_PROBLEMS[refusal], code=refusal.value)


def budget_problem() -> Conflict:
    return Conflict(
        "The allocation behind this voucher has no budget left for this tariff.",
        code="allocation-budget-exhausted",
    )


async def voucher_quote(
    session: AsyncSession,
    offer: OfferRow,
    price_class: PriceClassRow,
    voucher_code: str,
    quantity: int,
    now: datetime,
    *,
    claimed: Mapping[str, Sequence[UsageClaim]] | None = None,
    regular_price_cents: int | None = None,
) -> tuple[QuoteResult, VoucherDeskFacts]:
    """The voucher's facts in one read, and the price calculation over its allocation's
    scheme for an anonymous bearer; a voucher the desk cannot sell on is its problem
    (revoked, expired, used up, made out for elsewhere). `claimed`: as for `desk_quote`,
    the usage of a sale's earlier lines, per voucher."""
    code = normalise_code(voucher_code)
    facts = None if code is None else await db.voucher_facts(session, code)
    if facts is None:
        raise NotFound("No voucher with this code.", code="voucher-not-found")
    at = date_in_brussels(now)
    voucher = facts.voucher
    earlier = (claimed or {}).get(voucher.voucher_id, ())
    usage = with_claims(facts.usage_at(now), earlier)
    used = usage.get(VOUCHER_BUCKET, UsageAmount(0, 0)).tickets
    budget_used = usage.get(BUDGET_BUCKET, UsageAmount(0, 0)).discount_cents
    refusal = desk_refusal(
        voucher,
        used=used,
        quantity=quantity,
        on=activity_date(offer.kind, offer.starts_at) or at,
        offer_id=offer.id,
        partner_id=offer.partner_id,
    )
    if refusal is not None:
        raise voucher_problem(refusal)
    offer = await current_offer(session, offer, facts.catalog_generation)
    price_class = pick_price_class(offer, price_class.code, regular_price_cents)
    catalog = await CATALOG.get(session, facts.catalog_generation)
    schemes = catalog.alone(voucher.scheme_code)
    holder = HolderFacts(
        passholder_id=voucher.voucher_id,
        birth_date=None,
        municipality_nis=None,
        region=voucher.region_code,
        voucher=True,
        organisation_id=voucher.organisation_id,
    )
    quote = price(
        offer=offer_facts(offer),
        price_class=PriceClass(price_class.code, price_class.price_cents),
        holder=holder,
        at=at,
        quantity=quantity,
        usage=usage,
        schemes=schemes,
    )
    quote = priced_on_voucher(quote, voucher, used=used, budget_used_cents=budget_used)
    at_desk = VoucherAtDesk(
        voucher,
        tickets_left(voucher.people, used),
        budget_left(voucher.budget_cents, budget_used),
    )
    return QuoteResult(None, offer, price_class, quantity, at, quote, schemes, at_desk), facts


def group_too_large(most: int) -> Unprocessable:
    return Unprocessable(
        f"A group sale under this tariff sells at most {most} tickets at once.",
        code="group-too-large",
        extra={
            "errors": [{"pointer": "/quantity", "detail": f"at most {most}"}],
            "max_group_size": most,
        },
    )


def _with_earlier(
    allocations: Sequence[AllocationAtHand], earlier: Sequence[UsageClaim]
) -> tuple[AllocationAtHand, ...]:
    """The allocations once a sale's earlier lines' claims on them count too."""
    taken: dict[str, tuple[int, int]] = {}
    for claim in earlier:
        if claim.owner is None:
            continue
        tickets, discount = taken.get(claim.owner, (0, 0))
        if claim.bucket_key == ALLOCATION_BUCKET:
            tickets += claim.tickets
        elif claim.bucket_key == BUDGET_BUCKET:
            discount += claim.discount_cents
        taken[claim.owner] = (tickets, discount)
    return tuple(
        replace(
            a,
            tickets_used=a.tickets_used + taken.get(a.allocation_id, (0, 0))[0],
            budget_used_cents=a.budget_used_cents + taken.get(a.allocation_id, (0, 0))[1],
        )
        for a in allocations
    )


async def group_quote(
    session: AsyncSession,
    offer: OfferRow,
    price_class: PriceClassRow,
    quantity: int,
    now: datetime,
    *,
    card_number: str | None = None,
    organisation_id: str | None = None,
    scheme_code: str | None = None,
    allocation_id: str | None = None,
    claimed: Mapping[str, Sequence[UsageClaim]] | None = None,
    regular_price_cents: int | None = None,
) -> tuple[QuoteResult, GroupFacts]:
    """The quote of a group: on its group card (`card_number`, with the group schemes), or
    for the organisation without a card (`organisation_id`: a ticket request, under its
    allocation's `scheme_code` alone, its tickets from `allocation_id`). One read of the
    organisation's facts, the price calculation for an anonymous group of the
    organisation's kind, and the tickets taken from its allocations. `claimed`: as for
    `desk_quote`, per organisation."""
    at = date_in_brussels(now)
    catalog = await CATALOG.last_known(session)

    def schemes_of(found: Catalog) -> tuple[SchemeDefinition, ...]:
        return found.group_schemes if scheme_code is None else found.alone(scheme_code)

    schemes = schemes_of(catalog)
    keys = usage_keys(offer_facts(offer), at, schemes)
    facts = await db_groups.group_facts(
        session,
        card_number=card_number,
        organisation_id=organisation_id,
        bucket_keys=list(keys),
        day=at,
    )
    if facts is None:
        raise NotFound("No card with this number.", code="card-not-found")
    if facts.card_status != CardStatus.ACTIVE:
        raise card_problem(CardStatus.BLOCKED)
    generation = facts.catalog_generation
    offer = await current_offer(session, offer, generation)
    price_class = pick_price_class(offer, price_class.code, regular_price_cents)
    if generation != catalog.generation:
        catalog = await CATALOG.get(session, generation)
        schemes = schemes_of(catalog)
        fresh = usage_keys(offer_facts(offer), at, schemes)
        if not set(fresh) <= set(keys):
            again = await db_groups.group_facts(
                session,
                card_number=card_number,
                organisation_id=organisation_id,
                bucket_keys=list(fresh),
                day=at,
            )
            facts = again or facts
    earlier = (claimed or {}).get(facts.organisation_id, ())
    usage = with_claims(facts.usage_at(now), earlier)
    holder = HolderFacts(
        passholder_id=facts.organisation_id,
        birth_date=None,
        municipality_nis=None,
        region=facts.region_code,
        organisation_id=facts.organisation_id,
        group=True,
        # Tickets an organisation requested are its anonymous tickets to hand out, as a
        # voucher's are: its allocation's scheme may be meant for vouchers or for groups.
        voucher=card_number is None,
        organisation_kind=facts.organisation_kind,
    )
    quote = price(
        offer=offer_facts(offer),
        price_class=PriceClass(price_class.code, price_class.price_cents),
        holder=holder,
        at=at,
        quantity=quantity,
        usage=usage,
        schemes=schemes,
    )
    allocations = facts.allocations_at(now)
    if allocation_id is not None:
        allocations = tuple(a for a in allocations if a.allocation_id == allocation_id)
    quote = priced_for_group(
        quote,
        _with_earlier(allocations, earlier),
        {s.code: s for s in schemes},
        quantity=quantity,
        day=activity_date(offer.kind, offer.starts_at) or at,
    )
    result = QuoteResult(
        None, offer, price_class, quantity, at, quote, schemes, group=GroupAtDesk(facts)
    )
    return result, facts


def refuse_too_large(result: QuoteResult) -> None:
    """422 `group-too-large` for a group quote with nothing on offer because of its size."""
    most = too_large(result.quote, {s.code: s for s in result.schemes})
    if most is not None:
        raise group_too_large(most)


def quantity_problem() -> Unprocessable:
    return Unprocessable(
        f"A line on a person's card or a voucher has at most {MAX_QUANTITY} tickets.",
        extra={"errors": [{"pointer": "/quantity", "detail": f"at most {MAX_QUANTITY}"}]},
    )


def is_unknown_card(problem: NotFound) -> bool:
    return problem.code == "card-not-found"


async def desk_offer(
    session: AsyncSession,
    principal: Principal,
    offer_id: str,
    price_class: str,
    regular_price_cents: int | None = None,
) -> tuple[OfferRow, PriceClassRow]:
    """The offer and price class a quote or a sale line is about, at the regular price it
    is priced at (`pick_price_class`), once the caller is known to be a desk of the
    offer's partner."""
    offer = await load_offer(session, offer_id)
    ensure(
        principal,
        DESKS,
        Tenant(region_id=offer.partner_region_id, partner_id=offer.partner_id),
        hide=False,
    )
    ensure_sellable(offer)
    return offer, pick_price_class(offer, price_class, regular_price_cents)


async def quote_for_desk(
    session: AsyncSession,
    principal: Principal,
    *,
    card_number: str | None,
    offer_id: str,
    price_class: str,
    quantity: int,
    voucher_code: str | None = None,
    regular_price_cents: int | None = None,
) -> QuoteResult:
    """The desk's question, in one database round trip when nothing changed. The desk sees
    a display name and tariffs derived from personal data: the read is audited. On a
    voucher (`voucher_code` instead of `card_number`) nothing personal is read."""
    offer, chosen = await desk_offer(session, principal, offer_id, price_class, regular_price_cents)
    if card_number is None:
        assert voucher_code is not None  # the request model takes exactly one of the two
        if quantity > MAX_QUANTITY:
            raise quantity_problem()
        on_voucher, _ = await voucher_quote(
            session,
            offer,
            chosen,
            voucher_code,
            quantity,
            utcnow(),
            regular_price_cents=regular_price_cents,
        )
        return on_voucher
    try:
        result, _ = await desk_quote(
            session,
            offer,
            chosen,
            card_number,
            quantity,
            utcnow(),
            audited_for=principal.client_id,
            regular_price_cents=regular_price_cents,
        )
    except NotFound as unknown:
        if not is_unknown_card(unknown):
            raise
        # No person's card: maybe a group card (its read is not audited: nothing
        # personal is in it).
        on_group, _ = await group_quote(
            session,
            offer,
            chosen,
            quantity,
            utcnow(),
            card_number=parse_card_field(card_number),
            regular_price_cents=regular_price_cents,
        )
        refuse_too_large(on_group)
        return on_group
    if quantity > MAX_QUANTITY:
        raise quantity_problem()
    if result.quote.card_refused is not None:
        # The desk is told the card's problem, not a quote: no tariffs, and no line per
        # scheme saying so.
        raise card_problem(result.quote.card_refused)
    return result
