"""Rate limits: token requests per client and per address, failed card look-ups, quotes and
sales per client — 429 problem documents with Retry-After and RateLimit headers, counted in
/metrics. (Sharing through Redis across processes: tests/concurrency/test_rate_limits_shared.)
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from limits import parse
from sqlalchemy.ext.asyncio import AsyncSession

from app.api.rate_limits import RateLimits
from app.db.tables import audit_log, checkins
from app.domain.access import Grant, Role
from app.services.clients import create_client
from tests.api.support_organisations import an_organisation_world
from tests.api.test_auth import assert_problem
from tests.api.test_desk import kortrijk_world
from tests.api.test_staff import a_desk_member, browser, form_token
from tests.factories import a_desk_world

__all__ = ["browser"]  # the fixture, used by name

UNKNOWN_CARD = "0000000000000"  # 13 digits with a valid check digit, issued to no one


def _limits(**limits: str) -> RateLimits:
    return RateLimits({name: parse(value) for name, value in limits.items()})


@pytest.fixture
def limited(app: FastAPI) -> Iterator[FastAPI]:
    """The suite's app with fresh limits of the test's choosing (`app.state.rate_limits`)."""
    before = app.state.rate_limits
    try:
        yield app
    finally:
        app.state.rate_limits = before


def assert_refused(response: httpx.Response, limit: str, amount: int) -> None:
    body = assert_problem(response, 429, "rate-limited")
    assert body["limit"] == limit
    retry_after = int(response.headers["retry-after"])
    assert 1 <= retry_after <= 60
    assert response.headers["ratelimit-limit"] == str(amount)
    assert response.headers["ratelimit-remaining"] == "0"
    assert int(response.headers["ratelimit-reset"]) == retry_after


async def _token(client: httpx.AsyncClient, client_id: str, secret: str) -> httpx.Response:
    return await client.post(
        "/v1/oauth/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )


async def test_token_requests_are_limited_per_client_id_before_the_secret_is_checked(
    client: httpx.AsyncClient, session: AsyncSession, limited: FastAPI
) -> None:
    limited.state.rate_limits = _limits(token_per_client="3/minute")
    created = await create_client(session, name="Balie", grants=[Grant(Role.ADMIN)])
    other = await create_client(session, name="Andere", grants=[Grant(Role.ADMIN)])
    answers = [await _token(client, created.client_id, "wrong") for _ in range(2)]
    assert [a.status_code for a in answers] == [401, 401]
    assert (await _token(client, created.client_id, created.client_secret)).status_code == 200
    # The fourth, even with the right secret, is refused: a guesser gets no more tries.
    assert_refused(
        await _token(client, created.client_id, created.client_secret), "token_per_client", 3
    )
    assert (await _token(client, other.client_id, other.client_secret)).status_code == 200


async def test_token_requests_are_limited_per_address_whatever_the_client_id(
    client: httpx.AsyncClient, limited: FastAPI
) -> None:
    limited.state.rate_limits = _limits(token_per_address="4/minute")
    answers = [await _token(client, f"guess-{uuid.uuid4().hex[:8]}", "x") for _ in range(5)]
    assert [a.status_code for a in answers[:4]] == [401] * 4
    assert_refused(answers[4], "token_per_address", 4)


async def test_failed_card_look_ups_are_limited_and_then_every_look_up_is_refused(
    client: httpx.AsyncClient, session: AsyncSession, limited: FastAPI
) -> None:
    world = await a_desk_world(session, client)
    limited.state.rate_limits = _limits(failed_card_lookups="2/minute")

    async def quote(card: str) -> httpx.Response:
        return await client.post(
            "/v1/quotes",
            headers=world.desk,
            json={"card_number": card, "offer_id": world.offer_id, "price_class": "standard"},
        )

    assert (await quote(world.card_number)).status_code == 200  # successes do not count
    assert_problem(await quote(UNKNOWN_CARD), 404, "card-not-found")
    assert_problem(await quote(UNKNOWN_CARD), 404, "card-not-found")
    assert_refused(await quote(UNKNOWN_CARD), "failed_card_lookups", 2)
    # A prober that found nothing for a while learns nothing from a valid number either.
    assert_refused(await quote(world.card_number), "failed_card_lookups", 2)
    sale = await client.post(
        "/v1/sales",
        headers={**world.desk, "Idempotency-Key": uuid.uuid4().hex},
        json={
            "items": [
                {
                    "card_number": world.card_number,
                    "offer_id": world.offer_id,
                    "price_class": "standard",
                    "tariff_id": "x",
                }
            ]
        },
    )
    assert_refused(sale, "failed_card_lookups", 2)


async def test_quotes_and_sales_are_limited_per_client_and_refusals_are_counted_in_metrics(
    client: httpx.AsyncClient, session: AsyncSession, limited: FastAPI
) -> None:
    world = await kortrijk_world(session, client)
    limited.state.rate_limits = _limits(quotes="3/minute", sales="1/minute")
    body = {"card_number": world.card_number, "offer_id": world.offer_id, "price_class": "standard"}
    before = _refusals(await client.get("/metrics"), "quotes")
    answers = [await client.post("/v1/quotes", headers=world.desk, json=body) for _ in range(4)]
    assert [a.status_code for a in answers[:3]] == [200] * 3
    assert_refused(answers[3], "quotes", 3)
    assert _refusals(await client.get("/metrics"), "quotes") == before + 1

    tariff = answers[0].json()["best_tariff_id"]
    sale = {"items": [{**body, "tariff_id": tariff}]}
    first = await client.post(
        "/v1/sales", headers={**world.desk, "Idempotency-Key": uuid.uuid4().hex}, json=sale
    )
    assert first.status_code == 201, first.text
    second = await client.post(
        "/v1/sales", headers={**world.desk, "Idempotency-Key": uuid.uuid4().hex}, json=sale
    )
    assert_refused(second, "sales", 1)


async def _count(session: AsyncSession, table: sa.Table, *where: sa.ColumnElement[bool]) -> int:
    found = await session.scalar(sa.select(sa.func.count()).select_from(table).where(*where))
    assert found is not None
    return found


async def test_check_ins_are_counted_by_the_same_limits_so_they_cannot_probe_cards(
    client: httpx.AsyncClient, session: AsyncSession, limited: FastAPI
) -> None:
    world = await an_organisation_world(session, client)
    limited.state.rate_limits = _limits(failed_card_lookups="2/minute")

    async def check_in(card: str) -> httpx.Response:
        return await client.post(
            "/v1/checkins",
            headers=world.desk,
            json={"card_number": card, "offer_id": world.offer_id},
        )

    before = _refusals(await client.get("/metrics"), "failed_card_lookups")
    assert_problem(await check_in(UNKNOWN_CARD), 404, "card-not-found")
    assert_problem(await check_in(UNKNOWN_CARD), 404, "card-not-found")
    assert_refused(await check_in(UNKNOWN_CARD), "failed_card_lookups", 2)
    # The prober's next number is a valid one: refused, and no visit is recorded.
    assert_refused(await check_in(world.desk_world.card_number), "failed_card_lookups", 2)
    assert await _count(session, checkins) == 0
    assert await _count(session, audit_log, audit_log.c.action == "checkin") == 0
    assert _refusals(await client.get("/metrics"), "failed_card_lookups") == before + 2

    # And a check-in is one of the client's quotes.
    limited.state.rate_limits = _limits(quotes="1/minute")
    assert (await check_in(world.desk_world.card_number)).status_code == 201
    assert_refused(await check_in(world.desk_world.card_number), "quotes", 1)
    assert await _count(session, checkins) == 1


async def test_the_web_desk_is_counted_by_the_same_limits_on_the_staff_members_principal(
    client: httpx.AsyncClient,
    session: AsyncSession,
    browser: httpx.AsyncClient,
    limited: FastAPI,
) -> None:
    world, staff = await a_desk_member(session, client, browser)
    who = f"staff:{staff['id']}"
    limited.state.rate_limits = _limits(failed_card_lookups="2/minute")
    csrf = form_token(await browser.get("/desk/"), "csrf")
    choice = f"{world.offer_id}|standard"

    async def quote(card: str) -> httpx.Response:
        return await browser.post(
            "/desk/quote", data={"csrf": csrf, "offer": choice, "card_number": card}
        )

    assert (await quote(UNKNOWN_CARD)).status_code == 404
    assert (await quote(UNKNOWN_CARD)).status_code == 404
    probed = await quote(UNKNOWN_CARD)
    assert probed.status_code == 429
    assert "Er kwamen te veel aanvragen na elkaar." in probed.text
    assert 1 <= int(probed.headers["retry-after"]) <= 60
    assert probed.headers["ratelimit-limit"] == "2"
    valid = await quote(world.card_number)
    assert valid.status_code == 429
    assert "Er kwamen te veel aanvragen na elkaar." in valid.text
    assert "Sofie" not in valid.text
    assert await _count(session, audit_log, audit_log.c.client_id == who) == 0
    # The desk client's own limits are its own: the staff member's count is not theirs.
    answer = await client.post(
        "/v1/quotes",
        headers=world.desk,
        json={
            "card_number": world.card_number,
            "offer_id": world.offer_id,
            "price_class": "standard",
        },
    )
    assert answer.status_code == 200, answer.text

    # Selling at the web desk counts against the sales limit.
    limited.state.rate_limits = _limits(sales="1/minute")
    shown = await quote(world.card_number)
    assert shown.status_code == 200, shown.text

    async def sell() -> httpx.Response:
        return await browser.post(
            "/desk/sell",
            data={
                "csrf": csrf,
                "offer": choice,
                "card_number": world.card_number,
                "tariff_id": form_token(shown, "tariff_id"),
                "idempotency_key": uuid.uuid4().hex,
            },
        )

    assert (await sell()).status_code == 303
    refused = await sell()
    assert refused.status_code == 429
    assert "Er kwamen te veel aanvragen na elkaar." in refused.text
    assert (
        await _count(session, audit_log, audit_log.c.client_id == who, audit_log.c.action == "sale")
        == 1
    )


def _refusals(metrics: httpx.Response, limit: str) -> float:
    prefix = f'openpas_rate_limit_refusals_total{{limit="{limit}"}} '
    for line in metrics.text.splitlines():
        if line.startswith(prefix):
            return float(line.removeprefix(prefix))
    return 0.0


def test_a_limit_set_to_nothing_is_off_and_a_malformed_one_is_refused_at_start() -> None:
    from app.api.rate_limits import limit_items
    from tests.conftest import make_settings

    items = limit_items(make_settings("postgresql://x/y", rate_limit_quotes="5/second"))
    assert set(items) == {"quotes"}
    assert items["quotes"].amount == 5
    with pytest.raises(ValueError, match="not a rate limit"):
        make_settings("postgresql://x/y", rate_limit_sales="lots")
