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

# Prometheus and promtool from Debian's package (the metrics tests and `make run` use them); skipped where
# they exist, and where apt-get does not (`make run` then starts the exporter alone).
.PHONY: prometheus
prometheus: ## install Debian's prometheus package (prometheus + promtool) if missing
	@if command -v prometheus >/dev/null && command -v promtool >/dev/null; then exit 0; fi; \
	if ! command -v apt-get >/dev/null; then echo "no apt-get: install Prometheus 2.x yourself for the metrics tests"; exit 0; fi; \
	as_root=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	if [ -n "$$as_root" ] && ! command -v sudo >/dev/null; then echo "not root and no sudo: apt-get install prometheus yourself"; exit 0; fi; \
	$$as_root apt-get -o DPkg::Lock::Timeout=300 update -qq && \
	DEBIAN_FRONTEND=noninteractive $$as_root apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends prometheus

# Debian's chromium (and chromedriver) for the console's browser tests: playwright drives /usr/bin/chromium
# and never downloads a browser of its own. Skipped where it exists, and where apt-get does not.
.PHONY: chromium
chromium: ## install Debian's chromium and chromium-driver if missing (the console's browser tests)
	@if command -v chromium >/dev/null; then exit 0; fi; \
	if ! command -v apt-get >/dev/null; then echo "no apt-get: install chromium yourself for the browser tests"; exit 0; fi; \
	as_root=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	if [ -n "$$as_root" ] && ! command -v sudo >/dev/null; then echo "not root and no sudo: apt-get install chromium yourself"; exit 0; fi; \
	$$as_root apt-get -o DPkg::Lock::Timeout=300 update -qq && \
	DEBIAN_FRONTEND=noninteractive $$as_root apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends chromium chromium-driver

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
# client has no compose plugin, Debian's docker-compose does it (installed here when apt-get can).
.PHONY: compose-checker
compose-checker:
	@docker compose version >/dev/null 2>&1 || command -v docker-compose >/dev/null || \
	{ command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ] && echo "installing Debian's docker-compose ..." && \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >/dev/null; } || \
	echo "note: no docker compose; install Debian's docker-compose for tests/local_cloud/test_compose.py"

# --- the two commands of the README -------------------------------------------------------------
.PHONY: run
run: $(LOCAL_CLOUD_ENVS) prometheus ## the main job: local cloud, deploy, training pipeline, model on the API, the UIs
	$(PY) -m stack run $(RUN_ARGS)

.PHONY: test
test: $(LOCAL_CLOUD_ENVS) compose-checker prometheus chromium ## every test
	$(VENV)/bin/pytest

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

.PHONY: deploy
deploy: $(LOCAL_CLOUD_ENVS) ## sam build + deploy TEMPLATE (template.yaml) to the local cloud
	$(LOCAL_CLOUD) deploy --template $(TEMPLATE)

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
