"""sale archive check by index; index on entitlements.renews_id

Measured on the benchmark dataset (1M holders, 20,000 offers, 1,000 partners; see
docs/performance.md): the archive check that 9a3f6c2d1e87 put in `openpas_register_sale`
found the sale's offers with `o.id IN (SELECT … FROM jsonb_array_elements(…))`, which the
planner takes for 100 lines and answers with a sequential scan of every offer (and, for the
partners' lock, of every partner) — three times a sale, 3-25 ms each. The offers' ids are
now an array, looked up with `= ANY (…)` on the primary key: PostgreSQL's CPU per sale went
from 9.3 to 3.3 ms.

`entitlements.renews_id` references `entitlements.id` without an index, so deleting an
entitlement (or a passholder's) scans the whole table once per row for rows that renew it:
minutes for a few thousand rows at a million passholders. Indexed now.

Revision ID: e3a9c71f05d2
Revises: b14dc9eb5556
Create Date: 2026-12-04 21:10:00
"""

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from alembic import op

revision: str = "e3a9c71f05d2"
down_revision: str | None = "b14dc9eb5556"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The revision whose openpas_register_sale this one changes.
_FUNCTION_FROM = "b14dc9eb5556"


def _revision(rev: str) -> ModuleType:
    [path] = Path(__file__).parent.glob(f"*-{rev}_*.py")
    spec = importlib.util.spec_from_file_location(rev, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _register_sale_before() -> str:
    """openpas_register_sale as the revision before left it (`CREATE OR REPLACE`)."""
    body: str = _revision(_FUNCTION_FROM).register_sale()
    return body


_LINES_OFFERS = """WHERE o.id IN (SELECT (l ->> 'offer_id')::uuid
                   FROM jsonb_array_elements(p_sale -> 'lines') AS l)"""
_LINES_PARTNERS = """WHERE p.id IN (SELECT o.partner_id FROM offers o
                   WHERE o.id IN (SELECT (l ->> 'offer_id')::uuid
                                  FROM jsonb_array_elements(p_sale -> 'lines') AS l))"""
_DECLARE = "    v_archived text;\n"
_OFFER_IDS = """    -- The lines' offers as an array: `= ANY` is a look-up on the primary key (an IN over
    -- jsonb_array_elements is planned for 100 rows and scans every offer).
    v_offer_ids uuid[] := ARRAY(
        SELECT DISTINCT (l ->> 'offer_id')::uuid
        FROM jsonb_array_elements(p_sale -> 'lines') AS l);
"""


def register_sale() -> str:
    """openpas_register_sale finding the sale's offers and partners by index."""
    text = _register_sale_before()
    assert text.count(_LINES_OFFERS) == 2, "the archive check's two offer look-ups"
    assert text.count(_LINES_PARTNERS) == 1 and text.count(_DECLARE) == 1
    text = text.replace(_LINES_PARTNERS, "WHERE p.id IN (SELECT o.partner_id FROM offers o\n"
                        "                   WHERE o.id = ANY (v_offer_ids))")
    text = text.replace(_LINES_OFFERS, "WHERE o.id = ANY (v_offer_ids)")
    return text.replace(_DECLARE, _DECLARE + _OFFER_IDS)


def upgrade() -> None:
    op.execute(register_sale())
    op.create_index("ix_entitlements_renews_id", "entitlements", ["renews_id"])


def downgrade() -> None:
    op.drop_index("ix_entitlements_renews_id", table_name="entitlements")
    op.execute(_register_sale_before())
