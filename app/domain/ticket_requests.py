"""Ticket requests (ticketaanvragen): an organisation asks a partner for tickets.

What a coordinator does by hand today — "tickets aanvragen" — as a request with a life:
the organisation asks for N tickets of an offer on one of its allocations (`requested`);
the partner accepts it, which sells the tickets at the allocation's tariff and takes them
from the allocation (`accepted`), or declines it with a reason (`declined`); while it is
requested the organisation may withdraw it (`withdrawn`). Every other move is refused: a
request is decided once.
"""

from __future__ import annotations

import enum
from datetime import date

# A request's note and a decline's reason: a few sentences.
MAX_TEXT = 1000
MAX_TICKETS = 200


class TicketRequestStatus(enum.StrEnum):
    REQUESTED = "requested"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


class TicketRequestMove(enum.StrEnum):
    ACCEPT = "accept"
    DECLINE = "decline"
    WITHDRAW = "withdraw"


_AFTER = {
    TicketRequestMove.ACCEPT: TicketRequestStatus.ACCEPTED,
    TicketRequestMove.DECLINE: TicketRequestStatus.DECLINED,
    TicketRequestMove.WITHDRAW: TicketRequestStatus.WITHDRAWN,
}


class TicketRequestRefusal(enum.StrEnum):
    """Why a move is refused: the request was already decided or withdrawn."""

    NOT_OPEN = "ticket-request-not-open"


def move(
    status: TicketRequestStatus, wanted: TicketRequestMove
) -> TicketRequestStatus | TicketRequestRefusal:
    """The status a request moves to, or why it does not: only a requested one moves."""
    if status is not TicketRequestStatus.REQUESTED:
        return TicketRequestRefusal.NOT_OPEN
    return _AFTER[wanted]


class AskRefusal(enum.StrEnum):
    """Why an organisation cannot ask for these tickets now."""

    ALLOCATION_OVER = "allocation-over"
    ALLOCATION_EXHAUSTED = "allocation-exhausted"
    GROUP_TOO_LARGE = "group-too-large"


def ask_refusal(
    *, tickets: int, tickets_left: int, group_size: int, today: date, allocation_until: date
) -> AskRefusal | None:
    """Whether a request for `tickets` on an allocation may be made today: not once the
    allocation's period is over, not for more than it has left now (the accept takes them,
    atomically, and may still find fewer), not for more than its scheme sells to a group at
    once."""
    if today > allocation_until:
        return AskRefusal.ALLOCATION_OVER
    if tickets > group_size:
        return AskRefusal.GROUP_TOO_LARGE
    if tickets > tickets_left:
        return AskRefusal.ALLOCATION_EXHAUSTED
    return None
