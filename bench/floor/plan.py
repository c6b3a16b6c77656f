"""The floor app's plan, taken from OpenPas itself before the run.

The floor computes no price: where OpenPas runs its price calculation, the floor looks up
what OpenPas answered and wrote for the same request, so the two differ by OpenPas's own
work. This module asks a running OpenPas and reads the database:

- per offer and price class, the usage buckets a quote reads (`usage_keys` of the domain
  over the current catalogue: the same keys OpenPas sends in its statement);
- per quote sample, OpenPas's answer (less what the floor fills in itself: the holder, the
  offer, the price class, the quantity) and its size in bytes;
- per tariff sold, the line, funding and usage claims OpenPas wrote for a sale at it (one
  probe sale each, read back from the tables) with each bucket's maxima, and the size of
  OpenPas's answer.

The plan is JSON (bench/floor/app.py reads it); answers the samples share are kept once.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import asyncpg
import httpx

from app.domain.facts import OfferFacts
from app.domain.limits import activity_day, bucket_plan
from app.domain.pricing import usage_keys
from app.domain.schemes import SchemeDefinition, parse_scheme

Sample = tuple[str, str, str]  # card number, offer id, price class (quantity 1)

# The fields of a quote answer the floor writes itself, from the request and its own read.
_FILLED_IN = ("holder", "offer_id", "price_class", "quantity")


@dataclass(frozen=True, slots=True)
class OfferBuckets:
    facts: OfferFacts
    region_id: str
    keys: tuple[str, ...]
    # Per bucket key of any scheme: its maximum tickets and discount (None: no maximum).
    maxima: dict[str, tuple[int | None, int | None]]


@dataclass(frozen=True, slots=True)
class SaleTemplate:
    """A tariff the floor can sell, as OpenPas sold it to a fresh holder of `region_id`."""

    offer_id: str
    price_class: str
    tariff_id: str
    region_id: str
    plan: dict[str, Any]


@dataclass
class PlanBuilder:
    offers: dict[str, OfferBuckets] = field(default_factory=dict)
    answers: dict[str, int] = field(default_factory=dict)
    answer_list: list[dict[str, Any]] = field(default_factory=list)
    quotes: list[dict[str, Any]] = field(default_factory=list)
    offer_answers: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)
    sales: list[SaleTemplate] = field(default_factory=list)
    refused_quotes: dict[int, int] = field(default_factory=dict)

    def answer_index(self, answer: dict[str, Any]) -> int:
        part = {k: v for k, v in answer.items() if k not in _FILLED_IN}
        key = json.dumps(part, sort_keys=True)
        if key not in self.answers:
            self.answers[key] = len(self.answer_list)
            self.answer_list.append(part)
        return self.answers[key]

    def add_quote(self, sample: Sample, answer: dict[str, Any], size: int) -> None:
        card, offer_id, price_class = sample
        index = self.answer_index(answer)
        self.offer_answers.setdefault((offer_id, price_class), (index, size))
        self.quotes.append(
            {
                "card_number": card,
                "offer_id": offer_id,
                "price_class": price_class,
                "quantity": 1,
                "answer": index,
                "size": size,
            }
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "offers": [
                {
                    "offer_id": offer_id,
                    "price_class": price_class,
                    "bucket_keys": list(self.offers[offer_id].keys),
                    "answer": index,
                    "size": size,
                }
                for (offer_id, price_class), (index, size) in self.offer_answers.items()
            ],
            "answers": self.answer_list,
            "quotes": self.quotes,
            "sales": [template.plan for template in self.sales],
        }


async def current_schemes(connection: asyncpg.Connection) -> tuple[SchemeDefinition, ...]:
    """The newest version of every scheme, as OpenPas's catalogue loads them."""
    rows = await connection.fetch(
        "SELECT DISTINCT ON (code) definition::text AS definition FROM schemes "
        "ORDER BY code, version DESC"
    )
    return tuple(parse_scheme(json.loads(row["definition"])) for row in rows)


async def offer_buckets(
    connection: asyncpg.Connection, offer_ids: Sequence[str], today: date
) -> dict[str, OfferBuckets]:
    """The buckets a quote for each offer reads today, and every bucket's maxima."""
    schemes = await current_schemes(connection)
    # The activity date is the Brussels date of a one-off's start (app.services.quotes).
    rows = await connection.fetch(
        """
        SELECT o.id::text AS id, o.partner_id::text AS partner_id, r.code AS region_code,
               p.region_id::text AS region_id, p.municipality_nis, o.category,
               CASE WHEN o.kind = 'one_off' AND o.starts_at IS NOT NULL
                    THEN (o.starts_at AT TIME ZONE 'Europe/Brussels')::date END AS day
        FROM offers o
        JOIN partners p ON p.id = o.partner_id
        JOIN regions r ON r.id = p.region_id
        WHERE o.id = ANY($1::uuid[])
        """,
        [uuid.UUID(offer_id) for offer_id in offer_ids],
    )
    found = {}
    for row in rows:
        facts = OfferFacts(
            offer_id=row["id"],
            partner_id=row["partner_id"],
            partner_region=row["region_code"],
            partner_municipality_nis=row["municipality_nis"],
            category=row["category"],
            activity_date=row["day"],
        )
        day = activity_day(facts, today)
        maxima = {
            bucket.key(scheme.code, facts, day): (bucket.max_tickets, bucket.max_discount_cents)
            for scheme in schemes
            for bucket in bucket_plan(scheme.limits)
        }
        keys = usage_keys(facts, today, schemes)
        found[row["id"]] = OfferBuckets(facts, row["region_id"], keys, maxima)
    return found


async def quote_all(
    openpas: httpx.AsyncClient, samples: Sequence[Sample], builder: PlanBuilder
) -> None:
    """OpenPas's answer to every sample (a few at a time); samples it refuses are left out."""
    gate = asyncio.Semaphore(8)

    async def one(sample: Sample) -> tuple[Sample, httpx.Response]:
        card, offer_id, price_class = sample
        async with gate:
            answer = await openpas.post(
                "/v1/quotes",
                json={"card_number": card, "offer_id": offer_id, "price_class": price_class},
            )
            return sample, answer

    for sample, answer in await asyncio.gather(*(one(s) for s in samples)):
        if answer.status_code != 200:
            builder.refused_quotes[answer.status_code] = (
                builder.refused_quotes.get(answer.status_code, 0) + 1
            )
            continue
        builder.add_quote(sample, answer.json(), len(answer.content))


class ProbeFailed(RuntimeError):
    pass


async def probe_sale(
    openpas: httpx.AsyncClient,
    connection: asyncpg.Connection,
    offer: OfferBuckets,
    price_class: str,
    card: str,
    builder: PlanBuilder,
) -> SaleTemplate:
    """Quote `card` (a fresh holder's) and sell it the best tariff through OpenPas; the
    floor's template for that tariff is what OpenPas then wrote."""
    offer_id = offer.facts.offer_id
    quoted = await openpas.post(
        "/v1/quotes", json={"card_number": card, "offer_id": offer_id, "price_class": price_class}
    )
    if quoted.status_code != 200:
        raise ProbeFailed(f"quote {offer_id}/{price_class}: {quoted.status_code} {quoted.text}")
    answer = quoted.json()
    tariff_id = answer["best_tariff_id"]
    if tariff_id is None:
        raise ProbeFailed(f"quote {offer_id}/{price_class}: no tariff for a fresh holder")
    builder.offer_answers.setdefault(
        (offer_id, price_class), (builder.answer_index(answer), len(quoted.content))
    )
    item = {"card_number": card, "offer_id": offer_id, "price_class": price_class}
    sold = await openpas.post(
        "/v1/sales",
        json={"items": [item | {"tariff_id": tariff_id, "quantity": 1}]},
        headers={"Idempotency-Key": f"floor-probe-{uuid.uuid4().hex}"},
    )
    if sold.status_code != 201:
        raise ProbeFailed(f"sale {offer_id}/{price_class}: {sold.status_code} {sold.text}")
    sale_id = uuid.UUID(sold.json()["id"])
    lines = await connection.fetch(
        """
        SELECT i.id, i.scheme_code, i.scheme_version, i.parts::text AS parts, i.label,
               i.quantity, i.regular_price_cents, i.unit_price_cents, i.total_cents,
               i.discount_cents, i.activity_date, i.counted_on, i.companion_of,
               s.partner_id::text AS partner_id, p.region_id::text AS partner_region_id
        FROM sale_items i
        JOIN sales s ON s.id = i.sale_id
        JOIN partners p ON p.id = s.partner_id
        WHERE i.sale_id = $1
        """,
        sale_id,
    )
    if len(lines) != 1 or lines[0]["counted_on"] is None:
        raise ProbeFailed(f"sale {sale_id}: expected one confirmed line, found {len(lines)}")
    line = lines[0]
    funding = await connection.fetch(
        "SELECT scheme_code, payer, payer_ref, amount_cents FROM sale_item_funding "
        "WHERE sale_item_id = $1 ORDER BY id",
        line["id"],
    )
    usage = await connection.fetch(
        "SELECT bucket_key, tickets, discount_cents FROM sale_usage "
        "WHERE sale_item_id = $1 ORDER BY id",
        line["id"],
    )
    plan = {
        "offer_id": offer_id,
        "price_class": price_class,
        "tariff_id": tariff_id,
        "quantity": 1,
        "partner_id": line["partner_id"],
        "partner_region_id": line["partner_region_id"],
        "line": {
            "scheme_code": line["scheme_code"],
            "scheme_version": line["scheme_version"],
            "parts": json.loads(line["parts"]),
            "label": line["label"],
            "quantity": line["quantity"],
            "regular_price_cents": line["regular_price_cents"],
            "unit_price_cents": line["unit_price_cents"],
            "total_cents": line["total_cents"],
            "discount_cents": line["discount_cents"],
            "activity_date": line["activity_date"].isoformat(),
            "counted_on": line["counted_on"].isoformat(),
        },
        "funding": [dict(share) for share in funding],
        "claims": [
            {
                "bucket_key": claim["bucket_key"],
                "tickets": claim["tickets"],
                "discount_cents": claim["discount_cents"],
                "max_tickets": offer.maxima.get(claim["bucket_key"], (None, None))[0],
                "max_discount_cents": offer.maxima.get(claim["bucket_key"], (None, None))[1],
            }
            for claim in usage
        ],
        "size": len(sold.content),
    }
    template = SaleTemplate(offer_id, price_class, tariff_id, offer.region_id, plan)
    builder.sales.append(template)
    return template
