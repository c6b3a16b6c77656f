"""Entitlements (statuses such as the kansenstatuut) and whether one counts on a given day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

# The statuses a scheme may ask for. They come from authoritative sources (OCMW decisions,
# the health insurers' "verhoogde tegemoetkoming", …) or from a social organisation
# (article27); a scheme naming anything else is refused when it is parsed.
ENTITLEMENT_TYPES: tuple[str, ...] = (
    "kansenstatuut",
    "verhoogde_tegemoetkoming",
    "leefloon",
    "schuldbemiddeling",
    "european_disability_card",
    "large_family",
    "article27",
)

EntitlementStatus = Literal["future", "active", "in_grace", "expired", "suspended", "ended"]
USABLE_STATUSES: frozenset[EntitlementStatus] = frozenset({"active", "in_grace"})
# Statuses that once counted and no longer do: used to tell a holder that renewing would help.
PAST_STATUSES: frozenset[EntitlementStatus] = frozenset({"expired", "ended"})


@dataclass(frozen=True, slots=True)
class EntitlementFact:
    """One status of a passholder, as the price calculation needs it.

    `region` is a region code, or None when the status counts everywhere. `grace_days` is
    the region's setting copied in by the service: for that many days after `valid_until`
    the status still counts, so a renewal that is a few days late costs the holder nothing.
    """

    type: str
    region: str | None
    valid_from: date
    valid_until: date | None
    suspended_until: date | None = None
    ended_on: date | None = None
    grace_days: int = 0


def grace_days_of(status_region_grace_days: int | None, home_region_grace_days: int) -> int:
    """The grace days of a status: those of the region it was granted in; a status valid
    everywhere (no region of its own) gets those of the holder's home region."""
    if status_region_grace_days is None:
        return home_region_grace_days
    return status_region_grace_days


def entitlement_status(entitlement: EntitlementFact, on: date) -> EntitlementStatus:
    """The status on day `on`.

    An explicit end (a decision that the right stopped) wins over everything and gets no
    grace; a suspension then wins over the validity dates.
    """
    if entitlement.ended_on is not None and entitlement.ended_on <= on:
        return "ended"
    if entitlement.suspended_until is not None and on <= entitlement.suspended_until:
        return "suspended"
    if on < entitlement.valid_from:
        return "future"
    if entitlement.valid_until is None or on <= entitlement.valid_until:
        return "active"
    if on <= entitlement.valid_until + timedelta(days=entitlement.grace_days):
        return "in_grace"
    return "expired"
