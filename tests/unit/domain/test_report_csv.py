"""Report CSV: text a spreadsheet would run as a formula is written as text."""

from __future__ import annotations

import csv
import io
from datetime import date

from app.domain.reports import (
    Cell,
    Figures,
    Participation,
    PayerLine,
    ReportPeriod,
    SaleTotals,
    SchemeTotal,
    Settlement,
    participation_csv,
    settlement_csv,
)

PERIOD = ReportPeriod(date(2026, 1, 1), date(2027, 1, 1))


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_a_partner_named_like_a_formula_is_written_as_text() -> None:
    figures = Figures(passholders=6, tickets=9, social_tariff_tickets=9, discount_cents=1_000)
    names = ['=HYPERLINK("http://evil.example","klik")', "+32 56 00 00 00", "@SUM(A1)", "-1+2"]
    names += ["\tTab", "De Kreun", "-4.00"]
    report = Participation(
        partner_id=None,
        region_id="r",
        period=PERIOD,
        group_by="partner",
        cells=tuple(Cell(f"p{n}", name, figures) for n, name in enumerate(names)),
        total=figures,
    )

    labels = [row[1] for row in rows(participation_csv(report, "nl"))[1:-1]]

    assert labels == [
        '\'=HYPERLINK("http://evil.example","klik")',
        "'+32 56 00 00 00",
        "'@SUM(A1)",
        "'-1+2",
        "'\tTab",
        "De Kreun",
        "-4.00",  # a number stays a number
    ]


def test_negative_amounts_of_a_correction_stay_numbers() -> None:
    line = PayerLine("KANS", "KANS", "partner", "=cmd", -1, -1_000, -200, -400)
    settlement = Settlement(
        partner_id="p",
        region_id=None,
        period=PERIOD,
        lines=(line,),
        schemes=(SchemeTotal("KANS", SaleTotals(-1, -1_000, -200, -800)),),
    )

    [payer, scheme, total] = rows(settlement_csv(settlement, "en"))[1:]

    assert payer[3:] == ["partner", "'=cmd", "-1", "-10.00", "-2.00", "-4.00"]
    assert scheme[5:] == ["-1", "-10.00", "-2.00", "-8.00"]
    assert total[5:] == scheme[5:]
