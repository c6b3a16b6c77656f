"""Wake-ups of a subscription's job, at the database: a delivery whose writer counted on a
waiting job is sent, even when that job starts and ends before the writer commits.

The worker's steps are played by hand (the job taken, `send_due`, the job done), so the
interleaving that CI once hit by chance happens here every time.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import changes as change_db
from app.db import migrations
from app.db import webhooks as webhook_db
from app.db.engine import create_engine, create_sessionmaker
from app.domain.access import Grant, Principal, Role
from app.services import webhooks as service
from app.services.demo import demo_id, seed_demo
from tests.conftest import make_settings
from tests.support.postgres import create_database, drop_database, run_in_thread

KORTRIJK = str(demo_id("region", "REGIO_KORTRIJK"))
REGISTRY = Principal("demo-registry", (Grant(Role.REGISTRY, region_id=KORTRIJK),))


@pytest.fixture(scope="module")
def wake_database(postgres_admin_url: str) -> Any:
    url = create_database(postgres_admin_url, prefix="openpas_wake")
    migrations.upgrade(url)

    async def seed() -> None:
        engine = create_engine(url)
        try:
            async with create_sessionmaker(engine)() as session:
                await seed_demo(session, make_settings(url, demo=True))
                await session.commit()
        finally:
            await engine.dispose()

    run_in_thread(seed())
    yield url
    drop_database(postgres_admin_url, url)


@pytest.fixture
async def sessions(wake_database: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(wake_database)
    yield create_sessionmaker(engine)
    await engine.dispose()


class Receiver:
    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.bodies.append(json.loads(request.content))
        return httpx.Response(200, stream=httpx.ByteStream(b"ok"))


async def _subscribe(sessions: async_sessionmaker[AsyncSession], url: str) -> str:
    settings = make_settings(url, demo=True)
    async with sessions() as session:
        created = await service.create_subscription(
            session,
            REGISTRY,
            service.url_check(settings),
            url="http://127.0.0.1:9/hook",
            events=["card.blocked"],
            description=None,
            region_id=KORTRIJK,
            partner_id=None,
        )
        await session.commit()
        return str(created.subscription.id)


async def _block_a_card(session: AsyncSession) -> str:
    entity = str(uuid.uuid4())
    event = change_db.NewEvent(KORTRIJK, "card.blocked", entity, {"card_id": entity})
    await change_db.record(session, [event], datetime.now(UTC))
    return entity


async def _jobs(session: AsyncSession, subscription: str, status: str) -> list[int]:
    rows = await session.scalars(
        sa.text(
            "SELECT id FROM procrastinate.procrastinate_jobs WHERE lock = :lock AND status = :s"
        ),
        {"lock": f"webhook:{subscription}", "s": status},
    )
    return list(rows)


async def _run_job(session_of: async_sessionmaker[AsyncSession], job: int) -> None:
    """What procrastinate does around a job: take it (`doing`)…"""
    async with session_of() as worker, worker.begin():
        await worker.execute(
            sa.text("UPDATE procrastinate.procrastinate_jobs SET status = 'doing' WHERE id = :j"),
            {"j": job},
        )


async def _end_job(
    session_of: async_sessionmaker[AsyncSession], subscription: str, job: int | None = None
) -> None:
    """…and delete it once it succeeded (`delete_jobs="successful"`); all of the
    subscription's jobs when `job` is None."""
    async with session_of() as worker, worker.begin():
        await worker.execute(
            sa.text(
                "DELETE FROM procrastinate.procrastinate_jobs WHERE lock = :lock"
                " AND (CAST(:j AS bigint) IS NULL OR id = :j)"
            ),
            {"lock": f"webhook:{subscription}", "j": job},
        )


async def _send_until(sender: service.Sender, subscription: str, done: Any) -> None:
    # A delivery waits while any older transaction of the cluster runs (the feed's
    # horizon): on a shared server that can take a moment.
    for _ in range(100):
        await service.send_due(sender, subscription)
        if done():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("not delivered")


async def test_a_writer_that_commits_after_the_waiting_job_ran_is_still_sent(
    sessions: async_sessionmaker[AsyncSession], wake_database: str
) -> None:
    subscription = await _subscribe(sessions, wake_database)
    receiver = Receiver()
    settings = make_settings(wake_database, demo=True)
    async with httpx.AsyncClient(transport=httpx.MockTransport(receiver)) as client:
        sender = service.Sender(sessions, settings, client, jitter=lambda: 0.0)
        async with sessions() as first:
            first_card = await _block_a_card(first)
            await first.commit()
        await _send_until(sender, subscription, lambda: len(receiver.bodies) == 1)
        await _end_job(sessions, subscription)

        # A job is waiting (a retry, a ping, a look again): nothing is pending.
        async with sessions() as session, session.begin():
            await webhook_db.wake(session, subscription, datetime.now(UTC), reschedule=False)
        async with sessions() as session:
            [waiting] = await _jobs(session, subscription, "todo")

        async with sessions() as late:
            # The writer sees the job waiting and adds none: it counts on that one.
            late_card = await _block_a_card(late)
            assert await _jobs(late, subscription, "todo") == [waiting]

            # The worker runs that job while the writer has not committed yet: it cannot
            # see the writer's delivery, and finds nothing to send.
            await _run_job(sessions, waiting)
            await service.send_due(sender, subscription)
            async with sessions() as session:
                woken = await _jobs(session, subscription, "todo")
            await _end_job(sessions, subscription, waiting)
            assert len(receiver.bodies) == 1

            await late.commit()

        # The job saw the writer still running and woke the subscription again.
        assert len(woken) == 1
        await _send_until(sender, subscription, lambda: len(receiver.bodies) == 2)
    assert [body["data"]["id"] for body in receiver.bodies] == [first_card, late_card]


async def test_without_a_writer_running_a_job_that_finds_nothing_ends(
    sessions: async_sessionmaker[AsyncSession], wake_database: str
) -> None:
    subscription = await _subscribe(sessions, wake_database)
    receiver = Receiver()
    settings = make_settings(wake_database, demo=True)
    async with httpx.AsyncClient(transport=httpx.MockTransport(receiver)) as client:
        sender = service.Sender(sessions, settings, client, jitter=lambda: 0.0)
        await service.send_due(sender, subscription)
    async with sessions() as session:
        assert await _jobs(session, subscription, "todo") == []
    assert receiver.bodies == []


async def test_writers_never_wait_for_each_other_on_the_subscription_lock(
    sessions: async_sessionmaker[AsyncSession], wake_database: str
) -> None:
    subscription = await _subscribe(sessions, wake_database)
    async with sessions() as one, sessions() as two, sessions() as worker:
        await one.execute(sa.text("SET LOCAL lock_timeout = '1s'"))
        await two.execute(sa.text("SET LOCAL lock_timeout = '1s'"))
        await _block_a_card(one)
        await _block_a_card(two)  # would time out if the first held the lock exclusively
        assert await webhook_db.writers_in_flight(worker, subscription)
        await one.commit()
        assert await webhook_db.writers_in_flight(worker, subscription)
        await two.commit()
        assert not await webhook_db.writers_in_flight(worker, subscription)
