"""Report tables (app.domain.report_tables) written as files a spreadsheet opens.

- CSV: UTF-8 with a byte-order mark (without one, Excel reads UTF-8 as Windows-1252 and
  garbles "Décompte"), CRLF line ends, `;` and a decimal comma in Dutch and French, `,`
  and a decimal point in English (`csv_style`).
- XLSX (openpyxl): one sheet with the table's title, a bold header row frozen at the top,
  money as numbers in euros with a euro format, shares as percentages, dates as dates.

Both are built in memory: a report is at most a few thousand rows.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Final, Literal

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from app.domain.localized import Lang
from app.domain.report_tables import CellKind, ReportTable, csv_cell, csv_style, safe_text

CSV_MEDIA_TYPE: Final = "text/csv"
XLSX_MEDIA_TYPE: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Excel's number formats: a euro amount with two decimals (the locale shows its own
# separators: "1.234,56 €" in Belgium), a share as a percentage, ISO dates.
EURO_FORMAT: Final = '#,##0.00 "€"'
SHARE_FORMAT: Final = "0.00%"
DATE_FORMAT: Final = "yyyy-mm-dd"
MONTH_FORMAT: Final = "yyyy-mm"
_FORMATS: Final[dict[CellKind, str]] = {
    "money": EURO_FORMAT,
    "share": SHARE_FORMAT,
    "date": DATE_FORMAT,
    "month": MONTH_FORMAT,
}
# Characters a sheet's title may not hold, and its length limit.
_TITLE_FORBIDDEN: Final = str.maketrans(dict.fromkeys("[]:*?/\\", " "))
_TITLE_LENGTH: Final = 31


FileFormat = Literal["csv", "xlsx"]


@dataclass(frozen=True, slots=True)
class SpreadsheetFile:
    content: bytes
    media_type: str  # as the Content-Type says it
    file_name: str

    @property
    def content_disposition(self) -> str:
        return f'attachment; filename="{self.file_name}"'


def render(table: ReportTable, file_format: FileFormat, language: Lang) -> SpreadsheetFile:
    """The table as a file to download, for the API and the dashboard alike."""
    if file_format == "csv":
        return SpreadsheetFile(
            to_csv(table, language), f"{CSV_MEDIA_TYPE}; charset=utf-8", table.file_name("csv")
        )
    return SpreadsheetFile(to_xlsx(table), XLSX_MEDIA_TYPE, table.file_name("xlsx"))


def to_csv(table: ReportTable, language: Lang) -> bytes:
    style = csv_style(language)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=style.separator, lineterminator="\r\n")
    writer.writerow([safe_text(column.header) for column in table.columns])
    writer.writerows(
        [
            csv_cell(value, column.kind, style)
            for value, column in zip(row, table.columns, strict=True)
        ]
        for row in table.rows
    )
    return buffer.getvalue().encode("utf-8-sig")


def _xlsx_value(value: object, kind: CellKind) -> object:
    if value is None:
        return None
    if kind == "money" and isinstance(value, int):
        # Exact euros: Decimal(2380) / 100 is 23.80, never 23.799999.
        return Decimal(value) / 100
    if kind in ("date", "month") and isinstance(value, date):
        return value
    if isinstance(value, str):
        # A cell is text in XLSX, never a formula, but the file may be saved as CSV again.
        return safe_text(value)
    return value


def to_xlsx(table: ReportTable) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # a new workbook has one sheet
    sheet.title = table.title.translate(_TITLE_FORBIDDEN)[:_TITLE_LENGTH]
    workbook.properties.title = table.title
    workbook.properties.creator = "OpenPas"
    sheet.append([column.header for column in table.columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in table.rows:
        sheet.append(
            [
                _xlsx_value(value, column.kind)
                for value, column in zip(row, table.columns, strict=True)
            ]
        )
    for index, column in enumerate(table.columns, start=1):
        letter = get_column_letter(index)
        number_format = _FORMATS.get(column.kind)
        if number_format is not None:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = number_format
        sheet.column_dimensions[letter].width = max(12, min(40, len(column.header) + 2))
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
