"""webhooks: subscriptions, their deliveries, and the job queue that sends them

`webhook_subscriptions` holds who subscribed (the grant: role, region, partner), the URL,
the event types and the signing secret; `webhook_deliveries` one row per event and
subscription, with its state. A trigger on `change_events` inserts the deliveries of every
matching subscription in the transaction that writes the event (the one-round-trip sale
included, which writes its event in SQL), and wakes the subscription's job: a rolled-back
change sends nothing, a committed one is never forgotten.

The job queue is procrastinate's, installed from the package's own `schema.sql` into the
schema `procrastinate` (so its tables stay out of ours, and the downgrade drops the schema).
Its functions get a fixed search_path: its triggers fire from our transactions too. A later
procrastinate release that changes its schema ships migration files; they become a new
revision here.

Revision ID: 60acb96190b8
Revises: e3a9c71f05d2
Create Date: 2026-12-04 20:30:00
"""

from collections.abc import Sequence
from importlib import resources

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql
from sqlalchemy.util import await_only

revision: str = "60acb96190b8"
down_revision: str | None = "e3a9c71f05d2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _execute_script(sql: str) -> None:
    # The schema file holds many statements; asyncpg runs a script without parameters in
    # one simple query, in the migration's transaction.
    raw = op.get_bind().connection.dbapi_connection
    assert raw is not None
    await_only(raw.driver_connection.execute(sql))


_PIN_SEARCH_PATH = """
DO $$
DECLARE f regprocedure;
BEGIN
    FOR f IN SELECT p.oid::regprocedure FROM pg_proc p
             JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'procrastinate'
    LOOP
        EXECUTE format('ALTER FUNCTION %s SET search_path = procrastinate, pg_catalog', f);
    END LOOP;
END $$;
"""

# Wakes the job of a subscription: a job per subscription (its `lock`) runs at a time, and
# sends that subscription's pending deliveries in cursor order. Without `reschedule` (the
# trigger, on the hot path) it only adds a job when none is waiting: it takes no lock, so
# concurrent sales never wait for each other here; a duplicate job (two writers at once) is
# harmless: it finds nothing due. A job already waiting, even for later, is enough: it holds
# back every later job of its lock anyway. With `reschedule` (a retry, a ping, a re-enable) a job waiting for later is
# brought forward, since a waiting job holds back the later ones of its lock.
_WAKE = """
CREATE FUNCTION openpas_webhook_wake(subscription uuid, at timestamptz, reschedule boolean)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    job_lock text := 'webhook:' || subscription::text;
BEGIN
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

# Every change event, for every subscription of its region that asked for its type (and, for
# a partner's subscription, only the events of that partner): a delivery, and a wake-up.
# A disabled subscription still gets its deliveries, so that re-enabled it misses nothing;
# it is not woken.
_ENQUEUE = """
CREATE FUNCTION openpas_webhook_enqueue() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    woken RECORD;
BEGIN
    FOR woken IN
        INSERT INTO webhook_deliveries (
            id, subscription_id, event_seq, txid, type, entity_id, data, occurred_at,
            status, attempts, next_attempt_at, created_at)
        SELECT gen_random_uuid(), s.id, NEW.seq, NEW.txid, NEW.kind, NEW.entity_id, NEW.data,
               NEW.occurred_at, 'pending', 0, NEW.occurred_at, now()
          FROM webhook_subscriptions s
         WHERE s.region_id = NEW.region_id
           AND NEW.kind = ANY (s.events)
           AND (s.partner_id IS NULL OR s.partner_id::text = NEW.data->>'partner_id')
        RETURNING subscription_id
    LOOP
        IF EXISTS (SELECT 1 FROM webhook_subscriptions
                    WHERE id = woken.subscription_id AND disabled_at IS NULL) THEN
            PERFORM openpas_webhook_wake(woken.subscription_id, now(), false);
        END IF;
    END LOOP;
    RETURN NULL;
END $$;
"""


def upgrade() -> None:
    op.create_table(
        "webhook_subscriptions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("region_id", sa.Uuid(), nullable=False),
        sa.Column("partner_id", sa.Uuid(), nullable=True),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("events", postgresql.ARRAY(sa.String(length=40)), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=True),
        sa.Column("secret", sa.String(length=100), nullable=False),
        sa.Column("previous_secret", sa.String(length=100), nullable=True),
        sa.Column("previous_secret_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("disabled_reason", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["region_id"], ["regions.id"], name=op.f("fk_webhook_subscriptions_region_id_regions")
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partners.id"],
            name=op.f("fk_webhook_subscriptions_partner_id_partners"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_subscriptions")),
    )
    op.create_index(
        "ix_webhook_subscriptions_region_id", "webhook_subscriptions", ["region_id"], unique=False
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("subscription_id", sa.Uuid(), nullable=False),
        sa.Column("event_seq", sa.BigInteger(), nullable=True),
        sa.Column("txid", sa.BigInteger(), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("entity_id", sa.String(length=64), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_response_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_failed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["webhook_subscriptions.id"],
            name=op.f("fk_webhook_deliveries_subscription_id_webhook_subscriptions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_deliveries")),
    )
    op.create_index(
        "ix_webhook_deliveries_subscription_id_txid_event_seq",
        "webhook_deliveries",
        ["subscription_id", "txid", "event_seq"],
        unique=False,
    )
    op.create_index(
        "ix_webhook_deliveries_pending",
        "webhook_deliveries",
        ["subscription_id", "txid", "event_seq"],
        unique=False,
        postgresql_where=sa.text("status = 'pending'"),
    )

    op.execute("CREATE SCHEMA procrastinate")
    op.execute("SELECT set_config('openpas.search_path', current_setting('search_path'), true)")
    op.execute("SET LOCAL search_path TO procrastinate")
    _execute_script(resources.files("procrastinate.sql").joinpath("schema.sql").read_text())
    op.execute("SELECT set_config('search_path', current_setting('openpas.search_path'), true)")
    op.execute(_PIN_SEARCH_PATH)
    op.execute(_WAKE)
    op.execute(_ENQUEUE)
    op.execute(
        "CREATE TRIGGER change_events_webhooks AFTER INSERT ON change_events"
        " FOR EACH ROW EXECUTE FUNCTION openpas_webhook_enqueue()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER change_events_webhooks ON change_events")
    op.execute("DROP FUNCTION openpas_webhook_enqueue()")
    op.execute("DROP FUNCTION openpas_webhook_wake(uuid, timestamptz, boolean)")
    op.execute("DROP SCHEMA procrastinate CASCADE")
    op.drop_index("ix_webhook_deliveries_pending", table_name="webhook_deliveries")
    op.drop_index(
        "ix_webhook_deliveries_subscription_id_txid_event_seq", table_name="webhook_deliveries"
    )
    op.drop_table("webhook_deliveries")
    op.drop_index("ix_webhook_subscriptions_region_id", table_name="webhook_subscriptions")
    op.drop_table("webhook_subscriptions")
