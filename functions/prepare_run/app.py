"""PrepareRun: validates the execution input and plans the run (paths, settings, one job per kind)."""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parameters import SSMProvider
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from review_sentiment import aws
from review_sentiment.pipeline.messages import PrepareRunEvent
from review_sentiment.pipeline.plan import (
    PipelineConfig,
    RunBuckets,
    RunRequest,
    plan_run,
    require_input_data,
    run_id_from,
)

ENV_CONFIG_PARAMETER = "PIPELINE_CONFIG_PARAMETER"
ENV_PROCESSED_BUCKET = "PROCESSED_BUCKET"
ENV_MODELS_BUCKET = "MODELS_BUCKET"

logger = Logger()
tracer = Tracer()
metrics = Metrics()
metrics.set_default_dimensions(Stage=os.environ.get("STAGE", "local"))  # with `service`
ssm = SSMProvider(boto3_client=aws.client("ssm"))


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
@event_parser
def lambda_handler(event: PrepareRunEvent, context: LambdaContext) -> dict:
    request = RunRequest.parse(event.request)  # InvalidRunRequest -> the pipeline's failure path
    config = PipelineConfig.model_validate(
        ssm.get(os.environ[ENV_CONFIG_PARAMETER], transform="json", max_age=60)
    )
    objects = require_input_data(aws.client("s3"), request.raw_prefix)  # NoInputData when the prefix is empty
    buckets = RunBuckets(processed=os.environ[ENV_PROCESSED_BUCKET], models=os.environ[ENV_MODELS_BUCKET])
    run = plan_run(request, config, buckets, run_id_from(event.execution_name))
    logger.info("run planned", run_id=run.run_id, input_objects=objects, model_kinds=run.settings.model_kinds)
    metrics.add_dimension(name="trigger", value=request.trigger)
    metrics.add_metric(name="PipelineRunsStarted", unit=MetricUnit.Count, value=1)
    return run.model_dump(mode="json")
