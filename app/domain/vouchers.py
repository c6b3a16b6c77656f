"""Organisations, their allocations and the anonymous vouchers issued from them.

A social organisation, association or school gets a yearly allocation (quotum) of tickets
under one scheme; it hands a person or a group a voucher (ticketbon) for N people, and a
desk sells the voucher like a card, without learning who it is for.

A voucher's code is 13 random symbols of Crockford's base 32 (65 bits) and a Luhn mod 32
check symbol (python-stdnum), printed in groups of four: `7K2M-Q9XD-4HRT-BW`. A desk may
type it with or without dashes, in either case, with I, L for 1 and O for 0.
"""

from __future__ import annotations

import enum
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date

from stdnum import luhn

from app.domain.limits import UsageClaim
from app.domain.pricing import NotApplicable, Quote, Tariff
from app.domain.reasons import Reason

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base 32: no I, L, O, U
RANDOM_SYMBOLS = 13  # 13 × 5 = 65 bits of randomness
CODE_LENGTH = RANDOM_SYMBOLS + 1
_READ_AS = str.maketrans({"I": "1", "L": "1", "O": "0"})

# The usage bucket that counts a voucher's redeemed tickets (under the voucher's id), and
# the one that counts an allocation's discount budget (under the allocation's id).
VOUCHER_BUCKET = "voucher:tickets"
BUDGET_BUCKET = "allocation:budget"

MAX_PEOPLE = 60
MAX_ALLOCATION_TICKETS = 1_000_000


class OrganisationKind(enum.StrEnum):
    SOCIAL = "social"
    ASSOCIATION = "association"
    SCHOOL = "school"


class VoucherStatus(enum.StrEnum):
    """A voucher as the organisation and the desk see it on a day."""

    ACTIVE = "active"
    USED = "used"  # every ticket redeemed
    EXPIRED = "expired"  # past its valid_until
    REVOKED = "revoked"


def new_code() -> str:
    """A fresh voucher code, check symbol included (without the dashes)."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_SYMBOLS))
    return body + luhn.calc_check_digit(body, alphabet=ALPHABET)


def normalise_code(text: str) -> str | None:
    """The code as stored, from what a person typed or a scanner read; None when it is
    not a voucher code (wrong length, a symbol outside the alphabet, a wrong check symbol)."""
    code = "".join(ch for ch in text.upper() if ch not in "- ").translate(_READ_AS)
    if len(code) != CODE_LENGTH or any(ch not in ALPHABET for ch in code):
        return None
    if not luhn.is_valid(code, alphabet=ALPHABET):
        return None
    return code


def printed_code(code: str) -> str:
    """The code as printed: groups of four symbols."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def voucher_status(
    *, revoked: bool, valid_until: date, people: int, used: int, on: date
) -> VoucherStatus:
    """A revoked voucher stays revoked; then a fully used one is used, then an expired one
    expired (a voucher used up before it expired is reported used)."""
    if revoked:
        return VoucherStatus.REVOKED
    if used >= people:
        return VoucherStatus.USED
    if on > valid_until:
        return VoucherStatus.EXPIRED
    return VoucherStatus.ACTIVE


class VoucherRefusal(enum.StrEnum):
    """Why a desk cannot sell on a voucher."""

    REVOKED = "voucher-revoked"
    EXPIRED = "voucher-expired"
    USED_UP = "voucher-used-up"
    NOT_HERE = "voucher-not-valid-here"


@dataclass(frozen=True, slots=True)
class VoucherFacts:
    """What the desk's read returns about a voucher and its allocation."""

    voucher_id: str
    code: str
    status: str  # as stored: active or revoked
    people: int
    valid_until: date
    offer_id: str | None
    partner_id: str | None
    organisation_id: str
    region_id: str
    region_code: str
    allocation_id: str
    scheme_code: str
    allocation_valid_from: date
    allocation_valid_until: date
    budget_cents: int | None


def tickets_left(people: int, used: int) -> int:
    return max(0, people - used)


def desk_refusal(
    voucher: VoucherFacts,
    *,
    used: int,
    quantity: int,
    on: date,
    offer_id: str,
    partner_id: str,
) -> VoucherRefusal | None:
    """Whether a desk may sell `quantity` tickets of `offer_id` on the voucher on day `on`.

    A voucher made out for one offer or one partner is good only there; it is good until
    its own valid_until, and only while its allocation's period runs.
    """
    status = voucher_status(
        revoked=voucher.status == VoucherStatus.REVOKED,
        valid_until=min(voucher.valid_until, voucher.allocation_valid_until),
        people=voucher.people,
        used=used,
        on=on,
    )
    if status is VoucherStatus.REVOKED:
        return VoucherRefusal.REVOKED
    if status is VoucherStatus.EXPIRED or on < voucher.allocation_valid_from:
        return VoucherRefusal.EXPIRED
    if voucher.offer_id is not None and voucher.offer_id != offer_id:
        return VoucherRefusal.NOT_HERE
    if voucher.partner_id is not None and voucher.partner_id != partner_id:
        return VoucherRefusal.NOT_HERE
    if quantity > tickets_left(voucher.people, used):
        return VoucherRefusal.USED_UP
    return None


class AllocationProblem(enum.StrEnum):
    PERIOD = "valid_until must not be before valid_from"
    VOUCHER_AFTER_ALLOCATION = "a voucher cannot outlive its allocation"
    VOUCHER_IN_PAST = "valid_until lies in the past"
    ALLOCATION_OVER = "the allocation's period is over"


def voucher_valid_until(
    asked: date | None, *, allocation_valid_from: date, allocation_valid_until: date, today: date
) -> date | AllocationProblem:
    """The day a new voucher is good until: the one asked, or the allocation's last day."""
    if today > allocation_valid_until:
        return AllocationProblem.ALLOCATION_OVER
    if asked is None:
        return allocation_valid_until
    if asked > allocation_valid_until:
        return AllocationProblem.VOUCHER_AFTER_ALLOCATION
    if asked < today or asked < allocation_valid_from:
        return AllocationProblem.VOUCHER_IN_PAST
    return asked


# --- at the desk ----------------------------------------------------------------------------


def budget_left(budget_cents: int | None, used_cents: int) -> int | None:
    return None if budget_cents is None else max(0, budget_cents - used_cents)


def priced_on_voucher(
    quote: Quote, voucher: VoucherFacts, *, used: int, budget_used_cents: int
) -> Quote:
    """The quote of a voucher: each tariff claims its tickets from the voucher (never more
    than its `people`) and its discount from the allocation's budget, if it has one; a
    tariff whose discount the budget no longer covers is not offered (`budget_exhausted`).
    `remaining` counts the voucher's tickets left too."""
    left = tickets_left(voucher.people, used)
    budget = budget_left(voucher.budget_cents, budget_used_cents)
    tariffs: list[Tariff] = []
    refused: list[NotApplicable] = []
    for tariff in quote.tariffs:
        line_discount = tariff.discount_cents * tariff.quantity
        if budget is not None and line_discount > budget:
            refused.append(NotApplicable(tariff.scheme_code, Reason.BUDGET_EXHAUSTED))
            continue
        claims = [UsageClaim(VOUCHER_BUCKET, tariff.quantity, 0, voucher.people, None)]
        if voucher.budget_cents is not None:
            claims.append(
                UsageClaim(
                    BUDGET_BUCKET,
                    0,
                    line_discount,
                    None,
                    voucher.budget_cents,
                    owner=voucher.allocation_id,
                )
            )
        remaining = left if tariff.remaining is None else min(left, tariff.remaining)
        tariffs.append(
            replace(
                tariff,
                remaining=remaining,
                usage_claims=tariff.usage_claims + tuple(claims),
                # A voucher brings its people, not companions.
                companions=None,
            )
        )
    return replace(
        quote,
        tariffs=tuple(tariffs),
        best_tariff_id=tariffs[0].tariff_id if tariffs else None,
        not_applicable=quote.not_applicable + tuple(refused),
    )


# --- the allocations report -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AllocationUse:
    """One allocation as the report reads it."""

    allocation_id: str
    organisation_id: str
    organisation_name: str
    scheme_code: str
    tickets: int


@dataclass(frozen=True, slots=True)
class VoucherUse:
    """One voucher as the report reads it: `redeemed` counts its confirmed tickets."""

    allocation_id: str
    people: int
    status: str  # as stored: active or revoked
    valid_until: date
    tickets_returned: int | None
    redeemed: int


@dataclass(frozen=True, slots=True)
class AllocationFigures:
    """Per organisation and scheme: tickets allocated, issued (on vouchers, and sold to the
    organisation's groups), redeemed at desks, left unused on vouchers that expired, and
    given back by revocations."""

    organisation_id: str
    organisation_name: str
    scheme_code: str
    allocated: int
    issued: int
    redeemed: int
    expired: int
    revoked: int


def allocation_figures(
    allocations: list[AllocationUse],
    vouchers: list[VoucherUse],
    *,
    today: date,
    group_tickets: Mapping[str, int] | None = None,
) -> list[AllocationFigures]:
    """The report's lines, in the order of organisation name, then scheme. A group's
    tickets (`group_tickets`, per allocation: sold on a group card or for an accepted
    ticket request) are issued and redeemed at once."""
    sums: dict[tuple[str, str], list[int]] = {}
    names: dict[str, str] = {}
    key_of: dict[str, tuple[str, str]] = {}
    for allocation in allocations:
        key = (allocation.organisation_id, allocation.scheme_code)
        key_of[allocation.allocation_id] = key
        names[allocation.organisation_id] = allocation.organisation_name
        line = sums.setdefault(key, [0, 0, 0, 0, 0])
        line[0] += allocation.tickets
        sold = (group_tickets or {}).get(allocation.allocation_id, 0)
        line[1] += sold
        line[2] += sold
    for voucher in vouchers:
        of = key_of.get(voucher.allocation_id)
        if of is None:
            continue
        line = sums[of]
        line[1] += voucher.people
        line[2] += voucher.redeemed
        status = voucher_status(
            revoked=voucher.status == VoucherStatus.REVOKED,
            valid_until=voucher.valid_until,
            people=voucher.people,
            used=voucher.redeemed,
            on=today,
        )
        if status is VoucherStatus.REVOKED:
            line[4] += voucher.tickets_returned or 0
        elif status is VoucherStatus.EXPIRED:
            line[3] += voucher.people - voucher.redeemed
    return sorted(
        (
            AllocationFigures(organisation, names[organisation], scheme, *line)
            for (organisation, scheme), line in sums.items()
        ),
        key=lambda f: (f.organisation_name, f.organisation_id, f.scheme_code),
    )
