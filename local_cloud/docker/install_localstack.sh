#!/bin/sh
# Installs the local cloud as the Docker image runs it, into PREFIX (default /opt), from the repository
# root (the current directory): LocalStack's own runtime from PyPI (localstack-core with the host's pins,
# requirements/localstack.txt; no LocalStack image, so no auth token), the project's plugins, and a
# Lambda-like interpreter for the functions' runtime (awslambdaric + boto3, requirements/lambda-runtime.txt).
#   PYTHON         LocalStack's Python: 3.13 (localstack-core 2026.3.0 imports `warnings.deprecated`, new in 3.13)
#   LAMBDA_PYTHON  a Python of the functions' runtime version (3.12 for python3.12)
# The image's Dockerfile runs this; tests/local_cloud/test_docker_image.py runs it on the host.
set -eu
PREFIX=${PREFIX:-/opt}
PYTHON=${PYTHON:-python3.13}
LAMBDA_PYTHON=${LAMBDA_PYTHON:-python3.12}
version=$("$LAMBDA_PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
pip_flags="--quiet --disable-pip-version-check"

"$PYTHON" -m venv "$PREFIX/localstack"
# the plugins are built from a copy: a build leaves build/ and *.egg-info beside the sources
plugins=$(mktemp -d)
cp -R local_cloud/plugins/. "$plugins/"
rm -rf "$plugins/build" "$plugins"/*.egg-info
# shellcheck disable=SC2086
"$PREFIX/localstack/bin/python" -m pip install $pip_flags --no-compile -r requirements/localstack.txt "$plugins"
rm -rf "$plugins"

"$LAMBDA_PYTHON" -m venv --without-pip "$PREFIX/lambda-python$version"
# shellcheck disable=SC2086
"$PREFIX/localstack/bin/python" -m pip --python "$PREFIX/lambda-python$version/bin/python" install $pip_flags \
    -r requirements/lambda-runtime.txt
echo "installed LocalStack in $PREFIX/localstack and the python$version Lambda runtime in $PREFIX/lambda-python$version"
