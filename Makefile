# Two commands for a fresh machine: `make demo` and `make test` (see README.md).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DEMO_DIR ?= .docshelf-demo
HOST   ?= 127.0.0.1
PORT   ?= 8470
CLUSTER_DIR  ?= .docshelf-cluster
CLUSTER_PORT ?= 8480

.PHONY: demo cluster cluster-down test test-fast lint typecheck pytest e2e system-packages venv-demo venv-dev catalogues compiled clean

## demo: install into .venv, seed the demo content (once) and run the server
demo: venv-demo compiled
	scripts/system-packages.sh qt
	$(BIN)/docshelf demo --data-dir $(DEMO_DIR) --host $(HOST) --port $(PORT)

## cluster: PostgreSQL, SeaweedFS (S3), three server processes on it and HAProxy on
## loopback, the demo content seeded once; prints each part's address and pid
## (docs/operations.md)
cluster: venv-demo compiled $(VENV)/.cluster-installed
	scripts/system-packages.sh postgres haproxy
	$(BIN)/python scripts/cluster.py up --dir $(CLUSTER_DIR) --port $(CLUSTER_PORT)

## cluster-down: stop exactly what `make cluster` started (recorded in $(CLUSTER_DIR))
cluster-down:
	$(BIN)/python scripts/cluster.py down --dir $(CLUSTER_DIR)

## test: install what the tests need (system packages too) and run lint, types and tests
test: system-packages venv-dev compiled lint typecheck pytest e2e

## test-fast: the inner loop, a minute or two: unit tests and route tests against the app
## in process (tests/routes); no lint, no server processes, PostgreSQL or browser. `make
## test` runs these too, with everything else.
test-fast: venv-dev compiled
	$(BIN)/python -m pytest -n $(or $(PYTEST_WORKERS),2) --dist loadfile tests/unit tests/routes $(PYTEST_ARGS)

lint: venv-dev
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

typecheck: venv-dev
	$(BIN)/mypy

pytest: venv-dev
	VENV_BIN=$(BIN) scripts/run-pytest.sh $(PYTEST_ARGS)

## e2e: the desktop app under Xvfb, driven with xdotool (tests/e2e/desktop.sh; skipped
## when its system packages are missing and cannot be installed)
e2e: venv-dev
	VENV_BIN=$(BIN) tests/e2e/desktop.sh $(E2E_ARGS)

system-packages:
	scripts/system-packages.sh

$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "docshelf needs Python 3.11 or newer"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

venv-demo: $(VENV)/.demo-installed
$(VENV)/.demo-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[demo,postgres,desktop]'
	touch $@

$(VENV)/.cluster-installed: pyproject.toml | $(VENV)/.demo-installed
	$(BIN)/python -m pip install --quiet -e '.[cluster]'
	touch $@

venv-dev: $(VENV)/.dev-installed
$(VENV)/.dev-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev,desktop]'
	touch $@ $(VENV)/.demo-installed $(VENV)/.cluster-installed

## catalogues: after changing texts in the code, bring the German and English catalogues
## (src/docshelf/i18n/locale) up to date, translate what is new there, then compile
catalogues: venv-dev
	$(BIN)/python -m docshelf.i18n.tools update
	$(BIN)/python -m docshelf.i18n.tools compile

# The compiled catalogues (not in git): one per language, from all its .po files.
LOCALE   := src/docshelf/i18n/locale
MO_FILES := $(LOCALE)/de/LC_MESSAGES/docshelf.mo $(LOCALE)/en/LC_MESSAGES/docshelf.mo
compiled: $(MO_FILES)
$(MO_FILES) &: $(wildcard $(LOCALE)/*/LC_MESSAGES/*.po) | $(VENV)/.demo-installed
	$(BIN)/python -m docshelf.i18n.tools compile

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build src/*.egg-info
