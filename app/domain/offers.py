"""Offers as the desk's rules see them: their kind, and the day their activity counts on."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

# Calendar rules (validity, periods, the activity's day) follow the local date in Belgium.
BRUSSELS = ZoneInfo("Europe/Brussels")


class OfferKind(StrEnum):
    ONE_OFF = "one_off"  # one date: a play, a concert
    PERIOD = "period"  # a run of dates: a season ticket
    PERMANENT = "permanent"  # no date: a museum ticket, a swim


def activity_date(kind: str, starts_at: datetime | None) -> date | None:
    """The day an offer's activity counts on, for age, statuses and limit periods.

    A one-off activity counts on its own date, in Brussels (a concert at 23:30 on 31 March
    is a March concert, whatever the server's clock zone). Other offers have none: they are
    judged on the day of the sale (`limits.activity_day`). `starts_at` is an aware moment.
    """
    if kind == OfferKind.ONE_OFF and starts_at is not None:
        return starts_at.astimezone(BRUSSELS).date()
    return None


def on_sale(kind: str, starts_at: datetime | None, ends_at: datetime | None, now: datetime) -> bool:
    """Whether a desk sells the offer at `now`: a one-off activity until it has ended (or
    until its start when it has no end), a period while it runs or before it starts, a
    permanent offer always."""
    if kind == OfferKind.PERMANENT:
        return True
    end = ends_at or starts_at
    return end is None or end > now


def nearest_first_key(
    kind: str, starts_at: datetime | None, title: str, now: datetime
) -> tuple[int, float, str]:
    """Sort key of a desk's list: dated offers by how soon they start (a running period
    counts as now), then permanent offers, each by title."""
    if kind == OfferKind.PERMANENT or starts_at is None:
        return (1, 0.0, title.casefold())
    return (0, max(0.0, (starts_at - now).total_seconds()), title.casefold())
