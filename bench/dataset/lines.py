"""A sale line as a desk sells it and the sale service stores it.

The line is priced by `app.domain.pricing.price` itself, over the whole catalogue, as the
quote service calls it: the holder's facts, the holder's usage so far, the sale day. The
desk sells the best tariff of that quote (or, now and then, another one of it), and the
line is stored as the service stores it: the label through `app.db.sales.fit_label`, the
tariff's parts, funding shares and usage claims as they are. Nothing here decides a price.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import date, datetime

from app.db.sales import fit_label
from app.domain.facts import HolderFacts, PriceClass
from app.domain.limits import UsageAmount
from app.domain.pricing import Quote, Tariff, TariffPart, price

from .columns import Row
from .places import REGION_CODES
from .world import Offer, World

_UNUSED: Mapping[str, UsageAmount] = {}


def holder_facts(world: World, holder: int) -> HolderFacts:
    """What the quote service reads of the holder (`app.db.pricing`): an active card."""
    return HolderFacts(
        passholder_id=str(world.holder_ids[holder]),
        birth_date=world.holder_birth[holder],
        municipality_nis=world.holder_nis[holder],
        region=REGION_CODES[world.holder_region[holder]],
        entitlements=world.holder_statuses.get(holder, ()),
    )


def quote(
    world: World, holder: int, offer: Offer, price_class: PriceClass, day: date, quantity: int
) -> Quote:
    """The quote a desk gets for the holder on `day`, given the sales generated so far."""
    return price(
        offer=offer.facts,
        price_class=price_class,
        holder=holder_facts(world, holder),
        at=day,
        quantity=quantity,
        usage=world.usage.get(holder, _UNUSED),
        schemes=world.schemes,
    )


def add_usage(world: World, holder: int, tariff: Tariff) -> None:
    """What the sale service's claim adds to the holder's counters for a confirmed sale or
    a live hold, so that later lines are priced against it."""
    if not tariff.usage_claims:
        return
    buckets = world.usage.setdefault(holder, {})
    for claim in tariff.usage_claims:
        used = buckets.get(claim.bucket_key)
        buckets[claim.bucket_key] = (
            UsageAmount(claim.tickets, claim.discount_cents)
            if used is None
            else UsageAmount(
                used.tickets + claim.tickets, used.discount_cents + claim.discount_cents
            )
        )


class LineRows:
    """The rows the sale service writes for a line: the item, its funding, its usage."""

    def __init__(self) -> None:
        # A few hundred distinct part lists come back millions of times.
        self._parts: dict[tuple[TariffPart, ...], str] = {}

    def parts(self, tariff: Tariff) -> str:
        found = self._parts.get(tariff.parts)
        if found is None:
            found = self._parts[tariff.parts] = json.dumps(
                [
                    {
                        "code": p.scheme_code,
                        "version": p.scheme_version,
                        "discount_cents": p.discount_cents,
                    }
                    for p in tariff.parts
                ]
            )
        return found

    def item(
        self,
        item_id: uuid.UUID,
        sale_id: uuid.UUID,
        world: World,
        holder: int,
        offer: Offer,
        price_class: PriceClass,
        tariff: Tariff,
        *,
        activity_date: date,
        counted_on: date | None,
        uncounted_on: date | None,
    ) -> Row:
        """A `sale_items` row, in the order of `COLUMNS["sale_items"]`."""
        return (
            item_id,
            sale_id,
            world.holder_ids[holder],
            world.holder_card[holder],
            offer.id,
            price_class.code,
            world.holder_nis[holder],
            tariff.scheme_code,
            tariff.scheme_version,
            self.parts(tariff),
            fit_label(tariff.label.nl),
            tariff.quantity,
            price_class.regular_price_cents,
            tariff.unit_price_cents,
            tariff.total_cents,
            tariff.discount_cents,
            activity_date,
            counted_on,
            uncounted_on,
        )

    @staticmethod
    def funding(item_id: uuid.UUID, tariff: Tariff) -> list[Row]:
        return [
            (item_id, share.scheme_code, share.payer, share.payer_ref, share.amount_cents)
            for share in tariff.funding
        ]

    @staticmethod
    def usage(
        item_id: uuid.UUID, holder_id: uuid.UUID, tariff: Tariff, held_until: datetime | None
    ) -> list[Row]:
        """What the line took, kept after a cancel too: the record a cancel gives back.
        `held_until` marks a live hold; confirm, expiry and cancel clear it."""
        return [
            (item_id, holder_id, c.bucket_key, c.tickets, c.discount_cents, held_until)
            for c in tariff.usage_claims
        ]
