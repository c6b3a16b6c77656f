"""Funding (verdeelsleutel): who pays the discount of a sale, cent for cent.

A funding key is an ordered list of shares: `{"payer": P, "percent": N}` (N % of the
discount), `{"payer": P, "fixed_cents": N}` (N cents per ticket) and, last and exactly once,
`{"payer": P, "rest": true}`. Payers are `partner` (the partner forgoes income),
`home_municipality` (of the holder), `scheme_owner` (the owner region), `organisation` (the
social organisation whose voucher was sold) or a named funder code.

The split is made on the whole sale line (unit discount × quantity). Shares are taken in
order, each rounded down and never more than what is still unfunded, and the `rest` payer
takes what is left — so the shares add up to the discount exactly, and every rounding
remainder lands with the `rest` payer, as DESIGN.md requires.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from app.domain.price_rules import percent_to_json
from app.domain.validation import (
    Problems,
    pointer,
    read_cents,
    read_code,
    read_list,
    read_object,
    read_percent,
)

PARTNER = "partner"
HOME_MUNICIPALITY = "home_municipality"
SCHEME_OWNER = "scheme_owner"
# The social organisation whose voucher was sold (its Article 27 contribution); on a card
# holder's line it has no reference.
ORGANISATION = "organisation"
PAYER_ROLES = (PARTNER, HOME_MUNICIPALITY, SCHEME_OWNER, ORGANISATION)


@dataclass(frozen=True, slots=True)
class ShareRule:
    """One line of a funding key; exactly one of percent, fixed_cents and rest is set."""

    payer: str
    percent: Decimal | None = None
    fixed_cents: int | None = None
    rest: bool = False

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"payer": self.payer}
        if self.percent is not None:
            out["percent"] = percent_to_json(self.percent)
        if self.fixed_cents is not None:
            out["fixed_cents"] = self.fixed_cents
        if self.rest:
            out["rest"] = True
        return out


FundingKey = tuple[ShareRule, ...]


@dataclass(frozen=True, slots=True)
class FundingByResidence:
    """Different keys for holders living in the partner's municipality and for the others."""

    same_municipality: FundingKey
    other: FundingKey

    def to_dict(self) -> dict[str, object]:
        return {
            "same_municipality": [share.to_dict() for share in self.same_municipality],
            "other": [share.to_dict() for share in self.other],
        }


@dataclass(frozen=True, slots=True)
class FundingShare:
    """What one payer owes for one sale line.

    `payer_ref` names who exactly: the partner id, the holder's municipality NIS code, the
    owner region code; None for a named funder (the payer is its own reference) and for a
    home municipality in a public price list, where there is no holder.
    """

    payer: str
    amount_cents: int
    payer_ref: str | None
    # Which scheme's discount this pays for: a line can combine an exclusive scheme and
    # on_top schemes, each with its own funders, and settlement reports per scheme.
    scheme_code: str


@dataclass(frozen=True, slots=True)
class PayerRefs:
    partner: str
    home_municipality: str | None
    scheme_owner: str | None
    organisation: str | None = None

    def of(self, payer: str) -> str | None:
        if payer == PARTNER:
            return self.partner
        if payer == HOME_MUNICIPALITY:
            return self.home_municipality
        if payer == SCHEME_OWNER:
            return self.scheme_owner
        if payer == ORGANISATION:
            return self.organisation
        return None


def split_discount(
    discount_cents: int,
    key: FundingKey,
    *,
    quantity: int,
    refs: PayerRefs,
    scheme_code: str,
) -> tuple[FundingShare, ...]:
    """Split the discount of a whole line; payers owing nothing are left out."""
    left = discount_cents
    shares: list[FundingShare] = []
    for rule in key:
        if rule.rest:
            amount = left
        elif rule.percent is not None:
            amount = min(left, discount_cents * int(rule.percent * 100) // 10_000)
        else:
            amount = min(left, (rule.fixed_cents or 0) * quantity)
        left -= amount
        if amount:
            shares.append(FundingShare(rule.payer, amount, refs.of(rule.payer), scheme_code))
    return tuple(shares)


# --- parsing -------------------------------------------------------------------------------


def parse_funding_key(
    value: object, at: str, problems: Problems, *, owner_region: str | None
) -> FundingKey:
    items = read_list(value, at, problems, min_items=1)
    key = tuple(
        _parse_share(item, pointer(at, i), problems, owner_region=owner_region)
        for i, item in enumerate(items)
    )
    rests = [i for i, share in enumerate(key) if share.rest]
    if items and not rests:
        problems.add(at, "needs exactly one share with rest: true, as the last one")
    for i in rests[1:]:
        problems.add(pointer(pointer(at, i), "rest"), "only one share may take the rest")
    if rests and rests[0] != len(key) - 1:
        problems.add(pointer(pointer(at, rests[0]), "rest"), "the rest share must be the last one")
    total = sum((share.percent for share in key if share.percent is not None), Decimal(0))
    if total > 100:
        problems.add(at, f"percents add up to {total}, more than 100")
    return key


def parse_funding_by_residence(
    value: object, at: str, problems: Problems, *, owner_region: str | None
) -> FundingByResidence:
    data = read_object(value, at, problems, required=("same_municipality", "other"))
    same, other = (
        parse_funding_key(data[name], pointer(at, name), problems, owner_region=owner_region)
        if name in data
        else ()
        for name in ("same_municipality", "other")
    )
    return FundingByResidence(same, other)


def _parse_share(
    value: object, at: str, problems: Problems, *, owner_region: str | None
) -> ShareRule:
    data = read_object(
        value, at, problems, required=("payer",), optional=("percent", "fixed_cents", "rest")
    )
    amounts = [name for name in ("percent", "fixed_cents", "rest") if name in data]
    if len(amounts) != 1 and data:
        problems.add(at, "needs exactly one of percent, fixed_cents, rest")
    payer = _read_payer(data.get("payer"), pointer(at, "payer"), problems) if data else ""
    if payer == SCHEME_OWNER and owner_region is None:
        problems.add(pointer(at, "payer"), "scheme_owner needs a scheme with an owner_region")
    percent = (
        read_percent(data["percent"], pointer(at, "percent"), problems)
        if "percent" in data
        else None
    )
    fixed = (
        read_cents(data["fixed_cents"], pointer(at, "fixed_cents"), problems)
        if "fixed_cents" in data
        else None
    )
    rest = False
    if "rest" in data:
        if data["rest"] is not True:
            problems.add(pointer(at, "rest"), "must be true")
        rest = True
    return ShareRule(payer, percent, fixed, rest)


def _read_payer(value: object, at: str, problems: Problems) -> str:
    if value in PAYER_ROLES:
        return str(value)
    if value is None:
        return ""  # already reported as required
    if isinstance(value, str) and value.isupper():
        return read_code(value, at, problems)
    problems.add(at, f"must be one of {', '.join(PAYER_ROLES)} or a funder CODE")
    return ""
