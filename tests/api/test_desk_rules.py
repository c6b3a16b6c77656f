"""The desk's rules, as the API answers them: card usability at the sale, repeated confirms
and cancels, the cancellation window's end, and grace days from the status's region."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.tables import partners, regions
from tests.api.test_auth import assert_problem
from tests.api.test_desk import kortrijk_world, quote, sell, tickets_used
from tests.factories import (
    DeskWorld,
    a_desk_world,
    catalog_scheme,
    desk_clock,
    with_schemes,
)

# --- card usability -------------------------------------------------------------------------


async def test_a_card_blocked_after_its_quote_is_refused_at_the_sale_and_nothing_is_sold(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world = await kortrijk_world(session, client)
    tariff_id = (await quote(client, world)).json()["best_tariff_id"]
    blocked = await client.post(
        f"/v1/cards/{world.card_number}/block", headers=world.registry, json={"reason": "lost"}
    )
    assert blocked.status_code == 200, blocked.text

    refused = await sell(client, world, tariff_id)

    problem = assert_problem(refused, 409, "card-blocked")
    assert problem["item"] == 0
    assert (await client.get("/v1/sales", headers=world.desk)).json()["items"] == []
    assert await tickets_used(session, world) == []


async def test_a_replaced_card_is_told_as_replaced_at_the_quote_and_at_the_sale(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world = await kortrijk_world(session, client)
    tariff_id = (await quote(client, world)).json()["best_tariff_id"]
    replaced = await client.post(f"/v1/cards/{world.card_number}/replace", headers=world.registry)
    assert replaced.status_code == 201, replaced.text

    assert_problem(await quote(client, world), 409, "card-replaced")
    assert_problem(await sell(client, world, tariff_id), 409, "card-replaced")
    world.card_number = replaced.json()["number"]
    # The new card sells at the holder's tariff (the same one: the id names no card).
    assert (await sell(client, world, tariff_id)).status_code == 201


# --- repeated confirms and cancels ----------------------------------------------------------


async def test_a_confirm_pressed_twice_answers_the_confirmed_sale_both_times(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world = await kortrijk_world(session, client)
    tariff_id = (await quote(client, world)).json()["best_tariff_id"]
    held = (await sell(client, world, tariff_id, hold=True)).json()

    first = await client.post(f"/v1/sales/{held['id']}/confirm", headers=world.desk)
    again = await client.post(f"/v1/sales/{held['id']}/confirm", headers=world.desk)

    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert first.json()["status"] == "confirmed"
    assert await tickets_used(session, world) == [1]


async def test_a_cancel_pressed_twice_answers_the_cancelled_sale_and_gives_back_once(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world = await kortrijk_world(session, client)
    tariff_id = (await quote(client, world)).json()["best_tariff_id"]
    sold = (await sell(client, world, tariff_id)).json()

    first = await client.post(f"/v1/sales/{sold['id']}/cancel", headers=world.desk)
    again = await client.post(f"/v1/sales/{sold['id']}/cancel", headers=world.desk)

    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert first.json()["status"] == "cancelled"
    assert await tickets_used(session, world) == [0]  # not −1


async def test_a_cancelled_hold_cannot_be_confirmed_after_all(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world = await kortrijk_world(session, client)
    tariff_id = (await quote(client, world)).json()["best_tariff_id"]
    held = (await sell(client, world, tariff_id, hold=True)).json()
    await client.post(f"/v1/sales/{held['id']}/cancel", headers=world.desk)

    late = await client.post(f"/v1/sales/{held['id']}/confirm", headers=world.desk)

    problem = assert_problem(late, 409, "sale-not-held")
    assert problem["detail"] == "The sale is cancelled; only a hold can be confirmed."


# --- the cancellation window ----------------------------------------------------------------


def clock_at(moment: list[datetime]) -> Callable[[], datetime]:
    return lambda: moment[0]


async def test_a_sale_can_be_cancelled_until_the_partners_window_ends_and_not_a_second_later(
    client: httpx.AsyncClient, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = await kortrijk_world(session, client)
    await session.execute(
        sa.update(partners)
        .where(partners.c.id == uuid.UUID(world.partner_id))
        .values(cancellation_window_hours=2)
    )
    now = [datetime.now(UTC).replace(microsecond=0)]
    desk_clock(monkeypatch, clock_at(now))
    tariff_id = (await quote(client, world)).json()["best_tariff_id"]

    first = (await sell(client, world, tariff_id)).json()
    now[0] += timedelta(hours=2)
    on_the_dot = await client.post(f"/v1/sales/{first['id']}/cancel", headers=world.desk)
    second = (await sell(client, world, tariff_id)).json()
    now[0] += timedelta(hours=2, seconds=1)
    too_late = await client.post(f"/v1/sales/{second['id']}/cancel", headers=world.desk)

    assert on_the_dot.status_code == 200, on_the_dot.text
    assert on_the_dot.json()["status"] == "cancelled"
    assert_problem(too_late, 409, "cancellation-window-passed")


# --- grace days -----------------------------------------------------------------------------


async def a_lapsed_kansenstatuut(
    session: AsyncSession,
    client: httpx.AsyncClient,
    *,
    home_grace_days: int,
    in_own_region: bool,
) -> DeskWorld:
    """A holder whose kansenstatuut ended ten days ago: granted in the home region, or as a
    status valid everywhere; the home region grants `home_grace_days` of grace."""
    world = await a_desk_world(session, client, statuses=())
    await with_schemes(session, catalog_scheme("KORTRIJK_KANSENTARIEF", world.region.code))
    await session.execute(
        sa.update(regions)
        .where(regions.c.id == uuid.UUID(world.region.id))
        .values(status_grace_days=home_grace_days)
    )
    ended = date.today() - timedelta(days=10)
    granted = await client.post(
        f"/v1/passholders/{world.passholder_id}/entitlements",
        headers=world.registry,
        json={
            "type": "kansenstatuut",
            "region_id": world.region.id if in_own_region else None,
            "valid_from": "2020-01-01",
            "valid_until": ended.isoformat(),
        },
    )
    assert granted.status_code == 201, granted.text
    return world


@pytest.mark.parametrize("in_own_region", [True, False])
async def test_a_status_in_its_grace_days_still_gives_the_tariff_at_quote_and_sale(
    client: httpx.AsyncClient, session: AsyncSession, in_own_region: bool
) -> None:
    # A status valid everywhere has no region of its own: the home region's grace counts.
    world = await a_lapsed_kansenstatuut(
        session, client, home_grace_days=30, in_own_region=in_own_region
    )

    offered = (await quote(client, world)).json()

    [tariff] = offered["tariffs"]
    assert tariff["scheme_code"] == "KORTRIJK_KANSENTARIEF"
    assert (await sell(client, world, tariff["tariff_id"])).status_code == 201


@pytest.mark.parametrize("in_own_region", [True, False])
async def test_a_status_past_its_grace_days_gives_no_tariff(
    client: httpx.AsyncClient, session: AsyncSession, in_own_region: bool
) -> None:
    world = await a_lapsed_kansenstatuut(
        session, client, home_grace_days=5, in_own_region=in_own_region
    )

    offered = (await quote(client, world)).json()

    assert offered["tariffs"] == []
    # The desk is not told that a status expired, only that the scheme does not apply.
    assert {"scheme_code": "KORTRIJK_KANSENTARIEF", "reason": "not_eligible", "detail": None} in (
        offered["not_applicable"]
    )
