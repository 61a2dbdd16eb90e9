"""RecordOutcome: why the champion was replaced or kept, stored next to the run's models and returned
as the execution's output."""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from review_sentiment import aws
from review_sentiment.pipeline.messages import RecordOutcomeEvent
from review_sentiment.pipeline.outcome import outcome_record
from review_sentiment.s3_io import write_json

logger = Logger()
tracer = Tracer()
metrics = Metrics()
metrics.set_default_dimensions(Stage=os.environ.get("STAGE", "local"))  # with `service`


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
@event_parser
def lambda_handler(event: RecordOutcomeEvent, context: LambdaContext) -> dict:
    record = outcome_record(event.decision, event.run, event.selection, event.promotion, event.registration)
    write_json(aws.client("s3"), record["outcome_uri"], record)
    logger.info(record["summary"], decision=record["decision"], run_id=record["run_id"])
    metrics.add_dimension(name="decision", value=record["decision"])
    metrics.add_metric(name="PipelineRunsSucceeded", unit=MetricUnit.Count, value=1)
    return record
