#!/bin/sh
# `openpas run`: migrate, seed the demo when OPENPAS_DEMO is on, then serve. Migrations
# are idempotent, so every replica may run them; Alembic takes a lock on PostgreSQL's
# version table. Without DATABASE_URL it runs on the embedded PostgreSQL under
# /srv/openpas/var (a volume there keeps it): fine to try the image, not for production.
set -eu
exec openpas run --host "${HOST:-0.0.0.0}" --port "${PORT:-8000}" --workers "${WEB_CONCURRENCY:-2}"
