"""Schemathesis fuzzes every operation of the OpenAPI schema against a real server process,
one call at a time and along the document's links (stateful).

Every check is on (`positive_data_acceptance` included, as `schemathesis.toml` configures
it): no input may cause a server error, data the schema allows is accepted, data it refuses
is refused, and every response matches the schema (status code, content type, body and
headers).
"""

from __future__ import annotations

import json
import socket
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import Case
from schemathesis.config import SchemathesisConfig

from app.domain.access import Grant, Role
from app.main import create_app
from app.services.clients import create_client
from app.services.demo import seed_demo
from tests.conftest import TEST_INSZ_KEY, TEST_TOKEN_KEY, make_settings
from tests.support.live_server import LiveServer, live_server
from tests.support.postgres import create_database, drop_database, run_in_thread

ROOT = Path(__file__).resolve().parents[2]

# The repository's configuration, as the CLI reads it: which refusals of schema-valid data
# are semantic, and the hooks that send text bodies.
CONFIG = SchemathesisConfig.from_path(ROOT / "schemathesis.toml")
DOCUMENT = create_app(make_settings("postgresql://openpas@127.0.0.1/unused")).openapi()

# The schema comes from the code itself; the calls go to a real server over HTTP.
schema = schemathesis.openapi.from_dict(DOCUMENT, config=CONFIG)

# Few examples, derandomized: both tests together stay within ≈ 2–3 minutes on two cores.
FUZZ_SETTINGS = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)


@pytest.fixture(scope="module")
def server(postgres_admin_url: str) -> Iterator[LiveServer]:
    from app.db import migrations

    url = create_database(postgres_admin_url, prefix="openpas_fuzz")
    migrations.upgrade(url)
    env = {"OPENPAS_TOKEN_SIGNING_KEY": TEST_TOKEN_KEY, "OPENPAS_INSZ_HMAC_KEY": TEST_INSZ_KEY}
    try:
        with live_server(url, env) as live:
            yield live
    finally:
        drop_database(postgres_admin_url, url)


@pytest.fixture(scope="module")
def admin_headers(server: LiveServer) -> dict[str, str]:
    """An admin client in the fuzzed database, plus the demo data to give ids meaning."""
    from app.db.engine import create_engine, create_sessionmaker, unit_of_work

    async def setup() -> tuple[str, str]:
        engine = create_engine(server.database_url)
        try:
            async with unit_of_work(create_sessionmaker(engine)) as session:
                await seed_demo(session, make_settings(server.database_url))
                created = await create_client(session, name="fuzz", grants=[Grant(Role.ADMIN)])
                return created.client_id, created.client_secret
        finally:
            await engine.dispose()

    client_id, secret = run_in_thread(setup())
    import httpx

    token = httpx.post(
        f"{server.base_url}/v1/oauth/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    ).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


@schema.parametrize()
@FUZZ_SETTINGS
def test_no_input_breaks_the_api_or_its_schema(
    case: Case[Any], server: LiveServer, admin_headers: dict[str, str]
) -> None:
    # Every check, with the expected statuses of schemathesis.toml for each operation.
    case.call_and_validate(base_url=server.base_url, headers=admin_headers)


APIWorkflow = schema.as_state_machine()


def test_the_linked_flows_keep_to_the_schema(
    server: LiveServer, admin_headers: dict[str, str]
) -> None:
    """Schemathesis follows the document's links (a created passholder read, changed and
    given a card; a quote's best tariff sold, the sale read and cancelled; …) and checks
    every answer along the way as above."""

    class Workflow(APIWorkflow):  # type: ignore[misc, valid-type]
        def get_call_kwargs(self, case: Case[Any]) -> dict[str, Any]:
            return {"base_url": server.base_url, "headers": admin_headers}

        def validate_response(self, response: Any, case: Case[Any], **kwargs: Any) -> None:
            case.validate_response(response, headers=admin_headers, transport_kwargs=kwargs)

    Workflow.run(
        settings=settings(
            max_examples=20,
            stateful_step_count=6,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
        )
    )


def _configured_operations() -> list[tuple[str, list[str]]]:
    configured = tomllib.loads((ROOT / "schemathesis.toml").read_text())
    return [
        (operation_id, entry["checks"]["positive_data_acceptance"]["expected-statuses"])
        for entry in configured["operations"]
        for operation_id in entry["include-operation-id"]
    ]


def test_semantic_refusals_are_accepted_only_where_the_operation_documents_them() -> None:
    """A status schemathesis.toml lets an operation answer for schema-valid data is one the
    operation documents as a problem with its codes (the refusals a schema cannot state)."""
    operations = {
        operation["operationId"]: operation
        for path in DOCUMENT["paths"].values()
        for operation in path.values()
    }
    configured = _configured_operations()
    assert len(configured) > 20
    for operation_id, statuses in configured:
        assert operation_id in operations, operation_id
        for status in statuses:
            if status in ("2xx", "3xx", "401", "403", "404", "409", "429"):
                continue  # schemathesis's own defaults for positive data
            media = operations[operation_id]["responses"][status]["content"]
            codes = media["application/problem+json"]["examples"]
            assert codes, (operation_id, status)


@pytest.mark.parametrize(
    "raw",
    [
        b"POST /v1/quotes HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
        b"POST /v1/quotes HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
        b"POST /v1/quotes HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
        b"POST /v1/quotes HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        b"POST /v1/quotes HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n",
        b"GET /health HTTP/9.9\r\nHost: x\r\n\r\n",
        b"GET /health HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n",
        b"GET /he alth HTTP/1.1\r\nHost: x\r\n\r\n",
    ],
    ids=[
        "negative-content-length",
        "content-length-not-a-number",
        "two-content-lengths",
        "content-length-and-chunked",
        "bad-chunk-size",
        "unknown-http-version",
        "space-in-header-name",
        "space-in-target",
    ],
)
def test_a_request_the_parser_refuses_gets_a_problem_document(
    server: LiveServer, raw: bytes
) -> None:
    """Over a raw socket to the real server process (`openpas serve`'s HTTP protocol): a
    request its parser refuses is a 400 problem+json, not uvicorn's plain text."""
    host, port = server.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(raw)
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("ascii").split("\r\n")
    assert status_line == "HTTP/1.1 400 Bad Request"
    headers = dict(line.lower().split(": ", 1) for line in header_lines)
    assert headers["content-type"] == "application/problem+json"
    problem = json.loads(body)
    assert (problem["status"], problem["code"]) == (400, "bad-request")
    assert problem["end_user_message"]
