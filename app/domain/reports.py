"""Reports for partners, coordinators and councils: the rules that are not SQL.

Three reports, each summing confirmed sales (cancelled and expired sales and holds that were
never confirmed are left out) or registry counts:

- **Settlement** (afrekening): who owes what, per payer and scheme, to the cent.
- **Participation** (participatie): tickets, people reached and discount per month,
  partner, scheme, residence municipality or category, with small cells suppressed.
- **Non-take-up** (onderbenutting): how many people are entitled against how many hold an
  active card — counts only.

This module holds what is decided rather than queried: the default period and the
suppression of small cells. The reports as tables for spreadsheets (names, translated
headers, Belgian CSV) are app.domain.report_tables'.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final, Literal

# --- periods ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReportPeriod:
    """The activity dates a report covers: `from_date` included, `to_date` excluded."""

    from_date: date
    to_date: date

    def __post_init__(self) -> None:
        if self.from_date >= self.to_date:
            raise ValueError("a period ends after it starts")


def calendar_year_of(day: date) -> ReportPeriod:
    """Reports cover the current calendar year when the caller names no period."""
    return ReportPeriod(date(day.year, 1, 1), date(day.year + 1, 1, 1))


def closed_months_before(day: date) -> ReportPeriod:
    """This calendar year's months that ended before `day`'s month; in January, last year."""
    month = day.replace(day=1)
    return ReportPeriod(calendar_year_of(month - timedelta(days=1)).from_date, month)


def settlement_day(activity_date: date, on: date) -> date:
    """The day a sale line counts on in the settlement when it is confirmed (or taken off,
    when it is cancelled) on the local date `on`.

    A line counts on its activity date. But a month is settled once it is over — the
    partner's invoice of it is out — so a confirmation or a cancellation that comes after
    the activity's month ended counts on the first day of the month it happened in, as a
    late addition or a correction, and leaves the closed month as it was invoiced.
    """
    return max(activity_date, on.replace(day=1))


def is_first_of_month(day: date) -> bool:
    return day.day == 1


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


@dataclass(frozen=True, slots=True)
class MonthSplit:
    """A period cut at month boundaries: the whole calendar months it covers (None if it
    covers none) and the parts of months at its start and end (none, one or two)."""

    whole_months: ReportPeriod | None
    partial: tuple[ReportPeriod, ...]


def split_months(period: ReportPeriod) -> MonthSplit:
    """Cut a period into its whole months and the partial months at its edges.

    The pieces do not overlap and together are exactly the period, so sums over them add
    up to the sum over the period.
    """
    first_whole = (
        period.from_date if is_first_of_month(period.from_date) else _next_month(period.from_date)
    )
    end_whole = period.to_date.replace(day=1)
    if first_whole >= end_whole:
        return MonthSplit(None, (period,))
    partial = []
    if period.from_date < first_whole:
        partial.append(ReportPeriod(period.from_date, first_whole))
    if end_whole < period.to_date:
        partial.append(ReportPeriod(end_whole, period.to_date))
    return MonthSplit(ReportPeriod(first_whole, end_whole), tuple(partial))


# --- settlement ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PayerLine:
    """What one payer owes for one scheme, over the sale lines it co-funds.

    `scheme_code` is the scheme of the tariff the tickets were sold at; `funded_scheme_code`
    the scheme whose reduction this payer funds. They differ only for an on_top scheme (a
    welcome coupon) stacked on that tariff, whose own funders pay its part. Keeping the tariff
    as the grouping scheme is what makes a scheme's payers add up to the discount of the
    tickets sold at it, cent for cent.

    `tickets`, `regular_cents` and `paid_cents` describe the sale lines this payer takes a
    share of, so the lines of one scheme are counted once for each of its payers; the scheme
    totals count each line once.
    """

    scheme_code: str
    funded_scheme_code: str
    payer: str
    payer_ref: str | None
    tickets: int
    regular_cents: int
    paid_cents: int
    amount_cents: int


@dataclass(frozen=True, slots=True)
class SaleTotals:
    """Sale lines summed: tickets, their regular price, what holders paid, the reduction."""

    tickets: int
    regular_cents: int
    paid_cents: int
    discount_cents: int

    @staticmethod
    def of(parts: Iterable[SaleTotals]) -> SaleTotals:
        parts = list(parts)
        return SaleTotals(
            tickets=sum(p.tickets for p in parts),
            regular_cents=sum(p.regular_cents for p in parts),
            paid_cents=sum(p.paid_cents for p in parts),
            discount_cents=sum(p.discount_cents for p in parts),
        )


@dataclass(frozen=True, slots=True)
class SchemeTotal:
    scheme_code: str
    totals: SaleTotals


def reported_schemes(
    lines: Iterable[PayerLine], schemes: Iterable[SchemeTotal]
) -> tuple[SchemeTotal, ...]:
    """The scheme totals a settlement shows: those not at 0, and those at 0 that have payer
    lines — in a month where a late cancellation and a late confirmation of the same price
    cancel out, two buyers' municipalities may still owe and get back their shares, and
    those payers add up to their scheme's 0. A scheme whose sales were all counted and taken
    off again has nothing to show."""
    paid = {line.scheme_code for line in lines}
    empty = SaleTotals(0, 0, 0, 0)
    return tuple(s for s in schemes if s.totals != empty or s.scheme_code in paid)


@dataclass(frozen=True, slots=True)
class Settlement:
    partner_id: str | None
    region_id: str | None
    period: ReportPeriod
    lines: tuple[PayerLine, ...]
    schemes: tuple[SchemeTotal, ...]

    @property
    def total(self) -> SaleTotals:
        return SaleTotals.of(scheme.totals for scheme in self.schemes)


# --- participation and suppression -----------------------------------------------------------

GroupBy = Literal["month", "partner", "scheme", "municipality", "category"]

# Fewer distinct passholders than this in a cell and the cell is not published.
SUPPRESSION_THRESHOLD: Final = 5


@dataclass(frozen=True, slots=True)
class Figures:
    """Participation in one cell (or in the whole report).

    `passholders` counts distinct people; the other figures add up over cells. A ticket is
    "at a social tariff" when its line has a reduction (`discount_cents` > 0): every tariff
    OpenPas sells is some scheme's reduced price, and a line at the regular price (a scheme
    that happened to take nothing off) is not a social tariff.
    """

    passholders: int
    tickets: int
    social_tariff_tickets: int
    discount_cents: int
    # Of `tickets`, those sold on organisations' anonymous vouchers: tickets, never people.
    anonymous_tickets: int = 0
    # Visits to free activities (POST /v1/checkins), in the people they stand for; beside
    # the tickets, not among them.
    visits: int = 0

    @property
    def social_tariff_share(self) -> float | None:
        """The share of tickets at a social tariff, rounded to four decimals (a ratio, not
        money, so a float is fine)."""
        if self.tickets == 0:
            return None
        return round(self.social_tariff_tickets / self.tickets, 4)


@dataclass(frozen=True, slots=True)
class CellCounts:
    """One cell as counted: its key (a month "YYYY-MM", partner id, scheme code, NIS code
    or category) and a label where the key has one (a partner's or municipality's name)."""

    key: str
    label: str | None
    figures: Figures


@dataclass(frozen=True, slots=True)
class Cell:
    """One cell as published: `figures` is None when the cell is suppressed."""

    key: str
    label: str | None
    figures: Figures | None

    @property
    def suppressed(self) -> bool:
        return self.figures is None


@dataclass(frozen=True, slots=True)
class Participation:
    partner_id: str | None
    region_id: str
    period: ReportPeriod
    group_by: GroupBy
    cells: tuple[Cell, ...]
    total: Figures | None


def _smallest_first(cell: CellCounts) -> tuple[int, int, int, str]:
    f = cell.figures
    return (f.passholders, f.tickets, f.discount_cents, cell.key)


def cells_to_suppress(
    cells: Sequence[CellCounts], total: Figures, threshold: int = SUPPRESSION_THRESHOLD
) -> tuple[frozenset[str], bool]:
    """Which cells (by key) to suppress, and whether the total row goes too.

    The rule, and why it is enough:

    1. *Primary*: a cell with fewer than `threshold` distinct passholders is suppressed.
    2. The published total minus the published cells is exactly what the suppressed cells
       hold together (tickets, social-tariff tickets and discount add up over cells). That
       remainder must itself describe at least `threshold` people, or it would disclose
       them as one small group. The people in the suppressed cells are at least as many as
       in the largest of them, so it is enough that one suppressed cell has `threshold` or
       more people. Every primary cell has fewer, so as soon as one cell is suppressed the
       smallest published cell (fewest people, then fewest tickets, then least discount, then
       key) is suppressed too (*complementary* suppression). That cell has at least
       `threshold` people, so the remainder does too.
    3. A lone suppressed cell would be the total minus the others; rule 2 always adds a
       second one, so at least two cells are suppressed whenever any is, and no single
       suppressed cell can be computed: the complementary cell has at least `threshold`
       tickets, so the tickets left for any one suppressed cell range over several values.
    4. When every cell is primary there is no published cell to add; the remainder is then
       the total itself, whose distinct passholders are counted exactly. It stays published
       when it has at least `threshold` people *and* more people than there are cells: with
       as many people (or tickets) as cells, each cell would have to hold exactly one. A
       total with fewer than `threshold` people is always suppressed (and then every cell
       is, since no cell has more people than the total).

    Distinct passholders do not add up over cells (one person can be in several months), so
    they give an attacker no exact equation; when cells do partition people (residence
    municipality) the remainder of people is at least `threshold` by rule 2 as well.

    What this does not protect against: comparing *different* reports (another period, or
    another grouping of the same period). Participation periods are whole months to make
    that coarse, and the reports are only for the region's own coordinators.
    """
    if total.passholders < threshold:
        return frozenset(cell.key for cell in cells), True
    suppressed = {cell.key for cell in cells if cell.figures.passholders < threshold}
    if not suppressed:
        return frozenset(), False
    published = sorted((cell for cell in cells if cell.key not in suppressed), key=_smallest_first)
    if published:
        suppressed.add(published[0].key)
        return frozenset(suppressed), False
    return frozenset(suppressed), total.passholders <= len(suppressed)


def suppress(
    cells: Sequence[CellCounts], total: Figures, threshold: int = SUPPRESSION_THRESHOLD
) -> tuple[tuple[Cell, ...], Figures | None]:
    """The cells and the total as they may be published (see `cells_to_suppress`)."""
    hidden, total_hidden = cells_to_suppress(cells, total, threshold)
    published = tuple(
        Cell(cell.key, cell.label, None if cell.key in hidden else cell.figures) for cell in cells
    )
    return published, None if total_hidden else total


# --- non-take-up -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NonTakeUp:
    """Entitled people in a region today, against those who hold an active card.

    `entitled_passholders`: passholders living in the region with a status usable there
    today; `with_active_card`: those of them with an active card of the region;
    `pending_people`: distinct people on an authoritative list (a pending entitlement of the
    region, valid today, not applied) who are not registered as passholders of the region.
    The *unknown group* is everyone entitled who does not use the pass: entitled
    passholders without an active card plus the pending people.

    These are counts for the whole region, with no breakdown by any personal attribute, so
    they are published as they are (no suppression of small numbers): a region-wide count
    attaches nothing to any one person, and the readers are the region's own coordinators,
    who run its registry.
    """

    region_id: str
    on: date
    entitled_passholders: int
    with_active_card: int
    pending_people: int

    @property
    def entitled(self) -> int:
        return self.entitled_passholders + self.pending_people

    @property
    def entitled_without_active_card(self) -> int:
        return self.entitled_passholders - self.with_active_card

    @property
    def unknown_group(self) -> int:
        return self.entitled_without_active_card + self.pending_people

    @property
    def take_up_share(self) -> float | None:
        """Share of the entitled who hold an active card, four decimals; None if none are."""
        if self.entitled == 0:
            return None
        return round(self.with_active_card / self.entitled, 4)
