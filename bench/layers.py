"""Where a quote's time goes: the same server with parts of a quote added one at a time.

    .venv/bin/python bench/layers.py --summary var/bench-dataset.json [--seconds 8]

Needs `wrk` and a database filled by `python -m bench.dataset`. It starts one uvicorn worker whose
application is OpenPas plus a few measuring routes (added here, never in the product),
each answering POST with a real 21 KB quote body captured at start-up:

1. `/layers/static`   — no dependency at all: middleware, routing and sending the body;
2. `/layers/body`     — plus the request body parsed into the quote's model;
3. `/layers/principal` — plus the token checked (cached) and a principal, no database;
4. `/layers/desk`     — plus the real `Desk` dependency: session, the client's grants;

then `/health` and the real `POST /v1/quotes`. For each it reports requests per second
and the worker's CPU time per request (from /proc), so the cost of each layer is the
difference between two lines, measured in one run on the same machine. (Called
bench/floor.py before bench/floor/, the floor of the stack, took that name.)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from load import LUA, access_token, bench_client, quote_lines, samples_of, start_server, wrk

from app.settings import async_database_url

APP_MODULE = """
import gc
import os
from typing import Annotated

from fastapi import Depends, Request, Response

from app.api.deps import _oauth2
from app.api.routes.quotes import Desk, QuoteIn
from app.domain.access import Grant, Principal, Role
from app.main import create_app
from app.services.tokens import client_of_token

app = create_app()
BODY = open(os.environ["LAYERS_QUOTE_BODY"], "rb").read()


async def principal(
    request: Request, authorization: Annotated[str | None, Depends(_oauth2)]
) -> Principal:
    token = (authorization or "").partition(" ")[2]
    client = client_of_token(token, key=request.app.state.settings.token_signing_key)
    return Principal(client_id=client, grants=(Grant(Role.ADMIN),))


@app.post("/layers/static")
async def static() -> Response:
    return Response(BODY, media_type="application/json")


@app.post("/layers/body")
async def body(body: QuoteIn) -> Response:
    return Response(BODY, media_type="application/json")


@app.post("/layers/principal")
async def with_principal(
    body: QuoteIn, caller: Annotated[Principal, Depends(principal)]
) -> Response:
    return Response(BODY, media_type="application/json")


@app.post("/layers/desk")
async def desk(body: QuoteIn, caller: Desk) -> Response:
    return Response(BODY, media_type="application/json")


gc.collect()
gc.freeze()
gc.set_threshold(20_000, 20, 20)
"""


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--summary", default="var/bench-dataset.json")
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--port", type=int, default=8395)
    args = parser.parse_args()

    summary = json.loads(Path(args.summary).read_text())
    database_url = async_database_url(summary["database_url"])
    client_id, secret = asyncio.run(bench_client(database_url))
    workdir = Path(tempfile.mkdtemp(prefix="openpas-layers-"))
    (workdir / "layers_app.py").write_text(APP_MODULE)
    quote_body = workdir / "quote.json"
    quote_body.write_text("{}")
    extra_env = {
        "LAYERS_QUOTE_BODY": str(quote_body),
        "PYTHONPATH": os.pathsep.join([str(workdir), os.getcwd()]),
    }
    base = f"http://127.0.0.1:{args.port}"
    samples = samples_of(summary)
    bodies = workdir / "quotes.jsonl"
    bodies.write_text(quote_lines(samples))

    def serve() -> subprocess.Popen[bytes]:
        return start_server(
            database_url,
            args.port,
            1,
            summary["insz_hmac_key"],
            app="layers_app:app",
            extra_env=extra_env,
        )

    # First a real quote to answer with (the server reads the file at start-up).
    server = serve()
    try:
        token = access_token(base, client_id, secret)
        first = json.loads(bodies.read_text().splitlines()[0])
        quote = httpx.post(
            f"{base}/v1/quotes", json=first, headers={"Authorization": f"Bearer {token}"}
        )
        quote.raise_for_status()
        quote_body.write_bytes(quote.content)
    finally:
        os.killpg(server.pid, 15)
        server.wait()

    server = serve()
    try:
        lua_env = {"TOKEN": token, "BODIES": str(bodies)}
        # Warm the quote path (offer and catalogue caches, prepared statements).
        subprocess.run(
            ["wrk", "-t2", "-c16", f"-d{args.seconds}s", "-s", str(LUA), base],
            env={**os.environ, **lua_env, "TARGET_PATH": "/v1/quotes"},
            capture_output=True,
            check=True,
        )
        print(f"answer: {len(quote.content):,} bytes")
        health = None
        for path in [
            "/health",
            "/layers/static",
            "/layers/body",
            "/layers/principal",
            "/layers/desk",
            "/v1/quotes",
        ]:
            if path == "/health":
                run = wrk(
                    path, f"{base}/health", seconds=args.seconds, connections=16, server=server
                )
            else:
                run = wrk(
                    path,
                    base,
                    seconds=args.seconds,
                    connections=16,
                    env={**lua_env, "TARGET_PATH": path},
                    server=server,
                )
            if run.non_2xx:
                raise SystemExit(f"{path}: {run.non_2xx} answers not 2xx; no figure to report")
            health = health or run.requests_per_second
            print(
                f"    {run.requests_per_second / health:4.0%} of /health, "
                f"worker CPU {run.cpu_ms.get('server', 0.0):.3f} ms per request"
            )
    finally:
        os.killpg(server.pid, 15)
        server.wait()


if __name__ == "__main__":
    main()
