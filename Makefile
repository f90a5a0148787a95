# `make run` on a fresh machine: venv, install, migrate, demo district, serve. `make test`: everything, twice
# (SQLite and PostgreSQL). See README.md.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export INMINBAN_DATA_DIR ?= $(CURDIR)/var

.PHONY: install install-test run test test-sqlite test-postgres bench lint format messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install -q -e '.[test]'
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

run: install
	$(BIN)/inminban demo

test: install-test
	scripts/ensure-test-services
	$(BIN)/ruff check .
	$(BIN)/inminban makemigrations --check --dry-run
	$(MAKE) test-sqlite
	$(MAKE) test-postgres

test-sqlite: install-test
	INMINBAN_DATABASE_URL=sqlite:///$(INMINBAN_DATA_DIR)/unused.sqlite3 $(BIN)/pytest $(PYTEST_ARGS)

test-postgres: install-test
	INMINBAN_DATABASE_URL=$${INMINBAN_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test} $(BIN)/pytest $(PYTEST_ARGS)

bench: install-test
	$(BIN)/python -m benchmarks

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

messages: install
	cd src/inminban && ../../$(BIN)/inminban makemessages -l ko --no-obsolete && ../../$(BIN)/inminban compilemessages

clean:
	rm -rf $(VENV) var .pytest_cache
