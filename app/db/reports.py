"""Report queries: every figure is summed by the database (GROUP BY), never in Python.

Participation reads *confirmed* sales only (a hold that was never confirmed, an expired
hold and a cancelled sale reached nobody), on their line's `activity_date` (the activity's
day, else the sale day), from the first day included to the last day excluded. A region's
sales are the sales at partners of that region.

A settlement is a ledger: a line counts on its `counted_on` day and, if its confirmed sale
was cancelled, is taken off on its `uncounted_on` day (app.domain.reports.settlement_day
says which days, and why a closed month never changes).

A settlement reads the whole calendar months of its period from the monthly sums that the
sale service keeps (`settlement_payer_months`, `settlement_scheme_months`, see
app.db.settlement) and only the partial months at its edges from the sale rows; both are
summed together in one query, so the figures are exactly those of the sale rows. The
monthly sums come through their primary keys (partner, month, …): a region's year is a few
thousand rows however many sales it had.

Index use for the sale rows (see docs/performance.md, "Reports"): a partner's sales come
through `ix_sales_partner_id_created_at`, their lines through `ix_sale_items_sale_id` and
the lines' funding through `ix_sale_item_funding_sale_item_id`. A region's period starts
from `ix_sale_items_activity_date` (participation) or `ix_sale_items_counted_on` and the
partial `ix_sale_items_uncounted_on` (a settlement's partial months) when the period is a
small part of the history; for a year that is most of it the planner rightly prefers
sequential scans and hash joins, and the cost is one pass over the period's sale lines —
which participation needs (distinct passholders do not add up over months) and settlement
does only for its partial months.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.settlement import NO_REF, PAYER_SUMS, SCHEME_SUMS, ledger_day, line_sums
from app.db.tables import (
    cards,
    checkins,
    entitlements,
    municipalities,
    offers,
    organisations,
    partners,
    passholders,
    pending_entitlements,
    regions,
    sale_item_funding,
    sale_items,
    sales,
    schemes,
    settlement_payer_months,
    settlement_scheme_months,
)
from app.domain.localized import LocalizedText
from app.domain.report_tables import ReportNames
from app.domain.reports import (
    CellCounts,
    Figures,
    GroupBy,
    PayerLine,
    ReportPeriod,
    SaleTotals,
    SchemeTotal,
    split_months,
)

CONFIRMED = "confirmed"
ACTIVE = "active"


@dataclass(frozen=True, slots=True)
class Scope:
    """Whose sales: one partner's, or those of every partner of one region."""

    partner_id: str | None = None
    region_id: str | None = None


def _partners_of(scope: Scope, partner_id: sa.ColumnElement[Any]) -> sa.ColumnElement[bool]:
    if scope.partner_id is not None:
        return partner_id == uuid.UUID(scope.partner_id)
    if scope.region_id is not None:
        # A semi-join: the planner turns the region's few partner ids into a hash or an
        # index lookup on the partner id.
        return partner_id.in_(
            sa.select(partners.c.id).where(partners.c.region_id == uuid.UUID(scope.region_id))
        )
    raise ValueError("a report scope names a partner or a region")


def _sales_of(scope: Scope) -> sa.ColumnElement[bool]:
    return _partners_of(scope, sales.c.partner_id)


def _in(period: ReportPeriod, day: sa.ColumnElement[Any] = sale_items.c.activity_date) -> Any:
    return sa.and_(day >= period.from_date, day < period.to_date)


def _counted(scope: Scope, period: ReportPeriod) -> list[sa.ColumnElement[bool]]:
    return [sales.c.status == CONFIRMED, _sales_of(scope), _in(period)]


def _sum(column: Any) -> sa.ColumnElement[Any]:
    # SUM of no rows is NULL; a report of nothing says 0.
    return sa.func.coalesce(sa.func.sum(column), 0)


_LINE_DISCOUNT = sale_items.c.discount_cents * sale_items.c.quantity

# --- settlement -----------------------------------------------------------------------------
#
# Each settlement query sums several sources of partial sums with the same columns — the
# sale lines counted in some days, those taken off in them (negated), the monthly sums of
# whole months. Which groups at 0 a settlement shows is app.domain.reports.reported_schemes'
# to say; payer lines at 0 in every sum stand for nothing and are left out here.


def _sources(
    period: ReportPeriod,
    *,
    monthly: bool,
    raw: Callable[[int, sa.ColumnElement[bool]], sa.Select[Any]],
    summed: Callable[[ReportPeriod], sa.Select[Any]],
) -> list[sa.Select[Any]]:
    """`raw(sign, days)`: the lines counted (+1) or taken off (−1) on the `days`."""
    if monthly:
        split = split_months(period)
        sources = [summed(split.whole_months)] if split.whole_months is not None else []
        parts = split.partial
    else:
        sources, parts = [], (period,)
    if parts:
        for sign in (1, -1):
            sources.append(raw(sign, sa.or_(*(_in(part, ledger_day(sign)) for part in parts))))
    return sources


def _combined(sources: list[sa.Select[Any]], key: Sequence[str], sums: Sequence[str]) -> Any:
    combined = (sources[0] if len(sources) == 1 else sa.union_all(*sources)).subquery("parts")
    return sa.select(
        *(combined.c[name] for name in key),
        *(_sum(combined.c[name]).label(name) for name in sums),
    ).group_by(*(combined.c[name] for name in key))


_PAYER_KEY = ("scheme_code", "funded_scheme_code", "payer", "payer_ref")
_SCHEME_KEY = ("scheme_code",)


async def payer_lines(
    session: AsyncSession, scope: Scope, period: ReportPeriod, *, monthly: bool = True
) -> list[PayerLine]:
    """Per tariff scheme, funded scheme, payer and payer reference: the lines and the share.

    Funding rows are one per payer share of a sale line, so a line is counted once per
    share; a payer listed twice in one scheme's funding key would count its lines twice in
    its tickets and prices (never in its amount, which stays exact).

    `monthly=False` sums the sale rows of the whole period, without the monthly sums: the
    figures are the same (the tests hold the two against each other).
    """
    funding = sale_item_funding

    def raw(sign: int, days: sa.ColumnElement[bool]) -> sa.Select[Any]:
        key = (
            sale_items.c.scheme_code,
            funding.c.scheme_code.label("funded_scheme_code"),
            funding.c.payer,
            funding.c.payer_ref,
        )
        sums = (*line_sums(sign), sign * sa.func.sum(funding.c.amount_cents))
        return (
            sa.select(
                *key, *(sum_.label(name) for sum_, name in zip(sums, PAYER_SUMS, strict=True))
            )
            .select_from(
                funding.join(sale_items, sale_items.c.id == funding.c.sale_item_id).join(
                    sales, sales.c.id == sale_items.c.sale_id
                )
            )
            .where(_sales_of(scope), days)
            .group_by(*key)
        )

    def summed(months: ReportPeriod) -> sa.Select[Any]:
        table = settlement_payer_months
        return sa.select(
            table.c.scheme_code,
            table.c.funded_scheme_code,
            table.c.payer,
            sa.func.nullif(table.c.payer_ref, NO_REF).label("payer_ref"),
            *(table.c[name] for name in PAYER_SUMS),
        ).where(
            _partners_of(scope, table.c.partner_id),
            table.c.month >= months.from_date,
            table.c.month < months.to_date,
        )

    sources = _sources(period, monthly=monthly, raw=raw, summed=summed)
    query = _combined(sources, _PAYER_KEY, PAYER_SUMS)
    # A payer line at 0 in every sum (its sales counted and taken off) stands for nothing.
    query = query.having(sa.or_(*(query.selected_columns[n] != 0 for n in PAYER_SUMS)))
    rows = (await session.execute(query)).all()
    lines = [
        PayerLine(
            scheme_code=row.scheme_code,
            funded_scheme_code=row.funded_scheme_code,
            payer=row.payer,
            payer_ref=row.payer_ref,
            tickets=int(row.tickets),
            regular_cents=int(row.regular_cents),
            paid_cents=int(row.paid_cents),
            amount_cents=int(row.amount_cents),
        )
        for row in rows
    ]
    # Sorted here, on a few hundred rows at most, so both engines order NULLs alike.
    return sorted(
        lines,
        key=lambda x: (x.scheme_code, x.funded_scheme_code, x.payer, x.payer_ref or ""),
    )


async def scheme_totals(
    session: AsyncSession, scope: Scope, period: ReportPeriod, *, monthly: bool = True
) -> list[SchemeTotal]:
    """Per tariff scheme with lines counted or taken off in the period: tickets, regular
    total, what holders paid and the reduction — at 0 where they cancel out (the settlement
    decides whether to show such a scheme: app.domain.reports.reported_schemes).

    `monthly=False`: from the sale rows only, as for `payer_lines`.
    """

    def raw(sign: int, days: sa.ColumnElement[bool]) -> sa.Select[Any]:
        sums = (*line_sums(sign), sign * sa.func.sum(_LINE_DISCOUNT))
        return (
            sa.select(
                sale_items.c.scheme_code,
                *(sum_.label(name) for sum_, name in zip(sums, SCHEME_SUMS, strict=True)),
            )
            .select_from(sale_items.join(sales, sales.c.id == sale_items.c.sale_id))
            .where(_sales_of(scope), days)
            .group_by(sale_items.c.scheme_code)
        )

    def summed(months: ReportPeriod) -> sa.Select[Any]:
        table = settlement_scheme_months
        return sa.select(table.c.scheme_code, *(table.c[name] for name in SCHEME_SUMS)).where(
            _partners_of(scope, table.c.partner_id),
            table.c.month >= months.from_date,
            table.c.month < months.to_date,
        )

    sources = _sources(period, monthly=monthly, raw=raw, summed=summed)
    query = _combined(sources, _SCHEME_KEY, SCHEME_SUMS).order_by("scheme_code")
    return [
        SchemeTotal(
            scheme_code=row.scheme_code,
            totals=SaleTotals(
                tickets=int(row.tickets),
                regular_cents=int(row.regular_cents),
                paid_cents=int(row.paid_cents),
                discount_cents=int(row.discount_cents),
            ),
        )
        for row in (await session.execute(query)).all()
    ]


# --- participation --------------------------------------------------------------------------


def _month() -> sa.ColumnElement[Any]:
    # Grouping on a timestamp is several times faster than on EXTRACT's numerics.
    return sa.func.date_trunc("month", sa.cast(sale_items.c.activity_date, sa.DateTime))


def _group_key(group_by: GroupBy) -> sa.ColumnElement[Any]:
    if group_by == "month":
        return _month()
    if group_by == "partner":
        return sales.c.partner_id
    if group_by == "scheme":
        return sale_items.c.scheme_code
    if group_by == "municipality":
        return sale_items.c.municipality_nis
    return offers.c.category


async def participation(
    session: AsyncSession, scope: Scope, period: ReportPeriod, group_by: GroupBy
) -> tuple[list[CellCounts], Figures]:
    """The cells of a region's (or one partner's) participation and its total, before any
    suppression.

    One pass over the region's sale lines: they are first summed per cell and passholder
    (a common table expression the database computes once), then per cell — its rows are
    its distinct passholders — and once more for the total, which counts each passholder
    once however many cells they are in.
    """
    key = _group_key(group_by).label("key")
    source = sale_items.join(sales, sales.c.id == sale_items.c.sale_id)
    if group_by == "category":
        source = source.join(offers, offers.c.id == sale_items.c.offer_id)
    social = sa.case((sale_items.c.discount_cents > 0, sale_items.c.quantity), else_=0)
    # A voucher's tickets, a group card's and a ticket request's count as tickets, never as
    # people: their lines have no passholder, so they form one row per cell without one,
    # which no count of people counts.
    anonymous = sa.case((sale_items.c.passholder_id.is_(None), sale_items.c.quantity), else_=0)
    per_holder = (
        sa.select(
            key,
            sale_items.c.passholder_id,
            sa.func.sum(sale_items.c.quantity).label("tickets"),
            sa.func.sum(social).label("social"),
            sa.func.sum(_LINE_DISCOUNT).label("discount"),
            sa.func.sum(anonymous).label("anonymous"),
        )
        .select_from(source)
        # A holder's own tickets: a line of companions' tickets (the disability card's free
        # assistant) is money the settlement shows, not the holder's participation.
        .where(*_counted(scope, period), sale_items.c.companion_of.is_(None))
        .group_by(key, sale_items.c.passholder_id)
        .cte("per_holder")
    )
    sums = [
        _sum(per_holder.c.tickets).label("tickets"),
        _sum(per_holder.c.social).label("social"),
        _sum(per_holder.c.discount).label("discount"),
        _sum(per_holder.c.anonymous).label("anonymous"),
    ]
    cells_query = sa.select(
        sa.literal(False).label("is_total"),
        per_holder.c.key,
        sa.func.count(per_holder.c.passholder_id).label("passholders"),
        *sums,
    ).group_by(per_holder.c.key)
    total_query = sa.select(
        sa.literal(True).label("is_total"),
        sa.null().label("key"),
        sa.func.count(sa.distinct(per_holder.c.passholder_id)).label("passholders"),
        *sums,
    )
    rows: Sequence[Any] = (await session.execute(sa.union_all(cells_query, total_query))).all()
    assert scope.region_id is not None
    label_of = await _labels(session, scope.region_id, group_by)
    visits = await _visits(session, scope, period, group_by)
    cells: list[CellCounts] = []
    total = Figures(0, 0, 0, 0, visits=sum(visits.values()))
    for row in rows:
        figures = Figures(
            passholders=int(row.passholders),
            tickets=int(row.tickets),
            social_tariff_tickets=int(row.social),
            discount_cents=int(row.discount),
            anonymous_tickets=int(row.anonymous),
        )
        if row.is_total:
            total = replace(figures, visits=total.visits)
        else:
            name = _key_text(row.key)
            figures = replace(figures, visits=visits.pop(name, 0))
            cells.append(CellCounts(key=name, label=label_of.get(name), figures=figures))
    # A cell with visits and no tickets is a cell too (with no people: it is suppressed).
    for name, count in visits.items():
        cells.append(CellCounts(name, label_of.get(name), Figures(0, 0, 0, 0, visits=count)))
    return sorted(cells, key=lambda cell: cell.key), total


async def _visits(
    session: AsyncSession, scope: Scope, period: ReportPeriod, group_by: GroupBy
) -> dict[str, int]:
    """Visits to free activities per cell (the people they stand for: one a card, a
    voucher's people); none per scheme, a visit has no tariff."""
    if group_by == "scheme":
        return {}
    keys: dict[str, sa.ColumnElement[Any]] = {
        "month": sa.func.date_trunc("month", sa.cast(checkins.c.visit_date, sa.DateTime)),
        "partner": checkins.c.partner_id,
        "municipality": checkins.c.municipality_nis,
        "category": offers.c.category,
    }
    key = keys[group_by].label("key")
    source = checkins.join(offers, offers.c.id == checkins.c.offer_id)
    rows = await session.execute(
        sa.select(key, sa.func.sum(checkins.c.people).label("people"))
        .select_from(source)
        .where(_partners_of(scope, checkins.c.partner_id), _in(period, checkins.c.visit_date))
        .group_by(key)
    )
    return {_key_text(row.key): int(row.people) for row in rows.all()}


# The cell of vouchers' tickets in a grouping by residence: a voucher has none.
ANONYMOUS_KEY = "anonymous"


def _key_text(key: object) -> str:
    if isinstance(key, datetime):  # a month, truncated by PostgreSQL
        return f"{key:%Y-%m}"
    if key is None:
        return ANONYMOUS_KEY
    return str(key)


async def _labels(session: AsyncSession, region_id: str, group_by: GroupBy) -> dict[str, str]:
    """Names for the keys of a grouping, read apart from the sums: they are few."""
    if group_by not in ("partner", "municipality"):
        return {}
    if group_by == "partner":
        rows = await session.execute(
            sa.select(partners.c.id, partners.c.name).where(
                partners.c.region_id == uuid.UUID(region_id)
            )
        )
    else:
        rows = await session.execute(sa.select(municipalities.c.nis_code, municipalities.c.name))
    return {str(key): name for key, name in rows.all()}


# --- non-take-up ----------------------------------------------------------------------------


async def region_grace_days(session: AsyncSession, region_id: str) -> int | None:
    """The region's grace days after a status ends; None when there is no such region."""
    value = (
        await session.execute(
            sa.select(regions.c.status_grace_days).where(regions.c.id == uuid.UUID(region_id))
        )
    ).scalar_one_or_none()
    return None if value is None else int(value)


async def partner_region(session: AsyncSession, partner_id: str) -> str | None:
    value = (
        await session.execute(
            sa.select(partners.c.region_id).where(partners.c.id == uuid.UUID(partner_id))
        )
    ).scalar_one_or_none()
    return None if value is None else str(value)


async def non_take_up(
    session: AsyncSession, region_id: str, on: date, grace_days: int
) -> tuple[int, int, int]:
    """(entitled passholders, of whom with an active card, pending people) on day `on`.

    A status is usable on `on` exactly as `app.domain.entitlements.entitlement_status` says:
    started, not ended, not suspended, and not expired for more than the region's grace
    days. It must count in the region: the region's own, or one valid everywhere.
    """
    region = uuid.UUID(region_id)
    oldest_usable_end = date.fromordinal(on.toordinal() - grace_days)
    usable = (
        sa.select(sa.literal(1))
        .where(
            entitlements.c.passholder_id == passholders.c.id,
            sa.or_(entitlements.c.region_id == region, entitlements.c.region_id.is_(None)),
            entitlements.c.valid_from <= on,
            sa.or_(
                entitlements.c.valid_until.is_(None),
                entitlements.c.valid_until >= oldest_usable_end,
            ),
            sa.or_(entitlements.c.ended_on.is_(None), entitlements.c.ended_on > on),
            sa.or_(entitlements.c.suspended_until.is_(None), entitlements.c.suspended_until < on),
        )
        .exists()
    )
    active_card = (
        sa.select(sa.literal(1))
        .where(
            cards.c.passholder_id == passholders.c.id,
            cards.c.region_id == region,
            cards.c.status == ACTIVE,
        )
        .exists()
    )
    entitled, with_card = (
        await session.execute(
            sa.select(
                sa.func.count(),
                _sum(sa.case((active_card, 1), else_=0)),
            ).where(passholders.c.region_id == region, usable)
        )
    ).one()

    registered = (
        sa.select(sa.literal(1))
        .where(
            passholders.c.insz_hash == pending_entitlements.c.insz_hash,
            passholders.c.region_id == region,
        )
        .exists()
    )
    pending = (
        await session.execute(
            sa.select(sa.func.count(sa.distinct(pending_entitlements.c.insz_hash))).where(
                pending_entitlements.c.region_id == region,
                pending_entitlements.c.applied_at.is_(None),
                pending_entitlements.c.valid_from <= on,
                sa.or_(
                    pending_entitlements.c.valid_until.is_(None),
                    pending_entitlements.c.valid_until >= oldest_usable_end,
                ),
                ~registered,
            )
        )
    ).scalar_one()
    return int(entitled), int(with_card), int(pending)


# --- names ----------------------------------------------------------------------------------


def _uuids(ids: Iterable[str]) -> list[uuid.UUID]:
    out = []
    for value in ids:
        try:
            out.append(uuid.UUID(value))
        except ValueError:
            continue  # a funder's or a region's code where an id was expected: no name
    return out


def _scheme_name(definition: object) -> LocalizedText | None:
    name = definition.get("name") if isinstance(definition, dict) else None
    if not isinstance(name, dict) or not isinstance(name.get("nl"), str):
        return None
    return LocalizedText(nl=name["nl"], fr=name.get("fr"), en=name.get("en"))


async def report_names(
    session: AsyncSession,
    *,
    partner_ids: Iterable[str] = (),
    nis_codes: Iterable[str] = (),
    region_codes: Iterable[str] = (),
    organisation_ids: Iterable[str] = (),
    scheme_codes: Iterable[str] = (),
) -> ReportNames:
    """The names of what a report names by id or code, read apart from the sums (they are
    few); a scheme's name from its newest version."""

    async def pairs(select: sa.Select[Any]) -> dict[str, Any]:
        return {str(key): value for key, value in (await session.execute(select)).all()}

    partner_names = await pairs(
        sa.select(partners.c.id, partners.c.name).where(partners.c.id.in_(_uuids(partner_ids)))
    )
    municipality_names = await pairs(
        sa.select(municipalities.c.nis_code, municipalities.c.name).where(
            municipalities.c.nis_code.in_(sorted(set(nis_codes)))
        )
    )
    region_names = await pairs(
        sa.select(regions.c.code, regions.c.name).where(
            regions.c.code.in_(sorted(set(region_codes)))
        )
    )
    organisation_names = await pairs(
        sa.select(organisations.c.id, organisations.c.name).where(
            organisations.c.id.in_(_uuids(organisation_ids))
        )
    )
    newest = (
        sa.select(schemes.c.code, sa.func.max(schemes.c.version).label("version"))
        .where(schemes.c.code.in_(sorted(set(scheme_codes))))
        .group_by(schemes.c.code)
        .subquery()
    )
    definitions = await pairs(
        sa.select(schemes.c.code, schemes.c.definition).join(
            newest,
            sa.and_(schemes.c.code == newest.c.code, schemes.c.version == newest.c.version),
        )
    )
    scheme_names = {
        code: name
        for code, definition in definitions.items()
        if (name := _scheme_name(definition)) is not None
    }
    return ReportNames(
        partners=partner_names,
        municipalities=municipality_names,
        regions=region_names,
        organisations=organisation_names,
        schemes=scheme_names,
    )


async def region_name(session: AsyncSession, region_id: str) -> str | None:
    return (
        await session.execute(sa.select(regions.c.name).where(regions.c.id == uuid.UUID(region_id)))
    ).scalar_one_or_none()
