"""open prices: an offer may be sold at the regular price the desk gives, up to a maximum

`open_price` (default false) and `max_price_cents` on `offers`, with a check that an
open-price offer has a maximum above 0 and a fixed-price offer none. A sale line already
keeps the regular price it was sold at (`sale_items.regular_price_cents`), so the sale's
statement and the settlement need no change: they record and sum the price as sold.

Revision ID: 6c089a0e40b8
Revises: 9a3f6c2d1e87
Create Date: 2026-12-04 20:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "6c089a0e40b8"
down_revision: str | None = "9a3f6c2d1e87"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "offers",
        sa.Column("open_price", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )
    op.add_column("offers", sa.Column("max_price_cents", sa.Integer(), nullable=True))
    op.create_check_constraint(
        op.f("ck_offers_open_price_maximum"),
        "offers",
        "CASE WHEN open_price THEN max_price_cents IS NOT NULL AND max_price_cents > 0"
        " ELSE max_price_cents IS NULL END",
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_offers_open_price_maximum"), "offers", type_="check")
    op.drop_column("offers", "max_price_cents")
    op.drop_column("offers", "open_price")
