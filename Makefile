# OpenPas — two commands: `make run` (the demo on an embedded PostgreSQL) and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
export HOST PORT

.PHONY: run test lint typecheck pytest bench lock messages clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit("OpenPas needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)

# Installs exactly the locked versions, checked by hash.
$(VENV)/.app-installed: requirements/app.lock pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements/app.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

$(VENV)/.dev-installed: requirements/dev.lock $(VENV)/.app-installed
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements/dev.lock
	touch $@

## Start OpenPas with demo data on 127.0.0.1:8000 (HOST, PORT, DATABASE_URL honoured):
## without DATABASE_URL on the embedded PostgreSQL under var/postgres, stopped with OpenPas.
run: $(VENV)/.app-installed
	OPENPAS_DEMO=$${OPENPAS_DEMO:-1} $(BIN)/openpas run --host $(HOST) --port $(PORT)

## Lint, type-check and run the whole test suite against a real PostgreSQL.
test: lint typecheck pytest

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.dev-installed
	$(BIN)/mypy

pytest: $(VENV)/.dev-installed
	$(BIN)/pytest

bench: $(VENV)/.dev-installed
	$(BIN)/python bench/price_engine.py

## Re-resolve the lock files after changing dependencies in pyproject.toml (needs uv).
lock:
	uv pip compile pyproject.toml --python-version 3.11 --generate-hashes -o requirements/app.lock
	uv pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes -o requirements/dev.lock

## After adding or removing a message key in the code: extract the keys into the template
## and add them (empty) to every catalogue, which then needs its translations (README).
messages: $(VENV)/.app-installed
	$(BIN)/pybabel extract -F babel.cfg --no-default-keywords -k N_ -k t -k translate \
		--no-location --sort-output --project OpenPas --version 1 \
		--copyright-holder "OpenPas contributors" -o app/locale/openpas.pot .
	$(BIN)/pybabel update -i app/locale/openpas.pot -d app/locale -D openpas \
		--no-fuzzy-matching --ignore-obsolete

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache .hypothesis
