"""Moves between regions: which of a holder's statuses a move ends.

A registry may only set a residence in its own region (a correction). A residence in another
region is a move, made explicitly by the registry of the region the person leaves: the
person keeps their id, cards, history and usage, and goes to the new region's registry. The
region they leave decides, by its setting `end_statuses_on_move`, whether its own statuses
(a kansenstatuut is a municipality's decision about its residents) end on the day of the
move. Statuses that count everywhere (the European Disability Card) or that another region
granted are never ended by a move.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from app.domain.entitlements import EntitlementFact, entitlement_status


@dataclass(frozen=True, slots=True)
class HeldStatus:
    id: str
    region_id: str | None  # the region that granted it; None: it counts everywhere
    fact: EntitlementFact


def is_move(current_region_id: str, new_region_id: str) -> bool:
    return current_region_id != new_region_id


def statuses_ended_by_move(
    statuses: Iterable[HeldStatus],
    *,
    from_region_id: str,
    on: date,
    end_statuses_on_move: bool,
) -> list[tuple[str, date]]:
    """(status id, end date) for each status the move ends.

    A status of the region left that still counts on the day of the move, or would count
    later (suspended, in grace, not yet started), ends that day — a status that has not
    started yet ends on its first day, so it never counts. Expired and ended statuses are
    history and stay as they are.
    """
    if not end_statuses_on_move:
        return []
    ended: list[tuple[str, date]] = []
    for status in statuses:
        if status.region_id != from_region_id:
            continue
        if entitlement_status(status.fact, on) in ("ended", "expired"):
            continue
        ended.append((status.id, max(on, status.fact.valid_from)))
    return ended
