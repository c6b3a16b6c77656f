"""Reports: whose sales a caller may sum, then the sums, then what may be published.

Who sees what:

- settlement: a partner_admin its own partner, by closed months; a region_admin or reporter
  its region (all its partners together, or one partner of the region), any period; an
  admin anything;
- participation and non-take-up: a region_admin or reporter its region; an admin any;
- allocations: a region_admin or reporter its region's organisations; a social worker
  (organisation) only its own organisation.

A caller who names nothing gets its own tenant when it has exactly one. A tenant the
caller has no grant on is refused (403) whether it exists or not, so ids cannot be probed;
only an admin learns that an id does not exist (404).
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from app.clock import today_in_brussels
from app.db import organisations as db_organisations
from app.db import reports as db
from app.db.reports import Scope
from app.domain.access import Principal, Role, Tenant
from app.domain.funding import HOME_MUNICIPALITY, ORGANISATION, PARTNER, SCHEME_OWNER
from app.domain.localized import Lang
from app.domain.report_tables import (
    ReportNames,
    ReportTable,
    allocations_table,
    non_take_up_table,
    participation_table,
    settlement_table,
)
from app.domain.reports import (
    GroupBy,
    NonTakeUp,
    Participation,
    ReportPeriod,
    Settlement,
    calendar_year_of,
    closed_months_before,
    is_first_of_month,
    reported_schemes,
    suppress,
)
from app.domain.vouchers import AllocationFigures, allocation_figures
from app.errors import Forbidden, NotFound, Unprocessable
from app.i18n import texts
from app.services.access import ensure

SETTLEMENT_READERS = frozenset({Role.PARTNER_ADMIN, Role.REGION_ADMIN, Role.REPORTER})
REGION_READERS = frozenset({Role.REGION_ADMIN, Role.REPORTER})


def _invalid(parameter: str, detail: str, message: str) -> Unprocessable:
    return Unprocessable(message, extra={"errors": [{"parameter": parameter, "detail": detail}]})


async def _partner_scope(session: AsyncSession, principal: Principal, partner_id: str) -> Scope:
    region_id = await db.partner_region(session, partner_id)
    tenant = Tenant(region_id=region_id, partner_id=partner_id)
    if region_id is None:
        if principal.is_admin:
            raise NotFound(f"No partner with id {partner_id}.")
        raise Forbidden("This resource belongs to another tenant.")
    ensure(principal, SETTLEMENT_READERS, tenant, hide=False)
    return Scope(partner_id=partner_id, region_id=region_id)


async def _region(
    session: AsyncSession, principal: Principal, region_id: str | None, roles: frozenset[Role]
) -> tuple[str, int]:
    """The region a caller reports on, checked, with its grace days."""
    if region_id is None:
        own = principal.region_ids(roles)
        if len(own) != 1:
            raise _invalid(
                "region_id", "required", "Give region_id: this client may report on several."
            )
        [region_id] = own
    ensure(principal, roles, Tenant(region_id=region_id), hide=False)
    grace_days = await db.region_grace_days(session, region_id)
    if grace_days is None:
        raise NotFound(f"No region with id {region_id}.")
    return region_id, grace_days


async def _scope(
    session: AsyncSession, principal: Principal, partner_id: str | None, region_id: str | None
) -> Scope:
    """One partner or one region: given, or the caller's only tenant."""
    if partner_id is not None and region_id is not None:
        raise _invalid(
            "region_id", "give partner_id or region_id, not both", "Give one scope, not two."
        )
    if partner_id is None and region_id is None:
        partners = principal.partner_ids({Role.PARTNER_ADMIN})
        regions = principal.region_ids(REGION_READERS)
        if len(partners) + len(regions) != 1:
            raise _invalid(
                "partner_id",
                "required",
                "Give partner_id or region_id: this client may read several.",
            )
        partner_id = next(iter(partners), None)
        region_id = next(iter(regions), None)
    if partner_id is not None:
        return await _partner_scope(session, principal, partner_id)
    region_id, _ = await _region(session, principal, region_id, REGION_READERS)
    return Scope(region_id=region_id)


def _reads_region(principal: Principal, scope: Scope) -> bool:
    """An admin, or a region_admin or reporter of the scope's region (who may read the
    holders' residence anyway)."""
    return principal.is_admin or scope.region_id in principal.region_ids(REGION_READERS)


def _require_whole_months(period: ReportPeriod, detail: str) -> None:
    for name, day in (("from", period.from_date), ("to", period.to_date)):
        if not is_first_of_month(day):
            raise _invalid(name, detail, f"{name}: give the first day of a month.")


async def settlement(
    session: AsyncSession,
    principal: Principal,
    *,
    partner_id: str | None,
    region_id: str | None,
    period: ReportPeriod | None,
) -> Settlement:
    """`period` None: this calendar year — for a partner, its closed months."""
    scope = await _scope(session, principal, partner_id, region_id)
    today = today_in_brussels()
    if _reads_region(principal, scope):
        period = period or calendar_year_of(today)
    else:
        # A settlement names the holder's home municipality as the payer of its share, and
        # the partner knows its own sales: over one day — or over the month still running,
        # asked before and after a sale — a line is often one person's residence. Invoicing
        # runs by closed month; so does the partner's view.
        closed = closed_months_before(today)
        period = period or closed
        _require_whole_months(
            period, "a partner's settlement covers whole months: give the first day of a month"
        )
        if period.to_date > closed.to_date:
            raise _invalid(
                "to",
                "a partner's settlement covers closed months: at most the first day of this month",
                f"to: at most {closed.to_date.isoformat()}, the first day of this month.",
            )
    lines = await db.payer_lines(session, scope, period)
    schemes = await db.scheme_totals(session, scope, period)
    return Settlement(
        partner_id=scope.partner_id,
        region_id=scope.region_id,
        period=period,
        lines=tuple(lines),
        schemes=reported_schemes(lines, schemes),
    )


async def participation(
    session: AsyncSession,
    principal: Principal,
    *,
    partner_id: str | None = None,
    region_id: str | None,
    period: ReportPeriod | None,
    group_by: GroupBy,
) -> Participation:
    """`period` None: this calendar year."""
    period = period or calendar_year_of(today_in_brussels())
    # Whole months only: periods that differ by a day would let two published totals be
    # subtracted into one day's participation, which may be one person's.
    _require_whole_months(
        period, "participation periods are whole months: give the first day of a month"
    )
    scope = await _scope(session, principal, partner_id, region_id)
    counted, total = await db.participation(session, scope, period, group_by)
    cells, published_total = suppress(counted, total)
    assert scope.region_id is not None  # a partner scope names its region too
    return Participation(
        partner_id=scope.partner_id,
        region_id=scope.region_id,
        period=period,
        group_by=group_by,
        cells=cells,
        total=published_total,
    )


async def non_take_up(
    session: AsyncSession, principal: Principal, *, region_id: str | None, on: date
) -> NonTakeUp:
    region_id, grace_days = await _region(session, principal, region_id, REGION_READERS)
    entitled, with_card, pending = await db.non_take_up(session, region_id, on, grace_days)
    return NonTakeUp(
        region_id=region_id,
        on=on,
        entitled_passholders=entitled,
        with_active_card=with_card,
        pending_people=pending,
    )


ALLOCATION_READERS = frozenset({Role.REGION_ADMIN, Role.REPORTER, Role.ORGANISATION})


async def allocations(
    session: AsyncSession,
    principal: Principal,
    *,
    region_id: str | None,
    period: ReportPeriod | None,
) -> tuple[str, ReportPeriod, list[AllocationFigures]]:
    """Per organisation and scheme of a region, the allocations overlapping the period
    (default: this calendar year): a region's admins and reporters see every organisation,
    a social worker only their own."""
    period = period or calendar_year_of(today_in_brussels())
    own: str | None = None
    if not principal.is_admin and not principal.region_ids(REGION_READERS):
        mine = principal.organisation_ids({Role.ORGANISATION})
        if len(mine) != 1:
            raise Forbidden("This client reports on no organisation.")
        [own] = mine
        organisation = await db_organisations.get_organisation(session, uuid.UUID(own))
        assert organisation is not None  # a grant's organisation is a foreign key
        if region_id is not None and region_id != organisation.region_id:
            raise Forbidden("This resource belongs to another tenant.")
        region_id = organisation.region_id
    else:
        region_id, _ = await _region(session, principal, region_id, REGION_READERS)
    found, vouchers, groups = await db_organisations.allocations_report(
        session,
        region_id=region_id,
        organisation_id=own,
        from_date=period.from_date,
        to_date=period.to_date,
    )
    return (
        region_id,
        period,
        allocation_figures(found, vouchers, today=today_in_brussels(), group_tickets=groups),
    )


# --- the reports as tables for spreadsheets (CSV, XLSX) -----------------------------------------


async def settlement_names(session: AsyncSession, report: Settlement) -> ReportNames:
    """The names of a settlement's partners, municipalities, regions, organisations and
    schemes, for the people who read it."""

    def refs(payer: str) -> set[str]:
        return {line.payer_ref for line in report.lines if line.payer == payer and line.payer_ref}

    return await db.report_names(
        session,
        partner_ids=refs(PARTNER),
        nis_codes=refs(HOME_MUNICIPALITY),
        region_codes=refs(SCHEME_OWNER),
        organisation_ids=refs(ORGANISATION),
        scheme_codes={line.scheme_code for line in report.lines}
        | {line.funded_scheme_code for line in report.lines}
        | {scheme.scheme_code for scheme in report.schemes},
    )


async def settlement_sheet(
    session: AsyncSession, report: Settlement, language: Lang
) -> ReportTable:
    """The settlement as a table, names beside the ids and codes."""
    return settlement_table(report, await settlement_names(session, report), texts(language))


async def participation_sheet(
    session: AsyncSession, report: Participation, language: Lang
) -> ReportTable:
    """Participation as a table; cells by scheme get the scheme's name (partners and
    municipalities have theirs already)."""
    codes = {cell.key for cell in report.cells} if report.group_by == "scheme" else set()
    names = await db.report_names(session, scheme_codes=codes)
    return participation_table(report, names, texts(language))


async def allocations_sheet(
    session: AsyncSession,
    period: ReportPeriod,
    lines: list[AllocationFigures],
    language: Lang,
) -> ReportTable:
    names = await db.report_names(session, scheme_codes={line.scheme_code for line in lines})
    return allocations_table(lines, period, names, texts(language))


async def non_take_up_sheet(
    session: AsyncSession, report: NonTakeUp, language: Lang
) -> ReportTable:
    return non_take_up_table(
        report, await db.region_name(session, report.region_id), texts(language)
    )
