"""SelectBest: reads each result.json, picks the best, runs its behavioural tests with onnxruntime,
re-scores the champion on the same test split and applies the promotion gate."""

from __future__ import annotations

import os
from functools import partial

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from review_sentiment import aws
from review_sentiment.pipeline.messages import SelectBestEvent
from review_sentiment.pipeline.selection_step import collect_candidates, load_test_split, select
from review_sentiment.s3_io import read_bytes
from review_sentiment.serving.champion import read_champion

ENV_CHAMPION_PARAMETER = "CHAMPION_PARAMETER"

logger = Logger()
tracer = Tracer()
metrics = Metrics()
metrics.set_default_dimensions(Stage=os.environ.get("STAGE", "local"))  # with `service`


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
@event_parser
def lambda_handler(event: SelectBestEvent, context: LambdaContext) -> dict:
    s3 = aws.client("s3")
    candidates, failed = collect_candidates(s3, event.training)
    selection = select(
        candidates,
        failed,
        event.run.settings.thresholds,
        read_graph=partial(read_bytes, s3),
        champion=read_champion(aws.client("ssm"), os.environ[ENV_CHAMPION_PARAMETER]),
        test_rows=partial(load_test_split, s3, event.run.paths.processed),
    )
    gate = selection.gate
    champion = selection.champion.model_dump() if selection.champion else None
    logger.info("selection", best=selection.best.model_kind, gate=gate.model_dump(), champion=champion)
    for test, rate in (gate.behaviour_pass_rates or {}).items():
        metrics.add_metric(name=f"Behaviour_{test}_PassRate", unit=MetricUnit.NoUnit, value=rate)
    metrics.add_metric(name="ModelKindsFailed", unit=MetricUnit.Count, value=len(failed))
    metrics.add_metric(
        name="ChallengerTestMacroF1", unit=MetricUnit.NoUnit, value=selection.best.test_macro_f1
    )
    return selection.model_dump(mode="json")
