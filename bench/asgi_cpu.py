"""CPU per request of the application itself: requests handed straight to the ASGI app.

    .venv/bin/python bench/asgi_cpu.py --summary var/bench.json [/health /v1/quotes /v1/sales]

No HTTP server and no client: each request is a scope, a body and a `send` that keeps the
status, so the process's CPU time is the application's (and asyncpg's) alone. Five rounds
of 3,000 requests (304 sales), 16 at a time, after a warm-up round; the best round is
reported, because this machine is shared. Sales sell each sample once at the tariff its
quote offered, with a fresh Idempotency-Key; a sale refused because an earlier one used up
the holder's limit (409) counts as a request too, and their share is printed. Needs a
database filled by `python -m bench.dataset`; sales change it (they use up limits).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import sys
import time
import uuid
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

import httpx
import uvloop

sys.path.insert(0, str(Path(__file__).resolve().parent))

from load import (
    Sample,
    bench_client,
    quote_body,
    sale_body,
    samples_of,
    server_settings,
    token_form,
)

from app.settings import async_database_url

SALES = 304  # per round (a multiple of 16): each sells samples not sold before


async def measure(summary: dict[str, Any], paths: list[str]) -> None:
    database_url = async_database_url(summary["database_url"])
    os.environ.update(server_settings(database_url, summary["insz_hmac_key"]))
    from app.main import create_app

    client_id, secret = await bench_client(database_url)
    app = create_app()
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)  # as app/asgi.py
    async with app.router.lifespan_context(app):
        await _measure(app, client_id, secret, samples_of(summary), paths)


async def _measure(
    app: Any, client_id: str, secret: str, samples: list[Sample], paths: list[str]
) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        answer = await client.post("/v1/oauth/token", data=token_form(client_id, secret))
        token = answer.json()["access_token"]
        bodies = [json.dumps(quote_body(sample)).encode() for sample in samples]
        # Sales sell each sample once, at the tariff its quote offers (as load.sale_bodies).
        sale_bodies: list[bytes] = []
        for sample in samples if "/v1/sales" in paths else ():
            if len(sale_bodies) == SALES * 6:
                break
            quoted = await client.post(
                "/v1/quotes", json=quote_body(sample), headers={"Authorization": f"Bearer {token}"}
            )
            tariff = quoted.json().get("best_tariff_id") if quoted.is_success else None
            if tariff:
                sale_bodies.append(sale_body(sample, tariff).encode())
    if "/v1/sales" in paths and len(sale_bodies) < SALES * 6:
        sys.exit(f"only {len(sale_bodies)} samples still have a tariff: build a new dataset")
    refused: list[int] = []

    async def call(method: str, path: str, body: bytes = b"") -> None:
        headers = [
            (b"host", b"bench"),
            (b"content-type", b"application/json"),
            (b"authorization", f"Bearer {token}".encode()),
            (b"content-length", str(len(body)).encode()),
        ]
        if path == "/v1/sales":
            headers.append((b"idempotency-key", uuid.uuid4().hex.encode()))
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": headers,
            "client": ("127.0.0.1", 1),
            "server": ("bench", 80),
            "state": {},
        }
        received = False

        async def receive() -> dict[str, Any]:
            nonlocal received
            if not received:
                received = True
                return {"type": "http.request", "body": body, "more_body": False}
            await asyncio.Event().wait()  # the client never disconnects
            raise AssertionError

        statuses: list[int] = []

        async def send(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                statuses.append(message["status"])

        await app(scope, receive, send)
        if path == "/v1/sales" and statuses == [409]:
            refused.append(1)
        elif statuses != [201 if path == "/v1/sales" else 200]:
            raise RuntimeError(f"{method} {path} answered {statuses}")

    sold = iter(sale_bodies)

    async def round_of(path: str, count: int) -> None:
        for start in range(0, count, 16):
            if path == "/health":
                await asyncio.gather(*(call("GET", path) for _ in range(16)))
            elif path == "/v1/sales":
                await asyncio.gather(*(call("POST", path, next(sold)) for _ in range(16)))
            else:
                await asyncio.gather(
                    *(call("POST", path, bodies[(start + k) % len(bodies)]) for k in range(16))
                )

    for path in paths:
        count = SALES if path == "/v1/sales" else 3008
        await round_of(path, count)
        refused.clear()
        rounds = []
        for _ in range(5):
            started = time.process_time()
            await round_of(path, count)
            rounds.append(1000 * (time.process_time() - started) / count)
        listed = ", ".join(f"{r:.3f}" for r in rounds)
        extra = f"; {len(refused) / (5 * count):.0%} refused (409)" if path == "/v1/sales" else ""
        print(f"{path}: best {min(rounds):.3f} ms of CPU per request (rounds: {listed}){extra}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--summary", default="var/bench-dataset.json")
    parser.add_argument("paths", nargs="*", default=["/health", "/v1/quotes"])
    args = parser.parse_args()
    summary = json.loads(Path(args.summary).read_text())
    uvloop.run(measure(summary, args.paths))


if __name__ == "__main__":
    main()
