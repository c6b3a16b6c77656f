"""The self-check: row counts, and in SQL the identities the service keeps (funding adds up
to the discount, amounts agree, counters equal the usage of confirmed sales and live holds,
held usage marks live holds), stored schemes, active cards, usable sample statuses."""

from __future__ import annotations

import uuid

import asyncpg

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
