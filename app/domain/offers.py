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


# --- open prices ----------------------------------------------------------------------------
#
# Partner ticketing that prices seats itself (a club's webshop, a venue's own seat map) sells
# an open-price offer: the desk says what the seat costs, and the schemes price from that
# regular price exactly as from a price class's price. The offer's maximum is what keeps a
# partner from inflating the regular price, and with it what a city refunds: a price above
# it is refused, never capped (a capped price would be a sale at a price the partner did not
# ask for). A price class of an open-price offer keeps its price as the one its public price
# list shows.
#
# The maximum bounds what the region's schemes pay back, so it is the region's to grant: a
# partner may close an open price or lower its maximum, but opening a price or raising the
# maximum takes the region's admin (`widens_open_price`).


class OpenPriceRefusal(StrEnum):
    """Why a quote or sale line's `regular_price_cents` is refused (the problem codes)."""

    REQUIRED = "regular-price-required"  # an open-price offer, and no price given
    NOT_ALLOWED = "regular-price-not-allowed"  # a fixed-price offer, and a price given
    ABOVE_MAXIMUM = "regular-price-above-maximum"


def regular_price(
    class_price_cents: int,
    *,
    open_price: bool,
    max_price_cents: int | None,
    asked_cents: int | None,
) -> int | OpenPriceRefusal:
    """The regular price a line is priced and sold at: the price class's on a fixed-price
    offer, the one asked on an open-price offer (0 to its maximum)."""
    if not open_price:
        return class_price_cents if asked_cents is None else OpenPriceRefusal.NOT_ALLOWED
    if asked_cents is None:
        return OpenPriceRefusal.REQUIRED
    if asked_cents < 0:
        raise ValueError("a regular price cannot be negative")
    if max_price_cents is None or asked_cents > max_price_cents:
        return OpenPriceRefusal.ABOVE_MAXIMUM
    return asked_cents


def open_price_problem(
    open_price: bool, max_price_cents: int | None, class_prices: dict[str, int]
) -> tuple[str, str] | None:
    """What is wrong with an offer's open-price terms, as (JSON pointer, detail); None when
    nothing is. An open-price offer needs a maximum above 0, and its price classes' prices
    (the public price list's) stay within it; a fixed-price offer has no maximum."""
    if not open_price:
        if max_price_cents is not None:
            return "/max_price_cents", "only for an offer with open_price"
        return None
    if max_price_cents is None:
        return "/max_price_cents", "required with open_price"
    if max_price_cents <= 0:
        return "/max_price_cents", "must be above 0"
    for position, (code, cents) in enumerate(class_prices.items()):
        if cents > max_price_cents:
            return (
                f"/price_classes/{position}/price_cents",
                f"price class {code!r} is above max_price_cents",
            )
    return None


def widens_open_price(before: tuple[bool, int | None], after: tuple[bool, int | None]) -> bool:
    """Whether going from terms `before` to `after` (open_price, max_price_cents) lets a
    line be sold at a higher regular price than before: opening a fixed-price offer (a new
    offer is `(False, None)` before), or raising an open price's maximum."""
    after_open, after_max = after
    if not after_open:
        return False
    before_open, before_max = before
    if not before_open or before_max is None or after_max is None:
        return True
    return after_max > before_max
