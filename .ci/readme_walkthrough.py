"""Run the README's curl walk-throughs against a running demo server, as a newcomer would.

    python3 .ci/readme_walkthrough.py http://127.0.0.1:PORT

Each ```sh block under the walk-through headings runs in bash with `set -euo pipefail`,
with the README's http://127.0.0.1:8000 replaced by the given address; then the files the
desk walk-through writes are checked for the values the README promises.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HEADINGS = (
    "## A first walk-through with curl",
    "## At the ticket desk: quote → sale → cancel",
    "## The registry (toeleiders, OCMW)",
    "## Figures for the network and the council",
)


def blocks(readme: str, heading: str) -> list[str]:
    section = readme.split(heading, 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)```", section, flags=re.S)


def main() -> None:
    base = sys.argv[1].rstrip("/")
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    workdir = Path(tempfile.mkdtemp(prefix="openpas-readme-"))
    for heading in HEADINGS:
        found = blocks(readme, heading)
        if not found:
            sys.exit(f"README: no shell block under {heading!r}")
        for block in found:
            script = "set -euo pipefail\n" + block.replace("http://127.0.0.1:8000", base)
            result = subprocess.run(
                ["bash", "-c", script], cwd=workdir, capture_output=True, text=True, timeout=120
            )
            if result.returncode != 0 or '"status":500' in result.stdout:
                print(result.stdout[-3000:], result.stderr[-3000:], sep="\n")
                sys.exit(f"README walk-through under {heading!r} failed")
            if (
                '"type":"https://openpas.example/problems/' in result.stdout
                and "Accept-Language" not in block
            ):
                print(result.stdout[-3000:])
                sys.exit(f"README walk-through under {heading!r} answered a problem")
    quote = json.loads((workdir / "quote.json").read_text())
    [tariff] = quote["tariffs"]
    assert tariff["unit_price_cents"] == 1880, quote
    assert [f["amount_cents"] for f in tariff["funding"]] == [4760, 4760, 500], quote
    assert quote["holder"]["display_name"] == "Sofie D.", quote
    sale = json.loads((workdir / "sale.json").read_text())
    assert sale["status"] == "confirmed", sale
    assert sale["total_cents"] == 1880, sale
    print("README walk-throughs: all commands ran; the €119 season ticket cost €18.80")


if __name__ == "__main__":
    main()
