"""What later phases need to know about what earlier phases generated, by index."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime

from app.domain.entitlements import EntitlementFact
from app.domain.facts import OfferFacts, PriceClass
from app.domain.limits import UsageAmount
from app.domain.schemes import SchemeDefinition


@dataclass(slots=True)
class Partner:
    id: uuid.UUID
    region: int
    municipality_nis: str
    name: str
    categories: list[str]
    cancellation_window_hours: int
    offers: list[int] = field(default_factory=list)


@dataclass(slots=True)
class Offer:
    id: uuid.UUID
    partner: int
    kind: str
    starts_at: datetime | None
    ends_at: datetime | None
    facts: OfferFacts
    classes: tuple[PriceClass, ...]


@dataclass(slots=True)
class World:
    """Everything later phases need to know about what earlier phases generated."""

    now: datetime
    today: date
    region_ids: list[uuid.UUID] = field(default_factory=list)
    municipality_region: dict[str, int] = field(default_factory=dict)
    partners: list[Partner] = field(default_factory=list)
    offers: list[Offer] = field(default_factory=list)
    offers_by_region: list[list[int]] = field(default_factory=list)
    schemes: tuple[SchemeDefinition, ...] = ()
    kansentarief_codes: frozenset[str] = frozenset()
    # Per passholder, by index.
    holder_ids: list[uuid.UUID] = field(default_factory=list)
    holder_region: list[int] = field(default_factory=list)
    holder_nis: list[str] = field(default_factory=list)
    holder_birth: list[date] = field(default_factory=list)
    holder_card: list[str] = field(default_factory=list)
    holder_statuses: dict[int, tuple[EntitlementFact, ...]] = field(default_factory=dict)
    holders_by_region: list[list[int]] = field(default_factory=list)
    # Holders with a kansenstatuut (any state) and with one usable today, by region.
    ks_holders: list[int] = field(default_factory=list)
    ks_active_by_region: list[list[int]] = field(default_factory=list)
    insz_samples: list[dict[str, str]] = field(default_factory=list)
    # Usage of confirmed sales and live holds, per holder index and bucket key.
    usage: dict[int, dict[str, UsageAmount]] = field(default_factory=dict)
    catalog_version: int = 0
