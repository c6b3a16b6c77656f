"""The desk's one statement (app.db.pricing.desk_facts), as a quote and as a sale read it.

A quote sends it on its own with its audit row; a sale sends it inside its transaction,
unaudited. Both answer the same facts: the holder, the statuses, the counters and the holds
that have not ended, of which the domain leaves out the lapsed ones; one audit row per quote
of an active card, none for a sale's read.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import pricing
from app.db.tables import audit_log, sale_items, sale_usage, usage_counters
from tests.api.test_desk import kortrijk_world, quote, sell


async def _audit_rows(session: AsyncSession, passholder_id: str) -> int:
    return int(
        (
            await session.execute(
                sa.select(sa.func.count())
                .select_from(audit_log)
                .where(audit_log.c.passholder_id == uuid.UUID(passholder_id))
            )
        ).scalar_one()
    )


async def test_a_quotes_read_and_a_sales_read_agree_and_only_the_quotes_is_audited(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world = await kortrijk_world(
        session, client, statuses=("kansenstatuut", "verhoogde_tegemoetkoming")
    )
    tariff_id = (await quote(client, world)).json()["best_tariff_id"]
    held = (await sell(client, world, tariff_id, hold=True)).json()
    holder = uuid.UUID(world.passholder_id)
    keys = list(
        (
            await session.execute(
                sa.select(usage_counters.c.bucket_key).where(
                    usage_counters.c.passholder_id == holder
                )
            )
        ).scalars()
    )
    assert keys, "the hold claimed usage"
    now = datetime.now(UTC)

    before = await _audit_rows(session, world.passholder_id)
    fast = await pricing.desk_facts(session, world.card_number, [*keys, "X"], now, audited_for="t")
    sale = await pricing.desk_facts(session, world.card_number, [*keys, "X"], now, audited_for=None)
    assert fast is not None
    assert sale is not None
    assert fast == sale
    assert await _audit_rows(session, world.passholder_id) == before + 1
    assert {e.type for e in fast.holder.entitlements} == {
        "kansenstatuut",
        "verhoogde_tegemoetkoming",
    }
    assert fast.holder.card_status == "active"
    assert all(fast.usage_at(now)[key].tickets == 1 for key in keys)
    assert "X" not in fast.counters
    assert not fast.has_lapsed_holds(now)

    # The hold lapses: both subtract it before anyone releases it.
    past = now - timedelta(seconds=1)
    await session.execute(
        sa.update(sale_usage)
        .where(
            sale_usage.c.sale_item_id.in_(
                sa.select(sale_items.c.id).where(sale_items.c.sale_id == uuid.UUID(held["id"]))
            )
        )
        .values(held_until=past)
    )
    before = await _audit_rows(session, world.passholder_id)
    fast = await pricing.desk_facts(session, world.card_number, keys, now, audited_for="t")
    sale = await pricing.desk_facts(session, world.card_number, keys, now, audited_for=None)
    assert fast == sale
    assert fast is not None
    # The counters still hold the hold; the usage that counts leaves it out.
    assert all(fast.counters[key].tickets == 1 for key in keys)
    assert all(fast.usage_at(now)[key].tickets == 0 for key in keys)
    assert fast.has_lapsed_holds(now)
    assert await _audit_rows(session, world.passholder_id) == before + 1


async def test_a_blocked_or_unknown_card_is_answered_alike_and_leaves_no_audit_row(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world = await kortrijk_world(session, client)
    blocked = await client.post(
        f"/v1/cards/{world.card_number}/block", headers=world.registry, json={"reason": "lost"}
    )
    assert blocked.status_code == 200, blocked.text
    before = await _audit_rows(session, world.passholder_id)
    now = datetime.now(UTC)
    fast = await pricing.desk_facts(session, world.card_number, [], now, audited_for="t")
    sale = await pricing.desk_facts(session, world.card_number, [], now, audited_for=None)
    assert fast == sale
    assert fast is not None
    assert fast.holder.card_status == "blocked"
    assert await _audit_rows(session, world.passholder_id) == before

    unknown = "0" * 13
    assert await pricing.desk_facts(session, unknown, [], now, audited_for="t") is None
    assert await pricing.desk_facts(session, unknown, [], now, audited_for=None) is None
