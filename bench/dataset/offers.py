"""Partners and their offers: names, categories, kinds (dated events, periods, admissions),
dates and price classes."""

from __future__ import annotations

import json
import random
from datetime import date, datetime, timedelta

from app.clock import date_in_brussels
from app.domain.facts import OfferFacts, PriceClass

from .columns import COLUMNS, Batch, Row
from .ids import new_id
from .places import REGIONS, weighted_municipality
from .sizes import Sizes
from .times import at_utc
from .world import Offer, Partner, World

CATEGORIES = ("podium", "museum", "sport", "muziek", "jeugd", "bibliotheek")
PARTNER_WORDS = {
    "podium": ("Schouwburg", "Cultuurcentrum", "Theater", "Stadsschouwburg"),
    "museum": ("Museum", "Stedelijk Museum", "Erfgoedsite", "Kunstcentrum"),
    "sport": ("Zwembad", "Sportcentrum", "Schaatsbaan", "Voetbalclub", "Atletiekclub"),
    "muziek": ("Concertzaal", "Muziekcentrum", "Jazzclub", "Muziekacademie"),
    "jeugd": ("Jeugdhuis", "Speelplein", "Jeugdatelier", "Kinderboerderij"),
    "bibliotheek": ("Bibliotheek", "Leescafé", "Mediatheek"),
}
OFFER_WORDS = {
    "podium": ("Voorstelling", "Comedyavond", "Dansvoorstelling", "Familievoorstelling"),
    "museum": ("Tentoonstelling", "Museumbezoek", "Rondleiding", "Expo"),
    "sport": ("Zwembeurt", "Seizoensabonnement", "Lessenreeks", "Wedstrijd", "Beurtenkaart"),
    "muziek": ("Concert", "Festivaldag", "Jazzavond", "Koorconcert"),
    "jeugd": ("Speelweek", "Kamp", "Workshop", "Kindernamiddag"),
    "bibliotheek": ("Voorleesuur", "Workshop", "Lezing", "Lidmaatschap"),
}
# (kind, weight) per category: venues sell dated events, museums and pools admissions.
KINDS: dict[str, tuple[tuple[str, int], ...]] = {
    "podium": (("one_off", 85), ("period", 15)),
    "museum": (("one_off", 10), ("period", 40), ("permanent", 50)),
    "sport": (("one_off", 30), ("period", 30), ("permanent", 40)),
    "muziek": (("one_off", 85), ("period", 15)),
    "jeugd": (("one_off", 50), ("period", 50)),
    "bibliotheek": (("one_off", 50), ("period", 20), ("permanent", 30)),
}
# Regular price range (cents) of the standard class per category.
PRICES = {
    "podium": (1200, 3500),
    "museum": (500, 1500),
    "sport": (300, 12000),
    "muziek": (1000, 4500),
    "jeugd": (300, 2000),
    "bibliotheek": (300, 1000),
}
CLASS_LABELS = {"standard": "Standaard", "reduced": "Reductie", "child": "Kind"}


def partner_and_offer_rows(world: World, sizes: Sizes, rng: random.Random) -> list[Batch]:
    region_count = len(REGIONS)
    weights = [spec.weight for spec in REGIONS]
    regions_of_partners = list(range(region_count)) * 2  # at least two partners per region
    regions_of_partners += rng.choices(
        range(region_count), weights=weights, k=sizes.partners - len(regions_of_partners)
    )
    partner_rows: list[Row] = []
    taken: set[str] = set()
    for region in regions_of_partners:
        spec = REGIONS[region]
        muni = weighted_municipality(spec, rng)
        categories = [rng.choice(CATEGORIES)]
        if rng.random() < 0.3:
            second = rng.choice(CATEGORIES)
            if second not in categories:
                categories.append(second)
        base = f"{rng.choice(PARTNER_WORDS[categories[0]])} {muni.name}"
        name, number = base, 1
        while name in taken:
            number += 1
            name = f"{base} {number}"
        taken.add(name)
        window = rng.choice((24, 48, 168, 168, 168))
        partner = Partner(new_id(rng), region, muni.nis_code, name, categories, window)
        world.partners.append(partner)
        created = world.now - timedelta(days=rng.randint(400, 1500), minutes=rng.randint(0, 1440))
        partner_rows.append(
            (
                partner.id,
                world.region_ids[region],
                muni.nis_code,
                name,
                json.dumps(categories),
                window,
                created,
            )
        )

    # A few partners sell much more than others (a city theatre against a village library).
    popularity = [rng.lognormvariate(0, 0.8) for _ in world.partners]
    owners = list(range(len(world.partners)))
    owners += rng.choices(owners, weights=popularity, k=sizes.offers - len(owners))
    world.offers_by_region = [[] for _ in REGIONS]
    offer_rows: list[Row] = []
    class_rows: list[Row] = []
    now = world.now
    for number, partner_index in enumerate(owners, start=1):
        partner = world.partners[partner_index]
        category = rng.choice(partner.categories)
        kind = rng.choices(
            [kind for kind, _ in KINDS[category]], weights=[w for _, w in KINDS[category]]
        )[0]
        starts_at: datetime | None
        ends_at: datetime | None
        if kind == "one_off":
            day = world.today + timedelta(days=rng.randint(-365, 120))
            starts_at = at_utc(day, rng.choice((10, 14, 15, 19, 20, 20)), rng.choice((0, 30)))
            ends_at = starts_at + timedelta(hours=rng.choice((1, 2, 2, 3)))
            created = min(starts_at, now) - timedelta(days=rng.randint(10, 120))
            activity: date | None = date_in_brussels(starts_at)
        elif kind == "period":
            day = world.today + timedelta(days=rng.randint(-420, 60))
            starts_at = at_utc(day, 9)
            ends_at = starts_at + timedelta(days=rng.randint(14, 200))
            created = min(starts_at, now) - timedelta(days=rng.randint(10, 90))
            activity = None
        else:
            starts_at = ends_at = None
            created = now - timedelta(days=rng.randint(430, 1200))
            activity = None
        offer_id = new_id(rng)
        low, high = PRICES[category]
        standard = min(12_000, max(300, round(rng.triangular(low, high, low * 1.5) / 50) * 50))
        codes = ["standard"]
        if rng.random() < 0.6:
            codes += rng.sample(("reduced", "child"), k=rng.choice((1, 1, 2)))
            codes.sort(key=("standard", "reduced", "child").index)
        cents = {
            "standard": standard,
            "reduced": max(300, round(standard * 0.8 / 50) * 50),
            "child": max(300, round(standard * 0.5 / 50) * 50),
        }
        classes = tuple(PriceClass(code, cents[code]) for code in codes)
        for position, code in enumerate(codes):
            class_rows.append((offer_id, code, CLASS_LABELS[code], cents[code], position))
        facts = OfferFacts(
            offer_id=str(offer_id),
            partner_id=str(partner.id),
            partner_region=REGIONS[partner.region].code,
            partner_municipality_nis=partner.municipality_nis,
            category=category,
            activity_date=activity,
        )
        index = len(world.offers)
        world.offers.append(
            Offer(offer_id, partner_index, kind, starts_at, ends_at, facts, classes)
        )
        partner.offers.append(index)
        world.offers_by_region[partner.region].append(index)
        external = f"udb:{new_id(rng)}" if rng.random() < 0.35 else None
        title = f"{rng.choice(OFFER_WORDS[category])} {number}"
        offer_rows.append(
            (offer_id, partner.id, title, category, kind, starts_at, ends_at, external, created)
        )
    return [
        ("partners", COLUMNS["partners"], partner_rows),
        ("offers", COLUMNS["offers"], offer_rows),
        ("price_classes", COLUMNS["price_classes"], class_rows),
    ]
