"""API clients and their grants."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
import sqlalchemy as sa
import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import driver
from app.db.tables import api_clients, client_grants
from app.domain.access import Grant, Role

log = structlog.get_logger("openpas.clients")


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
                "organisation_id": (
                    uuid.UUID(grant.organisation_id) if grant.organisation_id else None
                ),
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
    """Read on its own (app.db.driver), not in a transaction: the secret check that follows
    may wait its turn for a while (app.services.secrets), and must not hold a pooled
    connection — or an open transaction — while it waits."""
    rows = await driver.fetch(
        session,
        "SELECT secret_hash FROM api_clients WHERE client_id = $1 AND revoked_at IS NULL",
        client_id,
    )
    return rows[0]["secret_hash"] if rows else None


async def update_secret_hash(session: AsyncSession, client_id: str, secret_hash: str) -> None:
    await session.execute(
        sa.update(api_clients)
        .where(api_clients.c.client_id == client_id)
        .values(secret_hash=secret_hash)
    )


# On every authenticated request whose client is not in the cache (app.db.driver).
_ACTIVE_GRANTS = """
SELECT g.role, g.region_id::text, g.partner_id::text, g.organisation_id::text
FROM api_clients c LEFT JOIN client_grants g ON g.client_id = c.client_id
WHERE c.client_id = $1 AND c.revoked_at IS NULL
"""


async def active_grants(
    session: AsyncSession, client_id: str, cache: GrantsCache | None = None
) -> tuple[Grant, ...] | None:
    """The grants of a client that is not revoked, in one query; None when it is.

    With the process's GrantsCache (a server's; the CLI has none), a client seen before is
    answered from memory for as long as the database has sent no notice that it changed.
    """
    generation = None
    if cache is not None:
        known, generation = await cache.lookup(client_id)
        if known is not None:
            return known
    grants = await _read_active_grants(session, client_id)
    if cache is not None and grants is not None:
        cache.store(client_id, grants, generation)
    return grants


async def _read_active_grants(session: AsyncSession, client_id: str) -> tuple[Grant, ...] | None:
    rows: Sequence[Any] = await driver.fetch(session, _ACTIVE_GRANTS, client_id)
    if not rows:
        return None
    return tuple(
        Grant(
            role=Role(role),
            region_id=region_id,
            partner_id=partner_id,
            organisation_id=organisation_id,
        )
        for role, region_id, partner_id, organisation_id in rows
        if role is not None
    )


# The channel the database's triggers notify with a client's id whenever that client or
# one of its grants changes (migration "client change notices").
CHANNEL = "openpas_clients"
EVERY_CLIENT = "*"


class GrantsCache:
    """The grants of the clients this process has seen, kept while nothing changed.

    Reading a client's grants was the one statement every authenticated request sent, and
    it cost as much CPU as the rest of checking the caller (docs/performance.md). Here a
    connection of its own LISTENs on CHANNEL; a notice forgets that client, and a lost
    connection forgets everything and stops answering from memory until it is back. So a
    revocation takes effect in every process as soon as its notice arrives (under a second
    in tests/concurrency/test_revocation.py), not after some cache lifetime.

    Only grants of active clients are kept (a revoked client is read each time), and a read
    is kept only if no notice came while it ran (`generation`). Entries also expire after
    MAX_AGE_SECONDS: a connection that died without the socket telling (a network
    partition) cannot leave a revoked client in for longer than that — the bound on a
    revocation's delay in that case. While one request (re)connects the listener, the
    others read from the database instead of waiting.
    """

    MAX_AGE_SECONDS = 60.0
    RETRY_SECONDS = 5.0
    CONNECT_TIMEOUT_SECONDS = 2.0
    MAX_CLIENTS = 10_000

    def __init__(self, dsn: str) -> None:
        self._dsn = dsn
        self._grants: dict[str, tuple[tuple[Grant, ...], float]] = {}
        self._generation = 0
        self._listener: asyncpg.Connection | None = None
        self._retry_at = 0.0
        self._opening = asyncio.Lock()
        self._closed = False

    async def lookup(self, client_id: str) -> tuple[tuple[Grant, ...] | None, int | None]:
        """The kept grants, or None and the generation to `store` a fresh read under (None:
        do not keep it, nothing is listening)."""
        if not await self._listening():
            return None, None
        kept = self._grants.get(client_id)
        if kept is not None and time.monotonic() - kept[1] < self.MAX_AGE_SECONDS:
            return kept[0], self._generation
        return None, self._generation

    def store(self, client_id: str, grants: tuple[Grant, ...], generation: int | None) -> None:
        if generation is None or generation != self._generation or not self._is_listening():
            return
        if len(self._grants) >= self.MAX_CLIENTS:
            self._grants.clear()
        self._grants[client_id] = (grants, time.monotonic())

    def _is_listening(self) -> bool:
        return self._listener is not None and not self._listener.is_closed()

    async def _listening(self) -> bool:
        if self._is_listening():
            return True
        if self._closed or time.monotonic() < self._retry_at:
            return False
        if self._opening.locked():
            # Another request is connecting: this one reads from the database meanwhile
            # rather than queue behind it.
            return False
        async with self._opening:
            self._forget_all()
            listener = None
            try:
                listener = await asyncpg.connect(self._dsn, timeout=self.CONNECT_TIMEOUT_SECONDS)
                await listener.add_listener(CHANNEL, self._on_notice)
            except Exception:  # the database is away: read every time, try again later
                if listener is not None:
                    listener.terminate()
                log.warning("grants_cache_not_listening", retry_in_seconds=self.RETRY_SECONDS)
                self._retry_at = time.monotonic() + self.RETRY_SECONDS
                return False
            if self._closed:  # the process shut down while this connected
                listener.terminate()
                return False
            listener.add_termination_listener(self._on_lost)
            self._listener = listener
        return True

    def _on_notice(self, _: object, _pid: int, _channel: str, client_id: str) -> None:
        # "*": a change the trigger cannot name one client for (TRUNCATE).
        if client_id == EVERY_CLIENT:
            self._forget_all()
        else:
            self.forget(client_id)

    def forget(self, client_id: str) -> None:
        self._generation += 1
        self._grants.pop(client_id, None)

    def _on_lost(self, _: object) -> None:
        self._forget_all()

    def _forget_all(self) -> None:
        self._generation += 1
        self._grants.clear()

    async def close(self) -> None:
        self._closed = True
        listener, self._listener = self._listener, None
        self._forget_all()
        if listener is not None and not listener.is_closed():
            await listener.close()


async def revoke(session: AsyncSession, client_id: str, now: datetime) -> bool:
    result = await session.execute(
        sa.update(api_clients)
        .where(api_clients.c.client_id == client_id, api_clients.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class ClientRow:
    client_id: str
    name: str
    created_at: datetime
    revoked_at: datetime | None
    grants: tuple[Grant, ...]


async def get_client(session: AsyncSession, client_id: str) -> ClientRow | None:
    """A client with its grants (revoked or not); never its secret's hash."""
    found = (
        await session.execute(
            sa.select(api_clients.c.name, api_clients.c.created_at, api_clients.c.revoked_at).where(
                api_clients.c.client_id == client_id
            )
        )
    ).first()
    if found is None:
        return None
    rows = (
        await session.execute(
            sa.select(client_grants)
            .where(client_grants.c.client_id == client_id)
            .order_by(client_grants.c.id)
        )
    ).all()
    grants = tuple(
        Grant(
            role=Role(row.role),
            region_id=None if row.region_id is None else str(row.region_id),
            partner_id=None if row.partner_id is None else str(row.partner_id),
            organisation_id=None if row.organisation_id is None else str(row.organisation_id),
        )
        for row in rows
    )
    return ClientRow(client_id, found.name, found.created_at, found.revoked_at, grants)


async def update_client(
    session: AsyncSession, client_id: str, *, name: str | None, grants: tuple[Grant, ...] | None
) -> None:
    """Rename a client or replace its grants; the database's trigger tells every process
    (LISTEN openpas_clients) to forget what it knew of the client's grants."""
    if name is not None:
        await session.execute(
            sa.update(api_clients).where(api_clients.c.client_id == client_id).values(name=name)
        )
    if grants is not None:
        await session.execute(
            sa.delete(client_grants).where(client_grants.c.client_id == client_id)
        )
        await session.execute(
            sa.insert(client_grants),
            [
                {
                    "client_id": client_id,
                    "role": grant.role.value,
                    "region_id": uuid.UUID(grant.region_id) if grant.region_id else None,
                    "partner_id": uuid.UUID(grant.partner_id) if grant.partner_id else None,
                    "organisation_id": (
                        uuid.UUID(grant.organisation_id) if grant.organisation_id else None
                    ),
                }
                for grant in grants
            ],
        )
