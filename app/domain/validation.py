"""Reading a JSON-like scheme definition while collecting every problem with its location.

A scheme is written by a person (an admin in the API, an editor of `catalog/*.yaml`), so the
parser reports *all* problems at once, each with the JSON pointer (RFC 6901) of the field it
concerns, instead of stopping at the first. The readers below therefore never raise: on a
problem they record it and return a harmless placeholder, so parsing can continue; the caller
raises `SchemeValidationError` at the end when anything was recorded.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import TypeVar

# Codes of schemes, regions and named funders: stable identifiers that people also read.
CODE_PATTERN = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*")
CODE_MIN_LENGTH = 2
CODE_MAX_LENGTH = 64
NIS_PATTERN = re.compile(r"[1-9][0-9]{4}")
# Identifiers that come from elsewhere (partner ids, categories, price class codes).
REFERENCE_MAX_LENGTH = 100
MAX_LIST_LENGTH = 500

T = TypeVar("T", bound=str)


class SchemeValidationError(ValueError):
    """A scheme definition is not valid; `errors` lists (json_pointer, message) pairs."""

    def __init__(self, errors: Sequence[tuple[str, str]]) -> None:
        self.errors: list[tuple[str, str]] = list(errors)
        super().__init__("; ".join(f"{at or '/'}: {message}" for at, message in self.errors))


def pointer(base: str, key: str | int) -> str:
    """The JSON pointer of `key` inside the value at `base` (RFC 6901 escaping)."""
    token = str(key).replace("~", "~0").replace("/", "~1")
    return f"{base}/{token}"


class Problems:
    """Collects (pointer, message) pairs while a definition is read."""

    __slots__ = ("errors",)

    def __init__(self) -> None:
        self.errors: list[tuple[str, str]] = []

    def add(self, at: str, message: str) -> None:
        self.errors.append((at, message))

    def raise_if_any(self) -> None:
        if self.errors:
            raise SchemeValidationError(self.errors)


def read_object(
    value: object,
    at: str,
    problems: Problems,
    *,
    required: Sequence[str] = (),
    optional: Sequence[str] = (),
) -> Mapping[str, object]:
    """An object with only known keys and every required key; `{}` when it is no object."""
    if not isinstance(value, Mapping):
        problems.add(at, "must be an object")
        return {}
    known = set(required) | set(optional)
    for key in value:
        if not isinstance(key, str):
            problems.add(at, f"has a key that is not a string: {key!r}")
        elif key not in known:
            problems.add(pointer(at, key), "unknown key")
    for key in required:
        if key not in value:
            problems.add(pointer(at, key), "is required")
    return value


def read_integer(
    value: object,
    at: str,
    problems: Problems,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
) -> int:
    # bool is an int in Python but `true` is no amount in a scheme.
    if isinstance(value, bool) or not isinstance(value, int):
        problems.add(at, "must be an integer")
        return minimum or 0
    if minimum is not None and value < minimum:
        problems.add(at, "must not be negative" if minimum == 0 else f"must be at least {minimum}")
        return minimum
    if maximum is not None and value > maximum:
        problems.add(at, f"must be at most {maximum}")
        return maximum
    return value


# €100,000: more than any ticket, price or yearly budget of a participation pass (an offer's
# price has the same cap). Sale lines and usage counters store cents in 32-bit integers: a
# larger amount in a scheme would pass its quote and then fail every sale at its tariff.
MAX_CENTS = 10_000_000


def read_cents(value: object, at: str, problems: Problems, *, minimum: int = 0) -> int:
    """An amount of money in integer cents (never a float: 12.5 cents does not exist), at
    most `MAX_CENTS`."""
    return read_integer(value, at, problems, minimum=minimum, maximum=MAX_CENTS)


def read_percent(value: object, at: str, problems: Problems) -> Decimal:
    """A percentage from 0 to 100 with at most two decimals, kept exact as a Decimal.

    YAML turns `12.5` into a float; its shortest repr is what the author wrote, so it is
    read through `repr` and never used as a float.
    """
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        problems.add(at, "must be a number")
        return Decimal(0)
    try:
        number = Decimal(repr(value) if isinstance(value, float) else value)
    except InvalidOperation:
        problems.add(at, "must be a number")
        return Decimal(0)
    if not number.is_finite() or not Decimal(0) <= number <= Decimal(100):
        problems.add(at, "must be between 0 and 100")
        return Decimal(0)
    if number != number.quantize(Decimal("0.01")):
        problems.add(at, "must have at most two decimals")
        return Decimal(0)
    return number


def read_text(value: object, at: str, problems: Problems, *, max_length: int) -> str:
    if not isinstance(value, str) or not value.strip():
        problems.add(at, "must be a non-empty string")
        return ""
    if len(value) > max_length:
        problems.add(at, f"must be at most {max_length} characters")
        return ""
    return value


def read_code(value: object, at: str, problems: Problems) -> str:
    if (
        not isinstance(value, str)
        or not CODE_MIN_LENGTH <= len(value) <= CODE_MAX_LENGTH
        or not CODE_PATTERN.fullmatch(value)
    ):
        problems.add(
            at,
            f"must be an UPPER_SNAKE_CASE code of {CODE_MIN_LENGTH} to {CODE_MAX_LENGTH} "
            "characters",
        )
        return ""
    return value


def read_nis_code(value: object, at: str, problems: Problems) -> str:
    # A YAML author may forget the quotes; a NIS code never starts with 0, so an int is safe.
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not NIS_PATTERN.fullmatch(value):
        problems.add(at, "must be a 5-digit NIS code")
        return ""
    return value


def read_choice(value: object, at: str, problems: Problems, options: Sequence[T]) -> T:
    for option in options:
        if value == option:
            return option
    problems.add(at, f"must be one of: {', '.join(options)}")
    return options[0]


# Every day a person, a status, an activity or a report can be about. Outside it a date is
# a mistake (or a "no end" written as 9999-12-31, where the field should be left out), and
# date arithmetic near year 1 or 9999 (an end plus grace days) would overflow.
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2999, 12, 31)
CALENDAR = f"a date from {FIRST_DAY.isoformat()} to {LAST_DAY.isoformat()}"


def in_calendar(day: date) -> bool:
    return FIRST_DAY <= day <= LAST_DAY


def read_date(value: object, at: str, problems: Problems) -> date | None:
    """An ISO date within the calendar; YAML already gives `date` objects for unquoted
    dates."""
    day: date | None = None
    if isinstance(value, date) and not isinstance(value, datetime):
        day = value
    elif isinstance(value, str):
        with contextlib.suppress(ValueError):
            day = date.fromisoformat(value)
    if day is None:
        problems.add(at, "must be an ISO date (YYYY-MM-DD)")
    elif not in_calendar(day):
        problems.add(at, f"must be {CALENDAR}")
        day = None
    return day


def read_list(
    value: object, at: str, problems: Problems, *, min_items: int = 0
) -> Sequence[object]:
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        problems.add(at, "must be a list")
        return ()
    if len(value) < min_items:
        problems.add(at, f"must have at least {min_items} item{'s' if min_items > 1 else ''}")
    if len(value) > MAX_LIST_LENGTH:
        problems.add(at, f"must have at most {MAX_LIST_LENGTH} items")
        return ()
    return value


def read_references(value: object, at: str, problems: Problems) -> tuple[str, ...]:
    """A non-empty list of distinct identifiers (partner ids, categories, price classes)."""
    items = read_list(value, at, problems, min_items=1)
    refs = tuple(
        read_text(item, pointer(at, i), problems, max_length=REFERENCE_MAX_LENGTH)
        for i, item in enumerate(items)
    )
    if len(set(refs)) != len(refs):
        problems.add(at, "must not repeat an item")
    return refs
