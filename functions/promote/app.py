"""Promote (and RegisterChallenger): registers the chosen model in MLflow; when the selection's gate passed,
makes it the champion (MLflow alias + SSM pointer, the previous champion kept in the pointer for
rollback), else points the challenger alias at it and the champion keeps serving."""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from review_sentiment import aws
from review_sentiment.config import Settings
from review_sentiment.pipeline.messages import PromoteEvent
from review_sentiment.serving.champion import ChampionPointer

ENV_CHAMPION_PARAMETER = "CHAMPION_PARAMETER"

logger = Logger()
tracer = Tracer()
metrics = Metrics()
metrics.set_default_dimensions(Stage=os.environ.get("STAGE", "local"))  # with `service`
settings = Settings.from_env()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
@event_parser
def lambda_handler(event: PromoteEvent, context: LambdaContext) -> dict:
    # The MLflow client takes a second or two to import: import it on the first invocation rather than in
    # the init phase, which Lambda limits to 10 s. Promotion needs mlflow-skinny only.
    from review_sentiment.modeling import promotion, registry

    registry.configure(settings)
    best = event.selection.best
    record = promotion.register_and_promote(
        best,
        event.selection.gate,
        settings.registered_model_name,
        event.run.run_id,
        event.run.paths.feature_profile,
        ChampionPointer(aws.client("ssm"), os.environ[ENV_CHAMPION_PARAMETER]),
        promoted_by={
            "trigger": event.run.trigger,
            "run_id": event.run.run_id,
            "drift_report": event.run.request.drift_report,  # the window that caused a drift run
        },
    )
    logger.info(
        f"registered as {record.alias}",
        version=record.version,
        model_kind=best.model_kind,
        previous=record.previous_version,
    )
    if record.alias == registry.CHAMPION:
        metrics.add_metric(name="ModelsPromoted", unit=MetricUnit.Count, value=1)
        metrics.add_metric(name="ChampionVersion", unit=MetricUnit.NoUnit, value=int(record.version))
    return record.model_dump(mode="json")
