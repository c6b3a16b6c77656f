"""The web desk sells on a voucher as on a card: the one field takes the voucher's code,
the page shows the code and the tickets left (nothing about anyone), several people on the
voucher buy at once, and a used-up voucher is refused with its sentence."""

from __future__ import annotations

from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.tables import sales as sales_table
from app.domain.access import Role
from app.domain.vouchers import printed_code
from tests.api.support_organisations import a_voucher, an_allocation, an_organisation_world
from tests.api.test_staff import a_desk_member, activate, browser, form_token, log_in, new_staff
from tests.factories import bearer_for

__all__ = ["browser"]  # the fixture, used by name


async def _desk_with_voucher(
    session: AsyncSession, client: httpx.AsyncClient, browser: httpx.AsyncClient, people: int
) -> tuple[Any, dict[str, Any], str]:
    world = await an_organisation_world(session, client, price_cents=1_500)
    allocation = await an_allocation(client, world, tickets=10)
    voucher = await a_voucher(client, world, allocation["id"], people=people)
    partner_id = world.desk_world.partner_id
    admin = await bearer_for(session, Role.PARTNER_ADMIN, partner_id=partner_id)
    staff = await new_staff(client, admin, f"/v1/partners/{partner_id}/staff", "desk")
    assert (await activate(browser, staff["activation_url"])).status_code == 303
    assert (await log_in(browser, staff["email"])).status_code == 303
    return world, voucher, f"{world.offer_id}|standard"


async def test_a_voucher_is_scanned_quoted_and_sold_for_its_people_at_the_web_desk(
    session: AsyncSession, client: httpx.AsyncClient, browser: httpx.AsyncClient
) -> None:
    world, voucher, choice = await _desk_with_voucher(session, client, browser, people=3)
    desk = await browser.get("/desk/")
    csrf = form_token(desk, "csrf")
    # Typed as a person would: lower case, with the dashes of the print.
    printed = printed_code(voucher["code"])
    typed = printed.lower()
    quote = await browser.post(
        "/desk/quote", data={"csrf": csrf, "offer": choice, "card_number": typed}
    )
    assert quote.status_code == 200, quote.text
    assert "Ticketbon" in quote.text
    assert f'<span class="code">{printed}</span>' in quote.text
    assert '<dd id="tickets-left">3</dd>' in quote.text
    assert "Welzijnsschakel" not in quote.text  # the organisation stays unknown to the desk
    # All its people at first, and a field to change that.
    assert 'id="quantity" name="quantity" type="number"' in quote.text
    assert 'max="3" value="3"' in quote.text
    assert "3 tickets: € 3,75" in quote.text
    fewer = await browser.post(
        "/desk/quote", data={"csrf": csrf, "offer": choice, "card_number": typed, "quantity": "2"}
    )
    assert fewer.status_code == 200, fewer.text
    assert "2 tickets: € 2,50" in fewer.text

    sell = {
        "csrf": csrf,
        "offer": choice,
        "card_number": typed,
        "tariff_id": form_token(quote, "tariff_id"),
        "idempotency_key": form_token(quote, "idempotency_key"),
        "quantity": form_token(quote, "quantity"),
    }
    sold = await browser.post("/desk/sell", data=sell)
    assert sold.status_code == 303, sold.text
    # A double tap sells once.
    assert (await browser.post("/desk/sell", data=sell)).headers["location"] == sold.headers[
        "location"
    ]
    sale_id = sold.headers["location"].split("/desk/sales/")[1].split("?")[0]
    receipt = await browser.get(f"/desk/sales/{sale_id}")
    assert receipt.status_code == 200
    rows = (await session.execute(sa.select(sales_table).where(sales_table.c.id == sale_id))).all()
    assert len(rows) == 1

    # Through the API, the same sale: three tickets on the voucher, none left on it.
    api_sale = await client.get(f"/v1/sales/{sale_id}", headers=world.desk)
    assert api_sale.status_code == 200, api_sale.text
    [item] = api_sale.json()["items"]
    assert item["quantity"] == 3
    assert item["card_number"] is None
    seen = await client.get(f"/v1/vouchers/{voucher['code']}", headers=world.social_worker)
    assert seen.json()["status"] == "used"

    again = await browser.post(
        "/desk/quote", data={"csrf": csrf, "offer": choice, "card_number": typed}
    )
    assert again.status_code == 409
    assert 'role="alert"' in again.text
    assert "Ticketbon" not in again.text.split("<h1>")[1][:40]  # back at the scan form


async def test_a_card_number_still_sells_one_ticket_whatever_the_form_says(
    session: AsyncSession, client: httpx.AsyncClient, browser: httpx.AsyncClient
) -> None:
    world, _ = await a_desk_member(session, client, browser)
    choice = f"{world.offer_id}|standard"
    desk = await browser.get("/desk/")
    csrf = form_token(desk, "csrf")
    quote = await browser.post(
        "/desk/quote",
        data={"csrf": csrf, "offer": choice, "card_number": world.card_number, "quantity": "4"},
    )
    assert quote.status_code == 200, quote.text
    assert 'id="quantity"' not in quote.text
    sold = await browser.post(
        "/desk/sell",
        data={
            "csrf": csrf,
            "offer": choice,
            "card_number": world.card_number,
            "tariff_id": form_token(quote, "tariff_id"),
            "idempotency_key": form_token(quote, "idempotency_key"),
            "quantity": "5",
        },
    )
    assert sold.status_code == 303, sold.text
    sale_id = sold.headers["location"].split("/desk/sales/")[1].split("?")[0]
    api_sale = await client.get(f"/v1/sales/{sale_id}", headers=world.desk)
    assert [item["quantity"] for item in api_sale.json()["items"]] == [1]
