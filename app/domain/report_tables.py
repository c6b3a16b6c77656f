"""Reports as tables for people: the rows a spreadsheet shows, with names beside the ids,
headers and payer labels in Dutch, French, English or German (messages `report.*` in the
catalogues, app/locale), and the rules of Belgian spreadsheets.

One table per report, built from the report the API answers as JSON, so a file always
holds the JSON's figures. `app.spreadsheets` writes a table as CSV or XLSX; this module
decides what is in it and how a CSV cell is written:

- Dutch and French: `;` between cells and a decimal comma (`238,00`), as Excel and
  LibreOffice read a CSV with a Belgian (or French, or Dutch) locale; English: `,` and a
  decimal point. No thousands separator, which a spreadsheet would read as text.
- Money is in euros with two decimals, shares with four; dates are ISO (`2026-01-31`),
  months `2026-01`.
- Text a spreadsheet would run as a formula starts with an apostrophe.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Final, Literal

from app.domain.funding import HOME_MUNICIPALITY, ORGANISATION, PARTNER, SCHEME_OWNER
from app.domain.localized import Lang, LocalizedText
from app.domain.messages import N_, Texts
from app.domain.reports import (
    Figures,
    NonTakeUp,
    Participation,
    ReportPeriod,
    SaleTotals,
    Settlement,
)
from app.domain.vouchers import AllocationFigures

# --- the table --------------------------------------------------------------------------------

# What a column holds: a spreadsheet gets numbers as numbers, money in euros (the table
# holds cents), dates as dates.
CellKind = Literal["text", "integer", "money", "share", "date", "month"]


@dataclass(frozen=True, slots=True)
class Column:
    header: str
    kind: CellKind = "text"


@dataclass(frozen=True, slots=True)
class ReportTable:
    """A report as rows under a header. Cells hold `str` (text), `int` (integer, or cents
    for money), `float` (a share), `date` (a date, or the first day of a month) or None
    (an empty cell: a suppressed figure, a reference a payer does not have)."""

    name: str  # the file name's stem: "settlement"
    title: str  # the sheet's title, in the table's language
    columns: tuple[Column, ...]
    rows: tuple[tuple[object, ...], ...]
    period: ReportPeriod | None = None

    def __post_init__(self) -> None:
        if any(len(row) != len(self.columns) for row in self.rows):
            raise ValueError("every row has a cell for each column")

    def file_name(self, extension: str) -> str:
        if self.period is None:
            return f"{self.name}.{extension}"
        return f"{self.name}_{self.period.from_date}_{self.period.to_date}.{extension}"


@dataclass(frozen=True, slots=True)
class ReportNames:
    """Names for the ids in a report, read from the registry and the catalogue: partners
    and organisations by id, municipalities by NIS code, regions by code, schemes by code
    (in the languages the scheme is written in)."""

    partners: Mapping[str, str] = field(default_factory=dict)
    municipalities: Mapping[str, str] = field(default_factory=dict)
    regions: Mapping[str, str] = field(default_factory=dict)
    organisations: Mapping[str, str] = field(default_factory=dict)
    schemes: Mapping[str, LocalizedText] = field(default_factory=dict)

    def scheme(self, code: str, language: Lang) -> str | None:
        name = self.schemes.get(code)
        return None if name is None else name.get(language)


# --- CSV cells --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CsvStyle:
    separator: str
    decimal: str


_CSV_STYLES: Final[Mapping[Lang, CsvStyle]] = {
    "nl": CsvStyle(separator=";", decimal=","),
    "fr": CsvStyle(separator=";", decimal=","),
    "en": CsvStyle(separator=",", decimal="."),
    "de": CsvStyle(separator=";", decimal=","),
}


def csv_style(language: Lang) -> CsvStyle:
    """Belgian Excel splits a CSV on `;` and reads `238,00` as a number in Dutch, French
    and German; an English one expects `,` and `238.00`."""
    return _CSV_STYLES[language]


def format_cents(cents: int, decimal: str = ".") -> str:
    """Integer cents as euros: 2380 -> "23.80" (or "23,80"), -5 -> "-0.05"."""
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}{whole}{decimal}{part:02d}"


def format_share(share: float | None, decimal: str = ".") -> str:
    return "" if share is None else f"{share:.4f}".replace(".", decimal)


# A spreadsheet runs a cell that starts with one of these as a formula: a partner named
# "=HYPERLINK(…)" would put a link, or worse, in a coordinator's sheet. Such text gets a
# leading apostrophe (OWASP's advice on CSV injection); text that is a number stays as it is.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"-?[0-9]+([.,][0-9]+)?")


def safe_text(value: str) -> str:
    if value.startswith(_FORMULA_STARTS) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def csv_cell(value: object, kind: CellKind, style: CsvStyle) -> str:
    """One cell as CSV text."""
    if value is None:
        return ""
    if kind == "money" and isinstance(value, int):
        return format_cents(value, style.decimal)
    if kind == "share" and isinstance(value, float):
        return format_share(value, style.decimal)
    if kind == "month" and isinstance(value, date):
        return f"{value:%Y-%m}"
    if kind == "date" and isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return safe_text(value)
    return str(value)


# --- labels -----------------------------------------------------------------------------------
# Titles, headers and labels are messages `report.*` in the catalogues (app/locale).

_TITLES: Final[Mapping[str, str]] = {
    "settlement": N_("report.title.settlement"),
    "participation": N_("report.title.participation"),
    "allocations": N_("report.title.allocations"),
    "non_take_up": N_("report.title.non_take_up"),
}

_PERIOD_HEADERS: Final = (N_("report.period.first_day"), N_("report.period.last_day"))

_SETTLEMENT_HEADERS: Final = (
    N_("report.settlement.kind"),
    N_("report.settlement.scheme"),
    N_("report.settlement.scheme_name"),
    N_("report.settlement.discount_paid_for"),
    N_("report.settlement.name_of_the_scheme_paid_for"),
    N_("report.settlement.payer"),
    N_("report.settlement.payer_kind"),
    N_("report.settlement.payer_reference"),
    N_("report.settlement.payer_name"),
    N_("report.settlement.tickets"),
    N_("report.settlement.regular_price"),
    N_("report.settlement.paid_by_passholders"),
    N_("report.settlement.amount"),
)

# What the first column of a settlement row says it is.
_SETTLEMENT_KINDS: Final = (
    N_("report.settlement.row.payer_line"),
    N_("report.settlement.row.scheme_total"),
    N_("report.settlement.row.total"),
)

# The payers of a funding key (app.domain.funding), as a coordinator calls them; any other
# payer is a named funder (its code is its name).
PAYER_LABELS: Final[Mapping[str, str]] = {
    PARTNER: N_("report.payer.partner"),
    HOME_MUNICIPALITY: N_("report.payer.home_municipality"),
    SCHEME_OWNER: N_("report.payer.scheme_owner"),
    ORGANISATION: N_("report.payer.organisation"),
}
_FUNDER: Final = N_("report.payer.funder")


def payer_label(payer: str, t: Texts) -> str:
    return t(PAYER_LABELS.get(payer, _FUNDER))


def payer_name(payer: str, payer_ref: str | None, names: ReportNames) -> str | None:
    """Who the payer is, by name: the partner, the municipality, the region, the
    organisation; a funder is named by its code."""
    if payer not in PAYER_LABELS:
        return payer
    if payer_ref is None:
        return None
    by_ref = {
        PARTNER: names.partners,
        HOME_MUNICIPALITY: names.municipalities,
        SCHEME_OWNER: names.regions,
        ORGANISATION: names.organisations,
    }[payer]
    return by_ref.get(payer_ref)


_GROUP_HEADERS: Final[Mapping[str, str]] = {
    "month": N_("report.participation.group.month"),
    "partner": N_("report.participation.group.partner"),
    "scheme": N_("report.participation.group.scheme"),
    "municipality": N_("report.participation.group.municipality"),
    "category": N_("report.participation.group.category"),
}

_PARTICIPATION_HEADERS: Final = (
    N_("report.participation.name"),
    N_("report.participation.tickets"),
    N_("report.participation.passholders"),
    N_("report.participation.social_tariff_tickets"),
    N_("report.participation.social_tariff_share"),
    N_("report.participation.discount"),
    N_("report.participation.suppressed"),
    N_("report.participation.anonymous_tickets_vouchers"),
    N_("report.participation.visits"),
)

_ALLOCATION_HEADERS: Final = (
    N_("report.allocations.organisation"),
    N_("report.allocations.name"),
    N_("report.allocations.scheme"),
    N_("report.allocations.scheme_name"),
    N_("report.allocations.allocated"),
    N_("report.allocations.issued"),
    N_("report.allocations.redeemed"),
    N_("report.allocations.expired"),
    N_("report.allocations.revoked"),
)

_NON_TAKE_UP_HEADERS: Final = (
    N_("report.non_take_up.region"),
    N_("report.non_take_up.region_name"),
    N_("report.non_take_up.counted_on"),
    N_("report.non_take_up.entitled"),
    N_("report.non_take_up.entitled_passholders"),
    N_("report.non_take_up.with_an_active_card"),
    N_("report.non_take_up.entitled_without_an_active_card"),
    N_("report.non_take_up.not_registered_yet"),
    N_("report.non_take_up.unknown_group"),
    N_("report.non_take_up.take_up_share"),
)

_TOTAL: Final = N_("report.total")
_YES_NO: Final = (N_("report.yes"), N_("report.no"))


def _columns(headers: Sequence[str], kinds: Sequence[CellKind], t: Texts) -> tuple[Column, ...]:
    """Columns with their headers (message keys) in the table's language."""
    return tuple(Column(t(header), kind) for header, kind in zip(headers, kinds, strict=True))


def _period_cells(period: ReportPeriod) -> tuple[date, date]:
    """The first and the last day counted: a person reads "to" as included."""
    return period.from_date, period.to_date - timedelta(days=1)


# --- the reports ------------------------------------------------------------------------------


def _totals_cells(totals: SaleTotals) -> tuple[object, ...]:
    return (totals.tickets, totals.regular_cents, totals.paid_cents, totals.discount_cents)


def settlement_table(settlement: Settlement, names: ReportNames, t: Texts) -> ReportTable:
    """Payer lines, then one total per scheme, then the grand total; the first column says
    which, so a spreadsheet can filter on it. Every row carries the period."""
    language = t.language
    payer_kind, scheme_total, total = (t(kind) for kind in _SETTLEMENT_KINDS)
    period = _period_cells(settlement.period)
    rows: list[tuple[object, ...]] = [
        (
            payer_kind,
            line.scheme_code,
            names.scheme(line.scheme_code, language),
            line.funded_scheme_code,
            names.scheme(line.funded_scheme_code, language),
            line.payer,
            payer_label(line.payer, t),
            line.payer_ref,
            payer_name(line.payer, line.payer_ref, names),
            line.tickets,
            line.regular_cents,
            line.paid_cents,
            line.amount_cents,
            *period,
        )
        for line in settlement.lines
    ]
    rows += [
        (
            scheme_total,
            scheme.scheme_code,
            names.scheme(scheme.scheme_code, language),
            None,
            None,
            None,
            None,
            None,
            None,
            *_totals_cells(scheme.totals),
            *period,
        )
        for scheme in settlement.schemes
    ]
    rows.append((total, *([None] * 8), *_totals_cells(settlement.total), *period))
    kinds: tuple[CellKind, ...] = (
        *(("text",) * 9),
        "integer",
        "money",
        "money",
        "money",
        "date",
        "date",
    )
    return ReportTable(
        name="settlement",
        title=t(_TITLES["settlement"]),
        columns=_columns((*_SETTLEMENT_HEADERS, *_PERIOD_HEADERS), kinds, t),
        rows=tuple(rows),
        period=settlement.period,
    )


def _figures_cells(figures: Figures | None, t: Texts) -> tuple[object, ...]:
    yes, no = (t(word) for word in _YES_NO)
    if figures is None:
        return (None, None, None, None, None, yes, None, None)
    return (
        figures.tickets,
        figures.passholders,
        figures.social_tariff_tickets,
        figures.social_tariff_share,
        figures.discount_cents,
        no,
        figures.anonymous_tickets,
        figures.visits,
    )


def _month_of(key: str) -> date:
    year, month = key.split("-")
    return date(int(year), int(month), 1)


def participation_table(report: Participation, names: ReportNames, t: Texts) -> ReportTable:
    """One row per cell, then the total; a suppressed cell has empty figures. A month is a
    date (its first day) a spreadsheet can sort and chart."""
    language = t.language
    by_month = report.group_by == "month"
    period = _period_cells(report.period)

    def label(key: str, given: str | None) -> str | None:
        if report.group_by == "scheme":
            return names.scheme(key, language) or given
        return given

    rows: list[tuple[object, ...]] = [
        (
            _month_of(cell.key) if by_month else cell.key,
            label(cell.key, cell.label),
            *_figures_cells(cell.figures, t),
            *period,
        )
        for cell in report.cells
    ]
    rows.append((t(_TOTAL), None, *_figures_cells(report.total, t), *period))
    kinds: tuple[CellKind, ...] = (
        "month" if by_month else "text",
        "text",
        "integer",
        "integer",
        "integer",
        "share",
        "money",
        "text",
        "integer",
        "integer",
        "date",
        "date",
    )
    headers = (_GROUP_HEADERS[report.group_by], *_PARTICIPATION_HEADERS, *_PERIOD_HEADERS)
    return ReportTable(
        name=f"participation_{report.group_by}",
        title=t(_TITLES["participation"]),
        columns=_columns(headers, kinds, t),
        rows=tuple(rows),
        period=report.period,
    )


_ALLOCATION_FIGURES = ("allocated", "issued", "redeemed", "expired", "revoked")


def allocations_table(
    lines: Sequence[AllocationFigures], period: ReportPeriod, names: ReportNames, t: Texts
) -> ReportTable:
    """One row per organisation and scheme, then the total, in tickets."""
    dates = _period_cells(period)
    rows: list[tuple[object, ...]] = [
        (
            line.organisation_id,
            line.organisation_name,
            line.scheme_code,
            names.scheme(line.scheme_code, t.language),
            *(getattr(line, figure) for figure in _ALLOCATION_FIGURES),
            *dates,
        )
        for line in lines
    ]
    rows.append(
        (
            t(_TOTAL),
            None,
            None,
            None,
            *(sum(getattr(line, figure) for line in lines) for figure in _ALLOCATION_FIGURES),
            *dates,
        )
    )
    kinds: tuple[CellKind, ...] = (*(("text",) * 4), *(("integer",) * 5), "date", "date")
    return ReportTable(
        name="allocations",
        title=t(_TITLES["allocations"]),
        columns=_columns((*_ALLOCATION_HEADERS, *_PERIOD_HEADERS), kinds, t),
        rows=tuple(rows),
        period=period,
    )


def non_take_up_table(report: NonTakeUp, region_name: str | None, t: Texts) -> ReportTable:
    """One row: the region's counts on the day they were counted."""
    row = (
        report.region_id,
        region_name,
        report.on,
        report.entitled,
        report.entitled_passholders,
        report.with_active_card,
        report.entitled_without_active_card,
        report.pending_people,
        report.unknown_group,
        report.take_up_share,
    )
    kinds: tuple[CellKind, ...] = ("text", "text", "date", *(("integer",) * 6), "share")
    return ReportTable(
        name=f"non_take_up_{report.on}",
        title=t(_TITLES["non_take_up"]),
        columns=_columns(_NON_TAKE_UP_HEADERS, kinds, t),
        rows=(row,),
    )
