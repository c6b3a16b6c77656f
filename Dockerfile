# OpenPas API image. Build: docker build -t openpas .
# Installed in editable mode: migrations/ and catalog/ are read from /srv/openpas.
# Everything it installs is pinned: the base image by its full version, the Python packages
# by version and hash (requirements/app.lock); nothing comes from apt. Runs in production
# mode unless OPENPAS_DEMO=1; secrets as files through OPENPAS_*_FILE (docker-compose.yml).
FROM python:3.11.13-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

WORKDIR /srv/openpas

# Locked, hash-checked dependencies first: this layer survives code changes.
COPY requirements/app.lock requirements/app.lock
RUN pip install --require-hashes -r requirements/app.lock

COPY pyproject.toml README.md alembic.ini ./
COPY app app
COPY migrations migrations
COPY catalog catalog
COPY regions regions
COPY docker/entrypoint.sh /usr/local/bin/openpas-entrypoint
RUN pip install --no-deps -e . \
    && chmod +x /usr/local/bin/openpas-entrypoint \
    && useradd --system --uid 10001 --home-dir /srv/openpas openpas \
    && mkdir -p /srv/openpas/var && chown openpas /srv/openpas/var

USER openpas
ENV HOST=0.0.0.0 PORT=8000
EXPOSE 8000
# Healthy means ready: the database answers and the schema is at the migration head
# (/health only says the process lives). /ready answers within a second either way.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD python -c "import os,urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/ready' % os.environ.get('PORT', '8000'), timeout=2)" || exit 1
ENTRYPOINT ["openpas-entrypoint"]
