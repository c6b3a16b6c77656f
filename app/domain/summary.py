"""A scheme in one plain sentence, in Dutch, French, English or German, from its data.

"Met kansenstatuut in Regio Kortrijk betaal je 20 % van de prijs; 1 ticket per activiteit."

The public catalogue and the self-check show this sentence, so it is written for the person
who may use the scheme: who qualifies, what they pay, how often. It is generated, never
typed by hand, so it cannot drift from the rules that are applied. `region_names` maps
region codes (and, when known, NIS codes) to names; an unknown code is shown as it is.
Its words are messages `summary.*` in the catalogues (app/locale): each language says a
clause, a price and a limit its own way, and the code puts them together.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from app.domain.conditions import (
    IN_ANY_REGION,
    IN_OWNER_REGION,
    AgeBetween,
    AllOf,
    AnyOf,
    CardHolderCondition,
    Condition,
    GroupCondition,
    HasEntitlement,
    Not,
    OrganisationKindCondition,
    ResidentOfMunicipalities,
    ResidentOfRegion,
    VoucherCondition,
)
from app.domain.limits import Limit, parse_year_starts
from app.domain.messages import N_, Texts
from app.domain.price_rules import ROUNDING_STEPS, PriceRule
from app.domain.schemes import Companions, SchemeDefinition


@dataclass(frozen=True, slots=True)
class _Clause:
    """What follows "if you" / "als je" / "si vous" / "wenn Sie", and its negation."""

    yes: str
    no: str


# How each status is named: after "with", and as a clause and its negation.
_STATUSES: Mapping[str, tuple[str, str, str]] = {
    "kansenstatuut": (
        N_("summary.status.kansenstatuut.with"),
        N_("summary.status.kansenstatuut.yes"),
        N_("summary.status.kansenstatuut.no"),
    ),
    "verhoogde_tegemoetkoming": (
        N_("summary.status.verhoogde_tegemoetkoming.with"),
        N_("summary.status.verhoogde_tegemoetkoming.yes"),
        N_("summary.status.verhoogde_tegemoetkoming.no"),
    ),
    "leefloon": (
        N_("summary.status.leefloon.with"),
        N_("summary.status.leefloon.yes"),
        N_("summary.status.leefloon.no"),
    ),
    "schuldbemiddeling": (
        N_("summary.status.schuldbemiddeling.with"),
        N_("summary.status.schuldbemiddeling.yes"),
        N_("summary.status.schuldbemiddeling.no"),
    ),
    "european_disability_card": (
        N_("summary.status.european_disability_card.with"),
        N_("summary.status.european_disability_card.yes"),
        N_("summary.status.european_disability_card.no"),
    ),
    "large_family": (
        N_("summary.status.large_family.with"),
        N_("summary.status.large_family.yes"),
        N_("summary.status.large_family.no"),
    ),
    "article27": (
        N_("summary.status.article27.with"),
        N_("summary.status.article27.yes"),
        N_("summary.status.article27.no"),
    ),
}
# How a group is named by the kind of its organisation: as a clause and its negation.
_ORGANISATION_KINDS: Mapping[str, tuple[str, str]] = {
    "social": (
        N_("summary.organisation_kind.social.yes"),
        N_("summary.organisation_kind.social.no"),
    ),
    "association": (
        N_("summary.organisation_kind.association.yes"),
        N_("summary.organisation_kind.association.no"),
    ),
    "school": (
        N_("summary.organisation_kind.school.yes"),
        N_("summary.organisation_kind.school.no"),
    ),
}
_SCOPES: Mapping[str, str] = {
    "offer": N_("summary.scope.offer"),
    "partner": N_("summary.scope.partner"),
    "category": N_("summary.scope.category"),
}
_PERIODS: Mapping[str, str] = {
    "day": N_("summary.period.day"),
    "week": N_("summary.period.week"),
    "month": N_("summary.period.month"),
    "quarter": N_("summary.period.quarter"),
    "year": N_("summary.period.year"),
}
_MONTHS = (
    N_("summary.month.1"),
    N_("summary.month.2"),
    N_("summary.month.3"),
    N_("summary.month.4"),
    N_("summary.month.5"),
    N_("summary.month.6"),
    N_("summary.month.7"),
    N_("summary.month.8"),
    N_("summary.month.9"),
    N_("summary.month.10"),
    N_("summary.month.11"),
    N_("summary.month.12"),
)
# What a companion pays, by the type of its price rule (a fixed price is the amount itself).
_COMPANION_SHARES: Mapping[str, str] = {
    "pay_percent": N_("summary.companion_share.pay_percent"),
    "percent_off": N_("summary.companion_share.percent_off"),
    "amount_off": N_("summary.companion_share.amount_off"),
}
_COMPANION_PRICED = frozenset({*_COMPANION_SHARES, "fixed_price"})


def _status(type_: str, t: Texts) -> tuple[str, _Clause]:
    with_, yes, no = _STATUSES[type_]
    return t(with_), _Clause(t(yes), t(no))


def _number(text: str, t: Texts) -> str:
    return text.replace(".", t("summary.decimal_mark"))


def _money(cents: int, t: Texts) -> str:
    return t("summary.money", amount=_number(f"{cents // 100}.{cents % 100:02d}", t))


def _percent(value: Decimal, t: Texts) -> str:
    return t("summary.percent", number=_number(f"{value.normalize():f}", t))


def _step(cents: int, t: Texts) -> str:
    return t("summary.step.euro") if cents == 100 else t("summary.step.cents", cents=cents)


def _age_under(age: int, t: Texts) -> _Clause:
    return _Clause(t("summary.age_under", age=age), t("summary.age_or_older", age=age))


def _age_from(age: int, t: Texts) -> _Clause:
    return _Clause(t("summary.age_or_older", age=age), t("summary.age_under", age=age))


def _year_from(month: int, day: int, t: Texts) -> str:
    shown = t("summary.first_day") if day == 1 else str(day)
    return t("summary.year_from", day=shown, month=t(_MONTHS[month - 1]))


def describe(scheme: SchemeDefinition, t: Texts, region_names: Mapping[str, str]) -> str:
    def place(code: str) -> str:
        return region_names.get(code, code)

    price, remark = _price(scheme.price, t)
    condition = scheme.eligibility
    if isinstance(condition, CardHolderCondition):
        sentence = t("summary.with", who=t("summary.card_holder.with"), price=price)
    elif isinstance(condition, VoucherCondition):
        sentence = t("summary.with", who=t("summary.voucher.with"), price=price)
    elif isinstance(condition, GroupCondition):
        sentence = t("summary.with", who=t("summary.group.with"), price=price)
    elif isinstance(condition, HasEntitlement):
        region = _entitlement_region(condition, scheme.owner_region)
        status = _status(condition.type, t)[0]
        suffix = "" if region is None else t("summary.region_suffix", name=place(region))
        sentence = t("summary.with", who=status + suffix, price=price)
    else:
        clause = _clause(condition, t, scheme.owner_region, place).yes
        sentence = t("summary.if", clause=clause, price=price)

    segments = [sentence] if remark is None else [sentence, remark]
    if scheme.applies_to.max_regular_price_cents is not None:
        limit = _money(scheme.applies_to.max_regular_price_cents, t)
        segments.append(t("summary.max_regular", amount=limit))
    if scheme.max_group_size is not None:
        segments.append(t("summary.group_size", tickets=scheme.max_group_size))
    segments += [_limit(limit, t) for limit in scheme.limits]
    if scheme.companions is not None:
        segments.append(_companions(scheme.companions, t))
    if scheme.stacking == "on_top":
        segments.append(t("summary.on_top"))
    text = t("summary.separator").join(segments)
    return text[0].upper() + text[1:] + "."


def _entitlement_region(condition: HasEntitlement, owner_region: str | None) -> str | None:
    if condition.in_region == IN_ANY_REGION:
        return None
    if condition.in_region == IN_OWNER_REGION:
        return owner_region
    return condition.in_region


def _clause(
    condition: Condition,
    t: Texts,
    owner_region: str | None,
    place: Callable[[str], str],
) -> _Clause:
    match condition:
        case AllOf(children) | AnyOf(children):
            joiner = t("summary.and") if isinstance(condition, AllOf) else t("summary.or")
            text = _join([_clause(c, t, owner_region, place).yes for c in children], joiner)
            return _Clause(text, t("summary.not", clause=text))
        case Not(inner):
            clause = _clause(inner, t, owner_region, place)
            return _Clause(clause.no, clause.yes)
        case HasEntitlement(type_, _):
            region = _entitlement_region(condition, owner_region)
            has = _status(type_, t)[1]
            if region is None:
                return has
            suffix = t("summary.region_suffix", name=place(region))
            return _Clause(has.yes + suffix, has.no + suffix)
        case AgeBetween(low, high):
            if low is not None and high is not None:
                return _Clause(
                    t("summary.age_between.yes", low=low, high=high),
                    t("summary.age_between.no", low=low, high=high),
                )
            if high is not None:
                return _age_under(high + 1, t)
            return _age_from(low or 0, t)
        case ResidentOfRegion(region):
            return _lives_in(place(region), t)
        case ResidentOfMunicipalities(nis_codes):
            return _lives_in(_join([place(code) for code in nis_codes], t("summary.or")), t)
        case CardHolderCondition():
            return _Clause(t("summary.card_holder.yes"), t("summary.card_holder.no"))
        case VoucherCondition():
            return _Clause(t("summary.voucher.yes"), t("summary.voucher.no"))
        case GroupCondition():
            return _Clause(t("summary.group.yes"), t("summary.group.no"))
        case OrganisationKindCondition(kind):
            return _Clause(t(_ORGANISATION_KINDS[kind][0]), t(_ORGANISATION_KINDS[kind][1]))


def _lives_in(place: str, t: Texts) -> _Clause:
    return _Clause(t("summary.lives_in.yes", place=place), t("summary.lives_in.no", place=place))


def _join(items: Sequence[str], last_joiner: str) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + last_joiner + items[-1]


def _price(rule: PriceRule, t: Texts) -> tuple[str, str | None]:
    """What the holder pays, and a separate remark on rounding when it needs one."""
    percent = rule.percent if rule.percent is not None else Decimal(0)
    share_paid = {"pay_percent": percent, "percent_off": 100 - percent}.get(rule.type)
    if rule.type == "free" or share_paid == 0:
        return t("summary.pay_nothing"), None
    if share_paid == 100 and rule.max_pay_cents is None and rule.rounding == "none":
        return t("summary.pay_regular"), None
    amount = _money(rule.amount_cents or 0, t)
    match rule.type:
        case "pay_percent":
            text = t("summary.pay_percent", percent=_percent(percent, t))
        case "percent_off":
            text = t("summary.percent_off", percent=_percent(percent, t))
        case "amount_off":
            text = t("summary.amount_off", amount=amount)
        case _:
            text = t("summary.pay_amount", amount=amount)
    remark = None
    if rule.rounding != "none":
        step, nearest = ROUNDING_STEPS[rule.rounding]
        shown = _step(step, t)
        rounded = (
            t("summary.rounded_nearest", step=shown)
            if nearest
            else t("summary.rounded_down", step=shown)
        )
        # "you pay 20 % of the price, rounded down" reads right; "you get 20 % off, rounded
        # down" would suggest the reduction is rounded, so that case gets its own remark.
        if rule.type == "pay_percent":
            text += ", " + rounded
        else:
            remark = t("summary.what_you_pay") + " " + rounded
    if rule.max_pay_cents is not None:
        text += t("summary.max_pay", amount=_money(rule.max_pay_cents, t))
    return text, remark


def _limit(limit: Limit, t: Texts) -> str:
    if limit.count is not None:
        count = limit.count
        text = (
            t("summary.tickets.one", count=count)
            if count == 1
            else t("summary.tickets.many", count=count)
        )
    else:
        text = t("summary.off_budget", amount=_money(limit.discount_cents or 0, t))
    scope = _SCOPES.get(limit.scope)
    if scope is not None:
        text += " " + t(scope)
    if limit.period != "absolute":
        text += " " + t(_PERIODS[limit.period])
        if limit.year_starts is not None and limit.year_starts != "01-01":
            text += " " + _year_from(*parse_year_starts(limit.year_starts), t)
    elif scope is None:
        text += " " + t("summary.in_total")
    return text


def _companions(companions: Companions, t: Texts) -> str:
    rule = companions.price
    n = companions.max
    if rule.type not in _COMPANION_PRICED or _price(rule, t)[0] == t("summary.pay_nothing"):
        if n == 1:
            return t("summary.companions_free.one")
        return t("summary.companions_free.many", count=n)
    if rule.type in ("pay_percent", "percent_off"):
        value = _percent(rule.percent if rule.percent is not None else Decimal(0), t)
    else:
        value = _money(rule.amount_cents or 0, t)
    share = _COMPANION_SHARES.get(rule.type)
    price = value if share is None else t(share, value=value)
    if n == 1:
        return t("summary.companions_pay.one", price=price)
    return t("summary.companions_pay.many", count=n, price=price)
