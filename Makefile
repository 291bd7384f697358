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

.PHONY: run test lint unit docs bench bench-billing reset install clean fuzz audit

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
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadgroup -q --durations=15

lint: $(STAMP)
	$(BIN)/cfn-lint template.yaml

unit: $(STAMP)
	$(BIN)/python -m pytest -m unit -q

docs: $(STAMP)
	$(BIN)/python -m wattdesk_local.diagrams docs/statemachines

# Hostile input (#12): schemathesis against every route with 1,000 examples each (make test runs
# a short profile of the same tests; numbers in docs/hostile-input.md). FUZZ_EXAMPLES to change it.
FUZZ_EXAMPLES ?= 1000
fuzz: $(STAMP)
	WATTDESK_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest -n $(PYTEST_WORKERS) -q tests/fuzz

bench: $(STAMP)
	$(BIN)/python benchmarks/local_runtime.py

bench-billing: $(STAMP)
	$(BIN)/python benchmarks/billing_run.py $(CONTRACTS)

# Security scans (issue 12; docs/security.md lists every suppression and why). Fails on any new finding.
CHECKOV_VERSION := 3.3.30
CHECKOV := $(VENV)/checkov/bin/checkov
CHECKOV_SKIPS := CKV_AWS_18,CKV_AWS_158,CKV_AWS_115,CKV_AWS_116,CKV_AWS_117,CKV_AWS_119,CKV_AWS_120,CKV_AWS_173,CKV_AWS_27

$(CHECKOV):
	$(PYTHON) -m venv $(VENV)/checkov
	$(VENV)/checkov/bin/python -m pip install --quiet --disable-pip-version-check checkov==$(CHECKOV_VERSION)

audit: $(STAMP) $(CHECKOV)
	@echo "== bandit (layers functions local; known findings in docs/bandit-baseline.json)"
	$(BIN)/bandit -q -r layers functions local -b docs/bandit-baseline.json
	@echo "== cfn-lint"
	$(BIN)/cfn-lint template.yaml
	@echo "== checkov (skips: $(CHECKOV_SKIPS))"
	BC_SKIP_MAPPING=TRUE $(CHECKOV) -f template.yaml --framework cloudformation --compact --quiet --skip-download --skip-check $(CHECKOV_SKIPS)
	@echo "== pip-audit (layers/common/requirements.txt, then the installed dev environment)"
	@for args in "-r layers/common/requirements.txt --no-deps --disable-pip" ""; do \
	  out=$$($(BIN)/pip-audit $$args --progress-spinner off 2>&1); rc=$$?; echo "$$out" | grep -v "^WARNING:pip_audit"; \
	  if [ $$rc -ne 0 ]; then echo "pip-audit found vulnerabilities (or failed)"; exit $$rc; fi; \
	  skipped=$$(echo "$$out" | grep -c "could not be audited"); \
	  if [ $$skipped -gt 0 ]; then \
	    echo "!! pip-audit: $$skipped packages NOT AUDITED: no vulnerability source reachable from this machine (PyPI JSON API / OSV)."; \
	    echo "!! 'No known vulnerabilities found' above means nothing for them. Run make audit where PyPI/OSV is reachable (docs/security.md)."; \
	    if [ -n "$(AUDIT_STRICT)" ]; then exit 3; fi; \
	  fi; \
	done

reset:
	rm -rf .wattdesk

clean: reset
	rm -rf $(VENV) .pytest_cache .hypothesis
