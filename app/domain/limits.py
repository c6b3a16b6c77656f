"""Limits on a scheme's use, and the usage buckets they are counted in.

A limit is `{"count": N}` (tickets) or `{"discount_cents": N}` (a budget of reduction, such
as Brugge's €240 a year), per passholder, within a scope (one offer, one partner, one
category, or the whole scheme) and a calendar period (day, ISO week from Monday, month,
quarter, year — optionally starting on another day than 1 January — or `absolute`: for
ever).

Usage is counted per passholder in *buckets*. A bucket is named by a stable string key
(`usage_bucket_key`) built from the scheme code, the scope and the start of the period that
holds the activity date, and stores both the tickets and the discount of the sales in it, so
a count limit and a budget with the same scope and period share one bucket. The key leaves
out the scheme version on purpose: a new version of a scheme must not hand out a fresh
yearly budget. The service stores buckets per passholder and claims them atomically with
the `UsageClaim`s of the tariff it sells.

This module knows limits, not schemes: `schemes` parses a scheme's limits with it, and the
price calculation (`pricing`) turns a scheme's limits into bucket keys for an offer and a
day (`pricing.usage_keys`, the buckets a quote reads), so the dependency goes one way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal
from urllib.parse import quote

from app.domain.facts import OfferFacts
from app.domain.validation import (
    Problems,
    pointer,
    read_cents,
    read_choice,
    read_integer,
    read_object,
)

Scope = Literal["offer", "partner", "scheme", "category"]
SCOPES: tuple[Scope, ...] = ("offer", "partner", "scheme", "category")
LimitPeriod = Literal["absolute", "day", "week", "month", "quarter", "year"]
LIMIT_PERIODS: tuple[LimitPeriod, ...] = ("absolute", "day", "week", "month", "quarter", "year")
Per = Literal["passholder"]
PERS: tuple[Per, ...] = ("passholder",)

_NEW_YEAR = (1, 1)
# Tickets a count limit may allow: far beyond any scheme's, within the 32-bit counters.
MAX_COUNT = 1_000_000


@dataclass(frozen=True, slots=True)
class Limit:
    """One limit; exactly one of `count` and `discount_cents` is set."""

    scope: Scope
    period: LimitPeriod
    count: int | None = None
    discount_cents: int | None = None
    # "MM-DD": the day a `year` period starts (a school or season year); None is 1 January.
    year_starts: str | None = None
    per: Per = "passholder"

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {}
        if self.count is not None:
            out["count"] = self.count
        if self.discount_cents is not None:
            out["discount_cents"] = self.discount_cents
        out |= {"per": self.per, "scope": self.scope, "period": self.period}
        if self.year_starts is not None:
            out["year_starts"] = self.year_starts
        return out


@dataclass(frozen=True, slots=True)
class UsageAmount:
    """What a passholder has used in one bucket (confirmed sales and unexpired holds)."""

    tickets: int = 0
    discount_cents: int = 0


NO_USAGE = UsageAmount()


@dataclass(frozen=True, slots=True)
class UsageClaim:
    """What a sale adds to one bucket, and the maxima the bucket must stay within.

    The service applies it as one atomic statement, e.g. `UPDATE … SET tickets = tickets +
    :tickets, discount_cents = discount_cents + :discount_cents WHERE tickets + :tickets <=
    :max_tickets AND discount_cents + :discount_cents <= :max_discount_cents` (a None maximum
    is no condition), and refuses the sale when a row does not match.
    """

    bucket_key: str
    tickets: int
    discount_cents: int
    max_tickets: int | None
    max_discount_cents: int | None
    # Whose counter: None for the line's own (its holder's, or its voucher's); an
    # allocation's id for the budget its vouchers share.
    owner: str | None = None


@dataclass(frozen=True, slots=True)
class Bucket:
    """The limits of one scheme that share a scope and period, merged into one counter."""

    scope: Scope
    period: LimitPeriod
    year_starts: tuple[int, int]
    max_tickets: int | None
    max_discount_cents: int | None

    def key(self, scheme_code: str, offer: OfferFacts, day: date) -> str:
        return usage_bucket_key(
            scheme_code,
            self.scope,
            scope_ref(self.scope, offer),
            self.period,
            period_start(self.period, day, self.year_starts),
        )


@dataclass(frozen=True, slots=True)
class Allowance:
    """What is left under a scheme's limits: tickets and budget; None means unlimited."""

    tickets: int | None
    discount_cents: int | None


def period_start(
    period: LimitPeriod, day: date, year_starts: tuple[int, int] = _NEW_YEAR
) -> date | None:
    """The first day of the calendar period holding `day`; None for `absolute`."""
    match period:
        case "absolute":
            return None
        case "day":
            return day
        case "week":
            return day - timedelta(days=day.weekday())  # ISO weeks start on Monday
        case "month":
            return day.replace(day=1)
        case "quarter":
            return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
        case "year":
            month, first = year_starts
            year = day.year if (day.month, day.day) >= (month, first) else day.year - 1
            return date(year, month, first)


def scope_ref(scope: Scope, offer: OfferFacts) -> str | None:
    match scope:
        case "offer":
            return offer.offer_id
        case "partner":
            return offer.partner_id
        case "category":
            return offer.category
        case "scheme":
            return None


def usage_bucket_key(
    scheme_code: str,
    scope: Scope,
    scope_ref: str | None,
    period: LimitPeriod,
    period_start: date | None,
) -> str:
    """E.g. "KORTRIJK_KANSENTARIEF|offer:abc|absolute" or "BRUGGE_X|scheme|year:2026-01-01".

    The reference is percent-encoded, so an id containing "|" cannot collide with another.
    """
    scope_part = scope if scope_ref is None else f"{scope}:{quote(scope_ref, safe='')}"
    period_part = period if period_start is None else f"{period}:{period_start.isoformat()}"
    return f"{scheme_code}|{scope_part}|{period_part}"


def bucket_plan(limits: Sequence[Limit]) -> tuple[Bucket, ...]:
    """Group limits by the bucket they count in; the strictest maximum of each kind wins."""
    merged: dict[tuple[Scope, LimitPeriod, tuple[int, int]], tuple[int | None, int | None]] = {}
    for limit in limits:
        starts = parse_year_starts(limit.year_starts) if limit.period == "year" else _NEW_YEAR
        group = (limit.scope, limit.period, starts)
        tickets, discount = merged.get(group, (None, None))
        merged[group] = (
            _strictest(tickets, limit.count),
            _strictest(discount, limit.discount_cents),
        )
    return tuple(
        Bucket(scope, period, starts, tickets, discount)
        for (scope, period, starts), (tickets, discount) in merged.items()
    )


def _strictest(a: int | None, b: int | None) -> int | None:
    if a is None:
        return b
    return a if b is None else min(a, b)


def allowance(
    buckets: Sequence[Bucket], keys: Sequence[str], usage: Mapping[str, UsageAmount]
) -> Allowance:
    """What is left in the given buckets (`keys[i]` is the key of `buckets[i]`)."""
    tickets: int | None = None
    discount: int | None = None
    for bucket, key in zip(buckets, keys, strict=True):
        used = usage.get(key, NO_USAGE)
        if bucket.max_tickets is not None:
            tickets = _strictest(tickets, bucket.max_tickets - used.tickets)
        if bucket.max_discount_cents is not None:
            discount = _strictest(discount, bucket.max_discount_cents - used.discount_cents)
    return Allowance(tickets, discount)


def claims(
    buckets: Sequence[Bucket], keys: Sequence[str], tickets: int, discount_cents: int
) -> tuple[UsageClaim, ...]:
    return tuple(
        UsageClaim(key, tickets, discount_cents, bucket.max_tickets, bucket.max_discount_cents)
        for bucket, key in zip(buckets, keys, strict=True)
    )


def activity_day(offer: OfferFacts, at: date) -> date:
    """The day that counts for age, statuses and periods: the activity's, else the sale's."""
    return offer.activity_date or at


def with_claims(
    usage: Mapping[str, UsageAmount], claimed: Sequence[UsageClaim]
) -> Mapping[str, UsageAmount]:
    """Usage as it is once `claimed` counts too (a sale's earlier items, not written yet)."""
    if not claimed:
        return usage
    total = dict(usage)
    for claim in claimed:
        used = total.get(claim.bucket_key, NO_USAGE)
        total[claim.bucket_key] = UsageAmount(
            used.tickets + claim.tickets, used.discount_cents + claim.discount_cents
        )
    return total


# --- parsing -------------------------------------------------------------------------------


def parse_year_starts(value: str | None) -> tuple[int, int]:
    if value is None:
        return _NEW_YEAR
    month, day = value.split("-")
    return int(month), int(day)


def _read_year_starts(value: object, at: str, problems: Problems) -> str | None:
    message = "must be a day of the year as MM-DD (not 02-29)"
    if not isinstance(value, str) or len(value) != 5 or value[2] != "-":
        problems.add(at, message)
        return None
    try:
        # A non-leap year: a period starting on 29 February would not exist most years.
        date.fromisoformat(f"2001-{value}")
    except ValueError:
        problems.add(at, message)
        return None
    return value


def parse_limit(value: object, at: str, problems: Problems) -> Limit:
    data = read_object(
        value,
        at,
        problems,
        required=("scope", "period"),
        optional=("count", "discount_cents", "per", "year_starts"),
    )
    kinds = [key for key in ("count", "discount_cents") if key in data]
    if len(kinds) != 1 and isinstance(value, Mapping):
        problems.add(at, "needs exactly one of count, discount_cents")
    count = (
        read_integer(data["count"], pointer(at, "count"), problems, minimum=1, maximum=MAX_COUNT)
        if "count" in data
        else None
    )
    budget = (
        read_cents(data["discount_cents"], pointer(at, "discount_cents"), problems, minimum=1)
        if "discount_cents" in data
        else None
    )
    per = read_choice(data.get("per", "passholder"), pointer(at, "per"), problems, PERS)
    # A missing scope or period was reported by read_object; the placeholder is never used.
    scope = read_choice(data.get("scope", "scheme"), pointer(at, "scope"), problems, SCOPES)
    period = read_choice(
        data.get("period", "absolute"), pointer(at, "period"), problems, LIMIT_PERIODS
    )
    year_starts = None
    if "year_starts" in data:
        if period != "year":
            problems.add(pointer(at, "year_starts"), "only applies to period year")
        else:
            year_starts = _read_year_starts(
                data["year_starts"], pointer(at, "year_starts"), problems
            )
    return Limit(scope, period, count, budget, year_starts, per)
