"""group cards and ticket requests

A group card (groepspas, `group_cards`) belongs to an organisation, not a person; its
number has the format of a person's card (13 digits, a Luhn check digit) and is drawn from
the same space. A ticket request (ticketaanvraag, `ticket_requests`) is an organisation
asking a partner for tickets on one of its allocations; the partner accepts (a sale) or
declines, the organisation may withdraw.

A sale line may now be an organisation's: on its group card (`card_number` set, no
passholder) or for an accepted ticket request (no card), with `sale_items.organisation_id`
and the `allocation_id` its tickets came out of. `openpas_register_sale` takes such a
line's tickets from its allocation in the claims' loop (a claim on bucket
`allocation:tickets`, whose owner is the allocation: `UPDATE allocations SET tickets_used =
tickets_used + n WHERE tickets_used + n <= tickets`, the row vouchers take theirs from), and
refuses the sale with outcome `allocation-exhausted` when it has not enough left; it writes
the two new columns. Replaced here; the downgrade restores the body of 9a3f6c2d1e87 and
removes the organisations' lines (a schema without them cannot hold them).

Revision ID: b14dc9eb5556
Revises: 6c089a0e40b8
Create Date: 2026-12-04 20:20:00
"""

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

import sqlalchemy as sa
from alembic import op

revision: str = "b14dc9eb5556"
down_revision: str | None = "6c089a0e40b8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# app.domain.groups.ALLOCATION_BUCKET
ALLOCATION_BUCKET = "allocation:tickets"

_OLD_BEARER = (
    "(passholder_id IS NOT NULL AND card_number IS NOT NULL AND voucher_id IS NULL)"
    " OR (passholder_id IS NULL AND card_number IS NULL AND voucher_id IS NOT NULL)"
)
_NEW_BEARER = (
    "(passholder_id IS NOT NULL AND card_number IS NOT NULL AND voucher_id IS NULL"
    " AND organisation_id IS NULL)"
    " OR (passholder_id IS NULL AND card_number IS NULL AND voucher_id IS NOT NULL"
    " AND organisation_id IS NULL)"
    " OR (passholder_id IS NULL AND voucher_id IS NULL AND organisation_id IS NOT NULL"
    " AND allocation_id IS NOT NULL)"
)


def _revision(rev: str) -> ModuleType:
    [path] = Path(__file__).parent.glob(f"*-{rev}_*.py")
    spec = importlib.util.spec_from_file_location(rev, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _register_sale_before() -> str:
    """openpas_register_sale as 9a3f6c2d1e87 left it (`CREATE OR REPLACE`)."""
    body: str = _revision("9a3f6c2d1e87").register_sale()
    return body


_CHANGES = (
    # The allocation's claim: on the allocation's row, checked and counted at once.
    (
        "        IF (v_claim.max_tickets IS NULL OR v_claim.tickets <= v_claim.max_tickets)\n",
        f"""        IF v_claim.bucket_key = '{ALLOCATION_BUCKET}' THEN
            -- An organisation's tickets come out of its allocation, the row its vouchers
            -- take theirs from too, so one quota holds for both, whatever runs at once.
            UPDATE allocations a SET tickets_used = a.tickets_used + v_claim.tickets
            WHERE a.id = v_claim.passholder_id
              AND a.tickets_used + v_claim.tickets <= a.tickets
            RETURNING true INTO v_claimed;
        ELSIF (v_claim.max_tickets IS NULL OR v_claim.tickets <= v_claim.max_tickets)
""",
    ),
    (
        "            outcome := CASE\n",
        "            outcome := CASE\n"
        f"                WHEN v_claim.bucket_key = '{ALLOCATION_BUCKET}'"
        " THEN 'allocation-exhausted'\n",
    ),
    # A refused sale gives back the allocations' tickets it claimed so far too.
    (
        "            WHERE u.passholder_id = t.passholder_id AND u.bucket_key = t.bucket_key;\n",
        f"""            WHERE u.passholder_id = t.passholder_id AND u.bucket_key = t.bucket_key;
            UPDATE allocations a SET tickets_used = a.tickets_used - t.tickets
            FROM (
                SELECT c.passholder_id, sum(c.tickets) AS tickets
                FROM unnest(v_holders, v_buckets, v_tickets)
                     AS c(passholder_id, bucket_key, tickets)
                WHERE c.bucket_key = '{ALLOCATION_BUCKET}'
                GROUP BY c.passholder_id
            ) t
            WHERE a.id = t.passholder_id;
""",
    ),
    (
        "companion_of, voucher_id)\n    SELECT",
        "companion_of, voucher_id, organisation_id,\n"
        "                            allocation_id)\n    SELECT",
    ),
    (
        "i.companion_of, i.voucher_id\n",
        "i.companion_of, i.voucher_id, i.organisation_id,\n           i.allocation_id\n",
    ),
    (
        "companion_of uuid, voucher_id uuid);",
        "companion_of uuid, voucher_id uuid, organisation_id uuid, allocation_id uuid);",
    ),
)


def register_sale() -> str:
    """openpas_register_sale with allocation claims and an organisation's lines."""
    text = _register_sale_before()
    for old, new in _CHANGES:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


def upgrade() -> None:
    op.create_table(
        "group_cards",
        sa.Column("number", sa.String(length=13), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_by", sa.String(length=64), nullable=False),
        sa.Column("blocked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("block_reason", sa.String(length=10), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_group_cards_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("number", name=op.f("pk_group_cards")),
    )
    op.create_index(
        op.f("ix_group_cards_organisation_id"), "group_cards", ["organisation_id"], unique=False
    )
    op.create_table(
        "ticket_requests",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("allocation_id", sa.Uuid(), nullable=False),
        sa.Column("offer_id", sa.Uuid(), nullable=False),
        sa.Column("partner_id", sa.Uuid(), nullable=False),
        sa.Column("price_class", sa.String(length=40), nullable=False),
        sa.Column("tickets", sa.Integer(), nullable=False),
        sa.Column("note", sa.String(length=1000), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("requested_by", sa.String(length=64), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.String(length=1000), nullable=True),
        sa.Column("sale_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["allocation_id"],
            ["allocations.id"],
            name=op.f("fk_ticket_requests_allocation_id_allocations"),
        ),
        sa.ForeignKeyConstraint(
            ["offer_id"], ["offers.id"], name=op.f("fk_ticket_requests_offer_id_offers")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_ticket_requests_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partners.id"], name=op.f("fk_ticket_requests_partner_id_partners")
        ),
        sa.ForeignKeyConstraint(
            ["sale_id"], ["sales.id"], name=op.f("fk_ticket_requests_sale_id_sales")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_requests")),
    )
    op.create_index(
        op.f("ix_ticket_requests_organisation_id"),
        "ticket_requests",
        ["organisation_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_ticket_requests_partner_id"), "ticket_requests", ["partner_id"], unique=False
    )
    op.add_column("sale_items", sa.Column("organisation_id", sa.Uuid(), nullable=True))
    op.add_column("sale_items", sa.Column("allocation_id", sa.Uuid(), nullable=True))
    op.create_foreign_key(
        op.f("fk_sale_items_organisation_id_organisations"),
        "sale_items",
        "organisations",
        ["organisation_id"],
        ["id"],
    )
    op.create_foreign_key(
        op.f("fk_sale_items_allocation_id_allocations"),
        "sale_items",
        "allocations",
        ["allocation_id"],
        ["id"],
    )
    op.create_index(
        op.f("ix_sale_items_allocation_id"), "sale_items", ["allocation_id"], unique=False
    )
    op.drop_constraint(op.f("ck_sale_items_one_bearer"), "sale_items", type_="check")
    op.create_check_constraint(op.f("ck_sale_items_one_bearer"), "sale_items", _NEW_BEARER)
    op.execute(register_sale())


def downgrade() -> None:
    op.execute(_register_sale_before())
    # A schema without organisations' lines cannot hold them (nor the sales left without
    # a line); their tickets go back to the allocations they came out of.
    op.execute(
        """
        UPDATE allocations a SET tickets_used = a.tickets_used - t.tickets
        FROM (SELECT u.passholder_id, sum(u.tickets) AS tickets FROM sale_usage u
              JOIN sale_items i ON i.id = u.sale_item_id
              JOIN sales s ON s.id = i.sale_id
              WHERE u.bucket_key = 'allocation:tickets' AND s.status IN ('confirmed', 'held')
              GROUP BY u.passholder_id) t
        WHERE a.id = t.passholder_id
        """
    )
    op.execute("DROP TABLE ticket_requests")
    op.execute("DELETE FROM sale_items WHERE organisation_id IS NOT NULL")
    op.execute(
        "DELETE FROM idempotency_keys k WHERE NOT EXISTS"
        " (SELECT 1 FROM sale_items i WHERE i.sale_id = k.sale_id)"
    )
    op.execute(
        "DELETE FROM sales s WHERE NOT EXISTS (SELECT 1 FROM sale_items i WHERE i.sale_id = s.id)"
    )
    op.execute("DELETE FROM usage_counters WHERE passholder_id IN (SELECT id FROM organisations)")
    op.drop_constraint(op.f("ck_sale_items_one_bearer"), "sale_items", type_="check")
    op.create_check_constraint(op.f("ck_sale_items_one_bearer"), "sale_items", _OLD_BEARER)
    op.drop_index(op.f("ix_sale_items_allocation_id"), table_name="sale_items")
    op.drop_constraint(
        op.f("fk_sale_items_allocation_id_allocations"), "sale_items", type_="foreignkey"
    )
    op.drop_constraint(
        op.f("fk_sale_items_organisation_id_organisations"), "sale_items", type_="foreignkey"
    )
    op.drop_column("sale_items", "allocation_id")
    op.drop_column("sale_items", "organisation_id")
    op.drop_index(op.f("ix_group_cards_organisation_id"), table_name="group_cards")
    op.drop_table("group_cards")
