"""a sale in one statement

A sale's writes go to PostgreSQL as one call of `openpas_register_sale`: its idempotency
key, the claims on every usage counter it needs, the sale with its lines, their funding and
usage, the settlement sums of a sale written confirmed (`openpas_settle_sale`, which
confirmations and cancellations call too), the change event and the audit row.
The service reads and prices first; the function only writes what the service decided, and
answers which claim was refused when a limit or budget no longer allows the sale.

An idempotency key now keeps the id of the sale it made, not a rendered answer: a retry
reads that sale and is answered as a read of it would be. The upgrade takes each key's sale
id from the answer it stored (every stored answer was a 201 with the sale's `id`); a key
still marked in progress belonged to a request that died, and goes. The downgrade renders
the answers again from the sales, as they are now.

Revision ID: f44834c06b64
Revises: 8c3d5e2f9a14
Create Date: 2026-11-28 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "f44834c06b64"
down_revision: str | None = "8c3d5e2f9a14"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# `p_sale` is the sale as the service computed it:
#   {"sale": {"id", "partner_id", "status", "created_at", "hold_expires_at", "confirmed_at"},
#    "lines": [{"id", "passholder_id", "card_number", "offer_id", "price_class",
#               "municipality_nis", "scheme_code", "scheme_version", "parts", "label",
#               "quantity", "regular_price_cents", "unit_price_cents", "total_cents",
#               "discount_cents", "activity_date", "counted_on", "companion_of"}],
#    "funding": [{"sale_item_id", "scheme_code", "payer", "payer_ref", "amount_cents"}],
#    "claims": [{"item", "sale_item_id", "passholder_id", "bucket_key", "tickets",
#                "discount_cents", "max_tickets", "max_discount_cents"}],
#    "reads": [{"passholder_id", "region_id"}], "action",
#    "event": {"region_id", "kind", "entity_id", "data"}}
# `outcome` is 'sold'; 'replay' or 'key-reused' when the key was taken by a sale that
# committed (`first_sale_id`); 'limit-reached' or 'budget-exhausted' for the claim of the
# request's item `item_index` that its counter refused. Only 'sold' leaves anything behind.
# The one definition of how a sale's lines enter the monthly settlement sums (+1: in the
# months of their `counted_on`, when the sale counts) or leave them (−1: in the months of
# their `uncounted_on`, when a confirmed sale is cancelled): called by openpas_register_sale
# for a sale written confirmed and by app.db.settlement.add_sale for a confirmation or a
# cancellation. Rows are locked in key order, payer sums before scheme sums, in every
# transaction, so two sales at one partner wait for each other instead of deadlocking.
SETTLE_SALE = """
CREATE FUNCTION openpas_settle_sale(p_sale_id uuid, p_sign integer) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF p_sign NOT IN (1, -1) THEN
        RAISE EXCEPTION 'a sale is added (+1) or taken off (-1), not %', p_sign;
    END IF;
    INSERT INTO settlement_payer_months AS m (partner_id, month, scheme_code,
        funded_scheme_code, payer, payer_ref, lines, tickets, regular_cents, paid_cents,
        amount_cents)
    SELECT s.partner_id,
           CAST(date_trunc('month', CAST(CASE WHEN p_sign = 1 THEN i.counted_on
                                              ELSE i.uncounted_on END AS timestamp)) AS date),
           i.scheme_code, f.scheme_code, f.payer, coalesce(f.payer_ref, ''),
           p_sign * count(*), p_sign * sum(i.quantity),
           p_sign * sum(i.regular_price_cents * i.quantity), p_sign * sum(i.total_cents),
           p_sign * sum(f.amount_cents)
    FROM sale_item_funding f
    JOIN sale_items i ON i.id = f.sale_item_id
    JOIN sales s ON s.id = i.sale_id
    WHERE s.id = p_sale_id
    GROUP BY 1, 2, 3, 4, 5, 6
    ORDER BY 1, 2, 3, 4, 5, 6
    ON CONFLICT (partner_id, month, scheme_code, funded_scheme_code, payer, payer_ref)
    DO UPDATE SET lines = m.lines + excluded.lines, tickets = m.tickets + excluded.tickets,
                  regular_cents = m.regular_cents + excluded.regular_cents,
                  paid_cents = m.paid_cents + excluded.paid_cents,
                  amount_cents = m.amount_cents + excluded.amount_cents;
    INSERT INTO settlement_scheme_months AS m (partner_id, month, scheme_code, lines,
        tickets, regular_cents, paid_cents, discount_cents)
    SELECT s.partner_id,
           CAST(date_trunc('month', CAST(CASE WHEN p_sign = 1 THEN i.counted_on
                                              ELSE i.uncounted_on END AS timestamp)) AS date),
           i.scheme_code, p_sign * count(*), p_sign * sum(i.quantity),
           p_sign * sum(i.regular_price_cents * i.quantity), p_sign * sum(i.total_cents),
           p_sign * sum(i.discount_cents * i.quantity)
    FROM sale_items i
    JOIN sales s ON s.id = i.sale_id
    WHERE s.id = p_sale_id
    GROUP BY 1, 2, 3
    ORDER BY 1, 2, 3
    ON CONFLICT (partner_id, month, scheme_code)
    DO UPDATE SET lines = m.lines + excluded.lines, tickets = m.tickets + excluded.tickets,
                  regular_cents = m.regular_cents + excluded.regular_cents,
                  paid_cents = m.paid_cents + excluded.paid_cents,
                  discount_cents = m.discount_cents + excluded.discount_cents;
END
$$
"""

REGISTER_SALE = """
CREATE FUNCTION openpas_register_sale(
    p_client_id text, p_key text, p_request_hash text, p_sale jsonb,
    OUT outcome text, OUT item_index integer, OUT first_sale_id uuid
) LANGUAGE plpgsql AS $$
DECLARE
    v_sale_id uuid := (p_sale #>> '{sale,id}')::uuid;
    v_now timestamptz := (p_sale #>> '{sale,created_at}')::timestamptz;
    v_held_until timestamptz := (p_sale #>> '{sale,hold_expires_at}')::timestamptz;
    v_claim record;
    v_first record;
    v_claimed boolean;
    v_used integer;
    -- The claims made so far, to give back if a later one is refused.
    v_holders uuid[] := '{}';
    v_buckets text[] := '{}';
    v_tickets integer[] := '{}';
    v_discounts integer[] := '{}';
BEGIN
    -- The key first: a concurrent request with the same key waits here, on the key's
    -- unique index, until this transaction ends, and then replays this sale (or, if this
    -- one rolled back, makes its own). Never two sales for one key.
    LOOP
        INSERT INTO idempotency_keys (client_id, key, request_hash, sale_id, created_at)
        VALUES (p_client_id, p_key, p_request_hash, v_sale_id, v_now)
        ON CONFLICT (client_id, key) DO NOTHING;
        EXIT WHEN FOUND;
        SELECT k.request_hash, k.sale_id INTO v_first
        FROM idempotency_keys k WHERE k.client_id = p_client_id AND k.key = p_key;
        IF FOUND THEN
            outcome := CASE WHEN v_first.request_hash = p_request_hash
                            THEN 'replay' ELSE 'key-reused' END;
            first_sale_id := v_first.sale_id;
            RETURN;
        END IF;
    END LOOP;

    -- Every claim checks its maxima and changes its counter in one statement, against the
    -- row as it is once this transaction holds its lock, so no two sales overspend a limit
    -- whatever runs at once. In one order for every sale (holder, bucket, then item: two
    -- lines on one bucket claim in the order they were asked), so two sales never wait for
    -- each other's counters the other way round.
    FOR v_claim IN
        SELECT c.* FROM jsonb_to_recordset(p_sale -> 'claims') AS c(
            item integer, passholder_id uuid, bucket_key text, tickets integer,
            discount_cents integer, max_tickets integer, max_discount_cents integer)
        ORDER BY c.passholder_id, c.bucket_key, c.item
    LOOP
        v_claimed := false;
        -- A claim beyond its maxima on its own is refused here: a new counter is inserted
        -- unchecked.
        IF (v_claim.max_tickets IS NULL OR v_claim.tickets <= v_claim.max_tickets)
           AND (v_claim.max_discount_cents IS NULL
                OR v_claim.discount_cents <= v_claim.max_discount_cents) THEN
            INSERT INTO usage_counters AS u (passholder_id, bucket_key, tickets, discount_cents)
            VALUES (v_claim.passholder_id, v_claim.bucket_key, v_claim.tickets,
                    v_claim.discount_cents)
            ON CONFLICT (passholder_id, bucket_key) DO UPDATE
            SET tickets = u.tickets + excluded.tickets,
                discount_cents = u.discount_cents + excluded.discount_cents
            WHERE (v_claim.max_tickets IS NULL
                   OR u.tickets + excluded.tickets <= v_claim.max_tickets)
              AND (v_claim.max_discount_cents IS NULL
                   OR u.discount_cents + excluded.discount_cents <= v_claim.max_discount_cents)
            RETURNING true INTO v_claimed;
        END IF;
        IF NOT coalesce(v_claimed, false) THEN
            SELECT u.tickets INTO v_used FROM usage_counters u
            WHERE u.passholder_id = v_claim.passholder_id AND u.bucket_key = v_claim.bucket_key;
            outcome := CASE
                WHEN v_claim.max_tickets IS NOT NULL
                     AND coalesce(v_used, 0) + v_claim.tickets > v_claim.max_tickets
                THEN 'limit-reached' ELSE 'budget-exhausted' END;
            item_index := v_claim.item;
            -- Nothing of a refused sale stays, even in a transaction that goes on: the
            -- claims made so far are given back and the key is free again.
            UPDATE usage_counters u
            SET tickets = u.tickets - t.tickets, discount_cents = u.discount_cents - t.discount
            FROM (
                SELECT c.passholder_id, c.bucket_key, sum(c.tickets) AS tickets,
                       sum(c.discount_cents) AS discount
                FROM unnest(v_holders, v_buckets, v_tickets, v_discounts)
                     AS c(passholder_id, bucket_key, tickets, discount_cents)
                GROUP BY c.passholder_id, c.bucket_key
            ) t
            WHERE u.passholder_id = t.passholder_id AND u.bucket_key = t.bucket_key;
            DELETE FROM idempotency_keys WHERE client_id = p_client_id AND key = p_key;
            RETURN;
        END IF;
        v_holders := v_holders || v_claim.passholder_id;
        v_buckets := v_buckets || v_claim.bucket_key;
        v_tickets := v_tickets || v_claim.tickets;
        v_discounts := v_discounts || v_claim.discount_cents;
    END LOOP;

    INSERT INTO sales (id, partner_id, client_id, status, created_at, hold_expires_at,
                       confirmed_at)
    SELECT v_sale_id, s.partner_id, p_client_id, s.status, v_now, v_held_until,
           s.confirmed_at
    FROM jsonb_to_record(p_sale -> 'sale') AS s(
        partner_id uuid, status text, confirmed_at timestamptz);

    INSERT INTO sale_items (id, sale_id, passholder_id, card_number, offer_id, price_class,
                            municipality_nis, scheme_code, scheme_version, parts, label,
                            quantity, regular_price_cents, unit_price_cents, total_cents,
                            discount_cents, activity_date, counted_on, companion_of)
    SELECT i.id, v_sale_id, i.passholder_id, i.card_number, i.offer_id, i.price_class,
           i.municipality_nis, i.scheme_code, i.scheme_version, i.parts, i.label,
           i.quantity, i.regular_price_cents, i.unit_price_cents, i.total_cents,
           i.discount_cents, i.activity_date, i.counted_on, i.companion_of
    FROM jsonb_to_recordset(p_sale -> 'lines') AS i(
        id uuid, passholder_id uuid, card_number text, offer_id uuid, price_class text,
        municipality_nis text, scheme_code text, scheme_version integer, parts json,
        label text, quantity integer, regular_price_cents integer, unit_price_cents integer,
        total_cents integer, discount_cents integer, activity_date date, counted_on date,
        companion_of uuid);

    -- In the order given: a line's funding is read back in the order of its ids.
    INSERT INTO sale_item_funding (sale_item_id, scheme_code, payer, payer_ref, amount_cents)
    SELECT (f.value ->> 'sale_item_id')::uuid, f.value ->> 'scheme_code',
           f.value ->> 'payer', f.value ->> 'payer_ref', (f.value ->> 'amount_cents')::integer
    FROM jsonb_array_elements(p_sale -> 'funding') WITH ORDINALITY AS f(value, n)
    ORDER BY f.n;

    -- A hold's usage carries its expiry, so a lapsed hold stops counting by itself.
    INSERT INTO sale_usage (sale_item_id, passholder_id, bucket_key, tickets, discount_cents,
                            held_until)
    SELECT c.sale_item_id, c.passholder_id, c.bucket_key, c.tickets, c.discount_cents,
           v_held_until
    FROM jsonb_to_recordset(p_sale -> 'claims') AS c(
        sale_item_id uuid, passholder_id uuid, bucket_key text, tickets integer,
        discount_cents integer);

    -- A sale written confirmed counts in the settlement sums from its lines' `counted_on`.
    IF p_sale #>> '{sale,status}' = 'confirmed' THEN
        PERFORM openpas_settle_sale(v_sale_id, 1);
    END IF;

    -- The transaction's id orders the change feed (app.db.changes).
    INSERT INTO change_events (txid, region_id, kind, entity_id, data, occurred_at)
    SELECT pg_current_xact_id()::text::bigint, e.region_id, e.kind, e.entity_id, e.data, v_now
    FROM jsonb_to_record(p_sale -> 'event') AS e(
        region_id uuid, kind text, entity_id text, data json);

    INSERT INTO audit_log (at, client_id, action, passholder_id, region_id)
    SELECT v_now, p_client_id, p_sale ->> 'action', r.passholder_id, r.region_id
    FROM jsonb_to_recordset(p_sale -> 'reads') AS r(passholder_id uuid, region_id uuid);

    outcome := 'sold';
    first_sale_id := v_sale_id;
END
$$
"""

# A timestamp as the API renders one (pydantic: UTC, 'Z', microseconds only when not 0).
_ISO = """(CASE WHEN extract(microseconds FROM {0}) % 1000000 = 0
    THEN to_char({0} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
    ELSE to_char({0} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') END)"""

# The answer the older code stored for a key: the sale as POST /v1/sales renders it.
_RENDERED_SALE = f"""
json_build_object(
    'id', s.id, 'partner_id', s.partner_id, 'status', s.status,
    'created_at', {_ISO.format("s.created_at")},
    'hold_expires_at', {_ISO.format("s.hold_expires_at")},
    'confirmed_at', {_ISO.format("s.confirmed_at")},
    'cancelled_at', {_ISO.format("s.cancelled_at")},
    'total_cents', (SELECT coalesce(sum(i.total_cents), 0) FROM sale_items i
                    WHERE i.sale_id = s.id),
    'items', coalesce((
        SELECT json_agg(json_build_object(
            'id', i.id, 'card_number', i.card_number, 'offer_id', i.offer_id,
            'price_class', i.price_class, 'scheme_code', i.scheme_code,
            'scheme_version', i.scheme_version, 'label', i.label,
            'regular_price_cents', i.regular_price_cents,
            'unit_price_cents', i.unit_price_cents, 'discount_cents', i.discount_cents,
            'quantity', i.quantity, 'total_cents', i.total_cents,
            'activity_date', i.activity_date,
            'funding', coalesce((
                SELECT json_agg(json_build_object(
                    'payer', f.payer, 'scheme_code', f.scheme_code,
                    'amount_cents', f.amount_cents) ORDER BY f.id)
                FROM sale_item_funding f WHERE f.sale_item_id = i.id), '[]'::json),
            'companion_of', i.companion_of) ORDER BY i.id)
        FROM sale_items i WHERE i.sale_id = s.id), '[]'::json))
"""


def upgrade() -> None:
    op.add_column("idempotency_keys", sa.Column("sale_id", sa.Uuid(), nullable=True))
    op.execute(
        """
        UPDATE idempotency_keys k SET sale_id = s.id
        FROM sales s
        WHERE k.state = 'done'
          AND k.response_body ->> 'id' ~* '^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$'
          AND s.id = (k.response_body ->> 'id')::uuid
        """
    )
    op.execute("DELETE FROM idempotency_keys WHERE sale_id IS NULL")
    op.alter_column("idempotency_keys", "sale_id", nullable=False)
    # Checked at commit: the function writes the key before the sale it names, so that a
    # concurrent request with the same key waits on the key before it claims anything.
    op.create_foreign_key(
        op.f("fk_idempotency_keys_sale_id_sales"),
        "idempotency_keys",
        "sales",
        ["sale_id"],
        ["id"],
        deferrable=True,
        initially="DEFERRED",
    )
    op.drop_column("idempotency_keys", "response_body")
    op.drop_column("idempotency_keys", "response_status")
    op.drop_column("idempotency_keys", "state")
    op.execute(SETTLE_SALE)
    op.execute(REGISTER_SALE)


def downgrade() -> None:
    op.execute("DROP FUNCTION openpas_register_sale(text, text, text, jsonb)")
    op.execute("DROP FUNCTION IF EXISTS openpas_settle_sale(uuid, integer)")
    op.add_column("idempotency_keys", sa.Column("state", sa.String(12), nullable=True))
    op.add_column("idempotency_keys", sa.Column("response_status", sa.Integer(), nullable=True))
    op.add_column("idempotency_keys", sa.Column("response_body", sa.JSON(), nullable=True))
    op.execute(
        f"""
        UPDATE idempotency_keys k
        SET state = 'done', response_status = 201, response_body = {_RENDERED_SALE}
        FROM sales s WHERE s.id = k.sale_id
        """
    )
    op.alter_column("idempotency_keys", "state", nullable=False)
    op.drop_constraint(
        op.f("fk_idempotency_keys_sale_id_sales"), "idempotency_keys", type_="foreignkey"
    )
    op.drop_column("idempotency_keys", "sale_id")
