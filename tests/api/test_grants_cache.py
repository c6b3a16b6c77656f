"""A process keeps a client's grants until PostgreSQL says the client changed.

These tests commit (the cache sees only committed rows, through its own connections), so
each uses a client of its own. Changes made "by hand" go through asyncpg directly, the
way an operator's SQL would; switching the notice trigger off for a moment is how a test
tells a kept answer from a fresh read.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from app.db.clients import active_grants
from app.db.engine import unit_of_work
from app.domain.access import Grant, Role
from app.main import create_app
from app.services.clients import create_client, revoke_client
from app.settings import Settings
from tests.support.postgres import admin_execute

Grants = tuple[Grant, ...] | None


@pytest.fixture
async def app_sessions(settings: Settings) -> AsyncIterator[Callable[[str], Awaitable[Grants]]]:
    """`active_grants` through the sessions a server process uses (with its cache)."""
    app = create_app(settings)

    async def grants_of(client_id: str) -> Grants:
        async with app.state.sessionmaker() as session:
            return await active_grants(session, client_id, app.state.grants_cache)

    async with app.router.lifespan_context(app):
        yield grants_of


async def _a_client(settings: Settings) -> str:
    app = create_app(settings)
    async with app.router.lifespan_context(app), unit_of_work(app.state.sessionmaker) as session:
        created = await create_client(
            session,
            name="cache test",
            grants=[Grant(Role.ADMIN)],
            client_id=f"cache-{uuid.uuid4().hex[:10]}",
        )
        return created.client_id


def _delete_grants_unnoticed(client_id: str) -> tuple[str, ...]:
    return (
        "ALTER TABLE client_grants DISABLE TRIGGER tr_client_grants_changed",
        f"DELETE FROM client_grants WHERE client_id = '{client_id}'",
        "ALTER TABLE client_grants ENABLE TRIGGER tr_client_grants_changed",
    )


async def _eventually(check: Callable[[], Awaitable[bool]], seconds: float = 2.0) -> bool:
    for _ in range(int(seconds / 0.02)):
        if await check():
            return True
        await asyncio.sleep(0.02)
    return False


async def test_grants_are_kept_until_the_database_notices_a_change(
    settings: Settings, app_sessions: Callable[[str], Awaitable[Grants]]
) -> None:
    client_id = await _a_client(settings)
    assert await app_sessions(client_id) == (Grant(Role.ADMIN),)

    # Without a notice the process keeps what it read: proof that it does not read again.
    admin_execute(settings.database_url, *_delete_grants_unnoticed(client_id))
    assert await app_sessions(client_id) == (Grant(Role.ADMIN),)

    # A revocation by hand (no API involved) is noticed through the trigger.
    admin_execute(
        settings.database_url,
        f"UPDATE api_clients SET revoked_at = now() WHERE client_id = '{client_id}'",
    )

    async def revoked() -> bool:
        return await app_sessions(client_id) is None

    assert await _eventually(revoked)
    assert await app_sessions(client_id) is None  # and stays so


async def test_a_revocation_through_the_service_is_forgotten_by_its_own_process_at_once(
    settings: Settings, app_sessions: Callable[[str], Awaitable[Grants]]
) -> None:
    client_id = await _a_client(settings)
    assert await app_sessions(client_id) == (Grant(Role.ADMIN),)
    app = create_app(settings)
    triggers = "ALTER TABLE api_clients {} TRIGGER tr_api_clients_changed"
    async with app.router.lifespan_context(app):
        # The same sessionmaker as the reads: one process.
        sessions, cache = app.state.sessionmaker, app.state.grants_cache
        async with sessions() as session:
            assert await active_grants(session, client_id, cache) == (Grant(Role.ADMIN),)
        # Kept: the grants are gone unnoticed, yet this process still answers them.
        admin_execute(settings.database_url, *_delete_grants_unnoticed(client_id))
        async with sessions() as session:
            assert await active_grants(session, client_id, cache) == (Grant(Role.ADMIN),)
        # With the notice switched off, only the service's own forgetting can show it.
        admin_execute(settings.database_url, triggers.format("DISABLE"))
        try:
            async with unit_of_work(sessions) as session:
                await revoke_client(session, client_id, cache)
        finally:
            admin_execute(settings.database_url, triggers.format("ENABLE"))
        async with sessions() as session:
            assert await active_grants(session, client_id, cache) is None


async def test_a_lost_listening_connection_forgets_everything_kept(
    settings: Settings, app_sessions: Callable[[str], Awaitable[Grants]]
) -> None:
    client_id = await _a_client(settings)
    assert await app_sessions(client_id) == (Grant(Role.ADMIN),)
    admin_execute(settings.database_url, *_delete_grants_unnoticed(client_id))
    assert await app_sessions(client_id) == (Grant(Role.ADMIN),)  # kept

    # Notices missed while the connection was away cannot be trusted to have not happened.
    admin_execute(
        settings.database_url,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE query LIKE 'LISTEN%openpas_clients%' AND datname = current_database() "
        "AND pid <> pg_backend_pid()",
    )

    async def read_again() -> bool:
        return await app_sessions(client_id) == ()

    assert await _eventually(read_again)
