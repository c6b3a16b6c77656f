"""A scheme (kortingssysteem) as data: its definition and how it is read and written.

`parse_scheme` validates a JSON-like mapping (from the API or a catalogue file) and
reports every problem with the JSON pointer of its field; `SchemeDefinition.to_dict` writes
the same shape back, so that `parse_scheme(d.to_dict()) == d`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Literal

from app.domain.conditions import (
    CardHolderCondition,
    Condition,
    condition_to_dict,
    group_only,
    parse_condition,
)
from app.domain.funding import (
    FundingByResidence,
    FundingKey,
    parse_funding_by_residence,
    parse_funding_key,
)
from app.domain.limits import Limit, parse_limit
from app.domain.localized import LocalizedText, parse_localized
from app.domain.price_rules import PriceRule, parse_price_rule
from app.domain.validation import (
    Problems,
    SchemeValidationError,
    pointer,
    read_cents,
    read_choice,
    read_code,
    read_date,
    read_integer,
    read_list,
    read_object,
    read_references,
)

__all__ = [
    "AppliesTo",
    "Companions",
    "SchemeDefinition",
    "SchemeValidationError",
    "Stacking",
    "parse_scheme",
]

Stacking = Literal["exclusive", "on_top"]
STACKINGS: tuple[Stacking, ...] = ("exclusive", "on_top")
PartnerSelection = Literal["owner_region", "all"]
PARTNER_SELECTIONS: tuple[PartnerSelection, ...] = ("owner_region", "all")

NAME_MAX_LENGTH = 200
TEXT_MAX_LENGTH = 4000
MAX_COMPANIONS = 10
# The most tickets one group sale may sell at once (a scheme's max_group_size); and what a
# group scheme without one allows: as many as a person's sale.
MAX_GROUP_SIZE = 200
DEFAULT_GROUP_SIZE = 20
# Far beyond any real scheme, within 32-bit columns.
MAX_PRIORITY = 1_000_000
MAX_VERSION = 1_000_000


@dataclass(frozen=True, slots=True)
class AppliesTo:
    """Which sales a scheme covers. None in a list field means "any"."""

    # "owner_region": partners in the scheme's owner region; "all"; or a list of partner ids.
    partners: PartnerSelection | tuple[str, ...]
    categories: tuple[str, ...] | None = None
    price_classes: tuple[str, ...] | None = None
    # No reduction on tickets dearer than this (a scheme meant for everyday leisure).
    max_regular_price_cents: int | None = None

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "partners": self.partners if isinstance(self.partners, str) else list(self.partners)
        }
        if self.categories is not None:
            out["categories"] = list(self.categories)
        if self.price_classes is not None:
            out["price_classes"] = list(self.price_classes)
        if self.max_regular_price_cents is not None:
            out["max_regular_price_cents"] = self.max_regular_price_cents
        return out


@dataclass(frozen=True, slots=True)
class Companions:
    """Up to `max` extra tickets for people accompanying the holder, at `price`."""

    max: int
    price: PriceRule

    def to_dict(self) -> dict[str, object]:
        return {"max": self.max, "price": self.price.to_dict()}


@dataclass(frozen=True, slots=True)
class SchemeDefinition:
    code: str
    name: LocalizedText
    eligibility: Condition
    applies_to: AppliesTo
    price: PriceRule
    # Exactly one of the two is used: the same key for everyone, or one per residence.
    funding: FundingKey = ()
    funding_by_residence: FundingByResidence | None = None
    owner_region: str | None = None  # a region code; None is platform-wide
    valid_from: date | None = None
    valid_until: date | None = None
    version: int = 1
    limits: tuple[Limit, ...] = ()
    companions: Companions | None = None
    stacking: Stacking = "exclusive"
    priority: int = 0
    description: LocalizedText | None = None
    how_to_apply: LocalizedText | None = None
    # A group scheme's most tickets in one sale on a group card (None: DEFAULT_GROUP_SIZE).
    max_group_size: int | None = None

    def is_valid_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_until is None or day <= self.valid_until
        )

    def funding_key(self, same_municipality: bool) -> FundingKey:
        if self.funding_by_residence is None:
            return self.funding
        if same_municipality:
            return self.funding_by_residence.same_municipality
        return self.funding_by_residence.other

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "code": self.code,
            "version": self.version,
            "name": self.name.to_dict(),
            "owner_region": self.owner_region,
        }
        if self.valid_from is not None:
            out["valid_from"] = self.valid_from.isoformat()
        if self.valid_until is not None:
            out["valid_until"] = self.valid_until.isoformat()
        out["eligibility"] = condition_to_dict(self.eligibility)
        out["applies_to"] = self.applies_to.to_dict()
        out["price"] = self.price.to_dict()
        out["limits"] = [limit.to_dict() for limit in self.limits]
        if self.companions is not None:
            out["companions"] = self.companions.to_dict()
        if self.funding_by_residence is None:
            out["funding"] = [share.to_dict() for share in self.funding]
        else:
            out["funding_by_residence"] = self.funding_by_residence.to_dict()
        out["stacking"] = self.stacking
        out["priority"] = self.priority
        if self.description is not None:
            out["description"] = self.description.to_dict()
        if self.how_to_apply is not None:
            out["how_to_apply"] = self.how_to_apply.to_dict()
        if self.max_group_size is not None:
            out["max_group_size"] = self.max_group_size
        return out

    @property
    def group_size(self) -> int:
        """The most tickets one sale on a group card may sell under this scheme."""
        return DEFAULT_GROUP_SIZE if self.max_group_size is None else self.max_group_size


_REQUIRED = ("code", "name", "eligibility", "applies_to", "price")
_OPTIONAL = (
    "owner_region",
    "valid_from",
    "valid_until",
    "version",
    "limits",
    "companions",
    "funding",
    "funding_by_residence",
    "stacking",
    "priority",
    "description",
    "how_to_apply",
    "max_group_size",
)


def parse_scheme(data: Mapping[str, object]) -> SchemeDefinition:
    """Validate a scheme definition; raises SchemeValidationError listing every problem."""
    problems = Problems()
    fields = read_object(data, "", problems, required=_REQUIRED, optional=_OPTIONAL)

    def at(key: str) -> str:
        return pointer("", key)

    code = read_code(fields.get("code"), at("code"), problems) if "code" in fields else ""
    # On a bad code the placeholder "" (not None) keeps "needs an owner_region" quiet.
    owner_region = (
        None
        if fields.get("owner_region") is None
        else read_code(fields["owner_region"], at("owner_region"), problems)
    )
    name = (
        parse_localized(fields["name"], at("name"), problems, max_length=NAME_MAX_LENGTH)
        if "name" in fields
        else LocalizedText("")
    )
    valid_from = (
        read_date(fields["valid_from"], at("valid_from"), problems)
        if "valid_from" in fields
        else None
    )
    valid_until = (
        read_date(fields["valid_until"], at("valid_until"), problems)
        if "valid_until" in fields
        else None
    )
    if valid_from and valid_until and valid_until < valid_from:
        problems.add(at("valid_until"), "must not be before valid_from")

    # A missing required field was reported by read_object; parsing it again would only
    # add a second message for the same mistake.
    eligibility = (
        parse_condition(
            fields["eligibility"], at("eligibility"), problems, owner_region=owner_region
        )
        if "eligibility" in fields
        else CardHolderCondition()
    )
    applies_to = (
        _parse_applies_to(
            fields["applies_to"], at("applies_to"), problems, owner_region=owner_region
        )
        if "applies_to" in fields
        else AppliesTo("all")
    )
    price = (
        parse_price_rule(fields["price"], at("price"), problems)
        if "price" in fields
        else PriceRule("free")
    )
    limits = tuple(
        parse_limit(item, pointer(at("limits"), i), problems)
        for i, item in enumerate(read_list(fields.get("limits", []), at("limits"), problems))
    )
    companions = (
        _parse_companions(fields["companions"], at("companions"), problems)
        if "companions" in fields
        else None
    )

    funding: FundingKey = ()
    by_residence = None
    if ("funding" in fields) == ("funding_by_residence" in fields):
        problems.add(at("funding"), "give either funding or funding_by_residence")
    if "funding" in fields:
        funding = parse_funding_key(
            fields["funding"], at("funding"), problems, owner_region=owner_region
        )
    if "funding_by_residence" in fields:
        by_residence = parse_funding_by_residence(
            fields["funding_by_residence"],
            at("funding_by_residence"),
            problems,
            owner_region=owner_region,
        )

    stacking = read_choice(fields.get("stacking", "exclusive"), at("stacking"), problems, STACKINGS)
    version = read_integer(
        fields.get("version", 1), at("version"), problems, minimum=1, maximum=MAX_VERSION
    )
    priority = read_integer(
        fields.get("priority", 0),
        at("priority"),
        problems,
        minimum=-MAX_PRIORITY,
        maximum=MAX_PRIORITY,
    )
    description, how_to_apply = (
        parse_localized(fields[key], at(key), problems, max_length=TEXT_MAX_LENGTH)
        if key in fields
        else None
        for key in ("description", "how_to_apply")
    )
    max_group_size = None
    if "max_group_size" in fields:
        max_group_size = read_integer(
            fields["max_group_size"],
            at("max_group_size"),
            problems,
            minimum=1,
            maximum=MAX_GROUP_SIZE,
        )
        if not group_only(eligibility):
            problems.add(at("max_group_size"), 'only a group scheme ({"group": true}) has one')
    problems.raise_if_any()
    return SchemeDefinition(
        code=code,
        name=name,
        eligibility=eligibility,
        applies_to=applies_to,
        price=price,
        funding=funding,
        funding_by_residence=by_residence,
        owner_region=owner_region,
        valid_from=valid_from,
        valid_until=valid_until,
        version=version,
        limits=limits,
        companions=companions,
        stacking=stacking,
        priority=priority,
        description=description,
        how_to_apply=how_to_apply,
        max_group_size=max_group_size,
    )


def _parse_applies_to(
    value: object, at: str, problems: Problems, *, owner_region: str | None
) -> AppliesTo:
    data = read_object(
        value,
        at,
        problems,
        required=("partners",),
        optional=("categories", "price_classes", "max_regular_price_cents"),
    )
    partners: PartnerSelection | tuple[str, ...] = "all"
    if "partners" in data:
        raw = data["partners"]
        if isinstance(raw, str):
            partners = read_choice(raw, pointer(at, "partners"), problems, PARTNER_SELECTIONS)
            if partners == "owner_region" and owner_region is None:
                problems.add(pointer(at, "partners"), "'owner_region' needs an owner_region")
        else:
            partners = read_references(raw, pointer(at, "partners"), problems)

    def references(key: str) -> tuple[str, ...] | None:
        return read_references(data[key], pointer(at, key), problems) if key in data else None

    max_price = (
        read_cents(
            data["max_regular_price_cents"], pointer(at, "max_regular_price_cents"), problems
        )
        if "max_regular_price_cents" in data
        else None
    )
    return AppliesTo(partners, references("categories"), references("price_classes"), max_price)


def _parse_companions(value: object, at: str, problems: Problems) -> Companions:
    data = read_object(value, at, problems, required=("max", "price"))
    count = (
        read_integer(data["max"], pointer(at, "max"), problems, minimum=1, maximum=MAX_COMPANIONS)
        if "max" in data
        else 1
    )
    price = (
        parse_price_rule(data["price"], pointer(at, "price"), problems)
        if "price" in data
        else PriceRule("free")
    )
    return Companions(count, price)
