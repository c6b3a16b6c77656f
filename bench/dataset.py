"""Benchmark dataset for quotes and sales (issues #5 and #6).

Creates a scratch PostgreSQL database, migrates it with Alembic and fills it with a
platform-sized population: 10 regions, 1,000,000 passholders with a card each, their
statuses, 1,000 partners with 20,000 offers, a catalogue of 200 schemes and 2,000,000 sales
of the last 14 months, with funding, usage and the usage counters those sales add up to.

    .venv/bin/python bench/dataset.py --admin-url postgresql://postgres@127.0.0.1:5432/postgres \\
        [--scale 1.0] [--keep] [--database-url URL [--reset]] [--summary var/bench-dataset.json]

Every sale line is priced by the domain's rules on the day it was sold, against the
holder's usage so far, so its tariff, funding split and usage buckets are what the service
would have written (`LinePricer`: the rules of `app.domain.pricing.price` for the one tariff
sold; a sample of lines is priced by `price()` itself and must agree). Rows go in with COPY
(asyncpg) into the migrated tables, constraints and indexes included, one connection per
table; the next chunk is generated in a thread while the current one is copied. At the end
a self-check compares counts and reconciles funding, amounts and usage counters in SQL, and
a JSON summary lists the database URL and 10,000 (card, offer, price class) samples for
load tests of POST /v1/quotes and POST /v1/sales.

Without --keep the database is dropped after the self-check; --database-url fills (and
keeps) a database of your choice, which must be empty unless --reset empties it first.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import random
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate
from pathlib import Path
from typing import Any

import asyncpg
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from app.clock import BRUSSELS
from app.db import migrations, settlement, tables
from app.db.engine import create_engine, create_sessionmaker
from app.domain.cards import new_card_number
from app.domain.conditions import Predicate, Subject, compile_condition, subject_of
from app.domain.entitlements import USABLE_STATUSES, EntitlementFact, entitlement_status
from app.domain.facts import HolderFacts, OfferFacts, PriceClass
from app.domain.funding import FundingShare, PayerRefs, split_discount
from app.domain.insz import insz_pseudonym, parse_insz
from app.domain.limits import (
    Bucket,
    UsageAmount,
    UsageClaim,
    allowance,
    bucket_plan,
    claims,
    period_start,
    scope_ref,
    usage_bucket_key,
)
from app.domain.localized import LocalizedText
from app.domain.people import name_key
from app.domain.pricing import LABEL_SEPARATOR, Quote, price
from app.domain.reports import settlement_day
from app.domain.schemes import SchemeDefinition, parse_scheme
from app.services.catalog_files import load_scheme_files
from app.settings import async_database_url

ROOT = Path(__file__).resolve().parent.parent
CATALOG_DIR = ROOT / "catalog"
DEFAULT_SUMMARY = ROOT / "var" / "bench-dataset.json"

# The server must run with this key (OPENPAS_INSZ_HMAC_KEY) for INSZ look-ups to match.
INSZ_HMAC_KEY = "bench-dataset-insz-hmac-key-0123456789abcdef"
DEFAULT_SEED = 20261127
CHUNK_ROWS = 50_000

FULL_PASSHOLDERS = 1_000_000
FULL_PARTNERS = 1_000
FULL_OFFERS = 20_000
FULL_SALES = 2_000_000
SCHEME_COUNT = 200
QUOTE_SAMPLES = 10_000
INSZ_SAMPLES = 100
SAMPLE_PARTNERS_PER_REGION = 2

SALES_WINDOW = timedelta(days=426)  # 14 months
HOLD = timedelta(minutes=15)  # the service's default hold_minutes
CATEGORIES = ("podium", "museum", "sport", "muziek", "jeugd", "bibliotheek")
OTHER_STATUSES = (
    "verhoogde_tegemoetkoming",
    "leefloon",
    "large_family",
    "european_disability_card",
    "article27",
    "schuldbemiddeling",
)
FUNDERS = ("VLAAMSE_OVERHEID", "PROVINCIE", "SPORT_VLAANDEREN", "CULTUURFONDS")

Row = tuple[object, ...]
Batch = tuple[str, tuple[str, ...], list[Row]]


# --- places ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MunicipalitySpec:
    nis_code: str
    name: str
    postal_codes: tuple[str, ...]
    weight: float


@dataclass(frozen=True, slots=True)
class RegionSpec:
    code: str
    name: str
    grace_days: int
    default_status_end: str  # MM-DD
    weight: float
    municipalities: tuple[MunicipalitySpec, ...]


def _m(nis: str, name: str, postal: str, weight: float) -> MunicipalitySpec:
    return MunicipalitySpec(nis, name, tuple(postal.split()), weight)


REGIONS: tuple[RegionSpec, ...] = (
    RegionSpec(
        "REGIO_KORTRIJK",
        "UiTPAS Regio Kortrijk",
        30,
        "04-30",
        1.6,
        (
            _m("34022", "Kortrijk", "8500 8501 8510 8511", 5),
            _m("34013", "Harelbeke", "8530 8531", 2),
            _m("34023", "Kuurne", "8520", 1),
            _m("34042", "Zwevegem", "8550 8551 8553 8554", 1.5),
            _m("34041", "Wevelgem", "8560", 2),
            _m("34027", "Menen", "8930", 2),
        ),
    ),
    RegionSpec(
        "BRUGGE",
        "UiTPAS Brugge",
        0,
        "12-31",
        1.5,
        (
            _m("31005", "Brugge", "8000 8200 8310 8380", 8),
            _m("31006", "Damme", "8340", 1),
            _m("31012", "Jabbeke", "8490", 1),
            _m("31022", "Oostkamp", "8020", 1.5),
            _m("31040", "Zedelgem", "8210", 1.5),
        ),
    ),
    RegionSpec(
        "REGIO_GENT",
        "UiTPAS Gent",
        30,
        "04-30",
        3.0,
        (
            _m("44021", "Gent", "9000 9030 9040 9050", 10),
            _m("44013", "Destelbergen", "9070", 1),
            _m("44034", "Lochristi", "9080", 1),
            _m("44043", "Merelbeke", "9820", 1.2),
            _m("44012", "De Pinte", "9840", 0.6),
        ),
    ),
    RegionSpec(
        "REGIO_LEUVEN",
        "UiTPAS Leuven",
        60,
        "06-30",
        1.6,
        (
            _m("24062", "Leuven", "3000 3001 3010 3012", 6),
            _m("24038", "Herent", "3020", 1.4),
            _m("24055", "Kortenberg", "3070", 1.3),
            _m("24009", "Bertem", "3060", 0.7),
            _m("24086", "Oud-Heverlee", "3050", 0.8),
        ),
    ),
    RegionSpec(
        "REGIO_AALST",
        "UiTPAS Regio Aalst",
        30,
        "04-30",
        1.3,
        (
            _m("41002", "Aalst", "9300 9308 9310 9320", 5),
            _m("41011", "Denderleeuw", "9470", 1.3),
            _m("41082", "Erpe-Mere", "9420", 1.3),
            _m("41024", "Haaltert", "9450", 1.2),
            _m("41034", "Lede", "9340", 1.2),
        ),
    ),
    RegionSpec(
        "REGIO_MECHELEN",
        "UiTPAS Mechelen",
        0,
        "12-31",
        1.3,
        (
            _m("12025", "Mechelen", "2800 2801 2811 2812", 5),
            _m("12005", "Bonheiden", "2820", 1.1),
            _m("12035", "Sint-Katelijne-Waver", "2860", 1.3),
            _m("12040", "Willebroek", "2830", 1.6),
            _m("12009", "Duffel", "2570", 1.1),
        ),
    ),
    RegionSpec(
        "REGIO_HASSELT",
        "UiTPAS Hasselt",
        30,
        "04-30",
        1.2,
        (
            _m("71022", "Hasselt", "3500 3501 3510 3511 3512", 5),
            _m("71011", "Diepenbeek", "3590", 1.2),
            _m("71066", "Zonhoven", "3520", 1.4),
            _m("71024", "Herk-de-Stad", "3540", 0.8),
            _m("71037", "Lummen", "3560", 1.0),
        ),
    ),
    RegionSpec(
        "REGIO_OOSTENDE",
        "UiTPAS Oostende",
        14,
        "04-30",
        1.0,
        (
            _m("35013", "Oostende", "8400", 5),
            _m("35002", "Bredene", "8450", 1.2),
            _m("35011", "Middelkerke", "8430 8431 8432 8433 8434", 1.4),
            _m("35005", "Gistel", "8470", 0.8),
            _m("35014", "Oudenburg", "8460", 0.6),
        ),
    ),
    RegionSpec(
        "REGIO_ROESELARE",
        "UiTPAS Regio Roeselare",
        30,
        "04-30",
        1.0,
        (
            _m("36015", "Roeselare", "8800", 5),
            _m("36008", "Izegem", "8870", 2),
            _m("36006", "Hooglede", "8830", 0.8),
            _m("36012", "Moorslede", "8890", 0.8),
            _m("36019", "Staden", "8840", 0.7),
        ),
    ),
    RegionSpec(
        "REGIO_TURNHOUT",
        "UiTPAS Kempen",
        30,
        "12-31",
        1.0,
        (
            _m("13040", "Turnhout", "2300", 4),
            _m("13031", "Oud-Turnhout", "2360", 1.1),
            _m("13004", "Beerse", "2340", 1.5),
            _m("13046", "Vosselaar", "2350", 0.9),
            _m("13017", "Kasterlee", "2460", 1.6),
        ),
    ),
)

# Plain strings split once: a list literal of 250 names would fill five screens.
FIRST_NAMES = (  # noqa: SIM905
    "Emma Louise Olivia Elena Mila Noor Lina Nora Ella Marie Hanne Lotte Sofie Zoë Anaïs "
    "Chloé Noémie Inès Fatima Aya Yasmina Amira Sara Lisa Julie Eline Fien Lieke Jana Nina "
    "Femke Katrien An Els Griet Hilde Martine Monique Rita Christiane Maria Josée Ayşe Elif "
    "Zeynep Olga Oksana Agnieszka Mei Linh Noah Arthur Louis Liam Lucas Jules Adam Victor "
    "Finn Mathis Lars Wout Seppe Stijn Jeroen Koen Pieter Bart Tom Dirk Luc Marc Patrick Eddy "
    "Rudy André Jozef Willy Mohamed Youssef Ayoub Bilal Mehmet Emre Kerem Jérôme Théo Raphaël "
    "Mathéo Ömer Łukasz Piotr Dmytro Andrei Kwame Ibrahima Minh Wei"
).split()
LAST_NAMES = (  # noqa: SIM905
    "Peeters|Janssens|Maes|Jacobs|Mertens|Willems|Claes|Goossens|Wouters|De Smet|Dubois|"
    "Lambert|Dupont|Martens|Hermans|Vermeulen|Pauwels|Van den Broeck|Van Damme|De Vos|"
    "De Clercq|Desmet|Declercq|Vandenberghe|Vanhoutte|Verhaeghe|Deprez|Lefebvre|Leclercq|"
    "Cools|Smets|Aerts|Bogaerts|Van Dyck|Coppens|Michiels|Segers|Verstraeten|Vervaeke|Devos|"
    "Debruyne|Vandamme|Lemmens|Van de Velde|Van Hoof|Wuyts|Vanderstraeten|D'Hondt|De Backer|"
    "Bauwens|Verbeke|Verschueren|Van Acker|Dewulf|Vercruysse|Vanneste|Dewaele|Vandewalle|"
    "Ghesquière|Lefèvre|Moreau|Renard|Gérard|Lemaire|François|El Amrani|El Idrissi|Benali|"
    "Bouzid|Ait Ouali|Yılmaz|Kaya|Demir|Şahin|Çelik|Öztürk|Nowak|Kowalski|Wiśniewski|"
    "Kovalenko|Shevchenko|Popescu|Ionescu|Nguyen|Tran|Diallo|Diop|Kabongo|Tshibanda|"
    "Van der Meulen|Van Steen|Verlinden|Timmermans|Hendrickx|Vos|Thys|Jansen|Geerts|"
    "Van Gestel|Nijs|Hofman|Mahieu|Baert|Callens|Carlier|De Meyer|Van Parys|Vanhecke|"
    "Verhelst|Vroman|Maenhout|Devriendt|Decock|Desmedt|Denys|Soete|Ryckaert|Lannoo|Ameloot|"
    "Vandecasteele|Vermeersch|Dumon|Goethals|Van Renterghem|Verschoore|Claeys|De Wilde|"
    "Schepens|Van Hulle|Vanhaelewyn|Van Herck|Van Looy|Stevens|Luyten|Daems|Van Campenhout|"
    "Vandenbussche|Ververs|Meert|Bracke|Huysmans|Cornelis|Lauwers|Van Roy"
).split("|")
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


# --- the schema's columns, in our row order ---------------------------------------------------

COLUMNS: dict[str, tuple[str, ...]] = {
    "regions": ("id", "code", "name", "status_grace_days", "default_status_end", "created_at"),
    "municipalities": ("nis_code", "region_id", "name"),
    "municipality_postal_codes": ("postal_code", "nis_code"),
    "partners": (
        "id",
        "region_id",
        "municipality_nis",
        "name",
        "categories",
        "cancellation_window_hours",
        "created_at",
    ),
    "offers": (
        "id",
        "partner_id",
        "title",
        "category",
        "kind",
        "starts_at",
        "ends_at",
        "external_ref",
        "created_at",
    ),
    "price_classes": ("offer_id", "code", "label", "price_cents", "position"),
    "schemes": (
        "id",
        "code",
        "version",
        "owner_region_id",
        "definition",
        "created_at",
        "created_by",
    ),
    "passholders": (
        "id",
        "region_id",
        "first_name",
        "last_name",
        "name_key",
        "birth_date",
        "postal_code",
        "municipality_nis",
        "email",
        "insz_hash",
        "created_at",
        "updated_at",
    ),
    "cards": (
        "number",
        "passholder_id",
        "region_id",
        "status",
        "issued_at",
        "blocked_at",
        "block_reason",
        "replaced_by",
    ),
    "entitlements": (
        "id",
        "passholder_id",
        "type",
        "region_id",
        "valid_from",
        "valid_until",
        "suspended_until",
        "ended_on",
        "evidence",
        "source",
        "renews_id",
        "created_at",
        "updated_at",
    ),
    "sales": (
        "id",
        "partner_id",
        "client_id",
        "status",
        "created_at",
        "hold_expires_at",
        "confirmed_at",
        "cancelled_at",
    ),
    "sale_items": (
        "id",
        "sale_id",
        "passholder_id",
        "card_number",
        "offer_id",
        "price_class",
        "municipality_nis",
        "scheme_code",
        "scheme_version",
        "parts",
        "label",
        "quantity",
        "regular_price_cents",
        "unit_price_cents",
        "total_cents",
        "discount_cents",
        "activity_date",
        "counted_on",
        "uncounted_on",
    ),
    # The bigint ids come from their sequences, as they would for the service's inserts.
    "sale_item_funding": ("sale_item_id", "scheme_code", "payer", "payer_ref", "amount_cents"),
    "sale_usage": (
        "sale_item_id",
        "passholder_id",
        "bucket_key",
        "tickets",
        "discount_cents",
        "held_until",
    ),
    "usage_counters": ("passholder_id", "bucket_key", "tickets", "discount_cents"),
}


def check_columns() -> None:
    """Our rows must fill every column of tables.py that has no default, and no others."""
    for name, columns in COLUMNS.items():
        table: sa.Table = tables.metadata.tables[name]
        known = {column.name for column in table.columns}
        unknown = set(columns) - known
        missing = {
            column.name
            for column in table.columns
            if column.name not in columns
            and not column.nullable
            and column.server_default is None
            and not (column.primary_key and column.autoincrement is True)
            and not (
                column.primary_key
                and isinstance(column.type, sa.BigInteger | sa.Integer)
                and len(table.primary_key.columns) == 1
            )
        }
        if unknown or missing:
            raise RuntimeError(f"{name}: unknown columns {unknown}, missing {missing}")


# --- sizes and the generated world ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sizes:
    passholders: int
    partners: int
    offers: int
    sales: int

    @staticmethod
    def at(scale: float) -> Sizes:
        regions = len(REGIONS)
        return Sizes(
            passholders=max(200, round(FULL_PASSHOLDERS * scale)),
            partners=max(2 * regions, round(FULL_PARTNERS * scale)),
            offers=max(20 * regions, round(FULL_OFFERS * scale)),
            sales=max(200, round(FULL_SALES * scale)),
        )


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
    partner_catalogues: list[tuple[SchemeDefinition, ...]] = field(default_factory=list)
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

    @property
    def region_codes(self) -> list[str]:
        return [region.code for region in REGIONS]


_V4_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_V4_SET = (0x4000 << 64) | (0x8000 << 48)


def new_id(rng: random.Random) -> uuid.UUID:
    """A random version 4 UUID, as the service makes, but from a seeded generator."""
    return uuid.UUID(int=rng.getrandbits(128) & _V4_CLEAR | _V4_SET)


class SortedIds:
    """Random v4 ids for one chunk, handed out in ascending order.

    The ids are as random as `new_id`'s; only their order within a chunk follows the rows,
    so the primary key, the child tables' foreign key lookups and their indexes see each
    chunk in key order, which spares the server most page misses. Past the expected count
    it falls back to unordered ids.
    """

    def __init__(self, rng: random.Random, count: int) -> None:
        self._rng = rng
        self._ints = sorted(rng.getrandbits(128) & _V4_CLEAR | _V4_SET for _ in range(count))
        self._next = 0

    def take(self) -> uuid.UUID:
        if self._next < len(self._ints):
            self._next += 1
            return uuid.UUID(int=self._ints[self._next - 1])
        return new_id(self._rng)


def at_utc(day: date, hour: int, minute: int = 0) -> datetime:
    """A local (Brussels) time on `day`, as an aware UTC datetime."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BRUSSELS).astimezone(UTC)


def brussels_day(moment: datetime) -> date:
    return moment.astimezone(BRUSSELS).date()


def month_day(year: int, mm_dd: str) -> date:
    month, day = (int(part) for part in mm_dd.split("-"))
    return date(year, month, day)


# --- regions, partners, offers ----------------------------------------------------------------


def region_rows(world: World, rng: random.Random) -> list[Batch]:
    regions: list[Row] = []
    municipalities: list[Row] = []
    postal: list[Row] = []
    for index, spec in enumerate(REGIONS):
        region_id = new_id(rng)
        world.region_ids.append(region_id)
        created = world.now - timedelta(days=1500 + 30 * index)
        regions.append(
            (region_id, spec.code, spec.name, spec.grace_days, spec.default_status_end, created)
        )
        for muni in spec.municipalities:
            world.municipality_region[muni.nis_code] = index
            municipalities.append((muni.nis_code, region_id, muni.name))
            postal += [(code, muni.nis_code) for code in muni.postal_codes]
    return [
        ("regions", COLUMNS["regions"], regions),
        ("municipalities", COLUMNS["municipalities"], municipalities),
        ("municipality_postal_codes", COLUMNS["municipality_postal_codes"], postal),
    ]


def weighted_municipality(spec: RegionSpec, rng: random.Random) -> MunicipalitySpec:
    return rng.choices(spec.municipalities, weights=[m.weight for m in spec.municipalities])[0]


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
            activity: date | None = brussels_day(starts_at)
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


# --- schemes --------------------------------------------------------------------------------


def _short(region_code: str) -> str:
    return region_code.removeprefix("REGIO_")


def scheme_definitions(world: World, rng: random.Random) -> list[SchemeDefinition]:
    """The shipped catalogue, per-region schemes and partner schemes: 200 in all."""
    shipped = load_scheme_files([CATALOG_DIR])
    codes = {scheme.code for scheme in shipped}
    data: list[dict[str, object]] = []
    today = world.today
    partner_funding: list[dict[str, object]] = [{"payer": "partner", "rest": True}]
    for index, spec in enumerate(REGIONS):
        short = _short(spec.code)
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
    code = f"{_short(spec.code)}_PARTNER_{number:03d}"
    data: dict[str, object] = {
        "code": code,
        "name": {"nl": f"Voordeel {first.name}"[:200]},
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
    # The price calculation turns most of a catalogue away by partner; a catalogue per
    # partner of only the schemes that can apply to it gives the same tariffs, faster.
    for partner in world.partners:
        region_code = REGIONS[partner.region].code
        own = str(partner.id)
        world.partner_catalogues.append(
            tuple(
                scheme
                for scheme in schemes
                if scheme.applies_to.partners == "all"
                or (
                    scheme.applies_to.partners == "owner_region"
                    and scheme.owner_region == region_code
                )
                or (
                    not isinstance(scheme.applies_to.partners, str)
                    and own in scheme.applies_to.partners
                )
            )
        )
    world.kansentarief_codes = frozenset(
        scheme.code
        for scheme in schemes
        if scheme.code.endswith("_KANSENTARIEF") or scheme.code.startswith("BRUGGE_TERUGBETALING")
    )
    return [("schemes", COLUMNS["schemes"], rows)]


# --- passholders, cards, statuses -------------------------------------------------------------

# (share of holders, youngest, oldest age) — more children and seniors than a flat spread.
AGE_BANDS = ((0.14, 0, 11), (0.09, 12, 17), (0.10, 18, 25), (0.50, 26, 64), (0.17, 65, 95))


def card_digits(index: int, seed: int) -> str:
    """Twelve digits unique per index: an affine bijection of [0, 10^12), so not sequential."""
    return f"{(index * 7_919_213 + 104_729 + seed) % 10**12:012d}"


def insz_digits(born: date, serial: int) -> str:
    body = f"{born.year % 100:02d}{born.month:02d}{born.day:02d}{serial:03d}"
    base = int(("2" if born.year >= 2000 else "") + body)
    return f"{body}{97 - base % 97:02d}"


def holder_chunks(
    world: World, sizes: Sizes, rng: random.Random, seed: int, chunk: int
) -> Iterator[list[Batch]]:
    """Passholders, their card and their statuses, chunk by chunk (the FK order)."""
    today, now = world.today, world.now
    today_ordinal = today.toordinal()
    region_weights = list(accumulate(spec.weight for spec in REGIONS))
    muni_weights = [list(accumulate(m.weight for m in spec.municipalities)) for spec in REGIONS]
    band_weights = list(accumulate(band[0] for band in AGE_BANDS))
    keys: dict[tuple[int, int], tuple[str, int]] = {}
    seen: set[tuple[int, int, int]] = set()
    serials: dict[int, int] = {}
    email_names = [name.encode("ascii", "ignore").decode().lower() or "pas" for name in FIRST_NAMES]
    world.holders_by_region = [[] for _ in REGIONS]
    world.ks_active_by_region = [[] for _ in REGIONS]
    region_facts = [(spec.code, spec.grace_days, spec.default_status_end) for spec in REGIONS]
    for start in range(0, sizes.passholders, chunk):
        holders: list[Row] = []
        cards: list[Row] = []
        statuses: list[Row] = []
        end = min(start + chunk, sizes.passholders)
        holder_ids = SortedIds(rng, end - start)
        status_ids = SortedIds(rng, (end - start) * 9 // 10)
        for index in range(start, end):
            region = rng.choices(range(len(REGIONS)), cum_weights=region_weights)[0]
            spec = REGIONS[region]
            muni = rng.choices(spec.municipalities, cum_weights=muni_weights[region])[0]
            band = rng.choices(AGE_BANDS, cum_weights=band_weights)[0]
            while True:
                first_i = rng.randrange(len(FIRST_NAMES))
                last_i = rng.randrange(len(LAST_NAMES))
                age_days = int(rng.randint(band[1], band[2]) * 365.25) + rng.randrange(365)
                born_ordinal = today_ordinal - age_days
                known = keys.get((first_i, last_i))
                if known is None:
                    text = name_key(FIRST_NAMES[first_i], LAST_NAMES[last_i])
                    known = keys[(first_i, last_i)] = (text, len(keys))
                identity = (region, known[1], born_ordinal)
                if identity not in seen:  # (region, name_key, birth_date) is unique
                    seen.add(identity)
                    break
            born = date.fromordinal(born_ordinal)
            holder_id = holder_ids.take()
            region_id = world.region_ids[region]
            created = now - timedelta(seconds=rng.randrange(5 * 365 * 86_400))
            updated = (
                created + timedelta(seconds=rng.randrange(int((now - created).total_seconds())))
                if rng.random() < 0.2
                else created
            )
            insz_hash = None
            if rng.random() < 0.6:
                serial = serials.get(born_ordinal, 0) + 1
                if serial <= 997:
                    serials[born_ordinal] = serial
                    digits = insz_digits(born, serial)
                    insz_hash = insz_pseudonym(digits, INSZ_HMAC_KEY)
                    if len(world.insz_samples) < INSZ_SAMPLES and rng.random() < 0.01:
                        parse_insz(digits)  # the generator makes valid numbers only
                        world.insz_samples.append(
                            {
                                "insz": digits,
                                "card_number": new_card_number(card_digits(index, seed)),
                            }
                        )
            email = f"{email_names[first_i]}.{index}@example.org" if rng.random() < 0.45 else None
            holders.append(
                (
                    holder_id,
                    region_id,
                    FIRST_NAMES[first_i],
                    LAST_NAMES[last_i],
                    known[0],
                    born,
                    rng.choice(muni.postal_codes),
                    muni.nis_code,
                    email,
                    insz_hash,
                    created,
                    updated,
                )
            )
            card = new_card_number(card_digits(index, seed))
            cards.append((card, holder_id, region_id, "active", created, None, None, None))
            world.holder_ids.append(holder_id)
            world.holder_region.append(region)
            world.holder_nis.append(muni.nis_code)
            world.holder_birth.append(born)
            world.holder_card.append(card)
            world.holders_by_region[region].append(index)

            facts, rows = holder_statuses(
                rng, status_ids, today, now, holder_id, region, region_id, created, region_facts
            )
            if facts:
                world.holder_statuses[index] = facts
                statuses += rows
                ks = [fact for fact in facts if fact.type == "kansenstatuut"]
                if ks:
                    world.ks_holders.append(index)
                    if any(entitlement_status(f, today) in USABLE_STATUSES for f in ks):
                        world.ks_active_by_region[region].append(index)
        yield [
            ("passholders", COLUMNS["passholders"], holders),
            ("cards", COLUMNS["cards"], cards),
            ("entitlements", COLUMNS["entitlements"], statuses),
        ]


def holder_statuses(
    rng: random.Random,
    ids: SortedIds,
    today: date,
    now: datetime,
    holder_id: uuid.UUID,
    region: int,
    region_id: uuid.UUID,
    holder_created: datetime,
    region_facts: list[tuple[str, int, str]],
) -> tuple[tuple[EntitlementFact, ...], list[Row]]:
    """~40 % a kansenstatuut in the home region (some renewed, ended, suspended, expired),
    a few % other statuses; returns the facts for pricing and the rows to store."""
    code, grace, status_end = region_facts[region]
    facts: list[EntitlementFact] = []
    rows: list[Row] = []

    def add(
        type_: str,
        in_region: bool,
        valid_from: date,
        valid_until: date | None,
        *,
        source: str,
        evidence: str | None,
        suspended_until: date | None = None,
        ended_on: date | None = None,
        renews: uuid.UUID | None = None,
    ) -> uuid.UUID:
        entitlement_id = ids.take()
        created = max(holder_created, at_utc(valid_from, 9)) if valid_from <= today else now
        created = min(created, now)
        updated = created
        if suspended_until is not None or ended_on is not None:
            updated = now - timedelta(days=rng.randint(1, 9))
            updated = max(updated, created)
        rows.append(
            (
                entitlement_id,
                holder_id,
                type_,
                region_id if in_region else None,
                valid_from,
                valid_until,
                suspended_until,
                ended_on,
                evidence,
                source,
                renews,
                created,
                updated,
            )
        )
        facts.append(
            EntitlementFact(
                type_,
                code if in_region else None,
                valid_from,
                valid_until,
                suspended_until,
                ended_on,
                grace,
            )
        )
        return entitlement_id

    roll = rng.random()
    if roll < 0.40:
        evidence = f"OCMW beslissing {today.year - rng.randint(0, 3)}/{rng.randint(1, 9999)}"
        source = rng.choice(("manual", f"import:ocmw-{_short(code).lower()}"))
        until = month_day(today.year + 1, status_end)
        state = rng.random()
        if state < 0.35:  # renewed: last period ended at this year's end date (or the last)
            boundary = month_day(today.year, status_end)
            if boundary >= today:
                boundary = month_day(today.year - 1, status_end)
            previous = add(
                "kansenstatuut",
                True,
                month_day(boundary.year - 1, status_end) + timedelta(days=1),
                boundary,
                source=source,
                evidence=evidence,
            )
            add(
                "kansenstatuut",
                True,
                boundary + timedelta(days=1),
                until,
                source=source,
                evidence=evidence,
                renews=previous,
            )
        else:
            recent = rng.random() < 0.2
            valid_from = today - timedelta(
                days=rng.randint(0, 420) if recent else rng.randint(430, 2500)
            )
            ended_on = suspended = None
            if state < 0.37:
                ended_on = today - timedelta(days=rng.randint(10, 200))
                valid_from = min(valid_from, ended_on - timedelta(days=30))
            elif state < 0.38:
                suspended = today + timedelta(days=rng.randint(10, 90))
            elif state < 0.39:
                until = today - timedelta(days=rng.randint(100, 300))
                valid_from = min(valid_from, until - timedelta(days=365))
            add(
                "kansenstatuut",
                True,
                valid_from,
                until,
                source=source,
                evidence=evidence,
                suspended_until=suspended,
                ended_on=ended_on,
            )
    for type_, share, in_region, until_date in (
        ("verhoogde_tegemoetkoming", 0.07, False, date(today.year + 1, 12, 31)),
        ("large_family", 0.04, False, date(today.year + 3, 12, 31)),
        ("leefloon", 0.02, True, date(today.year + 1, 12, 31)),
        ("european_disability_card", 0.01, False, date(today.year + 5, 6, 30)),
        ("article27", 0.015, False, date(today.year + 1, 6, 30)),
        ("schuldbemiddeling", 0.005, True, date(today.year + 1, 3, 31)),
    ):
        if rng.random() < share:
            add(
                type_,
                in_region,
                today - timedelta(days=rng.randint(30, 2000)),
                until_date,
                source=rng.choice(("manual", "import:mutualiteit", "import:ocmw")),
                evidence=None,
            )
    return tuple(facts), rows


# --- pricing sale lines -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CompiledScheme:
    scheme: SchemeDefinition
    eligible: Predicate
    buckets: tuple[Bucket, ...]
    on_top: bool
    rank: tuple[int, str, int]  # higher priority first, then code, then version
    categories: frozenset[str] | None
    price_classes: frozenset[str] | None
    max_regular_price_cents: int | None
    dated: bool
    # The price rule's unit price per base price: the same prices come back all the time.
    units: dict[int, int] = field(default_factory=dict)

    def unit_price(self, base_cents: int) -> int:
        unit = self.units.get(base_cents)
        if unit is None:
            unit = self.units[base_cents] = self.scheme.price.unit_price(base_cents)
        return unit

    @staticmethod
    def of(scheme: SchemeDefinition) -> CompiledScheme:
        applies_to = scheme.applies_to
        return CompiledScheme(
            scheme=scheme,
            eligible=compile_condition(scheme.eligibility, scheme.owner_region),
            buckets=bucket_plan(scheme.limits),
            on_top=scheme.stacking == "on_top",
            rank=(-scheme.priority, scheme.code, scheme.version),
            categories=None if applies_to.categories is None else frozenset(applies_to.categories),
            price_classes=(
                None if applies_to.price_classes is None else frozenset(applies_to.price_classes)
            ),
            max_regular_price_cents=applies_to.max_regular_price_cents,
            dated=scheme.valid_from is not None or scheme.valid_until is not None,
        )


@dataclass(frozen=True, slots=True)
class Candidate:
    compiled: CompiledScheme
    keys: tuple[str, ...]
    budget_per_ticket: int | None

    def reduced(self, base_cents: int) -> int:
        unit = self.compiled.unit_price(base_cents)
        if self.budget_per_ticket is not None and base_cents - unit > self.budget_per_ticket:
            return base_cents - self.budget_per_ticket
        return unit


@dataclass(frozen=True, slots=True)
class SoldLine:
    """The tariff a desk sold one line at: what sale_items, funding and usage store."""

    scheme_code: str
    scheme_version: int
    label: str
    unit_price_cents: int
    discount_cents: int
    quantity: int
    total_cents: int
    parts: tuple[tuple[str, int, int], ...]  # (code, version, discount per ticket)
    funding: tuple[FundingShare, ...]
    usage_claims: tuple[UsageClaim, ...]


class LinePricer:
    """The price calculation's answer for the tariff a desk sells, without the rest.

    `app.domain.pricing.price` builds every tariff of a quote (funding, usage claims and a
    tariff id each) and every refusal; a desk sells one. This follows the same rules from
    the domain's own parts (compiled conditions, bucket plans, price rules, funding split)
    but builds only the sold tariff, about ten times faster. `check_against_engine` compares
    it with `price()` on a sample of lines, and the self-check fails on any difference.
    """

    def __init__(self, catalogues: Sequence[tuple[SchemeDefinition, ...]]) -> None:
        compiled: dict[int, CompiledScheme] = {}
        self.catalogues = [
            tuple(compiled.setdefault(id(s), CompiledScheme.of(s)) for s in catalogue)
            for catalogue in catalogues
        ]
        # The schemes that cover a partner's category, price class and price, once each.
        self._covering: dict[tuple[int, str, str, int], tuple[CompiledScheme, ...]] = {}
        # Bucket keys repeat across holders (same scheme, offer or partner, period).
        self._period_starts: dict[tuple[str, tuple[int, int], date], date | None] = {}
        self._keys: dict[tuple[str, str, str | None, str, date | None], str] = {}

    def covering(
        self, catalogue: int, offer: OfferFacts, price_class: PriceClass
    ) -> tuple[CompiledScheme, ...]:
        regular = price_class.regular_price_cents
        cache_key = (catalogue, offer.category, price_class.code, regular)
        found = self._covering.get(cache_key)
        if found is None:
            found = self._covering[cache_key] = tuple(
                compiled
                for compiled in self.catalogues[catalogue]
                if (compiled.categories is None or offer.category in compiled.categories)
                and (compiled.price_classes is None or price_class.code in compiled.price_classes)
                and (
                    compiled.max_regular_price_cents is None
                    or regular <= compiled.max_regular_price_cents
                )
            )
        return found

    def bucket_keys(
        self, compiled: CompiledScheme, offer: OfferFacts, day: date
    ) -> tuple[str, ...]:
        """`Bucket.key` for each bucket, from cached parts (the engine check compares them)."""
        keys = []
        code = compiled.scheme.code
        for bucket in compiled.buckets:
            start_key = (bucket.period, bucket.year_starts, day)
            if start_key in self._period_starts:
                start = self._period_starts[start_key]
            else:
                start = self._period_starts[start_key] = period_start(
                    bucket.period, day, bucket.year_starts
                )
            parts = (code, bucket.scope, scope_ref(bucket.scope, offer), bucket.period, start)
            key = self._keys.get(parts)
            if key is None:
                if len(self._keys) > 2_000_000:
                    self._keys.clear()
                key = self._keys[parts] = usage_bucket_key(*parts)
            keys.append(key)
        return tuple(keys)

    def lines(
        self,
        catalogue: int,
        offer: OfferFacts,
        price_class: PriceClass,
        subject: Subject,
        at: date,
        quantity: int,
        usage: dict[str, UsageAmount],
    ) -> list[tuple[tuple[Candidate, int], ...]]:
        """Every tariff as (candidate, discount per ticket) parts, best first."""
        regular = price_class.regular_price_cents
        day = offer.activity_date or at
        exclusive: list[Candidate] = []
        on_top: list[Candidate] = []
        for compiled in self.covering(catalogue, offer, price_class):
            if compiled.dated and not compiled.scheme.is_valid_on(at):
                continue
            if not compiled.eligible(subject):
                continue
            keys = self.bucket_keys(compiled, offer, day) if compiled.buckets else ()
            budget = None
            if keys:
                left = allowance(compiled.buckets, keys, usage)
                if left.tickets is not None and (left.tickets <= 0 or quantity > left.tickets):
                    continue
                if left.discount_cents is not None:
                    budget = max(0, left.discount_cents) // quantity
                    if budget == 0:
                        continue
            (on_top if compiled.on_top else exclusive).append(Candidate(compiled, keys, budget))
        # As app.domain.pricing._stacked: a line that takes nothing off and brings no
        # companion is no tariff.
        bases = sorted(
            (
                (unit, candidate)
                for unit, candidate in ((c.reduced(regular), c) for c in exclusive)
                if unit < regular or candidate.compiled.scheme.companions is not None
            ),
            key=lambda pair: (pair[0], pair[1].compiled.rank),
        )
        starts: list[tuple[tuple[tuple[Candidate, int], ...], int]] = [
            (((candidate, regular - unit),), unit) for unit, candidate in bases
        ] or [((), regular)]
        layers = sorted(on_top, key=lambda candidate: candidate.compiled.rank)
        found = []
        for parts, unit in starts:
            for layer in layers:
                reduced = layer.reduced(unit)
                if reduced < unit:
                    parts = (*parts, (layer, unit - reduced))
                    unit = reduced
            if parts:
                found.append(parts)
        return found

    @staticmethod
    def sold(
        parts: tuple[tuple[Candidate, int], ...],
        offer: OfferFacts,
        price_class: PriceClass,
        holder_nis: str,
        quantity: int,
    ) -> SoldLine:
        regular = price_class.regular_price_cents
        discount = sum(d for _, d in parts)
        same_municipality = holder_nis == offer.partner_municipality_nis
        funding: list[FundingShare] = []
        usage_claims: list[UsageClaim] = []
        for candidate, part_discount in parts:
            scheme = candidate.compiled.scheme
            funding += split_discount(
                part_discount * quantity,
                scheme.funding_key(same_municipality),
                quantity=quantity,
                refs=PayerRefs(offer.partner_id, holder_nis, scheme.owner_region),
                scheme_code=scheme.code,
            )
            usage_claims += claims(
                candidate.compiled.buckets, candidate.keys, quantity, part_discount * quantity
            )
        base = parts[0][0].compiled.scheme
        label = (
            base.name
            if len(parts) == 1
            else LocalizedText.join((c.compiled.scheme.name for c, _ in parts), LABEL_SEPARATOR)
        )
        unit = regular - discount
        return SoldLine(
            scheme_code=base.code,
            scheme_version=base.version,
            label=label.nl[:200],
            unit_price_cents=unit,
            discount_cents=discount,
            quantity=quantity,
            total_cents=unit * quantity,
            parts=tuple((c.compiled.scheme.code, c.compiled.scheme.version, d) for c, d in parts),
            funding=tuple(funding),
            usage_claims=tuple(usage_claims),
        )


def same_as_engine(line: SoldLine | None, quote: Quote) -> bool:
    """Does the engine's best tariff match ours, field by field (or both have none)?"""
    best = quote.best
    if line is None or best is None:
        return line is None and best is None
    return (
        line.scheme_code == best.scheme_code
        and line.scheme_version == best.scheme_version
        and line.label == best.label.nl[:200]
        and line.unit_price_cents == best.unit_price_cents
        and line.discount_cents == best.discount_cents
        and line.total_cents == best.total_cents
        and line.parts
        == tuple((p.scheme_code, p.scheme_version, p.discount_cents) for p in best.parts)
        and line.funding == best.funding
        and line.usage_claims == best.usage_claims
    )


# --- sales ------------------------------------------------------------------------------------

STATUS_WEIGHTS = (("confirmed", 96.2), ("cancelled", 3.0), ("held", 0.4), ("expired", 0.4))
# Every this many priced lines, the real price calculation prices the same line too.
ENGINE_CHECK_EVERY = 199


@dataclass(slots=True)
class SaleCounts:
    items: int = 0
    attempts: int = 0
    no_tariff: int = 0
    engine_checks: int = 0
    engine_mismatches: int = 0
    by_status: dict[str, int] = field(default_factory=dict)


def sale_chunks(
    world: World, sizes: Sizes, rng: random.Random, chunk: int, counts: SaleCounts
) -> Iterator[list[Batch]]:
    """Sales over the last 14 months, each line at the tariff the price calculation gives
    on the day of the sale, given the holder's usage so far (in generation order)."""
    now = world.now
    window_start = now - SALES_WINDOW
    window_seconds = int(SALES_WINDOW.total_seconds())
    statuses = [status for status, _ in STATUS_WEIGHTS]
    status_weights = list(accumulate(weight for _, weight in STATUS_WEIGHTS))
    parts_json: dict[tuple[tuple[str, int, int], ...], str] = {}
    holder_count = len(world.holder_ids)
    ks = world.ks_holders
    offer_count = len(world.offers)
    pricer = LinePricer(world.partner_catalogues)
    region_codes = world.region_codes
    no_usage: dict[str, UsageAmount] = {}

    def pick_holder() -> int:
        # A skew: some people use their pass far more often than others.
        if ks and rng.random() < 0.55:
            return ks[int(len(ks) * rng.random() ** 1.4)]
        return int(holder_count * rng.random() ** 1.4)

    def sold_at_for(offer: Offer, held: bool) -> datetime | None:
        if held:
            if offer.kind == "one_off" and offer.starts_at is not None and offer.starts_at < now:
                return None
            if offer.kind == "period" and offer.ends_at is not None and offer.ends_at < now:
                return None
            return now - timedelta(seconds=rng.randrange(300))
        if offer.kind == "one_off" and offer.starts_at is not None:
            moment = offer.starts_at - timedelta(seconds=rng.randrange(40 * 86_400))
            if moment > now:
                moment = now - timedelta(seconds=rng.randrange(30 * 86_400))
            return max(moment, window_start)
        if offer.kind == "period" and offer.starts_at is not None and offer.ends_at is not None:
            low = max(offer.starts_at - timedelta(days=30), window_start)
            high = min(offer.ends_at, now)
            if high <= low:
                return None
            return low + timedelta(seconds=rng.randrange(int((high - low).total_seconds())))
        return window_start + timedelta(seconds=rng.randrange(window_seconds))

    def pick_class(offer: Offer, born: date, day: date) -> PriceClass:
        classes = offer.classes
        if len(classes) > 1:
            age = (day - born).days // 365
            codes = [pc.code for pc in classes]
            if age < 12 and "child" in codes and rng.random() < 0.7:
                return classes[codes.index("child")]
            if (age >= 65 or 12 <= age < 26) and "reduced" in codes and rng.random() < 0.5:
                return classes[codes.index("reduced")]
            if rng.random() < 0.2:
                return rng.choice(classes)
        return classes[0]

    def sell(
        holder: int, offer: Offer, pc: PriceClass, day: date, quantity: int
    ) -> SoldLine | None:
        counts.attempts += 1
        facts = HolderFacts(
            passholder_id=str(world.holder_ids[holder]),
            birth_date=world.holder_birth[holder],
            municipality_nis=world.holder_nis[holder],
            region=region_codes[world.holder_region[holder]],
            entitlements=world.holder_statuses.get(holder, ()),
        )
        usage = world.usage.get(holder, no_usage)
        subject = subject_of(facts, offer.facts.activity_date or day)
        found = pricer.lines(offer.partner, offer.facts, pc, subject, day, quantity, usage)
        line = (
            LinePricer.sold(found[0], offer.facts, pc, facts.municipality_nis, quantity)
            if found
            else None
        )
        if counts.attempts % ENGINE_CHECK_EVERY == 0:
            counts.engine_checks += 1
            quote = price(offer.facts, pc, facts, day, quantity, usage, world.schemes)
            if not same_as_engine(line, quote):
                counts.engine_mismatches += 1
        if line is None:
            counts.no_tariff += 1
            return None
        if len(found) > 1 and rng.random() < 0.03:  # a desk picking another tariff
            chosen = found[1 + rng.randrange(len(found) - 1)]
            return LinePricer.sold(chosen, offer.facts, pc, facts.municipality_nis, quantity)
        return line

    def claim(holder: int, line: SoldLine) -> None:
        if not line.usage_claims:
            return
        buckets = world.usage.setdefault(holder, {})
        for usage_claim in line.usage_claims:
            used = buckets.get(usage_claim.bucket_key)
            buckets[usage_claim.bucket_key] = (
                UsageAmount(usage_claim.tickets, usage_claim.discount_cents)
                if used is None
                else UsageAmount(
                    used.tickets + usage_claim.tickets,
                    used.discount_cents + usage_claim.discount_cents,
                )
            )

    for start in range(0, sizes.sales, chunk):
        sale_rows: list[Row] = []
        item_rows: list[Row] = []
        funding_rows: list[Row] = []
        usage_rows: list[Row] = []
        end = min(start + chunk, sizes.sales)
        sale_ids = SortedIds(rng, end - start)
        item_ids = SortedIds(rng, (end - start) * 23 // 20)
        for _ in range(start, end):
            status = rng.choices(statuses, cum_weights=status_weights)[0]
            held = status == "held"
            lines: list[tuple[int, PriceClass, SoldLine]] = []
            for _attempt in range(200):
                holder = pick_holder()
                region = world.holder_region[holder]
                if rng.random() < 0.88 and world.offers_by_region[region]:
                    offer = world.offers[rng.choice(world.offers_by_region[region])]
                else:
                    offer = world.offers[rng.randrange(offer_count)]
                sold_at = sold_at_for(offer, held)
                if sold_at is None:
                    continue
                day = brussels_day(sold_at)
                activity = offer.facts.activity_date or day
                pc = pick_class(offer, world.holder_birth[holder], activity)
                roll = rng.random()
                quantity = 1 if roll < 0.86 else 2 if roll < 0.95 else 3 if roll < 0.985 else 4
                line = sell(holder, offer, pc, day, quantity)
                if line is not None:
                    lines.append((holder, pc, line))
                    break
            else:
                raise RuntimeError("no tariff found for a sale in 200 attempts")
            live = status in ("confirmed", "held")
            if live:
                claim(holder, lines[0][2])
            if rng.random() < 0.08:  # a second person of the same region on the same sale
                other = rng.choice(world.holders_by_region[region])
                if other != holder:
                    pc2 = pick_class(offer, world.holder_birth[other], activity)
                    second = sell(other, offer, pc2, day, 1)
                    if second is not None:
                        lines.append((other, pc2, second))
                        if live:
                            claim(other, second)

            sale_id = sale_ids.take()
            hold_expires = confirmed = cancelled = None
            if held or status == "expired":
                hold_expires = sold_at + HOLD
            else:
                confirmed = sold_at
            if status == "cancelled":
                # Within the partner's cancellation window, as the service allows.
                window = world.partners[offer.partner].cancellation_window_hours * 3600
                cancelled = min(now, sold_at + timedelta(seconds=rng.randrange(window)))
            held_until = hold_expires if held else None
            sale_rows.append(
                (
                    sale_id,
                    world.partners[offer.partner].id,
                    f"bench-desk-{offer.partner:04d}",
                    status,
                    sold_at,
                    hold_expires,
                    confirmed,
                    cancelled,
                )
            )
            counts.by_status[status] = counts.by_status.get(status, 0) + 1
            for holder_index, pc, sold in lines:
                item_id = item_ids.take()
                holder_id = world.holder_ids[holder_index]
                parts = parts_json.get(sold.parts)
                if parts is None:
                    parts = parts_json[sold.parts] = json.dumps(
                        [
                            {"code": code, "version": version, "discount_cents": discount}
                            for code, version, discount in sold.parts
                        ]
                    )
                item_rows.append(
                    (
                        item_id,
                        sale_id,
                        holder_id,
                        world.holder_card[holder_index],
                        offer.id,
                        pc.code,
                        world.holder_nis[holder_index],
                        sold.scheme_code,
                        sold.scheme_version,
                        parts,
                        sold.label,
                        sold.quantity,
                        pc.regular_price_cents,
                        sold.unit_price_cents,
                        sold.total_cents,
                        sold.discount_cents,
                        activity,
                        None
                        if confirmed is None
                        else settlement_day(activity, brussels_day(confirmed)),
                        None
                        if cancelled is None
                        else settlement_day(activity, brussels_day(cancelled)),
                    )
                )
                counts.items += 1
                funding_rows += [
                    (item_id, share.scheme_code, share.payer, share.payer_ref, share.amount_cents)
                    for share in sold.funding
                ]
                # What the line took, kept after a cancel too: the record a cancel gives back.
                # `held_until` marks a live hold; confirm, expiry and cancel clear it.
                usage_rows += [
                    (item_id, holder_id, c.bucket_key, c.tickets, c.discount_cents, held_until)
                    for c in sold.usage_claims
                ]
        yield [
            ("sales", COLUMNS["sales"], sale_rows),
            ("sale_items", COLUMNS["sale_items"], item_rows),
            ("sale_item_funding", COLUMNS["sale_item_funding"], funding_rows),
            ("sale_usage", COLUMNS["sale_usage"], usage_rows),
        ]


def counter_chunks(world: World, chunk: int) -> Iterator[list[Batch]]:
    rows: list[Row] = []
    for holder, buckets in world.usage.items():
        holder_id = world.holder_ids[holder]
        for key, used in buckets.items():
            rows.append((holder_id, key, used.tickets, used.discount_cents))
            if len(rows) >= chunk:
                yield [("usage_counters", COLUMNS["usage_counters"], rows)]
                rows = []
    if rows:
        yield [("usage_counters", COLUMNS["usage_counters"], rows)]


# --- quote samples ----------------------------------------------------------------------------


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
        facts = HolderFacts(
            passholder_id=str(world.holder_ids[holder]),
            birth_date=world.holder_birth[holder],
            municipality_nis=world.holder_nis[holder],
            region=REGIONS[world.holder_region[holder]].code,
            entitlements=world.holder_statuses.get(holder, ()),
        )
        result = price(offer.facts, pc, facts, today, 1, world.usage.get(holder, {}), world.schemes)
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


# --- database ---------------------------------------------------------------------------------


@dataclass(slots=True)
class TableStats:
    rows: int = 0
    seconds: float = 0.0


# A chunk's rows of a table go in once its parent table's rows of that chunk are committed:
# foreign keys are checked row by row, as for any insert.
PARENTS: dict[str, tuple[str, ...]] = {
    "cards": ("passholders",),
    "entitlements": ("passholders",),
    "sale_items": ("sales",),
    "sale_item_funding": ("sale_items",),
    "sale_usage": ("sale_items",),
}
IN_FLIGHT_CHUNKS = 2


@dataclass(slots=True)
class Loader:
    """COPY into the tables, one connection (lane) per table, so the server checks keys and
    fills indexes of several tables at once while a thread generates the next chunk."""

    url: str
    tables: dict[str, TableStats] = field(default_factory=dict)
    phases: list[tuple[str, float, float]] = field(default_factory=list)  # name, wall, gen
    lanes: dict[str, Any] = field(default_factory=dict)

    async def lane(self, table: str) -> Any:
        connection = self.lanes.get(table)
        if connection is None:
            connection = self.lanes[table] = await asyncpg.connect(self.url)
            # A bulk load: losing the last commits in a crash only means running it again.
            await connection.execute("SET synchronous_commit = off")
        return connection

    async def close(self) -> None:
        for connection in self.lanes.values():
            await connection.close()
        self.lanes.clear()

    async def copy(
        self, table: str, columns: tuple[str, ...], rows: list[Row], after: Sequence[Any] = ()
    ) -> None:
        if after:
            await asyncio.gather(*after)
        if not rows:
            return
        connection = await self.lane(table)
        started = time.perf_counter()
        await connection.copy_records_to_table(table, records=rows, columns=list(columns))
        stats = self.tables.setdefault(table, TableStats())
        stats.rows += len(rows)
        stats.seconds += time.perf_counter() - started

    async def pipeline(self, name: str, chunks: Iterator[list[Batch]]) -> None:
        """Copy chunk n (table after table, in key order, on their lanes) while a thread
        generates chunk n + 1; at most IN_FLIGHT_CHUNKS chunks are being copied."""
        started = time.perf_counter()
        generating = 0.0

        def produce() -> list[Batch] | None:
            nonlocal generating
            begin = time.perf_counter()
            try:
                return next(chunks, None)
            finally:
                generating += time.perf_counter() - begin

        tails: dict[str, asyncio.Task[None]] = {}
        in_flight: list[asyncio.Future[list[None]]] = []
        pending = asyncio.ensure_future(asyncio.to_thread(produce))
        done = 0
        while True:
            batches = await pending
            if batches is None:
                break
            pending = asyncio.ensure_future(asyncio.to_thread(produce))
            tasks: dict[str, asyncio.Task[None]] = {}
            for table, columns, rows in batches:
                after = [tasks[parent] for parent in PARENTS.get(table, ()) if parent in tasks]
                if table in tails:
                    after.append(tails[table])
                task = asyncio.create_task(self.copy(table, columns, rows, after))
                tasks[table] = tails[table] = task
            in_flight.append(asyncio.gather(*tasks.values()))
            while len(in_flight) > IN_FLIGHT_CHUNKS:
                await in_flight.pop(0)
            done += len(batches[0][2])
            print(f"  {name}: {done:,} {batches[0][0]} generated …", file=sys.stderr, flush=True)
        for chunk in in_flight:
            await chunk
        self.phases.append((name, time.perf_counter() - started, generating))

    async def run(self, name: str, batches: list[Batch], generating: float) -> None:
        started = time.perf_counter()
        for table, columns, rows in batches:
            await self.copy(table, columns, rows)
        self.phases.append((name, time.perf_counter() - started + generating, generating))


async def admin_execute(admin_url: str, statement: str) -> None:
    connection = await asyncpg.connect(admin_url)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def database_exists(admin_url: str, name: str) -> bool:
    connection = await asyncpg.connect(admin_url)
    try:
        return bool(await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name))
    finally:
        await connection.close()


def plain_url(url: str) -> str:
    """postgresql://… without a driver name: what asyncpg, psql and DATABASE_URL take."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def prepare_database(args: argparse.Namespace) -> tuple[str, bool]:
    """The database to fill, created and migrated; and whether we created it."""
    if args.database_url:
        url = plain_url(args.database_url)
        name = make_url(url).database or ""
        created = False
        if not await database_exists(args.admin_url, name):
            await admin_execute(args.admin_url, f'CREATE DATABASE "{name}"')
            created = True
    else:
        name = f"openpas_bench_{uuid.uuid4().hex[:8]}"
        await admin_execute(args.admin_url, f'CREATE DATABASE "{name}"')
        url = (
            make_url(plain_url(args.admin_url))
            .set(database=name)
            .render_as_string(hide_password=False)
        )
        created = True
    await asyncio.to_thread(migrations.upgrade, async_database_url(url))
    connection = await asyncpg.connect(url)
    try:
        filled = await connection.fetchval("SELECT count(*) FROM regions")
        if filled and args.reset:
            names = ", ".join(
                f'"{table}"' for table in tables.metadata.tables if table != "catalog_state"
            )
            await connection.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
        elif filled:
            raise SystemExit(f"{name} already holds data; pass --reset to empty it first")
    finally:
        await connection.close()
    return url, created


SELF_CHECK = {
    # Funding shares add up to the line's discount, cent for cent (DESIGN.md rule 5).
    "funding_mismatches": """
        SELECT count(*) FROM sale_items i
        LEFT JOIN (SELECT sale_item_id, sum(amount_cents) AS paid
                   FROM sale_item_funding GROUP BY sale_item_id) f ON f.sale_item_id = i.id
        WHERE coalesce(f.paid, 0) <> i.discount_cents * i.quantity""",
    "amount_mismatches": """
        SELECT count(*) FROM sale_items
        WHERE total_cents <> unit_price_cents * quantity
           OR discount_cents <> regular_price_cents - unit_price_cents
           OR unit_price_cents < 0 OR discount_cents < 0""",
    # Counters hold exactly what the confirmed sales and live holds took.
    "counter_mismatches": """
        SELECT count(*) FROM usage_counters c
        FULL JOIN (SELECT u.passholder_id, u.bucket_key, sum(u.tickets) AS tickets,
                          sum(u.discount_cents) AS discount_cents
                   FROM sale_usage u
                   JOIN sale_items i ON i.id = u.sale_item_id
                   JOIN sales s ON s.id = i.sale_id
                   WHERE s.status IN ('confirmed', 'held')
                   GROUP BY u.passholder_id, u.bucket_key) t
          ON t.passholder_id = c.passholder_id AND t.bucket_key = c.bucket_key
        WHERE c.tickets IS DISTINCT FROM t.tickets
           OR c.discount_cents IS DISTINCT FROM t.discount_cents""",
    # Exactly the usage of live holds carries `held_until`, their hold's expiry.
    "held_usage_mismatches": """
        SELECT count(*) FROM sale_usage u
        JOIN sale_items i ON i.id = u.sale_item_id
        JOIN sales s ON s.id = i.sale_id
        WHERE u.held_until IS DISTINCT FROM
              CASE WHEN s.status = 'held' THEN s.hold_expires_at END""",
    "items_with_unknown_scheme": """
        SELECT count(*) FROM sale_items i
        WHERE NOT EXISTS (SELECT 1 FROM schemes s
                          WHERE s.code = i.scheme_code AND s.version = i.scheme_version)""",
    "holders_without_active_card": """
        SELECT count(*) FROM passholders p
        WHERE NOT EXISTS (SELECT 1 FROM cards c
                          WHERE c.passholder_id = p.id AND c.status = 'active')""",
}


async def self_check(
    url: str, expected: dict[str, int], samples: list[dict[str, object]]
) -> dict[str, int]:
    connection = await asyncpg.connect(url)
    problems: dict[str, int] = {}
    try:
        for table, rows in expected.items():
            found = await connection.fetchval(f'SELECT count(*) FROM "{table}"')
            if found != rows:
                problems[f"count:{table}"] = int(found)
        for name, query in SELF_CHECK.items():
            value = int(await connection.fetchval(query))
            if value:
                problems[name] = value
        # Every sample's holder has a usable kansenstatuut in the offer's partner's region.
        checked = await connection.fetchval(
            """
            SELECT count(*) FROM unnest($1::text[], $2::uuid[]) AS s(card, offer)
            JOIN cards c ON c.number = s.card AND c.status = 'active'
            JOIN offers o ON o.id = s.offer
            JOIN partners p ON p.id = o.partner_id
            WHERE EXISTS (SELECT 1 FROM entitlements e
                          WHERE e.passholder_id = c.passholder_id
                            AND e.type = 'kansenstatuut' AND e.region_id = p.region_id
                            AND e.valid_from <= current_date AND e.valid_until >= current_date
                            AND e.ended_on IS NULL
                            AND (e.suspended_until IS NULL OR e.suspended_until < current_date))
            """,
            [str(s["card_number"]) for s in samples[:1000]],
            [uuid.UUID(str(s["offer_id"])) for s in samples[:1000]],
        )
        if checked != min(1000, len(samples)):
            problems["samples_without_kansenstatuut"] = min(1000, len(samples)) - int(checked)
    finally:
        await connection.close()
    return problems


async def table_sizes(url: str) -> tuple[dict[str, int], int]:
    connection = await asyncpg.connect(url)
    try:
        rows = await connection.fetch(
            """SELECT c.relname, pg_total_relation_size(c.oid) AS bytes FROM pg_class c
               JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY bytes DESC"""
        )
        total = await connection.fetchval("SELECT pg_database_size(current_database())")
        return {row["relname"]: int(row["bytes"]) for row in rows}, int(total)
    finally:
        await connection.close()


# --- the run ----------------------------------------------------------------------------------


async def rebuild_settlement(url: str) -> None:
    engine = create_engine(async_database_url(url))
    try:
        async with create_sessionmaker(engine)() as session:
            await settlement.rebuild(session)
            await session.commit()
    finally:
        await engine.dispose()


async def fill(url: str, args: argparse.Namespace) -> dict[str, Any]:
    sizes = Sizes.at(args.scale)
    now = datetime.now(UTC).replace(microsecond=0)
    world = World(now=now, today=brussels_day(now))
    seed = args.seed
    counts = SaleCounts()
    # Millions of long-lived objects and no reference cycles worth collecting: the cyclic
    # collector would only walk them again and again.
    gc.disable()
    loader = Loader(url)
    started = time.perf_counter()
    try:
        connection = await loader.lane("main")
        begin = time.perf_counter()
        batches = region_rows(world, random.Random(f"{seed}-regions"))
        await loader.run("regions", batches, time.perf_counter() - begin)
        begin = time.perf_counter()
        batches = partner_and_offer_rows(world, sizes, random.Random(f"{seed}-partners"))
        await loader.run("partners+offers", batches, time.perf_counter() - begin)
        begin = time.perf_counter()
        batches = scheme_rows(world, random.Random(f"{seed}-schemes"))
        await loader.run("schemes", batches, time.perf_counter() - begin)
        # Each stored scheme would have bumped the catalogue generation once.
        world.catalog_version = int(
            await connection.fetchval(
                "UPDATE catalog_state SET version = version + $1 WHERE id = 1 RETURNING version",
                SCHEME_COUNT,
            )
        )
        await loader.pipeline(
            "passholders+cards+entitlements",
            holder_chunks(world, sizes, random.Random(f"{seed}-holders"), seed, args.chunk),
        )
        await loader.pipeline(
            "sales", sale_chunks(world, sizes, random.Random(f"{seed}-sales"), args.chunk, counts)
        )
        await loader.pipeline("usage_counters", counter_chunks(world, args.chunk * 4))
        # The sales were copied around the sale service: compute the settlement summaries
        # it would have kept, as the migration that introduced them does.
        begin = time.perf_counter()
        await rebuild_settlement(url)
        loader.phases.append(("settlement summaries", time.perf_counter() - begin, 0.0))
        begin = time.perf_counter()
        await connection.execute("ANALYZE")
        loader.phases.append(("analyze", time.perf_counter() - begin, 0.0))
    finally:
        await loader.close()
    load_seconds = time.perf_counter() - started

    begin = time.perf_counter()
    samples, sample_partners = quote_samples(
        world, random.Random(f"{seed}-samples"), min(QUOTE_SAMPLES, sizes.passholders)
    )
    expected = {table: stats.rows for table, stats in loader.tables.items()}
    problems = await self_check(url, expected, samples)
    if counts.engine_mismatches:
        problems["lines_priced_unlike_the_engine"] = counts.engine_mismatches
    check_seconds = time.perf_counter() - begin
    sizes_by_table, database_bytes = await table_sizes(url)
    gc.enable()

    print_report(loader, sizes_by_table, database_bytes, load_seconds, check_seconds, counts)
    region_index = {spec.code: i for i, spec in enumerate(REGIONS)}
    return {
        "database_url": url,
        "scale": args.scale,
        "seed": seed,
        "generated_at": now.isoformat(),
        "insz_hmac_key": INSZ_HMAC_KEY,
        "catalog_version": world.catalog_version,
        "counts": expected,
        "sales_by_status": counts.by_status,
        "lines_priced": counts.attempts,
        "lines_checked_against_engine": counts.engine_checks,
        "timings_seconds": {
            "load_total": round(load_seconds, 1),
            "samples_and_self_check": round(check_seconds, 1),
            "phases": {name: round(wall, 1) for name, wall, _ in loader.phases},
            "copy_by_table": {t: round(s.seconds, 1) for t, s in loader.tables.items()},
        },
        "database_bytes": database_bytes,
        "table_bytes": sizes_by_table,
        "self_check_problems": problems,
        "regions": [
            {
                "id": str(world.region_ids[i]),
                "code": spec.code,
                "name": spec.name,
                "municipalities": [m.nis_code for m in spec.municipalities],
                "passholders": len(world.holders_by_region[i]),
            }
            for i, spec in enumerate(REGIONS)
        ],
        "partners": [
            {
                "id": str(world.partners[i].id),
                "name": world.partners[i].name,
                "region_id": str(world.region_ids[world.partners[i].region]),
                "region_code": REGIONS[world.partners[i].region].code,
                "categories": world.partners[i].categories,
                "offers": len(world.partners[i].offers),
            }
            for i in sample_partners
        ],
        "kortrijk_region_id": str(world.region_ids[region_index["REGIO_KORTRIJK"]]),
        "brugge_region_id": str(world.region_ids[region_index["BRUGGE"]]),
        "quote_samples": samples,
        "insz_samples": world.insz_samples,
    }


def print_report(
    loader: Loader,
    sizes_by_table: dict[str, int],
    database_bytes: int,
    load_seconds: float,
    check_seconds: float,
    counts: SaleCounts,
) -> None:
    print("\nphase                            wall s   generate s (in a thread, overlapped)")
    for name, wall, generating in loader.phases:
        print(f"{name:32} {wall:7.1f}   {generating:7.1f}")
    print("\ntable                        rows   copy s    rows/s      size")
    for table, stats in loader.tables.items():
        rate = stats.rows / stats.seconds if stats.seconds else 0.0
        size = sizes_by_table.get(table, 0) / 2**20
        print(f"{table:25} {stats.rows:>10,} {stats.seconds:7.1f} {rate:>10,.0f} {size:8.0f} MiB")
    print(
        f"\nloaded in {load_seconds:.1f} s; samples and self-check {check_seconds:.1f} s; "
        f"database {database_bytes / 2**30:.2f} GiB; {counts.attempts:,} lines priced "
        f"({counts.no_tariff:,} without a tariff, retried; {counts.engine_checks:,} checked "
        f"against price(): {counts.engine_mismatches} differ)"
    )


def write_summary(path: Path, summary: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(summary, indent=1) + "\n")


async def main_async(args: argparse.Namespace) -> int:
    check_columns()
    url, created = await prepare_database(args)
    keep = args.keep or bool(args.database_url)
    print(f"filling {url} (scale {args.scale}, seed {args.seed})", flush=True)
    try:
        summary = await fill(url, args)
        summary["kept"] = keep
        path = Path(args.summary)
        await asyncio.to_thread(write_summary, path, summary)
        problems = summary["self_check_problems"]
        print(f"self-check: {problems or 'OK'}")
        print(f"summary: {path}")
        print(f"INSZ key: OPENPAS_INSZ_HMAC_KEY={INSZ_HMAC_KEY}")
        print(f"database: {url}" + ("" if keep else " (dropped now; --keep keeps it)"))
        return 1 if problems else 0
    finally:
        if created and not keep:
            name = make_url(url).database
            await admin_execute(args.admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmark dataset for quotes and sales.")
    parser.add_argument(
        "--admin-url",
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        help="a database on the server to run CREATE/DROP DATABASE from",
    )
    parser.add_argument("--scale", type=float, default=1.0, help="1.0: 1M holders, 2M sales")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--database-url", help="fill this database (kept) instead of a new one")
    parser.add_argument("--reset", action="store_true", help="empty --database-url first")
    parser.add_argument("--summary", default=str(DEFAULT_SUMMARY), help="JSON summary path")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--chunk", type=int, default=CHUNK_ROWS, help="rows per COPY")
    args = parser.parse_args()
    if args.admin_url:
        args.admin_url = plain_url(args.admin_url)
    raise SystemExit(asyncio.run(main_async(args)))


if __name__ == "__main__":
    main()
