"""Run the README's curl walk-throughs against a running demo server, as a newcomer would.

    python3 .ci/readme_walkthrough.py http://127.0.0.1:PORT

Each ```sh block under the walk-through headings runs in bash with `set -euo pipefail`,
with the README's http://127.0.0.1:8000 replaced by the given address; then the files the
desk walk-through writes are checked for the values the README promises. Last, a newcomer
sells at /desk/ in the browser's way (forms and a cookie, no JavaScript needed) with the
README's demo account, and the receipt must show what the API quotes.
"""

from __future__ import annotations

import html
import http.cookiejar
import json
import os
import re
import subprocess
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

HEADINGS = (
    "## A first walk-through with curl",
    "## At the ticket desk: quote → sale → cancel",
    "## Social organisations: allocation → voucher → desk",
    "## Groups: a group card and ticket requests",
    "## The registry (toeleiders, OCMW)",
    "## Figures for the network and the council",
    "## In the browser: the desk and the dashboard",
    "## Webhooks: a regional system is told what changed",
)
# The problems a section shows on purpose; any other problem answer fails the run.
EXPECTED_PROBLEMS = {"## A first walk-through with curl": ["not-found"]}
PROBLEM = re.compile(r'"type":"https://openpas\.example/problems/([a-z-]+)"')


def blocks(readme: str, heading: str) -> list[str]:
    section = readme.split(heading, 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)```", section, flags=re.S)


DEMO_CASHIER = ("balie-schouwburg@demo.openpas.example", "demo-balie-schouwburg-wachtwoord")
SOFIE = "5395011334637"
KERSENTUIN = "3dcc11ba-786b-5602-a419-3437bfcdd2a2"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # the walk-through checks each 303 and follows it itself


def hidden(page: str, name: str, within: str | None = None) -> str:
    """The value of a hidden form field (the first, or the first in the form that holds
    `within`)."""
    if within is not None:
        page = next(f for f in page.split("<form") if within in f)
    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert found, (name, page[-2000:])
    return html.unescape(found.group(1))


def sell_at_the_web_desk(base: str) -> None:
    """Log in at /login with the README's cashier, quote Sofie on De Kersentuin, sell at
    the best tariff: a 303 to the receipt, whose amount is the API's quote."""
    assert base.startswith(("http://", "https://")), base
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect()
    )

    def call(path: str, form: dict[str, str] | None = None) -> tuple[int, str, str]:
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        try:
            with opener.open(base + path, data=data, timeout=30) as answer:
                return answer.status, answer.headers.get("Location", ""), answer.read().decode()
        except urllib.error.HTTPError as answer:
            return answer.code, answer.headers.get("Location", ""), answer.read().decode()

    status, _, login = call("/login")
    assert status == 200, (status, login[-2000:])
    email, password = DEMO_CASHIER
    form = {"email": email, "password": password, "next": ""}
    status, where, body = call("/login", {**form, "form_token": hidden(login, "form_token")})
    assert (status, where.removeprefix(base)) == (303, "/desk/"), (status, where, body[-2000:])
    status, _, desk = call("/desk/")
    assert status == 200, (status, desk[-2000:])
    assert "De Kersentuin" in desk, desk[-2000:]
    offer = f"{KERSENTUIN}|standard"
    csrf = hidden(desk, "csrf")
    status, _, quote_page = call(
        "/desk/quote", {"csrf": csrf, "offer": offer, "card_number": SOFIE}
    )
    assert status == 200, (status, quote_page[-2000:])
    assert "<h1>Sofie D.</h1>" in quote_page, quote_page[-2000:]

    # The API's quote for the same card, offer and price class, at the same moment.
    api = urllib.request.build_opener()
    token_form = b"grant_type=client_credentials&client_id=demo-desk&client_secret=demo-desk-secret"
    with api.open(base + "/v1/oauth/token", data=token_form, timeout=30) as answer:
        token = json.load(answer)["access_token"]
    asked = {"card_number": SOFIE, "offer_id": KERSENTUIN, "price_class": "standard"}
    quote_request = urllib.request.Request(  # noqa: S310 - base is http(s), checked above
        base + "/v1/quotes",
        data=json.dumps(asked).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with api.open(quote_request, timeout=30) as answer:
        api_quote = json.load(answer)
    best = next(
        (t for t in api_quote["tariffs"] if t["tariff_id"] == api_quote["best_tariff_id"]),
        None,
    )
    assert best is not None, api_quote

    sell = {
        "csrf": hidden(quote_page, "csrf"),
        "offer": offer,
        "card_number": SOFIE,
        "tariff_id": hidden(quote_page, "tariff_id", within="tariff best"),
        "idempotency_key": hidden(quote_page, "idempotency_key", within="tariff best"),
        "quantity": hidden(quote_page, "quantity", within="tariff best"),
    }
    assert sell["tariff_id"] == best["tariff_id"], (sell, api_quote)
    status, where, body = call("/desk/sell", sell)
    receipt_path = where.removeprefix(base)
    assert status == 303, (status, where, body[-2000:])
    assert receipt_path.startswith("/desk/sales/"), where
    status, _, receipt = call(receipt_path)
    assert status == 200, (status, receipt[-2000:])
    shown = re.search(r'id="to-pay">([^<]*)<', receipt)
    assert shown, receipt[-2000:]
    euros, cents = re.sub(r"[^0-9,]", "", shown.group(1)).split(",")
    assert int(euros) * 100 + int(cents) == best["unit_price_cents"], (shown.group(1), best)
    # The API knows the sale the page made, at that amount.
    sale_id = receipt_path.removeprefix("/desk/sales/").split("?")[0]
    sale_request = urllib.request.Request(  # noqa: S310 - base is http(s), checked above
        f"{base}/v1/sales/{sale_id}", headers={"Authorization": f"Bearer {token}"}
    )
    with api.open(sale_request, timeout=30) as answer:
        sale = json.load(answer)
    assert sale["status"] == "confirmed", sale
    assert sale["total_cents"] == best["unit_price_cents"], (sale, best)
    print(f"Web desk: {email} sold Sofie De Kersentuin for {shown.group(1)}")


def main() -> None:
    base = sys.argv[1].rstrip("/")
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    workdir = Path(tempfile.mkdtemp(prefix="openpas-readme-"))
    # As a newcomer with the project's virtual environment activated (`python` is its own,
    # with the libraries the webhook receiver of the README imports).
    venv = Path(__file__).resolve().parent.parent / ".venv" / "bin"
    env = {**os.environ, "PATH": f"{venv}:{os.environ.get('PATH', '')}"}
    outputs: dict[str, str] = {}
    for heading in HEADINGS:
        found = blocks(readme, heading)
        if not found:
            sys.exit(f"README: no shell block under {heading!r}")
        outputs[heading] = ""
        for block in found:
            script = "set -euo pipefail\n" + block.replace("http://127.0.0.1:8000", base)
            result = subprocess.run(
                ["bash", "-c", script],
                cwd=workdir,
                capture_output=True,
                text=True,
                timeout=120,
                env=env,
            )
            if result.returncode != 0:
                print(result.stdout[-3000:], result.stderr[-3000:], sep="\n")
                sys.exit(f"README walk-through under {heading!r} failed")
            outputs[heading] += result.stdout
        problems = PROBLEM.findall(outputs[heading])
        if problems != EXPECTED_PROBLEMS.get(heading, []):
            print(outputs[heading][-3000:])
            sys.exit(f"README walk-through under {heading!r} answered problems {problems}")
    figures = outputs["## Figures for the network and the council"]
    assert '"total":{' in figures, figures[-2000:]  # the settlement's total line
    assert "month,name,tickets,passholders," in figures, figures[-2000:]  # English CSV header
    assert '"entitled_without_active_card":' in figures, figures[-2000:]  # non-take-up
    assert (workdir / "settlement.xlsx").read_bytes()[:2] == b"PK"  # an XLSX is a zip
    quote = json.loads((workdir / "quote.json").read_text())
    [tariff] = quote["tariffs"]
    assert tariff["unit_price_cents"] == 1880, quote
    assert [f["amount_cents"] for f in tariff["funding"]] == [4760, 4760, 500], quote
    assert quote["holder"]["display_name"] == "Sofie D.", quote
    # As the README says: the age reductions and the disability card not eligible, Article
    # 27 not for a sports club, and none of Brugge's schemes listed at a Kortrijk partner.
    refused = {(r["scheme_code"], r["reason"]) for r in quote["not_applicable"]}
    assert refused == {
        ("ARTIKEL_27", "not_applicable_to_offer"),
        ("EUROPEAN_DISABILITY_CARD", "not_eligible"),
        ("KORTRIJK_65_PLUS", "not_eligible"),
        ("KORTRIJK_JONGER_DAN_12", "not_eligible"),
    }, quote
    group_quote = json.loads((workdir / "group-quote.json").read_text())
    assert group_quote["holder"]["display_name"] == "Basisschool De Vlieger Harelbeke", group_quote
    assert [t["unit_price_cents"] for t in group_quote["tariffs"]] == [200], group_quote
    accepted = json.loads((workdir / "ticket-request-sale.json").read_text())
    assert [(i["quantity"], i["total_cents"]) for i in accepted["items"]] == [(10, 2000)], accepted
    allocation_id = json.loads((workdir / "group-allocation.json").read_text())["id"]
    allocations = json.loads((workdir / "group-allocations.json").read_text())["items"]
    [left] = [a["tickets_remaining"] for a in allocations if a["id"] == allocation_id]
    assert left == 26, allocations
    staff = json.loads((workdir / "staff.json").read_text())
    assert staff["role"] == "desk", staff
    assert staff["activation_url"].startswith(base + "/activate?token="), staff
    assert "303 " in outputs["## In the browser: the desk and the dashboard"], staff
    sale = json.loads((workdir / "sale.json").read_text())
    assert sale["status"] == "confirmed", sale
    assert sale["total_cents"] == 1880, sale
    tom, assistant = json.loads((workdir / "companion.json").read_text())["items"]
    assert (tom["total_cents"], assistant["total_cents"]) == (11_400, 0), (tom, assistant)
    assert assistant["companion_of"] == tom["id"], (tom, assistant)
    open_quote = json.loads((workdir / "open-quote.json").read_text())
    assert open_quote["regular_price_cents"] == 3748, open_quote
    assert [t["unit_price_cents"] for t in open_quote["tariffs"]] == [249], open_quote
    [seat] = json.loads((workdir / "open-sale.json").read_text())["items"]
    assert (seat["regular_price_cents"], seat["total_cents"]) == (3748, 249), seat
    allocation = json.loads((workdir / "allocation.json").read_text())
    assert (allocation["tickets"], allocation["tickets_remaining"]) == (20, 20), allocation
    assert (workdir / "voucher.svg").read_text().startswith("<svg")
    voucher_quote = json.loads((workdir / "voucher-quote.json").read_text())
    assert voucher_quote["holder"] is None, voucher_quote
    [voucher_tariff] = voucher_quote["tariffs"]
    assert (voucher_tariff["scheme_code"], voucher_tariff["unit_price_cents"]) == (
        "ARTIKEL_27_BON",
        125,
    ), voucher_quote
    voucher_sale = json.loads((workdir / "voucher-sale.json").read_text())
    assert voucher_sale["total_cents"] == 250, voucher_sale
    after = json.loads((workdir / "voucher-after.json").read_text())
    assert (after["status"], after["tickets_used"]) == ("used", 2), after
    print("README walk-throughs: all commands ran; the €119 season ticket cost €18.80")
    sell_at_the_web_desk(base)


if __name__ == "__main__":
    main()
