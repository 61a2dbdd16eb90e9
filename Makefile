# Every target sets up what it needs, idempotently: a fresh clone needs only `make run` or `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV            := .venv
LOCALSTACK_VENV := .venv-localstack
PY              := $(VENV)/bin/python
STATE           := .state
TORCH_CPU_INDEX ?= https://download.pytorch.org/whl/cpu

.PHONY: help
help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

# --- environments ------------------------------------------------------------------------------
$(VENV)/.stamp: requirements/ml.txt requirements/dev.txt console/requirements.txt pyproject.toml observability/pyproject.toml
	@py=$$(scripts/find_python.sh 3.11) && { [ -x $(PY) ] || $$py -m venv $(VENV); }
	$(PY) -m pip install -q --upgrade pip
	@# torch's CPU build first (a local wheel if pip's find-links has one, else PyTorch's CPU index):
	@# PyPI's plain torch is a multi-GB CUDA build. The pin in requirements/ml.txt is then satisfied.
	@torch=$$(grep -E '^torch==' requirements/ml.txt | cut -d' ' -f1); \
	  $(PY) -m pip install -q --no-deps --no-index "$$torch" 2>/dev/null \
	  || $(PY) -m pip install -q --no-deps --index-url $(TORCH_CPU_INDEX) "$$torch"
	$(PY) -m pip install -q -r requirements/ml.txt -r requirements/dev.txt -r console/requirements.txt -e . -e observability
	@touch $@

.PHONY: venv
venv: $(VENV)/.stamp ## the project's ML environment (Python 3.11)

$(LOCALSTACK_VENV)/.stamp: requirements/localstack.txt $(wildcard local_cloud/plugins/pyproject.toml)
	@py=$$(scripts/find_python.sh 3.13) && { [ -x $(LOCALSTACK_VENV)/bin/python ] || $$py -m venv $(LOCALSTACK_VENV); }
	$(LOCALSTACK_VENV)/bin/python -m pip install -q --upgrade pip
	$(LOCALSTACK_VENV)/bin/python -m pip install -q -r requirements/localstack.txt
	@if [ -f local_cloud/plugins/pyproject.toml ]; then $(LOCALSTACK_VENV)/bin/python -m pip install -q -e local_cloud/plugins; fi
	@touch $@

.PHONY: localstack-venv
localstack-venv: $(LOCALSTACK_VENV)/.stamp ## LocalStack's own environment (Python 3.13) with the project's plugins

SAM_VENV := .venv-sam
$(SAM_VENV)/.stamp: requirements/sam.txt
	@py=$$(scripts/find_python.sh 3.12 3.11) && { [ -x $(SAM_VENV)/bin/python ] || $$py -m venv $(SAM_VENV); }
	$(SAM_VENV)/bin/python -m pip install -q --upgrade pip
	$(SAM_VENV)/bin/python -m pip install -q -r requirements/sam.txt
	@touch $@

.PHONY: sam-venv
sam-venv: $(SAM_VENV)/.stamp ## SAM CLI and samlocal in their own environment

# Debian packages the tests need, installed when missing (scripts/debian_packages.sh: one apt-get call, as
# root or with sudo). Where that cannot be done the target fails saying what to install: a test whose
# dependency is missing fails, it never skips.
.PHONY: prometheus
prometheus: ## install Debian's prometheus package (prometheus + promtool) if missing
	@scripts/debian_packages.sh prometheus:prometheus promtool:prometheus

.PHONY: postgres
postgres: ## PostgreSQL on 127.0.0.1:5432 for the storage tests (Debian's package): installed and started if needed
	@scripts/ensure_postgres.sh

# The Lambda runtime the functions declare (template.yaml's LambdaRuntime; layers/lambda_build.mk builds
# for it) and a Lambda-like interpreter of that version for the embedded local cloud: awslambdaric and
# boto3 only, no pip, nothing of the project's environment.
LAMBDA_RUNTIME      ?= python3.12
LAMBDA_RUNTIME_VENV := .venv-lambda-$(LAMBDA_RUNTIME)
$(LAMBDA_RUNTIME_VENV)/.stamp: requirements/lambda-runtime.txt
	@py=$$(scripts/find_python.sh $(patsubst python%,%,$(LAMBDA_RUNTIME))) && \
		{ [ -x $(LAMBDA_RUNTIME_VENV)/bin/python ] || $$py -m venv --without-pip $(LAMBDA_RUNTIME_VENV); } && \
		$$py -m pip --python $(LAMBDA_RUNTIME_VENV)/bin/python install -q --disable-pip-version-check \
			-r requirements/lambda-runtime.txt
	@touch $@

.PHONY: lambda-runtime-venv
lambda-runtime-venv: $(LAMBDA_RUNTIME_VENV)/.stamp ## the functions' runtime for the local cloud (LAMBDA_RUNTIME, default python3.12)

LOCAL_CLOUD_ENVS := venv localstack-venv sam-venv lambda-runtime-venv

# `docker compose config` checks docker-compose.localstack.yml without a Docker engine; where the docker
# client has no compose plugin, Debian's docker-compose does it.
.PHONY: compose-checker
compose-checker:
	@docker compose version >/dev/null 2>&1 || scripts/debian_packages.sh docker-compose:docker-compose

# What `make test` needs besides the environments, in one apt-get call, then PostgreSQL started.
.PHONY: test-packages
test-packages:
	@scripts/debian_packages.sh prometheus:prometheus promtool:prometheus pg_ctlcluster:postgresql \
		chromium:chromium chromedriver:chromium-driver \
		$$(docker compose version >/dev/null 2>&1 || echo docker-compose:docker-compose)
	@scripts/ensure_postgres.sh

# --- the two commands of the README -------------------------------------------------------------
.PHONY: run
run: $(LOCAL_CLOUD_ENVS) prometheus ## the main job: local cloud, deploy, training pipeline, model on the API, the UIs
	$(PY) -m stack run $(RUN_ARGS)

# The environments and packages are set up side by side (each is mostly waiting on downloads and disk),
# then every test runs; the 15 slowest are listed at the end.
.PHONY: test
test: ## every test
	@$(MAKE) --no-print-directory -j4 --output-sync=target $(LOCAL_CLOUD_ENVS) test-packages
	$(VENV)/bin/pytest --durations=15 $(PYTEST_ARGS)

# --- the rest ---------------------------------------------------------------------------------
.PHONY: train-local
train-local: venv ## the ML core alone, no cloud: every model kind on the shipped data (TRAIN_ARGS="--trials 5")
	$(PY) -m review_sentiment.cli run $(TRAIN_ARGS)

.PHONY: lint
lint: venv ## ruff
	$(VENV)/bin/ruff check .

.PHONY: openapi
openapi: venv ## regenerate openapi/inference.json from the inference handler's models (a test checks it)
	$(PY) scripts/export_openapi.py

.PHONY: bench
bench: venv ## benchmarks that print figures
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

# --- the embedded local cloud (LocalStack on the host, no Docker) -------------------------------
TEMPLATE ?= template.yaml
EVENT    ?=
LOCAL_CLOUD := $(PY) -m local_cloud

.PHONY: up
up: venv localstack-venv lambda-runtime-venv ## start the local cloud (LOCAL_CLOUD_PORT, default 4566) and wait until healthy
	$(LOCAL_CLOUD) up

.PHONY: down
down: ## stop the local cloud, every Lambda environment it started, the exporter, Prometheus and the UIs
	@if [ -x $(PY) ]; then $(PY) -m stack ui --stop; $(PY) -m stack metrics --stop; $(LOCAL_CLOUD) down; fi

.PHONY: ui mlflow-ui optuna-dashboard
ui: venv ## the operator's console (Streamlit) on the local stack, in the background (CONSOLE_PORT, 8501)
	$(PY) -m stack ui console
mlflow-ui: venv ## the MLflow UI on the stack's tracking store, in the background (MLFLOW_UI_PORT, 5000)
	$(PY) -m stack ui mlflow
optuna-dashboard: venv ## optuna-dashboard on the training jobs' study storage (OPTUNA_DASHBOARD_PORT, 8080)
	$(PY) -m stack ui optuna

.PHONY: status
status: ## is the local cloud running and healthy?
	$(LOCAL_CLOUD) status

.PHONY: logs
logs: ## LocalStack's log (follow it)
	$(LOCAL_CLOUD) logs -f

# One deploy path (local_cloud.deploy.deploy) either way; the project's stack adds its parameters and the
# Glue job code, exactly as `make run` deploys it.
.PHONY: deploy
deploy: $(LOCAL_CLOUD_ENVS) ## sam build + deploy to the local cloud: the stack as `make run` does, or TEMPLATE=<another>
ifeq ($(TEMPLATE),template.yaml)
	$(PY) -m stack deploy
else
	$(LOCAL_CLOUD) deploy --template $(TEMPLATE)
endif

.PHONY: invoke
invoke: venv ## invoke a deployed function without Docker: make invoke FUNCTION=<LogicalId> EVENT=events/<file>.json
	@test -n "$(FUNCTION)" || { echo "usage: make invoke FUNCTION=<LogicalId> [EVENT=events/<file>.json]"; exit 2; }
	$(LOCAL_CLOUD) invoke $(FUNCTION) --template $(TEMPLATE) $(if $(EVENT),-e $(EVENT))

.PHONY: lambda-sizes
lambda-sizes: venv sam-venv ## sam build (for AWS, into .aws-sam/build) and each function's unzipped size with layers
	.venv-sam/bin/sam build --config-env aws --template-file $(TEMPLATE)
	$(PY) -m stack sizes --build-dir .aws-sam/build

.PHONY: validate
validate: sam-venv ## sam validate --lint on TEMPLATE
	.venv-sam/bin/sam validate --lint --template-file $(TEMPLATE)
