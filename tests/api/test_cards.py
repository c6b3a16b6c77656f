"""Cards: issue, block, replace; numbers are Luhn-checked and random."""

from __future__ import annotations

import uuid

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from stdnum import luhn

from app.db.tables import audit_log
from tests.api.test_auth import assert_problem
from tests.factories import a_registered_holder


async def _holder(client: httpx.AsyncClient, session: AsyncSession) -> tuple[dict[str, str], str]:
    registered = await a_registered_holder(session, client)
    return registered.registry, registered.passholder_id


async def test_an_issued_card_has_13_digits_with_a_luhn_check_digit(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    registry, holder_id = await _holder(client, session)
    response = await client.post(f"/v1/passholders/{holder_id}/cards", headers=registry)
    assert response.status_code == 201
    card = response.json()
    assert len(card["number"]) == 13
    assert luhn.is_valid(card["number"])
    assert card["status"] == "active"
    assert card["passholder_id"] == holder_id


async def test_a_second_active_card_in_the_region_is_refused(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    registry, holder_id = await _holder(client, session)
    first = (await client.post(f"/v1/passholders/{holder_id}/cards", headers=registry)).json()
    second = await client.post(f"/v1/passholders/{holder_id}/cards", headers=registry)
    problem = assert_problem(second, 409, "card-already-active")
    assert problem["card_number"] == first["number"]


async def test_a_blocked_card_is_replaced_by_a_new_active_one_for_the_same_holder(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    registry, holder_id = await _holder(client, session)
    card = (await client.post(f"/v1/passholders/{holder_id}/cards", headers=registry)).json()
    blocked = await client.post(
        f"/v1/cards/{card['number']}/block", headers=registry, json={"reason": "lost"}
    )
    assert blocked.json()["status"] == "blocked"
    assert blocked.json()["block_reason"] == "lost"
    assert_problem(
        await client.post(
            f"/v1/cards/{card['number']}/block", headers=registry, json={"reason": "stolen"}
        ),
        409,
        "card-not-active",
    )

    replaced = await client.post(f"/v1/cards/{card['number']}/replace", headers=registry)
    assert replaced.status_code == 201
    new = replaced.json()
    assert new["status"] == "active"
    assert new["passholder_id"] == holder_id
    assert new["number"] != card["number"]
    cards = (await client.get(f"/v1/passholders/{holder_id}/cards", headers=registry)).json()
    by_number = {c["number"]: c for c in cards["items"]}
    assert by_number[card["number"]]["status"] == "replaced"
    assert by_number[card["number"]]["replaced_by"] == new["number"]
    assert_problem(
        await client.post(f"/v1/cards/{card['number']}/replace", headers=registry),
        409,
        "card-replaced",
    )


async def test_an_active_card_can_be_replaced_directly(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    registry, holder_id = await _holder(client, session)
    card = (await client.post(f"/v1/passholders/{holder_id}/cards", headers=registry)).json()
    new = (await client.post(f"/v1/cards/{card['number']}/replace", headers=registry)).json()
    statuses = {
        c["number"]: c["status"]
        for c in (await client.get(f"/v1/passholders/{holder_id}/cards", headers=registry)).json()[
            "items"
        ]
    }
    assert statuses == {card["number"]: "replaced", new["number"]: "active"}


async def test_a_malformed_card_number_is_422_and_an_unknown_one_404(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    registry, _ = await _holder(client, session)
    wrong_check = "1234567890123"
    assert not luhn.is_valid(wrong_check)
    problem = assert_problem(
        await client.post(
            f"/v1/cards/{wrong_check}/block", headers=registry, json={"reason": "lost"}
        ),
        422,
        "invalid-card-number",
    )
    assert problem["end_user_message"]
    short = await client.post("/v1/cards/12345/block", headers=registry, json={"reason": "lost"})
    assert_problem(short, 422, "invalid-card-number")
    unknown = "123456789012" + luhn.calc_check_digit("123456789012")
    assert_problem(
        await client.post(f"/v1/cards/{unknown}/block", headers=registry, json={"reason": "lost"}),
        404,
        "card-not-found",
    )
    bad_reason = await client.post(
        f"/v1/cards/{unknown}/block", headers=registry, json={"reason": "forgot"}
    )
    assert_problem(bad_reason, 422, "validation-failed")


async def test_a_blocked_card_is_not_replaced_when_a_new_card_was_issued_meanwhile(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    registry, holder_id = await _holder(client, session)
    lost = (await client.post(f"/v1/passholders/{holder_id}/cards", headers=registry)).json()
    await client.post(
        f"/v1/cards/{lost['number']}/block", headers=registry, json={"reason": "lost"}
    )
    issued = (await client.post(f"/v1/passholders/{holder_id}/cards", headers=registry)).json()
    problem = assert_problem(
        await client.post(f"/v1/cards/{lost['number']}/replace", headers=registry),
        409,
        "card-already-active",
    )
    assert problem["card_number"] == issued["number"]
    cards = (await client.get(f"/v1/passholders/{holder_id}/cards", headers=registry)).json()
    assert {c["number"]: c["status"] for c in cards["items"]} == {
        lost["number"]: "blocked",
        issued["number"]: "active",
    }


async def test_listing_a_holders_cards_is_audited(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    registry, holder_id = await _holder(client, session)
    await client.post(f"/v1/passholders/{holder_id}/cards", headers=registry)
    count = (
        sa.select(sa.func.count())
        .select_from(audit_log)
        .where(
            audit_log.c.passholder_id == uuid.UUID(holder_id),
            audit_log.c.action == "cards.read",
        )
    )
    assert (await session.execute(count)).scalar_one() == 0
    await client.get(f"/v1/passholders/{holder_id}/cards", headers=registry)
    assert (await session.execute(count)).scalar_one() == 1
