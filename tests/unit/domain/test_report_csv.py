"""Report files: text a spreadsheet would run as a formula is written as text; Belgian CSV
has `;` and decimal commas in Dutch and French; XLSX cells are typed."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal

import openpyxl

from app.domain.localized import Lang, LocalizedText
from app.domain.report_tables import (
    ReportNames,
    participation_table,
    payer_label,
    settlement_table,
)
from app.domain.reports import (
    Cell,
    Figures,
    Participation,
    PayerLine,
    ReportPeriod,
    SaleTotals,
    SchemeTotal,
    Settlement,
)
from app.i18n import texts
from app.spreadsheets import EURO_FORMAT, to_csv, to_xlsx

PERIOD = ReportPeriod(date(2026, 1, 1), date(2027, 1, 1))


def rows(content: bytes, language: Lang = "en") -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf")  # a byte-order mark: Excel reads UTF-8
    delimiter = "," if language == "en" else ";"
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=delimiter))


def test_a_partner_named_like_a_formula_is_written_as_text() -> None:
    figures = Figures(passholders=6, tickets=9, social_tariff_tickets=9, discount_cents=1_000)
    names = ['=HYPERLINK("http://evil.example","klik")', "+32 56 00 00 00", "@SUM(A1)", "-1+2"]
    names += ["\tTab", "De Kreun", "-4.00", "-4,00"]
    report = Participation(
        partner_id=None,
        region_id="r",
        period=PERIOD,
        group_by="partner",
        cells=tuple(Cell(f"p{n}", name, figures) for n, name in enumerate(names)),
        total=figures,
    )

    table = participation_table(report, ReportNames(), texts("nl"))
    labels = [row[1] for row in rows(to_csv(table, "nl"), "nl")[1:-1]]
    sheet = openpyxl.load_workbook(io.BytesIO(to_xlsx(table))).active
    assert sheet is not None

    assert labels == [
        '\'=HYPERLINK("http://evil.example","klik")',
        "'+32 56 00 00 00",
        "'@SUM(A1)",
        "'-1+2",
        "'\tTab",
        "De Kreun",
        "-4.00",  # a number stays a number
        "-4,00",
    ]
    assert [sheet.cell(row=n, column=2).value for n in range(2, 10)] == labels


def _correction() -> Settlement:
    line = PayerLine("KANS", "KANS", "partner", "=cmd", -1, -1_000, -200, -400)
    return Settlement(
        partner_id="p",
        region_id=None,
        period=PERIOD,
        lines=(line,),
        schemes=(SchemeTotal("KANS", SaleTotals(-1, -1_000, -200, -800)),),
    )


def test_negative_amounts_of_a_correction_stay_numbers() -> None:
    [payer, scheme, total] = rows(
        to_csv(settlement_table(_correction(), ReportNames(), texts("en")), "en")
    )[1:]

    assert payer[5:13] == ["partner", "partner", "'=cmd", "", "-1", "-10.00", "-2.00", "-4.00"]
    assert scheme[9:13] == ["-1", "-10.00", "-2.00", "-8.00"]
    assert total[9:] == [*scheme[9:13], "2026-01-01", "2026-12-31"]


def test_dutch_and_french_csv_use_semicolons_and_decimal_commas_with_names() -> None:
    names = ReportNames(
        partners={"p": "Schouwburg; Kortrijk"},
        schemes={"KANS": LocalizedText("Kansentarief", fr="Tarif social")},
    )
    settlement = _correction()

    dutch = rows(to_csv(settlement_table(settlement, names, texts("nl")), "nl"), "nl")
    french = rows(to_csv(settlement_table(settlement, names, texts("fr")), "fr"), "fr")

    assert dutch[1] == [
        "betaler",
        "KANS",
        "Kansentarief",
        "KANS",
        "Kansentarief",
        "partner",
        "partner",
        "'=cmd",
        "",  # "=cmd" is no partner id: no name
        "-1",
        "-10,00",
        "-2,00",
        "-4,00",
        "2026-01-01",
        "2026-12-31",
    ]
    assert french[0][:3] == ["type", "système de réduction", "nom du système de réduction"]
    assert french[1][2] == "Tarif social"
    assert french[-1][9:13] == ["-1", "-10,00", "-2,00", "-8,00"]
    assert payer_label("home_municipality", texts("fr")) == "commune de résidence du détenteur"
    assert payer_label("ARTIKEL_27_VZW", texts("nl")) == "financier"


def test_german_csv_has_german_headers_semicolons_and_decimal_commas() -> None:
    names = ReportNames(schemes={"KANS": LocalizedText("Kansentarief", fr="Tarif social")})
    content = to_csv(settlement_table(_correction(), names, texts("de")), "de")

    german = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))

    assert german[0][:3] == ["Art", "Ermäßigungssystem", "Name des Ermäßigungssystems"]
    assert german[0][-2:] == ["erster Tag", "letzter Tag"]
    # A scheme's name is written by people, not in German: it shows in Dutch.
    assert german[1][:3] == ["Zahler", "KANS", "Kansentarief"]
    assert german[1][6] == "Partner"
    assert german[-1][0] == "Summe"
    assert german[-1][9:13] == ["-1", "-10,00", "-2,00", "-8,00"]
    assert payer_label("ARTIKEL_27_VZW", texts("de")) == "Geldgeber"


def test_an_xlsx_has_typed_money_and_date_cells() -> None:
    table = settlement_table(_correction(), ReportNames(), texts("nl"))

    workbook = openpyxl.load_workbook(io.BytesIO(to_xlsx(table)))
    sheet = workbook.active
    assert sheet is not None

    assert sheet.title == "Afrekening"
    assert [cell.value for cell in sheet[1]][:2] == ["soort", "kortingssysteem"]
    amount = sheet.cell(row=2, column=13)
    assert amount.value == -4  # a number, not the text "-4,00"
    assert Decimal(str(amount.value)) == Decimal("-4.00")
    assert amount.number_format == EURO_FORMAT
    assert sheet.cell(row=3, column=11).value == -10
    first_day = sheet.cell(row=4, column=14)
    assert first_day.value == datetime(2026, 1, 1)
    assert first_day.is_date
    assert sheet.cell(row=2, column=8).value == "'=cmd"
