# secops-metrics: `make demo` and `make test` work on a machine with only Python 3.11 and make.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DAGSTER_HOME ?= $(CURDIR)/.dagster_home
INSTANCE_YAML := orchestration/instance/dagster.yaml
WAREHOUSE ?= $(or $(SECOPS_WAREHOUSE),$(CURDIR)/var/warehouse.duckdb)
DOCS_DIR ?= $(CURDIR)/var/dbt_docs

.PHONY: install demo test ui docs lock bench clean

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

# The instance's run queue admits one run per warehouse ($(INSTANCE_YAML)); a dagster.yaml
# of your own in DAGSTER_HOME (one without that file's first line) is left alone.
ui: install
	@mkdir -p $(DAGSTER_HOME)
	@if [ ! -f $(DAGSTER_HOME)/dagster.yaml ] || [ "$$(head -1 $(DAGSTER_HOME)/dagster.yaml)" = "$$(head -1 $(INSTANCE_YAML))" ]; then \
	  cp $(INSTANCE_YAML) $(DAGSTER_HOME)/dagster.yaml; \
	else echo "ui: keeping your own $(DAGSTER_HOME)/dagster.yaml (see $(INSTANCE_YAML) for the run queue)"; fi
	DAGSTER_HOME=$(DAGSTER_HOME) $(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

# dbt's static docs site of the metric tables (descriptions, columns, lineage, exposures),
# read from the warehouse's catalog: $(DOCS_DIR)/static_index.html, outside the tracked tree.
docs: install
	@test -f "$(WAREHOUSE)" || { echo "docs: no warehouse at $(WAREHOUSE); run 'make demo' or 'secops run' first"; exit 1; }
	SECOPS_WAREHOUSE="$(WAREHOUSE)" $(BIN)/dbt docs generate --static --quiet \
	  --project-dir dbt_project --profiles-dir dbt_project --target-path "$(DOCS_DIR)" \
	  --select path:models/marts path:models/operational
	@echo "dbt docs: $(DOCS_DIR)/static_index.html"

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
