"""Schemathesis fuzzes every operation of the OpenAPI schema against a real server process.

No input may cause a server error, and every response must match the schema: status code,
content type, body and headers.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import Case

from app.domain.access import Grant, Role
from app.main import create_app
from app.services.clients import create_client
from app.services.demo import seed_demo
from tests.conftest import TEST_INSZ_KEY, TEST_TOKEN_KEY, make_settings
from tests.support.live_server import LiveServer, live_server
from tests.support.postgres import create_database, drop_database, run_in_thread


@schemathesis.serializer("text/csv", "application/x-ndjson")
def _text_body(_context: Any, value: Any) -> bytes:
    """Bulk imports take text (CSV or JSON lines): send whatever string was generated."""
    return str(value).encode("utf-8", "surrogatepass")


# The schema comes from the code itself; the calls go to a real server over HTTP.
schema = schemathesis.openapi.from_dict(
    create_app(make_settings("postgresql://openpas@127.0.0.1/unused")).openapi()
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
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)
def test_no_input_breaks_the_api_or_its_schema(
    case: Case[Any], server: LiveServer, admin_headers: dict[str, str]
) -> None:
    # Data the schema allows may still be refused for reasons a schema cannot state
    # (a grant's tenant must exist, a municipality may belong to one region only), so a 422
    # for such data is correct; every other check stays on.
    case.call_and_validate(
        base_url=server.base_url,
        headers=admin_headers,
        excluded_checks=[schemathesis.checks.positive_data_acceptance],
    )
