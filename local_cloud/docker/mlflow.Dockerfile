# MLflow tracking server and model registry: PostgreSQL backend, artifacts in LocalStack's S3.
FROM python:3.11-slim-bookworm
RUN pip install --no-cache-dir mlflow==3.17.2 psycopg2-binary==2.9.13 boto3==1.44.8
EXPOSE 5000
