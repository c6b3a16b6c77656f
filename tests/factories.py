"""Typed factories for test data, written through the services like production data."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import clients as db_clients
from app.db.regions import MunicipalityRow, RegionRow
from app.domain.access import Grant, Role
from app.domain.schemes import SchemeDefinition, parse_scheme
from app.services.partners import create_partner
from app.services.regions import create_region
from app.services.tokens import issue_token
from tests.conftest import TEST_TOKEN_KEY

_nis_counter = iter(range(10_000, 99_999))


def next_nis() -> str:
    return f"{next(_nis_counter):05d}"


async def a_region(
    session: AsyncSession,
    *,
    code: str | None = None,
    municipalities: tuple[MunicipalityRow, ...] | None = None,
    grace_days: int = 0,
) -> RegionRow:
    code = code or f"R_{uuid.uuid4().hex[:8].upper()}"
    municipalities = municipalities or (MunicipalityRow(next_nis(), f"Gemeente {code}", ("8500",)),)
    return await create_region(
        session,
        code=code,
        name=f"Regio {code}",
        status_grace_days=grace_days,
        default_status_end="04-30",
        municipality_rows=municipalities,
    )


async def a_partner(
    session: AsyncSession, region: RegionRow, *, name: str = "Cultuurcentrum"
) -> str:
    row = await create_partner(
        session,
        name=name,
        region_id=uuid.UUID(region.id),
        municipality_nis=region.municipalities[0].nis_code,
        categories=["podium"],
    )
    return row.id


async def bearer_for(
    session: AsyncSession,
    role: Role,
    *,
    region_id: str | None = None,
    partner_id: str | None = None,
    organisation_id: str | None = None,
) -> dict[str, str]:
    """Authorization headers of a fresh client with one grant (no Argon2 round trip)."""
    client_id = f"test-{uuid.uuid4().hex[:12]}"
    now = datetime.now(UTC)
    await db_clients.insert_client(
        session,
        client_id=client_id,
        name=f"test {role}",
        secret_hash="not-used",
        grants=(
            Grant(
                role=role,
                region_id=region_id,
                partner_id=partner_id,
                organisation_id=organisation_id,
            ),
        ),
        now=now,
    )
    await session.commit()
    token = issue_token(client_id, key=TEST_TOKEN_KEY, ttl_seconds=600, now=now)
    return {"Authorization": f"Bearer {token}"}


def an_insz(birth_date: date, counter: int = 1) -> str:
    """A valid INSZ for this birth date (the modulo-97 rule, with a 2 prefix from 2000)."""
    body = f"{birth_date:%y%m%d}{counter:03d}"
    base = int(("2" if birth_date.year >= 2000 else "") + body)
    return f"{body}{97 - base % 97:02d}"


def passholder_body(
    region: RegionRow,
    *,
    first_name: str = "Sofie",
    last_name: str = "Desmet",
    birth_date: date = date(1985, 7, 30),
    insz: str | None = None,
) -> dict[str, object]:
    body: dict[str, object] = {
        "first_name": first_name,
        "last_name": last_name,
        "birth_date": birth_date.isoformat(),
        "postal_code": region.municipalities[0].postal_codes[0],
        "municipality_nis": region.municipalities[0].nis_code,
    }
    if insz is not None:
        body["insz"] = insz
    return body


def catalog_scheme(code: str, owner_region: str | None, **changes: object) -> SchemeDefinition:
    """A scheme of the shipped catalogue, moved to `owner_region` (a region code)."""
    from app.services.catalog_files import load_scheme_files
    from app.services.demo import CATALOG_DIR

    [found] = [s for s in load_scheme_files([CATALOG_DIR]) if s.code == code]
    data = found.to_dict() | {"owner_region": owner_region} | dict(changes)
    return parse_scheme(data)


async def with_schemes(session: AsyncSession, *definitions: SchemeDefinition) -> None:
    from app.domain.access import Principal
    from app.services.schemes import import_definitions

    await import_definitions(session, Principal("test-schemes", (Grant(Role.ADMIN),)), definitions)


@dataclass
class DeskWorld:
    """A region with a partner, an offer, a desk, a registry and one passholder with a card."""

    region: RegionRow
    partner_id: str
    offer_id: str
    desk: dict[str, str]
    registry: dict[str, str]
    passholder_id: str
    card_number: str


async def a_desk_world(
    session: AsyncSession,
    client: httpx.AsyncClient,
    *,
    price_cents: int = 11_900,
    birth_date: date = date(1985, 7, 30),
    statuses: tuple[str, ...] = ("kansenstatuut",),
    starts_at: datetime | None = None,
    kind: str = "permanent",
) -> DeskWorld:
    region = await a_region(session, grace_days=0)
    partner_id = await a_partner(session, region)
    desk = await bearer_for(session, Role.DESK, partner_id=partner_id)
    partner_admin = await bearer_for(session, Role.PARTNER_ADMIN, partner_id=partner_id)
    registry = await bearer_for(session, Role.REGISTRY, region_id=region.id)
    offer = await client.post(
        f"/v1/partners/{partner_id}/offers",
        headers=partner_admin,
        json={
            "title": "Seizoensabonnement",
            "category": "podium",
            "kind": kind,
            "starts_at": starts_at.isoformat() if starts_at else None,
            "price_classes": [
                {"code": "standard", "label": "Standaard", "price_cents": price_cents},
                {"code": "reduced", "label": "Reductie", "price_cents": price_cents // 2},
            ],
        },
    )
    assert offer.status_code == 201, offer.text
    holder = (
        await client.post(
            "/v1/passholders",
            headers=registry,
            json=passholder_body(region, birth_date=birth_date),
        )
    ).json()
    card = (await client.post(f"/v1/passholders/{holder['id']}/cards", headers=registry)).json()
    await grant_statuses(client, registry, holder["id"], region.id, statuses)
    return DeskWorld(
        region=region,
        partner_id=partner_id,
        offer_id=offer.json()["id"],
        desk=desk,
        registry=registry,
        passholder_id=holder["id"],
        card_number=card["number"],
    )


@dataclass
class Registered:
    """A region, a registry client of it, and one passholder it registered."""

    region: RegionRow
    registry: dict[str, str]
    passholder_id: str


async def a_registered_holder(
    session: AsyncSession, client: httpx.AsyncClient, *, grace_days: int = 0, **body: object
) -> Registered:
    region = await a_region(session, grace_days=grace_days)
    registry = await bearer_for(session, Role.REGISTRY, region_id=region.id)
    response = await client.post(
        "/v1/passholders", headers=registry, json={**passholder_body(region), **body}
    )
    assert response.status_code == 201, response.text
    return Registered(region, registry, response.json()["id"])


async def grant_statuses(
    client: httpx.AsyncClient,
    registry: dict[str, str],
    holder_id: str,
    region_id: str,
    statuses: Sequence[str],
) -> None:
    """Grant each status through the API, valid from 2020 until far ahead."""
    for status in statuses:
        granted = await client.post(
            f"/v1/passholders/{holder_id}/entitlements",
            headers=registry,
            json={
                "type": status,
                "region_id": region_id,
                "valid_from": "2020-01-01",
                "valid_until": "2099-12-31",
            },
        )
        assert granted.status_code == 201, granted.text


async def lapse(session: AsyncSession, sale_id: str) -> None:
    """Time passes: the hold's moment lies in the past (for the sale and its usage rows)."""
    from app.db.tables import sale_items, sale_usage, sales

    past = datetime.now(UTC) - timedelta(seconds=1)
    sale_key = uuid.UUID(sale_id)
    await session.execute(
        sa.update(sales).where(sales.c.id == sale_key).values(hold_expires_at=past)
    )
    await session.execute(
        sa.update(sale_usage)
        .where(
            sale_usage.c.sale_item_id.in_(
                sa.select(sale_items.c.id).where(sale_items.c.sale_id == sale_key)
            )
        )
        .values(held_until=past)
    )


def desk_clock(monkeypatch: pytest.MonkeyPatch, now: Callable[[], datetime]) -> None:
    """The desk's quotes and sales see the time `now()` gives (an aware datetime); tokens,
    audit and everything else keep the real time."""
    from app.services import quotes, sales

    monkeypatch.setattr(quotes, "utcnow", now)
    monkeypatch.setattr(sales, "utcnow", now)
