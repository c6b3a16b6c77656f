"""Health, readiness, metrics, logs and settings."""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from pydantic import ValidationError
from sqlalchemy.engine import make_url

from app.db import driver, migrations
from app.db.engine import unit_of_work
from app.domain.access import Grant, Role
from app.main import create_app
from app.observability import configure_logging
from app.services.clients import create_client
from app.settings import (
    DEMO_INSZ_HMAC_KEY,
    DEMO_TOKEN_SIGNING_KEY,
    Settings,
    SettingsFileError,
    database_url_is_set,
)
from tests.conftest import make_settings
from tests.support.postgres import create_database, drop_database


@pytest.fixture
def unmigrated_database(postgres_admin_url: str) -> Iterator[str]:
    url = create_database(postgres_admin_url, prefix="openpas_unmigrated")
    yield url
    drop_database(postgres_admin_url, url)


async def test_health_answers_without_the_database(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert response.json() == {"status": "ok"}


async def test_ready_when_the_database_is_at_the_migration_head(client: httpx.AsyncClient) -> None:
    response = await client.get("/ready")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert body["schema_revision"] == body["expected_revision"] == migrations.head_revision()


async def test_an_unmigrated_database_is_not_ready_and_business_routes_wait(
    unmigrated_database: str,
) -> None:
    app = create_app(make_settings(unmigrated_database))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        ready = await client.get("/ready")
        assert ready.status_code == 503
        assert ready.json()["schema_revision"] is None
        assert "openpas migrate" in ready.json()["reason"]
        business = await client.get("/v1/regions")
        assert business.status_code == 503
        assert business.json()["code"] == "schema-not-migrated"
        assert business.headers["retry-after"] == "5"
        assert (await client.get("/health")).status_code == 200
    await app.state.engine.dispose()


async def test_an_unreachable_database_is_not_ready() -> None:
    app = create_app(make_settings("postgresql://nobody@127.0.0.1:1/none"))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        ready = await client.get("/ready")
    assert ready.status_code == 503
    assert ready.json()["database"] == "unreachable"
    await app.state.engine.dispose()


async def test_metrics_count_requests_per_route_template(client: httpx.AsyncClient) -> None:
    await client.get("/v1/regions/11111111-2222-4333-8444-555555555555")
    text = (await client.get("/metrics")).text
    assert (
        'openpas_http_requests_total{method="GET",route="/v1/regions/{region_id}",status="404"}'
        in text
    )
    assert "11111111-2222" not in text
    assert "openpas_http_request_duration_seconds_bucket" in text


async def test_log_lines_are_json_with_the_route_template_and_never_the_body(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    app = create_app(make_settings(database_url, log_level="INFO"))
    client_id = f"logged-{uuid.uuid4().hex[:8]}"
    async with unit_of_work(app.state.sessionmaker) as session:
        created = await create_client(
            session, name="log test", grants=[Grant(Role.ADMIN)], client_id=client_id
        )
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        token = (
            await client.post(
                "/v1/oauth/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": client_id,
                    "client_secret": created.client_secret,
                },
            )
        ).json()["access_token"]
        await client.delete("/v1/clients/nobody", headers={"Authorization": f"Bearer {token}"})
        await client.post(
            "/v1/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": "x",
                "client_secret": "s3cr3t-x",
            },
        )
    await app.state.engine.dispose()
    configure_logging("WARNING")
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]
    access = [line for line in lines if line.get("event") == "request"]
    assert access
    assert access[-1]["route"] == "/v1/oauth/token"
    assert access[-1]["status"] == 401
    assert access[-1]["client_id"] is None
    authenticated = access[-2]
    assert authenticated["route"] == "/v1/clients/{client_id}"  # the template, not the path
    assert authenticated["client_id"] == client_id
    assert len({line["request_id"] for line in access[-3:]}) == 3
    assert all(len(line["request_id"]) == 32 for line in access[-3:])
    assert "s3cr3t-x" not in json.dumps(lines)
    assert created.client_secret not in json.dumps(lines)


# Settings need a database URL; these tests are about the secrets.
ANY_DATABASE = "postgresql://openpas@127.0.0.1/openpas"


def test_outside_demo_mode_a_missing_secret_is_refused_by_name() -> None:
    with pytest.raises(ValidationError, match="OPENPAS_TOKEN_SIGNING_KEY is not set"):
        Settings(database_url=ANY_DATABASE, demo=False, insz_hmac_key="k" * 40)
    with pytest.raises(ValidationError, match="OPENPAS_INSZ_HMAC_KEY is not set"):
        Settings(database_url=ANY_DATABASE, demo=False, token_signing_key="k" * 40)


def test_outside_demo_mode_the_published_demo_keys_are_refused() -> None:
    with pytest.raises(ValidationError, match="OPENPAS_TOKEN_SIGNING_KEY is the published"):
        Settings(
            database_url=ANY_DATABASE,
            demo=False,
            token_signing_key=DEMO_TOKEN_SIGNING_KEY,
            insz_hmac_key="k" * 40,
        )
    with pytest.raises(ValidationError, match="OPENPAS_INSZ_HMAC_KEY is the published"):
        Settings(
            database_url=ANY_DATABASE,
            demo=False,
            token_signing_key="k" * 40,
            insz_hmac_key=DEMO_INSZ_HMAC_KEY,
        )
    with pytest.raises(ValidationError, match="shorter than 32"):
        Settings(
            database_url=ANY_DATABASE, demo=False, token_signing_key="short", insz_hmac_key="k" * 40
        )


def test_demo_mode_runs_on_the_published_keys() -> None:
    settings = Settings(database_url=ANY_DATABASE, demo=True)
    assert settings.token_signing_key == DEMO_TOKEN_SIGNING_KEY
    assert settings.insz_hmac_key == DEMO_INSZ_HMAC_KEY


def test_database_urls_people_paste_get_the_async_driver() -> None:
    base = {"demo": True}
    assert Settings(**base, database_url="postgresql://u@h/db").database_url == (  # type: ignore[arg-type]
        "postgresql+asyncpg://u@h/db"
    )
    assert Settings(**base, database_url="postgres://u@h/db").database_url == (  # type: ignore[arg-type]
        "postgresql+asyncpg://u@h/db"
    )
    # PostgreSQL is the one engine: anything else is refused, SQLite included.
    for other in ("sqlite:///x.db", "mysql://u@h/db"):
        with pytest.raises(ValidationError):
            Settings(**base, database_url=other)  # type: ignore[arg-type]


def test_settings_keep_secrets_out_of_their_repr() -> None:
    settings = Settings(
        database_url=ANY_DATABASE, demo=False, token_signing_key="t" * 40, insz_hmac_key="i" * 40
    )
    assert "t" * 40 not in repr(settings)
    assert "i" * 40 not in repr(settings)


def test_secrets_come_from_files_as_docker_hands_them_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    signing, insz, password = ("s" * 40 + "\n"), "h" * 40, "p@ss:w/rd"
    (tmp_path / "signing").write_text(signing)
    (tmp_path / "insz").write_text(insz)
    (tmp_path / "password").write_text(password + "\n")
    (tmp_path / "url").write_text("postgresql://openpas@db:5432/openpas\n")
    for name in ("DATABASE_URL", "OPENPAS_DATABASE_URL", "OPENPAS_DEMO"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OPENPAS_TOKEN_SIGNING_KEY_FILE", str(tmp_path / "signing"))
    monkeypatch.setenv("OPENPAS_INSZ_HMAC_KEY_FILE", str(tmp_path / "insz"))
    monkeypatch.setenv("OPENPAS_DATABASE_PASSWORD_FILE", str(tmp_path / "password"))
    monkeypatch.setenv("DATABASE_URL_FILE", str(tmp_path / "url"))

    settings = Settings()

    assert settings.demo is False
    assert settings.token_signing_key == "s" * 40  # the file's newline is not part of it
    assert settings.insz_hmac_key == "h" * 40
    url = make_url(settings.database_url)
    assert (url.drivername, url.username, url.host, url.database) == (
        "postgresql+asyncpg",
        "openpas",
        "db",
        "openpas",
    )
    assert url.password == password
    assert database_url_is_set()


def test_a_secret_set_twice_or_in_a_missing_file_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "signing").write_text("s" * 40)
    monkeypatch.setenv("OPENPAS_TOKEN_SIGNING_KEY_FILE", str(tmp_path / "signing"))
    monkeypatch.setenv("OPENPAS_TOKEN_SIGNING_KEY", "t" * 40)
    with pytest.raises(SettingsFileError, match="both OPENPAS_TOKEN_SIGNING_KEY and"):
        Settings(database_url=ANY_DATABASE, demo=True)

    monkeypatch.delenv("OPENPAS_TOKEN_SIGNING_KEY")
    monkeypatch.setenv("OPENPAS_TOKEN_SIGNING_KEY_FILE", str(tmp_path / "absent"))
    with pytest.raises(SettingsFileError, match="cannot read"):
        Settings(database_url=ANY_DATABASE, demo=True)


async def _sqlalchemy_data_error(app: FastAPI) -> None:
    async with app.state.engine.connect() as connection:
        await connection.execute(
            sa.text("SELECT CAST(:birth AS integer)"), {"birth": "Desmet-1985-07-30"}
        )


async def _driver_data_error(app: FastAPI) -> None:
    # The hot path's own statements (asyncpg, app.db.driver) fail the same way.
    birth = "Desmet-1985-07-30"  # not on the failing line, which the logged stack shows
    async with app.state.sessionmaker() as session:
        await driver.fetch(session, "SELECT $1::text::integer", birth)


async def _driver_argument_error(app: FastAPI) -> None:
    # Refused by asyncpg itself, before the database sees it (client side).
    birth = "Desmet-1985-07-30"
    async with app.state.sessionmaker() as session:
        await driver.fetch(session, "SELECT $1::integer", birth)


@pytest.mark.parametrize(
    ("fail", "sqlstate"),
    [
        (_sqlalchemy_data_error, "22"),
        (_driver_data_error, "22"),
        (_driver_argument_error, "22"),  # asyncpg's own DataError, no value in its log
    ],
)
async def test_an_unexpected_database_error_logs_no_value_it_was_given(
    database_url: str,
    capsys: pytest.CaptureFixture[str],
    fail: Callable[[FastAPI], Awaitable[None]],
    sqlstate: str,
) -> None:
    app = create_app(make_settings(database_url, log_level="INFO"))

    @app.get("/boom")
    async def boom() -> None:
        await fail(app)

    # The exception must end in the application: raised on to the server, it would be
    # logged there in full, message and values included.
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=True)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://t") as client,
    ):
        response = await client.get("/boom")
    configure_logging("WARNING")
    assert response.status_code == 500
    assert response.json()["code"] == "internal-error"
    assert "Desmet" not in response.text
    logs = capsys.readouterr().out
    errors = [json.loads(line) for line in logs.splitlines() if "unhandled_error" in line]
    assert errors, logs
    assert errors[0]["sqlstate"].startswith(sqlstate)  # data exception
    assert "boom" in errors[0]["stack"]
    assert "Desmet" not in logs
    access = [json.loads(line) for line in logs.splitlines() if '"request"' in line]
    assert [(line["route"], line["status"]) for line in access] == [("/boom", 500)]


def test_the_probes_sit_in_the_apps_own_route_table_without_dependencies() -> None:
    """/health, /ready and /metrics are matched first and without a nested router (cheap,
    docs/performance.md); that is only sound while they need no dependency that
    include_router would have wired (overrides, the schema check)."""
    from fastapi.routing import APIRoute

    app = create_app(make_settings(ANY_DATABASE))
    probes = [
        route for route in app.router.routes if isinstance(route, APIRoute) and route.path in PROBES
    ]
    assert sorted(route.path for route in probes) == sorted(PROBES)
    for route in probes:
        assert route.dependant.dependencies == []


PROBES = {"/health", "/ready", "/metrics"}
