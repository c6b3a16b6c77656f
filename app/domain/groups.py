"""Groups: an organisation's group card (groepspas) and the tickets it takes from allocations.

A group card belongs to an organisation (a school, an association, a social organisation),
not a person. At the desk it is quoted with the group schemes only — those whose
eligibility needs `{"group": true}` — and the desk learns the organisation's name, nothing
about who comes. A group sale sells up to its scheme's `max_group_size` tickets at once,
and every ticket comes out of the organisation's allocation for that scheme: the
allocation's `tickets_used`, the very counter its vouchers take theirs from, claimed by the
sale's own statement (bucket ALLOCATION_BUCKET, owned by the allocation), so one quota
holds for vouchers, group sales and accepted ticket requests together, whatever runs at
once.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date

from app.domain.limits import UsageClaim
from app.domain.pricing import NotApplicable, Quote, Tariff
from app.domain.reasons import Reason
from app.domain.schemes import SchemeDefinition
from app.domain.vouchers import BUDGET_BUCKET, budget_left

# The claim a group line makes on its allocation's row (migration b14dc9eb5556).
ALLOCATION_BUCKET = "allocation:tickets"


class GroupCardStatus(enum.StrEnum):
    ACTIVE = "active"
    BLOCKED = "blocked"


@dataclass(frozen=True, slots=True)
class AllocationAtHand:
    """One of the organisation's allocations as a group sale reads it."""

    allocation_id: str
    scheme_code: str
    valid_from: date
    valid_until: date
    tickets: int
    tickets_used: int
    budget_cents: int | None
    # Tickets that holds which lapsed still hold in `tickets_used` (released later).
    lapsed_held: int = 0
    # The discount the allocation's budget has used (its counter, less lapsed holds).
    budget_used_cents: int = 0

    @property
    def tickets_left(self) -> int:
        return max(0, self.tickets - self.tickets_used + self.lapsed_held)

    def runs_on(self, day: date) -> bool:
        return self.valid_from <= day <= self.valid_until


def allocation_for(
    allocations: Sequence[AllocationAtHand], scheme_code: str, day: date, tickets: int
) -> AllocationAtHand | NotApplicable:
    """The allocation a group's `tickets` under `scheme_code` on `day` come out of: of those
    that run that day, the one that ends first and still has enough (ties: by id); or why
    there is none."""
    running = sorted(
        (a for a in allocations if a.scheme_code == scheme_code and a.runs_on(day)),
        key=lambda a: (a.valid_until, a.allocation_id),
    )
    if not running:
        return NotApplicable(scheme_code, Reason.NO_ALLOCATION)
    for allocation in running:
        if allocation.tickets_left >= tickets:
            return allocation
    most = max(a.tickets_left for a in running)
    return NotApplicable(
        scheme_code,
        Reason.ALLOCATION_EXHAUSTED,
        f"{most} ticket{'' if most == 1 else 's'} left on the allocation",
    )


def priced_for_group(
    quote: Quote,
    allocations: Sequence[AllocationAtHand],
    schemes: Mapping[str, SchemeDefinition],
    *,
    quantity: int,
    day: date,
) -> Quote:
    """The quote of a group: each tariff takes its tickets from an allocation of its scheme
    (never more than it has left) and its discount from that allocation's budget, if it has
    one; a tariff is not offered above its scheme's `max_group_size`, without an
    allocation, or when the allocation or its budget has not enough left. `remaining`
    counts the allocation's tickets left too. A group brings its people, not companions."""
    tariffs: list[Tariff] = []
    refused: list[NotApplicable] = []
    for tariff in quote.tariffs:
        scheme = schemes.get(tariff.scheme_code)
        size = scheme.group_size if scheme is not None else 0
        if quantity > size:
            refused.append(
                NotApplicable(tariff.scheme_code, Reason.GROUP_TOO_LARGE, f"at most {size}")
            )
            continue
        found = allocation_for(allocations, tariff.scheme_code, day, quantity)
        if isinstance(found, NotApplicable):
            refused.append(found)
            continue
        line_discount = tariff.discount_cents * tariff.quantity
        budget = budget_left(found.budget_cents, found.budget_used_cents)
        if budget is not None and line_discount > budget:
            refused.append(NotApplicable(tariff.scheme_code, Reason.BUDGET_EXHAUSTED))
            continue
        claims = [UsageClaim(ALLOCATION_BUCKET, quantity, 0, None, None, owner=found.allocation_id)]
        if found.budget_cents is not None:
            claims.append(
                UsageClaim(
                    BUDGET_BUCKET,
                    0,
                    line_discount,
                    None,
                    found.budget_cents,
                    owner=found.allocation_id,
                )
            )
        left = found.tickets_left
        tariffs.append(
            replace(
                tariff,
                remaining=left if tariff.remaining is None else min(left, tariff.remaining),
                usage_claims=tariff.usage_claims + tuple(claims),
                companions=None,
            )
        )
    return replace(
        quote,
        tariffs=tuple(tariffs),
        best_tariff_id=tariffs[0].tariff_id if tariffs else None,
        not_applicable=quote.not_applicable + tuple(refused),
    )


def allocation_of(tariff: Tariff) -> str | None:
    """The allocation a group tariff takes its tickets from (None: not a group's)."""
    for claim in tariff.usage_claims:
        if claim.bucket_key == ALLOCATION_BUCKET:
            return claim.owner
    return None


def too_large(quote: Quote, schemes: Mapping[str, SchemeDefinition]) -> int | None:
    """When nothing is offered and a scheme refused the group for its size: the largest
    group those schemes take (the desk's problem: sell fewer at once); else None."""
    if quote.tariffs:
        return None
    sizes = [
        schemes[refusal.scheme_code].group_size
        for refusal in quote.not_applicable
        if refusal.reason is Reason.GROUP_TOO_LARGE and refusal.scheme_code in schemes
    ]
    return max(sizes) if sizes else None
