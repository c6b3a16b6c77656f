"""client change notices

Every change to an API client or its grants sends a PostgreSQL notice on the channel
`openpas_clients` (payload: the client id; both ids when an update changes it; "*" for a
TRUNCATE, which names no row), from triggers, so that any change — through the API, the
CLI or by hand — reaches the server processes that keep a client's grants
(app.db.clients.GrantsCache).

Revision ID: 5b2c8e1d4a07
Revises: f74b7c36c3ed
Create Date: 2026-11-27 13:35:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "5b2c8e1d4a07"
down_revision: str | None = "f74b7c36c3ed"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("api_clients", "client_grants")


def upgrade() -> None:
    op.execute(
        """
        CREATE FUNCTION openpas_client_changed() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'TRUNCATE' THEN
                PERFORM pg_notify('openpas_clients', '*');
                RETURN NULL;
            END IF;
            IF TG_OP IN ('UPDATE', 'DELETE') THEN
                PERFORM pg_notify('openpas_clients', OLD.client_id);
            END IF;
            IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.client_id <> OLD.client_id) THEN
                PERFORM pg_notify('openpas_clients', NEW.client_id);
            END IF;
            RETURN NULL;
        END
        $$
        """
    )
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER tr_{table}_changed AFTER INSERT OR UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION openpas_client_changed()"
        )
        op.execute(
            f"CREATE TRIGGER tr_{table}_truncated AFTER TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION openpas_client_changed()"
        )


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"DROP TRIGGER tr_{table}_truncated ON {table}")
        op.execute(f"DROP TRIGGER tr_{table}_changed ON {table}")
    op.execute("DROP FUNCTION openpas_client_changed()")
