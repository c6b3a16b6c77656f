"""The monthly settlement sums, kept exact in the same transaction as every sale change.

A confirmed sale adds its lines and their funding to `settlement_payer_months` and
`settlement_scheme_months` (per partner, month and scheme) in the month of the lines'
`counted_on`; a cancelled confirmed sale takes them off again in the month of their
`uncounted_on` (both: app.domain.reports.settlement_day). Holds and expired
holds never count, as in the reports. Each change is one call of `openpas_settle_sale` (a
SQL function kept in a migration), whose `INSERT … SELECT … ON CONFLICT DO UPDATE` per table
sums the sale's own rows and adds them to the stored sums, so
two sales at the same partner and month at the same moment both count, on one server
process or many, and a rolled-back sale leaves the sums as they were.

The two tables hold what `app.db.reports` would sum from the raw rows of a whole month;
`rebuild` recomputes them from the sale lines' ledger days.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Mapping
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.tables import (
    sale_item_funding,
    sale_items,
    sales,
    settlement_payer_months,
    settlement_scheme_months,
)

# A funding row without a payer reference: '' in the sums' key, NULL in the reports.
NO_REF = ""

_PAYER_KEY = ("partner_id", "month", "scheme_code", "funded_scheme_code", "payer", "payer_ref")
PAYER_SUMS = ("lines", "tickets", "regular_cents", "paid_cents", "amount_cents")
_SCHEME_KEY = ("partner_id", "month", "scheme_code")
SCHEME_SUMS = ("lines", "tickets", "regular_cents", "paid_cents", "discount_cents")


def month_of(day: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """The first day of `day`'s month, as a DATE."""
    # A literal, not a bound parameter: the expression must read the same in the SELECT
    # list and in the GROUP BY.
    truncated = sa.func.date_trunc(sa.literal_column("'month'"), sa.cast(day, sa.DateTime))
    return sa.cast(truncated, sa.Date)


def line_sums(sign: int) -> tuple[sa.ColumnElement[Any], ...]:
    """Lines, tickets, regular and paid cents (the sums both tables keep, and the reports
    sum from the sale rows), times `sign`."""
    return (
        sign * sa.func.count(),
        sign * sa.func.sum(sale_items.c.quantity),
        sign * sa.func.sum(sale_items.c.regular_price_cents * sale_items.c.quantity),
        sign * sa.func.sum(sale_items.c.total_cents),
    )


def ledger_day(sign: int) -> sa.Column[Any]:
    """The day a line counts on (`sign` +1) or is taken off on (−1) in the settlement."""
    if sign not in (1, -1):
        raise ValueError("a sale is added (+1) or taken off (-1)")
    return sale_items.c.counted_on if sign == 1 else sale_items.c.uncounted_on


def _payer_rows(sign: int, *where: sa.ColumnElement[bool]) -> sa.Select[Any]:
    """One row per payer key of the lines `where` selects, added (`sign` +1) or taken off
    (−1) in their month."""
    month = month_of(ledger_day(sign))
    ref = sa.func.coalesce(sale_item_funding.c.payer_ref, NO_REF)
    key = (
        sales.c.partner_id,
        month,
        sale_items.c.scheme_code,
        sale_item_funding.c.scheme_code,
        sale_item_funding.c.payer,
        ref,
    )
    return (
        sa.select(
            *key,
            *line_sums(sign),
            sign * sa.func.sum(sale_item_funding.c.amount_cents),
        )
        .select_from(
            sale_item_funding.join(
                sale_items, sale_items.c.id == sale_item_funding.c.sale_item_id
            ).join(sales, sales.c.id == sale_items.c.sale_id)
        )
        .where(*where)
        .group_by(*key)
        # Rows are locked in key order, the same in every transaction: two sales that touch
        # the same rows wait for each other instead of deadlocking.
        .order_by(*key)
    )


def _scheme_rows(sign: int, *where: sa.ColumnElement[bool]) -> sa.Select[Any]:
    month = month_of(ledger_day(sign))
    key = (sales.c.partner_id, month, sale_items.c.scheme_code)
    return (
        sa.select(
            *key,
            *line_sums(sign),
            sign * sa.func.sum(sale_items.c.discount_cents * sale_items.c.quantity),
        )
        .select_from(sale_items.join(sales, sales.c.id == sale_items.c.sale_id))
        .where(*where)
        .group_by(*key)
        .order_by(*key)
    )


def _upsert(
    table: sa.Table, key: tuple[str, ...], sums: tuple[str, ...], rows: sa.Select[Any]
) -> Any:
    insert = postgresql.insert(table)
    statement = insert.from_select([*key, *sums], rows)
    return statement.on_conflict_do_update(
        index_elements=list(key),
        set_={name: table.c[name] + statement.excluded[name] for name in sums},
    )


# The one definition of a sale's entry in the sums, for a sale written confirmed (inside
# openpas_register_sale, app.db.sales) and for a confirmation or cancellation alike: a SQL
# function kept in the migration "sale in one statement".
_SETTLE_SALE = sa.text("SELECT openpas_settle_sale(:sale_id, :sign)")


async def add_sale(session: AsyncSession, sale_id: uuid.UUID, sign: int) -> None:
    """Add a sale's lines and funding to the monthly sums (`sign` +1), or take them off (−1),
    in the months of their `counted_on` (+1) or `uncounted_on` (−1).

    Call it in the transaction that makes the sale confirmed (+1) or cancels a confirmed
    sale (−1), once those days are written: through `book`.
    """
    if sign not in (1, -1):
        raise ValueError("a sale is added (+1) or taken off (-1)")
    await session.execute(_SETTLE_SALE, {"sale_id": sale_id, "sign": sign})


@functools.cache
def _day_statement(sign: int) -> Any:
    return (
        sa.update(sale_items)
        .where(sale_items.c.id == sa.bindparam("line", type_=sa.Uuid))
        .values({ledger_day(sign): sa.bindparam("day", type_=sa.Date)})
    )


async def book(
    session: AsyncSession, sale_id: uuid.UUID, sign: int, days: Mapping[str, date]
) -> None:
    """Confirm (+1) or cancel (−1) a sale in the settlement: write each line's day (by line
    id, app.domain.reports.settlement_day) and add the lines to the sums of its month."""
    await session.execute(
        _day_statement(sign), [{"line": uuid.UUID(line), "day": day} for line, day in days.items()]
    )
    await add_sale(session, sale_id, sign)


async def rebuild(session: AsyncSession) -> None:
    """Recompute every sum from the sale lines' ledger days (for data written around the
    service, such as a benchmark dataset copied straight into the tables)."""
    counted = sale_items.c.counted_on.is_not(None)
    await session.execute(sa.delete(settlement_payer_months))
    await session.execute(sa.delete(settlement_scheme_months))
    await session.execute(
        sa.insert(settlement_payer_months).from_select(
            [*_PAYER_KEY, *PAYER_SUMS], _payer_rows(1, counted).order_by(None)
        )
    )
    await session.execute(
        sa.insert(settlement_scheme_months).from_select(
            [*_SCHEME_KEY, *SCHEME_SUMS], _scheme_rows(1, counted).order_by(None)
        )
    )
    # Then the lines taken off, as each cancellation did.
    uncounted = sale_items.c.uncounted_on.is_not(None)
    await session.execute(
        _upsert(
            settlement_payer_months,
            _PAYER_KEY,
            PAYER_SUMS,
            _payer_rows(-1, uncounted),
        )
    )
    await session.execute(
        _upsert(
            settlement_scheme_months,
            _SCHEME_KEY,
            SCHEME_SUMS,
            _scheme_rows(-1, uncounted),
        )
    )
