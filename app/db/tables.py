"""The schema, as SQLAlchemy Core tables.

Alembic migrations are the source of truth for the database; a test checks that these
tables and the migrations agree. Ids are opaque strings to clients: UUIDs stored natively,
except API client ids which people choose or read.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class UtcDateTime(sa.TypeDecorator[datetime]):
    """Timestamps are aware and in UTC, whatever the session's time zone."""

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
# A sale line's label: a tariff's name, or several joined ("Kansentarief + Welkomstbon").
LABEL_LENGTH = 200

regions = sa.Table(
    "regions",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("code", sa.String(32), nullable=False, unique=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("status_grace_days", sa.Integer, nullable=False),
    # "MM-DD": a new kansenstatuut ends on this day of the next year by default.
    sa.Column("default_status_end", sa.String(5), nullable=False),
    # A move to another region ends this region's statuses of the person who leaves.
    sa.Column("end_statuses_on_move", sa.Boolean, nullable=False, server_default=sa.text("true")),
    sa.Column("created_at", Timestamp, nullable=False),
    # An archived region keeps its history; no partner is registered in it any more.
    sa.Column("archived_at", Timestamp, nullable=True),
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
    # How long after a sale the partner accepts a cancellation (usage goes back).
    sa.Column("cancellation_window_hours", sa.Integer, nullable=False, server_default="168"),
    sa.Column("created_at", Timestamp, nullable=False),
    # An archived partner keeps its sales and settlement; none of its offers sells.
    sa.Column("archived_at", Timestamp, nullable=True),
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
    sa.Column("organisation_id", sa.Uuid, sa.ForeignKey("organisations.id"), nullable=True),
)

# Social organisations, associations and schools of a region: they know the people the
# pass does not reach, and hand them anonymous vouchers from the allocations they get.
organisations = sa.Table(
    "organisations",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("region_id", sa.Uuid, sa.ForeignKey("regions.id"), nullable=False, index=True),
    sa.Column("name", sa.String(200), nullable=False),
    # social, association, school
    sa.Column("kind", sa.String(12), nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
)

# A quota (quotum): tickets a region grants an organisation for a period, under one scheme.
# `tickets_used` is what vouchers took and what sales to the organisation's groups (on a
# group card, or for an accepted ticket request) took; it only changes in SQL, checked
# against `tickets` in the same statement (app.db.organisations.take_tickets, and the claim
# of openpas_register_sale), and the database refuses any other value.
allocations = sa.Table(
    "allocations",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column(
        "organisation_id",
        sa.Uuid,
        sa.ForeignKey("organisations.id"),
        nullable=False,
        index=True,
    ),
    sa.Column("scheme_code", sa.String(64), nullable=False),
    sa.Column("valid_from", sa.Date, nullable=False),
    sa.Column("valid_until", sa.Date, nullable=False),
    sa.Column("tickets", sa.Integer, nullable=False),
    sa.Column("tickets_used", sa.Integer, nullable=False, server_default="0"),
    # A budget of discount (cents) the organisation's vouchers may use at desks; None: none.
    sa.Column("budget_cents", sa.Integer, nullable=True),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("created_by", sa.String(64), nullable=False),
    sa.CheckConstraint("tickets_used >= 0 AND tickets_used <= tickets", name="within_quota"),
)

# An anonymous ticket voucher (ticketbon) for `people` tickets, issued from an allocation.
# It carries no personal data. The tickets a desk redeemed are counted in `usage_counters`
# under the voucher's id (bucket app.domain.vouchers.VOUCHER_BUCKET), claimed and given
# back by the sale's own statement like any limit.
vouchers = sa.Table(
    "vouchers",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("code", sa.String(20), nullable=False, unique=True),
    sa.Column(
        "organisation_id", sa.Uuid, sa.ForeignKey("organisations.id"), nullable=False, index=True
    ),
    sa.Column(
        "allocation_id", sa.Uuid, sa.ForeignKey("allocations.id"), nullable=False, index=True
    ),
    sa.Column("people", sa.Integer, nullable=False),
    sa.Column("offer_id", sa.Uuid, sa.ForeignKey("offers.id"), nullable=True),
    sa.Column("partner_id", sa.Uuid, sa.ForeignKey("partners.id"), nullable=True),
    sa.Column("valid_until", sa.Date, nullable=False),
    # active, revoked
    sa.Column("status", sa.String(10), nullable=False),
    sa.Column("issued_at", Timestamp, nullable=False),
    sa.Column("issued_by", sa.String(64), nullable=False),
    sa.Column("revoked_at", Timestamp, nullable=True),
    # The unused tickets a revocation gave back to the allocation.
    sa.Column("tickets_returned", sa.Integer, nullable=True),
)

# A group card (groepspas): a card of an organisation, not of a person. Its number has the
# format of a person's card and is drawn from the same numbers (app.services.cards).
group_cards = sa.Table(
    "group_cards",
    metadata,
    sa.Column("number", sa.String(13), primary_key=True),
    sa.Column(
        "organisation_id", sa.Uuid, sa.ForeignKey("organisations.id"), nullable=False, index=True
    ),
    # What the organisation calls it ("Klas 5B"); the desk is shown the organisation's name.
    sa.Column("label", sa.String(200), nullable=True),
    # active, blocked
    sa.Column("status", sa.String(10), nullable=False),
    sa.Column("issued_at", Timestamp, nullable=False),
    sa.Column("issued_by", sa.String(64), nullable=False),
    sa.Column("blocked_at", Timestamp, nullable=True),
    sa.Column("block_reason", sa.String(10), nullable=True),
)

# A ticket request (ticketaanvraag): an organisation asks a partner for tickets of an offer
# on one of its allocations; app.domain.ticket_requests says how it moves on. An accepted
# one names the sale it made.
ticket_requests = sa.Table(
    "ticket_requests",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column(
        "organisation_id", sa.Uuid, sa.ForeignKey("organisations.id"), nullable=False, index=True
    ),
    sa.Column("allocation_id", sa.Uuid, sa.ForeignKey("allocations.id"), nullable=False),
    sa.Column("offer_id", sa.Uuid, sa.ForeignKey("offers.id"), nullable=False),
    sa.Column("partner_id", sa.Uuid, sa.ForeignKey("partners.id"), nullable=False, index=True),
    sa.Column("price_class", sa.String(40), nullable=False),
    sa.Column("tickets", sa.Integer, nullable=False),
    sa.Column("note", sa.String(1000), nullable=True),
    # requested, accepted, declined, withdrawn
    sa.Column("status", sa.String(10), nullable=False),
    sa.Column("requested_at", Timestamp, nullable=False),
    sa.Column("requested_by", sa.String(64), nullable=False),
    sa.Column("decided_at", Timestamp, nullable=True),
    sa.Column("decided_by", sa.String(64), nullable=True),
    # A decline's reason, told to the organisation.
    sa.Column("reason", sa.String(1000), nullable=True),
    sa.Column("sale_id", sa.Uuid, sa.ForeignKey("sales.id"), nullable=True),
)

passholders = sa.Table(
    "passholders",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    # The home region follows from the residence; it decides which registry may see them.
    sa.Column("region_id", sa.Uuid, sa.ForeignKey("regions.id"), nullable=False),
    sa.Column("first_name", sa.String(100), nullable=False),
    sa.Column("last_name", sa.String(100), nullable=False),
    sa.Column("name_key", sa.String(210), nullable=False),
    sa.Column("birth_date", sa.Date, nullable=False),
    sa.Column("postal_code", sa.String(4), nullable=False),
    sa.Column(
        "municipality_nis", sa.String(5), sa.ForeignKey("municipalities.nis_code"), nullable=False
    ),
    sa.Column("email", sa.String(254), nullable=True),
    # HMAC of the INSZ under the pseudonym key; the number itself is never stored.
    sa.Column("insz_hash", sa.String(64), nullable=True, unique=True),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
    sa.UniqueConstraint("region_id", "name_key", "birth_date"),
    sa.Index("ix_passholders_region_id_birth_date", "region_id", "birth_date"),
)

cards = sa.Table(
    "cards",
    metadata,
    sa.Column("number", sa.String(13), primary_key=True),
    sa.Column(
        "passholder_id", sa.Uuid, sa.ForeignKey("passholders.id"), nullable=False, index=True
    ),
    sa.Column("region_id", sa.Uuid, sa.ForeignKey("regions.id"), nullable=False),
    sa.Column("status", sa.String(10), nullable=False),
    sa.Column("issued_at", Timestamp, nullable=False),
    sa.Column("blocked_at", Timestamp, nullable=True),
    sa.Column("block_reason", sa.String(10), nullable=True),
    sa.Column("replaced_by", sa.String(13), nullable=True),
    # One active card per passholder per region, enforced by the database itself.
    sa.Index(
        "uq_cards_active_per_passholder_region",
        "passholder_id",
        "region_id",
        unique=True,
        postgresql_where=sa.text("status = 'active'"),
    ),
)

entitlements = sa.Table(
    "entitlements",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column(
        "passholder_id", sa.Uuid, sa.ForeignKey("passholders.id"), nullable=False, index=True
    ),
    sa.Column("type", sa.String(40), nullable=False),
    # None: the status counts in every region.
    sa.Column("region_id", sa.Uuid, sa.ForeignKey("regions.id"), nullable=True),
    sa.Column("valid_from", sa.Date, nullable=False),
    sa.Column("valid_until", sa.Date, nullable=True),
    sa.Column("suspended_until", sa.Date, nullable=True),
    sa.Column("ended_on", sa.Date, nullable=True),
    sa.Column("evidence", sa.String(200), nullable=True),
    sa.Column("source", sa.String(60), nullable=False),
    # A renewal is a new period that follows on from this one; history is never rewritten.
    sa.Column("renews_id", sa.Uuid, sa.ForeignKey("entitlements.id"), nullable=True, index=True),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
)

pending_entitlements = sa.Table(
    "pending_entitlements",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("insz_hash", sa.String(64), nullable=False),
    sa.Column("type", sa.String(40), nullable=False),
    sa.Column("region_id", sa.Uuid, sa.ForeignKey("regions.id"), nullable=False),
    sa.Column("valid_from", sa.Date, nullable=False),
    sa.Column("valid_until", sa.Date, nullable=True),
    sa.Column("evidence", sa.String(200), nullable=True),
    sa.Column("source", sa.String(60), nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("applied_at", Timestamp, nullable=True),
    sa.UniqueConstraint("insz_hash", "type", "region_id", "valid_from"),
    sa.Index("ix_pending_entitlements_region_id_applied_at", "region_id", "applied_at"),
)

# Partitioned by calendar month (UTC) of `at`, so the retention purge drops whole months
# (app.domain.retention); the partitions live in the schema audit_partitions and are made
# ahead by `openpas maintenance` (migration c5e8f2a71d04).
audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column(
        "id",
        sa.BigInteger(),
        primary_key=True,
        autoincrement=False,
        server_default=sa.text("nextval('audit_log_id_seq'::regclass)"),
    ),
    sa.Column("at", Timestamp, primary_key=True),
    sa.Column("client_id", sa.String(64), nullable=False),
    sa.Column("action", sa.String(40), nullable=False),
    sa.Column("passholder_id", sa.Uuid, nullable=False),
    sa.Column("region_id", sa.Uuid, nullable=False),
    sa.Index("ix_audit_log_passholder_id_at", "passholder_id", "at"),
    sa.Index("ix_audit_log_region_id_at", "region_id", "at"),
    postgresql_partition_by="RANGE (at)",
)

change_events = sa.Table(
    "change_events",
    metadata,
    sa.Column("seq", sa.BigInteger(), primary_key=True),
    # The writing transaction's id (PostgreSQL); readers only pass events whose transaction
    # is older than every transaction still running, so a late commit is never skipped.
    sa.Column("txid", sa.BigInteger, nullable=False),
    sa.Column("region_id", sa.Uuid, nullable=False),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("entity_id", sa.String(64), nullable=False),
    sa.Column("data", sa.JSON, nullable=False),
    sa.Column("occurred_at", Timestamp, nullable=False),
    sa.Index("ix_change_events_region_id_txid_seq", "region_id", "txid", "seq"),
)

schemes = sa.Table(
    "schemes",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("code", sa.String(64), nullable=False),
    # Every change is a new version; old ones stay, because sales name the one they used.
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("owner_region_id", sa.Uuid, sa.ForeignKey("regions.id"), nullable=True),
    sa.Column("definition", sa.JSON, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("created_by", sa.String(64), nullable=False),
    sa.UniqueConstraint("code", "version"),
)

# One row: bumped in the same transaction as every scheme change, read by every quote, so
# each server process knows when its cached catalogue is stale.
catalog_state = sa.Table(
    "catalog_state",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("version", sa.BigInteger, nullable=False),
)

offers = sa.Table(
    "offers",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("partner_id", sa.Uuid, sa.ForeignKey("partners.id"), nullable=False, index=True),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("category", sa.String(40), nullable=False),
    # one_off (a date), period (a run of dates), permanent (a museum ticket)
    sa.Column("kind", sa.String(10), nullable=False),
    sa.Column("starts_at", Timestamp, nullable=True),
    sa.Column("ends_at", Timestamp, nullable=True),
    sa.Column("external_ref", sa.String(100), nullable=True),
    sa.Column("created_at", Timestamp, nullable=False),
    # An archived offer keeps its sales and settlement; it is no longer quoted or sold.
    sa.Column("archived_at", Timestamp, nullable=True),
    # An open-price offer is priced at the regular price the desk gives (partner ticketing
    # that prices seats itself), never above `max_price_cents` (app.domain.offers).
    sa.Column("open_price", sa.Boolean, nullable=False, server_default=sa.text("false")),
    sa.Column("max_price_cents", sa.Integer, nullable=True),
    sa.CheckConstraint(
        "CASE WHEN open_price THEN max_price_cents IS NOT NULL AND max_price_cents > 0"
        " ELSE max_price_cents IS NULL END",
        name="open_price_maximum",
    ),
)

price_classes = sa.Table(
    "price_classes",
    metadata,
    sa.Column(
        "offer_id", sa.Uuid, sa.ForeignKey("offers.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("code", sa.String(40), primary_key=True),
    sa.Column("label", sa.String(100), nullable=False),
    sa.Column("price_cents", sa.Integer, nullable=False),
    sa.Column("position", sa.Integer, nullable=False),
)

sales = sa.Table(
    "sales",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("partner_id", sa.Uuid, sa.ForeignKey("partners.id"), nullable=False),
    sa.Column("client_id", sa.String(64), nullable=False),
    # held (usage reserved until hold_expires_at), confirmed, cancelled, expired
    sa.Column("status", sa.String(10), nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("hold_expires_at", Timestamp, nullable=True),
    sa.Column("confirmed_at", Timestamp, nullable=True),
    sa.Column("cancelled_at", Timestamp, nullable=True),
    sa.Index("ix_sales_partner_id_created_at", "partner_id", "created_at"),
    sa.Index("ix_sales_status_hold_expires_at", "status", "hold_expires_at"),
)

sale_items = sa.Table(
    "sale_items",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column(
        "sale_id",
        sa.Uuid,
        sa.ForeignKey("sales.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    # A line is sold on a card (its holder) or on a voucher, never both (ck one_bearer).
    sa.Column("passholder_id", sa.Uuid, sa.ForeignKey("passholders.id"), nullable=True, index=True),
    sa.Column("card_number", sa.String(13), nullable=True),
    sa.Column("voucher_id", sa.Uuid, sa.ForeignKey("vouchers.id"), nullable=True, index=True),
    # An organisation's line (on its group card, or an accepted ticket request): the
    # organisation, and the allocation its tickets came out of.
    sa.Column("organisation_id", sa.Uuid, sa.ForeignKey("organisations.id"), nullable=True),
    sa.Column("allocation_id", sa.Uuid, sa.ForeignKey("allocations.id"), nullable=True, index=True),
    sa.Column("offer_id", sa.Uuid, sa.ForeignKey("offers.id"), nullable=False),
    sa.Column("price_class", sa.String(40), nullable=False),
    # The holder's residence at the time of the sale, for participation figures; None on a
    # voucher's line (anonymous).
    sa.Column("municipality_nis", sa.String(5), nullable=True),
    sa.Column("scheme_code", sa.String(64), nullable=False),
    sa.Column("scheme_version", sa.Integer, nullable=False),
    # Every scheme in the tariff (an on_top coupon too): [{"code", "version", "discount_cents"}]
    sa.Column("parts", sa.JSON, nullable=False),
    sa.Column("label", sa.String(LABEL_LENGTH), nullable=False),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.Column("regular_price_cents", sa.Integer, nullable=False),
    sa.Column("unit_price_cents", sa.Integer, nullable=False),
    sa.Column("total_cents", sa.Integer, nullable=False),
    sa.Column("discount_cents", sa.Integer, nullable=False),
    # The day the sale counts in (activity date, else the sale date): periods and reports.
    sa.Column("activity_date", sa.Date, nullable=False),
    # A line of companions' tickets (the European Disability Card's assistant): the line of
    # the holder they came with, written in the same statement, in the same sale. NULL on a
    # holder's own line. No foreign key (the migration that added it kept the table as it
    # was); the sale service writes both lines together.
    sa.Column("companion_of", sa.Uuid, nullable=True),
    # The settlement's ledger of the line: the day it counts on, set when its sale is
    # confirmed, and the day it is taken off, set when a confirmed sale is cancelled (NULL:
    # not yet). Which days: app.domain.reports.settlement_day.
    sa.Column("counted_on", sa.Date, nullable=True),
    sa.Column("uncounted_on", sa.Date, nullable=True),
    # Reports read a period of sale lines; without it every report reads the whole history.
    sa.Index("ix_sale_items_activity_date", "activity_date"),
    # A settlement's partial months read the lines counted, and taken off, in their days.
    sa.Index("ix_sale_items_counted_on", "counted_on"),
    sa.Index(
        "ix_sale_items_uncounted_on",
        "uncounted_on",
        postgresql_where=sa.text("uncounted_on IS NOT NULL"),
    ),
    # A line is a holder's (on a card), a voucher's, or an organisation's (on its group
    # card, or without a card for a ticket request), never two of them.
    sa.CheckConstraint(
        "(passholder_id IS NOT NULL AND card_number IS NOT NULL AND voucher_id IS NULL"
        " AND organisation_id IS NULL)"
        " OR (passholder_id IS NULL AND card_number IS NULL AND voucher_id IS NOT NULL"
        " AND organisation_id IS NULL)"
        " OR (passholder_id IS NULL AND voucher_id IS NULL AND organisation_id IS NOT NULL"
        " AND allocation_id IS NOT NULL)",
        name="one_bearer",
    ),
)

sale_item_funding = sa.Table(
    "sale_item_funding",
    metadata,
    sa.Column("id", sa.BigInteger(), primary_key=True),
    sa.Column(
        "sale_item_id",
        sa.Uuid,
        sa.ForeignKey("sale_items.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("scheme_code", sa.String(64), nullable=False),
    sa.Column("payer", sa.String(64), nullable=False),
    sa.Column("payer_ref", sa.String(64), nullable=True),
    sa.Column("amount_cents", sa.Integer, nullable=False),
)

# The settlement per partner and month (of the lines' `counted_on`, less those of their
# `uncounted_on`), kept exact by the sale service in the same transaction as every
# confirmation and cancellation (app.db.settlement), so a settlement of whole months reads
# these few rows instead of every sale line and funding row of the period. A month whose
# only change was a late cancellation has negative sums; a row at 0 in every sum stands for
# no lines. `lines` is one of those sums; no report shows it.

# Per tariff scheme, funded scheme, payer and payer reference: the sums of `payer_lines` in
# app.db.reports. `payer_ref` is '' where the funding row has none (NULL): NULLs in a key
# never conflict, so an upsert could not find the row again.
settlement_payer_months = sa.Table(
    "settlement_payer_months",
    metadata,
    sa.Column("partner_id", sa.Uuid, sa.ForeignKey("partners.id"), primary_key=True),
    # The first day of the month of the lines' `counted_on` (or `uncounted_on`).
    sa.Column("month", sa.Date, primary_key=True),
    sa.Column("scheme_code", sa.String(64), primary_key=True),
    sa.Column("funded_scheme_code", sa.String(64), primary_key=True),
    sa.Column("payer", sa.String(64), primary_key=True),
    sa.Column("payer_ref", sa.String(64), primary_key=True),
    sa.Column("lines", sa.BigInteger, nullable=False),
    sa.Column("tickets", sa.BigInteger, nullable=False),
    sa.Column("regular_cents", sa.BigInteger, nullable=False),
    sa.Column("paid_cents", sa.BigInteger, nullable=False),
    sa.Column("amount_cents", sa.BigInteger, nullable=False),
)

# Per tariff scheme: the sums of `scheme_totals` in app.db.reports (each sale line once).
settlement_scheme_months = sa.Table(
    "settlement_scheme_months",
    metadata,
    sa.Column("partner_id", sa.Uuid, sa.ForeignKey("partners.id"), primary_key=True),
    sa.Column("month", sa.Date, primary_key=True),
    sa.Column("scheme_code", sa.String(64), primary_key=True),
    sa.Column("lines", sa.BigInteger, nullable=False),
    sa.Column("tickets", sa.BigInteger, nullable=False),
    sa.Column("regular_cents", sa.BigInteger, nullable=False),
    sa.Column("paid_cents", sa.BigInteger, nullable=False),
    sa.Column("discount_cents", sa.BigInteger, nullable=False),
)

# What each sale item took from each usage bucket, so a cancel gives back exactly that.
sale_usage = sa.Table(
    "sale_usage",
    metadata,
    sa.Column("id", sa.BigInteger(), primary_key=True),
    sa.Column(
        "sale_item_id",
        sa.Uuid,
        sa.ForeignKey("sale_items.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("passholder_id", sa.Uuid, nullable=False, index=True),
    sa.Column("bucket_key", sa.String(300), nullable=False),
    sa.Column("tickets", sa.Integer, nullable=False),
    sa.Column("discount_cents", sa.Integer, nullable=False),
    # Set while the sale is a hold: a quote subtracts holds past this moment that were not
    # released yet, without joining sales. Cleared on confirm, expiry and cancel.
    sa.Column("held_until", Timestamp, nullable=True),
    sa.Index(
        "ix_sale_usage_held_passholder_id",
        "passholder_id",
        postgresql_where=sa.text("held_until IS NOT NULL"),
    ),
)

# Tickets and discount used per passholder and limit bucket: confirmed sales and live holds.
usage_counters = sa.Table(
    "usage_counters",
    metadata,
    sa.Column("passholder_id", sa.Uuid, primary_key=True),
    sa.Column("bucket_key", sa.String(300), primary_key=True),
    sa.Column("tickets", sa.Integer, nullable=False),
    sa.Column("discount_cents", sa.Integer, nullable=False),
)

# A visit (bezoek) to a free activity, on a card or a voucher: at most one per bearer, offer
# and day (the unique indexes), so a desk that scans twice records one visit.
checkins = sa.Table(
    "checkins",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("offer_id", sa.Uuid, sa.ForeignKey("offers.id"), nullable=False),
    sa.Column("partner_id", sa.Uuid, sa.ForeignKey("partners.id"), nullable=False),
    sa.Column("passholder_id", sa.Uuid, sa.ForeignKey("passholders.id"), nullable=True),
    sa.Column("voucher_id", sa.Uuid, sa.ForeignKey("vouchers.id"), nullable=True),
    # The holder's residence on the day (None on a voucher: anonymous).
    sa.Column("municipality_nis", sa.String(5), nullable=True),
    # People the visit stands for: 1 on a card, the voucher's people on a voucher.
    sa.Column("people", sa.Integer, nullable=False),
    sa.Column("visit_date", sa.Date, nullable=False),
    sa.Column("client_id", sa.String(64), nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Index(
        "uq_checkins_holder_offer_day",
        "passholder_id",
        "offer_id",
        "visit_date",
        unique=True,
        postgresql_where=sa.text("passholder_id IS NOT NULL"),
    ),
    sa.Index(
        "uq_checkins_voucher_offer_day",
        "voucher_id",
        "offer_id",
        "visit_date",
        unique=True,
        postgresql_where=sa.text("voucher_id IS NOT NULL"),
    ),
    sa.Index("ix_checkins_visit_date", "visit_date"),
    sa.CheckConstraint("(passholder_id IS NULL) <> (voucher_id IS NULL)", name="one_bearer"),
)

idempotency_keys = sa.Table(
    "idempotency_keys",
    metadata,
    sa.Column("client_id", sa.String(64), primary_key=True),
    sa.Column("key", sa.String(100), primary_key=True),
    sa.Column("request_hash", sa.String(64), nullable=False),
    # The sale the key made: a retry is answered with it, as it is then. Written with the
    # sale, in one transaction, before it (app.db.sales.write_sale): checked at commit.
    sa.Column(
        "sale_id",
        sa.Uuid,
        sa.ForeignKey("sales.id", deferrable=True, initially="DEFERRED"),
        nullable=False,
    ),
    sa.Column("created_at", Timestamp, nullable=False, index=True),
)

# People who log in to the web desk and the dashboard (app/web/), each with one role on one
# tenant, like a client's grant. The password is an Argon2 hash; until it is set the account
# waits for its one-time activation link, kept only as a SHA-256 of the token.
staff_members = sa.Table(
    "staff_members",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    # Lower case: one account per address, however it is typed.
    sa.Column("email", sa.String(254), nullable=False, unique=True),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("region_id", sa.Uuid, sa.ForeignKey("regions.id"), nullable=True),
    sa.Column("partner_id", sa.Uuid, sa.ForeignKey("partners.id"), nullable=True, index=True),
    sa.Column("password_hash", sa.String(200), nullable=True),
    sa.Column("activation_hash", sa.String(64), nullable=True, unique=True),
    sa.Column("activation_expires_at", Timestamp, nullable=True),
    sa.Column("created_by", sa.String(64), nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("activated_at", Timestamp, nullable=True),
    sa.Column("deactivated_at", Timestamp, nullable=True),
)

# A browser's login: the cookie carries the token, the table its SHA-256. Deleting the rows
# of a staff member ends every session at once, in every process.
staff_sessions = sa.Table(
    "staff_sessions",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column(
        "staff_id",
        sa.Uuid,
        sa.ForeignKey("staff_members.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("csrf_token", sa.String(64), nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("last_seen_at", Timestamp, nullable=False),
    sa.Column("expires_at", Timestamp, nullable=False),
)

# Failed logins per account ("account:<email>") and per address ("address:<ip>"), counted
# in the database so a lock holds across processes.
login_failures = sa.Table(
    "login_failures",
    metadata,
    sa.Column("key", sa.String(300), primary_key=True),
    sa.Column("failures", sa.Integer, nullable=False),
    sa.Column("first_failed_at", Timestamp, nullable=False),
    sa.Column("last_failed_at", Timestamp, nullable=False),
    sa.Column("locked_until", Timestamp, nullable=True),
)

# A subscription to events, owned by the grant that made it (role, region and, for a
# partner's, the partner): it receives only what that grant could read anyway.
webhook_subscriptions = sa.Table(
    "webhook_subscriptions",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("client_id", sa.String(64), nullable=False),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("region_id", sa.Uuid, sa.ForeignKey("regions.id"), nullable=False),
    sa.Column("partner_id", sa.Uuid, sa.ForeignKey("partners.id"), nullable=True),
    sa.Column("url", sa.String(2000), nullable=False),
    sa.Column("events", postgresql.ARRAY(sa.String(40)), nullable=False),
    sa.Column("description", sa.String(500), nullable=True),
    # Kept as given, not hashed: a signing secret is a symmetric key that OpenPas itself must
    # use for every delivery (unlike a client secret, which is only compared). Encrypting it
    # with a key the same process holds would only guard against a leak of the database
    # alone; it is never returned after creation and never logged.
    sa.Column("secret", sa.String(100), nullable=False),
    # After a rotation the previous secret signs too, until it expires: receivers switch over
    # without missing a delivery.
    sa.Column("previous_secret", sa.String(100), nullable=True),
    sa.Column("previous_secret_expires_at", Timestamp, nullable=True),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("disabled_at", Timestamp, nullable=True),
    sa.Column("disabled_reason", sa.String(500), nullable=True),
    sa.Index("ix_webhook_subscriptions_region_id", "region_id"),
)

# One event for one subscription. Written by a trigger on change_events, in the transaction
# of the change; `txid`/`event_seq` are the event's change-feed position (its cursor), the
# order in which a subscription receives its deliveries. A ping has no event (`event_seq`).
webhook_deliveries = sa.Table(
    "webhook_deliveries",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column(
        "subscription_id",
        sa.Uuid,
        sa.ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("event_seq", sa.BigInteger, nullable=True),
    sa.Column("txid", sa.BigInteger, nullable=False),
    sa.Column("type", sa.String(40), nullable=False),
    sa.Column("entity_id", sa.String(64), nullable=False),
    sa.Column("data", sa.JSON, nullable=False),
    sa.Column("occurred_at", Timestamp, nullable=False),
    # `pending` until a 2xx answer, then `delivered`; `skipped` when the subscription's
    # grant could not read it after all (never sent).
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("last_response_code", sa.Integer, nullable=True),
    sa.Column("last_error", sa.String(500), nullable=True),
    sa.Column("next_attempt_at", Timestamp, nullable=False),
    # The first failure of the current run of failures: retries stop (and the subscription
    # is disabled) once it is older than the retry window.
    sa.Column("first_failed_at", Timestamp, nullable=True),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("delivered_at", Timestamp, nullable=True),
    sa.Index(
        "ix_webhook_deliveries_subscription_id_txid_event_seq",
        "subscription_id",
        "txid",
        "event_seq",
    ),
    sa.Index(
        "ix_webhook_deliveries_pending",
        "subscription_id",
        "txid",
        "event_seq",
        postgresql_where=sa.text("status = 'pending'"),
    ),
)
