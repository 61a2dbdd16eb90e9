#!/bin/sh
# Starts LocalStack as the Docker image runs it (its CMD), with the settings the embedded local cloud uses
# on the host (local_cloud/controller.py) and the Lambda runtime installed by install_localstack.sh.
# Every setting can be overridden from the environment (docker-compose.localstack.yml sets a few).
set -eu
PREFIX=${PREFIX:-/opt}
DATA=${LOCALSTACK_DATA:-/var/lib/localstack}
runtime=$(basename "$(ls -d "$PREFIX"/lambda-python3.* | head -1)")
export GATEWAY_LISTEN="${GATEWAY_LISTEN:-0.0.0.0:4566}"
export LOCALSTACK_HOST="${LOCALSTACK_HOST:-localhost:4566}"
export OVERRIDE_IN_DOCKER="${OVERRIDE_IN_DOCKER:-0}"  # LocalStack's own container layout is not used
export FILESYSTEM_ROOT="${FILESYSTEM_ROOT:-$DATA/filesystem}"
export LOCAL_CLOUD_STATE_DIR="${LOCAL_CLOUD_STATE_DIR:-$DATA/local-cloud}"
export TMPDIR="${TMPDIR:-$DATA/tmp}"
export DNS_ADDRESS="${DNS_ADDRESS:-0}" DISABLE_EVENTS="${DISABLE_EVENTS:-1}"
export SKIP_SSL_CERT_DOWNLOAD="${SKIP_SSL_CERT_DOWNLOAD:-1}"
export CFN_IGNORE_UNSUPPORTED_RESOURCE_TYPES="${CFN_IGNORE_UNSUPPORTED_RESOURCE_TYPES:-1}"
export LAMBDA_RUNTIME_EXECUTOR="${LAMBDA_RUNTIME_EXECUTOR:-local-process}"
if [ -z "${LOCAL_CLOUD_LAMBDA_RUNTIMES:-}" ]; then
    LOCAL_CLOUD_LAMBDA_RUNTIMES=$(printf '{"%s": "%s"}' "${runtime#lambda-}" "$PREFIX/$runtime/bin/python")
fi
export LOCAL_CLOUD_LAMBDA_RUNTIMES
mkdir -p "$FILESYSTEM_ROOT" "$LOCAL_CLOUD_STATE_DIR" "$TMPDIR"
cd "$DATA"
exec "$PREFIX/localstack/bin/python" -m localstack.runtime.main
