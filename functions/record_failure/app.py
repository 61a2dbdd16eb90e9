"""RecordFailure: turns the caught error into an error name and a one-line reason, stores it in S3,
and hands both to the PipelineFailed state."""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from review_sentiment import aws
from review_sentiment.pipeline.outcome import (
    caught_state,
    describe_failure,
    failure_record,
    failure_uri,
    put_json,
)
from review_sentiment.pipeline.run import run_id_from

ENV_MODELS_BUCKET = "MODELS_BUCKET"

logger = Logger()
tracer = Tracer()
metrics = Metrics()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    execution_name = str(event.get("execution_name") or "unknown")
    run, caught = caught_state(event.get("input"))
    error, cause = describe_failure(caught)
    record = failure_record(error, cause, run, execution_name)
    # PrepareRun may have failed before planning the run: fall back to the execution's name.
    uri = failure_uri(run, os.environ[ENV_MODELS_BUCKET], run_id_from(execution_name))
    put_json(aws.client("s3"), uri, record)
    logger.error("pipeline failed", error=error, cause=cause, failure_uri=uri)
    metrics.add_dimension(name="error", value=error[:200])
    metrics.add_metric(name="PipelineRunsFailed", unit=MetricUnit.Count, value=1)
    return {"error": error, "cause": cause, "failure_uri": uri}
