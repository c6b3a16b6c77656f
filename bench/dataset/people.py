"""Passholders, their card and their statuses: spread over regions and municipalities by
weight, ages weighted to children and seniors, unique per (region, name key, birth date),
60 % with an INSZ stored as its pseudonym, ~40 % with a kansenstatuut."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from itertools import accumulate

from app.domain.cards import new_card_number
from app.domain.entitlements import USABLE_STATUSES, EntitlementFact, entitlement_status
from app.domain.insz import insz_pseudonym, parse_insz
from app.domain.people import name_key

from .columns import COLUMNS, Batch, Row
from .ids import SortedIds
from .names import FIRST_NAMES, LAST_NAMES
from .places import REGIONS, short_code
from .sizes import Sizes
from .times import at_utc, month_day
from .world import World

# The server must run with this key (OPENPAS_INSZ_HMAC_KEY) for INSZ look-ups to match.
INSZ_HMAC_KEY = "bench-dataset-insz-hmac-key-0123456789abcdef"
INSZ_SAMPLES = 100

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
        source = rng.choice(("manual", f"import:ocmw-{short_code(code).lower()}"))
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
