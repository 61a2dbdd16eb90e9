# LocalStack for the Docker path, with the project's plugins installed into its own environment:
# the Docker-less Lambda executor (handlers run on a Python 3.11 with awslambdaric, as on the host),
# and the Glue and Batch services. Build context: the repository root.
ARG LOCALSTACK_VERSION=2026.3.0
FROM localstack/localstack:${LOCALSTACK_VERSION}

# A Python 3.11 for the functions' runtime (python3.11 in template.yaml), whatever the image's own Python is.
RUN pip install --no-cache-dir uv==0.13.8 \
 && uv python install 3.11 \
 && uv venv --python 3.11 /opt/lambda-python \
 && uv pip install --python /opt/lambda-python/bin/python --no-cache awslambdaric==4.2.2 boto3==1.44.8

COPY local_cloud/plugins /opt/local-cloud-plugins
RUN /opt/code/localstack/.venv/bin/python -m pip install --no-cache-dir /opt/local-cloud-plugins

ENV LAMBDA_RUNTIME_EXECUTOR=local-process \
    LOCAL_CLOUD_LAMBDA_RUNTIMES='{"python3.11": "/opt/lambda-python/bin/python"}' \
    LOCAL_CLOUD_STATE_DIR=/var/lib/localstack/local-cloud \
    CFN_IGNORE_UNSUPPORTED_RESOURCE_TYPES=1
