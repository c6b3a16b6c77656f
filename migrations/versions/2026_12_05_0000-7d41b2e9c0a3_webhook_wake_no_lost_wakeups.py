"""webhook wake-ups are never lost to a job that starts before the writer commits

`openpas_webhook_wake` (60acb96190b8) adds no job when one is already waiting: the writer
counts on that job to send its delivery. But the waiting job can start, and finish, before
the writer commits — it cannot see a delivery that is not committed yet — and then nothing
sends that delivery until the subscription's next event. Seen in CI: a second sale in quick
succession was never delivered.

Now every writer takes a shared advisory lock of the subscription, before it looks for a
waiting job, until it commits. Writers never wait for each other (shared) and never for the
worker (which only looks at the lock table, `openpas_webhook_writers`): a job that finds
nothing due while such a writer is still running wakes itself again shortly, instead of
ending. A writer that comes after the job started sees no waiting job and adds its own.

Revision ID: 7d41b2e9c0a3
Revises: 60acb96190b8
Create Date: 2026-12-05 00:00:00
"""

import importlib.util
from collections.abc import Sequence
from pathlib import Path

from alembic import op

revision: str = "7d41b2e9c0a3"
down_revision: str | None = "60acb96190b8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The writers' advisory lock: one per subscription, derived the same way by the writers and
# by the worker's look at the lock table. Not the key the sender claims a subscription with
# (`webhook:<id>`, app/db/webhooks.py): that claim must not fail while a writer runs.
_KEY = """
CREATE FUNCTION openpas_webhook_lock_key(subscription uuid)
RETURNS bigint LANGUAGE sql IMMUTABLE AS $$
    SELECT hashtextextended('webhook-writers:' || subscription::text, 0)
$$;
"""

_WAKE = """
CREATE OR REPLACE FUNCTION openpas_webhook_wake(
    subscription uuid, at timestamptz, reschedule boolean)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    job_lock text := 'webhook:' || subscription::text;
BEGIN
    -- Held until this transaction ends: a job that starts meanwhile sees that a writer may
    -- still add a delivery it cannot see yet, and looks again (openpas_webhook_writers).
    -- Taken before the look for a waiting job, which is what the writer then counts on.
    PERFORM pg_advisory_xact_lock_shared(openpas_webhook_lock_key(subscription));
    IF reschedule THEN
        UPDATE procrastinate.procrastinate_jobs SET scheduled_at = at
         WHERE lock = job_lock AND status = 'todo' AND scheduled_at > at;
    END IF;
    IF NOT EXISTS (
        SELECT 1 FROM procrastinate.procrastinate_jobs WHERE lock = job_lock AND status = 'todo'
    ) THEN
        INSERT INTO procrastinate.procrastinate_jobs (queue_name, task_name, lock, args, scheduled_at)
        VALUES ('webhooks', 'openpas_deliver', job_lock,
                jsonb_build_object('subscription_id', subscription::text), at);
    END IF;
END $$;
"""

# Whether another session holds the subscription's lock: a writer that may still commit a
# delivery. Read from pg_locks, so the worker never waits for a writer, nor a writer for it
# (a bigint key shows as its high half in classid, its low half in objid, objsubid 1).
_WRITERS = """
CREATE FUNCTION openpas_webhook_writers(subscription uuid)
RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT EXISTS (
        SELECT 1
          FROM pg_locks l, (SELECT openpas_webhook_lock_key(subscription) AS k) key
         WHERE l.locktype = 'advisory'
           AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
           AND l.objsubid = 1
           AND l.classid = ((key.k >> 32) & 4294967295)::oid
           AND l.objid = (key.k & 4294967295)::oid
           AND l.granted
           AND l.pid <> pg_backend_pid())
$$;
"""


def _wake_before() -> str:
    """openpas_webhook_wake as 60acb96190b8 made it (`CREATE OR REPLACE`)."""
    [path] = Path(__file__).parent.glob("*-60acb96190b8_*.py")
    spec = importlib.util.spec_from_file_location("60acb96190b8", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    wake: str = module._WAKE
    return wake.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1)


def upgrade() -> None:
    op.execute(_KEY)
    op.execute(_WAKE)
    op.execute(_WRITERS)


def downgrade() -> None:
    op.execute("DROP FUNCTION openpas_webhook_writers(uuid)")
    op.execute(_wake_before())
    op.execute("DROP FUNCTION openpas_webhook_lock_key(uuid)")
