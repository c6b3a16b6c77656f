"""What the price calculation knows about the holder, the offer and the price class.

The service layer loads these from the database; regions are referred to by their code
("REGIO_KORTRIJK", "BRUGGE") everywhere in the domain, never by a database id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from app.domain.entitlements import EntitlementFact


@dataclass(frozen=True, slots=True)
class HolderFacts:
    """Who a ticket is for: a passholder, an anonymous voucher (`voucher`) or an
    organisation's group (`group`: its group card, or the tickets it requested), which
    have no birth date, no residence and no statuses — only the organisation behind them."""

    passholder_id: str
    birth_date: date | None
    municipality_nis: str | None
    region: str | None
    entitlements: tuple[EntitlementFact, ...] = ()
    card_status: str = "active"
    voucher: bool = False
    organisation_id: str | None = None
    group: bool = False
    organisation_kind: str | None = None


@dataclass(frozen=True, slots=True)
class OfferFacts:
    offer_id: str
    partner_id: str
    partner_region: str
    partner_municipality_nis: str
    category: str
    # The day the activity takes place; None for offers without one (a museum ticket, a
    # season ticket), which are then judged on the day of the sale.
    activity_date: date | None = None


@dataclass(frozen=True, slots=True)
class PriceClass:
    code: str
    regular_price_cents: int


def age_on(birth_date: date, day: date) -> int:
    """Full years on `day`: a birthday on that very day already counts.

    Someone born on 29 February turns a year older on 1 March in a non-leap year.
    """
    had_birthday = (day.month, day.day) >= (birth_date.month, birth_date.day)
    return day.year - birth_date.year - (0 if had_birthday else 1)
