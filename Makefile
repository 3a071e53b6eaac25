# OpsRunbook developer commands. Every target installs what it needs first.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# checkov conflicts with the project's boto3/packaging pins: it gets a venv of its own.
TOOLS := .venv-tools
TOOLS_STAMP := $(TOOLS)/.installed
CHECKOV_VERSION := 3.3.30
# jsii (under aws-cdk-lib) prints an end-of-life banner for node 20 unless told to accept it.
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 18,20

.PHONY: install tools storage-template test test-unit test-integration lint typecheck demo bench chaos soak clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,deploy]'
	@# bytecode for the editable sources even where PYTHONDONTWRITEBYTECODE is set: every run worker imports them
	$(BIN)/python -m compileall -q contracts opsrunbook_api opsrunbook_dagster
	@touch $(STAMP)

# Policy checks on the synthesized CloudFormation templates (tests/infra).
tools: $(TOOLS_STAMP)

$(TOOLS_STAMP):
	@test -x $(TOOLS)/bin/python || $(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --upgrade pip
	$(TOOLS)/bin/python -m pip install --quiet 'checkov==$(CHECKOV_VERSION)'
	@touch $(TOOLS_STAMP)

# Rewrite the sandbox's cached copy of the storage stack's template after changing infra/cdk.
storage-template: install
	cd infra/cdk && ../../$(BIN)/python -m opsrunbook_cdk.synth --outdir cdk.out --write-storage-template

test: install tools
	$(BIN)/python -m pytest -q

test-unit: install tools
	$(BIN)/python -m pytest -q -m "not integration"

test-integration: install
	$(BIN)/python -m pytest -q -m integration

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# The demo acts for real, but only against local fakes of Jira, Teams and GitHub.
demo: install
	$(BIN)/opsrunbook demo --live-actions

# Benchmarks write JSON into benchmarks/results/ (never timed unit tests).
bench: install
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python -m benchmarks.pipeline_bench
	$(BIN)/python -m benchmarks.api_bench
	$(BIN)/python -m benchmarks.loghub_ga
	$(BIN)/python -m benchmarks.nab_windows
	$(BIN)/python -m benchmarks.analyzer_bench
	$(BIN)/python -m benchmarks.pg_pool
	$(BIN)/python -m benchmarks.chart_bench
	$(BIN)/python -m benchmarks.ui_screenshots
	$(BIN)/python -m benchmarks.chaos

# Faults against the real stack (killed workers and daemon, AWS and vendor outages): chaos.json.
chaos: install
	$(BIN)/python -m benchmarks.chaos

# 30 minutes at one incident every 10 s: RSS growth and latency drift (soak.json); not in bench.
soak: install
	$(BIN)/python -m benchmarks.soak

clean:
	rm -rf $(VENV) $(TOOLS) infra/cdk/cdk.out .pytest_cache .ruff_cache .mypy_cache build *.egg-info
