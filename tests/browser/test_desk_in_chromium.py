"""The web desk and the dashboard in a real browser: Playwright driving Debian's chromium
against a real server process on the demo.

A partner admin adds a cashier through the API; the cashier activates the account in the
browser, logs in, scans a card (digits and Enter, as a scanner types them), sells at the
best tariff, sees the receipt and cancels. A reporter's dashboard shows the figures the
API gives for the same period. axe-core finds no serious or critical violation on any page.

Without /usr/bin/chromium the tests skip with that reason — except in CI (CI=true), where
they must run (.ci/run installs the package).
"""

from __future__ import annotations

import datetime
import os
import re
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.live_server import LiveServer, demo_server

CHROMIUM = "/usr/bin/chromium"
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
SCREENSHOTS = os.environ.get("OPENPAS_SCREENSHOT_DIR")

if not Path(CHROMIUM).exists():
    if os.environ.get("CI") == "true":
        raise RuntimeError(f"{CHROMIUM} is missing in CI: .ci/run installs Debian's chromium")
    pytest.skip(
        f"{CHROMIUM} is not installed (apt-get install chromium); CI runs these tests",
        allow_module_level=True,
    )

from playwright.sync_api import Browser, Page, sync_playwright  # noqa: E402

pytestmark = pytest.mark.browser

SCHOUWBURG = "e84f74d8-12c7-5e26-aa54-e7215ff2204a"
KERSENTUIN = "3dcc11ba-786b-5602-a419-3437bfcdd2a2"
KORTRIJK = "dbe6c2d8-f9f5-5f27-8ab3-cca346f35689"
SOFIE = "5395011334637"
# The demo's passholders living in REGIO_KORTRIJK: five people, the smallest published cell.
KORTRIJK_CARDS = (
    "5395011334637",
    "2534181685112",
    "8141858424918",
    "2063217160635",
    "7496735930060",
)


@pytest.fixture(scope="module")
def server(postgres_admin_url: str) -> Iterator[LiveServer]:
    # Demo mode, as `make run` serves it: plain http, the demo staff accounts allowed.
    with demo_server(postgres_admin_url, prefix="openpas_browser", env={"OPENPAS_DEMO": "1"}) as s:
        yield s


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            # The browser's own words (the month picker's "januari 2027") in Dutch: on
            # Linux chromium takes them from LANGUAGE, and from --lang elsewhere; they come
            # with Debian's chromium-l10n (.ci/run installs it).
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--lang=nl-BE"],
            env={**os.environ, "LANGUAGE": "nl_BE:nl", "LANG": "nl_BE.UTF-8"},
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    # Dutch, as a desk in Kortrijk has it; a tablet's width. bypass_csp: the pages allow
    # only their own scripts, and axe-core is injected by the test.
    context = browser.new_context(
        locale="nl-BE", viewport={"width": 1100, "height": 900}, bypass_csp=True
    )
    page = context.new_page()
    yield page
    context.close()


def token(server: LiveServer, client_id: str) -> dict[str, str]:
    response = httpx.post(
        f"{server.base_url}/v1/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(client_id, f"{client_id}-secret"),
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def no_serious_violations(page: Page) -> None:
    page.add_script_tag(path=str(AXE))
    result: dict[str, Any] = page.evaluate(
        "async () => await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a',"
        " 'wcag21aa', 'wcag22aa', 'best-practice']})"
    )
    serious = [
        f"{v['id']}: {v['help']} ({[n['target'] for n in v['nodes']]})"
        for v in result["violations"]
        if v["impact"] in {"serious", "critical"}
    ]
    assert serious == [], serious


def screenshot(page: Page, name: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / name), full_page=True)


def test_a_cashier_activates_logs_in_scans_sells_and_cancels(
    server: LiveServer, page: Page
) -> None:
    admin = token(server, "demo-partner-admin")
    email = f"kassa-{uuid.uuid4().hex[:8]}@schouwburg.example.be"
    created = httpx.post(
        f"{server.base_url}/v1/partners/{SCHOUWBURG}/staff",
        headers=admin,
        json={"name": "Kim Kassa", "email": email, "role": "desk"},
    )
    assert created.status_code == 201, created.text
    staff = created.json()

    # Activate: the one-time link, a password of a few words.
    page.goto(staff["activation_url"])
    no_serious_violations(page)
    page.fill("#password", "kassa van de schouwburg")
    page.fill("#password_again", "kassa van de schouwburg")
    page.keyboard.press("Enter")
    page.wait_for_url("**/login?notice=activated")
    assert "Je account is actief" in page.inner_text("main")
    no_serious_violations(page)  # the login page

    # Log in with the keyboard alone.
    page.fill("#email", email)
    page.fill("#password", "kassa van de schouwburg")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{server.base_url}/desk/")
    no_serious_violations(page)
    # The nearest offer first: the play (dated) before the permanent ones, if any.
    assert "De Kersentuin" in page.inner_text("#offer")
    page.select_option("#offer", f"{KERSENTUIN}|standard")

    # The API's own quote for the same card, offer and price class.
    desk = token(server, "demo-desk")
    quote = httpx.post(
        f"{server.base_url}/v1/quotes",
        headers=desk,
        json={"card_number": SOFIE, "offer_id": KERSENTUIN, "price_class": "standard"},
    ).json()
    best = next(t for t in quote["tariffs"] if t["tariff_id"] == quote["best_tariff_id"])

    # Scan: the scanner types the digits and Enter into the focused field.
    assert page.evaluate("document.activeElement.id") == "card_number"
    page.keyboard.type(SOFIE)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{server.base_url}/desk/quote")
    assert page.inner_text("h1") == "Sofie D."
    no_serious_violations(page)
    screenshot(page, "desk-tarieven.png")
    assert euro(best["unit_price_cents"]) in page.inner_text("button.tariff.best")

    # Sell: the best tariff has the focus; Enter sells once.
    assert "best" in page.evaluate("document.activeElement.className")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/desk/sales/[0-9a-f-]+\?offer=.*"))
    sale_id = page.url.split("/desk/sales/")[1].split("?")[0]
    assert page.inner_text("#to-pay") == euro(best["unit_price_cents"])
    assert page.inner_text("#sale-status") == "verkocht"
    no_serious_violations(page)
    screenshot(page, "desk-ontvangstbewijs.png")
    sale = httpx.get(f"{server.base_url}/v1/sales/{sale_id}", headers=desk).json()
    assert sale["status"] == "confirmed"
    assert sale["total_cents"] == best["unit_price_cents"]

    # Today's sales list it.
    page.goto(f"{server.base_url}/desk/sales")
    assert f"/desk/sales/{sale_id}" in page.content()
    no_serious_violations(page)

    # Cancel with the keyboard: "next customer" has the focus, Tab reaches the cancel
    # button, Enter presses it.
    page.goto(f"{server.base_url}/desk/sales/{sale_id}")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Volgende klant"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "danger"
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/desk/sales/[0-9a-f-]+\?offer=.*"))
    assert page.inner_text("#sale-status") == "geannuleerd"
    cancelled = httpx.get(f"{server.base_url}/v1/sales/{sale_id}", headers=desk).json()
    assert cancelled["status"] == "cancelled"

    # A problem is its end_user_message: a card that does not exist.
    page.goto(f"{server.base_url}/desk/")
    page.fill("#card_number", "1234567890128")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{server.base_url}/desk/quote")
    assert page.locator("[role=alert]").count() == 1
    no_serious_violations(page)

    # French on request, and back.
    page.click("a[hreflang=fr]")
    assert page.inner_text("h1") == "Guichet"
    page.click("a[hreflang=nl]")
    assert page.inner_text("h1") == "Balie"


def test_a_cashier_sells_a_voucher_for_its_people_at_once(server: LiveServer, page: Page) -> None:
    # The demo's Kortrijk welzijnsschakel; its social worker issues a voucher for three.
    worker = token(server, "demo-organisation")
    organisation = "e2021d25-f5e7-5188-838e-ec5adb4a7293"
    # An allocation into next year: the play is a month ahead, maybe past this year's.
    allocation = httpx.post(
        f"{server.base_url}/v1/organisations/{organisation}/allocations",
        headers=token(server, "demo-region-admin"),
        json={
            "scheme_code": "ARTIKEL_27_BON",
            "valid_from": "2026-01-01",
            "valid_until": f"{datetime.date.today().year + 1}-12-31",
            "tickets": 10,
        },
    )
    assert allocation.status_code == 201, allocation.text
    issued = httpx.post(
        f"{server.base_url}/v1/organisations/{organisation}/vouchers",
        headers=worker,
        json={"allocation_id": allocation.json()["id"], "people": 3},
    )
    assert issued.status_code == 201, issued.text
    code = issued.json()["code"]

    page.goto(f"{server.base_url}/login")
    no_serious_violations(page)
    page.fill("#email", "balie-schouwburg@demo.openpas.example")
    page.fill("#password", "demo-balie-schouwburg-wachtwoord")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{server.base_url}/desk/")
    page.select_option("#offer", f"{KERSENTUIN}|standard")
    # The scanner reads the QR code's text into the same field as a card number.
    page.keyboard.type(code)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{server.base_url}/desk/quote")
    assert page.inner_text("h1").startswith("Ticketbon"), page.inner_text("main")
    assert page.inner_text("#tickets-left") == "3"
    assert page.input_value("#quantity") == "3"
    assert "3 tickets: € 3,75" in page.inner_text("button.tariff.best").replace("\xa0", " ")
    no_serious_violations(page)

    page.click("button.tariff.best")
    page.wait_for_url(re.compile(r".*/desk/sales/[0-9a-f-]+\?offer=.*"))
    assert page.inner_text("#to-pay").replace("\xa0", " ") == "€ 3,75"
    seen = httpx.get(f"{server.base_url}/v1/vouchers/{code}", headers=worker).json()
    assert (seen["status"], seen["tickets_used"]) == ("used", 3)


def euro(cents: int) -> str:
    euros, rest = divmod(cents, 100)
    return f"€ {euros},{rest:02d}"


def test_the_dashboard_shows_the_apis_figures(server: LiveServer, page: Page) -> None:
    desk = token(server, "demo-desk")
    sold_on: set[date] = set()
    for card in KORTRIJK_CARDS:
        quote = httpx.post(
            f"{server.base_url}/v1/quotes",
            headers=desk,
            json={"card_number": card, "offer_id": KERSENTUIN, "price_class": "standard"},
        ).json()
        if quote.get("best_tariff_id") is None:
            continue
        sale = httpx.post(
            f"{server.base_url}/v1/sales",
            headers={**desk, "Idempotency-Key": str(uuid.uuid4())},
            json={
                "items": [
                    {
                        "card_number": card,
                        "offer_id": KERSENTUIN,
                        "price_class": "standard",
                        "tariff_id": quote["best_tariff_id"],
                    }
                ]
            },
        )
        assert sale.status_code == 201, sale.text
        sold_on.add(date.fromisoformat(sale.json()["items"][0]["activity_date"]))
    assert len(sold_on) == 1
    [day] = sold_on
    month = f"{day:%Y-%m}"
    next_month = date(day.year + (day.month == 12), day.month % 12 + 1, 1)

    page.goto(f"{server.base_url}/dashboard/")
    page.fill("#email", "cijfers-kortrijk@demo.openpas.example")
    page.fill("#password", "demo-cijfers-kortrijk-wachtwoord")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{server.base_url}/dashboard/")
    page.goto(f"{server.base_url}/dashboard/?from={month}&to={month}")
    no_serious_violations(page)
    screenshot(page, "dashboard.png")
    # A chart for each of the four tables (the reporter sees the region: partners too).
    assert page.locator("figure.chart svg[role=img]").count() == 4

    reporter = token(server, "demo-reporter")
    period = {
        "region_id": KORTRIJK,
        "from": day.replace(day=1).isoformat(),
        "to": next_month.isoformat(),
    }
    published = 0
    for group_by, table in (
        ("month", "by-month"),
        ("municipality", "by-municipality"),
        ("partner", "by-partner"),
        ("scheme", "by-scheme"),
    ):
        api = httpx.get(
            f"{server.base_url}/v1/reports/participation",
            headers=reporter,
            params={**period, "group_by": group_by},
        ).json()
        rows = {**{c["key"]: c for c in api["cells"]}, "total": api["total"]}
        # The chart: two bars (passholders, tickets) for each published cell, none for a
        # suppressed one, which the caption names.
        chart = page.locator(f"figure.chart[data-report={table}]")
        bars = chart.locator("svg .rect.reactive")
        published_cells = [c for c in api["cells"] if not c["suppressed"]]
        assert bars.count() == 2 * len(published_cells), group_by
        hidden = [c for c in api["cells"] if c["suppressed"]]
        note = chart.locator("[data-suppressed-cells]")
        if hidden:
            assert note.get_attribute("data-suppressed-cells") == str(len(hidden))
        else:
            assert note.count() == 0
        shown = page.locator(f"table[data-report={table}] tr[data-key]")
        assert shown.count() == len(rows)
        for index in range(shown.count()):
            row = shown.nth(index)
            key = row.get_attribute("data-key")
            assert key in rows
            expected = rows[key]
            if expected["suppressed"]:
                assert row.locator("[data-suppressed=true]").count() == 1
                continue
            published += 1
            for field in ("passholders", "tickets", "social_tariff_tickets"):
                assert row.locator(f"[data-field={field}]").inner_text() == str(expected[field])
            cents = row.locator("[data-field=discount_cents]").get_attribute("data-cents")
            assert cents == str(expected["discount_cents"])
    assert published > 0  # at least the totals of five people are figures, not "hidden"

    non_take_up = httpx.get(
        f"{server.base_url}/v1/reports/non-take-up",
        headers=reporter,
        params={"region_id": KORTRIJK},
    ).json()
    for field in ("entitled", "with_active_card", "pending_people", "unknown_group"):
        shown_value = page.locator(f"[data-report=non-take-up] [data-field={field}]").inner_text()
        assert shown_value == str(non_take_up[field])

    settlement = httpx.get(
        f"{server.base_url}/v1/reports/settlement", headers=reporter, params=period
    ).json()
    owed = page.locator("table[data-report=settlement] td[data-cents]")
    assert sorted(
        int(owed.nth(i).get_attribute("data-cents") or "") for i in range(owed.count())
    ) == sorted(line["amount_cents"] for line in settlement["lines"])
    with page.expect_download() as download:
        page.click("text=Download CSV")
    path = download.value.path()
    assert path is not None
    assert Path(path).read_text(encoding="utf-8").count("\n") >= len(settlement["lines"])


def test_the_desk_and_the_dashboard_load_everything_from_openpas_under_its_csp(
    server: LiveServer, browser: Browser
) -> None:
    # The pages as a browser gets them: the Content-Security-Policy enforced (no
    # bypass_csp, no axe injected). Any blocked script or style, any failing request and
    # any request to another host (a CDN, a font, a tracker) is a failure.
    context = browser.new_context(locale="nl-BE", viewport={"width": 1100, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.on("requestfailed", lambda r: errors.append(f"failed: {r.url}"))
    try:
        page.goto(f"{server.base_url}/login")
        page.fill("#email", "balie-schouwburg@demo.openpas.example")
        page.fill("#password", "demo-balie-schouwburg-wachtwoord")
        page.keyboard.press("Enter")
        page.wait_for_url(f"{server.base_url}/desk/")
        page.select_option("#offer", f"{KERSENTUIN}|standard")
        page.keyboard.type(SOFIE)
        page.keyboard.press("Enter")
        page.wait_for_url(f"{server.base_url}/desk/quote")
        assert page.inner_text("h1") == "Sofie D."
        page.click("form.logout button")
        page.wait_for_url(re.compile(r".*/login.*"))

        page.fill("#email", "cijfers-kortrijk@demo.openpas.example")
        page.fill("#password", "demo-cijfers-kortrijk-wachtwoord")
        page.keyboard.press("Enter")
        page.wait_for_url(f"{server.base_url}/dashboard/")
        assert page.locator("figure.chart svg[role=img]").count() == 4
        page.wait_for_load_state("networkidle")
    finally:
        context.close()
    assert errors == []
    assert requests, "the pages made no request at all"
    elsewhere = [url for url in requests if not url.startswith(f"{server.base_url}/")]
    assert elsewhere == []
    # The stylesheet and the script are OpenPas's own files.
    assert f"{server.base_url}/static/openpas.css" in requests
    assert f"{server.base_url}/static/openpas.js" in requests
