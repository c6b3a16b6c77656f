"""sale companions

A sale line may now be the companions' tickets of a holder's line (the European Disability
Card's assistant): `sale_items.companion_of` names that line. Existing lines are all
holders' own lines (NULL).

Revision ID: 310d45f260fa
Revises: 5b2c8e1d4a07
Create Date: 2026-11-27 15:27:38.092283
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '310d45f260fa'
down_revision: str | None = '5b2c8e1d4a07'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("sale_items", sa.Column("companion_of", sa.Uuid(), nullable=True))


def downgrade() -> None:
    op.drop_column("sale_items", "companion_of")
