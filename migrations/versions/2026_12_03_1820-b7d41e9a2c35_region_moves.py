"""moves between regions: a region's setting end_statuses_on_move

A move to another region (POST /v1/passholders/{id}/move) ends the statuses the region left
had granted, unless that region's `end_statuses_on_move` is false. Existing regions get the
default, true.

Revision ID: b7d41e9a2c35
Revises: 7d1e5a9c3b20
Create Date: 2026-12-03 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b7d41e9a2c35"
down_revision: str | None = "7d1e5a9c3b20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "regions",
        sa.Column(
            "end_statuses_on_move", sa.Boolean(), nullable=False, server_default=sa.text("true")
        ),
    )


def downgrade() -> None:
    op.drop_column("regions", "end_statuses_on_move")
