"""The webhook worker: procrastinate's jobs, one per subscription that has something due.

A job's `lock` is its subscription (`webhook:<id>`): procrastinate runs at most one job of
a lock at a time, in the order they were queued, however many workers run — so a
subscription is sent to by one worker at a time, in cursor order. Jobs are queued in SQL
(`openpas_webhook_wake`, by the trigger on the change feed and by the API), in the
transaction of the change; a writer that finds a job already waiting counts on it, and
a job that finds nothing due while such a writer still runs looks again once it has
committed (`openpas_webhook_writers`), so no delivery waits for the next event. A worker
that dies mid-delivery leaves its job `doing`; once its heartbeat is older than
`webhook_stalled_after_seconds`, any worker puts the job back and the delivery, still
pending, is sent again: at least once.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import httpx
import procrastinate
import structlog
from sqlalchemy.engine import make_url

from app.db import webhooks as webhook_db
from app.db.engine import create_engine, create_sessionmaker
from app.observability import webhook_oldest_pending, webhook_pending
from app.services import webhooks as service
from app.settings import Settings

log = structlog.get_logger("openpas.worker")

QUEUE = "webhooks"
TASK = "openpas_deliver"


def psycopg_url(database_url: str) -> str:
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


def make_app(settings: Settings) -> procrastinate.App:
    connector = procrastinate.PsycopgConnector(
        conninfo=psycopg_url(settings.database_url),
        # procrastinate's tables live in their own schema (see the webhooks migration).
        kwargs={"options": "-c search_path=procrastinate,public"},
        min_size=1,
        max_size=4,
    )
    app = procrastinate.App(connector=connector)
    # A job fails only when the database does (a refused or failed delivery is recorded and
    # rescheduled by the job itself): it is tried again every few seconds until it works.
    retry = procrastinate.RetryStrategy(wait=5)
    app.task(name=TASK, queue=QUEUE, pass_context=False, retry=retry)(_deliver)
    return app


_sender: service.Sender | None = None


async def _deliver(subscription_id: str) -> None:
    assert _sender is not None, "the task runs inside run_worker"
    await service.send_due(_sender, subscription_id)


async def _recover_stalled(app: procrastinate.App, settings: Settings) -> None:
    """Put back the jobs of workers that stopped sending heartbeats; keep the queue gauges
    current."""
    every = max(1.0, settings.webhook_stalled_after_seconds / 3)
    while True:
        await asyncio.sleep(every)
        try:
            if _sender is not None:
                async with _sender.sessionmaker() as session:
                    pending, oldest = await webhook_db.pending_counts(session)
                webhook_pending.set(pending)
                webhook_oldest_pending.set(oldest)
            stalled = await app.job_manager.get_stalled_jobs(
                queue=QUEUE, seconds_since_heartbeat=settings.webhook_stalled_after_seconds
            )
            for job in stalled:
                log.warning("webhook.job_stalled", job_id=job.id, lock=job.lock)
                await app.job_manager.retry_job(job)
        except Exception as error:  # the loop must outlive a database hiccup
            log.warning("webhook.recovery_failed", error=type(error).__name__)


async def run_worker(settings: Settings) -> None:
    """Run until cancelled (or SIGTERM/SIGINT when run as `openpas worker`)."""
    global _sender
    engine = create_engine(settings.database_url)
    timeout = httpx.Timeout(settings.webhook_timeout_seconds)
    app = make_app(settings)
    async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as client:
        _sender = service.Sender(create_sessionmaker(engine), settings, client)
        try:
            async with app.open_async():
                recovery = asyncio.create_task(_recover_stalled(app, settings))
                try:
                    options: dict[str, Any] = {
                        "queues": [QUEUE],
                        "concurrency": settings.webhook_worker_concurrency,
                        "update_heartbeat_interval": max(
                            0.5, settings.webhook_stalled_after_seconds / 3
                        ),
                        "stalled_worker_timeout": settings.webhook_stalled_after_seconds,
                        "delete_jobs": "successful",
                    }
                    await app.run_worker_async(**options)
                finally:
                    recovery.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await recovery
        finally:
            _sender = None
            await engine.dispose()
