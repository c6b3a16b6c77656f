"""settlement days

A sale line now records the day it counts on in the settlement (`counted_on`, set when its
sale is confirmed) and the day it is taken off again (`uncounted_on`, set when a confirmed
sale is cancelled): a confirmation or cancellation after the activity's month ended counts
in the month it happened, and leaves the closed month as it was invoiced
(app.domain.reports.settlement_day).

Until now every change counted on the activity date, so the upgrade fills both with it: the
lines of confirmed sales are counted on their activity date, those of cancelled sales that
had been confirmed are counted and taken off on it. The monthly sums stay as they are.

Revision ID: 8c3d5e2f9a14
Revises: 310d45f260fa
Create Date: 2026-11-27 17:15:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '8c3d5e2f9a14'
down_revision: str | None = '310d45f260fa'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("sale_items", sa.Column("counted_on", sa.Date(), nullable=True))
    op.add_column("sale_items", sa.Column("uncounted_on", sa.Date(), nullable=True))
    op.execute(
        """
        UPDATE sale_items SET counted_on = activity_date
        WHERE sale_id IN (
            SELECT id FROM sales
            WHERE status = 'confirmed'
               OR (status = 'cancelled' AND confirmed_at IS NOT NULL)
        )
        """
    )
    op.execute(
        """
        UPDATE sale_items SET uncounted_on = activity_date
        WHERE sale_id IN (
            SELECT id FROM sales WHERE status = 'cancelled' AND confirmed_at IS NOT NULL
        )
        """
    )
    op.create_index(op.f("ix_sale_items_counted_on"), "sale_items", ["counted_on"])
    op.create_index(
        op.f("ix_sale_items_uncounted_on"),
        "sale_items",
        ["uncounted_on"],
        postgresql_where=sa.text("uncounted_on IS NOT NULL"),
    )


def downgrade() -> None:
    # Before this revision every change counted on the activity date: the sums are
    # recomputed that way from the confirmed sales (as the "settlement months" revision
    # filled them), so the older code reads and extends what it would have written itself.
    op.drop_index(op.f("ix_sale_items_uncounted_on"), table_name="sale_items")
    op.drop_index(op.f("ix_sale_items_counted_on"), table_name="sale_items")
    op.drop_column("sale_items", "uncounted_on")
    op.drop_column("sale_items", "counted_on")
    month = _MONTH
    op.execute("DELETE FROM settlement_payer_months")
    op.execute("DELETE FROM settlement_scheme_months")
    op.execute(
        f"""
        INSERT INTO settlement_payer_months (partner_id, month, scheme_code,
            funded_scheme_code, payer, payer_ref, lines, tickets, regular_cents, paid_cents,
            amount_cents)
        SELECT s.partner_id, {month}, i.scheme_code, f.scheme_code, f.payer,
               COALESCE(f.payer_ref, ''), count(*), sum(i.quantity),
               sum(i.regular_price_cents * i.quantity), sum(i.total_cents),
               sum(f.amount_cents)
        FROM sale_item_funding f
        JOIN sale_items i ON i.id = f.sale_item_id
        JOIN sales s ON s.id = i.sale_id
        WHERE s.status = 'confirmed'
        GROUP BY s.partner_id, {month}, i.scheme_code, f.scheme_code, f.payer,
                 COALESCE(f.payer_ref, '')
        """
    )
    op.execute(
        f"""
        INSERT INTO settlement_scheme_months (partner_id, month, scheme_code, lines, tickets,
            regular_cents, paid_cents, discount_cents)
        SELECT s.partner_id, {month}, i.scheme_code, count(*), sum(i.quantity),
               sum(i.regular_price_cents * i.quantity), sum(i.total_cents),
               sum(i.discount_cents * i.quantity)
        FROM sale_items i
        JOIN sales s ON s.id = i.sale_id
        WHERE s.status = 'confirmed'
        GROUP BY s.partner_id, {month}, i.scheme_code
        """
    )


# The first day of an activity date's month, as a DATE.
_MONTH = "CAST(date_trunc('month', CAST(i.activity_date AS timestamp)) AS date)"
