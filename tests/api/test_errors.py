"""Every error is a problem document; nothing leaks a stack trace."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from app.api.problems import negotiate_language
from app.domain.access import Role
from app.errors import DatabaseUnavailable
from app.main import create_app
from app.settings import Settings
from tests.api.test_auth import assert_problem
from tests.factories import a_partner, a_region, bearer_for


async def test_a_body_over_the_limit_is_refused_with_413(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    admin = await bearer_for(session, Role.ADMIN)
    huge = {"name": "x" * 2_000_000, "grants": [{"role": "admin"}]}
    response = await client.post("/v1/clients", headers=admin, json=huge)
    assert_problem(response, 413, "payload-too-large")


async def test_a_streamed_body_over_the_limit_is_refused_with_413(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    admin = await bearer_for(session, Role.ADMIN)

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(40):
            yield b"x" * 65_536

    response = await client.post(
        "/v1/regions",
        headers={**admin, "Content-Type": "application/json"},
        content=chunks(),
    )
    assert_problem(response, 413, "payload-too-large")


async def test_malformed_json_is_a_validation_problem(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    admin = await bearer_for(session, Role.ADMIN)
    response = await client.post(
        "/v1/regions", headers={**admin, "Content-Type": "application/json"}, content=b"{nope"
    )
    body = assert_problem(response, 422, "validation-failed")
    assert body["errors"] == [{"pointer": "", "detail": "the body is not valid JSON"}]


async def test_a_validation_problem_says_where_the_first_error_is_and_how_many_more(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    admin = await bearer_for(session, Role.ADMIN)
    unknown = "x" * 1_000  # an unknown field's name is input: quoted only in part

    response = await client.post(
        "/v1/regions", headers=admin, json={"name": "Regio", unknown: 1, "status_grace_days": "7"}
    )

    body = assert_problem(response, 422, "validation-failed")
    pointers = [error["pointer"] for error in body["errors"]]
    assert pointers == ["/code", "/municipalities", "/status_grace_days", "/" + "x" * 64]
    assert body["detail"] == "code: Field required (and 3 more)"


async def test_an_unknown_route_and_a_wrong_method_are_problems(
    client: httpx.AsyncClient,
) -> None:
    assert_problem(await client.get("/v1/nothing-here"), 404, "not-found")
    wrong = await client.put("/v1/regions")
    assert_problem(wrong, 405, "method-not-allowed")
    # RFC 9110: a 405 names the methods the path does take.
    assert wrong.headers["allow"] == "GET, POST"
    assert (await client.delete("/v1/quotes")).headers["allow"] == "POST"
    assert (await client.post("/v1/schemes/KANS")).headers["allow"] == "GET, PUT"
    # The documented path, not the parameter it also fits (/v1/passholders/{id}).
    assert (await client.delete("/v1/passholders/search")).headers["allow"] == "POST"


async def test_an_unexpected_error_is_a_500_problem_without_a_trace_or_its_message_logged(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    app: FastAPI = create_app(settings)

    @app.get("/boom")
    async def boom() -> None:
        # Any exception's message may carry personal data (a validation error quotes its
        # input): neither the client nor the log gets it. (Not on the raising line, which
        # the logged stack shows.)
        message = "secret internals: Desmet, 1985-07-30"
        raise RuntimeError(message)

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=True)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.get("/boom")
    body = assert_problem(response, 500, "internal-error")
    assert "secret internals" not in response.text
    assert "Traceback" not in json.dumps(body)
    await app.state.engine.dispose()
    logs = capsys.readouterr().out
    errors = [json.loads(line) for line in logs.splitlines() if "unhandled_error" in line]
    assert [(e["error_type"], "boom" in e["stack"]) for e in errors] == [("RuntimeError", True)]
    assert "Desmet" not in logs


async def test_a_lost_database_is_one_503_problem_logged_by_kind_whichever_path_found_it(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    app: FastAPI = create_app(settings)

    @app.get("/lost-in-the-handler")
    async def raw() -> None:  # what reaches the error handler from SQLAlchemy's side
        raise ConnectionRefusedError(111, "refused by 10.0.0.7")

    @app.get("/lost-in-the-driver")
    async def classified() -> None:  # what app.db.driver raises for its own statements
        raise DatabaseUnavailable() from asyncpg.exceptions.AdminShutdownError("terminating")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=True)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://t") as client,
    ):
        answers = [await client.get(p) for p in ("/lost-in-the-handler", "/lost-in-the-driver")]

    bodies = [assert_problem(a, 503, "database-unavailable") for a in answers]
    assert bodies[0]["detail"] == bodies[1]["detail"]
    assert [a.headers["retry-after"] for a in answers] == ["1", "1"]
    logs = capsys.readouterr().out
    logged = [json.loads(line) for line in logs.splitlines() if "server_problem" in line]
    assert [(e["code"], e["cause_type"]) for e in logged] == [
        ("database-unavailable", "ConnectionRefusedError"),
        ("database-unavailable", "AdminShutdownError"),
    ]
    assert "10.0.0.7" not in logs


@pytest.mark.parametrize(
    ("header", "language"),
    [
        (None, "nl"),
        ("", "nl"),
        ("fr", "fr"),
        ("fr-BE,nl;q=0.5", "fr"),
        ("de-DE,en;q=0.7,fr;q=0.3", "de"),
        ("de-BE", "de"),
        ("es,it;q=0.8,de;q=0.5", "de"),
        ("en;q=0.2,fr;q=0.9", "fr"),
        ("es", "nl"),
        ("fr;q=0", "nl"),
        ("*", "nl"),
        ("en;q=abc", "nl"),
    ],
)
def test_the_end_user_language_follows_accept_language(header: str | None, language: str) -> None:
    assert negotiate_language(header) == language


async def test_each_response_carries_a_request_id_and_echoes_a_good_one(
    client: httpx.AsyncClient,
) -> None:
    generated = await client.get("/health")
    assert len(generated.headers["x-request-id"]) == 32
    echoed = await client.get("/health", headers={"X-Request-ID": "desk-42-abcdef"})
    assert echoed.headers["x-request-id"] == "desk-42-abcdef"
    replaced = await client.get("/health", headers={"X-Request-ID": "bad id\n"})
    assert replaced.headers["x-request-id"] != "bad id\n"


@pytest.mark.parametrize(
    ("path", "parameter", "role"),
    [
        ("/v1/regions", "cursor", Role.ADMIN),
        ("/v1/changes", "after", Role.ADMIN),
        ("/v1/audit", "cursor", Role.ADMIN),
        ("/v1/sales", "cursor", Role.DESK),
    ],
)
@pytest.mark.parametrize("value", [{"wrong": 1}, {"t": "1", "s": 2, "code": 3, "before": "x"}])
async def test_a_cursor_of_another_shape_is_refused_not_read_as_the_first_page(
    client: httpx.AsyncClient,
    session: AsyncSession,
    path: str,
    parameter: str,
    role: Role,
    value: dict[str, object],
) -> None:
    region = await a_region(session)
    tenant = {"partner_id": await a_partner(session, region)} if role is Role.DESK else {}
    headers = await bearer_for(session, role, **tenant)
    cursor = base64.urlsafe_b64encode(json.dumps(value).encode()).decode()
    params = {parameter: cursor}
    if path == "/v1/changes":
        params["region_id"] = region.id
    problem = assert_problem(
        await client.get(path, headers=headers, params=params), 422, "validation-failed"
    )
    assert problem["errors"] == [{"parameter": parameter, "detail": "invalid cursor"}]
