"""Suppression of small cells: no suppressed figure can be worked out from what is published."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from hypothesis import example, given, settings
from hypothesis import strategies as st

from app.domain.report_tables import format_cents
from app.domain.reports import (
    SUPPRESSION_THRESHOLD,
    CellCounts,
    Figures,
    cells_to_suppress,
    suppress,
)


@dataclass(frozen=True)
class Ticketline:
    person: int
    tickets: int
    discounted: bool
    discount_per_ticket: int


def counted(lines: list[Ticketline]) -> Figures:
    return Figures(
        passholders=len({line.person for line in lines}),
        tickets=sum(line.tickets for line in lines),
        social_tariff_tickets=sum(line.tickets for line in lines if line.discounted),
        discount_cents=sum(line.tickets * line.discount_per_ticket for line in lines),
    )


def ticketlines(people: st.SearchStrategy[int]) -> st.SearchStrategy[list[Ticketline]]:
    line = st.builds(
        Ticketline,
        person=people,
        tickets=st.integers(1, 3),
        discounted=st.booleans(),
        discount_per_ticket=st.integers(0, 2_000),
    )
    return st.lists(line, min_size=1, max_size=12)


# Cells that share people (months, partners) and cells that partition them (residence).
shared_cells = st.lists(ticketlines(st.integers(0, 14)), min_size=1, max_size=8)
partitioned_cells = st.lists(ticketlines(st.integers(0, 9)), min_size=1, max_size=8).map(
    lambda cells: [
        [
            Ticketline(
                i * 100 + line.person, line.tickets, line.discounted, line.discount_per_ticket
            )
            for line in cell
        ]
        for i, cell in enumerate(cells)
    ]
)


def report_of(cells: list[list[Ticketline]]) -> tuple[list[CellCounts], Figures]:
    counts = [CellCounts(f"cell-{i:02d}", None, counted(lines)) for i, lines in enumerate(cells)]
    return counts, counted([line for lines in cells for line in lines])


Measure = Callable[[Figures], int]
# Each measure with the least a cell can hold: a cell exists because someone bought a ticket.
ADDITIVE: list[tuple[str, Measure, int]] = [
    ("tickets", lambda f: f.tickets, 1),
    ("social_tariff_tickets", lambda f: f.social_tariff_tickets, 0),
    ("discount_cents", lambda f: f.discount_cents, 0),
]


def feasible_range(remainder: int, hidden_cells: int, least: int) -> tuple[int, int]:
    """What an attacker can say about one suppressed cell: the remainder (total minus
    published cells) spread over the suppressed cells, each holding at least `least`."""
    return least, remainder - (hidden_cells - 1) * least


def assert_nothing_recoverable(
    counts: list[CellCounts], total: Figures, measures: list[tuple[str, Measure, int]]
) -> None:
    published, published_total = suppress(counts, total)
    hidden = [cell for cell in published if cell.suppressed]
    shown = [cell.figures for cell in published if cell.figures is not None]
    assert all(f.passholders >= SUPPRESSION_THRESHOLD for f in shown)
    if published_total is None or not hidden:
        return
    for name, measure, least in measures:
        remainder = measure(published_total) - sum(measure(f) for f in shown)
        low, high = feasible_range(remainder, len(hidden), least)
        if least == 0 and remainder == 0:
            # Nothing left to spread: the suppressed cells are known to hold none of this
            # measure together, which says nothing about how many people they are.
            continue
        assert high > low, f"{name}: a suppressed cell is pinned to {low}"


# Five people, one ticket each, each in a month of their own: every cell is small.
ONE_TICKET_EACH = [[Ticketline(person, 1, True, 500)] for person in range(5)]


@settings(max_examples=400, deadline=None)
@given(shared_cells)
@example(ONE_TICKET_EACH)
def test_no_suppressed_cell_can_be_recovered_from_the_total_and_the_published_cells(
    cells: list[list[Ticketline]],
) -> None:
    counts, total = report_of(cells)
    assert_nothing_recoverable(counts, total, ADDITIVE)


@settings(max_examples=400, deadline=None)
@given(partitioned_cells)
@example(ONE_TICKET_EACH)
def test_when_cells_partition_people_their_head_counts_cannot_be_recovered_either(
    cells: list[list[Ticketline]],
) -> None:
    counts, total = report_of(cells)
    # With no one in two cells, distinct people add up like tickets do.
    people: list[tuple[str, Measure, int]] = [("passholders", lambda f: f.passholders, 1)]
    assert_nothing_recoverable(counts, total, [*ADDITIVE, *people])


@settings(max_examples=400, deadline=None)
@given(shared_cells)
def test_the_suppressed_cells_together_always_hold_at_least_five_people(
    cells: list[list[Ticketline]],
) -> None:
    counts, total = report_of(cells)
    hidden, total_hidden = cells_to_suppress(counts, total)
    if total_hidden or not hidden:
        return
    people = {
        line.person
        for cell, lines in zip(counts, cells, strict=True)
        if cell.key in hidden
        for line in lines
    }
    assert len(people) >= SUPPRESSION_THRESHOLD
    assert len(hidden) >= 2


@settings(max_examples=200, deadline=None)
@given(shared_cells, st.randoms(use_true_random=False))
def test_suppression_does_not_depend_on_the_order_of_the_cells(
    cells: list[list[Ticketline]], rng: random.Random
) -> None:
    counts, total = report_of(cells)
    shuffled = list(counts)
    rng.shuffle(shuffled)
    assert cells_to_suppress(shuffled, total) == cells_to_suppress(counts, total)


def figures(passholders: int, tickets: int | None = None) -> Figures:
    tickets = tickets or passholders
    return Figures(passholders, tickets, tickets, tickets * 100)


def test_one_small_cell_takes_the_next_smallest_cell_down_with_it() -> None:
    cells = [
        CellCounts("a", None, figures(40)),
        CellCounts("b", None, figures(2)),
        CellCounts("c", None, figures(7, tickets=9)),
        CellCounts("d", None, figures(7, tickets=8)),
    ]

    hidden, total_hidden = cells_to_suppress(cells, figures(50))

    assert hidden == {"b", "d"}
    assert total_hidden is False


def test_a_report_without_small_cells_is_published_whole() -> None:
    cells = [CellCounts("a", None, figures(5)), CellCounts("b", None, figures(9))]

    published, total = suppress(cells, figures(12))

    assert [cell.figures for cell in published] == [figures(5), figures(9)]
    assert total == figures(12)


def test_a_total_under_five_people_is_suppressed_with_every_cell() -> None:
    cells = [CellCounts("a", None, figures(3)), CellCounts("b", None, figures(1))]

    published, total = suppress(cells, figures(4))

    assert [cell.suppressed for cell in published] == [True, True]
    assert total is None


def test_amounts_are_written_in_euros_with_a_dot_and_two_decimals() -> None:
    assert [format_cents(c) for c in (2_380, 0, 5, 100, -5, 123_456_789)] == [
        "23.80",
        "0.00",
        "0.05",
        "1.00",
        "-0.05",
        "1234567.89",
    ]
    # and with the decimal comma of a Dutch or French spreadsheet
    assert format_cents(-123_456, ",") == "-1234,56"
