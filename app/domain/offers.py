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


class NotSellable(StrEnum):
    """Why a desk can no longer quote, sell or check in on an offer (its history stays)."""

    OFFER_ARCHIVED = "offer-archived"
    PARTNER_ARCHIVED = "partner-archived"


def not_sellable(
    offer_archived_at: datetime | None, partner_archived_at: datetime | None
) -> NotSellable | None:
    """An archived partner sells none of its offers; an archived offer is not sold."""
    if partner_archived_at is not None:
        return NotSellable.PARTNER_ARCHIVED
    if offer_archived_at is not None:
        return NotSellable.OFFER_ARCHIVED
    return None


def dates_problem(
    kind: str, starts_at: datetime | None, ends_at: datetime | None
) -> tuple[str, str] | None:
    """What is wrong with an offer's dates, as (field, detail); None when nothing is."""
    if kind == OfferKind.ONE_OFF and starts_at is None:
        return "starts_at", "required for one_off"
    if starts_at is not None and ends_at is not None and ends_at < starts_at:
        return "ends_at", "before starts_at"
    return None


def brussels_midnight(day: date) -> datetime:
    """The first moment of a Brussels day: the bounds of a list's `from` and `to`."""
    return datetime(day.year, day.month, day.day, tzinfo=BRUSSELS)
