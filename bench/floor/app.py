"""The floor of the stack: a bare FastAPI app that does a quote's and a sale's essential work.

DESIGN.md ("Hot path") measures OpenPas's desk against this app, run on the same uvicorn,
asyncpg and PostgreSQL, on the same database, in the same run (bench/floor/run.py). It
imports nothing of OpenPas: it is what any FastAPI service that answers these requests
cannot do without.

- `GET /health`: `{"status": "ok"}`, as OpenPas's.
- `POST /v1/quotes`: the body parsed into a model of the quote request's shape, the bearer
  JWT verified (HS256, OpenPas's claims), one statement — card → holder → home region,
  the holder's statuses with their region's grace, the usage of the offer's candidate
  buckets less lapsed holds, and the audit row — then an answer of the size OpenPas gives.
- `POST /v1/sales`: the same read (without the audit row), then one statement that claims
  every usage bucket atomically (refusing the whole sale past a maximum) and writes the
  sale, its lines, their funding and usage, the monthly settlement sums, the change event,
  the audit row and the idempotency key, in one durable transaction.

What stands in for the price calculation is the plan (FLOOR_PLAN, written by
bench/floor/plan.py from OpenPas's own answers before the run): per offer, the buckets a
quote reads; per sample, the tariffs to answer and the size of OpenPas's answer; per
tariff, the line, funding and claims a sale writes. The floor looks these up where
OpenPas computes them, and pads its answers with spaces to OpenPas's size, so that the two
differ by OpenPas's own work and nothing else.

Settings, from the environment: FLOOR_DATABASE_URL, FLOOR_TOKEN_SIGNING_KEY, FLOOR_PLAN,
FLOOR_POOL_SIZE (default 20, OpenPas's OPENPAS_DB_POOL_SIZE). Serve it as `openpas serve`
serves OpenPas (one process, uvloop and httptools when installed, no access log):

    .venv/bin/python bench/floor/app.py --port 8001
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

import asyncpg
import jwt
from fastapi import Depends, FastAPI, Header, HTTPException
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

# OpenPas's token claims (app/services/tokens.py).
ISSUER = "openpas"
AUDIENCE = "openpas-api"

# The holder's facts a price calculation takes, the statuses with their region's code and
# grace days, and the usage of the candidate buckets less lapsed holds: one statement.
_HOLDER_FACTS = """
WITH holder AS (
    SELECT c.status, p.id, p.first_name, p.last_name, p.birth_date, p.municipality_nis,
           p.region_id, home.code AS region_code, home.status_grace_days AS home_grace
    FROM cards c
    JOIN passholders p ON p.id = c.passholder_id
    JOIN regions home ON home.id = p.region_id
    WHERE c.number = $1
){audit_cte}
SELECT h.status, h.id, h.first_name, h.last_name, h.birth_date, h.municipality_nis,
       h.region_id, h.region_code,
       ARRAY(
           SELECT ROW(e.type, r.code, e.valid_from, e.valid_until, e.suspended_until,
                      e.ended_on, coalesce(r.status_grace_days, h.home_grace))
           FROM entitlements e LEFT JOIN regions r ON r.id = e.region_id
           WHERE e.passholder_id = h.id
       ) AS statuses,
       ARRAY(
           SELECT ROW(u.bucket_key, sum(u.tickets)::int, sum(u.discount_cents)::int)
           FROM (
               SELECT bucket_key, tickets, discount_cents FROM usage_counters
               WHERE passholder_id = h.id AND bucket_key = ANY($2::text[])
               UNION ALL
               SELECT bucket_key, -tickets, -discount_cents FROM sale_usage
               WHERE passholder_id = h.id AND held_until <= $3
                 AND bucket_key = ANY($2::text[])
           ) u
           GROUP BY u.bucket_key
       ) AS usage{relaxed}
FROM holder h
"""

# A quote's audit row rides in its one statement, for an active card (the only one that
# shows the desk anything). Its transaction does not wait for the WAL flush, as OpenPas's
# quote does not (app/db/pricing.py): the floor keeps OpenPas's durability, no less.
_QUOTE_FACTS = _HOLDER_FACTS.format(
    audit_cte=""", audited AS (
    INSERT INTO audit_log (at, client_id, action, passholder_id, region_id)
    SELECT $3, $4, 'quote', id, region_id FROM holder WHERE status = 'active'
)""",
    relaxed=",\n       set_config('synchronous_commit', 'off', true) AS relaxed",
)
_SALE_FACTS = _HOLDER_FACTS.format(audit_cte="", relaxed="")

# A sale's writes in one statement, so one round trip and one (durable) transaction. The
# claims add to their buckets first; `verdict` then fails the whole statement — nothing of
# the sale stays — when a bucket went past a maximum or the idempotency key was taken,
# with the reason in the error (a cast of the reason to int: PostgreSQL has no RAISE in
# plain SQL). Every other write reads `verdict`, so none happens without it.
# Concurrent sales at one partner update the same settlement rows, so they must lock them in
# one order — OpenPas's (app/db/settlement.py): payer sums before scheme sums, each in key
# order. PostgreSQL runs the writes that nothing reads in an order of its own, so the
# scheme sums read the payer sums' count, which makes them wait for it; without that, a
# floor sale and an OpenPas sale at the same moment deadlocked.
_WRITE_SALE = """
WITH keyed AS (
    INSERT INTO idempotency_keys (client_id, key, request_hash, sale_id, created_at)
    VALUES ($3, $5, $6, $1, $4)
    ON CONFLICT DO NOTHING
    RETURNING 1
), claims AS (
    SELECT * FROM unnest($7::uuid[], $8::text[], $9::int[], $10::int[], $11::int[],
                         $12::int[])
        AS c(passholder_id, bucket_key, tickets, discount_cents, max_tickets,
             max_discount_cents)
), claimed AS (
    INSERT INTO usage_counters AS u (passholder_id, bucket_key, tickets, discount_cents)
    SELECT passholder_id, bucket_key, tickets, discount_cents FROM claims
    ORDER BY passholder_id, bucket_key
    ON CONFLICT (passholder_id, bucket_key) DO UPDATE
        SET tickets = u.tickets + excluded.tickets,
            discount_cents = u.discount_cents + excluded.discount_cents
    RETURNING u.passholder_id, u.bucket_key, u.tickets, u.discount_cents
), verdict AS (
    SELECT CAST(CASE
        WHEN NOT EXISTS (SELECT FROM keyed) THEN 'idempotency-key-used'
        WHEN EXISTS (
            SELECT FROM claimed n JOIN claims c USING (passholder_id, bucket_key)
            WHERE n.tickets > c.max_tickets OR n.discount_cents > c.max_discount_cents
        ) THEN 'limit-reached'
        ELSE '0' END AS int) AS ok
), lines AS (
    SELECT * FROM unnest($13::uuid[], $14::uuid[], $15::text[], $16::uuid[], $17::text[],
                         $18::text[], $19::text[], $20::int[], $21::text[], $22::text[],
                         $23::int[], $24::int[], $25::int[], $26::int[], $27::int[],
                         $28::date[], $29::date[])
        AS i(id, passholder_id, card_number, offer_id, price_class, municipality_nis,
             scheme_code, scheme_version, parts, label, quantity, regular_price_cents,
             unit_price_cents, total_cents, discount_cents, activity_date, counted_on)
), shares AS (
    SELECT * FROM unnest($30::uuid[], $31::text[], $32::text[], $33::text[], $34::int[])
        AS f(sale_item_id, scheme_code, payer, payer_ref, amount_cents)
), sale AS (
    INSERT INTO sales (id, partner_id, client_id, status, created_at, confirmed_at)
    SELECT $1, $2, $3, 'confirmed', $4, $4 FROM verdict
), items AS (
    INSERT INTO sale_items (id, sale_id, passholder_id, card_number, offer_id, price_class,
                            municipality_nis, scheme_code, scheme_version, parts, label,
                            quantity, regular_price_cents, unit_price_cents, total_cents,
                            discount_cents, activity_date, counted_on)
    SELECT i.id, $1, i.passholder_id, i.card_number, i.offer_id, i.price_class,
           i.municipality_nis, i.scheme_code, i.scheme_version, i.parts::json, i.label,
           i.quantity, i.regular_price_cents, i.unit_price_cents, i.total_cents,
           i.discount_cents, i.activity_date, i.counted_on
    FROM verdict, lines i
), funding AS (
    INSERT INTO sale_item_funding (sale_item_id, scheme_code, payer, payer_ref, amount_cents)
    SELECT f.* FROM verdict, shares f
), used AS (
    INSERT INTO sale_usage (sale_item_id, passholder_id, bucket_key, tickets, discount_cents)
    SELECT s.* FROM verdict,
        unnest($35::uuid[], $36::uuid[], $37::text[], $38::int[], $39::int[])
            AS s(sale_item_id, passholder_id, bucket_key, tickets, discount_cents)
), audited AS (
    INSERT INTO audit_log (at, client_id, action, passholder_id, region_id)
    SELECT $4, $3, 'sale', a.passholder_id, a.region_id
    FROM verdict, unnest($40::uuid[], $41::uuid[]) AS a(passholder_id, region_id)
), event AS (
    INSERT INTO change_events (txid, region_id, kind, entity_id, data, occurred_at)
    SELECT pg_current_xact_id()::text::bigint, $42, 'sale.confirmed', $1::text, $43::json, $4
    FROM verdict
), payer_sums AS (
    INSERT INTO settlement_payer_months AS s (partner_id, month, scheme_code,
        funded_scheme_code, payer, payer_ref, lines, tickets, regular_cents, paid_cents,
        amount_cents)
    SELECT $2, date_trunc('month', i.counted_on::timestamp)::date, i.scheme_code,
           f.scheme_code, f.payer, coalesce(f.payer_ref, ''), count(*), sum(i.quantity),
           sum(i.regular_price_cents * i.quantity), sum(i.total_cents), sum(f.amount_cents)
    FROM verdict, lines i JOIN shares f ON f.sale_item_id = i.id
    GROUP BY 2, 3, 4, 5, 6
    ORDER BY 2, 3, 4, 5, 6
    ON CONFLICT (partner_id, month, scheme_code, funded_scheme_code, payer, payer_ref)
    DO UPDATE SET lines = s.lines + excluded.lines, tickets = s.tickets + excluded.tickets,
        regular_cents = s.regular_cents + excluded.regular_cents,
        paid_cents = s.paid_cents + excluded.paid_cents,
        amount_cents = s.amount_cents + excluded.amount_cents
    RETURNING 1
), scheme_sums AS (
    INSERT INTO settlement_scheme_months AS s (partner_id, month, scheme_code, lines,
        tickets, regular_cents, paid_cents, discount_cents)
    SELECT $2, date_trunc('month', i.counted_on::timestamp)::date, i.scheme_code, count(*),
           sum(i.quantity), sum(i.regular_price_cents * i.quantity), sum(i.total_cents),
           sum(i.discount_cents * i.quantity)
    FROM verdict, lines i
    WHERE (SELECT count(*) FROM payer_sums) >= 0
    GROUP BY 2, 3
    ORDER BY 2, 3
    ON CONFLICT (partner_id, month, scheme_code)
    DO UPDATE SET lines = s.lines + excluded.lines, tickets = s.tickets + excluded.tickets,
        regular_cents = s.regular_cents + excluded.regular_cents,
        paid_cents = s.paid_cents + excluded.paid_cents,
        discount_cents = s.discount_cents + excluded.discount_cents
)
SELECT ok FROM verdict
"""

# The reasons `verdict` fails a sale with (in PostgreSQL's "invalid input syntax" error).
_REFUSALS = ("limit-reached", "idempotency-key-used")


# --- the plan: what stands in for the price calculation -------------------------------------


@dataclass(frozen=True, slots=True)
class OfferPlan:
    bucket_keys: list[str]
    answer: dict[str, Any]  # an answer for a card the plan does not list
    size: int


@dataclass(frozen=True, slots=True)
class SalePlan:
    partner_id: uuid.UUID
    partner_region_id: uuid.UUID
    line: dict[str, Any]
    funding: list[dict[str, Any]]
    claims: list[dict[str, Any]]
    size: int


@dataclass(frozen=True, slots=True)
class Plan:
    offers: dict[tuple[str, str], OfferPlan]
    quotes: dict[tuple[str, str, str, int], tuple[dict[str, Any], int]]
    sales: dict[tuple[str, str, str, int], SalePlan]


def read_plan(path: Path) -> Plan:
    data = json.loads(path.read_text())
    answers: list[dict[str, Any]] = data["answers"]
    return Plan(
        offers={
            (o["offer_id"], o["price_class"]): OfferPlan(
                o["bucket_keys"], answers[o["answer"]], o["size"]
            )
            for o in data["offers"]
        },
        quotes={
            (q["card_number"], q["offer_id"], q["price_class"], q["quantity"]): (
                answers[q["answer"]],
                q["size"],
            )
            for q in data["quotes"]
        },
        sales={
            (s["offer_id"], s["price_class"], s["tariff_id"], s["quantity"]): SalePlan(
                uuid.UUID(s["partner_id"]),
                uuid.UUID(s["partner_region_id"]),
                s["line"],
                s["funding"],
                s["claims"],
                s["size"],
            )
            for s in data["sales"]
        },
    )


@dataclass(slots=True)
class Floor:
    pool: Any  # asyncpg.Pool
    plan: Plan
    token_key: str


_floor: Floor | None = None


def floor() -> Floor:
    if _floor is None:
        raise RuntimeError("the floor app is not started (its lifespan did not run)")
    return _floor


def database_dsn(url: str) -> str:
    """asyncpg takes postgresql://…; OpenPas's settings may name its driver in the scheme."""
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


@asynccontextmanager
async def lifespan(_: FastAPI) -> AsyncIterator[None]:
    global _floor
    size = int(os.environ.get("FLOOR_POOL_SIZE", "20"))
    pool = await asyncpg.create_pool(
        database_dsn(os.environ["FLOOR_DATABASE_URL"]), min_size=size, max_size=size
    )
    _floor = Floor(
        pool, read_plan(Path(os.environ["FLOOR_PLAN"])), os.environ["FLOOR_TOKEN_SIGNING_KEY"]
    )
    try:
        yield
    finally:
        _floor = None
        await pool.close()


app = FastAPI(title="OpenPas floor", lifespan=lifespan)


# --- requests --------------------------------------------------------------------------------

CardNumber = Annotated[str, Field(min_length=13, max_length=20, pattern=r"^[0-9 \-]+$")]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class QuoteIn(Body):
    card_number: CardNumber
    offer_id: Annotated[str, Field(max_length=64)]
    price_class: Annotated[str, Field(min_length=1, max_length=40)]
    quantity: Annotated[StrictInt, Field(ge=1, le=20)] = 1


class SaleItemIn(Body):
    card_number: CardNumber
    offer_id: Annotated[str, Field(max_length=64)]
    price_class: Annotated[str, Field(min_length=1, max_length=40)]
    tariff_id: Annotated[str, Field(min_length=1, max_length=100)]
    quantity: Annotated[StrictInt, Field(ge=1, le=20)] = 1
    companions: Annotated[StrictInt, Field(ge=0, le=10)] = 0


class SaleIn(Body):
    items: Annotated[list[SaleItemIn], Field(min_length=1, max_length=20)]
    hold: StrictBool = False


def problem(status: int, code: str) -> HTTPException:
    return HTTPException(status, detail=code)


def bearer_client(authorization: Annotated[str | None, Header()] = None) -> str:
    """The client id of a valid bearer token (signature, expiry, issuer and audience)."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise problem(401, "not-authenticated")
    try:
        claims = jwt.decode(
            token,
            floor().token_key,
            algorithms=["HS256"],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "aud", "iss"]},
        )
    except jwt.PyJWTError:
        raise problem(401, "invalid-token") from None
    subject: str = claims["sub"]
    return subject


Caller = Annotated[str, Depends(bearer_client)]


def card_number(text: str) -> str:
    return text.replace(" ", "").replace("-", "")


def display_name(first_name: str, last_name: str) -> str:
    return f"{first_name} {last_name[:1].upper()}."


def padded(text: str, size: int, status: int = 200) -> Response:
    """The answer, with trailing spaces (still JSON) up to OpenPas's answer size."""
    content = text.encode()
    if len(content) < size:
        content += b" " * (size - len(content))
    return Response(content, status_code=status, media_type="application/json")


# --- routes ----------------------------------------------------------------------------------


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/v1/quotes")
async def quote(body: QuoteIn, client_id: Caller) -> Response:
    here = floor()
    offer = here.plan.offers.get((body.offer_id, body.price_class))
    if offer is None:
        raise problem(404, "offer-not-found")
    number = card_number(body.card_number)
    now = datetime.now(UTC)
    row = await here.pool.fetchrow(_QUOTE_FACTS, number, offer.bucket_keys, now, client_id)
    if row is None:
        raise problem(404, "card-not-found")
    if row["status"] != "active":
        raise problem(409, f"card-{row['status']}")
    answer, size = here.plan.quotes.get(
        (number, body.offer_id, body.price_class, body.quantity), (offer.answer, offer.size)
    )
    text = json.dumps(
        {
            "holder": {
                "display_name": display_name(row["first_name"], row["last_name"]),
                "card_status": row["status"],
            },
            "offer_id": body.offer_id,
            "price_class": body.price_class,
            "quantity": body.quantity,
            **answer,
        },
        separators=(",", ":"),
    )
    return padded(text, size)


@dataclass(frozen=True, slots=True)
class _Line:
    item: SaleItemIn
    number: str
    plan: SalePlan
    holder: Any  # asyncpg.Record
    id: uuid.UUID


@app.post("/v1/sales", status_code=201)
async def sale(
    body: SaleIn,
    client_id: Caller,
    idempotency_key: Annotated[str | None, Header(max_length=100, pattern=r"^[\x21-\x7e]+$")] = (
        None
    ),
) -> Response:
    here = floor()
    if not idempotency_key:
        raise problem(400, "idempotency-key-missing")
    if body.hold or any(item.companions for item in body.items):
        raise problem(422, "the floor sells confirmed sales of holders' own tickets only")
    canonical = json.dumps(
        body.model_dump(mode="json", exclude_defaults=True),
        sort_keys=True,
        separators=(",", ":"),
    )
    request_hash = hashlib.sha256(canonical.encode()).hexdigest()
    now = datetime.now(UTC)
    lines: list[_Line] = []
    for item in body.items:
        offer = here.plan.offers.get((item.offer_id, item.price_class))
        plan = here.plan.sales.get((item.offer_id, item.price_class, item.tariff_id, item.quantity))
        if offer is None:
            raise problem(404, "offer-not-found")
        if plan is None:
            raise problem(409, "price-changed")
        if lines and plan.partner_id != lines[0].plan.partner_id:
            raise problem(422, "one partner per sale")
        number = card_number(item.card_number)
        holder = await here.pool.fetchrow(_SALE_FACTS, number, offer.bucket_keys, now)
        if holder is None:
            raise problem(404, "card-not-found")
        if holder["status"] != "active":
            raise problem(409, f"card-{holder['status']}")
        lines.append(_Line(item, number, plan, holder, uuid.uuid4()))
    return await _write(here, lines, client_id, idempotency_key, request_hash, now)


async def _write(
    here: Floor,
    lines: list[_Line],
    client_id: str,
    idempotency_key: str,
    request_hash: str,
    now: datetime,
) -> Response:
    sale_id = uuid.uuid4()
    first = lines[0].plan
    claims: dict[tuple[uuid.UUID, str], list[Any]] = {}
    for line in lines:
        for claim in line.plan.claims:
            key = (line.holder["id"], claim["bucket_key"])
            added = claims.setdefault(
                key, [0, 0, claim["max_tickets"], claim["max_discount_cents"]]
            )
            added[0] += claim["tickets"]
            added[1] += claim["discount_cents"]
    usage = [(line.id, line.holder["id"], claim) for line in lines for claim in line.plan.claims]
    funding = [(line.id, share) for line in lines for share in line.plan.funding]
    holders = {line.holder["id"]: line.holder["region_id"] for line in lines}
    total = sum(line.plan.line["total_cents"] for line in lines)
    event = {
        "partner_id": str(first.partner_id),
        "passholder_ids": sorted(str(holder) for holder in holders),
        "total_cents": total,
    }
    try:
        await here.pool.fetchval(
            _WRITE_SALE,
            sale_id,
            first.partner_id,
            client_id,
            now,
            idempotency_key,
            request_hash,
            [holder for holder, _ in claims],
            [bucket for _, bucket in claims],
            [added[0] for added in claims.values()],
            [added[1] for added in claims.values()],
            [added[2] for added in claims.values()],
            [added[3] for added in claims.values()],
            [line.id for line in lines],
            [line.holder["id"] for line in lines],
            [line.number for line in lines],
            [uuid.UUID(line.item.offer_id) for line in lines],
            [line.item.price_class for line in lines],
            [line.holder["municipality_nis"] for line in lines],
            [line.plan.line["scheme_code"] for line in lines],
            [line.plan.line["scheme_version"] for line in lines],
            [json.dumps(line.plan.line["parts"]) for line in lines],
            [line.plan.line["label"] for line in lines],
            [line.plan.line["quantity"] for line in lines],
            [line.plan.line["regular_price_cents"] for line in lines],
            [line.plan.line["unit_price_cents"] for line in lines],
            [line.plan.line["total_cents"] for line in lines],
            [line.plan.line["discount_cents"] for line in lines],
            [date.fromisoformat(line.plan.line["activity_date"]) for line in lines],
            [date.fromisoformat(line.plan.line["counted_on"]) for line in lines],
            [item_id for item_id, _ in funding],
            [share["scheme_code"] for _, share in funding],
            [share["payer"] for _, share in funding],
            [share["payer_ref"] for _, share in funding],
            [share["amount_cents"] for _, share in funding],
            [item_id for item_id, _, _ in usage],
            [holder for _, holder, _ in usage],
            [claim["bucket_key"] for _, _, claim in usage],
            [claim["tickets"] for _, _, claim in usage],
            [claim["discount_cents"] for _, _, claim in usage],
            list(holders),
            list(holders.values()),
            first.partner_region_id,
            json.dumps(event),
        )
    except asyncpg.InvalidTextRepresentationError as error:
        refused = next((reason for reason in _REFUSALS if reason in str(error)), None)
        if refused is None:
            raise
        raise problem(409, refused) from None
    at = now.isoformat().replace("+00:00", "Z")
    answer = {
        "id": str(sale_id),
        "partner_id": str(first.partner_id),
        "status": "confirmed",
        "created_at": at,
        "hold_expires_at": None,
        "confirmed_at": at,
        "cancelled_at": None,
        "total_cents": total,
        "items": [
            {
                "id": str(line.id),
                "card_number": line.number,
                "offer_id": line.item.offer_id,
                "price_class": line.item.price_class,
                "scheme_code": line.plan.line["scheme_code"],
                "scheme_version": line.plan.line["scheme_version"],
                "label": line.plan.line["label"],
                "regular_price_cents": line.plan.line["regular_price_cents"],
                "unit_price_cents": line.plan.line["unit_price_cents"],
                "discount_cents": line.plan.line["discount_cents"],
                "quantity": line.plan.line["quantity"],
                "total_cents": line.plan.line["total_cents"],
                "activity_date": line.plan.line["activity_date"],
                "funding": [
                    {
                        "payer": share["payer"],
                        "scheme_code": share["scheme_code"],
                        "amount_cents": share["amount_cents"],
                    }
                    for share in line.plan.funding
                ],
                "companion_of": None,
            }
            for line in lines
        ],
    }
    text = json.dumps(answer, ensure_ascii=False, separators=(",", ":"))
    # The plan knows the size of OpenPas's answer to a sale of one line; a longer sale is
    # answered as it comes.
    return padded(text, first.size if len(lines) == 1 else 0, status=201)


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description="Serve the floor app as `openpas serve` does.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    args = parser.parse_args()
    # app/cli.py's cmd_serve: one process, uvicorn's loop and HTTP parser chosen as it
    # chooses them (uvloop and httptools when installed), no log config, no access log.
    uvicorn.run(
        app, host=args.host, port=args.port, log_config=None, access_log=False, proxy_headers=True
    )


if __name__ == "__main__":
    main()
