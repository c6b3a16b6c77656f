# OpenPas API image. Build: docker build -t openpas .
# Installed in editable mode: migrations/ and catalog/ are read from /srv/openpas.
FROM python:3.11-slim-bookworm

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
COPY docker/entrypoint.sh /usr/local/bin/openpas-entrypoint
RUN pip install --no-deps -e . \
    && chmod +x /usr/local/bin/openpas-entrypoint \
    && useradd --system --uid 10001 --home-dir /srv/openpas openpas \
    && mkdir -p /srv/openpas/var && chown openpas /srv/openpas/var

USER openpas
ENV HOST=0.0.0.0 PORT=8000
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health').status != 200)"
ENTRYPOINT ["openpas-entrypoint"]
