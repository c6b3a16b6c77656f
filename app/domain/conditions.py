"""Eligibility: a small condition tree over the holder's facts on the activity date.

Leaves: `{"entitlement": TYPE, "in_region": "owner"|"any"|REGION_CODE}`,
`{"age": {"min": N, "max": N}}` (inclusive, full years), `{"resident_of": REGION_CODE}` or
`{"resident_of": [NIS codes]}`, `{"card_holder": true}`, `{"voucher": true}` (an anonymous
voucher of a social organisation: a scheme meant for vouchers says so, and only a voucher
meets it; a voucher meets no other leaf), `{"group": true}` (an organisation's group card:
a scheme meant for groups says so, and only a group meets it) and `{"organisation_kind":
"school"}` (the organisation behind a group is of that kind); combined with `all`, `any`,
`not`. A person's schemes never apply to a group and a group's never to a person: a card
holder meets neither group leaf, and a group meets no leaf about a person.

A condition is compiled once per scheme into a plain predicate over a `Subject` (the holder
reduced to what conditions can see), so pricing a holder against many schemes computes the
holder's age and statuses once and then only calls small closures.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import TypeAlias

from app.domain.entitlements import (
    ENTITLEMENT_TYPES,
    USABLE_STATUSES,
    EntitlementStatus,
    entitlement_status,
)
from app.domain.facts import HolderFacts, age_on
from app.domain.validation import (
    Problems,
    pointer,
    read_code,
    read_integer,
    read_list,
    read_nis_code,
    read_object,
)

# A person's age; generous, but stops nonsense such as 1000 early.
MAX_AGE = 150
# Deeper trees are certainly a mistake and would only slow every quote down.
MAX_DEPTH = 8

IN_OWNER_REGION = "owner"
IN_ANY_REGION = "any"


@dataclass(frozen=True, slots=True)
class AllOf:
    conditions: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    conditions: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class Not:
    condition: Condition


@dataclass(frozen=True, slots=True)
class HasEntitlement:
    """A usable status of `type`, valid in `in_region` ("owner", "any" or a region code).

    A status without a region counts everywhere.
    """

    type: str
    in_region: str = IN_ANY_REGION


@dataclass(frozen=True, slots=True)
class AgeBetween:
    min_years: int | None = None
    max_years: int | None = None


@dataclass(frozen=True, slots=True)
class ResidentOfRegion:
    region: str


@dataclass(frozen=True, slots=True)
class ResidentOfMunicipalities:
    nis_codes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CardHolderCondition:
    """Anyone with a pass (a welcome coupon, a scheme for all passholders)."""


@dataclass(frozen=True, slots=True)
class VoucherCondition:
    """An anonymous voucher issued from an organisation's allocation (Article 27)."""


@dataclass(frozen=True, slots=True)
class GroupCondition:
    """A group card of an organisation (a school class, an association's group)."""


@dataclass(frozen=True, slots=True)
class OrganisationKindCondition:
    """The organisation behind the group (or voucher) is of this kind."""

    kind: str


# The kinds an organisation is of (app.domain.vouchers.OrganisationKind).
ORGANISATION_KINDS = ("social", "association", "school")

Condition: TypeAlias = (
    AllOf
    | AnyOf
    | Not
    | HasEntitlement
    | AgeBetween
    | ResidentOfRegion
    | ResidentOfMunicipalities
    | CardHolderCondition
    | VoucherCondition
    | GroupCondition
    | OrganisationKindCondition
)

CONDITION_KEYS = (
    "all",
    "any",
    "not",
    "entitlement",
    "age",
    "resident_of",
    "card_holder",
    "voucher",
    "group",
    "organisation_kind",
)


def condition_to_dict(condition: Condition) -> dict[str, object]:
    match condition:
        case AllOf(conditions):
            return {"all": [condition_to_dict(c) for c in conditions]}
        case AnyOf(conditions):
            return {"any": [condition_to_dict(c) for c in conditions]}
        case Not(inner):
            return {"not": condition_to_dict(inner)}
        case HasEntitlement(type_, in_region):
            return {"entitlement": type_, "in_region": in_region}
        case AgeBetween(min_years, max_years):
            age: dict[str, object] = {}
            if min_years is not None:
                age["min"] = min_years
            if max_years is not None:
                age["max"] = max_years
            return {"age": age}
        case ResidentOfRegion(region):
            return {"resident_of": region}
        case ResidentOfMunicipalities(nis_codes):
            return {"resident_of": list(nis_codes)}
        case CardHolderCondition():
            return {"card_holder": True}
        case VoucherCondition():
            return {"voucher": True}
        case GroupCondition():
            return {"group": True}
        case OrganisationKindCondition(kind):
            return {"organisation_kind": kind}


def voucher_only(condition: Condition) -> bool:
    """True when only a voucher can meet `condition` (a voucher leaf that every branch
    needs): such a scheme is never a card holder's, so a card's quote leaves it out."""
    match condition:
        case VoucherCondition():
            return True
        case AllOf(conditions):
            return any(voucher_only(c) for c in conditions)
        case AnyOf(conditions):
            return all(voucher_only(c) for c in conditions)
    return False


def group_only(condition: Condition) -> bool:
    """True when only a group can meet `condition` (a group leaf that every branch needs):
    such a scheme is quoted on group cards, and only there."""
    match condition:
        case GroupCondition():
            return True
        case AllOf(conditions):
            return any(group_only(c) for c in conditions)
        case AnyOf(conditions):
            return all(group_only(c) for c in conditions)
    return False


# --- parsing -------------------------------------------------------------------------------


def parse_condition(
    value: object, at: str, problems: Problems, *, owner_region: str | None, depth: int = 0
) -> Condition:
    if depth > MAX_DEPTH:
        problems.add(at, f"is nested more than {MAX_DEPTH} levels deep")
        return CardHolderCondition()
    if not isinstance(value, Mapping) or not value:
        problems.add(at, f"must be an object with one of: {', '.join(CONDITION_KEYS)}")
        return CardHolderCondition()
    kinds = [key for key in value if key in CONDITION_KEYS]
    if len(kinds) != 1:
        if not kinds:
            first = next(iter(value))
            problems.add(
                pointer(at, str(first)),
                f"unknown condition; expected one of: {', '.join(CONDITION_KEYS)}",
            )
        else:
            problems.add(at, f"must have exactly one of: {', '.join(kinds)}")
        return CardHolderCondition()
    kind = kinds[0]
    here = pointer(at, kind)
    inner = value[kind]

    if kind in ("all", "any"):
        read_object(value, at, problems, required=(kind,))
        items = read_list(inner, here, problems, min_items=1)
        children = tuple(
            parse_condition(
                item, pointer(here, i), problems, owner_region=owner_region, depth=depth + 1
            )
            for i, item in enumerate(items)
        )
        return AllOf(children) if kind == "all" else AnyOf(children)
    if kind == "not":
        read_object(value, at, problems, required=("not",))
        return Not(
            parse_condition(inner, here, problems, owner_region=owner_region, depth=depth + 1)
        )
    if kind == "entitlement":
        return _parse_entitlement(value, at, problems, owner_region)
    if kind == "age":
        read_object(value, at, problems, required=("age",))
        return _parse_age(inner, here, problems)
    if kind == "resident_of":
        read_object(value, at, problems, required=("resident_of",))
        if isinstance(inner, str):
            return ResidentOfRegion(read_code(inner, here, problems))
        codes = read_list(inner, here, problems, min_items=1)
        return ResidentOfMunicipalities(
            tuple(read_nis_code(code, pointer(here, i), problems) for i, code in enumerate(codes))
        )
    if kind == "voucher":
        read_object(value, at, problems, required=("voucher",))
        if inner is not True:
            problems.add(here, "must be true")
        return VoucherCondition()
    if kind == "group":
        read_object(value, at, problems, required=("group",))
        if inner is not True:
            problems.add(here, "must be true")
        return GroupCondition()
    if kind == "organisation_kind":
        read_object(value, at, problems, required=("organisation_kind",))
        if inner not in ORGANISATION_KINDS:
            problems.add(here, f"must be one of: {', '.join(ORGANISATION_KINDS)}")
        return OrganisationKindCondition(str(inner))
    # card_holder
    read_object(value, at, problems, required=("card_holder",))
    if inner is not True:
        problems.add(here, "must be true")
    return CardHolderCondition()


def _parse_entitlement(
    value: Mapping[str, object], at: str, problems: Problems, owner_region: str | None
) -> HasEntitlement:
    read_object(value, at, problems, required=("entitlement",), optional=("in_region",))
    type_ = value["entitlement"]
    if type_ not in ENTITLEMENT_TYPES:
        problems.add(pointer(at, "entitlement"), f"must be one of: {', '.join(ENTITLEMENT_TYPES)}")
    in_region = value.get("in_region", IN_ANY_REGION)
    region_at = pointer(at, "in_region")
    if in_region == IN_OWNER_REGION:
        if owner_region is None:
            problems.add(region_at, "'owner' needs a scheme with an owner_region")
    elif in_region != IN_ANY_REGION:
        in_region = read_code(in_region, region_at, problems)
    return HasEntitlement(str(type_), str(in_region))


def _parse_age(value: object, at: str, problems: Problems) -> AgeBetween:
    data = read_object(value, at, problems, optional=("min", "max"))
    if isinstance(value, Mapping) and not data.keys() & {"min", "max"}:
        problems.add(at, "needs min, max or both")
    bounds = {
        key: read_integer(data[key], pointer(at, key), problems, minimum=0, maximum=MAX_AGE)
        for key in ("min", "max")
        if key in data
    }
    low, high = bounds.get("min"), bounds.get("max")
    if low is not None and high is not None and low > high:
        problems.add(pointer(at, "max"), "must not be below min")
    return AgeBetween(low, high)


# --- evaluation ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Subject:
    """The holder as conditions see them on one day.

    `entitlements` maps each counted status type to the regions it counts in (None: all).
    """

    age: int | None
    municipality_nis: str | None
    region: str | None
    entitlements: Mapping[str, frozenset[str | None]]
    voucher: bool = False
    group: bool = False
    organisation_kind: str | None = None


def subject_of(
    holder: HolderFacts,
    day: date,
    counting: frozenset[EntitlementStatus] = USABLE_STATUSES,
) -> Subject:
    """The holder on `day`, counting the statuses whose status on that day is in `counting`.

    Pricing passes the usable statuses; to tell "not eligible" from "eligible if the status
    were renewed" it asks again counting past statuses too.
    """
    regions: dict[str, set[str | None]] = {}
    for entitlement in holder.entitlements:
        if entitlement_status(entitlement, day) in counting:
            regions.setdefault(entitlement.type, set()).add(entitlement.region)
    return Subject(
        age=None if holder.birth_date is None else age_on(holder.birth_date, day),
        municipality_nis=holder.municipality_nis,
        region=holder.region,
        entitlements={type_: frozenset(found) for type_, found in regions.items()},
        voucher=holder.voucher,
        group=holder.group,
        organisation_kind=holder.organisation_kind,
    )


Predicate = Callable[[Subject], bool]


def compile_condition(condition: Condition, owner_region: str | None) -> Predicate:
    """A predicate equivalent to `condition`, with "owner" already resolved to a region."""
    match condition:
        case AllOf(conditions):
            parts = tuple(compile_condition(c, owner_region) for c in conditions)
            return lambda s: all(p(s) for p in parts)
        case AnyOf(conditions):
            parts = tuple(compile_condition(c, owner_region) for c in conditions)
            return lambda s: any(p(s) for p in parts)
        case Not(inner):
            negated = compile_condition(inner, owner_region)
            return lambda s: not negated(s)
        case HasEntitlement(type_, in_region):
            wanted = owner_region if in_region == IN_OWNER_REGION else in_region
            return _entitlement_predicate(type_, None if wanted == IN_ANY_REGION else wanted)
        case AgeBetween(min_years, max_years):
            low = 0 if min_years is None else min_years
            if max_years is None:
                return lambda s: s.age is not None and low <= s.age
            high = max_years
            return lambda s: s.age is not None and low <= s.age <= high
        case ResidentOfRegion(region):
            return lambda s: s.region == region
        case ResidentOfMunicipalities(nis_codes):
            municipalities = frozenset(nis_codes)
            return lambda s: s.municipality_nis in municipalities
        case CardHolderCondition():
            return lambda s: not s.voucher and not s.group
        case VoucherCondition():
            return lambda s: s.voucher
        case GroupCondition():
            return lambda s: s.group
        case OrganisationKindCondition(kind):
            return lambda s: s.organisation_kind == kind


def _entitlement_predicate(type_: str, region: str | None) -> Predicate:
    if region is None:
        return lambda s: type_ in s.entitlements

    def holds(s: Subject) -> bool:
        regions = s.entitlements.get(type_)
        return regions is not None and (region in regions or None in regions)

    return holds
