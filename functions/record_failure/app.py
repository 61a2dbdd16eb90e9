"""RecordFailure: turns the caught error into an error name and a one-line reason, stores it in S3,
and hands both to the PipelineFailed state."""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from review_sentiment import aws
from review_sentiment.pipeline.messages import RecordFailureEvent
from review_sentiment.pipeline.outcome import caught_state, describe_failure, failure_record, failure_uri
from review_sentiment.pipeline.plan import run_id_from
from review_sentiment.s3_io import write_json

ENV_MODELS_BUCKET = "MODELS_BUCKET"

logger = Logger()
tracer = Tracer()
metrics = Metrics()
metrics.set_default_dimensions(Stage=os.environ.get("STAGE", "local"))  # with `service`


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
@event_parser
def lambda_handler(event: RecordFailureEvent, context: LambdaContext) -> dict:
    execution_name = event.execution_name or "unknown"
    run, caught = caught_state(event.input)
    error, cause = describe_failure(caught)
    record = failure_record(error, cause, run, execution_name)
    # PrepareRun may have failed before planning the run: fall back to the execution's name.
    uri = failure_uri(run, os.environ[ENV_MODELS_BUCKET], run_id_from(execution_name))
    write_json(aws.client("s3"), uri, record)
    logger.error("pipeline failed", error=error, cause=cause, failure_uri=uri)
    metrics.add_dimension(name="error", value=error[:200])
    metrics.add_metric(name="PipelineRunsFailed", unit=MetricUnit.Count, value=1)
    return {"error": error, "cause": cause, "failure_uri": uri}
