"""Reports for partners, coordinators and councils: settlement, participation, non-take-up,
organisations' allocations.

JSON by default; `Accept: text/csv` gives the same report as a CSV file for Belgian
spreadsheets and `Accept: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet`
as an XLSX workbook, with names beside the ids and headers in Dutch, or French, English or
German with `Accept-Language` (app.domain.report_tables says what is in them, app.spreadsheets
how they are written). Any other Accept: 406 not-acceptable.

Periods are days, `from` included and `to` excluded; without both, the current calendar
year (Europe/Brussels). Participation counts sales on their activity date, by whole months.
A settlement counts each sale on its activity date too, unless the sale was confirmed or
cancelled after that month closed: then on the first day of the month it happened in
(app.domain.reports.settlement_day), so a closed month's settlement never changes. A
partner admin's settlement periods are closed months (a day's payer lines would name
buyers' municipalities).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Final, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import Field

from app.api.deps import Authorized, SessionDep, long_statements
from app.api.models import ID_SCHEMA, IsoDate, ResponseModel, parse_reference, require_to_after_from
from app.api.problems import negotiate_language, problem_responses
from app.clock import today_in_brussels
from app.domain.access import Principal
from app.domain.localized import LANGUAGES, Lang
from app.domain.report_tables import ReportTable
from app.domain.reports import (
    SUPPRESSION_THRESHOLD,
    Figures,
    GroupBy,
    ReportPeriod,
    SaleTotals,
)
from app.errors import NotAcceptable, Unprocessable
from app.services import reports as service
from app.spreadsheets import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE, FileFormat, render

# Reports may scan a year of sales: a longer statement timeout than the desk's.
router = APIRouter(prefix="/v1/reports", tags=["reports"], dependencies=[Depends(long_statements)])

# The same URL answers JSON, CSV or XLSX, with Dutch, French, English or German headers: caches
# must tell them apart.
VARY = "Accept, Accept-Language"
MaybeId = Annotated[str | None, Query(min_length=1, max_length=64, json_schema_extra=ID_SCHEMA)]
FromDate = Annotated[IsoDate | None, Query(alias="from", description="first day (included)")]
ToDate = Annotated[IsoDate | None, Query(description="the day after the last day (excluded)")]

Representation = Literal["json", "csv", "xlsx"]
# In this order on a tie: JSON is what `*/*` and no Accept get.
_REPRESENTATIONS: Final[tuple[tuple[Representation, str], ...]] = (
    ("json", "application/json"),
    ("csv", CSV_MEDIA_TYPE),
    ("xlsx", XLSX_MEDIA_TYPE),
)
SUPPORTED_MEDIA_TYPES: Final = tuple(media_type for _, media_type in _REPRESENTATIONS)

_CSV_DESCRIPTION = (
    "UTF-8 with a byte-order mark, CRLF line ends, a header row. With Accept-Language nl "
    "(the default), fr or de: `;` between cells and a decimal comma (`238,00`); en: `,` and "
    "a decimal point. Money in euros with two decimals, shares with four, ISO dates; names "
    "beside ids."
)
_XLSX_DESCRIPTION = (
    "One sheet titled with the report's name, a header row, money as numbers with a euro "
    "format, shares as percentages, dates as dates; headers in the Accept-Language."
)


def _responses(csv_description: str) -> dict[int | str, dict[str, Any]]:
    return {
        200: {
            "description": f"The report as JSON; as CSV with `Accept: {CSV_MEDIA_TYPE}`, as "
            f"a spreadsheet with `Accept: {XLSX_MEDIA_TYPE}` ({csv_description}).",
            "content": {
                CSV_MEDIA_TYPE: {"schema": {"type": "string", "description": _CSV_DESCRIPTION}},
                XLSX_MEDIA_TYPE: {
                    "schema": {
                        "type": "string",
                        "format": "binary",
                        "description": _XLSX_DESCRIPTION,
                    }
                },
            },
            "headers": {
                "Content-Disposition": {
                    "description": "for CSV and XLSX: `attachment; filename=...`",
                    "schema": {"type": "string"},
                },
                "Content-Language": {
                    "description": "for CSV and XLSX: the language of the headers and labels",
                    "schema": {"type": "string", "enum": list(LANGUAGES)},
                },
            },
        },
        **problem_responses(401, 403, 404, 406, 422, codes={406: ("not-acceptable",)}),
    }


# --- content negotiation ----------------------------------------------------------------------


def _quality(accept: str, media_type: str) -> float:
    """The q-value `accept` gives `media_type` (its most specific matching range)."""
    kind = media_type.split("/")[0]
    best: tuple[int, float] = (-1, 0.0)
    for part in accept.split(",")[:20]:
        name, *params = (piece.strip() for piece in part.split(";"))
        name = name.lower()
        specificity = {media_type: 2, f"{kind}/*": 1, "*/*": 0}.get(name)
        if specificity is None:
            continue
        quality = 1.0
        for param in params:
            if param.startswith("q="):
                try:
                    quality = float(param[2:])
                except ValueError:
                    quality = 0.0
        if specificity > best[0]:
            best = (specificity, quality)
    return best[1]


def _representation(request: Request) -> Representation:
    """What the client prefers of JSON, CSV and XLSX; JSON on a tie and without Accept.
    Nothing it accepts: 406, before any report is summed."""
    accept = request.headers.get("accept", "").strip()
    if not accept:
        return "json"
    quality, _, chosen = max(
        (_quality(accept, media_type), -position, name)
        for position, (name, media_type) in enumerate(_REPRESENTATIONS)
    )
    if quality <= 0:
        raise NotAcceptable(
            f"Reports are answered as {', '.join(SUPPORTED_MEDIA_TYPES)}.",
            extra={"supported": list(SUPPORTED_MEDIA_TYPES)},
            headers={"Vary": VARY},
        )
    return chosen


def _language(request: Request) -> Lang:
    return negotiate_language(request.headers.get("accept-language"))


def _file_response(table: ReportTable, file_format: FileFormat, language: Lang) -> Response:
    file = render(table, file_format, language)
    return Response(
        content=file.content,
        media_type=file.media_type,
        headers={
            "Content-Language": language,
            "Content-Disposition": file.content_disposition,
            "Vary": VARY,
        },
    )


# --- parameters -------------------------------------------------------------------------------


def _period(from_date: date | None, to_date: date | None) -> ReportPeriod | None:
    """The period asked for; None when neither date is given (each report has a default)."""
    if from_date is None and to_date is None:
        return None
    if from_date is None or to_date is None:
        missing = "from" if from_date is None else "to"
        raise Unprocessable(
            "Give both from and to, or neither for the current calendar year.",
            extra={"errors": [{"parameter": missing, "detail": "required with the other"}]},
        )
    require_to_after_from(from_date, to_date)
    return ReportPeriod(from_date, to_date)


def _reference(value: str | None, parameter: str) -> str | None:
    return None if value is None else parse_reference(value, parameter=parameter)


# --- settlement -------------------------------------------------------------------------------


class PayerLineOut(ResponseModel):
    scheme_code: str = Field(description="the scheme of the tariff the tickets were sold at")
    funded_scheme_code: str = Field(
        description="the scheme whose reduction this payer funds (an on_top scheme differs)"
    )
    payer: str = Field(
        description="partner, home_municipality, scheme_owner, organisation or a funder code"
    )
    payer_ref: str | None = Field(
        description="the partner id, the holder's municipality NIS code, the owner region "
        "code, the organisation id; none for a funder"
    )
    tickets: int
    regular_cents: int
    paid_cents: int = Field(description="what the holders paid for these tickets")
    amount_cents: int = Field(description="what this payer owes")


class TotalsOut(ResponseModel):
    tickets: int
    regular_cents: int
    paid_cents: int
    discount_cents: int = Field(description="regular minus paid: what the payers owe together")

    @classmethod
    def of(cls, totals: SaleTotals) -> TotalsOut:
        return cls(
            tickets=totals.tickets,
            regular_cents=totals.regular_cents,
            paid_cents=totals.paid_cents,
            discount_cents=totals.discount_cents,
        )


class SchemeTotalOut(TotalsOut):
    scheme_code: str


class SettlementOut(ResponseModel):
    partner_id: str | None
    region_id: str | None
    from_date: date
    to_date: date = Field(description="the day after the last day counted")
    lines: list[PayerLineOut]
    schemes: list[SchemeTotalOut]
    total: TotalsOut


@router.get(
    "/settlement",
    operation_id="getSettlementReport",
    response_model=SettlementOut,
    responses=_responses("payer lines, scheme totals and the total"),
    summary="Who owes what, per payer and scheme, for confirmed sales",
)
async def settlement(
    request: Request,
    response: Response,
    session: SessionDep,
    principal: Annotated[Principal, Depends(Authorized(*service.SETTLEMENT_READERS))],
    partner_id: MaybeId = None,
    region_id: MaybeId = None,
    from_: FromDate = None,
    to: ToDate = None,
) -> SettlementOut | Response:
    """Confirmed sales (held and expired sales owe nothing), counted on their activity
    date, `from` included and `to` excluded (default: this calendar year).

    A closed month never changes. A sale confirmed after its activity's month ended counts
    on the first day of the month it was confirmed in. A sale cancelled while its activity's
    month runs leaves that month; one cancelled after it is taken off on the first day of
    the month of the cancellation, as a correction: that month may show negative tickets
    and amounts, and a scheme whose late changes cancel out is listed at 0 beside its
    payers.

    A partner_admin settles closed months: `from` and `to` on the first of a month, `to`
    at most the first day of the current one (default: this year's closed months; in
    January, last year). A day's lines, or the running month's asked before and after a
    sale, would name where a buyer lives.

    Give `partner_id` (a partner_admin: its own; a region role: one of its region's) or
    `region_id` (every partner of the region), or neither when the client has one tenant.
    Per tariff scheme, the payers' `amount_cents` add up to the scheme's `discount_cents`,
    which is `regular_cents` − `paid_cents`, to the cent.
    """
    representation = _representation(request)
    response.headers["Vary"] = VARY
    report = await service.settlement(
        session,
        principal,
        partner_id=_reference(partner_id, "partner_id"),
        region_id=_reference(region_id, "region_id"),
        period=_period(from_, to),
    )
    if representation != "json":
        language = _language(request)
        table = await service.settlement_sheet(session, report, language)
        return _file_response(table, representation, language)
    return SettlementOut(
        partner_id=report.partner_id,
        region_id=report.region_id,
        from_date=report.period.from_date,
        to_date=report.period.to_date,
        lines=[
            PayerLineOut(
                scheme_code=line.scheme_code,
                funded_scheme_code=line.funded_scheme_code,
                payer=line.payer,
                payer_ref=line.payer_ref,
                tickets=line.tickets,
                regular_cents=line.regular_cents,
                paid_cents=line.paid_cents,
                amount_cents=line.amount_cents,
            )
            for line in report.lines
        ],
        schemes=[
            SchemeTotalOut(
                scheme_code=scheme.scheme_code, **TotalsOut.of(scheme.totals).model_dump()
            )
            for scheme in report.schemes
        ],
        total=TotalsOut.of(report.total),
    )


# --- participation ----------------------------------------------------------------------------


class FiguresOut(ResponseModel):
    suppressed: bool = Field(description="fewer than 5 people, or hidden to protect such a cell")
    passholders: int | None = Field(description="distinct passholders reached")
    tickets: int | None
    social_tariff_tickets: int | None = Field(description="tickets sold with a reduction")
    social_tariff_share: float | None = Field(description="social_tariff_tickets / tickets")
    discount_cents: int | None
    anonymous_tickets: int | None = Field(
        description="of the tickets, those sold on organisations' anonymous vouchers "
        "(counted as tickets, never as passholders)"
    )
    visits: int | None = Field(
        description="visits to free activities (check-ins), in the people they stand for"
    )

    @classmethod
    def of(cls, figures: Figures | None) -> FiguresOut:
        if figures is None:
            return cls(
                suppressed=True,
                passholders=None,
                tickets=None,
                social_tariff_tickets=None,
                social_tariff_share=None,
                discount_cents=None,
                anonymous_tickets=None,
                visits=None,
            )
        return cls(
            suppressed=False,
            passholders=figures.passholders,
            tickets=figures.tickets,
            social_tariff_tickets=figures.social_tariff_tickets,
            social_tariff_share=figures.social_tariff_share,
            discount_cents=figures.discount_cents,
            anonymous_tickets=figures.anonymous_tickets,
            visits=figures.visits,
        )


class CellOut(FiguresOut):
    key: str = Field(description="YYYY-MM, partner id, scheme code, NIS code or category")
    label: str | None = Field(description="the partner's or municipality's name")


class ParticipationOut(ResponseModel):
    partner_id: str | None = Field(description="set when the report is one partner's")
    region_id: str
    from_date: date
    to_date: date
    group_by: str
    suppression_threshold: int
    cells: list[CellOut]
    total: FiguresOut


@router.get(
    "/participation",
    operation_id="getParticipationReport",
    response_model=ParticipationOut,
    responses=_responses("one row per cell, then the total; suppressed figures are empty"),
    summary="Tickets, people reached and discount in a region, small cells suppressed",
)
async def participation(
    request: Request,
    response: Response,
    session: SessionDep,
    principal: Annotated[Principal, Depends(Authorized(*service.SETTLEMENT_READERS))],
    partner_id: MaybeId = None,
    region_id: MaybeId = None,
    from_: FromDate = None,
    to: ToDate = None,
    group_by: Annotated[GroupBy, Query(description="what one cell is")] = "month",
) -> ParticipationOut | Response:
    """Confirmed sales at the region's partners (or at one partner, for its partner admin),
    per month, partner, scheme, residence municipality or category; whole months only
    (default: this calendar year).

    A cell with fewer than 5 distinct passholders is suppressed (`suppressed: true`,
    figures null), and so is the next-smallest cell, so that no suppressed figure can be
    worked out from the total and the other cells; a total with fewer than 5 people (or
    no more people than suppressed cells, when every cell is suppressed) is suppressed too.
    A ticket is at a social tariff when its line has a reduction.
    """
    representation = _representation(request)
    response.headers["Vary"] = VARY
    report = await service.participation(
        session,
        principal,
        partner_id=_reference(partner_id, "partner_id"),
        region_id=_reference(region_id, "region_id"),
        period=_period(from_, to),
        group_by=group_by,
    )
    if representation != "json":
        language = _language(request)
        table = await service.participation_sheet(session, report, language)
        return _file_response(table, representation, language)
    return ParticipationOut(
        partner_id=report.partner_id,
        region_id=report.region_id,
        from_date=report.period.from_date,
        to_date=report.period.to_date,
        group_by=report.group_by,
        suppression_threshold=SUPPRESSION_THRESHOLD,
        cells=[
            CellOut(key=cell.key, label=cell.label, **FiguresOut.of(cell.figures).model_dump())
            for cell in report.cells
        ],
        total=FiguresOut.of(report.total),
    )


# --- non-take-up ------------------------------------------------------------------------------


class NonTakeUpOut(ResponseModel):
    region_id: str
    counted_on: date
    entitled: int = Field(description="entitled_passholders + pending_people")
    entitled_passholders: int = Field(description="passholders with a status usable today")
    with_active_card: int = Field(description="of those, holding an active card")
    entitled_without_active_card: int
    pending_people: int = Field(
        description="people on an authoritative list who have not registered yet"
    )
    unknown_group: int = Field(description="entitled_without_active_card + pending_people")
    take_up_share: float | None = Field(description="with_active_card / entitled")


@router.get(
    "/non-take-up",
    operation_id="getNonTakeUpReport",
    response_model=NonTakeUpOut,
    responses=_responses("one row: the region's counts today"),
    summary="How many entitled people in a region hold no active card (counts only)",
)
async def non_take_up(
    request: Request,
    response: Response,
    session: SessionDep,
    principal: Annotated[Principal, Depends(Authorized(*service.REGION_READERS))],
    region_id: MaybeId = None,
) -> NonTakeUpOut | Response:
    """Today's count of people entitled in the region — passholders living there with a
    usable status of the region (or of everywhere), and distinct people on an authoritative
    list who have not registered yet — against those holding an active card. Counts only.
    """
    representation = _representation(request)
    response.headers["Vary"] = VARY
    report = await service.non_take_up(
        session,
        principal,
        region_id=_reference(region_id, "region_id"),
        on=today_in_brussels(),
    )
    if representation != "json":
        language = _language(request)
        table = await service.non_take_up_sheet(session, report, language)
        return _file_response(table, representation, language)
    return NonTakeUpOut(
        region_id=report.region_id,
        counted_on=report.on,
        entitled=report.entitled,
        entitled_passholders=report.entitled_passholders,
        with_active_card=report.with_active_card,
        entitled_without_active_card=report.entitled_without_active_card,
        pending_people=report.pending_people,
        unknown_group=report.unknown_group,
        take_up_share=report.take_up_share,
    )


# --- allocations ------------------------------------------------------------------------------


class AllocationLineOut(ResponseModel):
    organisation_id: str
    organisation_name: str
    scheme_code: str
    allocated: int = Field(description="tickets the allocations overlapping the period grant")
    issued: int = Field(description="tickets on the vouchers issued from them")
    redeemed: int = Field(description="tickets confirmed sales redeemed on those vouchers")
    expired: int = Field(description="tickets left unused on vouchers that expired")
    revoked: int = Field(description="unused tickets revocations gave back")


class AllocationsOut(ResponseModel):
    region_id: str
    from_date: date
    to_date: date
    lines: list[AllocationLineOut]


@router.get(
    "/allocations",
    operation_id="getAllocationReport",
    response_model=AllocationsOut,
    responses=_responses("one row per organisation and scheme, then the total"),
    summary="Per organisation and scheme: tickets allocated, issued, redeemed, expired, revoked",
)
async def allocations(
    request: Request,
    response: Response,
    session: SessionDep,
    principal: Annotated[Principal, Depends(Authorized(*service.ALLOCATION_READERS))],
    region_id: MaybeId = None,
    from_: FromDate = None,
    to: ToDate = None,
) -> AllocationsOut | Response:
    """The allocations of a region's organisations whose period overlaps the report's
    (default: this calendar year); a social worker sees only their own organisation's.
    Voucher tickets are anonymous: nothing here counts people."""
    representation = _representation(request)
    response.headers["Vary"] = VARY
    region, period, lines = await service.allocations(
        session, principal, region_id=_reference(region_id, "region_id"), period=_period(from_, to)
    )
    if representation != "json":
        language = _language(request)
        table = await service.allocations_sheet(session, period, lines, language)
        return _file_response(table, representation, language)
    return AllocationsOut(
        region_id=region,
        from_date=period.from_date,
        to_date=period.to_date,
        lines=[
            AllocationLineOut(
                organisation_id=line.organisation_id,
                organisation_name=line.organisation_name,
                scheme_code=line.scheme_code,
                allocated=line.allocated,
                issued=line.issued,
                redeemed=line.redeemed,
                expired=line.expired,
                revoked=line.revoked,
            )
            for line in lines
        ],
    )
