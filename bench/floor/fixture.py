"""The card holders a floor run sells to, and the removal of everything a run wrote.

A sale uses up a limit (the Kortrijk kansentarief is one ticket per offer; a welcome
coupon once per holder), so a benchmark that sold to the dataset's own holders would run
out of tickets, answer `limit-reached` and measure refusals. Each run therefore sells once
to each of many fresh holders: an adult with a kansenstatuut of the partner's region,
living in the partner's municipality, with no history. All of them get the same tariff at
an offer, so one probe sale per offer tells the tariff (bench/floor/plan.py).

They are written straight into the tables (as bench/dataset.py writes its holders) and
tagged by their statuses' `source`; `remove_run` takes them out again with every sale,
audit row, change event, idempotency key and settlement sum the run's client made, so the
database is left as it was found and the next run measures the same database.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import asyncpg

from app.domain.cards import new_card_number

# An adult on every activity date: no age reduction competes with the kansentarief.
BIRTH_DATE = date(1980, 6, 15)


@dataclass(frozen=True, slots=True)
class Home:
    region_id: str
    municipality_nis: str
    postal_code: str


def source_tag(tag: str) -> str:
    return f"bench-floor:{tag}"


async def home_of_partner(connection: asyncpg.Connection, offer_id: str) -> Home:
    """The region and municipality of the offer's partner (funding may follow residence)."""
    row = await connection.fetchrow(
        """
        SELECT p.region_id::text AS region_id, p.municipality_nis,
               (SELECT min(postal_code) FROM municipality_postal_codes
                WHERE nis_code = p.municipality_nis) AS postal_code
        FROM offers o JOIN partners p ON p.id = o.partner_id
        WHERE o.id = $1
        """,
        uuid.UUID(offer_id),
    )
    if row is None or row["postal_code"] is None:
        raise RuntimeError(f"offer {offer_id}: no partner municipality with a postal code")
    return Home(row["region_id"], row["municipality_nis"], row["postal_code"])


async def _free_card_numbers(connection: asyncpg.Connection, count: int) -> list[str]:
    numbers: set[str] = set()
    while len(numbers) < count:
        wanted = {new_card_number() for _ in range(count - len(numbers))}
        taken = await connection.fetch(
            "SELECT number FROM cards WHERE number = ANY($1::text[])", list(wanted)
        )
        numbers |= wanted - {row["number"] for row in taken}
    return sorted(numbers)


async def create_holders(
    connection: asyncpg.Connection, home: Home, count: int, tag: str, today: date
) -> list[str]:
    """`count` fresh holders living at `home`, each with an active card and a kansenstatuut
    of its region; their card numbers."""
    if count <= 0:
        return []
    now = datetime.now(UTC)
    ids = [uuid.uuid4() for _ in range(count)]
    numbers = await _free_card_numbers(connection, count)
    region = uuid.UUID(home.region_id)
    async with connection.transaction():
        await connection.execute(
            """
            INSERT INTO passholders (id, region_id, first_name, last_name, name_key, birth_date,
                                     postal_code, municipality_nis, created_at, updated_at)
            SELECT t.id, $2, 'Floor', 'Bench', 'floor bench ' || $3 || ' ' || t.id, $4, $5,
                   $6, $7, $7
            FROM unnest($1::uuid[]) AS t(id)
            """,
            ids,
            region,
            tag,
            BIRTH_DATE,
            home.postal_code,
            home.municipality_nis,
            now,
        )
        await connection.execute(
            """
            INSERT INTO cards (number, passholder_id, region_id, status, issued_at)
            SELECT t.number, t.id, $3, 'active', $4
            FROM unnest($1::text[], $2::uuid[]) AS t(number, id)
            """,
            numbers,
            ids,
            region,
            now,
        )
        await connection.execute(
            """
            INSERT INTO entitlements (id, passholder_id, type, region_id, valid_from,
                                      valid_until, evidence, source, created_at, updated_at)
            SELECT gen_random_uuid(), t.id, 'kansenstatuut', $2, $3, $4, 'bench/floor', $5,
                   $6, $6
            FROM unnest($1::uuid[]) AS t(id)
            """,
            ids,
            region,
            today - timedelta(days=30),
            today + timedelta(days=365),
            source_tag(tag),
            now,
        )
    return numbers


# A run's sales leave the monthly settlement sums as if they had never been made: the
# same sums app.db.settlement adds for a confirmed sale, taken off again.
_TAKE_OFF_PAYER_SUMS = """
INSERT INTO settlement_payer_months AS s (partner_id, month, scheme_code, funded_scheme_code,
    payer, payer_ref, lines, tickets, regular_cents, paid_cents, amount_cents)
SELECT sa.partner_id, date_trunc('month', i.counted_on::timestamp)::date, i.scheme_code,
       f.scheme_code, f.payer, coalesce(f.payer_ref, ''), -count(*), -sum(i.quantity),
       -sum(i.regular_price_cents * i.quantity), -sum(i.total_cents), -sum(f.amount_cents)
FROM sale_item_funding f
JOIN sale_items i ON i.id = f.sale_item_id
JOIN sales sa ON sa.id = i.sale_id
WHERE sa.client_id = $1 AND i.counted_on IS NOT NULL
GROUP BY 1, 2, 3, 4, 5, 6
ON CONFLICT (partner_id, month, scheme_code, funded_scheme_code, payer, payer_ref)
DO UPDATE SET lines = s.lines + excluded.lines, tickets = s.tickets + excluded.tickets,
    regular_cents = s.regular_cents + excluded.regular_cents,
    paid_cents = s.paid_cents + excluded.paid_cents,
    amount_cents = s.amount_cents + excluded.amount_cents
"""

_TAKE_OFF_SCHEME_SUMS = """
INSERT INTO settlement_scheme_months AS s (partner_id, month, scheme_code, lines, tickets,
    regular_cents, paid_cents, discount_cents)
SELECT sa.partner_id, date_trunc('month', i.counted_on::timestamp)::date, i.scheme_code,
       -count(*), -sum(i.quantity), -sum(i.regular_price_cents * i.quantity),
       -sum(i.total_cents), -sum(i.discount_cents * i.quantity)
FROM sale_items i
JOIN sales sa ON sa.id = i.sale_id
WHERE sa.client_id = $1 AND i.counted_on IS NOT NULL
GROUP BY 1, 2, 3
ON CONFLICT (partner_id, month, scheme_code)
DO UPDATE SET lines = s.lines + excluded.lines, tickets = s.tickets + excluded.tickets,
    regular_cents = s.regular_cents + excluded.regular_cents,
    paid_cents = s.paid_cents + excluded.paid_cents,
    discount_cents = s.discount_cents + excluded.discount_cents
"""


@dataclass(frozen=True, slots=True)
class Removed:
    sales: int
    holders: int


async def remove_run(connection: asyncpg.Connection, client_id: str, tag: str) -> Removed:
    """Everything the run's client wrote (sales with their lines, funding and usage, the
    settlement sums, change events, audit rows, idempotency keys, the client itself) and
    the run's holders with their cards, statuses and usage counters, in one transaction."""
    async with connection.transaction():
        holders = [
            row["passholder_id"]
            for row in await connection.fetch(
                "SELECT passholder_id FROM entitlements WHERE source = $1", source_tag(tag)
            )
        ]
        partners = [
            row["partner_id"]
            for row in await connection.fetch(
                "SELECT DISTINCT partner_id FROM sales WHERE client_id = $1", client_id
            )
        ]
        await connection.execute(_TAKE_OFF_PAYER_SUMS, client_id)
        await connection.execute(_TAKE_OFF_SCHEME_SUMS, client_id)
        # A row at 0 in every sum stands for no lines (app/db/tables.py): drop those the run
        # left behind, as if its sales had never been.
        for table, last in (
            ("settlement_payer_months", "amount_cents"),
            ("settlement_scheme_months", "discount_cents"),
        ):
            await connection.execute(
                f"DELETE FROM {table} WHERE partner_id = ANY($1::uuid[]) AND lines = 0 "
                f"AND tickets = 0 AND regular_cents = 0 AND paid_cents = 0 AND {last} = 0",
                partners,
            )
        await connection.execute(
            "DELETE FROM change_events WHERE entity_id IN "
            "(SELECT id::text FROM sales WHERE client_id = $1)",
            client_id,
        )
        sales = await connection.fetchval(
            "WITH gone AS (DELETE FROM sales WHERE client_id = $1 RETURNING 1) "
            "SELECT count(*) FROM gone",
            client_id,
        )
        await connection.execute("DELETE FROM idempotency_keys WHERE client_id = $1", client_id)
        await connection.execute("DELETE FROM audit_log WHERE client_id = $1", client_id)
        for statement in (
            "DELETE FROM usage_counters WHERE passholder_id = ANY($1::uuid[])",
            "DELETE FROM audit_log WHERE passholder_id = ANY($1::uuid[])",
            "DELETE FROM entitlements WHERE passholder_id = ANY($1::uuid[])",
            "DELETE FROM cards WHERE passholder_id = ANY($1::uuid[])",
            "DELETE FROM passholders WHERE id = ANY($1::uuid[])",
        ):
            await connection.execute(statement, holders)
        await connection.execute("DELETE FROM api_clients WHERE client_id = $1", client_id)
    return Removed(int(sales), len(holders))
