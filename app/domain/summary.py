"""A scheme in one plain sentence, in Dutch, French or English, generated from its data.

"Met kansenstatuut in Regio Kortrijk betaal je 20 % van de prijs; 1 ticket per activiteit."

The public catalogue and the self-check show this sentence, so it is written for the person
who may use the scheme: who qualifies, what they pay, how often. It is generated, never
typed by hand, so it cannot drift from the rules that are applied. `region_names` maps
region codes (and, when known, NIS codes) to names; an unknown code is shown as it is.
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
from app.domain.localized import Lang
from app.domain.price_rules import ROUNDING_STEPS, PriceRule
from app.domain.schemes import Companions, SchemeDefinition


@dataclass(frozen=True, slots=True)
class _Clause:
    """What follows "if you" / "als je" / "si vous", and its negation."""

    yes: str
    no: str


@dataclass(frozen=True, slots=True)
class _Status:
    """How a language names a status: after "with", and as a clause."""

    with_: str
    has: _Clause


@dataclass(frozen=True, slots=True)
class _Phrases:
    statuses: Mapping[str, _Status]
    region_suffix: Callable[[str], str]
    with_: Callable[[str, str], str]  # (status or pass, price phrase)
    if_: Callable[[str, str], str]  # (clause, price phrase)
    card_holder_with: str
    card_holder: _Clause
    voucher_with: str
    voucher: _Clause
    group_with: str
    group: _Clause
    # Per organisation kind (social, association, school).
    organisation_kind: Mapping[str, _Clause]
    age_between: Callable[[int, int], _Clause]
    age_under: Callable[[int], _Clause]
    age_from: Callable[[int], _Clause]
    lives_in: Callable[[str], _Clause]
    and_: str
    or_: str
    not_: Callable[[str], str]
    money: Callable[[int], str]
    percent: Callable[[Decimal], str]
    pay_percent: Callable[[str], str]
    percent_off: Callable[[str], str]
    amount_off: Callable[[str], str]
    pay_amount: Callable[[str], str]
    pay_nothing: str
    pay_regular: str
    rounded_down: Callable[[str], str]  # after the percentage paid, or after what_you_pay
    what_you_pay: str
    rounded_nearest: Callable[[str], str]
    step: Callable[[int], str]
    max_pay: Callable[[str], str]
    max_regular: Callable[[str], str]
    group_size: Callable[[int], str]
    tickets: Callable[[int], str]
    off_budget: Callable[[str], str]
    scopes: Mapping[str, str]
    periods: Mapping[str, str]
    in_total: str
    year_from: Callable[[int, int], str]
    companions_free: Callable[[int], str]
    companions_pay: Callable[[int, str], str]
    companion_share: Mapping[str, Callable[[str], str]]
    on_top: str
    separator: str = "; "


def _decimal(value: Decimal, comma: bool) -> str:
    text = f"{value.normalize():f}"
    return text.replace(".", ",") if comma else text


def _euros(cents: int, comma: bool) -> str:
    text = f"{cents // 100}.{cents % 100:02d}"
    return text.replace(".", ",") if comma else text


_MONTHS_NL = (
    "januari februari maart april mei juni juli augustus september oktober november december"
)
_MONTHS_FR = "janvier février mars avril mai juin juillet août septembre octobre novembre décembre"
_MONTHS_EN = "January February March April May June July August September October November December"

_NL = _Phrases(
    statuses={
        "kansenstatuut": _Status(
            "met kansenstatuut", _Clause("een kansenstatuut hebt", "geen kansenstatuut hebt")
        ),
        "verhoogde_tegemoetkoming": _Status(
            "met verhoogde tegemoetkoming",
            _Clause(
                "recht hebt op verhoogde tegemoetkoming",
                "geen recht hebt op verhoogde tegemoetkoming",
            ),
        ),
        "leefloon": _Status(
            "met een leefloon", _Clause("een leefloon krijgt", "geen leefloon krijgt")
        ),
        "schuldbemiddeling": _Status(
            "in schuldbemiddeling",
            _Clause("in schuldbemiddeling bent", "niet in schuldbemiddeling bent"),
        ),
        "european_disability_card": _Status(
            "met een Europese gehandicaptenkaart",
            _Clause(
                "een Europese gehandicaptenkaart hebt", "geen Europese gehandicaptenkaart hebt"
            ),
        ),
        "large_family": _Status(
            "met een grootgezinskaart",
            _Clause("een grootgezinskaart hebt", "geen grootgezinskaart hebt"),
        ),
        "article27": _Status(
            "via Artikel 27", _Clause("via Artikel 27 komt", "niet via Artikel 27 komt")
        ),
    },
    region_suffix=lambda name: f" in {name}",
    with_=lambda who, price: f"{who} {price}",
    if_=lambda clause, price: f"als je {clause}, {price}",
    card_holder_with="met je pas",
    card_holder=_Clause("een pas hebt", "geen pas hebt"),
    voucher_with="met een ticketbon van een sociale organisatie",
    voucher=_Clause(
        "een ticketbon van een sociale organisatie hebt",
        "geen ticketbon van een sociale organisatie hebt",
    ),
    group_with="met een groepspas",
    group=_Clause("met een groepspas komt", "niet met een groepspas komt"),
    organisation_kind={
        "social": _Clause(
            "via een sociale organisatie komt", "niet via een sociale organisatie komt"
        ),
        "association": _Clause("met een vereniging komt", "niet met een vereniging komt"),
        "school": _Clause("met een school komt", "niet met een school komt"),
    },
    age_between=lambda lo, hi: _Clause(
        f"tussen {lo} en {hi} jaar oud bent", f"niet tussen {lo} en {hi} jaar oud bent"
    ),
    age_under=lambda n: _Clause(f"jonger bent dan {n} jaar", f"{n} jaar of ouder bent"),
    age_from=lambda n: _Clause(f"{n} jaar of ouder bent", f"jonger bent dan {n} jaar"),
    lives_in=lambda place: _Clause(f"in {place} woont", f"niet in {place} woont"),
    and_=" en ",
    or_=" of ",
    not_=lambda clause: f"niet voldoet aan: {clause}",
    money=lambda cents: f"€ {_euros(cents, comma=True)}",
    percent=lambda p: f"{_decimal(p, comma=True)} %",
    pay_percent=lambda p: f"betaal je {p} van de prijs",
    percent_off=lambda p: f"krijg je {p} korting",
    amount_off=lambda money: f"krijg je {money} korting",
    pay_amount=lambda money: f"betaal je {money}",
    pay_nothing="betaal je niets",
    pay_regular="betaal je de gewone prijs",
    rounded_down=lambda step: f"naar beneden afgerond op {step}",
    rounded_nearest=lambda step: f"afgerond op {step}",
    what_you_pay="wat je betaalt, wordt",
    step=lambda cents: "1 euro" if cents == 100 else f"{cents} cent",
    max_pay=lambda money: f" (je betaalt nooit meer dan {money})",
    max_regular=lambda money: f"voor tickets tot {money}",
    group_size=lambda n: f"tot {n} tickets per keer",
    tickets=lambda n: f"{n} ticket" if n == 1 else f"{n} tickets",
    off_budget=lambda money: f"maximaal {money} korting",
    scopes={"offer": "per activiteit", "partner": "per organisator", "category": "per categorie"},
    periods={
        "day": "per dag",
        "week": "per week",
        "month": "per maand",
        "quarter": "per kwartaal",
        "year": "per jaar",
    },
    in_total="in totaal",
    year_from=lambda month, day: f"vanaf {day} {_MONTHS_NL.split()[month - 1]}",
    companions_free=lambda n: (
        "een begeleider mag gratis mee" if n == 1 else f"maximaal {n} begeleiders mogen gratis mee"
    ),
    companions_pay=lambda n, price: (
        f"een begeleider betaalt {price}" if n == 1 else f"maximaal {n} begeleiders betalen {price}"
    ),
    companion_share={
        "pay_percent": lambda p: f"{p} van de prijs",
        "percent_off": lambda p: f"{p} minder",
        "amount_off": lambda money: f"{money} minder",
        "fixed_price": lambda money: money,
    },
    on_top="bovenop andere kortingen",
)

_FR = _Phrases(
    statuses={
        "kansenstatuut": _Status(
            "avec le statut d'opportunité",
            _Clause("avez le statut d'opportunité", "n'avez pas le statut d'opportunité"),
        ),
        "verhoogde_tegemoetkoming": _Status(
            "avec l'intervention majorée",
            _Clause(
                "bénéficiez de l'intervention majorée",
                "ne bénéficiez pas de l'intervention majorée",
            ),
        ),
        "leefloon": _Status(
            "avec le revenu d'intégration",
            _Clause("percevez le revenu d'intégration", "ne percevez pas le revenu d'intégration"),
        ),
        "schuldbemiddeling": _Status(
            "en médiation de dettes",
            _Clause("êtes en médiation de dettes", "n'êtes pas en médiation de dettes"),
        ),
        "european_disability_card": _Status(
            "avec la carte européenne du handicap",
            _Clause(
                "avez la carte européenne du handicap",
                "n'avez pas la carte européenne du handicap",
            ),
        ),
        "large_family": _Status(
            "avec une carte famille nombreuse",
            _Clause("avez une carte famille nombreuse", "n'avez pas de carte famille nombreuse"),
        ),
        "article27": _Status(
            "via Article 27", _Clause("venez via Article 27", "ne venez pas via Article 27")
        ),
    },
    region_suffix=lambda name: f" ({name})",
    with_=lambda who, price: f"{who}, {price}",
    if_=lambda clause, price: f"si vous {clause}, {price}",
    card_holder_with="avec votre carte",
    card_holder=_Clause("avez une carte", "n'avez pas de carte"),
    voucher_with="avec un bon d'une organisation sociale",
    voucher=_Clause(
        "avez un bon d'une organisation sociale", "n'avez pas de bon d'une organisation sociale"
    ),
    group_with="avec une carte de groupe",
    group=_Clause("venez avec une carte de groupe", "ne venez pas avec une carte de groupe"),
    organisation_kind={
        "social": _Clause(
            "venez par une organisation sociale", "ne venez pas par une organisation sociale"
        ),
        "association": _Clause("venez avec une association", "ne venez pas avec une association"),
        "school": _Clause("venez avec une école", "ne venez pas avec une école"),
    },
    age_between=lambda lo, hi: _Clause(
        f"avez entre {lo} et {hi} ans", f"n'avez pas entre {lo} et {hi} ans"
    ),
    age_under=lambda n: _Clause(f"avez moins de {n} ans", f"avez {n} ans ou plus"),
    age_from=lambda n: _Clause(f"avez {n} ans ou plus", f"avez moins de {n} ans"),
    lives_in=lambda place: _Clause(f"habitez à {place}", f"n'habitez pas à {place}"),
    and_=" et ",
    or_=" ou ",
    not_=lambda clause: f"ne remplissez pas la condition : {clause}",
    money=lambda cents: f"{_euros(cents, comma=True)} €",
    percent=lambda p: f"{_decimal(p, comma=True)} %",
    pay_percent=lambda p: f"vous payez {p} du prix",
    percent_off=lambda p: f"vous bénéficiez de {p} de réduction",
    amount_off=lambda money: f"vous bénéficiez de {money} de réduction",
    pay_amount=lambda money: f"vous payez {money}",
    pay_nothing="vous ne payez rien",
    pay_regular="vous payez le prix normal",
    rounded_down=lambda step: f"arrondi vers le bas à {step} près",
    rounded_nearest=lambda step: f"arrondi à {step} près",
    what_you_pay="le montant à payer est",
    step=lambda cents: "1 euro" if cents == 100 else f"{cents} centimes",
    max_pay=lambda money: f" (vous ne payez jamais plus de {money})",
    max_regular=lambda money: f"pour les billets jusqu'à {money}",
    group_size=lambda n: f"jusqu'à {n} billets à la fois",
    tickets=lambda n: f"{n} billet" if n == 1 else f"{n} billets",
    off_budget=lambda money: f"au maximum {money} de réduction",
    scopes={"offer": "par activité", "partner": "par organisateur", "category": "par catégorie"},
    periods={
        "day": "par jour",
        "week": "par semaine",
        "month": "par mois",
        "quarter": "par trimestre",
        "year": "par an",
    },
    in_total="au total",
    year_from=lambda month, day: (
        f"à partir du {'1er' if day == 1 else day} {_MONTHS_FR.split()[month - 1]}"
    ),
    companions_free=lambda n: (
        "un accompagnateur entre gratuitement"
        if n == 1
        else f"jusqu'à {n} accompagnateurs entrent gratuitement"
    ),
    companions_pay=lambda n, price: (
        f"un accompagnateur paie {price}"
        if n == 1
        else f"jusqu'à {n} accompagnateurs paient {price}"
    ),
    companion_share={
        "pay_percent": lambda p: f"{p} du prix",
        "percent_off": lambda p: f"{p} de moins",
        "amount_off": lambda money: f"{money} de moins",
        "fixed_price": lambda money: money,
    },
    on_top="en plus des autres réductions",
    # French typography puts a space before a semicolon.
    separator=" ; ",
)

_EN = _Phrases(
    statuses={
        "kansenstatuut": _Status(
            "with an opportunity status",
            _Clause("have an opportunity status", "do not have an opportunity status"),
        ),
        "verhoogde_tegemoetkoming": _Status(
            "with increased reimbursement",
            _Clause("receive increased reimbursement", "do not receive increased reimbursement"),
        ),
        "leefloon": _Status(
            "with a social integration income",
            _Clause(
                "receive a social integration income",
                "do not receive a social integration income",
            ),
        ),
        "schuldbemiddeling": _Status(
            "in debt mediation", _Clause("are in debt mediation", "are not in debt mediation")
        ),
        "european_disability_card": _Status(
            "with a European Disability Card",
            _Clause("have a European Disability Card", "do not have a European Disability Card"),
        ),
        "large_family": _Status(
            "with a large family card",
            _Clause("have a large family card", "do not have a large family card"),
        ),
        "article27": _Status(
            "through Article 27",
            _Clause("come through Article 27", "do not come through Article 27"),
        ),
    },
    region_suffix=lambda name: f" in {name}",
    with_=lambda who, price: f"{who}, {price}",
    if_=lambda clause, price: f"if you {clause}, {price}",
    card_holder_with="with your pass",
    card_holder=_Clause("have a pass", "do not have a pass"),
    voucher_with="with a voucher from a social organisation",
    voucher=_Clause(
        "have a voucher from a social organisation",
        "do not have a voucher from a social organisation",
    ),
    group_with="with a group pass",
    group=_Clause("come with a group pass", "do not come with a group pass"),
    organisation_kind={
        "social": _Clause(
            "come through a social organisation", "do not come through a social organisation"
        ),
        "association": _Clause("come with an association", "do not come with an association"),
        "school": _Clause("come with a school", "do not come with a school"),
    },
    age_between=lambda lo, hi: _Clause(
        f"are between {lo} and {hi} years old", f"are not between {lo} and {hi} years old"
    ),
    age_under=lambda n: _Clause(f"are under {n}", f"are {n} or older"),
    age_from=lambda n: _Clause(f"are {n} or older", f"are under {n}"),
    lives_in=lambda place: _Clause(f"live in {place}", f"do not live in {place}"),
    and_=" and ",
    or_=" or ",
    not_=lambda clause: f"do not meet this condition: {clause}",
    money=lambda cents: f"€{_euros(cents, comma=False)}",
    percent=lambda p: f"{_decimal(p, comma=False)}%",
    pay_percent=lambda p: f"you pay {p} of the price",
    percent_off=lambda p: f"you get {p} off",
    amount_off=lambda money: f"you get {money} off",
    pay_amount=lambda money: f"you pay {money}",
    pay_nothing="you pay nothing",
    pay_regular="you pay the regular price",
    rounded_down=lambda step: f"rounded down to {step}",
    rounded_nearest=lambda step: f"rounded to the nearest {step}",
    what_you_pay="what you pay is",
    step=lambda cents: "1 euro" if cents == 100 else f"{cents} cents",
    max_pay=lambda money: f" (you never pay more than {money})",
    max_regular=lambda money: f"for tickets up to {money}",
    group_size=lambda n: f"up to {n} tickets at a time",
    tickets=lambda n: f"{n} ticket" if n == 1 else f"{n} tickets",
    off_budget=lambda money: f"at most {money} off",
    scopes={"offer": "per activity", "partner": "per organiser", "category": "per category"},
    periods={
        "day": "per day",
        "week": "per week",
        "month": "per month",
        "quarter": "per quarter",
        "year": "per year",
    },
    in_total="in total",
    year_from=lambda month, day: f"from {day} {_MONTHS_EN.split()[month - 1]}",
    companions_free=lambda n: (
        "one companion goes free" if n == 1 else f"up to {n} companions go free"
    ),
    companions_pay=lambda n, price: (
        f"one companion pays {price}" if n == 1 else f"up to {n} companions pay {price}"
    ),
    companion_share={
        "pay_percent": lambda p: f"{p} of the price",
        "percent_off": lambda p: f"{p} less",
        "amount_off": lambda money: f"{money} less",
        "fixed_price": lambda money: money,
    },
    on_top="on top of other reductions",
)

_PHRASES: Mapping[Lang, _Phrases] = {"nl": _NL, "fr": _FR, "en": _EN}


def describe(scheme: SchemeDefinition, lang: Lang, region_names: Mapping[str, str]) -> str:
    words = _PHRASES[lang]

    def place(code: str) -> str:
        return region_names.get(code, code)

    price, remark = _price(scheme.price, words)
    condition = scheme.eligibility
    if isinstance(condition, CardHolderCondition):
        sentence = words.with_(words.card_holder_with, price)
    elif isinstance(condition, VoucherCondition):
        sentence = words.with_(words.voucher_with, price)
    elif isinstance(condition, GroupCondition):
        sentence = words.with_(words.group_with, price)
    elif isinstance(condition, HasEntitlement):
        region = _entitlement_region(condition, scheme.owner_region)
        status = words.statuses[condition.type].with_
        suffix = "" if region is None else words.region_suffix(place(region))
        sentence = words.with_(status + suffix, price)
    else:
        clause = _clause(condition, words, scheme.owner_region, place).yes
        sentence = words.if_(clause, price)

    segments = [sentence] if remark is None else [sentence, remark]
    if scheme.applies_to.max_regular_price_cents is not None:
        segments.append(words.max_regular(words.money(scheme.applies_to.max_regular_price_cents)))
    if scheme.max_group_size is not None:
        segments.append(words.group_size(scheme.max_group_size))
    segments += [_limit(limit, words) for limit in scheme.limits]
    if scheme.companions is not None:
        segments.append(_companions(scheme.companions, words))
    if scheme.stacking == "on_top":
        segments.append(words.on_top)
    text = words.separator.join(segments)
    return text[0].upper() + text[1:] + "."


def _entitlement_region(condition: HasEntitlement, owner_region: str | None) -> str | None:
    if condition.in_region == IN_ANY_REGION:
        return None
    if condition.in_region == IN_OWNER_REGION:
        return owner_region
    return condition.in_region


def _clause(
    condition: Condition,
    words: _Phrases,
    owner_region: str | None,
    place: Callable[[str], str],
) -> _Clause:
    match condition:
        case AllOf(children) | AnyOf(children):
            joiner = words.and_ if isinstance(condition, AllOf) else words.or_
            text = _join([_clause(c, words, owner_region, place).yes for c in children], joiner)
            return _Clause(text, words.not_(text))
        case Not(inner):
            clause = _clause(inner, words, owner_region, place)
            return _Clause(clause.no, clause.yes)
        case HasEntitlement(type_, _):
            region = _entitlement_region(condition, owner_region)
            has = words.statuses[type_].has
            if region is None:
                return has
            suffix = words.region_suffix(place(region))
            return _Clause(has.yes + suffix, has.no + suffix)
        case AgeBetween(low, high):
            if low is not None and high is not None:
                return words.age_between(low, high)
            if high is not None:
                return words.age_under(high + 1)
            return words.age_from(low or 0)
        case ResidentOfRegion(region):
            return words.lives_in(place(region))
        case ResidentOfMunicipalities(nis_codes):
            return words.lives_in(_join([place(code) for code in nis_codes], words.or_))
        case CardHolderCondition():
            return words.card_holder
        case VoucherCondition():
            return words.voucher
        case GroupCondition():
            return words.group
        case OrganisationKindCondition(kind):
            return words.organisation_kind[kind]


def _join(items: Sequence[str], last_joiner: str) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + last_joiner + items[-1]


def _price(rule: PriceRule, words: _Phrases) -> tuple[str, str | None]:
    """What the holder pays, and a separate remark on rounding when it needs one."""
    percent = rule.percent if rule.percent is not None else Decimal(0)
    share_paid = {"pay_percent": percent, "percent_off": 100 - percent}.get(rule.type)
    if rule.type == "free" or share_paid == 0:
        return words.pay_nothing, None
    if share_paid == 100 and rule.max_pay_cents is None and rule.rounding == "none":
        return words.pay_regular, None
    amount = words.money(rule.amount_cents or 0)
    match rule.type:
        case "pay_percent":
            text = words.pay_percent(words.percent(percent))
        case "percent_off":
            text = words.percent_off(words.percent(percent))
        case "amount_off":
            text = words.amount_off(amount)
        case _:
            text = words.pay_amount(amount)
    remark = None
    if rule.rounding != "none":
        step, nearest = ROUNDING_STEPS[rule.rounding]
        rounded = (words.rounded_nearest if nearest else words.rounded_down)(words.step(step))
        # "you pay 20 % of the price, rounded down" reads right; "you get 20 % off, rounded
        # down" would suggest the reduction is rounded, so that case gets its own remark.
        if rule.type == "pay_percent":
            text += ", " + rounded
        else:
            remark = f"{words.what_you_pay} {rounded}"
    if rule.max_pay_cents is not None:
        text += words.max_pay(words.money(rule.max_pay_cents))
    return text, remark


def _limit(limit: Limit, words: _Phrases) -> str:
    if limit.count is not None:
        text = words.tickets(limit.count)
    else:
        text = words.off_budget(words.money(limit.discount_cents or 0))
    scope = words.scopes.get(limit.scope)
    if scope is not None:
        text += " " + scope
    if limit.period != "absolute":
        text += " " + words.periods[limit.period]
        if limit.year_starts is not None and limit.year_starts != "01-01":
            text += " " + words.year_from(*parse_year_starts(limit.year_starts))
    elif scope is None:
        text += " " + words.in_total
    return text


def _companions(companions: Companions, words: _Phrases) -> str:
    rule = companions.price
    share = words.companion_share.get(rule.type)
    if share is None or _price(rule, words)[0] == words.pay_nothing:
        return words.companions_free(companions.max)
    if rule.type in ("pay_percent", "percent_off"):
        value = words.percent(rule.percent if rule.percent is not None else Decimal(0))
    else:
        value = words.money(rule.amount_cents or 0)
    return words.companions_pay(companions.max, share(value))
