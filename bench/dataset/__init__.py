"""Benchmark dataset for quotes and sales (issues #5 and #6).

    .venv/bin/python -m bench.dataset --admin-url postgresql://postgres@127.0.0.1:5432/postgres \\
        [--scale 1.0] [--keep] [--database-url URL [--reset]] [--summary var/bench-dataset.json]

Creates a scratch PostgreSQL database, migrates it with Alembic and fills it with a
platform-sized population: 10 regions, 1,000,000 passholders with a card each, their
statuses, 1,000 partners with 20,000 offers, a catalogue of 200 schemes and 2,000,000 sales
of the last 14 months, with funding, usage and the usage counters those sales add up to.

Every sale line is priced by `app.domain.pricing.price` on the day it was sold, against the
holder's usage so far, and stored as the sale service stores it (`lines`). Rows go in with
COPY (asyncpg) into the migrated tables, constraints and indexes included, one connection
per table; the next chunk is generated in a thread while the current one is copied. At the
end a self-check compares counts and reconciles funding, amounts and usage counters in SQL,
and a JSON summary lists the database URL and 10,000 (card, offer, price class) samples for
load tests of POST /v1/quotes and POST /v1/sales.

Without --keep the database is dropped after the self-check; --database-url fills (and
keeps) a database of your choice, which must be empty unless --reset empties it first.

One module per part of the world: `places` (regions, municipalities), `offers` (partners,
offers, price classes), `catalogue` (schemes), `people` (passholders, cards, statuses),
`sales` (who buys what, when, and what became of it), `lines` (a line priced and stored as
the product does), `samples` (what load tests quote); and per part of the run: `columns`,
`loader` (COPY), `database`, `check` (the self-check), `fill` (the phases) and `__main__`.
"""
