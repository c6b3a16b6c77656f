"""What a holder pays for one ticket under a scheme: the price rule and its rounding.

The order is fixed by DESIGN.md and pinned by tests:

1. the rule, computed exactly in integers; a fraction of a cent goes in the holder's favour
   (the price the holder pays is rounded *down*): 50 % of 1575 is 787;
2. the scheme's rounding of that price in cents (`down_10`: 20 % of 1575 = 315 → 310);
   `nearest_*` rounds a tie down, again in the holder's favour;
3. `max_pay_cents`, a ceiling on what the holder pays;
4. a clamp to 0 ≤ price ≤ the base price, so no rule ever makes a ticket dearer or negative.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from app.domain.validation import (
    Problems,
    pointer,
    read_cents,
    read_choice,
    read_object,
    read_percent,
)

PriceType = Literal["pay_percent", "percent_off", "amount_off", "fixed_price", "free"]
PRICE_TYPES: tuple[PriceType, ...] = (
    "pay_percent",
    "percent_off",
    "amount_off",
    "fixed_price",
    "free",
)
Rounding = Literal["none", "down_10", "nearest_10", "down_50", "nearest_50", "down_100"]
ROUNDINGS: tuple[Rounding, ...] = (
    "none",
    "down_10",
    "nearest_10",
    "down_50",
    "nearest_50",
    "down_100",
)
ROUNDING_STEPS: dict[Rounding, tuple[int, bool]] = {
    # rounding: (step in cents, to nearest rather than down)
    "none": (1, False),
    "down_10": (10, False),
    "nearest_10": (10, True),
    "down_50": (50, False),
    "nearest_50": (50, True),
    "down_100": (100, False),
}
# Percentages carry at most two decimals, so they are exact in ten-thousandths.
_PERCENT_SCALE = 10_000


@dataclass(frozen=True, slots=True)
class PriceRule:
    type: PriceType
    percent: Decimal | None = None
    amount_cents: int | None = None
    rounding: Rounding = "none"
    max_pay_cents: int | None = None

    def unit_price(self, base_cents: int) -> int:
        """The price the holder pays for one ticket whose price is `base_cents`.

        The base is the regular price, or for an `on_top` scheme the price already reduced
        by the exclusive scheme.
        """
        exact = self._exact_floor(base_cents)
        step, nearest = ROUNDING_STEPS[self.rounding]
        rounded = round_cents(exact, step, nearest=nearest)
        if self.max_pay_cents is not None:
            rounded = min(rounded, self.max_pay_cents)
        return max(0, min(rounded, base_cents))

    def _exact_floor(self, base_cents: int) -> int:
        # Floor division on integers: exact, and the lost fraction is the holder's gain.
        match self.type:
            case "pay_percent":
                return base_cents * _scaled(self.percent) // _PERCENT_SCALE
            case "percent_off":
                return base_cents * (_PERCENT_SCALE - _scaled(self.percent)) // _PERCENT_SCALE
            case "amount_off":
                return base_cents - (self.amount_cents or 0)
            case "fixed_price":
                return self.amount_cents or 0
            case "free":
                return 0

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"type": self.type}
        if self.percent is not None:
            out["percent"] = percent_to_json(self.percent)
        if self.amount_cents is not None:
            out["amount_cents"] = self.amount_cents
        if self.rounding != "none":
            out["rounding"] = self.rounding
        if self.max_pay_cents is not None:
            out["max_pay_cents"] = self.max_pay_cents
        return out


def round_cents(cents: int, step: int, *, nearest: bool) -> int:
    """Round to a multiple of `step`: down, or to the nearest with a tie going down."""
    whole, remainder = divmod(cents, step)
    if nearest and remainder * 2 > step:
        whole += 1
    return whole * step


def _scaled(percent: Decimal | None) -> int:
    return int((percent or Decimal(0)) * 100)


def percent_to_json(percent: Decimal) -> int | float:
    """An integer when whole; otherwise a float whose repr is the exact two-decimal value."""
    return int(percent) if percent == percent.to_integral_value() else float(percent)


def parse_price_rule(value: object, at: str, problems: Problems) -> PriceRule:
    data = read_object(value, at, problems, required=("type",), optional=_OPTIONAL_FIELDS)
    if "type" not in data:
        return PriceRule("free")
    if data["type"] not in PRICE_TYPES:
        # Which other fields belong depends on the type: judging them now would only guess.
        read_choice(data["type"], pointer(at, "type"), problems, PRICE_TYPES)
        return PriceRule("free")
    type_ = read_choice(data["type"], pointer(at, "type"), problems, PRICE_TYPES)
    needs = _FIELDS_BY_TYPE[type_]
    for key in ("percent", "amount_cents"):
        if key in needs and key not in data:
            problems.add(pointer(at, key), f"is required for type {type_}")
        elif key not in needs and key in data:
            problems.add(pointer(at, key), f"does not apply to type {type_}")
    percent = (
        read_percent(data["percent"], pointer(at, "percent"), problems)
        if "percent" in needs and "percent" in data
        else None
    )
    amount = (
        read_cents(data["amount_cents"], pointer(at, "amount_cents"), problems)
        if "amount_cents" in needs and "amount_cents" in data
        else None
    )
    rounding = (
        read_choice(data["rounding"], pointer(at, "rounding"), problems, ROUNDINGS)
        if "rounding" in data
        else "none"
    )
    max_pay = (
        read_cents(data["max_pay_cents"], pointer(at, "max_pay_cents"), problems)
        if "max_pay_cents" in data
        else None
    )
    return PriceRule(type_, percent, amount, rounding, max_pay)


_FIELDS_BY_TYPE: dict[PriceType, tuple[str, ...]] = {
    "pay_percent": ("percent",),
    "percent_off": ("percent",),
    "amount_off": ("amount_cents",),
    "fixed_price": ("amount_cents",),
    "free": (),
}
_OPTIONAL_FIELDS = ("percent", "amount_cents", "rounding", "max_pay_cents")
