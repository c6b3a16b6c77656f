"""Client credentials, tokens, roles and tenants."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.access import Role
from app.services.clients import create_client
from app.services.tokens import issue_token
from tests.conftest import TEST_TOKEN_KEY
from tests.factories import a_partner, a_region, bearer_for

PROBLEM = "application/problem+json"


async def _token(client: httpx.AsyncClient, client_id: str, secret: str) -> httpx.Response:
    return await client.post(
        "/v1/oauth/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["title"]
    assert body["detail"]
    assert body["end_user_message"]
    assert str(body["type"]).endswith(code)
    return body


async def test_a_client_trades_its_secret_for_a_bearer_token_that_opens_admin_routes(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    from app.domain.access import Grant

    created = await create_client(session, name="Beheer", grants=[Grant(Role.ADMIN)])
    response = await _token(client, created.client_id, created.client_secret)

    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    made = await client.post(
        "/v1/clients", headers=headers, json={"name": "Balie", "grants": [{"role": "admin"}]}
    )
    assert made.status_code == 201


async def test_http_basic_credentials_work_like_form_fields(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    from app.domain.access import Grant

    created = await create_client(session, name="Beheer", grants=[Grant(Role.ADMIN)])
    basic = base64.b64encode(f"{created.client_id}:{created.client_secret}".encode()).decode()
    response = await client.post(
        "/v1/oauth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert response.status_code == 200
    assert response.json()["access_token"]


async def test_a_wrong_secret_gets_no_token(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    from app.domain.access import Grant

    created = await create_client(session, name="Beheer", grants=[Grant(Role.ADMIN)])
    response = await _token(client, created.client_id, created.client_secret + "x")
    body = assert_problem(response, 401, "invalid-client")
    assert body["error"] == "invalid_client"
    unknown = await _token(client, "no-such-client", "whatever")
    assert_problem(unknown, 401, "invalid-client")


async def test_only_the_client_credentials_grant_is_supported(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/oauth/token", data={"grant_type": "password", "client_id": "a", "client_secret": "b"}
    )
    assert_problem(response, 400, "unsupported-grant-type")


@pytest.mark.parametrize(
    ("send", "says"),
    [
        ({"data": {"client_id": "a", "client_secret": "b"}}, "grant_type"),
        ({"json": {"grant_type": "client_credentials"}}, "x-www-form-urlencoded"),
        ({"data": {"grant_type": "client_credentials", "client_id": "a" * 65}}, "client_id"),
        (
            {
                "data": {"grant_type": "client_credentials", "client_id": "a"},
                "headers": {"Authorization": "Basic " + base64.b64encode(b"a:b").decode()},
            },
            "not both",
        ),
    ],
)
async def test_a_malformed_token_request_is_an_oauth_invalid_request(
    client: httpx.AsyncClient, send: dict[str, Any], says: str
) -> None:
    response = await client.post("/v1/oauth/token", **send)

    body = assert_problem(response, 400, "invalid-token-request")
    assert body["error"] == "invalid_request"  # RFC 6749 §5.2, for OAuth client libraries
    assert says in body["detail"]


async def test_an_expired_token_is_refused(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    client_id = "expired-one"
    from app.db.clients import insert_client
    from app.domain.access import Grant

    await insert_client(
        session,
        client_id=client_id,
        name="x",
        secret_hash="-",
        grants=(Grant(Role.ADMIN),),
        now=datetime.now(UTC),
    )
    old = datetime.now(UTC) - timedelta(hours=2)
    token = issue_token(client_id, key=TEST_TOKEN_KEY, ttl_seconds=600, now=old)
    response = await client.post(
        "/v1/clients",
        headers={"Authorization": f"Bearer {token}"},
        json={"name": "x", "grants": [{"role": "admin"}]},
    )
    assert_problem(response, 401, "token-expired")
    # The same client with a token issued now is let in: it was the expiry that refused it.
    fresh = issue_token(client_id, key=TEST_TOKEN_KEY, ttl_seconds=600, now=datetime.now(UTC))
    let_in = await client.delete(
        "/v1/clients/no-such-client", headers={"Authorization": f"Bearer {fresh}"}
    )
    assert_problem(let_in, 404, "not-found")


async def test_a_token_signed_with_another_key_is_refused(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    forged = issue_token(
        "demo-admin",
        key="another-key-another-key-another-key!",
        ttl_seconds=600,
        now=datetime.now(UTC),
    )
    response = await client.delete(
        "/v1/clients/demo-admin", headers={"Authorization": f"Bearer {forged}"}
    )
    assert_problem(response, 401, "invalid-token")


async def test_a_call_without_token_is_unauthorized(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/clients", json={"name": "x", "grants": [{"role": "admin"}]})
    body = assert_problem(response, 401, "unauthorized")
    assert response.headers["www-authenticate"] == "Bearer"
    assert (
        body["end_user_message"] == "Dit toestel is niet aangemeld bij OpenPas. Meld opnieuw aan."
    )


async def test_revoking_a_client_stops_its_issued_tokens_at_once(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    from app.domain.access import Grant

    admin = await bearer_for(session, Role.ADMIN)
    victim = await create_client(session, name="Oude balie", grants=[Grant(Role.ADMIN)])
    token = (await _token(client, victim.client_id, victim.client_secret)).json()["access_token"]
    victim_headers = {"Authorization": f"Bearer {token}"}
    before = await client.get(
        "/v1/regions/00000000-0000-0000-0000-000000000000", headers=victim_headers
    )
    assert before.status_code == 404

    revoked = await client.delete(f"/v1/clients/{victim.client_id}", headers=admin)
    assert revoked.status_code == 204

    after = await client.post(
        "/v1/clients", headers=victim_headers, json={"name": "x", "grants": [{"role": "admin"}]}
    )
    assert_problem(after, 401, "invalid-token")
    again = await _token(client, victim.client_id, victim.client_secret)
    assert_problem(again, 401, "invalid-client")
    twice = await client.delete(f"/v1/clients/{victim.client_id}", headers=admin)
    assert_problem(twice, 404, "not-found")


async def test_a_desk_may_not_create_clients(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    region = await a_region(session)
    partner_id = await a_partner(session, region)
    desk = await bearer_for(session, Role.DESK, partner_id=partner_id)
    response = await client.post(
        "/v1/clients", headers=desk, json={"name": "x", "grants": [{"role": "admin"}]}
    )
    assert_problem(response, 403, "forbidden")


async def test_a_client_secret_is_returned_once_and_stored_only_as_a_hash(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    import sqlalchemy as sa

    from app.db.tables import api_clients

    admin = await bearer_for(session, Role.ADMIN)
    region = await a_region(session)
    response = await client.post(
        "/v1/clients",
        headers=admin,
        json={"name": "OCMW", "grants": [{"role": "registry", "region_id": region.id}]},
    )
    assert response.status_code == 201
    body = response.json()
    assert body["grants"] == [
        {"role": "registry", "region_id": region.id, "partner_id": None, "organisation_id": None}
    ]
    stored = (
        await session.execute(
            sa.select(api_clients.c.secret_hash).where(api_clients.c.client_id == body["client_id"])
        )
    ).scalar_one()
    assert body["client_secret"] not in stored
    assert stored.startswith("$argon2")


async def test_a_grant_must_name_the_tenant_its_role_needs(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    admin = await bearer_for(session, Role.ADMIN)
    missing = await client.post(
        "/v1/clients", headers=admin, json={"name": "x", "grants": [{"role": "desk"}]}
    )
    body = assert_problem(missing, 422, "validation-failed")
    assert body["errors"][0]["pointer"] == "/grants/0"
    unknown = await client.post(
        "/v1/clients",
        headers=admin,
        json={
            "name": "x",
            "grants": [{"role": "registry", "region_id": "00000000-0000-0000-0000-000000000001"}],
        },
    )
    body = assert_problem(unknown, 422, "validation-failed")
    assert body["errors"] == [{"pointer": "/grants/0/region_id", "detail": "unknown region"}]


async def test_a_region_admin_creates_partners_only_in_its_own_region(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    own, other = await a_region(session), await a_region(session)
    region_admin = await bearer_for(session, Role.REGION_ADMIN, region_id=own.id)
    body = {
        "name": "Bib",
        "municipality_nis": own.municipalities[0].nis_code,
        "categories": ["bibliotheek"],
    }
    ok = await client.post("/v1/partners", headers=region_admin, json={**body, "region_id": own.id})
    assert ok.status_code == 201
    assert ok.json()["region_id"] == own.id
    foreign = await client.post(
        "/v1/partners",
        headers=region_admin,
        json={**body, "region_id": other.id, "municipality_nis": other.municipalities[0].nis_code},
    )
    assert_problem(foreign, 403, "forbidden")


async def test_a_desk_reads_its_own_partner_but_not_another(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    region = await a_region(session)
    mine, theirs = await a_partner(session, region), await a_partner(session, region)
    desk = await bearer_for(session, Role.DESK, partner_id=mine)
    assert (await client.get(f"/v1/partners/{mine}", headers=desk)).json()["id"] == mine
    hidden = await client.get(f"/v1/partners/{theirs}", headers=desk)
    assert_problem(hidden, 404, "not-found")


async def test_an_issued_token_names_its_key_and_a_year_long_one_signed_with_it_is_refused(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    import jwt

    from app.domain.access import Grant

    created = await create_client(session, name="Balie", grants=[Grant(Role.ADMIN)])
    token = (await _token(client, created.client_id, created.client_secret)).json()
    assert jwt.get_unverified_header(token["access_token"])["kid"] == "1"
    year = issue_token(
        created.client_id,
        key=TEST_TOKEN_KEY,
        key_id="1",
        ttl_seconds=365 * 86_400,
        now=datetime.now(UTC),
    )
    refused = await client.delete(
        "/v1/clients/no-such-client", headers={"Authorization": f"Bearer {year}"}
    )
    assert_problem(refused, 401, "invalid-token")
