"""The (card, offer, price class) samples a load test quotes and sells with: holders with a
kansenstatuut usable today, at the partners with the most offers on sale today, each
checked with the price calculation to get a kansentarief tariff."""

from __future__ import annotations

import random
from datetime import datetime

from .lines import quote
from .places import REGIONS
from .world import Offer, World

QUOTE_SAMPLES = 10_000
SAMPLE_PARTNERS_PER_REGION = 2


def sellable(offer: Offer, now: datetime) -> bool:
    if offer.kind == "permanent":
        return True
    if offer.kind == "one_off":
        return offer.starts_at is not None and offer.starts_at > now
    return offer.ends_at is not None and offer.ends_at > now


def quote_samples(
    world: World, rng: random.Random, count: int
) -> tuple[list[dict[str, object]], list[int]]:
    """(card, offer, price class) of holders with a kansenstatuut usable today in the offer's
    partner's region, at a few partners per region, for offers on sale today; each checked
    with the price calculation over the whole catalogue to get a kansentarief tariff."""
    today = world.today
    sample_partners: list[int] = []
    for region in range(len(REGIONS)):
        ranked = sorted(
            (
                (sum(sellable(world.offers[o], world.now) for o in partner.offers), index)
                for index, partner in enumerate(world.partners)
                if partner.region == region
            ),
            reverse=True,
        )
        sample_partners += [index for n, index in ranked[:SAMPLE_PARTNERS_PER_REGION] if n > 0]
    by_region: dict[int, list[tuple[int, list[int]]]] = {}
    for index in sample_partners:
        partner = world.partners[index]
        offers = [o for o in partner.offers if sellable(world.offers[o], world.now)]
        by_region.setdefault(partner.region, []).append((index, offers))
    regions = [r for r in by_region if world.ks_active_by_region[r]]
    samples: list[dict[str, object]] = []
    seen: set[tuple[int, int]] = set()
    attempts = 0
    while len(samples) < count and regions and attempts < count * 20:
        attempts += 1
        region = rng.choice(regions)
        partner_index, offers = rng.choice(by_region[region])
        holder = rng.choice(world.ks_active_by_region[region])
        offer_index = rng.choice(offers)
        if (holder, offer_index) in seen:
            continue
        offer = world.offers[offer_index]
        pc = rng.choice(offer.classes)
        result = quote(world, holder, offer, pc, today, 1)
        if not any(
            part.scheme_code in world.kansentarief_codes
            for tariff in result.tariffs
            for part in tariff.parts
        ):
            continue
        seen.add((holder, offer_index))
        best = result.tariffs[0]
        samples.append(
            {
                "card_number": world.holder_card[holder],
                "offer_id": str(offer.id),
                "price_class": pc.code,
                "partner_id": str(world.partners[partner_index].id),
                "region_code": REGIONS[region].code,
                "best_scheme_code": best.scheme_code,
                "best_unit_price_cents": best.unit_price_cents,
            }
        )
    return samples, sample_partners
