# LocalStack for the Docker path, built from a Python base and localstack-core from PyPI with the host's
# pins (requirements/localstack.txt): the localstack/localstack images exit unless LOCALSTACK_AUTH_TOKEN
# is set, localstack-core does not. With the project's plugins (the Docker-less Lambda executor, Glue
# and Batch) and a Lambda-like Python of the functions' runtime (template.yaml's LambdaRuntime).
# LocalStack runs on Python 3.13 (as on the host), the functions on LAMBDA_PYTHON_VERSION.
# Build context: the repository root. The install and start steps are scripts the tests run on the host.
ARG LAMBDA_PYTHON_VERSION=3.12
FROM python:${LAMBDA_PYTHON_VERSION}-slim-bookworm AS lambda-python

FROM python:3.13-slim-bookworm
ARG LAMBDA_PYTHON_VERSION
# The functions' Python, from the official image of that version (same Debian release, same glibc)
COPY --from=lambda-python /usr/local/bin/python${LAMBDA_PYTHON_VERSION} /usr/local/bin/
COPY --from=lambda-python /usr/local/lib/libpython${LAMBDA_PYTHON_VERSION}.so.1.0 /usr/local/lib/
COPY --from=lambda-python /usr/local/lib/python${LAMBDA_PYTHON_VERSION} /usr/local/lib/python${LAMBDA_PYTHON_VERSION}

ENV PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1

WORKDIR /src
COPY requirements/localstack.txt requirements/lambda-runtime.txt requirements/
COPY local_cloud/plugins local_cloud/plugins
COPY local_cloud/docker/install_localstack.sh local_cloud/docker/start_localstack.sh local_cloud/docker/
RUN ldconfig \
    && PREFIX=/opt PYTHON=python3.13 LAMBDA_PYTHON="python${LAMBDA_PYTHON_VERSION}" \
       sh local_cloud/docker/install_localstack.sh \
    && python3.13 -m compileall -q /opt/localstack/lib \
    && useradd --create-home --uid 10001 localstack \
    && mkdir -p /var/lib/localstack \
    && chown localstack /var/lib/localstack
USER 10001
WORKDIR /var/lib/localstack
EXPOSE 4566
HEALTHCHECK --interval=5s --timeout=3s --retries=30 \
    CMD ["/opt/localstack/bin/python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:4566/_localstack/health', timeout=2)"]
CMD ["sh", "/src/local_cloud/docker/start_localstack.sh"]
