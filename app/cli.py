"""The `openpas` command: run, serve, worker, migrate, demo, clients, regions, schemes,
imports, webhooks, maintenance.

With no DATABASE_URL every command works on the embedded PostgreSQL server under
`var/postgres` (app.db.embedded): started when it is not running, and stopped again by the
command that started it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Awaitable, Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ValidationError

from app.db import embedded, migrations
from app.db.engine import create_engine, create_sessionmaker, unit_of_work
from app.domain.access import Grant, GrantError, Role
from app.errors import OpenPasError
from app.observability import configure_logging
from app.settings import Settings, SettingsFileError, database_url_is_set

T = TypeVar("T")


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        messages = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in error.errors())
        sys.exit(f"openpas: invalid settings: {messages}")
    except SettingsFileError as error:
        sys.exit(f"openpas: invalid settings: {error}")


async def _with_session(settings: Settings, work: Callable[..., Awaitable[T]]) -> T:
    """Run `work` in one unit of work: committed when it returns, rolled back if it fails."""
    engine = create_engine(settings.database_url)
    try:
        async with unit_of_work(create_sessionmaker(engine)) as session:
            return await work(session)
    finally:
        await engine.dispose()


@contextlib.contextmanager
def _database() -> Iterator[None]:
    """DATABASE_URL as it is set, or else the embedded server's for as long as the command
    runs (its workers inherit it)."""
    if database_url_is_set():
        yield
        return
    data_dir = Path(os.environ.get("OPENPAS_DATA_DIR") or embedded.DEFAULT_DATA_DIR)
    try:
        server = embedded.start(data_dir)
    except (embedded.EmbeddedPostgresError, OSError) as error:
        sys.exit(f"openpas: cannot start the embedded PostgreSQL: {error}")
    os.environ["DATABASE_URL"] = server.url()
    # uvicorn re-raises the SIGTERM that stopped it once it is done: as an exception, so
    # that the `finally` below still stops the server (SIGINT already is one).
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    how = "started" if server.started_here else "already running"
    print(f"openpas: embedded PostgreSQL {how} at {server.url()} ({data_dir})", file=sys.stderr)
    try:
        yield
    finally:
        del os.environ["DATABASE_URL"]
        embedded.stop(server)


def _exit_on_sigterm(_signal: int, _frame: object) -> None:
    raise SystemExit(128 + signal.SIGTERM)


def cmd_run(args: argparse.Namespace) -> None:
    """Everything a newcomer needs in one command: migrate, seed the demo (demo mode only),
    serve — on the embedded PostgreSQL unless DATABASE_URL says otherwise."""
    settings = _settings()
    migrations.upgrade(settings.database_url)
    if settings.demo:
        cmd_demo(args)
        # The demo has no cron job and no compose service to run `openpas maintenance`:
        # it keeps itself tidy (the published deployment runs it as a service of its own).
        start_background_maintenance(settings, DEMO_MAINTENANCE_SECONDS)
    if not settings.run_worker:
        cmd_serve(args)
        return
    # The webhook worker beside the server, as its own process (it inherits DATABASE_URL,
    # the embedded server's included), stopped with it.
    worker = subprocess.Popen([sys.executable, "-m", "app.cli", "worker"])
    try:
        cmd_serve(args)
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=10)
        except subprocess.TimeoutExpired:
            worker.kill()


def cmd_worker(_: argparse.Namespace) -> None:
    """Send webhooks until SIGTERM/SIGINT; run as many as you like, on any machine."""
    from app.webhooks.worker import run_worker

    settings = _settings()
    configure_logging(settings.log_level)
    port = os.environ.get("OPENPAS_WORKER_METRICS_PORT")
    if port:
        from prometheus_client import start_http_server

        from app.observability import REGISTRY

        start_http_server(int(port), addr="127.0.0.1", registry=REGISTRY)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run_worker(settings))


def cmd_webhooks(args: argparse.Namespace) -> None:
    """Operators' view of the webhooks: list, retry a delivery, disable a subscription."""
    from app.db import webhooks as webhook_db
    from app.services import webhooks as webhook_service

    settings = _settings()

    async def work(session: Any) -> list[str]:
        if args.webhooks_command == "list":
            rows = await webhook_db.list_subscriptions(
                session, everything=True, region_ids=[], partner_ids=[], limit=500, after_id=None
            )
            return [
                f"{row.id}\t{row.role}\t{row.url}\t"
                + ("enabled" if row.disabled_at is None else f"disabled: {row.disabled_reason}")
                for row in rows
            ]
        row = await webhook_db.get_subscription(session, args.subscription_id)
        if row is None:
            sys.exit(f"openpas: no webhook {args.subscription_id}")
        if args.webhooks_command == "retry":
            delivery = await webhook_service.requeue(session, row, args.delivery_id)
            return [f"{delivery.id}\tpending"]
        await webhook_service.disable_subscription(session, row.id, args.reason)
        return [f"{row.id}\tdisabled"]

    try:
        lines = asyncio.run(_with_session(settings, work))
    except OpenPasError as error:
        sys.exit(f"openpas: {error.detail}")
    for line in lines:
        print(line)


DEMO_MAINTENANCE_SECONDS = 3600.0


def start_background_maintenance(
    settings: Settings, every: float, report: Callable[[str], None] | None = None
) -> threading.Event:
    """Run every maintenance policy every `every` seconds (the first after `every`) in a
    daemon thread of this process, on an event loop and a connection of its own, until the
    process ends or the returned event is set. A failed run is reported and the next one
    tried: a database away for a while stops nothing."""
    stop = threading.Event()
    say = report or (lambda line: print(f"openpas: maintenance: {line}", flush=True))

    def loop() -> None:
        while not stop.wait(every):
            try:
                for line in asyncio.run(_maintain(settings, MAINTENANCE_POLICIES)):
                    say(line)
            except Exception as error:  # the next hour may find the database back
                say(f"failed ({type(error).__name__}); trying again in {every:g} s")

    threading.Thread(target=loop, name="openpas-maintenance", daemon=True).start()
    return stop


def cmd_serve(args: argparse.Namespace) -> None:
    import uvicorn

    _settings()  # refuse to start on unsafe settings before forking workers
    if args.workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Each worker counts in its own process; /metrics must add them all up.
        import tempfile

        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="openpas-metrics-")
    uvicorn.run(
        "app.asgi:app",
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_config=None,
        access_log=False,
        proxy_headers=True,
        # A request the HTTP parser refuses is answered as problem+json too.
        http="app.http_protocol:ProblemHttpToolsProtocol",
    )


def cmd_migrate(args: argparse.Namespace) -> None:
    settings = _settings()
    migrations.upgrade(settings.database_url, args.revision)
    print(f"database at migration {args.revision}")


def cmd_demo(_: argparse.Namespace) -> None:
    from app.services.demo import seed_demo

    settings = _settings()
    if not settings.demo:
        sys.exit("openpas: the demo seeds published credentials; set OPENPAS_DEMO=1 to allow it")
    created = asyncio.run(_with_session(settings, lambda session: seed_demo(session, settings)))
    print("demo: " + (", ".join(created) if created else "already in place, nothing added"))


def cmd_clients_create(args: argparse.Namespace) -> None:
    from app.services.clients import create_client

    settings = _settings()
    try:
        grant = Grant(role=Role(args.role), region_id=args.region_id, partner_id=args.partner_id)
    except GrantError as error:
        sys.exit(f"openpas: {error}")

    async def work(session: object) -> tuple[str, str]:
        created = await create_client(
            session,  # type: ignore[arg-type]
            name=args.name,
            grants=[grant],
            client_id=args.client_id,
        )
        return created.client_id, created.client_secret

    try:
        client_id, secret = asyncio.run(_with_session(settings, work))
    except OpenPasError as error:
        sys.exit(f"openpas: {error.detail}")
    print(f"client_id={client_id}")
    print(f"client_secret={secret}")
    print("The secret is shown once; store it safely.", file=sys.stderr)


def cmd_import_entitlements(args: argparse.Namespace) -> None:
    """Import a list as the operator (admin), with a progress bar on the terminal."""
    from pathlib import Path

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from app.domain.access import Principal
    from app.services import imports

    settings = _settings()
    path = Path(args.file)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        sys.exit(f"openpas: cannot read {path}: {error}")
    is_csv = path.suffix.lower() in (".csv", ".txt")
    total = max(text.count("\n") - (1 if is_csv else 0), 1)
    operator = Principal(client_id="cli-import", grants=(Grant(Role.ADMIN),))

    with Progress(
        TextColumn("[bold]import"), BarColumn(), MofNCompleteColumn(), transient=True
    ) as progress:
        task = progress.add_task("rows", total=total)

        async def work(session: object) -> imports.ImportReport:
            rows = imports.read_csv(text) if is_csv else imports.read_json_lines(text)
            return await imports.import_entitlements(
                session,  # type: ignore[arg-type]
                principal=operator,
                insz_key=settings.insz_hmac_key,
                region_id=args.region_id,
                source=f"import:{args.source}",
                rows=rows,
                progress=lambda done: progress.update(task, completed=done),
            )

        try:
            report = asyncio.run(_with_session(settings, work))
        except OpenPasError as error:
            sys.exit(f"openpas: {error.detail}")
    print(
        f"rows={report.rows} granted={report.granted} renewed={report.renewed} "
        f"unchanged={report.unchanged} pending={report.pending} "
        f"already_pending={report.already_pending} rejected={report.rejected}"
    )
    for row, reason in report.rejections:
        print(f"row {row}: {reason}", file=sys.stderr)


MAINTENANCE_POLICIES = ("idempotency", "holds", "audit", "webhooks")


def cmd_maintenance(args: argparse.Namespace) -> None:
    """Forget old idempotency keys, release lapsed holds, keep the audit partitions; once,
    or every N seconds until stopped (a cron job or a systemd timer works as well)."""
    import time

    settings = _settings()
    policies = args.only or MAINTENANCE_POLICIES
    while True:
        for line in asyncio.run(_maintain(settings, policies)):
            print(line, flush=True)
        if not args.every:
            return
        time.sleep(args.every)


async def _maintain(settings: Settings, policies: Sequence[str]) -> list[str]:
    from app.clock import utcnow
    from app.services import maintenance

    engine = create_engine(settings.database_url, pool_size=1)
    sessions = create_sessionmaker(engine)
    lines: list[str] = []
    try:
        if "idempotency" in policies:
            async with unit_of_work(sessions) as session:
                forgotten = await maintenance.forget_idempotency_keys(session, settings, utcnow())
            lines.append(
                f"idempotency: {forgotten} keys older than "
                f"{settings.idempotency_ttl_hours} hours forgotten"
            )
        if "holds" in policies:
            released = 0
            while True:  # a transaction per batch, so no lock is held long
                async with unit_of_work(sessions) as session:
                    batch = await maintenance.release_holds(session, utcnow())
                released += batch
                if batch < maintenance.HOLDS_PER_BATCH:
                    break
            lines.append(f"holds: {released} lapsed holds released")
        if "audit" in policies:
            async with unit_of_work(sessions) as session:
                upkeep = await maintenance.keep_audit(session, settings, utcnow())
            lines.append(
                f"audit: partitions ready {', '.join(upkeep.ready)}; months dropped "
                f"(older than {settings.audit_retention_days} days): "
                f"{', '.join(upkeep.dropped) or 'none'}; "
                f"rows purged from the default partition: {upkeep.stray_rows_purged}"
            )
        if "webhooks" in policies:
            async with unit_of_work(sessions) as session:
                gone = await maintenance.forget_webhook_deliveries(session, settings, utcnow())
            lines.append(
                f"webhooks: {gone} deliveries delivered more than "
                f"{settings.webhook_delivery_retention_days} days ago forgotten"
            )
    finally:
        await engine.dispose()
    return lines


def cmd_schemes_import(args: argparse.Namespace) -> None:
    from app.domain.access import Principal
    from app.services.catalog_files import CatalogFileError, load_scheme_files
    from app.services.schemes import import_definitions

    settings = _settings()
    try:
        definitions = load_scheme_files(args.paths)
    except CatalogFileError as error:
        sys.exit(f"openpas: {error}")
    operator = Principal(client_id="cli-schemes-import", grants=(Grant(Role.ADMIN),))
    try:
        changed = asyncio.run(
            _with_session(
                settings, lambda session: import_definitions(session, operator, definitions)
            )
        )
    except OpenPasError as error:
        sys.exit(f"openpas: {error.detail}")
    print(f"schemes: {len(definitions)} read; " + (", ".join(changed) or "nothing changed"))


def cmd_regions_import(args: argparse.Namespace) -> None:
    from app.services.catalog_files import CatalogFileError
    from app.services.region_files import load_region_files
    from app.services.regions import import_regions

    settings = _settings()
    try:
        regions = load_region_files(args.paths)
    except CatalogFileError as error:
        sys.exit(f"openpas: {str(error).replace('scheme file', 'region file')}")
    try:
        changed = asyncio.run(
            _with_session(settings, lambda session: import_regions(session, regions))
        )
    except OpenPasError as error:
        sys.exit(f"openpas: {error.detail}")
    print(f"regions: {len(regions)} read; " + (", ".join(changed) or "nothing changed"))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="openpas", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    for name, func, text in (
        ("serve", cmd_serve, "run the API server"),
        ("run", cmd_run, "migrate, seed the demo (OPENPAS_DEMO=1) and serve: `make run`"),
    ):
        serve = commands.add_parser(name, help=text)
        serve.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        serve.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        serve.add_argument(
            "--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "1"))
        )
        serve.set_defaults(func=func)

    worker = commands.add_parser("worker", help="send webhooks (several may run at once)")
    worker.set_defaults(func=cmd_worker)

    webhooks = commands.add_parser("webhooks", help="webhook subscriptions and deliveries")
    webhook_commands = webhooks.add_subparsers(dest="webhooks_command", required=True)
    webhook_commands.add_parser("list", help="every subscription and its state").set_defaults(
        func=cmd_webhooks
    )
    retry = webhook_commands.add_parser("retry", help="send a delivery again")
    retry.add_argument("subscription_id")
    retry.add_argument("delivery_id")
    retry.set_defaults(func=cmd_webhooks)
    disable = webhook_commands.add_parser("disable", help="stop sending to a subscription")
    disable.add_argument("subscription_id")
    disable.add_argument("--reason", default="disabled by an operator")
    disable.set_defaults(func=cmd_webhooks)

    migrate = commands.add_parser("migrate", help="upgrade the database schema")
    migrate.add_argument("revision", nargs="?", default="head")
    migrate.set_defaults(func=cmd_migrate)

    demo = commands.add_parser("demo", help="seed the demo data (demo mode only)")
    demo.set_defaults(func=cmd_demo)

    clients = commands.add_parser("clients", help="manage API clients")
    clients_commands = clients.add_subparsers(dest="clients_command", required=True)
    create = clients_commands.add_parser("create", help="create a client and print its secret")
    create.add_argument("--name", required=True)
    create.add_argument("--role", required=True, choices=[role.value for role in Role])
    create.add_argument("--region-id")
    create.add_argument("--partner-id")
    create.add_argument("--client-id", help="choose the id (default: a random one)")
    create.set_defaults(func=cmd_clients_create)

    schemes = commands.add_parser("schemes", help="the scheme catalogue")
    schemes_commands = schemes.add_subparsers(dest="schemes_command", required=True)
    schemes_import = schemes_commands.add_parser(
        "import", help="load scheme files (YAML/JSON); a second run changes nothing"
    )
    schemes_import.add_argument("paths", nargs="+", help="files or directories, e.g. catalog/")
    schemes_import.set_defaults(func=cmd_schemes_import)

    regions = commands.add_parser("regions", help="regions and their municipalities")
    regions_commands = regions.add_subparsers(dest="regions_command", required=True)
    regions_import = regions_commands.add_parser(
        "import",
        help="create or update regions from files (YAML/JSON); a second run changes nothing",
    )
    regions_import.add_argument("paths", nargs="+", help="files or directories, e.g. regions/")
    regions_import.set_defaults(func=cmd_regions_import)

    maintenance = commands.add_parser(
        "maintenance",
        help="forget old idempotency keys and webhook deliveries, release holds, purge audit rows",
    )
    maintenance.add_argument(
        "--only", action="append", choices=MAINTENANCE_POLICIES, help="one policy (repeatable)"
    )
    maintenance.add_argument(
        "--every", type=int, metavar="SECONDS", help="run again every SECONDS until stopped"
    )
    maintenance.set_defaults(func=cmd_maintenance)

    import_ = commands.add_parser("import", help="bulk imports")
    import_commands = import_.add_subparsers(dest="import_command", required=True)
    entitlements = import_commands.add_parser(
        "entitlements", help="grant statuses from a CSV or JSON-lines list, matched by INSZ"
    )
    entitlements.add_argument("file", help="a .csv (insz,type,valid_from,…) or .jsonl file")
    entitlements.add_argument("--region-id", required=True)
    entitlements.add_argument("--source", default="import", help="a name for the list")
    entitlements.set_defaults(func=cmd_import_entitlements)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    with _database():
        args.func(args)


if __name__ == "__main__":
    main()
