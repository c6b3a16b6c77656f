"""A sale's life: its status, the moves between statuses, hold lapse, the cancellation window.

A sale is written `held` (a reservation until `hold_expires_at`) or `confirmed`. From there:

    held      → confirmed  (the desk confirms before the hold lapses)
    held      → cancelled  (the desk releases the hold; always allowed before it lapses)
    held      → expired    (the hold lapsed: a hold whose `hold_expires_at` ≤ now)
    confirmed → cancelled  (within the partner's cancellation window)

`cancelled` and `expired` are final. Leaving `held` ends the hold; arriving at `cancelled`
or `expired` gives the sale's usage back; arriving at `confirmed` counts the sale in the
settlement, and leaving it takes the sale off again.

The desk's confirm and cancel are decided here from the sale as it is when the decision is
made (the service holds the sale's row locked, so that is the current state): a confirm of
a confirmed sale, or a cancel of a cancelled one, changes nothing and is answered with the
sale — a retry, or a second desk pressing the same button, is not an error.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from app.domain.limits import UsageAmount


class SaleStatus(StrEnum):
    HELD = "held"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


# Where each status may move to; a status missing here, or with no moves, is final.
MOVES: Mapping[SaleStatus, frozenset[SaleStatus]] = {
    SaleStatus.HELD: frozenset({SaleStatus.CONFIRMED, SaleStatus.CANCELLED, SaleStatus.EXPIRED}),
    SaleStatus.CONFIRMED: frozenset({SaleStatus.CANCELLED}),
    SaleStatus.CANCELLED: frozenset(),
    SaleStatus.EXPIRED: frozenset(),
}


class IllegalTransition(ValueError):
    """A move the lifecycle does not have (a programming error, never a desk's)."""


@dataclass(frozen=True, slots=True)
class Transition:
    """One move of a sale, with what it means for the books."""

    before: SaleStatus
    after: SaleStatus

    @property
    def ends_hold(self) -> bool:
        return self.before == SaleStatus.HELD

    @property
    def gives_back_usage(self) -> bool:
        """Usage counts for confirmed sales and holds; a sale that stops being either
        gives its tickets and discount back."""
        return self.after in (SaleStatus.CANCELLED, SaleStatus.EXPIRED)

    @property
    def settlement_sign(self) -> int:
        """+1 when the sale starts counting in the settlement, −1 when it stops, else 0."""
        if self.after == SaleStatus.CONFIRMED:
            return 1
        if self.before == SaleStatus.CONFIRMED:
            return -1
        return 0


def transition(before: SaleStatus, after: SaleStatus) -> Transition:
    """The move from `before` to `after`; `IllegalTransition` if there is no such move."""
    if after not in MOVES[before]:
        raise IllegalTransition(f"a sale does not move from {before} to {after}")
    return Transition(before, after)


# --- holds ----------------------------------------------------------------------------------


def hold_lapsed(hold_expires_at: datetime | None, now: datetime) -> bool:
    """A hold counts until its moment and not at it: one whose `hold_expires_at` ≤ now has
    lapsed (None: not a hold)."""
    return hold_expires_at is not None and hold_expires_at <= now


@dataclass(frozen=True, slots=True)
class HeldUsage:
    """What one line of a hold took from one usage bucket, and until when it holds it."""

    bucket_key: str
    tickets: int
    discount_cents: int
    held_until: datetime


def usage_in_force(
    counters: Mapping[str, UsageAmount], holds: Iterable[HeldUsage], now: datetime
) -> dict[str, UsageAmount]:
    """The usage that counts `now`: the counters, less what lapsed holds still hold.

    A counter includes its holds until something releases them; a hold that lapsed stops
    counting at once, released or not, so a desk is never refused for a hold that is over.
    Buckets that are not among `counters` are left out (they were not asked for).
    """
    found = {key: (amount.tickets, amount.discount_cents) for key, amount in counters.items()}
    for hold in holds:
        if hold.bucket_key in found and hold_lapsed(hold.held_until, now):
            tickets, discount = found[hold.bucket_key]
            found[hold.bucket_key] = (tickets - hold.tickets, discount - hold.discount_cents)
    return {key: UsageAmount(tickets, discount) for key, (tickets, discount) in found.items()}


# --- the cancellation window ----------------------------------------------------------------


def cancellation_deadline(created_at: datetime, window_hours: int) -> datetime:
    """The last moment a confirmed sale may be cancelled: the partner's window (in hours)
    from the moment the sale was made (for a confirmed hold: the moment it was held)."""
    return created_at + timedelta(hours=window_hours)


def within_cancellation_window(created_at: datetime, window_hours: int, now: datetime) -> bool:
    return now <= cancellation_deadline(created_at, window_hours)


# --- the desk's decisions -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SaleFacts:
    """What the lifecycle looks at: the status as stored and the two moments it depends on."""

    status: SaleStatus
    created_at: datetime
    hold_expires_at: datetime | None


class Refusal(StrEnum):
    """Why a confirm or cancel does not do what was asked."""

    # The hold lapsed (now, or before): its tickets are no longer reserved.
    HOLD_EXPIRED = "hold_expired"
    # Only a hold can be confirmed; this sale is cancelled.
    NOT_HELD = "not_held"
    # Only a hold or a confirmed sale can be cancelled; this one expired.
    NOT_ACTIVE = "not_active"
    # A confirmed sale past the partner's cancellation window.
    WINDOW_PASSED = "window_passed"


@dataclass(frozen=True, slots=True)
class Decision:
    """What to write and what to answer.

    `transition` is the move to make (None: the sale stays as it is); `status` is the status
    the sale has once it is made. With no `refusal` the answer is the sale as it then is;
    with one, the asked change is refused — though a lapse found on the way is still a move
    to make (the hold is over whatever the desk asked).
    """

    status: SaleStatus
    transition: Transition | None = None
    refusal: Refusal | None = None


def _move(sale: SaleFacts, after: SaleStatus, refusal: Refusal | None = None) -> Decision:
    return Decision(after, transition(sale.status, after), refusal)


def as_read(sale: SaleFacts, now: datetime) -> Decision:
    """The sale as it is `now`: a hold that lapsed reads as expired (and is released)."""
    if sale.status == SaleStatus.HELD and hold_lapsed(sale.hold_expires_at, now):
        return _move(sale, SaleStatus.EXPIRED)
    return Decision(sale.status)


def confirm(sale: SaleFacts, now: datetime) -> Decision:
    """The desk confirms the sale `now`."""
    current = as_read(sale, now)
    if current.transition is not None:  # it lapsed just now
        return _move(sale, SaleStatus.EXPIRED, Refusal.HOLD_EXPIRED)
    match sale.status:
        case SaleStatus.HELD:
            return _move(sale, SaleStatus.CONFIRMED)
        case SaleStatus.CONFIRMED:
            return current  # confirming twice is harmless
        case SaleStatus.EXPIRED:
            return Decision(sale.status, refusal=Refusal.HOLD_EXPIRED)
        case SaleStatus.CANCELLED:
            return Decision(sale.status, refusal=Refusal.NOT_HELD)


def cancel(sale: SaleFacts, now: datetime, window_hours: int) -> Decision:
    """The desk cancels the sale `now`, at a partner whose window is `window_hours`.

    The window is the partner's promise about sales; a hold is a reservation the desk may
    always release before it lapses, even at a partner that takes no cancellations.
    """
    current = as_read(sale, now)
    if current.transition is not None:  # it lapsed just now
        return _move(sale, SaleStatus.EXPIRED, Refusal.NOT_ACTIVE)
    match sale.status:
        case SaleStatus.HELD:
            return _move(sale, SaleStatus.CANCELLED)
        case SaleStatus.CONFIRMED:
            if not within_cancellation_window(sale.created_at, window_hours, now):
                return Decision(sale.status, refusal=Refusal.WINDOW_PASSED)
            return _move(sale, SaleStatus.CANCELLED)
        case SaleStatus.CANCELLED:
            return current  # cancelling twice is harmless
        case SaleStatus.EXPIRED:
            return Decision(sale.status, refusal=Refusal.NOT_ACTIVE)
