"""The schema, as SQLAlchemy Core tables.

Alembic migrations are the source of truth for the database; a test checks that these
tables and the migrations agree. Ids are opaque strings to clients: UUIDs stored natively
on PostgreSQL (CHAR(32) on SQLite), except API client ids which people choose or read.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class UtcDateTime(sa.TypeDecorator[datetime]):
    """Timestamps are aware and in UTC on both engines (SQLite would hand back naive ones)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


Timestamp = UtcDateTime

regions = sa.Table(
    "regions",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("code", sa.String(32), nullable=False, unique=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("status_grace_days", sa.Integer, nullable=False),
    # "MM-DD": a new kansenstatuut ends on this day of the next year by default.
    sa.Column("default_status_end", sa.String(5), nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
)

municipalities = sa.Table(
    "municipalities",
    metadata,
    sa.Column("nis_code", sa.String(5), primary_key=True),
    sa.Column("region_id", sa.Uuid, sa.ForeignKey("regions.id"), nullable=False, index=True),
    sa.Column("name", sa.String(200), nullable=False),
)

# A postal code can cover several municipalities and a municipality several postal codes.
municipality_postal_codes = sa.Table(
    "municipality_postal_codes",
    metadata,
    sa.Column("postal_code", sa.String(4), primary_key=True),
    sa.Column(
        "nis_code",
        sa.String(5),
        sa.ForeignKey("municipalities.nis_code", ondelete="CASCADE"),
        primary_key=True,
    ),
)

partners = sa.Table(
    "partners",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("region_id", sa.Uuid, sa.ForeignKey("regions.id"), nullable=False, index=True),
    sa.Column(
        "municipality_nis", sa.String(5), sa.ForeignKey("municipalities.nis_code"), nullable=False
    ),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("categories", sa.JSON, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
)

api_clients = sa.Table(
    "api_clients",
    metadata,
    sa.Column("client_id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("secret_hash", sa.String(200), nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("revoked_at", Timestamp, nullable=True),
)

client_grants = sa.Table(
    "client_grants",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "client_id",
        sa.String(64),
        sa.ForeignKey("api_clients.client_id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("region_id", sa.Uuid, sa.ForeignKey("regions.id"), nullable=True),
    sa.Column("partner_id", sa.Uuid, sa.ForeignKey("partners.id"), nullable=True),
)
