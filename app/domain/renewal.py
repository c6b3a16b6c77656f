"""Granting a status that may already be there: new, a renewal, or nothing to do.

History is never rewritten. A renewal is a new period that starts the day after the
period it extends, linked to it; a grant that an existing period already covers changes
nothing — which is what makes importing the same list twice harmless.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True, slots=True)
class ValidityPeriod:
    """One period an entitlement of a type is valid, as stored: its id and its dates."""

    id: str
    valid_from: date
    valid_until: date | None
    ended_on: date | None = None


@dataclass(frozen=True, slots=True)
class Unchanged:
    existing_id: str


@dataclass(frozen=True, slots=True)
class NewGrant:
    valid_from: date
    valid_until: date | None


@dataclass(frozen=True, slots=True)
class Renewal:
    renews_id: str
    valid_from: date
    valid_until: date | None


GrantPlan = Unchanged | NewGrant | Renewal


def _covers(period: ValidityPeriod, valid_from: date, valid_until: date | None) -> bool:
    if period.valid_from > valid_from:
        return False
    if period.valid_until is None:
        return True
    return valid_until is not None and period.valid_until >= valid_until


def plan_grant(
    existing: Sequence[ValidityPeriod], valid_from: date, valid_until: date | None
) -> GrantPlan:
    """What granting [valid_from, valid_until] means next to the same status's periods."""
    live = [p for p in existing if p.ended_on is None]
    for period in live:
        if _covers(period, valid_from, valid_until):
            return Unchanged(period.id)
    touching = [
        p
        for p in live
        if p.valid_until is not None
        and p.valid_from <= valid_from <= p.valid_until + timedelta(days=1)
        and (valid_until is None or p.valid_until < valid_until)
    ]
    if touching:
        latest = max(touching, key=lambda p: (p.valid_until, p.id))
        assert latest.valid_until is not None
        return Renewal(latest.id, latest.valid_until + timedelta(days=1), valid_until)
    return NewGrant(valid_from, valid_until)


def default_valid_until(valid_from: date, month_day: str) -> date:
    """The region's default end: that day ("MM-DD") of the year after `valid_from`."""
    month, day = (int(part) for part in month_day.split("-"))
    return date(valid_from.year + 1, month, day)
