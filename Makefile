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
VERBOSE      ?= 0
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
# The environment root applied by plan/apply/preflight: terraform/environments/$(WORKSPACE), with
# its S3 backend file when it has one (local has none: its state stays on the machine).
ENV_ROOT     := terraform/environments/$(WORKSPACE)
TF           := terraform -chdir=$(ENV_ROOT)
BACKEND_FILE := $(wildcard $(ENV_ROOT)/$(WORKSPACE).s3.tfbackend)
# LocalStack (docker-compose.localstack.yml): the port it publishes on 127.0.0.1
LOCALSTACK_PORT ?= 4566
LOCALSTACK      := docker compose -f docker-compose.localstack.yml
# checkov lives in its own environment: its many exact pins would otherwise constrain uv.lock.
CHECKOV_ENV  := $(TOOLS)/checkov
CHECKOV      := $(CHECKOV_ENV)/bin/checkov
CHECKOV_REQS := scripts/checkov-requirements.txt
# The TypeScript client (@babelcast/web-client): Node >= 20 and npm, dependencies pinned by its package-lock.json
NODE_MIN     := 20
WEB          := packages/web-client
WEB_BIN      := $(WEB)/node_modules/.bin
WEB_SOURCES  := $(shell find $(WEB)/src -name '*.ts' 2>/dev/null) $(WEB)/tsconfig.json $(WEB)/tsconfig.build.json
# The reference speaker and listener apps (web/, Vite): built into web/dist/, served by `make dev`
APPS         := web
APPS_SOURCES := $(shell find $(APPS)/src $(APPS)/public $(APPS)/speaker $(APPS)/listen -type f 2>/dev/null) \
                $(APPS)/index.html $(APPS)/vite.config.ts $(APPS)/tsconfig.json
# Chromium for the browser tests (tests/web): CHROMIUM_PATH, else chromium on PATH (installed with apt when possible)
CHROMIUM_PATH ?= $(shell command -v chromium || command -v chromium-browser || command -v google-chrome || true)
export CHROMIUM_PATH

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

.PHONY: node-check
node-check:
	@command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || \
		{ echo "error: Node.js >= $(NODE_MIN) with npm is needed to build packages/web-client (https://nodejs.org)" >&2; exit 1; }
	@node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= $(NODE_MIN) ? 0 : 1)' || \
		{ echo "error: Node.js >= $(NODE_MIN) is needed to build packages/web-client (found $$(node --version))" >&2; exit 1; }

$(WEB)/node_modules/.installed: $(WEB)/package.json $(WEB)/package-lock.json | node-check
	@echo "==> installing packages/web-client's npm dependencies (npm ci)"
	@cd $(WEB) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(WEB)/dist/index.js: $(WEB)/node_modules/.installed $(WEB_SOURCES)
	@echo "==> building @babelcast/web-client into $(WEB)/dist/ (tsc)"
	@rm -rf $(WEB)/dist
	@cd $(WEB) && node_modules/.bin/tsc -p tsconfig.build.json

$(APPS)/node_modules/.installed: $(APPS)/package.json $(APPS)/package-lock.json $(WEB)/dist/index.js | node-check
	@echo "==> installing web/'s npm dependencies (npm ci)"
	@cd $(APPS) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(APPS)/dist/index.html: $(APPS)/node_modules/.installed $(APPS_SOURCES) $(WEB)/dist/index.js
	@echo "==> building the speaker and listener apps into $(APPS)/dist/ (tsc, vite)"
	@cd $(APPS) && node_modules/.bin/tsc --noEmit && node_modules/.bin/vite build --logLevel warn

.PHONY: web
web: $(APPS)/dist/index.html ## Build the reference speaker and listener apps (web/) that `make dev` serves

.PHONY: chromium
chromium: ## Chromium for the browser tests: installs Debian's `chromium` with apt when it is missing and apt is there (else set CHROMIUM_PATH)
	@if [ -n "$(CHROMIUM_PATH)" ]; then echo "==> Chromium: $(CHROMIUM_PATH)"; \
	elif command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then :; \
	elif command -v apt-get >/dev/null 2>&1; then echo "==> installing Chromium (apt-get install chromium)"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get install -y --no-install-recommends chromium >/dev/null 2>&1 \
		|| { $$SUDO apt-get update >/dev/null && $$SUDO apt-get install -y --no-install-recommends chromium >/dev/null; }; \
	else echo "error: no Chromium found and no apt-get: install Chromium and set CHROMIUM_PATH" >&2; exit 1; fi

.PHONY: install
install: $(VENV)/.synced $(CHECKOV_ENV)/.synced $(WEB)/dist/index.js $(APPS)/node_modules/.installed ## Install Python tooling (incl. checkov) and the workspace, build the TypeScript client (idempotent)

.PHONY: lock
lock: $(UV) ## Re-resolve dependencies into uv.lock and checkov's requirements
	$(UV) lock
	$(UV) pip compile --quiet --universal --python-version 3.11 --generate-hashes $(CHECKOV_REQS:.txt=.in) -o $(CHECKOV_REQS)

# Only the Python workspace: packaging and `make dev` need neither checkov nor Node (make test/checkov do).
.PHONY: package
package: $(VENV)/.synced ## Build reproducible Lambda zips into dist/ (ARCH=x86_64|arm64); a zip whose sources did not change is kept
	@echo "==> packaging functions for $(ARCH)"
	@$(PY) scripts/package_functions.py --architecture $(ARCH)

.PHONY: lint
lint: install ## ruff (lint + format check), terraform fmt -check, biome (the TypeScript client)
	@echo "==> ruff"
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .
	@echo "==> terraform fmt"
	@terraform fmt -check -recursive terraform
	@echo "==> biome (packages/web-client, web)"
	@cd $(WEB) && node_modules/.bin/biome check --error-on-warnings .
	@cd $(APPS) && node_modules/.bin/biome check --error-on-warnings .

.PHONY: checkov
checkov: $(CHECKOV_ENV)/.synced ## Scan terraform/ (root, modules, examples) with checkov, offline; fails on any failed check
	@echo "==> checkov (options: .checkov.yaml)"
	@env -u BC_API_KEY -u PRISMA_API_URL CKV_SKIP_PACKAGE_UPDATE_CHECK=true $(CHECKOV) --config-file .checkov.yaml --quiet

.PHONY: typecheck
typecheck: install ## mypy --strict over packages, functions, scripts and tests; tsc --strict over the TypeScript client
	@echo "==> mypy"
	@$(VENV)/bin/mypy packages functions scripts tests
	@echo "==> tsc (packages/web-client, web)"
	@cd $(WEB) && node_modules/.bin/tsc -p tsconfig.json --noEmit
	@cd $(APPS) && node_modules/.bin/tsc --noEmit

.PHONY: fmt
fmt: install ## Format Python, Terraform and TypeScript in place
	@$(VENV)/bin/ruff check --fix .
	@$(VENV)/bin/ruff format .
	@terraform fmt -recursive terraform
	@cd $(WEB) && node_modules/.bin/biome check --write .
	@cd $(APPS) && node_modules/.bin/biome check --write .

.PHONY: test-unit
test-unit: install ## Unit tests (moto in-process)
	@$(PY) -m pytest tests/unit $(PYTEST_ARGS)

.PHONY: test-web
test-web: install ## Unit tests of the TypeScript client (Vitest; its integration tests run under pytest with the stack)
	@echo "==> vitest (packages/web-client unit tests)"
	@cd $(WEB) && node_modules/.bin/vitest run --config vitest.config.ts

.PHONY: test
test: install package web chromium lint typecheck test-web ## Everything CI runs: install, package, lint, typecheck, all tests
	@echo "==> pytest (unit, contract, packaging, terraform)"
	@$(PY) -m pytest $(PYTEST_ARGS)

# VERBOSE=1: the functions' own logs in the terminal too (they always go to .local/functions.log)
.PHONY: dev
dev: package web ## Run the whole stack locally (emulator + real Terraform + local API Gateway + web apps + pipeline stand-in) until Ctrl-C; VERBOSE=1: function logs too; PIPELINE=0: no stand-in
	@$(if $(filter-out 0,$(VERBOSE)),BABELCAST_DEV_LOGS=functions,) $(VENV)/bin/python -m babelcast_devstack.cli up --no-package $(if $(filter 0 false off no,$(PIPELINE)),--no-pipeline,)

.PHONY: dev-ready-time
dev-ready-time: $(VENV)/.synced ## Measure `make dev` from start to /health answering: first start (zips rebuilt) and restart
	@$(PY) scripts/measure_dev_start.py

.PHONY: dev-user
dev-user: $(VENV)/.synced ## Create another speaker account on the running `make dev` stack
	@$(VENV)/bin/python -m babelcast_devstack.cli user $(if $(USERNAME),--username $(USERNAME),)

.PHONY: dev-segment
dev-segment: install ## Write one translated segment on the running `make dev` stack: SESSION=<id> LANGUAGE=es TEXT="Hola" (docs/architecture.md#the-pipeline-contract)
	@test -n "$(SESSION)" -a -n "$(LANGUAGE)" || { echo 'usage: make dev-segment SESSION=<sessionId> LANGUAGE=es [TEXT="Hola"]' >&2; exit 2; }
	@$(VENV)/bin/python -m babelcast_devstack.cli segment $(SESSION) --language $(LANGUAGE) $(if $(TEXT),--text "$(TEXT)",)

.PHONY: dev-fault
dev-fault: $(VENV)/.synced ## Stall, slow down or fail an AWS service of the running `make dev` stack: FAULT="stall dynamodb --seconds 5" (docs/testing-faults.md)
	@$(VENV)/bin/python -m babelcast_devstack.cli fault $(FAULT)

.PHONY: bench
bench: package ## All performance figures from one local stack (~7 min on 2 cores, the fan-out at scale included): table, .local/reports/bench.json, docs/PERFORMANCE.md
	@PYTHONPATH=scripts $(PY) -m bench $(BENCH_ARGS)

.PHONY: bench-dev
bench-dev: package ## Measure the local stack: ready time, gateway latency overhead, memory
	@PYTHONPATH=scripts $(PY) -m bench.local_stack

.PHONY: bench-ws
bench-ws: package ## Measure broadcast fan-out (parallel vs one by one) and DELETE with 500 listeners
	@PYTHONPATH=scripts $(PY) -m bench.websocket

.PHONY: bench-fanout
bench-fanout: package ## Fan-out at scale (issue 17): 1 000 WebSocket + 10 000 modelled listeners, deployed vs one invocation
	@PYTHONPATH=scripts $(PY) -m bench.fanout $(BENCH_ARGS)

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
plan: package ## terraform plan of terraform/environments/WORKSPACE (dev|staging|prod|local) with your AWS credentials
	@test -f $(ENV_ROOT)/main.tf || { echo "no environment root $(ENV_ROOT)"; exit 2; }
	@$(TF) init -input=false -reconfigure $(if $(BACKEND_FILE),-backend-config=$(notdir $(BACKEND_FILE)),) >/dev/null
	@$(TF) plan -input=false -out=$(WORKSPACE).tfplan

.PHONY: apply
apply: ## Apply the plan made by `make plan WORKSPACE=...`
	@$(TF) apply -input=false $(WORKSPACE).tfplan

.PHONY: preflight
preflight: install ## Check with your AWS credentials what WORKSPACE needs before its first apply (account, API Gateway logging role, pools, topics, certificates, quotas)
	@$(PY) scripts/preflight.py $(WORKSPACE)

.PHONY: clean
clean: ## Remove build outputs and caches (keeps .venv and .tools)
	rm -rf dist build .pytest_cache .mypy_cache .ruff_cache $(WEB)/dist $(APPS)/dist
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
