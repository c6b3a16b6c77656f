"""The scheme catalogue: the shipped `catalog/`, per region a kansentarief (four variants),
age reductions, an advantage for every holder and welcome coupons, four platform-wide
schemes and partner schemes varied as in bench/price_engine.py — 200 in all, each through
`parse_scheme` as the API would take it."""

from __future__ import annotations

import json
import random
from datetime import date, timedelta
from pathlib import Path

from app.domain.schemes import NAME_MAX_LENGTH, SchemeDefinition, parse_scheme
from app.services.catalog_files import load_scheme_files

from .columns import COLUMNS, Batch, Row
from .ids import new_id
from .places import REGIONS, short_code
from .world import World

CATALOG_DIR = Path(__file__).resolve().parents[2] / "catalog"
SCHEME_COUNT = 200
OTHER_STATUSES = (
    "verhoogde_tegemoetkoming",
    "leefloon",
    "large_family",
    "european_disability_card",
    "article27",
    "schuldbemiddeling",
)
FUNDERS = ("VLAAMSE_OVERHEID", "PROVINCIE", "SPORT_VLAANDEREN", "CULTUURFONDS")


def scheme_definitions(world: World, rng: random.Random) -> list[SchemeDefinition]:
    """The shipped catalogue, per-region schemes and partner schemes: 200 in all."""
    shipped = load_scheme_files([CATALOG_DIR])
    codes = {scheme.code for scheme in shipped}
    data: list[dict[str, object]] = []
    today = world.today
    partner_funding: list[dict[str, object]] = [{"payer": "partner", "rest": True}]
    for index, spec in enumerate(REGIONS):
        short = short_code(spec.code)
        owner = spec.code
        if not any(code.startswith(f"{short}_") for code in codes):
            variant = index % 4
            price_rule: dict[str, object] = [
                {"type": "pay_percent", "percent": 20},
                {"type": "pay_percent", "percent": 25, "rounding": "down_10"},
                {"type": "percent_off", "percent": 80},
                {"type": "fixed_price", "amount_cents": 300},
            ][variant]
            limits: list[dict[str, object]] = [
                [{"count": 1, "per": "passholder", "scope": "offer", "period": "absolute"}],
                [
                    {"count": 4, "scope": "partner", "period": "month"},
                    {"discount_cents": 24_000, "scope": "scheme", "period": "year"},
                ],
                [{"discount_cents": 24_000, "scope": "scheme", "period": "year"}],
                [{"count": 2, "scope": "offer", "period": "absolute"}],
            ][variant]
            scheme: dict[str, object] = {
                "code": f"{short}_KANSENTARIEF",
                "name": {"nl": "Kansentarief", "fr": "Tarif d'opportunité"},
                "owner_region": owner,
                "eligibility": {"entitlement": "kansenstatuut", "in_region": "owner"},
                "applies_to": {"partners": "owner_region"}
                | ({"max_regular_price_cents": 6000} if variant == 3 else {}),
                "price": price_rule,
                "limits": limits,
                "stacking": "exclusive",
                "priority": 10,
            }
            if variant == 1:
                scheme["funding_by_residence"] = {
                    "same_municipality": [
                        {"payer": "home_municipality", "percent": 40},
                        {"payer": "scheme_owner", "rest": True},
                    ],
                    "other": [
                        {"payer": "partner", "percent": 50},
                        {"payer": "scheme_owner", "rest": True},
                    ],
                }
            else:
                scheme["funding"] = [
                    {"payer": "partner", "percent": 50},
                    {"payer": "scheme_owner", "rest": True},
                ]
            data.append(scheme)
            data.append(
                {
                    "code": f"{short}_JONGER_DAN_12",
                    "name": {"nl": "Kinderen onder 12"},
                    "owner_region": owner,
                    "eligibility": {"age": {"max": 11}},
                    "applies_to": {"partners": "owner_region"},
                    "price": {"type": "percent_off", "percent": 50},
                    "funding": partner_funding,
                    "priority": 0,
                }
            )
            data.append(
                {
                    "code": f"{short}_65_PLUS",
                    "name": {"nl": "65-plussers"},
                    "owner_region": owner,
                    "eligibility": {"age": {"min": 65}},
                    "applies_to": {"partners": "owner_region"},
                    "price": {"type": "percent_off", "percent": 20, "rounding": "down_10"},
                    "funding": partner_funding,
                    "priority": 0,
                }
            )
        # Every region: a small advantage for every passholder, so everyone gets a tariff.
        data.append(
            {
                "code": f"{short}_UITPAS_VOORDEEL",
                "name": {"nl": "UiTPAS-voordeel", "en": "UiTPAS advantage"},
                "owner_region": owner,
                "eligibility": {"card_holder": True},
                "applies_to": {"partners": "owner_region"},
                "price": {"type": "percent_off", "percent": 10, "rounding": "down_10"},
                "limits": [{"count": 2, "scope": "partner", "period": "month"}],
                "funding": partner_funding,
                "priority": 0,
            }
        )
        if spec.code in ("REGIO_GENT", "REGIO_LEUVEN", "REGIO_MECHELEN"):
            data.append(
                {
                    "code": f"{short}_WELKOMSTBON",
                    "name": {"nl": "Welkomstbon"},
                    "owner_region": owner,
                    "eligibility": {"card_holder": True},
                    "applies_to": {"partners": "owner_region"},
                    "price": {"type": "amount_off", "amount_cents": 500},
                    "limits": [{"count": 1, "scope": "scheme", "period": "absolute"}],
                    "funding": [{"payer": "scheme_owner", "rest": True}],
                    "stacking": "on_top",
                    "priority": 0,
                }
            )
    data += [
        {
            "code": "VT_SPORT",
            "name": {"nl": "Sporten met verhoogde tegemoetkoming"},
            "owner_region": None,
            "eligibility": {"entitlement": "verhoogde_tegemoetkoming", "in_region": "any"},
            "applies_to": {"partners": "all", "categories": ["sport"]},
            "price": {"type": "percent_off", "percent": 50},
            "limits": [{"count": 10, "scope": "scheme", "period": "year"}],
            "funding": [
                {"payer": "SPORT_VLAANDEREN", "percent": 50},
                {"payer": "partner", "rest": True},
            ],
            "priority": 1,
        },
        {
            "code": "LEEFLOON_CULTUUR",
            "name": {"nl": "Cultuur met leefloon"},
            "owner_region": None,
            "eligibility": {"entitlement": "leefloon", "in_region": "any"},
            "applies_to": {"partners": "all", "categories": ["podium", "muziek", "museum"]},
            "price": {"type": "fixed_price", "amount_cents": 200},
            "limits": [{"count": 2, "scope": "scheme", "period": "month"}],
            "funding": [
                {"payer": "home_municipality", "percent": 75},
                {"payer": "partner", "rest": True},
            ],
            "priority": 3,
        },
        {
            "code": "ZOMER_JEUGD",
            "name": {"nl": "Zomeractiviteiten voor jongeren"},
            "owner_region": None,
            "valid_from": date(today.year, 7, 1).isoformat(),
            "valid_until": date(today.year, 8, 31).isoformat(),
            "eligibility": {"age": {"max": 17}},
            "applies_to": {"partners": "all", "categories": ["jeugd", "sport"]},
            "price": {"type": "percent_off", "percent": 30},
            "funding": [{"payer": "VLAAMSE_OVERHEID", "rest": True}],
            "priority": 0,
        },
        {
            "code": "SCHULDBEMIDDELING_BIB",
            "name": {"nl": "Bibliotheek bij schuldbemiddeling"},
            "owner_region": None,
            "eligibility": {"entitlement": "schuldbemiddeling", "in_region": "any"},
            "applies_to": {"partners": "all", "categories": ["bibliotheek"]},
            "price": {"type": "free"},
            "funding": [{"payer": "partner", "rest": True}],
            "priority": 2,
        },
    ]
    for number in range(SCHEME_COUNT - len(shipped) - len(data)):
        data.append(partner_scheme(world, rng, number))
    return shipped + [parse_scheme(item) for item in data]


def partner_scheme(world: World, rng: random.Random, number: int) -> dict[str, object]:
    """A scheme of one to three partners of one region, varied like bench/price_engine.py."""
    first = rng.choice(world.partners)
    spec = REGIONS[first.region]
    same_region = [p for p in world.partners if p.region == first.region and p is not first]
    chosen = [first, *rng.sample(same_region, k=min(len(same_region), rng.choice((0, 0, 1, 2))))]
    status = rng.choice(("kansenstatuut", *OTHER_STATUSES[:3]))
    nis_codes = [m.nis_code for m in spec.municipalities]
    eligibility = rng.choice(
        [
            {"entitlement": status, "in_region": "owner"},
            {"entitlement": "kansenstatuut", "in_region": "owner"},
            {"age": {"max": rng.randint(5, 17)}},
            {"age": {"min": rng.randint(55, 70)}},
            {"age": {"min": 18, "max": 25}},
            {"all": [{"entitlement": status, "in_region": "any"}, {"resident_of": spec.code}]},
            {"any": [{"age": {"max": 11}}, {"entitlement": "kansenstatuut", "in_region": "owner"}]},
            {"card_holder": True},
            {"resident_of": rng.sample(nis_codes, k=rng.choice((1, 2)))},
            {"not": {"resident_of": spec.code}},
        ]
    )
    price_rule = rng.choice(
        [
            {"type": "pay_percent", "percent": 20, "rounding": "down_10"},
            {"type": "pay_percent", "percent": 50, "max_pay_cents": 1000},
            {"type": "percent_off", "percent": rng.choice([10, 25, 50, 80])},
            {"type": "percent_off", "percent": 33.33, "rounding": "nearest_50"},
            {"type": "fixed_price", "amount_cents": rng.choice([125, 300, 500])},
            {"type": "amount_off", "amount_cents": rng.choice([200, 300, 500])},
            {"type": "free"},
        ]
    )
    limits = rng.choice(
        [
            [],
            [],
            [{"count": 1, "scope": "offer", "period": "absolute"}],
            [{"count": 1, "scope": "offer", "period": "day"}],
            [{"discount_cents": 24_000, "scope": "scheme", "period": "year"}],
            [
                {"count": 4, "scope": "partner", "period": "month"},
                {"discount_cents": 5_000, "scope": "partner", "period": "month"},
            ],
            [{"count": 10, "scope": "scheme", "period": "year", "year_starts": "09-01"}],
            [{"count": 2, "scope": "category", "period": "week"}],
            [{"discount_cents": 6_000, "scope": "scheme", "period": "quarter"}],
        ]
    )
    applies_to: dict[str, object] = {"partners": [str(p.id) for p in chosen]}
    if rng.random() < 0.25:
        applies_to["categories"] = [rng.choice(first.categories)]
    if rng.random() < 0.15:
        applies_to["price_classes"] = ["standard"]
    if rng.random() < 0.15:
        applies_to["max_regular_price_cents"] = rng.choice([2500, 5000])
    code = f"{short_code(spec.code)}_PARTNER_{number:03d}"
    data: dict[str, object] = {
        "code": code,
        "name": {"nl": f"Voordeel {first.name}"[:NAME_MAX_LENGTH]},
        "owner_region": spec.code,
        "eligibility": eligibility,
        "applies_to": applies_to,
        "price": price_rule,
        "limits": limits,
        "stacking": "on_top" if number % 25 == 7 else "exclusive",
        "priority": rng.randint(0, 5),
    }
    validity = rng.random()
    if validity < 0.08:  # a scheme that ended during the sales window
        data["valid_until"] = (world.today - timedelta(days=rng.randint(30, 300))).isoformat()
    elif validity < 0.16:  # a scheme that started during it
        data["valid_from"] = (world.today - timedelta(days=rng.randint(0, 200))).isoformat()
    funding = rng.random()
    if funding < 0.3:
        data["funding_by_residence"] = {
            "same_municipality": [
                {"payer": "home_municipality", "percent": 50},
                {"payer": "partner", "rest": True},
            ],
            "other": [{"payer": "partner", "rest": True}],
        }
    elif funding < 0.55:
        data["funding"] = [
            {"payer": rng.choice(FUNDERS), "fixed_cents": 100},
            {"payer": "partner", "percent": 30},
            {"payer": "scheme_owner", "rest": True},
        ]
    elif funding < 0.8:
        data["funding"] = [
            {"payer": "partner", "percent": 50},
            {"payer": "scheme_owner", "rest": True},
        ]
    else:
        data["funding"] = [{"payer": "partner", "rest": True}]
    return data


def scheme_rows(world: World, rng: random.Random) -> list[Batch]:
    schemes = scheme_definitions(world, rng)
    if len(schemes) != SCHEME_COUNT or len({s.code for s in schemes}) != SCHEME_COUNT:
        raise RuntimeError("the scheme catalogue must hold 200 distinct codes")
    world.schemes = tuple(schemes)
    by_code = {spec.code: world.region_ids[i] for i, spec in enumerate(REGIONS)}
    created = world.now - timedelta(days=30)
    rows: list[Row] = [
        (
            new_id(rng),
            scheme.code,
            scheme.version,
            by_code[scheme.owner_region] if scheme.owner_region else None,
            json.dumps(scheme.to_dict()),
            created,
            "bench",
        )
        for scheme in schemes
    ]
    world.kansentarief_codes = frozenset(
        scheme.code
        for scheme in schemes
        if scheme.code.endswith("_KANSENTARIEF") or scheme.code.startswith("BRUGGE_TERUGBETALING")
    )
    return [("schemes", COLUMNS["schemes"], rows)]
