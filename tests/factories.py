"""Typed factories for test data, written through the services like production data."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.db import clients as db_clients
from app.db.regions import MunicipalityRow, RegionRow
from app.domain.access import Grant, Role
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
) -> dict[str, str]:
    """Authorization headers of a fresh client with one grant (no Argon2 round trip)."""
    client_id = f"test-{uuid.uuid4().hex[:12]}"
    now = datetime.now(UTC)
    await db_clients.insert_client(
        session,
        client_id=client_id,
        name=f"test {role}",
        secret_hash="not-used",
        grants=(Grant(role=role, region_id=region_id, partner_id=partner_id),),
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
