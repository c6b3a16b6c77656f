"""nothing grows forever: the audit log partitioned by month; idempotency keys by age

The audit log becomes a table partitioned by calendar month (UTC) on `at`, so purging rows
past their retention drops whole partitions instead of deleting row by row. Its partitions
live in the schema `audit_partitions` (the application only names `audit_log`): one per
month, `audit_log_YYYY_MM`, and a default one for a row whose month has no partition yet.
`openpas_audit_partition(moment)` makes the partition of a moment's month and moves into it
the rows the default partition holds for that month; `openpas maintenance` calls it for the
months ahead. The upgrade makes the months from the oldest row to two months ahead and
copies every row, ids kept (the key becomes (id, at), as a partitioned table's key must
hold its partition column). The downgrade copies the rows back into one plain table.

Idempotency keys get an index on created_at, for the job that forgets them.

Revision ID: c5e8f2a71d04
Revises: b7d41e9a2c35
Create Date: 2026-12-03 18:05:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "c5e8f2a71d04"
down_revision: str | None = "b7d41e9a2c35"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PARTITION_FUNCTION = """
CREATE FUNCTION openpas_audit_partition(moment timestamptz) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    month_start timestamp := date_trunc('month', moment AT TIME ZONE 'UTC');
    lower_bound timestamptz := month_start AT TIME ZONE 'UTC';
    upper_bound timestamptz := (month_start + interval '1 month') AT TIME ZONE 'UTC';
    partition_name text := 'audit_log_' || to_char(month_start, 'YYYY_MM');
    strays boolean;
BEGIN
    IF to_regclass('audit_partitions.' || partition_name) IS NOT NULL THEN
        RETURN partition_name;
    END IF;
    SELECT EXISTS (
        SELECT 1 FROM audit_partitions.audit_log_default
        WHERE at >= lower_bound AND at < upper_bound
    ) INTO strays;
    IF strays THEN
        -- The month's rows went to the default partition; PostgreSQL refuses a partition
        -- whose rows the default holds, so those move into the new one.
        ALTER TABLE audit_log DETACH PARTITION audit_partitions.audit_log_default;
    END IF;
    EXECUTE format(
        'CREATE TABLE audit_partitions.%I PARTITION OF audit_log FOR VALUES FROM (%L) TO (%L)',
        partition_name, lower_bound, upper_bound
    );
    IF strays THEN
        WITH moved AS (
            DELETE FROM audit_partitions.audit_log_default
            WHERE at >= lower_bound AND at < upper_bound
            RETURNING id, at, client_id, action, passholder_id, region_id
        )
        INSERT INTO audit_log (id, at, client_id, action, passholder_id, region_id)
        SELECT id, at, client_id, action, passholder_id, region_id FROM moved;
        ALTER TABLE audit_log ATTACH PARTITION audit_partitions.audit_log_default DEFAULT;
    END IF;
    RETURN partition_name;
END
$$
"""


def upgrade() -> None:
    op.execute("ALTER TABLE audit_log RENAME TO audit_log_unpartitioned")
    op.execute("ALTER TABLE audit_log_unpartitioned RENAME CONSTRAINT pk_audit_log TO pk_audit_log_old")
    op.execute("ALTER INDEX ix_audit_log_passholder_id_at RENAME TO ix_audit_log_old_passholder")
    op.execute("ALTER INDEX ix_audit_log_region_id_at RENAME TO ix_audit_log_old_region")
    op.execute("CREATE SCHEMA audit_partitions")
    op.execute(
        """
        CREATE TABLE audit_log (
            id bigint NOT NULL DEFAULT nextval('audit_log_id_seq'::regclass),
            at timestamp with time zone NOT NULL,
            client_id varchar(64) NOT NULL,
            action varchar(40) NOT NULL,
            passholder_id uuid NOT NULL,
            region_id uuid NOT NULL,
            CONSTRAINT pk_audit_log PRIMARY KEY (id, at)
        ) PARTITION BY RANGE (at)
        """
    )
    op.execute("CREATE INDEX ix_audit_log_passholder_id_at ON audit_log (passholder_id, at)")
    op.execute("CREATE INDEX ix_audit_log_region_id_at ON audit_log (region_id, at)")
    op.execute("CREATE TABLE audit_partitions.audit_log_default PARTITION OF audit_log DEFAULT")
    op.execute(PARTITION_FUNCTION)
    op.execute(
        """
        SELECT openpas_audit_partition(month)
        FROM generate_series(
            (SELECT date_trunc('month', coalesce(min(at), now())) FROM audit_log_unpartitioned),
            now() + interval '2 months',
            interval '1 month'
        ) AS month
        """
    )
    op.execute(
        "INSERT INTO audit_log (id, at, client_id, action, passholder_id, region_id) "
        "SELECT id, at, client_id, action, passholder_id, region_id FROM audit_log_unpartitioned"
    )
    op.execute("ALTER SEQUENCE audit_log_id_seq OWNED BY audit_log.id")
    op.execute("DROP TABLE audit_log_unpartitioned")
    op.create_index("ix_idempotency_keys_created_at", "idempotency_keys", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_idempotency_keys_created_at", table_name="idempotency_keys")
    op.execute(
        """
        CREATE TABLE audit_log_plain (
            id bigint NOT NULL DEFAULT nextval('audit_log_id_seq'::regclass),
            at timestamp with time zone NOT NULL,
            client_id varchar(64) NOT NULL,
            action varchar(40) NOT NULL,
            passholder_id uuid NOT NULL,
            region_id uuid NOT NULL
        )
        """
    )
    op.execute(
        "INSERT INTO audit_log_plain (id, at, client_id, action, passholder_id, region_id) "
        "SELECT id, at, client_id, action, passholder_id, region_id FROM audit_log"
    )
    op.execute("ALTER SEQUENCE audit_log_id_seq OWNED BY audit_log_plain.id")
    op.execute("DROP TABLE audit_log")
    op.execute("DROP FUNCTION openpas_audit_partition(timestamptz)")
    op.execute("DROP SCHEMA audit_partitions")
    op.execute("ALTER TABLE audit_log_plain RENAME TO audit_log")
    op.execute("ALTER TABLE audit_log ADD CONSTRAINT pk_audit_log PRIMARY KEY (id)")
    op.execute("CREATE INDEX ix_audit_log_passholder_id_at ON audit_log (passholder_id, at)")
    op.execute("CREATE INDEX ix_audit_log_region_id_at ON audit_log (region_id, at)")
