"""The regions and municipalities of the dataset: real NIS and postal codes, with weights
for how many passholders and partners each gets."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta

from .columns import COLUMNS, Batch, Row
from .ids import new_id
from .world import World


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


def short_code(region_code: str) -> str:
    """The region's code as the prefix of its schemes' codes: "REGIO_GENT" gives "GENT"."""
    return region_code.removeprefix("REGIO_")


REGION_CODES: tuple[str, ...] = tuple(spec.code for spec in REGIONS)
