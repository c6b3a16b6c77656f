"""organisations, allocations and vouchers

Social organisations, associations and schools of a region (`organisations`), the grant
role `organisation` on one of them (`client_grants.organisation_id`), their yearly ticket
quotas (`allocations`), the anonymous vouchers issued from those (`vouchers`) and visits to
free activities (`checkins`). A sale line is now sold on a card or on a voucher
(`sale_items.voucher_id`; `passholder_id`, `card_number` and `municipality_nis` are empty
on a voucher's line), so `openpas_register_sale` writes `voucher_id` too: replaced here,
its former body restored on downgrade. The downgrade removes voucher lines (a schema
without vouchers cannot hold them).

Revision ID: b7e1c4a9d2f3
Revises: f44834c06b64
Create Date: 2026-12-03 18:00:00
"""

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

import sqlalchemy as sa
from alembic import op

revision: str = "b7e1c4a9d2f3"
down_revision: str | None = "f44834c06b64"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _sale_in_one_statement() -> ModuleType:
    """The revision that created openpas_register_sale: its body is the one restored."""
    [path] = Path(__file__).parent.glob("*-f44834c06b64_*.py")
    spec = importlib.util.spec_from_file_location("f44834c06b64", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _register_sale(body: str, *, with_voucher: bool) -> str:
    """openpas_register_sale as `CREATE OR REPLACE`, writing each line's `voucher_id` when
    `with_voucher` (the same signature, so it replaces the function in place)."""
    text = body.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1)
    if not with_voucher:
        return text
    changes = (
        (
            "discount_cents, activity_date, counted_on, companion_of)\n    SELECT",
            "discount_cents, activity_date, counted_on, companion_of, voucher_id)\n    SELECT",
        ),
        (
            "i.discount_cents, i.activity_date, i.counted_on, i.companion_of\n",
            "i.discount_cents, i.activity_date, i.counted_on, i.companion_of, i.voucher_id\n",
        ),
        (
            "companion_of uuid);",
            "companion_of uuid, voucher_id uuid);",
        ),
    )
    for old, new in changes:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


def upgrade() -> None:
    op.create_table(
        "organisations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("region_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id"], ["regions.id"], name=op.f("fk_organisations_region_id_regions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisations")),
    )
    op.create_index(
        op.f("ix_organisations_region_id"), "organisations", ["region_id"], unique=False
    )
    op.create_table(
        "allocations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("scheme_code", sa.String(length=64), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("tickets", sa.Integer(), nullable=False),
        sa.Column("tickets_used", sa.Integer(), server_default="0", nullable=False),
        sa.Column("budget_cents", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.CheckConstraint(
            "tickets_used >= 0 AND tickets_used <= tickets",
            name=op.f("ck_allocations_within_quota"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_allocations_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_allocations")),
    )
    op.create_index(
        op.f("ix_allocations_organisation_id"), "allocations", ["organisation_id"], unique=False
    )
    op.create_table(
        "vouchers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("allocation_id", sa.Uuid(), nullable=False),
        sa.Column("people", sa.Integer(), nullable=False),
        sa.Column("offer_id", sa.Uuid(), nullable=True),
        sa.Column("partner_id", sa.Uuid(), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_by", sa.String(length=64), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("tickets_returned", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["allocation_id"], ["allocations.id"], name=op.f("fk_vouchers_allocation_id_allocations")
        ),
        sa.ForeignKeyConstraint(
            ["offer_id"], ["offers.id"], name=op.f("fk_vouchers_offer_id_offers")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_vouchers_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partners.id"], name=op.f("fk_vouchers_partner_id_partners")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vouchers")),
        sa.UniqueConstraint("code", name=op.f("uq_vouchers_code")),
    )
    op.create_index(op.f("ix_vouchers_allocation_id"), "vouchers", ["allocation_id"], unique=False)
    op.create_index(
        op.f("ix_vouchers_organisation_id"), "vouchers", ["organisation_id"], unique=False
    )
    op.add_column("client_grants", sa.Column("organisation_id", sa.Uuid(), nullable=True))
    op.create_foreign_key(
        op.f("fk_client_grants_organisation_id_organisations"),
        "client_grants",
        "organisations",
        ["organisation_id"],
        ["id"],
    )

    op.add_column("sale_items", sa.Column("voucher_id", sa.Uuid(), nullable=True))
    op.create_foreign_key(
        op.f("fk_sale_items_voucher_id_vouchers"), "sale_items", "vouchers", ["voucher_id"], ["id"]
    )
    op.create_index(op.f("ix_sale_items_voucher_id"), "sale_items", ["voucher_id"], unique=False)
    op.alter_column("sale_items", "passholder_id", nullable=True)
    op.alter_column("sale_items", "card_number", nullable=True)
    op.alter_column("sale_items", "municipality_nis", nullable=True)
    op.create_check_constraint(
        op.f("ck_sale_items_one_bearer"),
        "sale_items",
        "(passholder_id IS NOT NULL AND card_number IS NOT NULL AND voucher_id IS NULL)"
        " OR (passholder_id IS NULL AND card_number IS NULL AND voucher_id IS NOT NULL)",
    )

    op.create_table(
        "checkins",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("offer_id", sa.Uuid(), nullable=False),
        sa.Column("partner_id", sa.Uuid(), nullable=False),
        sa.Column("passholder_id", sa.Uuid(), nullable=True),
        sa.Column("voucher_id", sa.Uuid(), nullable=True),
        sa.Column("municipality_nis", sa.String(length=5), nullable=True),
        sa.Column("people", sa.Integer(), nullable=False),
        sa.Column("visit_date", sa.Date(), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(passholder_id IS NULL) <> (voucher_id IS NULL)", name=op.f("ck_checkins_one_bearer")
        ),
        sa.ForeignKeyConstraint(
            ["offer_id"], ["offers.id"], name=op.f("fk_checkins_offer_id_offers")
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partners.id"], name=op.f("fk_checkins_partner_id_partners")
        ),
        sa.ForeignKeyConstraint(
            ["passholder_id"], ["passholders.id"], name=op.f("fk_checkins_passholder_id_passholders")
        ),
        sa.ForeignKeyConstraint(
            ["voucher_id"], ["vouchers.id"], name=op.f("fk_checkins_voucher_id_vouchers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkins")),
    )
    op.create_index("ix_checkins_visit_date", "checkins", ["visit_date"], unique=False)
    op.create_index(
        "uq_checkins_holder_offer_day",
        "checkins",
        ["passholder_id", "offer_id", "visit_date"],
        unique=True,
        postgresql_where=sa.text("passholder_id IS NOT NULL"),
    )
    op.create_index(
        "uq_checkins_voucher_offer_day",
        "checkins",
        ["voucher_id", "offer_id", "visit_date"],
        unique=True,
        postgresql_where=sa.text("voucher_id IS NOT NULL"),
    )
    op.execute(_register_sale(_sale_in_one_statement().REGISTER_SALE, with_voucher=True))


def downgrade() -> None:
    op.execute(_register_sale(_sale_in_one_statement().REGISTER_SALE, with_voucher=False))
    op.drop_index("uq_checkins_voucher_offer_day", table_name="checkins")
    op.drop_index("uq_checkins_holder_offer_day", table_name="checkins")
    op.drop_index("ix_checkins_visit_date", table_name="checkins")
    op.drop_table("checkins")
    # A schema without vouchers cannot hold their lines (nor the sales left without one).
    op.execute("DELETE FROM sale_items WHERE voucher_id IS NOT NULL")
    op.execute(
        "DELETE FROM idempotency_keys k WHERE NOT EXISTS"
        " (SELECT 1 FROM sale_items i WHERE i.sale_id = k.sale_id)"
    )
    op.execute(
        "DELETE FROM sales s WHERE NOT EXISTS (SELECT 1 FROM sale_items i WHERE i.sale_id = s.id)"
    )
    op.drop_constraint(op.f("ck_sale_items_one_bearer"), "sale_items", type_="check")
    op.alter_column("sale_items", "municipality_nis", nullable=False)
    op.alter_column("sale_items", "card_number", nullable=False)
    op.alter_column("sale_items", "passholder_id", nullable=False)
    op.drop_index(op.f("ix_sale_items_voucher_id"), table_name="sale_items")
    op.drop_constraint(
        op.f("fk_sale_items_voucher_id_vouchers"), "sale_items", type_="foreignkey"
    )
    op.drop_column("sale_items", "voucher_id")
    # Grants on organisations go with them.
    op.execute("DELETE FROM client_grants WHERE organisation_id IS NOT NULL")
    op.drop_constraint(
        op.f("fk_client_grants_organisation_id_organisations"), "client_grants", type_="foreignkey"
    )
    op.drop_column("client_grants", "organisation_id")
    op.execute("DELETE FROM usage_counters WHERE passholder_id IN (SELECT id FROM vouchers)")
    op.execute(
        "DELETE FROM usage_counters WHERE passholder_id IN (SELECT id FROM allocations)"
    )
    op.drop_index(op.f("ix_vouchers_organisation_id"), table_name="vouchers")
    op.drop_index(op.f("ix_vouchers_allocation_id"), table_name="vouchers")
    op.drop_table("vouchers")
    op.drop_index(op.f("ix_allocations_organisation_id"), table_name="allocations")
    op.drop_table("allocations")
    op.drop_index(op.f("ix_organisations_region_id"), table_name="organisations")
    op.drop_table("organisations")
