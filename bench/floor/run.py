"""The floor of the stack: OpenPas's desk against a bare FastAPI app, in one run.

    .venv/bin/python bench/floor/run.py --demo                            # a fresh demo database
    .venv/bin/python bench/floor/run.py --summary var/bench-dataset.json  # bench/dataset.py's
    .venv/bin/python bench/floor/run.py --database-url postgresql://…     # any OpenPas database

Needs wrk (Debian: `apt-get update && apt-get install -y wrk`) and a PostgreSQL server.
It starts `openpas serve` (one worker) and the floor app (bench/floor/app.py, one worker,
the same uvicorn settings) on the same database, then drives each from wrk on loopback
(32 connections, 2 threads), alternating OpenPas and the floor, a warm-up and then two
rounds each, for three pairs: `GET /health` against the floor's bare `/health`, quotes
against the floor's quote, sales against the floor's sale. For every run it reports
requests per second, p50 and p99, and the CPU per request of the server process and of
PostgreSQL (its own processes and the backends of this database); then OpenPas ÷ floor
beside the targets of DESIGN.md ("Hot path"). Every answer must be 2xx: any other status
or a socket error makes the run fail (exit status 1), never a figure.

The database: `--demo` creates one on `--admin-url`'s server, migrates and seeds it with
`openpas migrate` and `openpas demo`, and drops it afterwards (`--keep` keeps it).
`--summary` reads a bench/dataset.py summary (its database, INSZ key and quote samples).
`--database-url` takes any database at OpenPas's migration head; the quote samples are
then active cards × offers of that database.

Quotes cycle through the samples. Sales sell once to each of many fresh holders (made for
the run, bench/floor/fixture.py) at the tariff a probe sale found for a fresh holder at
that offer, so no limit is ever reached. Before the runs, the floor learns from OpenPas
what to answer and write (bench/floor/plan.py); after them, everything the run wrote is
removed again (`--no-cleanup` leaves it), so runs on a kept dataset stay comparable.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Coroutine, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

# Rate limits no run reaches (one desk client sends every quote and sale of a run).
BENCH_LIMITS = {
    f"OPENPAS_RATE_LIMIT_{name}": "1000000000/minute"
    for name in ("QUOTES", "SALES", "FAILED_CARD_LOOKUPS", "TOKEN_PER_CLIENT", "TOKEN_PER_ADDRESS")
}
HERE = Path(__file__).resolve().parent
BENCH = HERE.parent
REPO = BENCH.parent
# Run as a script, Python puts this directory first on the path, where the floor's app.py
# would hide OpenPas's `app` package: take the benchmarks' directory instead.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(BENCH))

import asyncpg  # noqa: E402
import httpx  # noqa: E402
from load import TOKEN_KEY, _cpu_seconds, _spent, parse_wrk  # noqa: E402

from floor import fixture  # noqa: E402
from floor.plan import (  # noqa: E402
    PlanBuilder,
    ProbeFailed,
    SaleTemplate,
    Sample,
    offer_buckets,
    probe_sale,
    quote_all,
)

LUA = HERE / "post_bodies.lua"
FLOOR_APP = HERE / "app.py"
OPENPAS = Path(sys.executable).with_name("openpas")
BRUSSELS = ZoneInfo("Europe/Brussels")
WRK_INSTALL = "wrk is not installed: apt-get update && apt-get install -y wrk"
T = TypeVar("T")


@dataclass(frozen=True)
class Pair:
    key: str
    title: str
    path: str
    target: float
    target_text: str


PAIRS = (
    Pair("health", "GET /health", "/health", 0.80, "≥ 80 % of bare /health"),
    Pair("quote", "POST /v1/quotes", "/v1/quotes", 0.80, "≥ 80 % of the floor"),
    Pair("sale", "POST /v1/sales", "/v1/sales", 0.50, "≥ 50 % of the floor"),
)
QUOTE_P99_TARGET = 2.0  # OpenPas's quote p99 at most twice the floor's


@dataclass
class Measured:
    pair: str
    server: str  # "openpas" | "floor"
    round: int  # 0: warm-up
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int
    socket_errors: int
    bytes_per_answer: float
    cpu_ms: dict[str, float] = field(default_factory=dict)
    bodies: int | None = None  # the sale bodies the run had


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    base_url: str
    log: Path


class RunFailed(RuntimeError):
    pass


# --- processes ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _stop(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@contextlib.contextmanager
def serving(
    name: str, command: list[str], env: dict[str, str], port: int, ready: str, log: Path
) -> Iterator[Server]:
    """A server process in a session of its own (stopped with its children, whatever
    happens), once `ready` answers 200."""
    print(f"· starting {name} on port {port}", flush=True)
    with log.open("wb") as out:
        process = subprocess.Popen(
            command,
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=REPO,
        )
    server = Server(name, process, f"http://127.0.0.1:{port}", log)
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                raise RunFailed(
                    f"{name} exited with {process.returncode} before it was ready:\n{_tail(log)}"
                )
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(server.base_url + ready, timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RunFailed(
                    f"{name} did not answer {ready} with 200 within 90 s (a database not at "
                    f"OpenPas's migration head? `DATABASE_URL=… .venv/bin/openpas migrate`):"
                    f"\n{_tail(log)}"
                )
            time.sleep(0.2)
        yield server
    finally:
        _stop(process)


def openpas_command(args: Sequence[str], env: dict[str, str], timeout: float = 900) -> str:
    """Run the `openpas` command (migrate, demo, clients create) and return its output."""
    try:
        done = subprocess.run(
            [str(OPENPAS), *args],
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=REPO,
        )
    except subprocess.TimeoutExpired:
        raise RunFailed(f"openpas {' '.join(args)} took longer than {timeout:.0f} s") from None
    if done.returncode != 0:
        raise RunFailed(f"openpas {' '.join(args)} failed:\n{done.stderr or done.stdout}")
    return done.stdout


# --- the database ---------------------------------------------------------------------------


def plain_url(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def database_name(url: str) -> str:
    return plain_url(url).rsplit("/", 1)[1].split("?", 1)[0]


def with_database(url: str, name: str) -> str:
    base, _, rest = plain_url(url).rpartition("/")
    query = rest.partition("?")[2]
    return f"{base}/{name}" + (f"?{query}" if query else "")


async def _admin(admin_url: str, statement: str) -> None:
    connection = await asyncpg.connect(plain_url(admin_url))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@contextlib.contextmanager
def demo_database(admin_url: str, tag: str, env: dict[str, str], keep: bool) -> Iterator[str]:
    """A new database on the admin URL's server, migrated and seeded with the demo."""
    name = f"openpas_floor_{tag}"
    url = with_database(admin_url, name)
    print(f"· creating the demo database {name}", flush=True)
    asyncio.run(_admin(admin_url, f'CREATE DATABASE "{name}"'))
    try:
        demo_env = {**env, "DATABASE_URL": url, "OPENPAS_DEMO": "1"}
        openpas_command(["migrate"], demo_env)
        openpas_command(["demo"], demo_env)
        yield url
    finally:
        if keep:
            print(f"· kept the demo database: {url}", flush=True)
        else:
            asyncio.run(_admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


class Database:
    """The runner's one connection to the database, for the whole run, on an event loop of
    a thread of its own: taken before the servers take theirs (a shared server's
    max_connections), and usable from the runner's plain, blocking code."""

    def __init__(self, url: str) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        try:
            self.connection: asyncpg.Connection = self.run(asyncpg.connect(plain_url(url)))
        except BaseException:
            self._stop()
            raise

    def run(self, work: Coroutine[Any, Any, T], timeout: float = 900) -> T:
        return asyncio.run_coroutine_threadsafe(work, self._loop).result(timeout)

    def _stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.run(self.connection.close(), timeout=30)
        self._stop()


async def database_samples(connection: asyncpg.Connection, limit: int) -> list[Sample]:
    """Active cards × offers × price classes, in a random order."""
    rows = await connection.fetch(
        """
        SELECT c.number, o.id::text AS offer_id, pc.code
        FROM cards c CROSS JOIN offers o JOIN price_classes pc ON pc.offer_id = o.id
        WHERE c.status = 'active'
        ORDER BY random() LIMIT $1
        """,
        limit,
    )
    return [(row["number"], row["offer_id"], row["code"]) for row in rows]


async def database_size(connection: asyncpg.Connection) -> dict[str, int]:
    return {
        table: int(await connection.fetchval(f"SELECT count(*) FROM {table}"))
        for table in ("passholders", "offers", "schemes", "sales")
    }


# --- preparing: the plan and the holders ------------------------------------------------------


def today_in_brussels() -> date:
    return datetime.now(BRUSSELS).date()


def pick_sale_offers(
    samples: Sequence[tuple[str, str]], partner_of: dict[str, str], count: int
) -> list[tuple[str, str]]:
    """Up to `count` (offer, price class) pairs, taking the partners in turn."""
    by_partner: dict[str, list[tuple[str, str]]] = {}
    for pair in sorted(set(samples)):
        by_partner.setdefault(partner_of[pair[0]], []).append(pair)
    picked: list[tuple[str, str]] = []
    while len(picked) < count and any(by_partner.values()):
        for queue in by_partner.values():
            if queue and len(picked) < count:
                picked.append(queue.pop(0))
    return picked


@dataclass
class Prepared:
    builder: PlanBuilder
    homes: dict[str, fixture.Home]  # by region id
    check_cards: dict[tuple[str, str], str]  # a fresh holder per template, for the floor
    skipped: list[str]


async def prepare(
    openpas: Server,
    token: str,
    connection: asyncpg.Connection,
    samples: list[Sample],
    sale_offers: int,
    tag: str,
) -> Prepared:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=openpas.base_url, headers=headers, timeout=60) as client:
        builder = PlanBuilder()
        print(f"· quoting {len(samples):,} samples on OpenPas", flush=True)
        await quote_all(client, samples, builder)
        if not builder.quotes:
            raise RunFailed(
                f"OpenPas answered none of the {len(samples)} quote samples with 200 "
                f"(statuses: {builder.refused_quotes})"
            )
        quoted = [(q["offer_id"], q["price_class"]) for q in builder.quotes]
        today = today_in_brussels()
        builder.offers = await offer_buckets(
            connection, sorted({offer for offer, _ in quoted}), today
        )
        partner_of = {o: b.facts.partner_id for o, b in builder.offers.items()}
        chosen = pick_sale_offers(quoted, partner_of, sale_offers)
        homes: dict[str, fixture.Home] = {}
        for offer_id, _ in chosen:
            region = builder.offers[offer_id].region_id
            if region not in homes:
                homes[region] = await fixture.home_of_partner(connection, offer_id)
        # Two fresh holders per offer: one for OpenPas's probe, one to check the floor.
        fresh: dict[str, list[str]] = {}
        for region, home in homes.items():
            wanted = 2 * sum(builder.offers[o].region_id == region for o, _ in chosen)
            fresh[region] = await fixture.create_holders(connection, home, wanted, tag, today)
        print(f"· probing {len(chosen)} tariffs with a sale each on OpenPas", flush=True)
        skipped, check_cards = [], {}
        for offer_id, price_class in chosen:
            buckets = builder.offers[offer_id]
            cards = fresh[buckets.region_id]
            probe, check = cards.pop(), cards.pop()
            try:
                template = await probe_sale(
                    client, connection, buckets, price_class, probe, builder
                )
            except ProbeFailed as failure:
                skipped.append(str(failure))
                continue
            check_cards[template.offer_id, template.price_class] = check
        if not builder.sales:
            raise RunFailed("no tariff could be sold to a fresh holder:\n" + "\n".join(skipped))
        return Prepared(builder, homes, check_cards, skipped)


async def quiesce(connection: asyncpg.Connection, database: str, patience: float = 60) -> float:
    """Wait until no backend of the database is busy: the previous run's last requests (a
    sale waiting for a lock) must not overlap the next run. The seconds it took."""
    started = time.monotonic()
    while time.monotonic() - started < patience:
        busy = await connection.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 "
            "AND pid <> pg_backend_pid() AND state IN ('active', 'idle in transaction')",
            database,
        )
        if busy == 0:
            break
        await asyncio.sleep(0.1)
    else:
        raise RunFailed(f"the database was still busy {patience:.0f} s after a run")
    return time.monotonic() - started


def sale_body(template: SaleTemplate, card: str) -> str:
    item = {
        "card_number": card,
        "offer_id": template.offer_id,
        "price_class": template.price_class,
        "tariff_id": template.tariff_id,
        "quantity": 1,
    }
    return json.dumps({"items": [item]})


async def sale_bodies(
    connection: asyncpg.Connection, prepared: Prepared, counts: Sequence[int], tag: str
) -> list[list[str]]:
    """Per run, `count` sale bodies, each for a holder made for it (templates in turn)."""
    templates = prepared.builder.sales
    per_region: dict[str, int] = {}
    plans: list[list[SaleTemplate]] = []
    for count in counts:
        plan = [templates[i % len(templates)] for i in range(count)]
        for template in plan:
            per_region[template.region_id] = per_region.get(template.region_id, 0) + 1
        plans.append(plan)
    cards = {
        region: await fixture.create_holders(
            connection, prepared.homes[region], wanted, tag, today_in_brussels()
        )
        for region, wanted in per_region.items()
    }
    return [[sale_body(t, cards[t.region_id].pop()) for t in plan] for plan in plans]


def check_floor(openpas: Server, floor: Server, token: str, prepared: Prepared) -> list[str]:
    """The floor answers what it should, at OpenPas's sizes, before anything is measured;
    every tariff is sold once on it (which also proves its write statement)."""
    headers = {"Authorization": f"Bearer {token}"}
    lines = []
    with (
        httpx.Client(base_url=openpas.base_url, headers=headers, timeout=30) as theirs,
        httpx.Client(base_url=floor.base_url, headers=headers, timeout=30) as ours,
    ):
        sizes = []
        for quote in prepared.builder.quotes[:50]:
            body = {k: quote[k] for k in ("card_number", "offer_id", "price_class")}
            a, b = theirs.post("/v1/quotes", json=body), ours.post("/v1/quotes", json=body)
            if a.status_code != 200 or b.status_code != 200:
                raise RunFailed(f"quote {body}: OpenPas {a.status_code}, floor {b.status_code}")
            sizes.append((len(a.content), len(b.content)))
        mean_theirs = sum(a for a, _ in sizes) / len(sizes)
        mean_ours = sum(b for _, b in sizes) / len(sizes)
        lines.append(
            f"quote answers: OpenPas {mean_theirs:,.0f} bytes, floor {mean_ours:,.0f} bytes "
            f"(mean of {len(sizes)})"
        )
        sold = []
        for template in prepared.builder.sales:
            card = prepared.check_cards[template.offer_id, template.price_class]
            answer = ours.post(
                "/v1/sales",
                content=sale_body(template, card),
                headers={
                    "Content-Type": "application/json",
                    "Idempotency-Key": f"floor-check-{uuid.uuid4().hex}",
                },
            )
            if answer.status_code != 201:
                raise RunFailed(
                    f"the floor refused a sale of {template.offer_id}/{template.price_class}: "
                    f"{answer.status_code} {answer.text}"
                )
            sold.append((template.plan["size"], len(answer.content)))
        lines.append(
            f"sale answers: OpenPas {sum(a for a, _ in sold) / len(sold):,.0f} bytes, floor "
            f"{sum(b for _, b in sold) / len(sold):,.0f} bytes (mean of {len(sold)} tariffs)"
        )
    return lines


# --- measuring ------------------------------------------------------------------------------


def wrk(
    pair: Pair,
    server: Server,
    round_: int,
    args: argparse.Namespace,
    database: str,
    *,
    token: str,
    bodies: Path | None = None,
    run_number: int = 0,
) -> Measured:
    seconds = args.warmup if round_ == 0 else args.seconds
    command = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{seconds}s"]
    command += ["--latency", "--timeout", "10s"]
    env = dict(os.environ)
    if bodies is not None:
        command += ["-s", str(LUA)]
        env |= {
            "BODIES": str(bodies),
            "TARGET_PATH": pair.path,
            "TOKEN": token,
            "THREADS": str(args.threads),
            "IDEMPOTENT": "1" if pair.key == "sale" else "0",
            "RUN": str(run_number),
        }
    command.append(server.base_url + (pair.path if bodies is None else ""))
    before = _cpu_seconds(server.process, database)
    try:
        done = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=seconds + 60
        )
    except subprocess.TimeoutExpired:
        raise RunFailed(
            f"wrk did not finish within {seconds + 60} s: {' '.join(command)}"
        ) from None
    after = _cpu_seconds(server.process, database)
    if done.returncode != 0 or "Requests/sec" not in done.stdout:
        raise RunFailed(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    if server.process.poll() is not None:
        raise RunFailed(f"{server.name} stopped during the run:\n{_tail(server.log)}")
    parsed = parse_wrk(pair.title, done.stdout)
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", done.stdout
    )
    read = re.search(r"requests in [\d.]+\w+, ([\d.]+)([KMG]?B) read", done.stdout)
    volume = 0.0
    if read:
        volume = (
            float(read.group(1)) * {"B": 1, "KB": 2**10, "MB": 2**20, "GB": 2**30}[read.group(2)]
        )
    requests = max(parsed.requests, 1)
    measured = Measured(
        pair=pair.key,
        server=server.name,
        round=round_,
        requests_per_second=parsed.requests_per_second,
        p50_ms=parsed.p50_ms,
        p99_ms=parsed.p99_ms,
        requests=parsed.requests,
        non_2xx=parsed.non_2xx,
        socket_errors=sum(int(n) for n in errors.groups()) if errors else 0,
        bytes_per_answer=volume / requests,
        cpu_ms={
            kind: 1000 * _spent(before, after, kind) / requests for kind in ("server", "postgres")
        },
    )
    label = "warm-up" if round_ == 0 else f"round {round_}"
    print(
        f"  {pair.title:<16} {server.name:<8} {label:<8} "
        f"{measured.requests_per_second:>8,.0f} req/s  p50 {measured.p50_ms:6.1f} ms  "
        f"p99 {measured.p99_ms:6.1f} ms  CPU/request: server {measured.cpu_ms['server']:.3f} "
        f"ms, PostgreSQL {measured.cpu_ms['postgres']:.3f} ms"
        + (
            f"  ({measured.non_2xx} not 2xx, {measured.socket_errors} socket errors)"
            if measured.non_2xx or measured.socket_errors
            else ""
        ),
        flush=True,
    )
    return measured


def sale_counts(
    schedule: Sequence[tuple[str, int]], quote_rate: dict[str, float], args: argparse.Namespace
) -> list[int]:
    """Bodies per sale run: more than the run can sell. A sale does what a quote does and
    more, so the server's quote rate bounds its sale rate; half as much again for noise."""
    return [
        int(quote_rate[name] * (args.warmup if r == 0 else args.seconds) * 1.5) + 200
        for name, r in schedule
    ]


# --- reporting ------------------------------------------------------------------------------


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


@dataclass
class Summary:
    pair: str
    openpas: dict[str, float]
    floor: dict[str, float]
    ratio: float
    target: float
    met: bool
    p99_ratio: float | None = None
    p99_met: bool | None = None


def summarise(runs: Sequence[Measured]) -> list[Summary]:
    out = []
    for pair in PAIRS:
        means = {}
        for name in ("openpas", "floor"):
            mine = [r for r in runs if r.pair == pair.key and r.server == name and r.round > 0]
            means[name] = {
                "requests_per_second": _mean([r.requests_per_second for r in mine]),
                "p50_ms": _mean([r.p50_ms for r in mine]),
                "p99_ms": _mean([r.p99_ms for r in mine]),
                "server_cpu_ms": _mean([r.cpu_ms["server"] for r in mine]),
                "postgres_cpu_ms": _mean([r.cpu_ms["postgres"] for r in mine]),
            }
        ratio = means["openpas"]["requests_per_second"] / max(
            means["floor"]["requests_per_second"], 1e-9
        )
        summary = Summary(
            pair.key, means["openpas"], means["floor"], ratio, pair.target, ratio >= pair.target
        )
        if pair.key == "quote":
            summary.p99_ratio = means["openpas"]["p99_ms"] / max(means["floor"]["p99_ms"], 1e-9)
            summary.p99_met = summary.p99_ratio <= QUOTE_P99_TARGET
        out.append(summary)
    return out


def print_table(runs: Sequence[Measured], summaries: Sequence[Summary]) -> None:
    print()
    head = (
        f"{'':<16} {'':<7} | {'OpenPas':^44} | {'floor':^44} |"
        f"\n{'request':<16} {'round':<7} | "
        + " | ".join([f"{'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'srv ms':>8} {'pg ms':>8}"] * 2)
        + f" | {'OpenPas ÷ floor'}"
    )
    print(head)
    print("-" * len(head.splitlines()[1]))

    def cells(values: dict[str, float]) -> str:
        return (
            f"{values['requests_per_second']:>8,.0f} {values['p50_ms']:>7.1f} "
            f"{values['p99_ms']:>7.1f} {values['server_cpu_ms']:>8.3f} "
            f"{values['postgres_cpu_ms']:>8.3f}"
        )

    def of(run: Measured) -> dict[str, float]:
        return {
            "requests_per_second": run.requests_per_second,
            "p50_ms": run.p50_ms,
            "p99_ms": run.p99_ms,
            "server_cpu_ms": run.cpu_ms["server"],
            "postgres_cpu_ms": run.cpu_ms["postgres"],
        }

    for pair, summary in zip(PAIRS, summaries, strict=True):
        rounds = sorted({r.round for r in runs if r.pair == pair.key and r.round > 0})
        for round_ in rounds:
            mine = {r.server: r for r in runs if r.pair == pair.key and r.round == round_}
            ratio = mine["openpas"].requests_per_second / max(
                mine["floor"].requests_per_second, 1e-9
            )
            print(
                f"{pair.title:<16} {round_:<7} | {cells(of(mine['openpas']))} | "
                f"{cells(of(mine['floor']))} | {ratio:6.0%}"
            )
        verdict = "met" if summary.met else "NOT met"
        print(
            f"{'':<16} {'mean':<7} | {cells(summary.openpas)} | {cells(summary.floor)} | "
            f"{summary.ratio:6.0%}  target {pair.target_text}: {verdict}"
        )
        if summary.p99_ratio is not None:
            verdict = "met" if summary.p99_met else "NOT met"
            print(
                f"{'':<16} {'p99':<7} | OpenPas's p99 is {summary.p99_ratio:.1f}× the floor's"
                f" — target ≤ {QUOTE_P99_TARGET:.0f}×: {verdict}"
            )
    print(
        "srv ms, pg ms: CPU per request of the server process and of PostgreSQL (its own "
        "processes and this database's backends)"
    )


def commit_of_checkout() -> str:
    try:
        commit = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + (" with uncommitted changes" if dirty else "")


# --- the run --------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--demo", action="store_true", help="a fresh demo database")
    where.add_argument("--summary", type=Path, help="a bench/dataset.py summary")
    where.add_argument("--database-url", help="any OpenPas database at the migration head")
    parser.add_argument(
        "--admin-url",
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        help="the server --demo creates its database on",
    )
    parser.add_argument("--keep", action="store_true", help="keep the --demo database")
    parser.add_argument(
        "--no-cleanup", action="store_true", help="leave the run's holders and sales behind"
    )
    parser.add_argument("--seconds", type=int, default=5, help="per measured run")
    parser.add_argument(
        "--warmup", type=int, default=2, help="seconds of warm-up per server and pair (0: none)"
    )
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="wrk's threads")
    parser.add_argument("--quotes", type=int, default=2000, help="quote samples to cycle")
    parser.add_argument("--sale-offers", type=int, default=16, help="tariffs sales sell at")
    parser.add_argument("--log-level", help="OpenPas's OPENPAS_LOG_LEVEL (default: its own, INFO)")
    parser.add_argument(
        "--pool-size",
        type=int,
        help="database connections of each server (default: OpenPas's own, 20); small for a "
        "crowded PostgreSQL, as the tests run it",
    )
    parser.add_argument("--json", type=Path, help="also write the figures here")
    return parser.parse_args(argv)


def _terminate(signum: int, _: object) -> None:
    # Unwind (servers stopped, the run's data removed) as for Ctrl-C.
    raise SystemExit(128 + signum)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if shutil.which("wrk") is None:
        print(WRK_INSTALL, file=sys.stderr)
        return 2
    if not OPENPAS.exists():
        print(f"no `openpas` command beside {sys.executable}: pip install -e .", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _terminate)
    tag = uuid.uuid4().hex[:10]
    workdir = Path(tempfile.mkdtemp(prefix="openpas-floor-"))
    started = datetime.now(UTC)
    try:
        runs = run(args, tag, workdir)
    except RunFailed as failure:
        print(f"\nfloor benchmark failed: {failure}\n(logs in {workdir})", file=sys.stderr)
        return 1
    unclean = [r for r in runs if r.non_2xx or r.socket_errors]
    if args.json:
        print(f"figures written to {args.json}")
    shutil.rmtree(workdir, ignore_errors=True)
    if unclean:
        print(
            "\nfloor benchmark failed: "
            + "; ".join(
                f"{r.pair} on {r.server} (round {r.round}): {r.non_2xx} answers not 2xx, "
                f"{r.socket_errors} socket errors"
                + (f", of {r.bodies} sale bodies" if r.bodies else "")
                for r in unclean
            ),
            file=sys.stderr,
        )
        return 1
    print(f"\ndone in {(datetime.now(UTC) - started).total_seconds():.0f} s")
    return 0


def run(args: argparse.Namespace, tag: str, workdir: Path) -> list[Measured]:
    insz_key = f"floor-bench-insz-key-{uuid.uuid4().hex}"
    samples: list[Sample] | None = None
    label = "a database"
    with contextlib.ExitStack() as stack:
        keys = {"OPENPAS_TOKEN_SIGNING_KEY": TOKEN_KEY, "OPENPAS_INSZ_HMAC_KEY": insz_key}
        if args.demo:
            url = stack.enter_context(demo_database(args.admin_url, tag, keys, args.keep))
            label = "the demo data (openpas demo)"
        elif args.summary:
            summary = json.loads(args.summary.read_text())
            url = plain_url(summary["database_url"])
            # The dataset's INSZ pseudonyms were made with its own key.
            keys["OPENPAS_INSZ_HMAC_KEY"] = summary["insz_hmac_key"]
            label = f"the bench dataset at scale {summary.get('scale')} ({args.summary})"
            samples = [
                (s["card_number"], s["offer_id"], s["price_class"])
                for s in summary["quote_samples"][: args.quotes]
            ]
        else:
            url = plain_url(args.database_url)
        database = database_name(url)
        env = {**keys, "DATABASE_URL": url, "OPENPAS_TOKEN_TTL_SECONDS": "3600", **BENCH_LIMITS}
        # The limits stay on, and so does what each check costs (app.api.rate_limits), but
        # far above what wrk sends; OPENPAS_RATE_LIMIT_* in the environment win.
        env.update({k: v for k, v in os.environ.items() if k.startswith("OPENPAS_RATE_LIMIT_")})
        if args.log_level:
            env["OPENPAS_LOG_LEVEL"] = args.log_level
        if args.pool_size:
            env["OPENPAS_DB_POOL_SIZE"] = str(args.pool_size)
        db = Database(url)
        stack.callback(db.close)
        size = db.run(database_size(db.connection))
        if samples is None:
            samples = db.run(database_samples(db.connection, args.quotes))
        client_id = f"floor-bench-{tag}"
        created = openpas_command(
            [
                "clients",
                "create",
                "--name",
                "floor benchmark",
                "--role",
                "admin",
                "--client-id",
                client_id,
            ],
            env,
        )
        secret = re.search(r"client_secret=(\S+)", created)
        if secret is None:
            raise RunFailed(f"openpas clients create printed no secret: {created}")
        if not args.no_cleanup and (args.keep or not args.demo):
            # Registered before the servers start, so it runs after they stopped.
            stack.callback(cleanup, db, client_id, tag)

        port = free_port()
        openpas = stack.enter_context(
            serving(
                "openpas",
                [
                    str(OPENPAS),
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--workers",
                    "1",
                ],
                env,
                port,
                "/ready",
                workdir / "openpas.log",
            )
        )
        token = access_token(openpas.base_url, client_id, secret.group(1))
        prepared = db.run(prepare(openpas, token, db.connection, samples, args.sale_offers, tag))
        for skipped in prepared.skipped:
            print(f"  (no sales at {skipped})")
        plan = workdir / "plan.json"
        plan.write_text(json.dumps(prepared.builder.to_json()))
        port = free_port()
        floor = stack.enter_context(
            serving(
                "floor",
                [sys.executable, str(FLOOR_APP), "--port", str(port)],
                {
                    "FLOOR_DATABASE_URL": url,
                    "FLOOR_TOKEN_SIGNING_KEY": TOKEN_KEY,
                    "FLOOR_PLAN": str(plan),
                    **({"FLOOR_POOL_SIZE": str(args.pool_size)} if args.pool_size else {}),
                },
                port,
                "/health",
                workdir / "floor.log",
            )
        )
        checks = check_floor(openpas, floor, token, prepared)

        commit = commit_of_checkout()
        print(
            f"\nFloor of the stack: commit {commit}, {label}: "
            + ", ".join(f"{n:,} {table}" for table, n in size.items())
        )
        print(
            f"wrk -t{args.threads} -c{args.connections}, {args.seconds} s a run after "
            f"{args.warmup} s of warm-up, {args.rounds} rounds, OpenPas and the floor in turn; "
            f"one worker each; {len(prepared.builder.quotes):,} quote samples, sales at "
            f"{len(prepared.builder.sales)} tariffs, each to a fresh holder"
        )
        for line in checks:
            print(f"  {line}")
        quotes = workdir / "quotes.jsonl"
        quotes.write_text(
            "".join(
                json.dumps({k: q[k] for k in ("card_number", "offer_id", "price_class")}) + "\n"
                for q in prepared.builder.quotes
            )
        )
        servers = {"openpas": openpas, "floor": floor}
        runs: list[Measured] = []
        rounds = range(0 if args.warmup > 0 else 1, args.rounds + 1)  # 0: the warm-up
        number = 0
        for pair in PAIRS:
            bodies: dict[tuple[str, int], Path] = {}
            if pair.key == "quote":
                bodies = {(name, r): quotes for name in servers for r in rounds}
            elif pair.key == "sale":
                schedule = [(name, r) for r in rounds for name in servers]
                quote_rate = {
                    name: max(
                        r.requests_per_second
                        for r in runs
                        if r.pair == "quote" and r.server == name
                    )
                    for name in servers
                }
                counts = sale_counts(schedule, quote_rate, args)
                print(f"· making {sum(counts):,} fresh holders for the sales", flush=True)
                for (name, r), lines in zip(
                    schedule,
                    db.run(sale_bodies(db.connection, prepared, counts, tag)),
                    strict=True,
                ):
                    bodies[name, r] = workdir / f"sales-{name}-{r}.jsonl"
                    bodies[name, r].write_text("\n".join(lines) + "\n")
            for r in rounds:
                for name, server in servers.items():
                    waited = db.run(quiesce(db.connection, database))
                    if waited > 1:
                        print(f"  (waited {waited:.1f} s for the previous run's last requests)")
                    number += 1
                    file = bodies.get((name, r))
                    measured = wrk(
                        pair,
                        server,
                        r,
                        args,
                        database,
                        token=token,
                        bodies=file,
                        run_number=number,
                    )
                    if pair.key == "sale" and file is not None:
                        measured.bodies = sum(1 for _ in file.open())
                    runs.append(measured)
        summaries = summarise(runs)
        print_table(runs, summaries)
        if args.json:
            args.json.write_text(
                json.dumps(
                    {
                        "commit": commit,
                        "database": label,
                        "size": size,
                        "measured_at": datetime.now(UTC).isoformat(),
                        "settings": {
                            k: getattr(args, k)
                            for k in ("seconds", "warmup", "rounds", "connections", "threads")
                        },
                        "checks": checks,
                        "runs": [asdict(r) for r in runs],
                        "summary": [asdict(s) for s in summaries],
                    },
                    indent=2,
                )
            )
        return runs


def access_token(base_url: str, client_id: str, secret: str) -> str:
    answer = httpx.post(
        f"{base_url}/v1/oauth/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
        timeout=30,
    )
    if answer.status_code != 200:
        raise RunFailed(f"no token for {client_id}: {answer.status_code} {answer.text}")
    token: str = answer.json()["access_token"]
    return token


def cleanup(db: Database, client_id: str, tag: str) -> None:
    removed = db.run(fixture.remove_run(db.connection, client_id, tag))
    print(
        f"· removed the run's {removed.sales:,} sales and {removed.holders:,} holders", flush=True
    )


if __name__ == "__main__":
    sys.exit(main())
