# secops-metrics: `make demo` and `make test` work on a machine with only Python 3.11 and make.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DAGSTER_HOME ?= $(CURDIR)/.dagster_home

.PHONY: install demo test ui lock bench clean

install: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "secops-metrics needs Python 3.11 (set PYTHON=...)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $(STAMP)

demo: install
	$(BIN)/secops demo

test: install
	$(BIN)/pytest -q

ui: install
	@mkdir -p $(DAGSTER_HOME)
	DAGSTER_HOME=$(DAGSTER_HOME) $(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

bench: install
	$(BIN)/python bench/run.py

# Re-resolve the locked set from the top-level pins in pyproject.toml.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet setuptools wheel .
	{ echo "# Exact versions of every package; 'make install' resolves this set and nothing else."; \
	  echo "# Regenerate with: make lock (after changing the top-level pins in pyproject.toml)."; \
	  .lock-venv/bin/python -m pip freeze --all --exclude secops-metrics | grep -v '^pip==' | sort -f; } > requirements.lock
	rm -rf .lock-venv

clean:
	rm -rf var .dagster_home dbt_project/target dbt_project/logs
