"""The coordinator's dashboard at /dashboard/: participation by month, municipality,
partner and scheme (each an SVG chart drawn on the server with pygal, and the same figures
as a table); non-take-up; the settlement, and participation by month, as CSV and XLSX
downloads (the API's own tables and files: app.services.reports, app.spreadsheets).

Every figure comes from app.services.reports, the API's own use cases: a suppressed cell
of the API is a suppressed bar here (no bar, "hidden" in the table), never a number.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

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
from app.domain.reports import Cell, GroupBy, Participation, ReportPeriod
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
    no_data_font_size=24,
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


@dataclass(frozen=True, slots=True)
class Chart:
    """One chart as inline SVG, and the cells it draws without a bar (suppressed in the
    API): the page names them beside the chart, as the SVG's description does."""

    id: str
    svg: str
    suppressed: tuple[str, ...]


def _cell_name(cell: Cell) -> str:
    return cell.label or cell.key


def _accessible(chart_id: str, description: str) -> Callable[[Any], Any]:
    """A pygal XML filter: no script (the page's CSP allows none inline, and the table
    carries the figures, so pygal's tooltips are not missed), and one image for screen
    readers, named by the chart's title and described by a `<desc>`."""

    def apply(root: Any) -> Any:
        for parent in root.iter():
            for child in list(parent):
                if child.tag == "script":
                    parent.remove(child)
        root.set("role", "img")
        root.set("aria-labelledby", f"{chart_id}-title")
        root.set("aria-describedby", f"{chart_id}-desc")
        title = root.find("title")
        assert title is not None  # every chart here has a title
        title.set("id", f"{chart_id}-title")
        desc = root.makeelement("desc", {"id": f"{chart_id}-desc"})
        desc.text = description
        root.insert(list(root).index(title) + 1, desc)
        return root

    return apply


def participation_chart(report: Participation, title: str, chart_id: str, language: Lang) -> Chart:
    """Passholders and tickets per cell as inline SVG: columns for months (time runs left
    to right), horizontal bars for municipalities, partners and schemes (long names stay
    readable). A suppressed cell is None to pygal: no bar, and no number anywhere."""
    suppressed = tuple(_cell_name(cell) for cell in report.cells if cell.figures is None)
    description = translate("web.chart_description", language, title=title)
    if suppressed:
        description += " " + translate(
            "web.chart_suppressed", language, cells=", ".join(suppressed)
        )
    # No bar at all: no cells, or every cell suppressed (then the chart says so).
    no_data = N_("web.suppressed") if report.cells else N_("web.no_lines")
    by_month = report.group_by == "month"
    kind = pygal.Bar if by_month else pygal.HorizontalBar
    chart = kind(
        style=_CHART_STYLE,
        js=[],  # no script file from anywhere; the inline one is filtered out below
        disable_xml_declaration=True,
        width=900,
        height=380 if by_month else max(260, 140 + 60 * len(report.cells)),
        legend_at_bottom=True,
        print_values=False,
        show_y_guides=True,
        order_min=0,  # people and tickets are whole numbers: no 0.1 steps on the scale
        title=title,
        no_data_text=translate(no_data, language),
        explicit_size=False,
    )
    chart.add_xml_filter(_accessible(chart_id, description))
    # pygal draws a horizontal chart's first label at the bottom: reversed, the bars read
    # top-down in the table's order.
    cells = report.cells if by_month else tuple(reversed(report.cells))
    chart.x_labels = [cell.key if by_month else _cell_name(cell) for cell in cells]
    chart.add(
        translate("web.passholders", language),
        [cell.figures.passholders if cell.figures else None for cell in cells],
    )
    chart.add(
        translate("web.tickets", language),
        [cell.figures.tickets if cell.figures else None for cell in cells],
    )
    svg: str = chart.render(is_unicode=True)
    return Chart(id=chart_id, svg=svg.strip(), suppressed=suppressed)


CHARTS: tuple[tuple[GroupBy, str, str], ...] = (
    ("month", N_("web.participation_by_month"), "by-month"),
    ("municipality", N_("web.by_municipality"), "by-municipality"),
    ("partner", N_("web.by_partner"), "by-partner"),
    ("scheme", N_("web.by_scheme"), "by-scheme"),
)


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
        "charts": {
            group_by: participation_chart(
                groups[group_by], translate(key, page.language), f"{html_id}-chart", page.language
            )
            for group_by, key, html_id in CHARTS
        },
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
        charts=figures["charts"],
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
