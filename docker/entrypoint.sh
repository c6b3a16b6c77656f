#!/bin/sh
# Migrate, seed the demo when asked, then serve. Migrations are idempotent, so every
# replica may run them; Alembic takes a lock on PostgreSQL's version table.
set -eu
openpas migrate
if [ "${OPENPAS_DEMO:-0}" = "1" ] || [ "${OPENPAS_DEMO:-false}" = "true" ]; then
  openpas demo
fi
exec openpas serve --host "${HOST:-0.0.0.0}" --port "${PORT:-8000}" --workers "${WEB_CONCURRENCY:-2}"
