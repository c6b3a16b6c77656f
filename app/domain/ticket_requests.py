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
