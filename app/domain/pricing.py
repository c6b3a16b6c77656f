"""The price calculation: for one sale, every tariff the holder may get and why others not.

`price(offer=, price_class=, holder=, at=, quantity=, usage=, schemes=) -> Quote` (keyword
arguments only: seven of them, several of one type) follows the semantics of DESIGN.md
("The heart: one price calculation"), in this order per scheme:

1. valid on the sale day `at`, and `applies_to` covers the offer — else
   `not_valid_at_date` / `not_applicable_to_offer`;
2. the holder meets the eligibility on the activity date (the offer's date, else `at`) —
   else `entitlement_expired` when a status that expired or ended would have made the
   difference, `not_eligible` otherwise;
3. the count limits leave tickets and the budget leaves reduction — else `limit_reached`,
   `quantity_exceeds_limit` or `budget_exhausted`.

Exclusive schemes that pass become tariffs, best first: lowest unit price for the holder,
then higher priority, then code, then version. `on_top` schemes (highest priority first,
then code) are then applied on top of *each* exclusive tariff — or, when no exclusive
scheme applies, on the regular price — each taking its reduction from the price left by
the schemes before it, never below 0. An on_top scheme that takes nothing off anywhere is
listed as `no_reduction` and not applied, so a welcome coupon is not wasted on a free ticket.
A card that is not active gets no tariff: every scheme is `card_blocked`, and the quote
says which status stopped it (`Quote.card_refused`), for the desk to be told.

The anonymous self-check asks the same calculation which schemes a person would be eligible
for (`eligible_schemes`): the same compiled conditions over the same facts, without an offer.

Without a holder (public price lists) each scheme is answered on its own, for a holder who
meets its conditions and has used none of its limits: every applicable scheme, exclusive or
on_top, is one tariff on the regular price, funded by the key for holders living elsewhere.

Money decisions (see also price_rules and funding):

- A discount budget caps the reduction per ticket at floor(budget left / quantity), so the
  unit price of a line stays one number; up to quantity − 1 cents of a budget may stay
  unused when a line of several tickets exhausts it.
- Each scheme's part of a tariff's reduction is funded by that scheme's own key: a welcome
  coupon on top of the social tariff is paid by the coupon's funders, and the social
  tariff's funders pay exactly what they would have paid without the coupon. Every
  `FundingShare` carries its `scheme_code`; together they add up to the whole reduction.
- Companions pay the base scheme's companion price on the regular price; they are not
  counted in the holder's limits and on_top schemes do not apply to them.

Speed: schemes are compiled once (conditions into predicates, limits into buckets) and
cached by object identity, and so is a list of schemes, with the answers that depend only
on the day, the partner and the category (which turn most of a large catalogue away). A
service should therefore keep its parsed schemes alive between quotes, ideally in one
tuple per catalogue version; see docs/performance.md for the figures.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from app.domain.cards import CardStatus, card_refusal
from app.domain.conditions import Predicate, Subject, compile_condition, subject_of
from app.domain.entitlements import PAST_STATUSES, USABLE_STATUSES
from app.domain.facts import HolderFacts, OfferFacts, PriceClass
from app.domain.funding import FundingKey, FundingShare, PayerRefs, split_discount
from app.domain.limits import (
    Bucket,
    UsageAmount,
    UsageClaim,
    activity_day,
    allowance,
    bucket_plan,
    claims,
)
from app.domain.localized import LocalizedText
from app.domain.reasons import Reason
from app.domain.schemes import SchemeDefinition

# A label for a tariff made of several schemes: "Kansentarief + Welkomstbon".
LABEL_SEPARATOR = " + "


@dataclass(frozen=True, slots=True)
class NotApplicable:
    scheme_code: str
    reason: Reason
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class TariffPart:
    """One scheme's contribution to a tariff: its version and its reduction per ticket."""

    scheme_code: str
    scheme_version: int
    discount_cents: int


@dataclass(frozen=True, slots=True)
class CompanionTerms:
    """What companions pay next to a holder at this tariff (the European Disability Card's
    assistant goes free): at most `max` per line, each at `unit_price_cents` on the regular
    price. The reduction is funded by the base scheme's key; companions use up no limit."""

    max: int
    unit_price_cents: int
    discount_cents: int  # per companion ticket
    scheme_code: str
    scheme_version: int
    scheme_name: LocalizedText
    funding_key: FundingKey
    refs: PayerRefs

    def funding(self, count: int) -> tuple[FundingShare, ...]:
        """The funding of `count` companion tickets, adding up to their whole reduction."""
        if not 1 <= count <= self.max:
            raise ValueError(f"between 1 and {self.max} companions")
        return split_discount(
            self.discount_cents * count,
            self.funding_key,
            quantity=count,
            refs=self.refs,
            scheme_code=self.scheme_code,
        )


@dataclass(frozen=True, slots=True)
class Tariff:
    """One priced option for the sale.

    `scheme_code`/`scheme_version` name the exclusive scheme the tariff is built on (or,
    when no exclusive scheme applies, the first on_top scheme); `on_top` lists the codes
    applied on top of it and `parts` the reduction of each, all of them in order.
    `discount_cents` is per ticket; `funding` and `usage_claims` cover the whole line.
    `remaining` is how many tickets the count limits still allow before this sale (None:
    no count limit).
    """

    tariff_id: str
    scheme_code: str
    scheme_version: int
    label: LocalizedText
    unit_price_cents: int
    discount_cents: int
    quantity: int
    total_cents: int
    remaining: int | None
    funding: tuple[FundingShare, ...]
    on_top: tuple[str, ...]
    parts: tuple[TariffPart, ...]
    usage_claims: tuple[UsageClaim, ...]
    companions: CompanionTerms | None = None


@dataclass(frozen=True, slots=True)
class Quote:
    regular_price_cents: int
    tariffs: tuple[Tariff, ...]
    best_tariff_id: str | None
    not_applicable: tuple[NotApplicable, ...]
    # The card's status when it stops every tariff (blocked, replaced); None for a usable
    # card and for a public price list.
    card_refused: CardStatus | None = None

    @property
    def best(self) -> Tariff | None:
        return self.tariffs[0] if self.tariffs else None


def price(
    *,
    offer: OfferFacts,
    price_class: PriceClass,
    holder: HolderFacts | None,
    at: date,
    quantity: int,
    usage: Mapping[str, UsageAmount],
    schemes: Sequence[SchemeDefinition],
) -> Quote:
    """Price `quantity` tickets of `price_class` for `holder` (None: a public price list).

    `at` is the sale day (Europe/Brussels); `usage` holds the holder's buckets, as listed
    by `usage_keys` for these schemes (a missing bucket is unused).

    `not_applicable` lists every scheme meant for the offer's partner (its region's, the
    partner's own, the platform-wide ones) that gives no tariff, in the order of scheme
    code (then version), whatever the order of `schemes`. Schemes meant for other
    partners are not considered, so they appear in neither list.
    """
    if quantity < 1:
        raise ValueError("quantity must be at least 1")
    regular = price_class.regular_price_cents
    if regular < 0:
        raise ValueError("a regular price cannot be negative")
    catalogue = _catalogue_of(schemes)
    refused = None if holder is None else card_refusal(holder.card_status)
    if refused is not None:
        return Quote(regular, (), None, catalogue.blocked_for(offer), refused)

    sale = _Sale(offer, price_class, holder, at, quantity, {} if holder is None else usage)
    # One refusal per plan, in catalogue order, None where the scheme applies. Most are
    # known from the partner and the day alone; only the others are looked at here.
    known, to_consider = catalogue.answers_for(offer, at)
    refusals = list(known)
    exclusive: list[_Candidate] = []
    on_top: list[_Candidate] = []
    for position in to_consider:
        plan = catalogue.plans[position]
        outcome = plan.consider(sale, position)
        if isinstance(outcome, NotApplicable):
            refusals[position] = outcome
        else:
            (on_top if plan.on_top else exclusive).append(outcome)

    if holder is None:
        lines = _each_alone(exclusive + on_top, regular)
    else:
        lines = _stacked(exclusive, on_top, regular)
    applied = {candidate.position for line in lines for candidate, _ in line.parts}
    for candidate in exclusive + on_top:
        if candidate.position not in applied:
            refusals[candidate.position] = candidate.plan.refusals[Reason.NO_REDUCTION]
    tariffs = tuple(_tariff(line, sale) for line in lines)
    return Quote(
        regular,
        tariffs,
        tariffs[0].tariff_id if tariffs else None,
        tuple(refusal for refusal in refusals if refusal is not None),
    )


# --- one sale, shared by every scheme -------------------------------------------------------


@dataclass(slots=True)
class _Sale:
    offer: OfferFacts
    price_class: PriceClass
    holder: HolderFacts | None
    at: date
    quantity: int
    usage: Mapping[str, UsageAmount]
    day: date = field(init=False)
    subject: Subject | None = field(init=False)
    _renewed: Subject | None = field(init=False, default=None)
    _renewed_known: bool = field(init=False, default=False)

    def __post_init__(self) -> None:
        self.day = activity_day(self.offer, self.at)
        self.subject = None if self.holder is None else subject_of(self.holder, self.day)

    def renewed_subject(self) -> Subject | None:
        """The holder as if statuses that expired or ended still counted; None when the
        holder has no such status (then nothing would change). Only needed for a scheme
        the holder is not eligible for, so computed at most once and only then."""
        if not self._renewed_known:
            self._renewed_known = True
            if self.holder is not None and self.subject is not None:
                renewed = subject_of(self.holder, self.day, USABLE_STATUSES | PAST_STATUSES)
                if renewed.entitlements != self.subject.entitlements:
                    self._renewed = renewed
        return self._renewed

    @property
    def same_municipality(self) -> bool:
        return (
            self.holder is not None
            and self.holder.municipality_nis == self.offer.partner_municipality_nis
        )


@dataclass(frozen=True, slots=True)
class _Candidate:
    """A scheme that applies to the sale, with what its limits leave."""

    plan: _Plan
    position: int  # in the catalogue, to tell candidates apart and keep the output order
    bucket_keys: tuple[str, ...]
    tickets_left: int | None
    budget_per_ticket: int | None

    def reduced(self, base_cents: int) -> int:
        """The unit price after this scheme, starting from `base_cents`."""
        unit = self.plan.scheme.price.unit_price(base_cents)
        if self.budget_per_ticket is not None and base_cents - unit > self.budget_per_ticket:
            return base_cents - self.budget_per_ticket
        return unit


# --- compiled schemes -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Plan:
    """A scheme prepared for pricing: what can be computed once is computed once."""

    scheme: SchemeDefinition
    code: str
    on_top: bool
    partner_region: str | None
    partners: frozenset[str] | None
    categories: frozenset[str] | None
    price_classes: frozenset[str] | None
    max_regular_price_cents: int | None
    eligible: Predicate
    buckets: tuple[Bucket, ...]
    # The same answers come back quote after quote; build them once.
    refusals: Mapping[Reason, NotApplicable]
    uncovered: Mapping[str, NotApplicable]

    @staticmethod
    def compile(scheme: SchemeDefinition) -> _Plan:
        applies_to = scheme.applies_to
        partners = applies_to.partners
        return _Plan(
            scheme=scheme,
            code=scheme.code,
            on_top=scheme.stacking == "on_top",
            partner_region=scheme.owner_region if partners == "owner_region" else None,
            partners=None if isinstance(partners, str) else frozenset(partners),
            categories=_optional_set(applies_to.categories),
            price_classes=_optional_set(applies_to.price_classes),
            max_regular_price_cents=applies_to.max_regular_price_cents,
            eligible=compile_condition(scheme.eligibility, scheme.owner_region),
            buckets=bucket_plan(scheme.limits),
            refusals={reason: NotApplicable(scheme.code, reason) for reason in Reason},
            uncovered={
                what: NotApplicable(
                    scheme.code, Reason.NOT_APPLICABLE_TO_OFFER, f"{what} not covered"
                )
                for what in ("category", "price class", "regular price")
            },
        )

    def covers(self, offer: OfferFacts) -> bool:
        """Whether the scheme is meant for the offer's partner at all.

        A scheme of another region or of other partners is never considered for the
        offer, so it is not listed among the schemes not applied either: a desk in Brugge
        has no use for a line per scheme of every other city.
        """
        if self.partner_region is not None and offer.partner_region != self.partner_region:
            return False
        return self.partners is None or offer.partner_id in self.partners

    def refusal_for(self, offer: OfferFacts, at: date) -> NotApplicable | None:
        """The refusal that depends only on the day and the offer's category, for a scheme
        that `covers` the offer; `_Catalogue` caches it per day, partner and category."""
        if not self.scheme.is_valid_on(at):
            return self.refusals[Reason.NOT_VALID_AT_DATE]
        if self.categories is not None and offer.category not in self.categories:
            return self.uncovered["category"]
        return None

    def consider(self, sale: _Sale, position: int) -> _Candidate | NotApplicable:
        """The rest of the checks, for a scheme that `refusal_for` let through."""
        price_class = sale.price_class
        if self.price_classes is not None and price_class.code not in self.price_classes:
            return self.uncovered["price class"]
        most = self.max_regular_price_cents
        if most is not None and price_class.regular_price_cents > most:
            return self.uncovered["regular price"]
        if sale.subject is not None and not self.eligible(sale.subject):
            return self.ineligible(sale)

        keys = tuple(bucket.key(self.code, sale.offer, sale.day) for bucket in self.buckets)
        left = allowance(self.buckets, keys, sale.usage)
        if left.tickets is not None:
            if left.tickets <= 0:
                return self.refusals[Reason.LIMIT_REACHED]
            if sale.quantity > left.tickets:
                return NotApplicable(
                    self.code, Reason.QUANTITY_EXCEEDS_LIMIT, f"{left.tickets} left"
                )
        budget_per_ticket = None
        if left.discount_cents is not None:
            budget_per_ticket = max(0, left.discount_cents) // sale.quantity
            if budget_per_ticket == 0:
                return self.refusals[Reason.BUDGET_EXHAUSTED]
        return _Candidate(self, position, keys, left.tickets, budget_per_ticket)

    def ineligible(self, sale: _Sale) -> NotApplicable:
        """The refusal for a holder who does not meet the conditions: `entitlement_expired`
        when renewing a status that expired or ended would make the difference."""
        renewed = sale.renewed_subject()
        if renewed is not None and self.eligible(renewed):
            return self.refusals[Reason.ENTITLEMENT_EXPIRED]
        return self.refusals[Reason.NOT_ELIGIBLE]

    @property
    def rank(self) -> tuple[int, str, int]:
        """Higher priority first, then code, then version: a total, stable order."""
        return (-self.scheme.priority, self.code, self.scheme.version)


def _optional_set(items: tuple[str, ...] | None) -> frozenset[str] | None:
    return None if items is None else frozenset(items)


class _Catalogue:
    """The plans of one list of schemes, in output order, with per-partner answers cached.

    A quote is mostly about passing over schemes of other regions and partners; which
    those are, and the refusals that depend only on the day and the category, are the same
    for every quote of that partner that day, so they are computed once per such key.
    """

    __slots__ = ("_answers", "plans", "schemes")

    def __init__(self, schemes: Sequence[SchemeDefinition]) -> None:
        self.schemes = tuple(schemes)  # keeps the schemes, so their ids stay theirs
        self.plans = tuple(
            sorted(
                (_plan_of(scheme) for scheme in schemes),
                key=lambda plan: (plan.code, plan.scheme.version),
            )
        )
        self._answers: dict[
            tuple[date, str, str, str], tuple[tuple[NotApplicable | None, ...], tuple[int, ...]]
        ] = {}

    def answers_for(
        self, offer: OfferFacts, at: date
    ) -> tuple[tuple[NotApplicable | None, ...], tuple[int, ...]]:
        """Per plan, its refusal by day and category, or None: for a plan that does not
        cover the offer (not considered, not listed) and for one that passes; and the
        positions of the plans that pass, which the quote must look at further."""
        key = (at, offer.partner_region, offer.partner_id, offer.category)
        found = self._answers.get(key)
        if found is None:
            if len(self._answers) >= _MAX_CACHED_ANSWERS:
                self._answers.clear()
            covered = [plan.covers(offer) for plan in self.plans]
            known = tuple(
                plan.refusal_for(offer, at) if covers else None
                for plan, covers in zip(self.plans, covered, strict=True)
            )
            passing = tuple(i for i, refusal in enumerate(known) if covered[i] and refusal is None)
            found = self._answers[key] = (known, passing)
        return found

    def blocked_for(self, offer: OfferFacts) -> tuple[NotApplicable, ...]:
        """A card that is not active: every scheme meant for the offer says so."""
        return tuple(
            plan.refusals[Reason.CARD_BLOCKED] for plan in self.plans if plan.covers(offer)
        )


# Caches by identity: hashing whole definitions on every quote would cost more than the
# compilation saves. An entry holds its schemes, so their ids cannot be reused while it is
# cached; the bounds only stop a process that keeps loading new versions from growing.
_PLANS: dict[int, _Plan] = {}
_CATALOGUES: dict[object, _Catalogue] = {}
_MAX_CACHED_PLANS = 10_000
_MAX_CACHED_CATALOGUES = 256
_MAX_CACHED_ANSWERS = 4096


def _plan_of(scheme: SchemeDefinition) -> _Plan:
    plan = _PLANS.get(id(scheme))
    if plan is None or plan.scheme is not scheme:
        if len(_PLANS) >= _MAX_CACHED_PLANS:
            _PLANS.clear()
        plan = _PLANS[id(scheme)] = _Plan.compile(scheme)
    return plan


def _catalogue_of(schemes: Sequence[SchemeDefinition]) -> _Catalogue:
    # A tuple cannot change, so its own id is key enough (the cached catalogue holds it,
    # so the id stays its own); any other sequence is keyed by the ids of its schemes.
    key: object = id(schemes) if type(schemes) is tuple else tuple(map(id, schemes))
    catalogue = _CATALOGUES.get(key)
    if catalogue is None or (type(key) is int and catalogue.schemes is not schemes):
        if len(_CATALOGUES) >= _MAX_CACHED_CATALOGUES:
            _CATALOGUES.clear()
        catalogue = _CATALOGUES[key] = _Catalogue(schemes)
    return catalogue


def eligible_schemes(
    holder: HolderFacts, *, on: date, schemes: Sequence[SchemeDefinition]
) -> tuple[SchemeDefinition, ...]:
    """The schemes valid on `on` whose eligibility `holder` meets on that day, in the order
    of scheme code (then version): the question a price answers per scheme, asked without an
    offer — whether the holder would find a partner, an offer or a ticket left is not.

    For a person who has no pass (yet), as the anonymous self-check describes them.
    """
    subject = subject_of(holder, on)
    return tuple(
        plan.scheme
        for plan in _catalogue_of(schemes).plans
        if plan.scheme.is_valid_on(on) and plan.eligible(subject)
    )


def usage_keys(offer: OfferFacts, at: date, schemes: Sequence[SchemeDefinition]) -> tuple[str, ...]:
    """The usage buckets a quote for this offer on day `at` may read.

    Only the schemes that apply to the offer's partner and category that day have limits
    worth loading; the catalogue already knows which those are, so a service loads a
    handful of counters instead of one per scheme of the whole catalogue.
    """
    catalogue = _catalogue_of(schemes)
    _, passing = catalogue.answers_for(offer, at)
    day = activity_day(offer, at)
    plans = [catalogue.plans[position] for position in passing]
    return tuple(sorted({b.key(plan.code, offer, day) for plan in plans for b in plan.buckets}))


# --- from candidates to tariffs -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Line:
    """The schemes of one tariff in the order applied, each with its reduction per ticket."""

    parts: tuple[tuple[_Candidate, int], ...]
    unit_price_cents: int

    @property
    def on_top(self) -> bool:
        return self.parts[0][0].plan.on_top


def _stacked(exclusive: list[_Candidate], on_top: list[_Candidate], regular: int) -> list[_Line]:
    # Each exclusive scheme on its own, best first; with none, on_top starts from the
    # regular price. A scheme that takes nothing off (a fixed price above the regular one)
    # and brings no companion is no tariff: selling at it would use up a limit for nothing.
    alone = (_alone(candidate, regular) for candidate in exclusive)
    bases = sorted((line for line in alone if _worth_selling(line, regular)), key=_best_first)
    if not bases:
        bases = [_Line((), regular)]
    layers = sorted(on_top, key=lambda candidate: candidate.plan.rank)
    lines = []
    for line in bases:
        parts, unit = list(line.parts), line.unit_price_cents
        for layer in layers:
            reduced = layer.reduced(unit)
            if reduced < unit:
                parts.append((layer, unit - reduced))
                unit = reduced
        if parts:
            lines.append(_Line(tuple(parts), unit))
    return lines


def _worth_selling(line: _Line, regular: int) -> bool:
    """A line that takes something off, or an exclusive one that brings a companion."""
    if line.unit_price_cents < regular:
        return True
    return not line.on_top and line.parts[0][0].plan.scheme.companions is not None


def _each_alone(candidates: list[_Candidate], regular: int) -> list[_Line]:
    # As in a stacked quote: a scheme that takes nothing off and brings no companion is
    # not a tariff.
    lines = (_alone(candidate, regular) for candidate in candidates)
    return sorted((line for line in lines if _worth_selling(line, regular)), key=_best_first)


def _alone(candidate: _Candidate, regular: int) -> _Line:
    unit = candidate.reduced(regular)
    return _Line(((candidate, regular - unit),), unit)


def _best_first(line: _Line) -> tuple[int, int, str, int]:
    """Lowest price for the holder first, then by the rank of the scheme it is built on."""
    return (line.unit_price_cents, *line.parts[0][0].plan.rank)


def _tariff(line: _Line, sale: _Sale) -> Tariff:
    quantity = sale.quantity
    regular = sale.price_class.regular_price_cents
    base = line.parts[0][0].plan.scheme
    home = None if sale.holder is None else sale.holder.municipality_nis
    organisation = None if sale.holder is None else sale.holder.organisation_id
    funding: list[FundingShare] = []
    usage_claims: list[UsageClaim] = []
    parts = []
    for candidate, discount in line.parts:
        scheme = candidate.plan.scheme
        funding += split_discount(
            discount * quantity,
            scheme.funding_key(sale.same_municipality),
            quantity=quantity,
            refs=PayerRefs(sale.offer.partner_id, home, scheme.owner_region, organisation),
            scheme_code=scheme.code,
        )
        usage_claims += claims(
            candidate.plan.buckets, candidate.bucket_keys, quantity, discount * quantity
        )
        parts.append(TariffPart(scheme.code, scheme.version, discount))
    remaining = [c.tickets_left for c, _ in line.parts if c.tickets_left is not None]
    companions = None
    if base.companions is not None:
        companion_price = base.companions.price.unit_price(regular)
        companions = CompanionTerms(
            max=base.companions.max,
            unit_price_cents=companion_price,
            discount_cents=regular - companion_price,
            scheme_code=base.code,
            scheme_version=base.version,
            scheme_name=base.name,
            funding_key=base.funding_key(sale.same_municipality),
            refs=PayerRefs(sale.offer.partner_id, home, base.owner_region, organisation),
        )
    return Tariff(
        tariff_id=_tariff_id(sale, line.unit_price_cents, parts),
        scheme_code=base.code,
        scheme_version=base.version,
        label=(
            base.name
            if len(parts) == 1
            else LocalizedText.join((c.plan.scheme.name for c, _ in line.parts), LABEL_SEPARATOR)
        ),
        unit_price_cents=line.unit_price_cents,
        discount_cents=regular - line.unit_price_cents,
        quantity=quantity,
        total_cents=line.unit_price_cents * quantity,
        remaining=min(remaining) if remaining else None,
        funding=tuple(funding),
        on_top=tuple(part.scheme_code for part in parts[1:]),
        parts=tuple(parts),
        usage_claims=tuple(usage_claims),
        companions=companions,
    )


# A tariff id: the code of the scheme it is built on, a dot, and the digest (20 hex digits).
_TARIFF_ID_SEPARATOR = "."
_DIGEST_SIZE = 10


@dataclass(frozen=True, slots=True)
class TariffIdParts:
    """What a tariff id says openly: the scheme the tariff is built on, and its digest."""

    scheme_code: str
    digest: str


def tariff_id_parts(tariff_id: str) -> TariffIdParts | None:
    """The parts of an id shaped as `_tariff_id` makes them (a scheme code, a dot, hex
    digits); None for anything else, such as an id from another system.

    The digest is not checked against anything: only a fresh quote can say whether the
    tariff still holds. What the parts tell is which scheme the desk meant.
    """
    scheme_code, separator, digest = tariff_id.rpartition(_TARIFF_ID_SEPARATOR)
    if not separator or not scheme_code or not digest or len(digest) > 2 * _DIGEST_SIZE:
        return None
    if any(c not in "0123456789abcdef" for c in digest):
        return None
    return TariffIdParts(scheme_code, digest)


def _tariff_id(sale: _Sale, unit_price_cents: int, parts: Sequence[TariffPart]) -> str:
    """A digest of everything that makes the tariff what it is.

    A sale recomputes the quote and looks for the id it was given: if a scheme version,
    the regular price, the quantity or the holder's usage changed the price or its split,
    the id is gone and the sale answers `price-changed` instead of charging something else.
    The id names the scheme it is built on (`tariff_id_parts`), so that a sale whose tariff
    vanished can tell a limit used up by another desk in the meantime (`limit-reached`)
    from a price change (app.domain.sale_lines.chosen_tariff).
    """
    fields = [
        sale.offer.offer_id,
        sale.price_class.code,
        str(sale.price_class.regular_price_cents),
        str(sale.quantity),
        str(unit_price_cents),
        *(f"{p.scheme_code}:{p.scheme_version}:{p.discount_cents}" for p in parts),
    ]
    payload = "\x1f".join(fields).encode()
    primary = parts[0].scheme_code if parts else "NONE"
    digest = hashlib.blake2b(payload, digest_size=_DIGEST_SIZE).hexdigest()
    return f"{primary}{_TARIFF_ID_SEPARATOR}{digest}"
