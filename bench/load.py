"""Load benchmark: quotes and sales against a bare JSON endpoint of the same server.

    .venv/bin/python bench/load.py --summary var/bench-dataset.json [--workers 2] [--seconds 20]

Needs `wrk` (Debian: apt-get install wrk) and a database filled by `python -m bench.dataset`.
It starts `uvicorn app.asgi:app` with the given number of worker processes on that database,
then drives, from a separate wrk process on loopback:

1. GET /health           — the bare JSON endpoint: the ceiling of this server on this machine;
2. POST /v1/quotes       — real quotes for holders with a kansenstatuut, across partners;
3. POST /v1/sales        — sales at the quoted tariff, each with a fresh Idempotency-Key;
4. POST /v1/quotes again, paced at half the maximum quote throughput, for its p99.

Throughput is reported as a ratio to /health measured in the same run, because the machine
is shared and absolute numbers move with its load.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.engine import make_url

from app.db.engine import create_engine, create_sessionmaker, unit_of_work
from app.domain.access import Grant, Role
from app.services.clients import create_client
from app.settings import async_database_url

LUA = Path(__file__).resolve().parent / "wrk" / "post_lines.lua"
KINDS = ("server", "postgres")
TOKEN_KEY = "bench-token-signing-key-0123456789abcdef"


@dataclass
class Run:
    name: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int
    # CPU per request (ms) of the server and of PostgreSQL, when the server was given.
    cpu_ms: dict[str, float] = field(default_factory=dict)


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def parse_wrk(name: str, output: str) -> Run:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    percentiles = {
        int(p): _ms(v, u) for p, v, u in re.findall(r"\s(50|99)%\s+([\d.]+)(us|ms|s)", output)
    }
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    total = re.search(r"(\d+) requests in", output)
    return Run(
        name,
        rps,
        percentiles.get(50, 0.0),
        percentiles.get(99, 0.0),
        int(total.group(1)) if total else 0,
        int(non_2xx.group(1)) if non_2xx else 0,
    )


# A client backend's process title: "postgres: [cluster: ]user database host(port) state".
_BACKEND = re.compile(r"postgres: (?:\S+: )?\S+ (\S+) (?:\S+\(\d+\)|\[local\])")


def _cpu_seconds(
    server: subprocess.Popen[bytes], database: str | None
) -> dict[tuple[str, int], float]:
    """CPU time (user and system) of each of the server's processes (uvicorn and its
    workers) and of this machine's PostgreSQL: its own processes and the backends of
    `database`, not those of other databases (a test run's). By ("server" | "postgres", pid).
    """
    found: dict[tuple[str, int], float] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            pid, rest = stat.read_text().split(" ", 1)
            title = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        name, fields = rest.rsplit(")", 1)
        values = fields.split()
        seconds = (int(values[11]) + int(values[12])) / os.sysconf("SC_CLK_TCK")
        if name.startswith("(postgres"):
            backend = _BACKEND.match(title)
            if backend is None or backend.group(1) == database:
                found["postgres", int(pid)] = seconds
        elif int(pid) == server.pid or int(values[1]) == server.pid:
            found["server", int(pid)] = seconds
    return found


def _spent(
    before: dict[tuple[str, int], float], after: dict[tuple[str, int], float], kind: str
) -> float:
    # A process started during the run (a new database connection) counts from zero.
    return sum(t - before.get(key, 0.0) for key, t in after.items() if key[0] == kind)


def wrk(
    name: str,
    url: str,
    *,
    seconds: int,
    connections: int,
    env: dict[str, str] | None = None,
    server: subprocess.Popen[bytes] | None = None,
    database: str | None = None,
) -> Run:
    """One wrk run; given the server, also the CPU per request of the server's processes
    and of the local PostgreSQL's for `database` (a database elsewhere shows 0)."""
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    if env is not None:
        command[1:1] = ["-s", str(LUA)]
    before = _cpu_seconds(server, database) if server is not None else {}
    result = subprocess.run(
        command, env={**os.environ, **(env or {})}, capture_output=True, text=True, check=True
    )
    after = _cpu_seconds(server, database) if server is not None else {}
    run = parse_wrk(name, result.stdout)
    cpu = ""
    if server is not None and run.requests:
        run.cpu_ms = {kind: 1000 * _spent(before, after, kind) / run.requests for kind in KINDS}
        cpu = (
            f"; CPU per request: server {run.cpu_ms['server']:.2f} ms, "
            f"PostgreSQL {run.cpu_ms['postgres']:.2f} ms"
        )
    print(
        f"{name}: {run.requests_per_second:,.0f} req/s, p50 {run.p50_ms:.1f} ms, "
        f"p99 {run.p99_ms:.1f} ms, {run.non_2xx} of {run.requests} not 2xx{cpu}",
        flush=True,
    )
    return run


async def bench_client(database_url: str) -> tuple[str, str]:
    engine = create_engine(database_url)
    try:
        async with unit_of_work(create_sessionmaker(engine)) as session:
            created = await create_client(
                session,
                name="load benchmark",
                grants=[Grant(Role.ADMIN)],
                client_id=f"bench-{uuid.uuid4().hex[:8]}",
            )
            return created.client_id, created.client_secret
    finally:
        await engine.dispose()


Sample = tuple[str, str, str]  # card number, offer id, price class


def samples_of(summary: dict[str, Any]) -> list[Sample]:
    """The (card, offer, price class) triples bench/dataset picked for quoting."""
    return [(s["card_number"], s["offer_id"], s["price_class"]) for s in summary["quote_samples"]]


def quote_body(sample: Sample) -> dict[str, str]:
    card, offer, price_class = sample
    return {"card_number": card, "offer_id": offer, "price_class": price_class}


def sale_body(sample: Sample, tariff_id: str) -> str:
    """One line of one ticket at the tariff a quote offered."""
    return json.dumps({"items": [quote_body(sample) | {"tariff_id": tariff_id, "quantity": 1}]})


def token_form(client_id: str, secret: str) -> dict[str, str]:
    return {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}


def access_token(base: str, client_id: str, secret: str) -> str:
    answer = httpx.post(f"{base}/v1/oauth/token", data=token_form(client_id, secret))
    answer.raise_for_status()
    token: str = answer.json()["access_token"]
    return token


def server_settings(database_url: str, insz_key: str) -> dict[str, str]:
    """The environment of a benchmarked server: the dataset's database and INSZ key, the
    benchmark's token key, hour-long tokens, quiet logs, and rate limits far above what a
    benchmark sends (they are still counted, as in production; at their defaults one
    client asking thousands of times a second is refused, by design)."""
    return {
        "DATABASE_URL": database_url,
        "OPENPAS_TOKEN_SIGNING_KEY": TOKEN_KEY,
        "OPENPAS_INSZ_HMAC_KEY": insz_key,
        "OPENPAS_TOKEN_TTL_SECONDS": "3600",
        "OPENPAS_LOG_LEVEL": "WARNING",
        "OPENPAS_RATE_LIMIT_QUOTES": "1000000000/minute",
        "OPENPAS_RATE_LIMIT_SALES": "1000000000/minute",
        "OPENPAS_RATE_LIMIT_FAILED_CARD_LOOKUPS": "1000000000/minute",
    }


def quote_lines(samples: list[Sample]) -> str:
    """One quote request body per line, for wrk's post_lines.lua."""
    return "\n".join(json.dumps(quote_body(sample)) for sample in samples) + "\n"


def start_server(
    database_url: str,
    port: int,
    workers: int,
    insz_key: str,
    *,
    app: str = "app.asgi:app",
    extra_env: dict[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """`uvicorn app` on the dataset's database, once /ready answers (the schema must be at
    the code's migration head)."""
    env = {**os.environ, **server_settings(database_url, insz_key), **(extra_env or {})}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            app,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    for _ in range(200):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/ready", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with {server.returncode} (port {port} taken?)")
        time.sleep(0.2)
    os.killpg(server.pid, 9)
    raise RuntimeError("server did not become ready (is the database migrated?)")


def sale_bodies(base: str, token: str, samples: list[Sample], limit: int) -> list[str]:
    """Quote each sample once to learn the tariff a desk would sell at."""
    bodies = []
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as client:
        for sample in samples[:limit]:
            quote = client.post("/v1/quotes", json=quote_body(sample))
            tariff = quote.json().get("best_tariff_id") if quote.status_code == 200 else None
            if tariff:
                bodies.append(sale_body(sample, tariff))
    return bodies


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--summary", default="var/bench-dataset.json")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--port", type=int, default=8391)
    args = parser.parse_args()

    summary = json.loads(Path(args.summary).read_text())
    database_url = async_database_url(summary["database_url"])
    samples = samples_of(summary)
    client_id, secret = asyncio.run(bench_client(database_url))
    # The dataset's INSZ pseudonyms were made with its own key; the server must use it too.
    server = start_server(database_url, args.port, args.workers, summary["insz_hmac_key"])
    base = f"http://127.0.0.1:{args.port}"
    try:
        token = access_token(base, client_id, secret)
        workdir = Path(tempfile.mkdtemp(prefix="openpas-load-"))
        quotes = workdir / "quotes.jsonl"
        quotes.write_text(quote_lines(samples))
        sales = workdir / "sales.jsonl"
        # In a random order: a sale uses up the holder's limit, so a run that started where
        # the previous one did would mostly answer limit-reached.
        bodies = sale_bodies(base, token, samples, len(samples))
        random.shuffle(bodies)
        sales.write_text("\n".join(bodies) + "\n")
        common = {"TOKEN": token}
        measured: dict[str, Any] = {
            "server": server,
            "database": make_url(database_url).database,
        }
        seconds, conns = args.seconds, args.connections
        health = wrk(
            "GET /health", f"{base}/health", seconds=seconds, connections=conns, **measured
        )
        quote = wrk(
            "POST /v1/quotes",
            base,
            seconds=seconds,
            connections=conns,
            env={**common, "BODIES": str(quotes), "TARGET_PATH": "/v1/quotes"},
            **measured,
        )
        sale = wrk(
            "POST /v1/sales",
            base,
            seconds=seconds,
            connections=conns,
            env={**common, "BODIES": str(sales), "TARGET_PATH": "/v1/sales", "IDEMPOTENT": "1"},
            **measured,
        )
        half_rate = quote.requests_per_second / 2
        paced_connections = 16
        pace_ms = int(paced_connections / half_rate * 1000)
        paced = wrk(
            f"POST /v1/quotes at {half_rate:,.0f} req/s",
            base,
            seconds=seconds,
            connections=paced_connections,
            env={
                **common,
                "BODIES": str(quotes),
                "TARGET_PATH": "/v1/quotes",
                "RATE_PER_CONNECTION_MS": str(pace_ms),
            },
        )
        print()
        print(
            f"quote / bare  = {quote.requests_per_second / health.requests_per_second:.0%} "
            "(target >= 40 %)"
        )
        print(
            f"sale  / bare  = {sale.requests_per_second / health.requests_per_second:.0%} "
            "(target >= 15 %)"
        )
        print(
            f"quote p99 at half the maximum throughput = {paced.p99_ms:.1f} ms "
            f"(measured rate {paced.requests_per_second:,.0f} req/s; target < 25 ms)"
        )
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
