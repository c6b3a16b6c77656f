"""The tables the dataset fills and their columns, in the order of our rows.

`check_columns` holds them against `app.db.tables`: a migration that adds a column without
a default, or drops one, stops the run before anything is generated.
"""

from __future__ import annotations

import sqlalchemy as sa

from app.db import tables

Row = tuple[object, ...]
Batch = tuple[str, tuple[str, ...], list[Row]]

COLUMNS: dict[str, tuple[str, ...]] = {
    "regions": ("id", "code", "name", "status_grace_days", "default_status_end", "created_at"),
    "municipalities": ("nis_code", "region_id", "name"),
    "municipality_postal_codes": ("postal_code", "nis_code"),
    "partners": (
        "id",
        "region_id",
        "municipality_nis",
        "name",
        "categories",
        "cancellation_window_hours",
        "created_at",
    ),
    "offers": (
        "id",
        "partner_id",
        "title",
        "category",
        "kind",
        "starts_at",
        "ends_at",
        "external_ref",
        "created_at",
    ),
    "price_classes": ("offer_id", "code", "label", "price_cents", "position"),
    "schemes": (
        "id",
        "code",
        "version",
        "owner_region_id",
        "definition",
        "created_at",
        "created_by",
    ),
    "passholders": (
        "id",
        "region_id",
        "first_name",
        "last_name",
        "name_key",
        "birth_date",
        "postal_code",
        "municipality_nis",
        "email",
        "insz_hash",
        "created_at",
        "updated_at",
    ),
    "cards": (
        "number",
        "passholder_id",
        "region_id",
        "status",
        "issued_at",
        "blocked_at",
        "block_reason",
        "replaced_by",
    ),
    "entitlements": (
        "id",
        "passholder_id",
        "type",
        "region_id",
        "valid_from",
        "valid_until",
        "suspended_until",
        "ended_on",
        "evidence",
        "source",
        "renews_id",
        "created_at",
        "updated_at",
    ),
    "sales": (
        "id",
        "partner_id",
        "client_id",
        "status",
        "created_at",
        "hold_expires_at",
        "confirmed_at",
        "cancelled_at",
    ),
    "sale_items": (
        "id",
        "sale_id",
        "passholder_id",
        "card_number",
        "offer_id",
        "price_class",
        "municipality_nis",
        "scheme_code",
        "scheme_version",
        "parts",
        "label",
        "quantity",
        "regular_price_cents",
        "unit_price_cents",
        "total_cents",
        "discount_cents",
        "activity_date",
        "counted_on",
        "uncounted_on",
    ),
    # The bigint ids come from their sequences, as they would for the service's inserts.
    "sale_item_funding": ("sale_item_id", "scheme_code", "payer", "payer_ref", "amount_cents"),
    "sale_usage": (
        "sale_item_id",
        "passholder_id",
        "bucket_key",
        "tickets",
        "discount_cents",
        "held_until",
    ),
    "usage_counters": ("passholder_id", "bucket_key", "tickets", "discount_cents"),
}


def check_columns() -> None:
    """Our rows must fill every column of tables.py that has no default, and no others."""
    for name, columns in COLUMNS.items():
        table: sa.Table = tables.metadata.tables[name]
        known = {column.name for column in table.columns}
        unknown = set(columns) - known
        missing = {
            column.name
            for column in table.columns
            if column.name not in columns
            and not column.nullable
            and column.server_default is None
            and not (column.primary_key and column.autoincrement is True)
            and not (
                column.primary_key
                and isinstance(column.type, sa.BigInteger | sa.Integer)
                and len(table.primary_key.columns) == 1
            )
        }
        if unknown or missing:
            raise RuntimeError(f"{name}: unknown columns {unknown}, missing {missing}")
