"""The web desk at /desk/: pick an offer, scan a card or a voucher, sell at a tariff, print
the receipt, cancel, and today's sales.

Every step calls the API's own use cases (app.services.quotes, app.services.sales) with
the staff member's principal: the same rules, the same checks, the same audit rows, the
same rate limits (counted on the principal `staff:<id>`).
A scanner types the digits and Enter, which submits the card form. The one field takes a
card number or a voucher code (ticketbon): they cannot be mistaken for each other (13
digits against 14 symbols with a check symbol), so the desk need not say which it scanned.
"""

from __future__ import annotations

import uuid
from datetime import datetime, time
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from app.api.deps import SessionDep, SettingsDep
from app.api.rate_limits import QUOTES, SALES, RateLimits
from app.clock import BRUSSELS, today_in_brussels
from app.db.offers import OfferRow, PriceClassRow
from app.domain.access import Role
from app.domain.messages import N_
from app.domain.people import display_name
from app.domain.schemes import MAX_GROUP_SIZE
from app.domain.vouchers import MAX_PEOPLE, normalise_code, printed_code
from app.errors import OpenPasError
from app.services import offers as offers_service
from app.services import quotes as quotes_service
from app.services import sales as sales_service
from app.web.common import (
    Page,
    ShowProblem,
    check_csrf,
    problem_message,
    redirect,
    render,
    staff_page,
)

router = APIRouter(prefix="/desk", include_in_schema=False)

DESK_ROLES = frozenset({Role.DESK, Role.PARTNER_ADMIN})
FormText = Annotated[str, Form(max_length=100)]
Scanned = Annotated[str, Form(alias="card_number", max_length=40)]


def _voucher_code(scanned: str) -> str | None:
    """The voucher code the desk scanned or typed; None for anything else (a card number)."""
    return normalise_code(scanned)


def _choice(offer_id: str, price_class: str) -> str:
    return f"{offer_id}|{price_class}"


async def _desk_page(request: Request, session: SessionDep) -> tuple[Page, str | None]:
    """The page and the staff member's partner (None: not a desk role)."""
    page = await staff_page(request, session)
    assert page.staff is not None
    grant = page.staff.staff.grant
    return page, grant.partner_id if grant.role in DESK_ROLES else None


def _not_for_you(page: Page) -> HTMLResponse:
    return render(page, "message.html", 403, error_key=N_("web.not_for_you"))


async def _offers(session: SessionDep, page: Page, partner_id: str) -> list[OfferRow]:
    assert page.staff is not None
    return await offers_service.desk_offers(session, page.staff.principal, partner_id)


def _options(offers: list[OfferRow]) -> list[tuple[str, OfferRow, PriceClassRow]]:
    """One choice per offer and price class: "De Kersentuin — Volwassene (€ 22,00)".

    An open-price offer is sold by the partner's own ticketing, which gives each seat's
    price through the API; the page has no price to give, so it does not list one."""
    return [
        (_choice(offer.id, pc.code), offer, pc)
        for offer in offers
        if not offer.open_price
        for pc in offer.price_classes
    ]


@router.get("/", response_class=HTMLResponse)
async def desk_home(
    request: Request,
    session: SessionDep,
    choice: Annotated[str | None, Query(alias="offer", max_length=120)] = None,
) -> HTMLResponse:
    page, partner_id = await _desk_page(request, session)
    if partner_id is None:
        return _not_for_you(page)
    offers = await _offers(session, page, partner_id)
    return render(page, "desk.html", options=_options(offers), chosen=choice)


@router.post("/quote", response_class=HTMLResponse)
async def desk_quote(
    request: Request,
    session: SessionDep,
    csrf: FormText,
    choice: Annotated[str, Form(alias="offer", max_length=120)],
    card_number: Scanned,
    # For a voucher or a group card: how many buy now (a tariff is quoted for a quantity).
    quantity: Annotated[int | None, Form(ge=1, le=MAX_GROUP_SIZE)] = None,
) -> HTMLResponse:
    page, partner_id = await _desk_page(request, session)
    check_csrf(page, csrf)
    if partner_id is None:
        return _not_for_you(page)
    assert page.staff is not None
    offer_id, _, price_class = choice.partition("|")
    card_number = card_number.strip()
    voucher_code = _voucher_code(card_number)
    offers = await _offers(session, page, partner_id)

    async def quote(quantity: int) -> quotes_service.QuoteResult:
        assert page.staff is not None
        return await quotes_service.quote_for_desk(
            session,
            page.staff.principal,
            card_number=None if voucher_code else card_number,
            voucher_code=voucher_code,
            offer_id=offer_id,
            price_class=price_class,
            quantity=quantity,
        )

    limits: RateLimits = request.app.state.rate_limits
    try:
        # The API's limits, on the staff member's principal: the web desk is no way around
        # them (one quote per page, however many the page asks for).
        async with limits.desk_look_up(QUOTES, page.staff.principal.client_id):
            result = await quote(quantity or 1)
            if result.holder is not None and result.quantity != 1:
                result = await quote(1)  # a person's card sells one ticket at this desk
            voucher = result.voucher
            if voucher_code and quantity is None and voucher and voucher.tickets_left > 1:
                # A voucher's people usually come together: first offer them all its
                # tickets (the page lets the desk change the number).
                result = await quote(min(voucher.tickets_left, MAX_PEOPLE))
    except OpenPasError as error:
        raise ShowProblem(
            error,
            render(
                page,
                "desk.html",
                error.status,
                options=_options(offers),
                chosen=choice,
                card_number=card_number,
                error=problem_message(error, page.language),
            ),
        ) from None
    return _quote_page(page, result, choice, card_number)


def _quote_page(
    page: Page,
    result: quotes_service.QuoteResult,
    choice: str,
    card_number: str,
    *,
    status_code: int = 200,
    error: str | None = None,
) -> HTMLResponse:
    quote = result.quote
    holder = result.holder
    voucher = result.voucher
    group = result.group
    # A card shows whose it is (a group card: its organisation, as the API's quote does); a
    # voucher only its code and what is left on it.
    if group is not None:
        holder_name: str | None = group.facts.organisation_name
        card_status: str | None = group.facts.card_status
    elif holder is not None:
        holder_name = display_name(holder.first_name, holder.last_name)
        card_status = holder.card_status
    else:
        holder_name = card_status = None
    return render(
        page,
        "quote.html",
        status_code,
        choice=choice,
        card_number=card_number,
        holder_name=holder_name,
        card_status=card_status,
        voucher_code=printed_code(voucher.facts.code) if voucher else None,
        tickets_left=voucher.tickets_left if voucher else None,
        # Several tickets at once for a voucher's people or a group; one on a person's card.
        bearer="voucher" if voucher else "group" if group else "card",
        max_quantity=MAX_GROUP_SIZE if group else None,
        quantity=result.quantity,
        offer=result.offer,
        price_class=result.price_class,
        regular_price_cents=quote.regular_price_cents,
        tariffs=[
            {
                "tariff_id": t.tariff_id,
                "label": t.label.get(page.language),
                "unit_price_cents": t.unit_price_cents,
                "total_cents": t.unit_price_cents * result.quantity,
                "remaining": t.remaining,
                "best": t.tariff_id == quote.best_tariff_id,
            }
            for t in quote.tariffs
        ],
        # The page's key for this sale: a double tap or a resent form sells once.
        idempotency_key=str(uuid.uuid4()),
        error=error,
    )


@router.post("/sell")
async def desk_sell(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    csrf: FormText,
    choice: Annotated[str, Form(alias="offer", max_length=120)],
    card_number: Scanned,
    tariff_id: FormText,
    idempotency_key: Annotated[str, Form(max_length=100, pattern=r"^[\x21-\x7e]+$")],
    # Several people on one voucher, or a group, buy their tickets at once (the quantity
    # quoted); a person's card sells one.
    quantity: Annotated[int, Form(ge=1, le=MAX_GROUP_SIZE)] = 1,
    bearer: Annotated[Literal["card", "voucher", "group"], Form()] = "card",
) -> Response:
    page, partner_id = await _desk_page(request, session)
    check_csrf(page, csrf)
    if partner_id is None:
        return _not_for_you(page)
    assert page.staff is not None
    offer_id, _, price_class = choice.partition("|")
    offers = await _offers(session, page, partner_id)
    voucher_code = _voucher_code(card_number)
    if voucher_code is None and bearer != "group":
        quantity = 1
    item: dict[str, object] = {
        ("voucher_code" if voucher_code else "card_number"): voucher_code or card_number,
        "offer_id": offer_id,
        "price_class": price_class,
        "tariff_id": tariff_id,
    }
    if quantity != 1:
        item["quantity"] = quantity
    limits: RateLimits = request.app.state.rate_limits
    try:
        async with limits.desk_look_up(SALES, page.staff.principal.client_id):
            sale = await sales_service.register_sale(
                session,
                settings,
                page.staff.principal,
                idempotency_key=idempotency_key,
                # The body POST /v1/sales would hash for the same sale (defaults left out).
                body_hash=sales_service.request_hash({"items": [item]}),
                request=sales_service.SaleRequest(
                    items=(
                        sales_service.SaleItemRequest(
                            card_number=None if voucher_code else card_number,
                            voucher_code=voucher_code,
                            offer_id=offer_id,
                            price_class=price_class,
                            tariff_id=tariff_id,
                            quantity=quantity,
                        ),
                    ),
                    hold=False,
                ),
            )
    except sales_service.PriceChanged as changed:
        # The fresh quote, to sell at one of its tariffs (its audit row stands).
        raise ShowProblem(
            changed,
            _quote_page(
                page,
                changed.result,
                choice,
                card_number,
                status_code=409,
                error=problem_message(changed, page.language),
            ),
        ) from None
    except OpenPasError as error:
        raise ShowProblem(
            error,
            render(
                page,
                "desk.html",
                error.status,
                options=_options(offers),
                chosen=choice,
                card_number=card_number,
                error=problem_message(error, page.language),
            ),
        ) from None
    return redirect(f"/desk/sales/{sale.id}?offer={choice}")


@router.get("/sales/{sale_id}", response_class=HTMLResponse)
async def receipt(
    request: Request,
    session: SessionDep,
    sale_id: str,
    choice: Annotated[str | None, Query(alias="offer", max_length=120)] = None,
) -> HTMLResponse:
    page, partner_id = await _desk_page(request, session)
    if partner_id is None:
        return _not_for_you(page)
    assert page.staff is not None
    try:
        sale = await sales_service.read_sale(session, page.staff.principal, sale_id)
    except OpenPasError as error:
        return render(
            page, "message.html", error.status, error=problem_message(error, page.language)
        )
    offers = {o.id: o for o in await _offers(session, page, partner_id)}
    return render(
        page,
        "receipt.html",
        sale=sale,
        total_cents=sum(item.total_cents for item in sale.items),
        offers=offers,
        chosen=choice,
    )


@router.post("/sales/{sale_id}/cancel")
async def cancel(
    request: Request,
    session: SessionDep,
    sale_id: str,
    csrf: FormText,
    choice: Annotated[str, Form(alias="offer", max_length=120)] = "",
) -> Response:
    page, partner_id = await _desk_page(request, session)
    check_csrf(page, csrf)
    if partner_id is None:
        return _not_for_you(page)
    assert page.staff is not None
    try:
        await sales_service.cancel_sale(session, page.staff.principal, sale_id)
    except OpenPasError as error:
        message = problem_message(error, page.language)
        shown = render(page, "message.html", error.status, error=message)
        raise ShowProblem(error, shown) from None
    return redirect(f"/desk/sales/{sale_id}?offer={choice}")


@router.get("/sales", response_class=HTMLResponse)
async def today(request: Request, session: SessionDep) -> HTMLResponse:
    page, partner_id = await _desk_page(request, session)
    if partner_id is None:
        return _not_for_you(page)
    assert page.staff is not None
    midnight = datetime.combine(today_in_brussels(), time.min, tzinfo=BRUSSELS)
    found = await sales_service.list_sales(
        session,
        page.staff.principal,
        partner_id=partner_id,
        status=None,
        offer_id=None,
        since=midnight,
        until=None,
        before=None,
        limit=200,
    )
    offers = {o.id: o for o in await _offers(session, page, partner_id)}
    return render(page, "sales.html", sales=found.sales, offers=offers)
