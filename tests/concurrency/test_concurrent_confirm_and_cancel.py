"""A repeated or concurrent confirm or cancel answers the sale as it now is, on many processes.

Many desks (or one desk's retries) press confirm or cancel on one sale at the same moment,
against two server processes: every answer is the sale as it then is, and the sale is
settled, and its usage given back, exactly once.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
import sqlalchemy as sa

from app.db.engine import create_engine
from app.db.tables import cards, settlement_scheme_months, usage_counters
from app.services.demo import HOLDERS, demo_id
from tests.concurrency.test_concurrent_sales import _quote, _sale_body, _token
from tests.support.live_server import LiveServer, demo_server

pytestmark = pytest.mark.concurrency

SOFIE = next(h for h in HOLDERS if h.key == "sofie")  # kansenstatuut in Regio Kortrijk
# A one-off play at the Schouwburg Kortrijk: the kansentarief allows Sofie one ticket.
KERSENTUIN = str(demo_id("offer", "kersentuin"))


@pytest.fixture(scope="module")
def server(postgres_admin_url: str) -> Iterator[LiveServer]:
    with demo_server(
        postgres_admin_url,
        prefix="openpas_confirm_cancel",
        env={"OPENPAS_DB_POOL_SIZE": "20"},
        workers=2,
    ) as running:
        yield running


@dataclass(frozen=True)
class Books:
    """What the database holds for Sofie and the Schouwburg: her usage counters (tickets
    per bucket; the kansentarief counts in two) and the settlement's lines and discount,
    summed over every month."""

    tickets: tuple[int, ...]
    settled_lines: int
    settled_discount_cents: int


_SOFIES_ID = (
    sa.select(cards.c.passholder_id).where(cards.c.number == SOFIE.card_number).scalar_subquery()
)


async def _books(server: LiveServer) -> Books:
    engine = create_engine(server.database_url)
    try:
        async with engine.connect() as connection:
            tickets = (
                await connection.execute(
                    sa.select(usage_counters.c.tickets)
                    .where(usage_counters.c.passholder_id == _SOFIES_ID)
                    .order_by(usage_counters.c.bucket_key)
                )
            ).scalars()
            lines, discount = (
                await connection.execute(
                    sa.select(
                        sa.func.coalesce(sa.func.sum(settlement_scheme_months.c.lines), 0),
                        sa.func.coalesce(sa.func.sum(settlement_scheme_months.c.discount_cents), 0),
                    ).where(
                        settlement_scheme_months.c.partner_id
                        == demo_id("partner", "schouwburg-kortrijk")
                    )
                )
            ).one()
            return Books(tuple(tickets), int(lines), int(discount))
    finally:
        await engine.dispose()


async def _hold(client: httpx.AsyncClient, desk: dict[str, str]) -> dict[str, object]:
    tariff_id = await _quote(client, desk, SOFIE.card_number, KERSENTUIN)
    response = await client.post(
        "/v1/sales",
        headers={**desk, "Idempotency-Key": uuid.uuid4().hex},
        json={**_sale_body(SOFIE.card_number, KERSENTUIN, tariff_id), "hold": True},
    )
    assert response.status_code == 201, response.text
    held: dict[str, object] = response.json()
    assert held["status"] == "held"
    return held


async def _at_once(
    client: httpx.AsyncClient, desk: dict[str, str], paths: list[str]
) -> list[httpx.Response]:
    return list(await asyncio.gather(*[client.post(path, headers=desk) for path in paths]))


def _answers(responses: list[httpx.Response]) -> Counter[tuple[int, str]]:
    """(status, sale status) for a sale answered, (status, problem code) for a problem."""
    return Counter(
        (r.status_code, r.json()["status"] if r.status_code == 200 else r.json()["code"])
        for r in responses
    )


def _client(server: LiveServer) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=100)
    return httpx.AsyncClient(base_url=server.base_url, timeout=60, limits=limits)


async def test_twenty_confirms_of_one_hold_at_once_all_answer_it_confirmed_and_settle_it_once(
    server: LiveServer,
) -> None:
    async with _client(server) as client:
        desk = await _token(client, "demo-desk")
        held = await _hold(client, desk)
        before = await _books(server)

        responses = await _at_once(client, desk, [f"/v1/sales/{held['id']}/confirm"] * 20)

        assert _answers(responses) == {(200, "confirmed"): 20}
        # One confirmation: every answer carries the same moment of it.
        assert len({r.json()["confirmed_at"] for r in responses}) == 1
        after = await _books(server)
        assert set(before.tickets) == {1}  # the hold's ticket, in each of its buckets
        assert after.tickets == before.tickets
        assert after.settled_lines == before.settled_lines + 1
        [item] = responses[0].json()["items"]
        assert after.settled_discount_cents == before.settled_discount_cents + (
            item["discount_cents"] * item["quantity"]
        )


async def test_fifty_cancels_of_one_sale_at_once_all_answer_it_cancelled_and_give_back_once(
    server: LiveServer,
) -> None:
    async with _client(server) as client:
        desk = await _token(client, "demo-desk")
        confirmed = (
            await client.get("/v1/sales", headers=desk, params={"status": "confirmed"})
        ).json()["items"]
        [sale] = confirmed  # the hold confirmed above
        before = await _books(server)
        assert set(before.tickets) == {1}

        responses = await _at_once(client, desk, [f"/v1/sales/{sale['id']}/cancel"] * 50)

        assert _answers(responses) == {(200, "cancelled"): 50}
        assert len({r.json()["cancelled_at"] for r in responses}) == 1
        after = await _books(server)
        # The ticket came back once (not 50 times: the counter would be at -49).
        assert set(after.tickets) == {0}
        assert after.settled_lines == before.settled_lines - 1
        [item] = sale["items"]
        assert after.settled_discount_cents == before.settled_discount_cents - (
            item["discount_cents"] * item["quantity"]
        )


async def test_confirms_and_cancels_of_one_hold_at_once_leave_the_books_as_the_sale_ends(
    server: LiveServer,
) -> None:
    async with _client(server) as client:
        desk = await _token(client, "demo-desk")
        held = await _hold(client, desk)
        before = await _books(server)
        paths = [f"/v1/sales/{held['id']}/{action}" for action in ("confirm", "cancel") * 15]

        responses = await _at_once(client, desk, paths)

        final = (await client.get(f"/v1/sales/{held['id']}", headers=desk)).json()
        # A cancel may come before or after the confirmation; either way the sale ends
        # cancelled, and only a confirm that came after the cancel is refused.
        assert final["status"] == "cancelled"
        answers = _answers(responses)
        assert set(answers) <= {(200, "confirmed"), (200, "cancelled"), (409, "sale-not-held")}
        assert answers[200, "cancelled"] == 15
        after = await _books(server)
        assert set(after.tickets) == {0}
        # Confirmed and taken off again, or never confirmed: nothing stays in the settlement.
        assert (after.settled_lines, after.settled_discount_cents) == (
            before.settled_lines,
            before.settled_discount_cents,
        )
