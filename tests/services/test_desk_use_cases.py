"""The desk's use cases called as the routes call them, without HTTP: a quote, a sale, a
retry of the sale, a confirm and a cancel, on the test's real PostgreSQL transaction.

Each call is one unit of work: the use case flushes and never commits; the session is
the test's, whose transaction is rolled back at the end.
"""

from __future__ import annotations

import uuid

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.sales import SaleRow
from app.db.tables import idempotency_keys, sales, usage_counters
from app.domain.access import Grant, Principal, Role
from app.domain.sales import SaleStatus
from app.errors import Conflict, NotFound, Unprocessable
from app.services import quotes as quoting
from app.services import sales as selling
from app.settings import Settings
from tests.api.test_desk import kortrijk_world
from tests.factories import DeskWorld


def desk_of(world: DeskWorld) -> Principal:
    return Principal("use-case-desk", (Grant(Role.DESK, partner_id=world.partner_id),))


async def quote(session: AsyncSession, world: DeskWorld) -> quoting.QuoteResult:
    return await quoting.quote_for_desk(
        session,
        desk_of(world),
        card_number=world.card_number,
        offer_id=world.offer_id,
        price_class="standard",
        quantity=1,
    )


def sale_request(world: DeskWorld, tariff_id: str, *, hold: bool = False) -> selling.SaleRequest:
    item = selling.SaleItemRequest(
        card_number=world.card_number,
        offer_id=world.offer_id,
        price_class="standard",
        tariff_id=tariff_id,
        quantity=1,
    )
    return selling.SaleRequest(items=(item,), hold=hold)


async def sell(
    session: AsyncSession,
    settings: Settings,
    world: DeskWorld,
    tariff_id: str,
    key: str,
    *,
    body_hash: str = "h",
    hold: bool = False,
) -> SaleRow:
    return await selling.register_sale(
        session,
        settings,
        desk_of(world),
        idempotency_key=key,
        body_hash=body_hash,
        request=sale_request(world, tariff_id, hold=hold),
    )


async def tickets_used(session: AsyncSession, world: DeskWorld) -> int:
    used = await session.execute(
        sa.select(sa.func.coalesce(sa.func.sum(usage_counters.c.tickets), 0)).where(
            usage_counters.c.passholder_id == uuid.UUID(world.passholder_id)
        )
    )
    return int(used.scalar_one())


async def test_a_quote_then_a_sale_at_its_tariff_sells_once_per_key(
    session: AsyncSession, client: httpx.AsyncClient, settings: Settings
) -> None:
    world = await kortrijk_world(session, client)
    quoted = await quote(session, world)
    best = quoted.quote.best_tariff_id
    assert best is not None
    # Kortrijk's 20-40-40 on a €119 season ticket: the holder pays €23.80.
    [tariff] = [t for t in quoted.quote.tariffs if t.tariff_id == best]
    assert tariff.unit_price_cents == 2380

    key = uuid.uuid4().hex
    sold = await sell(session, settings, world, best, key)
    again = await sell(session, settings, world, best, key)

    assert sold.status == SaleStatus.CONFIRMED
    assert again.id == sold.id
    assert [item.total_cents for item in sold.items] == [2380]
    assert await tickets_used(session, world) == 1
    partner_sales = await session.execute(
        sa.select(sa.func.count()).where(sales.c.partner_id == uuid.UUID(world.partner_id))
    )
    assert partner_sales.scalar_one() == 1
    kept = await session.execute(
        sa.select(idempotency_keys.c.sale_id).where(idempotency_keys.c.key == key)
    )
    assert str(kept.scalar_one()) == sold.id


async def test_the_same_key_with_another_body_sells_nothing_more(
    session: AsyncSession, client: httpx.AsyncClient, settings: Settings
) -> None:
    world = await kortrijk_world(session, client)
    best = (await quote(session, world)).quote.best_tariff_id
    assert best is not None
    await sell(session, settings, world, best, "k", body_hash="h1")
    with pytest.raises(Unprocessable) as refused:
        await sell(session, settings, world, best, "k", body_hash="h2")
    assert refused.value.code == "idempotency-key-reused"
    assert await tickets_used(session, world) == 1


async def test_a_second_sale_past_the_limit_is_refused_and_a_cancel_gives_the_ticket_back(
    session: AsyncSession, client: httpx.AsyncClient, settings: Settings
) -> None:
    world = await kortrijk_world(session, client)
    best = (await quote(session, world)).quote.best_tariff_id
    assert best is not None
    sold = await sell(session, settings, world, best, "first")
    with pytest.raises(Conflict) as refused:
        await sell(session, settings, world, best, "second")
    assert refused.value.code == "limit-reached"

    cancelled = await selling.cancel_sale(session, desk_of(world), sold.id)
    again = await selling.cancel_sale(session, desk_of(world), sold.id)

    assert cancelled.status == again.status == SaleStatus.CANCELLED
    assert await tickets_used(session, world) == 0


async def test_a_hold_is_confirmed_once_and_another_partners_desk_cannot_see_it(
    session: AsyncSession, client: httpx.AsyncClient, settings: Settings
) -> None:
    world = await kortrijk_world(session, client)
    best = (await quote(session, world)).quote.best_tariff_id
    assert best is not None
    held = await sell(session, settings, world, best, "hold", hold=True)
    assert held.status == SaleStatus.HELD
    confirmed = await selling.confirm_sale(session, desk_of(world), held.id)
    twice = await selling.confirm_sale(session, desk_of(world), held.id)
    assert confirmed.status == twice.status == SaleStatus.CONFIRMED
    assert confirmed.confirmed_at == twice.confirmed_at

    stranger = Principal("other-desk", (Grant(Role.DESK, partner_id=str(uuid.uuid4())),))
    with pytest.raises(NotFound):
        await selling.read_sale(session, stranger, held.id)
