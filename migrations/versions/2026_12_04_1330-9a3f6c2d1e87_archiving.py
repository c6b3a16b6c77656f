"""archiving: regions, partners and offers can be archived

`archived_at` on `regions`, `partners` and `offers`: an archived row stays (its sales,
settlement and history still name it) but sells nothing. `openpas_register_sale` now
refuses a sale whose offer or partner is archived (outcome `offer-archived` /
`partner-archived`). It locks the rows of the sale's offers and their partners FOR SHARE
before it reads them: an archive that is committing is waited for and then seen (each
statement of the function reads what had committed when it started), and an archive that
comes later waits for the sale to commit. So no sale completes after the archive of its
offer committed. The downgrade restores the function of b7e1c4a9d2f3 and drops the columns.

Revision ID: 9a3f6c2d1e87
Revises: c5e8f2a71d04
Create Date: 2026-12-04 13:30:00
"""

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

import sqlalchemy as sa
from alembic import op

revision: str = "9a3f6c2d1e87"
down_revision: str | None = "c5e8f2a71d04"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLES = ("regions", "partners", "offers")


def _revision(rev: str) -> ModuleType:
    [path] = Path(__file__).parent.glob(f"*-{rev}_*.py")
    spec = importlib.util.spec_from_file_location(rev, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _register_sale_before() -> str:
    """openpas_register_sale as b7e1c4a9d2f3 left it (`CREATE OR REPLACE`)."""
    vouchers = _revision("b7e1c4a9d2f3")
    body: str = vouchers._register_sale(
        vouchers._sale_in_one_statement().REGISTER_SALE, with_voucher=True
    )
    return body


_DECLARE = "    v_claim record;\n"
_AFTER_KEY = """            RETURN;
        END IF;
    END LOOP;
"""
_ARCHIVE_CHECK = """
    -- An archived offer or partner sells nothing. Their rows are locked first, so an
    -- archive being committed is waited for and then seen by the next statement, and an
    -- archive that comes later waits until this sale has committed.
    PERFORM 1 FROM offers o
    WHERE o.id IN (SELECT (l ->> 'offer_id')::uuid
                   FROM jsonb_array_elements(p_sale -> 'lines') AS l)
    ORDER BY o.id FOR SHARE;
    PERFORM 1 FROM partners p
    WHERE p.id IN (SELECT o.partner_id FROM offers o
                   WHERE o.id IN (SELECT (l ->> 'offer_id')::uuid
                                  FROM jsonb_array_elements(p_sale -> 'lines') AS l))
    ORDER BY p.id FOR SHARE;
    SELECT CASE WHEN p.archived_at IS NOT NULL THEN 'partner-archived'
                ELSE 'offer-archived' END
    INTO v_archived
    FROM offers o JOIN partners p ON p.id = o.partner_id
    WHERE o.id IN (SELECT (l ->> 'offer_id')::uuid
                   FROM jsonb_array_elements(p_sale -> 'lines') AS l)
      AND (o.archived_at IS NOT NULL OR p.archived_at IS NOT NULL)
    ORDER BY 1 DESC
    LIMIT 1;
    IF v_archived IS NOT NULL THEN
        outcome := v_archived;
        DELETE FROM idempotency_keys WHERE client_id = p_client_id AND key = p_key;
        RETURN;
    END IF;
"""


def register_sale() -> str:
    """openpas_register_sale with the archive check after the idempotency key is taken (a
    retry of a sale made before the archive still answers that sale)."""
    text = _register_sale_before()
    assert text.count(_DECLARE) == 1 and text.count(_AFTER_KEY) == 1
    text = text.replace(_DECLARE, _DECLARE + "    v_archived text;\n")
    return text.replace(_AFTER_KEY, _AFTER_KEY + _ARCHIVE_CHECK)


def upgrade() -> None:
    for table in _TABLES:
        op.add_column(table, sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(register_sale())


def downgrade() -> None:
    op.execute(_register_sale_before())
    for table in reversed(_TABLES):
        op.drop_column(table, "archived_at")
