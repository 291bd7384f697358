# WattDesk: `make run` (local runtime with the web pages) and `make test` (the whole suite).
# Both create .venv and install the pinned dependencies on first use; only Python 3.11+ is needed.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 3000
PYTEST_WORKERS ?= 2
ARGS ?=

export PYTHONPATH := $(CURDIR)/layers/common:$(CURDIR)/local
export HYPOTHESIS_STORAGE_DIRECTORY := $(CURDIR)/.hypothesis

.PHONY: run test lint unit docs bench bench-billing reset install clean

include Makefile.browser

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("WattDesk needs Python 3.11 or newer, this is " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/python -m wattdesk_local --port $(PORT) $(ARGS)

test: $(STAMP) lint browser
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadgroup -q

lint: $(STAMP)
	$(BIN)/cfn-lint template.yaml

unit: $(STAMP)
	$(BIN)/python -m pytest -m unit -q

docs: $(STAMP)
	$(BIN)/python -m wattdesk_local.diagrams docs/statemachines

bench: $(STAMP)
	$(BIN)/python benchmarks/local_runtime.py

bench-billing: $(STAMP)
	$(BIN)/python benchmarks/billing_run.py $(CONTRACTS)

reset:
	rm -rf .wattdesk

clean: reset
	rm -rf $(VENV) .pytest_cache .hypothesis
