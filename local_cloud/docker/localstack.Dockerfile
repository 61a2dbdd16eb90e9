# LocalStack for the Docker path, built from a Python base and localstack-core from PyPI with the host's
# pins (requirements/localstack.txt): the localstack/localstack images exit unless LOCALSTACK_AUTH_TOKEN
# is set, localstack-core does not. With the project's plugins (the Docker-less Lambda executor, Glue
# and Batch) and a Lambda-like Python of the functions' runtime (template.yaml's LambdaRuntime).
# Build context: the repository root. The install and start steps are scripts the tests run on the host.
ARG PYTHON_VERSION=3.12
FROM python:${PYTHON_VERSION}-slim-bookworm

ENV PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1

WORKDIR /src
COPY requirements/localstack.txt requirements/lambda-runtime.txt requirements/
COPY local_cloud/plugins local_cloud/plugins
COPY local_cloud/docker/install_localstack.sh local_cloud/docker/start_localstack.sh local_cloud/docker/
RUN PREFIX=/opt PYTHON=python3 sh local_cloud/docker/install_localstack.sh \
    && python3 -m compileall -q /opt/localstack/lib \
    && useradd --create-home --uid 10001 localstack \
    && mkdir -p /var/lib/localstack \
    && chown localstack /var/lib/localstack
USER 10001
WORKDIR /var/lib/localstack
EXPOSE 4566
HEALTHCHECK --interval=5s --timeout=3s --retries=30 \
    CMD ["/opt/localstack/bin/python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:4566/_localstack/health', timeout=2)"]
CMD ["sh", "/src/local_cloud/docker/start_localstack.sh"]
