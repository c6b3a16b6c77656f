"""Run the README's curl walk-throughs against a running demo server, as a newcomer would.

    python3 .ci/readme_walkthrough.py http://127.0.0.1:PORT

Each ```sh block under the walk-through headings runs in bash with `set -euo pipefail`,
with the README's http://127.0.0.1:8000 replaced by the given address; then the files the
desk walk-through writes are checked for the values the README promises.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HEADINGS = (
    "## A first walk-through with curl",
    "## At the ticket desk: quote → sale → cancel",
    "## Social organisations: allocation → voucher → desk",
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


if __name__ == "__main__":
    main()
