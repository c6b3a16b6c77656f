"""The dashboard's charts: a cell the API suppresses draws no bar and shows no number, the
SVG carries no script (the page's CSP would block it), and screen readers get one image
with a title and a description naming the suppressed cells."""

from __future__ import annotations

import re
from datetime import date

import pytest

from app.domain.reports import Cell, Figures, GroupBy, Participation, ReportPeriod
from app.web.dashboard import participation_chart

BAR = 'class="rect reactive tooltip-trigger"'


def report(group_by: GroupBy, cells: tuple[Cell, ...]) -> Participation:
    return Participation(
        partner_id=None,
        region_id="REGIO_KORTRIJK",
        period=ReportPeriod(date(2027, 1, 1), date(2027, 4, 1)),
        group_by=group_by,
        cells=cells,
        total=Figures(passholders=19, tickets=31, social_tariff_tickets=30, discount_cents=0),
    )


def figures(passholders: int, tickets: int) -> Figures:
    return Figures(passholders, tickets, social_tariff_tickets=tickets, discount_cents=0)


CELLS = {
    "municipality": (
        Cell("34022", "Kortrijk", figures(11, 17)),
        Cell("34013", "Harelbeke", None),
        Cell("34041", "Wevelgem", figures(8, 14)),
    ),
    "month": (
        Cell("2027-01", None, figures(11, 17)),
        Cell("2027-02", None, None),
        Cell("2027-03", None, figures(8, 14)),
    ),
}


@pytest.mark.parametrize("group_by", ["municipality", "month"])
def test_a_suppressed_cell_draws_no_bar_and_no_number(group_by: GroupBy) -> None:
    chart = participation_chart(
        report(group_by, CELLS[group_by]), "Per gemeente", "by-x-chart", "nl"
    )
    # Two series (passholders, tickets) over the two published cells: four bars.
    assert chart.svg.count(BAR) == 4
    values = re.findall(r'<desc class="value">([^<]*)</desc>', chart.svg)
    assert sorted(values) == ["11", "14", "17", "8"]
    suppressed = "Harelbeke" if group_by == "municipality" else "2027-02"
    assert chart.suppressed == (suppressed,)
    # No bar carries the suppressed cell's label; the description names it.
    labels = re.findall(r'<desc class="x_label">([^<]*)</desc>', chart.svg)
    assert suppressed not in labels
    assert set(labels) == {c.label or c.key for c in CELLS[group_by]} - {suppressed}
    desc = re.search(r'<desc id="by-x-chart-desc">([^<]*)</desc>', chart.svg)
    assert desc is not None
    assert desc.group(1) == (
        "Per gemeente: het aantal pashouders en tickets als staven, per rij van de tabel"
        f" eronder. Zonder staaf, omdat ze verborgen zijn (minder dan 5 personen): {suppressed}."
    )


def test_a_chart_is_one_image_without_script() -> None:
    chart = participation_chart(
        report("municipality", CELLS["municipality"]), "By municipality", "m-chart", "en"
    )
    assert "<script" not in chart.svg
    assert "window.pygal" not in chart.svg
    root = re.match(r"<svg [^>]*>", chart.svg)
    assert root is not None
    assert 'role="img"' in root.group(0)
    assert 'aria-labelledby="m-chart-title"' in root.group(0)
    assert 'aria-describedby="m-chart-desc"' in root.group(0)
    assert '<title id="m-chart-title">By municipality</title>' in chart.svg
    assert "horizontalbar-graph" in chart.svg  # long names as horizontal bars


def test_a_report_without_suppression_says_nothing_of_it() -> None:
    cells = (Cell("34022", "Kortrijk", figures(11, 17)),)
    chart = participation_chart(report("municipality", cells), "Par commune", "c", "fr")
    assert chart.suppressed == ()
    assert chart.svg.count(BAR) == 2
    assert "masqué" not in chart.svg


def test_a_chart_whose_every_cell_is_suppressed_says_so_and_draws_nothing() -> None:
    cells = (Cell("34022", "Kortrijk", None), Cell("34013", "Harelbeke", None))
    chart = participation_chart(report("municipality", cells), "Per gemeente", "g", "nl")
    assert chart.svg.count(BAR) == 0
    assert "verborgen (minder dan 5 personen)" in chart.svg
    assert chart.suppressed == ("Kortrijk", "Harelbeke")
