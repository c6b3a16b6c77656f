"""Typed factory functions for the domain's test data: defaults that price, overrides that
say what a test is about."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from app.domain.entitlements import EntitlementFact
from app.domain.facts import HolderFacts, OfferFacts, PriceClass
from app.domain.limits import UsageAmount
from app.domain.pricing import Quote, price
from app.domain.schemes import SchemeDefinition, parse_scheme

SALE_DAY = date(2026, 3, 14)
KORTRIJK = "34022"
KUURNE = "34023"
BRUGGE = "31005"


def scheme_data(**overrides: object) -> dict[str, object]:
    """A valid definition: half price for any passholder at any partner, partner pays.

    An override of None leaves the key out.
    """
    data: dict[str, object] = {
        "code": "TEST_SCHEME",
        "name": {"nl": "Testtarief"},
        "owner_region": "REGIO_KORTRIJK",
        "eligibility": {"card_holder": True},
        "applies_to": {"partners": "all"},
        "price": {"type": "pay_percent", "percent": 50},
        "funding": [{"payer": "partner", "rest": True}],
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def scheme(**overrides: object) -> SchemeDefinition:
    return parse_scheme(scheme_data(**overrides))


def kansentarief(**overrides: object) -> SchemeDefinition:
    """A regional kansentarief in the manner of Kortrijk's 20-40-40."""
    data: dict[str, object] = {
        "code": "KORTRIJK_KANSENTARIEF",
        "name": {"nl": "Kansentarief"},
        "eligibility": {"entitlement": "kansenstatuut", "in_region": "owner"},
        "applies_to": {"partners": "owner_region"},
        "price": {"type": "pay_percent", "percent": 20, "rounding": "down_10"},
        "limits": [{"count": 1, "scope": "offer", "period": "absolute"}],
        "funding": [
            {"payer": "partner", "percent": 50},
            {"payer": "scheme_owner", "rest": True},
        ],
        "priority": 10,
    }
    data.update(overrides)
    return scheme(**data)


def status(
    type_: str = "kansenstatuut",
    *,
    region: str | None = "REGIO_KORTRIJK",
    valid_from: date = date(2025, 5, 1),
    valid_until: date | None = date(2026, 4, 30),
    suspended_until: date | None = None,
    ended_on: date | None = None,
    grace_days: int = 0,
) -> EntitlementFact:
    return EntitlementFact(
        type_, region, valid_from, valid_until, suspended_until, ended_on, grace_days
    )


def holder(
    *statuses: EntitlementFact,
    birth_date: date = date(1980, 5, 17),
    municipality_nis: str = KORTRIJK,
    region: str | None = "REGIO_KORTRIJK",
    card_status: str = "active",
) -> HolderFacts:
    return HolderFacts("holder-1", birth_date, municipality_nis, region, statuses, card_status)


def offer(
    *,
    offer_id: str = "offer-1",
    partner_id: str = "partner-1",
    partner_region: str = "REGIO_KORTRIJK",
    partner_municipality_nis: str = KORTRIJK,
    category: str = "podium",
    activity_date: date | None = None,
) -> OfferFacts:
    return OfferFacts(
        offer_id, partner_id, partner_region, partner_municipality_nis, category, activity_date
    )


def quote(
    schemes: Sequence[SchemeDefinition],
    *,
    for_holder: HolderFacts | None,
    regular_price_cents: int = 1500,
    price_class: str = "standard",
    at_offer: OfferFacts | None = None,
    at: date = SALE_DAY,
    quantity: int = 1,
    usage: Mapping[str, UsageAmount] | None = None,
) -> Quote:
    return price(
        offer=at_offer or offer(),
        price_class=PriceClass(price_class, regular_price_cents),
        holder=for_holder,
        at=at,
        quantity=quantity,
        usage=usage or {},
        schemes=schemes,
    )
