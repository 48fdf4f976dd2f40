# finproc.dr: every task a developer or CI runs. Nothing relies on what happens to be installed:
# `make install` builds .venv from the pinned requirements; the emulator installs its own venvs.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := $(CURDIR)/.venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PATH := $(BIN):$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export PIP_DISABLE_PIP_VERSION_CHECK := 1
# Sources the emulator's environment (endpoints, dummy credentials) into a recipe line.
WITH_EMULATOR := eval "$$($(PYTHON) scripts/emulator.py env)" &&

.PHONY: help install emulator-up emulator-down emulator-install lint lint-yaml lint-python lint-ansible \
        sanity unit checks integration molecule molecule-beside test demo bench clean

help:
	@echo "make demo          install, start the embedded emulator, deploy every region, print a summary"
	@echo "make test          install and run every check (lint, unit, integration, molecule)"
	@echo "make emulator-up   start the embedded emulator (writes .emulator/env); emulator-down stops it"
	@echo "make bench         converge, no-op, check, destroy beside Terraform's apply/plan/destroy (REGIONS=N RUNS=k)"

install: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt
	@echo "== installing .venv (pinned requirements)"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --upgrade pip > $(VENV)/install.log 2>&1
	@$(BIN)/python -m pip install -r requirements-dev.txt >> $(VENV)/install.log 2>&1 \
	  || { tail -n 30 $(VENV)/install.log; exit 1; }
	@touch $@

emulator-up:
	@$(PYTHON) scripts/emulator.py up

# Also the instances the integration tests' second worker starts (tests/integration/conftest.py).
emulator-down:
	@$(PYTHON) scripts/emulator.py down
	@for n in 1 2; do FINPROC_EMULATOR_INSTANCE=$$n $(PYTHON) scripts/emulator.py down; done

emulator-install:
	@$(PYTHON) scripts/emulator.py install

lint: lint-yaml lint-python lint-ansible sanity

lint-yaml: install
	yamllint -s .

lint-python: install
	ruff check .
	ruff format --check .

lint-ansible: install
	ansible-lint --offline --profile production

sanity: install
	scripts/sanity.sh

unit: install
	pytest -q -n 2 tests/unit tests/packaging

# Two shards at once, each on an emulator of its own (shard 2 starts instance 1: tests/integration/conftest.py,
# scripts/shards.py); a shard's output shows when it ends.
integration: install emulator-up
	$(MAKE) --no-print-directory -j2 --output-sync=target integration-shard-1 integration-shard-2

integration-shard-%: install emulator-up
	$(WITH_EMULATOR) FINPROC_TEST_SHARD=$*/2 pytest -q --durations=10 tests/integration

# failover = the default scenario's every step + the drill (tests/unit/scripts/test_molecule.py).
MOLECULE_SCENARIOS := molecule test -s failover && molecule test -s localstack
molecule: install
	$(WITH_EMULATOR) $(MOLECULE_SCENARIOS)

# The same scenarios on instance 2 of the emulator (their create and destroy start and stop it), so that
# make test runs them beside the integration shards; the localstack scenario takes that instance's LocalStack.
molecule-beside: install
	export FINPROC_EMULATOR_INSTANCE=2 && $(WITH_EMULATOR) export FINPROC_LOCALSTACK_URL="$$AWS_ENDPOINT_URL_S3" \
	  && $(MOLECULE_SCENARIOS)

# The emulator's own installation (mostly downloading and unpacking) starts first; beside it, what
# needs no emulator.
checks: lint unit

# Then the emulator's tests: the integration shards and the molecule scenarios at once, each on an emulator
# instance of its own (2 cores: the three keep both busy to the end).
test: install
	$(MAKE) --no-print-directory -j3 --output-sync=target emulator-install checks
	$(MAKE) --no-print-directory emulator-up
	$(MAKE) --no-print-directory -j3 --output-sync=target integration-shard-1 integration-shard-2 molecule-beside
	@echo "== make test: every check passed"

demo: install emulator-up
	$(WITH_EMULATOR) ansible-playbook site.yml

# Times converge / no-op / check / destroy beside the Terraform reference (docs/performance.md);
# REGIONS=N: an N-region inventory (ours alone unless 2), RUNS=k: medians. The emulator installs itself.
REGIONS ?= 2
RUNS ?= 1
bench: install
	python scripts/bench.py --regions $(REGIONS) --runs $(RUNS)

clean: emulator-down
	rm -rf $(VENV) .emulator build reports .pytest_cache .ruff_cache
