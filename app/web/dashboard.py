"""The coordinator's dashboard at /dashboard/: participation by month (an SVG chart drawn
on the server with pygal, and the same figures as a table), by municipality, partner and
scheme; non-take-up; the settlement, and participation by month, as CSV and XLSX
downloads (the API's own tables and files: app.services.reports, app.spreadsheets).

Every figure comes from app.services.reports, the API's own use cases: a suppressed cell
of the API is a suppressed bar here (no bar, "hidden" in the table), never a number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Annotated

import pygal  # type: ignore[import-untyped]
from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from pygal.style import Style  # type: ignore[import-untyped]

from app import spreadsheets
from app.api.deps import SessionDep
from app.clock import today_in_brussels
from app.domain.access import Role
from app.domain.localized import Lang
from app.domain.messages import N_
from app.domain.report_tables import payer_label, payer_name
from app.domain.reports import GroupBy, Participation, ReportPeriod
from app.errors import OpenPasError
from app.i18n import texts, translate
from app.services import reports as service
from app.spreadsheets import FileFormat
from app.web.common import Page, ShowProblem, problem_message, render, staff_page

router = APIRouter(prefix="/dashboard", include_in_schema=False)

DASHBOARD_ROLES = frozenset({Role.REGION_ADMIN, Role.REPORTER, Role.PARTNER_ADMIN})
Month = Annotated[str | None, Query(max_length=7, pattern=r"^(\d{4}-\d{2})?$")]

# High-contrast colours (WCAG 2.2 AA against white: 4.5:1 and more).
_CHART_STYLE = Style(
    background="white",
    plot_background="white",
    foreground="#1a1a1a",
    foreground_strong="#000000",
    foreground_subtle="#555555",
    colors=("#00529b", "#b34700"),
    font_family="system-ui, sans-serif",
    label_font_size=14,
    major_label_font_size=14,
    legend_font_size=16,
    title_font_size=18,
    value_font_size=14,
)


@dataclass(frozen=True, slots=True)
class Tenant:
    partner_id: str | None
    region_id: str | None


def _tenant(page: Page) -> Tenant | None:
    assert page.staff is not None
    grant = page.staff.staff.grant
    if grant.role not in DASHBOARD_ROLES:
        return None
    return Tenant(partner_id=grant.partner_id, region_id=grant.region_id)


def _first_of(month: str | None) -> date | None:
    if not month:
        return None
    year, number = (int(part) for part in month.split("-"))
    return date(year, number, 1)


def _period(from_month: str | None, to_month: str | None) -> ReportPeriod | None:
    """`from` and `to` are months ("2026-01"), `to` included in the page's wording and
    turned into the API's excluded first day of the next month."""
    start, end = _first_of(from_month), _first_of(to_month)
    if start is None or end is None:
        return None
    end = date(end.year + (end.month == 12), end.month % 12 + 1, 1)
    return ReportPeriod(start, end)


def month_chart(report: Participation, language: Lang) -> str:
    """Passholders and tickets per month as inline SVG; a suppressed month has no bar."""
    chart = pygal.Bar(
        style=_CHART_STYLE,
        js=[],  # no script from anywhere: the table below carries the figures
        disable_xml_declaration=True,
        width=900,
        height=380,
        legend_at_bottom=True,
        print_values=False,
        show_y_guides=True,
        title=translate("web.participation_by_month", language),
        no_data_text=translate("web.no_lines", language),
        explicit_size=False,
    )
    chart.x_labels = [cell.key for cell in report.cells]
    chart.add(
        translate("web.passholders", language),
        [cell.figures.passholders if cell.figures else None for cell in report.cells],
    )
    chart.add(
        translate("web.tickets", language),
        [cell.figures.tickets if cell.figures else None for cell in report.cells],
    )
    svg: str = chart.render(is_unicode=True)
    # One accessible image: its name is the chart's title, its figures are in the table.
    return re.sub(
        r"^<svg ",
        '<svg role="img" aria-labelledby="month-chart-title" ',
        svg.strip(),
        count=1,
    ).replace("<title>", '<title id="month-chart-title">', 1)


async def _reports(
    session: SessionDep, page: Page, tenant: Tenant, period: ReportPeriod | None
) -> dict[str, object]:
    assert page.staff is not None
    principal = page.staff.principal
    groups: dict[str, Participation] = {}
    by: tuple[GroupBy, ...] = ("month", "municipality", "partner", "scheme")
    for group_by in by:
        groups[group_by] = await service.participation(
            session,
            principal,
            partner_id=tenant.partner_id,
            region_id=tenant.region_id,
            period=period,
            group_by=group_by,
        )
    non_take_up = None
    if tenant.region_id is not None:
        non_take_up = await service.non_take_up(
            session, principal, region_id=tenant.region_id, on=today_in_brussels()
        )
    settlement = await service.settlement(
        session,
        principal,
        partner_id=tenant.partner_id,
        region_id=tenant.region_id,
        period=period if tenant.region_id is not None else None,
    )
    return {
        "groups": groups,
        "chart": month_chart(groups["month"], page.language),
        "non_take_up": non_take_up,
        "settlement": settlement,
        "names": await service.settlement_names(session, settlement),
    }


@router.get("/", response_class=HTMLResponse)
async def dashboard(
    request: Request,
    session: SessionDep,
    from_month: Annotated[Month, Query(alias="from")] = None,
    to_month: Annotated[Month, Query(alias="to")] = None,
) -> HTMLResponse:
    page = await staff_page(request, session)
    tenant = _tenant(page)
    if tenant is None:
        return render(page, "message.html", 403, error_key=N_("web.not_for_you"))
    period = _period(from_month, to_month)
    try:
        figures = await _reports(session, page, tenant, period)
    except OpenPasError as error:
        message = problem_message(error, page.language)
        raise ShowProblem(
            error, render(page, "message.html", error.status, error=message)
        ) from None
    return render(
        page,
        "dashboard.html",
        from_month=from_month or "",
        to_month=to_month or "",
        groups=figures["groups"],
        chart=figures["chart"],
        non_take_up=figures["non_take_up"],
        settlement=figures["settlement"],
        names=figures["names"],
        payer_label=lambda payer, language: payer_label(payer, texts(language)),
        payer_name=payer_name,
    )


DownloadFormat = Annotated[FileFormat, Path(description="csv or xlsx")]


async def _download(
    request: Request,
    session: SessionDep,
    from_month: str | None,
    to_month: str | None,
    file_format: FileFormat,
    group_by: GroupBy | None,
) -> Response:
    """The settlement (`group_by` None) or the participation of the page's period as a
    file: the API's report and the API's table, rendered as the API renders them."""
    page = await staff_page(request, session)
    tenant = _tenant(page)
    if tenant is None:
        return render(page, "message.html", 403, error_key=N_("web.not_for_you"))
    assert page.staff is not None
    principal = page.staff.principal
    period = _period(from_month, to_month)
    try:
        if group_by is None:
            settlement = await service.settlement(
                session,
                principal,
                partner_id=tenant.partner_id,
                region_id=tenant.region_id,
                period=period if tenant.region_id is not None else None,
            )
            table = await service.settlement_sheet(session, settlement, page.language)
        else:
            participation = await service.participation(
                session,
                principal,
                partner_id=tenant.partner_id,
                region_id=tenant.region_id,
                period=period,
                group_by=group_by,
            )
            table = await service.participation_sheet(session, participation, page.language)
    except OpenPasError as error:
        message = problem_message(error, page.language)
        raise ShowProblem(
            error, render(page, "message.html", error.status, error=message)
        ) from None
    file = spreadsheets.render(table, file_format, page.language)
    return Response(
        file.content,
        media_type=file.media_type,
        headers={
            "Content-Disposition": file.content_disposition,
            "Content-Language": page.language,
            "Cache-Control": "no-store",
        },
    )


@router.get("/settlement.{file_format}")
async def settlement_download(
    request: Request,
    session: SessionDep,
    file_format: DownloadFormat,
    from_month: Annotated[Month, Query(alias="from")] = None,
    to_month: Annotated[Month, Query(alias="to")] = None,
) -> Response:
    return await _download(request, session, from_month, to_month, file_format, None)


@router.get("/participation.{file_format}")
async def participation_download(
    request: Request,
    session: SessionDep,
    file_format: DownloadFormat,
    from_month: Annotated[Month, Query(alias="from")] = None,
    to_month: Annotated[Month, Query(alias="to")] = None,
    group_by: GroupBy = "month",
) -> Response:
    return await _download(request, session, from_month, to_month, file_format, group_by)
