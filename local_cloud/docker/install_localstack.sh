#!/bin/sh
# Installs the local cloud as the Docker image runs it, into PREFIX (default /opt), from the repository
# root (the current directory): LocalStack's own runtime from PyPI (localstack-core with the host's pins,
# requirements/localstack.txt; no LocalStack image, so no auth token), the project's plugins, and a
# Lambda-like interpreter for the functions' runtime (awslambdaric + boto3, requirements/lambda-runtime.txt).
# PYTHON is a Python of the functions' runtime version (3.12 for python3.12); LocalStack runs on it too.
# The image's Dockerfile runs this; tests/local_cloud/test_docker_image.py runs it on the host.
set -eu
PREFIX=${PREFIX:-/opt}
PYTHON=${PYTHON:-python3}
version=$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')

"$PYTHON" -m venv "$PREFIX/localstack"
"$PREFIX/localstack/bin/python" -m pip install --quiet --disable-pip-version-check --no-compile -r requirements/localstack.txt
"$PREFIX/localstack/bin/python" -m pip install --quiet --disable-pip-version-check --no-compile ./local_cloud/plugins

"$PYTHON" -m venv --without-pip "$PREFIX/lambda-python$version"
"$PREFIX/localstack/bin/python" -m pip --python "$PREFIX/lambda-python$version/bin/python" install --quiet \
    --disable-pip-version-check -r requirements/lambda-runtime.txt
echo "installed LocalStack in $PREFIX/localstack and the python$version Lambda runtime in $PREFIX/lambda-python$version"
