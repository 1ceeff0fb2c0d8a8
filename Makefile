# Babelcast session backend. `make help` lists the targets.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON       ?= python3
TOOLS        := .tools
UV           := $(TOOLS)/bin/uv
UV_VERSION   := 0.13.9
VENV         := .venv
PY           := $(VENV)/bin/python
WORKSPACE    ?= dev
ARCH         ?= x86_64
PYTEST_ARGS  ?=
BENCH_ARGS   ?=
FUZZ_EXAMPLES ?= 150
FUZZ_STEPS    ?= 40
FUZZ_FRAMES   ?= 1000
export UV
export UV_PROJECT_ENVIRONMENT := $(VENV)
export LAMBDA_ARCHITECTURE := $(ARCH)
# Terraform CLI config: a generated one when a provider mirror is found (air-gapped machines),
# otherwise the user's own (or none: the public registry).
TF_CLI_CONFIG_FILE := $(shell $(PYTHON) scripts/terraform_cli_config.py)
export TF_CLI_CONFIG_FILE
TF           := terraform -chdir=terraform
# LocalStack (docker-compose.localstack.yml): the port it publishes on 127.0.0.1
LOCALSTACK_PORT ?= 4566
LOCALSTACK      := docker compose -f docker-compose.localstack.yml
# checkov lives in its own environment: its many exact pins would otherwise constrain uv.lock.
CHECKOV_ENV  := $(TOOLS)/checkov
CHECKOV      := $(CHECKOV_ENV)/bin/checkov
CHECKOV_REQS := scripts/checkov-requirements.txt

.PHONY: help
help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(UV):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python >= 3.11 is required")'
	@echo "==> bootstrapping uv $(UV_VERSION) into $(TOOLS)/"
	@$(PYTHON) -m venv $(TOOLS)
	@$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.synced: $(UV) pyproject.toml uv.lock packages/*/pyproject.toml functions/*/pyproject.toml
	@echo "==> installing the workspace into $(VENV)/ (uv sync --frozen)"
	@$(UV) sync --frozen --quiet
	@touch $@

$(CHECKOV_ENV)/.synced: $(UV) $(CHECKOV_REQS)
	@echo "==> installing checkov into $(CHECKOV_ENV)/ (pinned, hashed: $(CHECKOV_REQS))"
	@$(UV) venv --quiet --allow-existing --python $(PYTHON) $(CHECKOV_ENV)
	@$(UV) pip sync --quiet --require-hashes --python $(CHECKOV_ENV)/bin/python $(CHECKOV_REQS)
	@touch $@

.PHONY: install
install: $(VENV)/.synced $(CHECKOV_ENV)/.synced ## Install Python tooling (incl. checkov) and the workspace (idempotent)

.PHONY: lock
lock: $(UV) ## Re-resolve dependencies into uv.lock and checkov's requirements
	$(UV) lock
	$(UV) pip compile --quiet --universal --python-version 3.11 --generate-hashes $(CHECKOV_REQS:.txt=.in) -o $(CHECKOV_REQS)

.PHONY: package
package: install ## Build reproducible Lambda zips into dist/ (ARCH=x86_64|arm64)
	@echo "==> packaging functions for $(ARCH)"
	@$(PY) scripts/package_functions.py --architecture $(ARCH)

.PHONY: lint
lint: install ## ruff (lint + format check) and terraform fmt -check
	@echo "==> ruff"
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .
	@echo "==> terraform fmt"
	@terraform fmt -check -recursive terraform

.PHONY: checkov
checkov: $(CHECKOV_ENV)/.synced ## Scan terraform/ (root, modules, examples) with checkov, offline; fails on any failed check
	@echo "==> checkov (options: .checkov.yaml)"
	@env -u BC_API_KEY -u PRISMA_API_URL CKV_SKIP_PACKAGE_UPDATE_CHECK=true $(CHECKOV) --config-file .checkov.yaml --quiet

.PHONY: typecheck
typecheck: install ## mypy --strict over packages, functions, scripts and tests
	@echo "==> mypy"
	@$(VENV)/bin/mypy packages functions scripts tests

.PHONY: fmt
fmt: install ## Format Python and Terraform in place
	@$(VENV)/bin/ruff check --fix .
	@$(VENV)/bin/ruff format .
	@terraform fmt -recursive terraform

.PHONY: test-unit
test-unit: install ## Unit tests (moto in-process)
	@$(PY) -m pytest tests/unit $(PYTEST_ARGS)

.PHONY: test
test: package lint typecheck ## Everything CI runs: install, package, lint, typecheck, all tests
	@echo "==> pytest (unit, contract, packaging, terraform)"
	@$(PY) -m pytest $(PYTEST_ARGS)

.PHONY: dev
dev: package ## Run the whole stack locally (emulator + real Terraform + local API Gateway) until Ctrl-C
	@$(VENV)/bin/python -m babelcast_devstack.cli up --no-package

.PHONY: dev-user
dev-user: install ## Create another speaker account on the running `make dev` stack
	@$(VENV)/bin/python -m babelcast_devstack.cli user $(if $(USERNAME),--username $(USERNAME),)

.PHONY: dev-fault
dev-fault: install ## Stall, slow down or fail an AWS service of the running `make dev` stack: FAULT="stall dynamodb --seconds 5" (docs/testing-faults.md)
	@$(VENV)/bin/python -m babelcast_devstack.cli fault $(FAULT)

.PHONY: bench
bench: package ## All performance figures from one local stack (~3 min on an idle machine): table, .local/reports/bench.json, docs/PERFORMANCE.md
	@$(PY) scripts/bench.py $(BENCH_ARGS)

.PHONY: bench-dev
bench-dev: package ## Measure the local stack: ready time, gateway latency overhead, memory
	@$(PY) scripts/bench_local_stack.py

.PHONY: bench-ws
bench-ws: package ## Measure broadcast fan-out (parallel vs one by one) and DELETE with 500 listeners
	@$(PY) scripts/bench_websocket.py

.PHONY: bench-faults
bench-faults: package ## What clients see while DynamoDB is stalled 5 s and 14 s: answer times and codes (scripts/measure_faults.py)
	@$(PY) scripts/measure_faults.py

.PHONY: localstack-up
localstack-up: ## Start LocalStack (Pro by default: export LOCALSTACK_AUTH_TOKEN) and wait until it is healthy
	LOCALSTACK_PORT=$(LOCALSTACK_PORT) $(LOCALSTACK) up -d --wait

.PHONY: localstack-test
localstack-test: package ## Integration tests with LocalStack as the emulator (after localstack-up; docs/localstack.md)
	AWS_ENDPOINT_URL=http://127.0.0.1:$(LOCALSTACK_PORT) $(PY) -m pytest tests/integration $(PYTEST_ARGS)

.PHONY: localstack-down
localstack-down: ## Stop LocalStack and delete its container, its volume and the test run's Terraform state
	LOCALSTACK_PORT=$(LOCALSTACK_PORT) $(LOCALSTACK) down --volumes
	rm -rf .local/integration-external

.PHONY: fuzz
fuzz: package ## schemathesis against docs/openapi.yaml, the adversarial state machine and WebSocket frame fuzzing, on a fresh local stack
	@echo "==> schemathesis: $(FUZZ_EXAMPLES) examples per operation, mode and target; $(FUZZ_STEPS) state-machine runs; $(FUZZ_FRAMES) frames per socket"
	@BABELCAST_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) BABELCAST_FUZZ_STEPS=$(FUZZ_STEPS) BABELCAST_FUZZ_FRAMES=$(FUZZ_FRAMES) \
		BABELCAST_FUZZ_EXPLORE=1 $(PY) -m pytest tests/integration/test_openapi_fuzz.py \
		tests/integration/test_adversarial_fuzz.py --timeout 3600 $(PYTEST_ARGS)

.PHONY: plan
plan: package ## terraform plan for WORKSPACE (dev|staging|prod|local) against your AWS credentials
	@$(TF) init -input=false >/dev/null
	@$(TF) workspace select -or-create $(WORKSPACE)
	@$(TF) plan -input=false -var-file=workspaces/$(WORKSPACE).tfvars -out=$(WORKSPACE).tfplan

.PHONY: apply
apply: ## Apply the plan made by `make plan WORKSPACE=...`
	@$(TF) workspace select $(WORKSPACE)
	@$(TF) apply -input=false $(WORKSPACE).tfplan

.PHONY: clean
clean: ## Remove build outputs and caches (keeps .venv and .tools)
	rm -rf dist build .pytest_cache .mypy_cache .ruff_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
