"""API clients and their grants."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import driver
from app.db.tables import api_clients, client_grants
from app.domain.access import Grant, Role


async def insert_client(
    session: AsyncSession,
    *,
    client_id: str,
    name: str,
    secret_hash: str,
    grants: tuple[Grant, ...],
    now: datetime,
) -> None:
    await session.execute(
        sa.insert(api_clients).values(
            client_id=client_id, name=name, secret_hash=secret_hash, created_at=now
        )
    )
    await session.execute(
        sa.insert(client_grants),
        [
            {
                "client_id": client_id,
                "role": grant.role.value,
                "region_id": uuid.UUID(grant.region_id) if grant.region_id else None,
                "partner_id": uuid.UUID(grant.partner_id) if grant.partner_id else None,
            }
            for grant in grants
        ],
    )


async def client_exists(session: AsyncSession, client_id: str) -> bool:
    row = await session.execute(
        sa.select(api_clients.c.client_id).where(api_clients.c.client_id == client_id)
    )
    return row.first() is not None


async def secret_hash_of_active(session: AsyncSession, client_id: str) -> str | None:
    result = await session.execute(
        sa.select(api_clients.c.secret_hash).where(
            api_clients.c.client_id == client_id, api_clients.c.revoked_at.is_(None)
        )
    )
    return result.scalar_one_or_none()


async def update_secret_hash(session: AsyncSession, client_id: str, secret_hash: str) -> None:
    await session.execute(
        sa.update(api_clients)
        .where(api_clients.c.client_id == client_id)
        .values(secret_hash=secret_hash)
    )


# The PostgreSQL version of the query below, on every authenticated request (app.db.driver).
_ACTIVE_GRANTS_PG = """
SELECT g.role, g.region_id::text, g.partner_id::text
FROM api_clients c LEFT JOIN client_grants g ON g.client_id = c.client_id
WHERE c.client_id = $1 AND c.revoked_at IS NULL
"""


async def active_grants(session: AsyncSession, client_id: str) -> tuple[Grant, ...] | None:
    """The grants of a client that is not revoked, in one query; None when it is."""
    rows: Sequence[Any] | None = await driver.fetch_standalone(
        session, _ACTIVE_GRANTS_PG, client_id
    )
    if rows is None:
        result = await session.execute(
            sa.select(client_grants.c.role, client_grants.c.region_id, client_grants.c.partner_id)
            .select_from(
                api_clients.outerjoin(
                    client_grants, client_grants.c.client_id == api_clients.c.client_id
                )
            )
            .where(api_clients.c.client_id == client_id, api_clients.c.revoked_at.is_(None))
        )
        rows = [
            (role, str(region_id) if region_id else None, str(partner_id) if partner_id else None)
            for role, region_id, partner_id in result.all()
        ]
    if not rows:
        return None
    return tuple(
        Grant(role=Role(role), region_id=region_id, partner_id=partner_id)
        for role, region_id, partner_id in rows
        if role is not None
    )


async def revoke(session: AsyncSession, client_id: str, now: datetime) -> bool:
    result = await session.execute(
        sa.update(api_clients)
        .where(api_clients.c.client_id == client_id, api_clients.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
