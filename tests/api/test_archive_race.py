"""A sale that races the archive of its offer never completes after the archive committed.

Here on a database of its own, with committed data and real transactions: the archive's
transaction holds the offer row while a sale is written; the sale's statement waits for it
and, once the archive commits, refuses with `offer-archived` instead of selling.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
import sqlalchemy as sa

from app.db import migrations
from app.db.tables import offers, sales
from app.domain.access import Role
from app.main import create_app
from tests.api.test_auth import assert_problem
from tests.conftest import make_settings
from tests.factories import (
    a_partner,
    a_region,
    bearer_for,
    catalog_scheme,
    grant_statuses,
    passholder_body,
    with_schemes,
)
from tests.support.postgres import create_database, drop_database


@pytest.fixture
async def fresh_url(postgres_admin_url: str) -> AsyncIterator[str]:
    url = create_database(postgres_admin_url, prefix="openpas_archive_race")
    try:
        await asyncio.to_thread(migrations.upgrade, url)
        yield url
    finally:
        drop_database(postgres_admin_url, url)


async def test_a_sale_waits_for_a_concurrent_archive_and_is_then_refused(fresh_url: str) -> None:
    app = create_app(make_settings(fresh_url))
    engine = app.state.engine
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            async with app.state.sessionmaker() as session:
                region = await a_region(session)
                partner_id = await a_partner(session, region)
                desk = await bearer_for(session, Role.DESK, partner_id=partner_id)
                partner_admin = await bearer_for(session, Role.PARTNER_ADMIN, partner_id=partner_id)
                registry = await bearer_for(session, Role.REGISTRY, region_id=region.id)
                await with_schemes(session, catalog_scheme("KORTRIJK_KANSENTARIEF", region.code))
                await session.commit()
            offer = await client.post(
                f"/v1/partners/{partner_id}/offers",
                headers=partner_admin,
                json={
                    "title": "Seizoensabonnement",
                    "category": "podium",
                    "kind": "permanent",
                    "price_classes": [
                        {"code": "standard", "label": "Standaard", "price_cents": 11_900}
                    ],
                },
            )
            assert offer.status_code == 201, offer.text
            offer_id = offer.json()["id"]
            holder = await client.post(
                "/v1/passholders", headers=registry, json=passholder_body(region)
            )
            assert holder.status_code == 201, holder.text
            card = await client.post(
                f"/v1/passholders/{holder.json()['id']}/cards", headers=registry
            )
            await grant_statuses(
                client, registry, holder.json()["id"], region.id, ("kansenstatuut",)
            )
            item = {
                "card_number": card.json()["number"],
                "offer_id": offer_id,
                "price_class": "standard",
            }
            quoted = await client.post("/v1/quotes", headers=desk, json=item)
            assert quoted.status_code == 200, quoted.text
            item["tariff_id"] = quoted.json()["best_tariff_id"]

            async with engine.connect() as archiving:
                await archiving.execute(
                    sa.update(offers)
                    .where(offers.c.id == uuid.UUID(offer_id))
                    .values(archived_at=sa.func.now())
                )
                selling = asyncio.create_task(
                    client.post(
                        "/v1/sales",
                        headers={**desk, "Idempotency-Key": "racing-the-archive"},
                        json={"items": [item]},
                    )
                )
                await asyncio.sleep(0.8)
                assert not selling.done(), "the sale waits for the archive's transaction"
                await archiving.commit()
            assert_problem(await selling, 409, "offer-archived")
            async with engine.connect() as reading:
                count = await reading.scalar(sa.select(sa.func.count()).select_from(sales))
            assert count == 0
    finally:
        await engine.dispose()
