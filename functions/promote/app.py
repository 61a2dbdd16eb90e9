"""Promote: registers the chosen model in MLflow, moves an alias to it, and (for champion) the SSM pointer.

`alias: champion` (default) promotes: MLflow alias champion -> the new version, SSM pointer -> the new
version with the previous champion kept in it for rollback. `alias: challenger` only registers the
model and points the challenger alias at it (the champion keeps serving).
"""

from __future__ import annotations

import math
import os

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from review_sentiment import aws
from review_sentiment.config import Settings
from review_sentiment.modeling.selection import RESULT_METRICS
from review_sentiment.serving.champion import Champion, promoted, read_champion, write_champion

ENV_CHAMPION_PARAMETER = "CHAMPION_PARAMETER"

logger = Logger()
tracer = Tracer()
metrics = Metrics()
metrics.set_default_dimensions(Stage=os.environ.get("STAGE", "local"))  # with `service`
settings = Settings.from_env()


def card_metrics(best: dict) -> dict[str, float]:
    """The model card's figures of the chosen model (finite numbers only: the pointer is JSON)."""
    return {
        key: float(best[key])
        for key in RESULT_METRICS
        if isinstance(best.get(key), int | float) and math.isfinite(best[key])
    }


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    # The MLflow client takes a second or two to import: import it on the first invocation rather than in
    # the init phase, which Lambda limits to 10 s. The registry module needs mlflow-skinny only.
    from review_sentiment.modeling import registry

    run, best = event["run"], event["selection"]["best"]
    alias = event.get("alias", registry.CHAMPION)
    registry.configure(settings)
    name = settings.registered_model_name
    version = registry.register(
        best["model_uri"],
        name,
        tags={
            "model_kind": best["model_kind"],
            "run_id": run["run_id"],
            "test_macro_f1": f"{best['test_macro_f1']:.4f}",
            "onnx_uri": best["onnx_uri"],
        },
    )
    if alias != registry.CHAMPION:
        registry.set_alias(name, alias, version)
        logger.info("registered challenger", version=version, model_kind=best["model_kind"])
        return {"registered_model": name, "version": version, "alias": alias}

    ssm = aws.client("ssm")
    parameter = os.environ[ENV_CHAMPION_PARAMETER]
    current = read_champion(ssm, parameter)
    candidate = Champion(
        model_name=name,
        version=version,
        model_kind=best["model_kind"],
        model_uri=best["onnx_uri"],
        test_macro_f1=best["test_macro_f1"],
        run_id=run["run_id"],
        mlflow_run_id=best.get("mlflow_run_id", ""),
        feature_profile_uri=run["paths"]["feature_profile"],
        prediction_profile_uri=best.get("prediction_profile_uri", ""),
        metrics=card_metrics(best),
    )
    before = registry.alias_version(name, registry.CHAMPION)
    registry.set_alias(name, registry.CHAMPION, version)
    registry.delete_alias(name, registry.CHALLENGER)
    pointer = promoted(candidate, current)
    write_champion(ssm, parameter, pointer)
    logger.info("promoted", version=version, previous=before, model_kind=best["model_kind"])
    metrics.add_metric(name="ModelsPromoted", unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="ChampionVersion", unit=MetricUnit.NoUnit, value=int(version))
    return {
        "registered_model": name,
        "version": version,
        "alias": registry.CHAMPION,
        "previous_version": before,
        "model_uri": pointer.model_uri,
        "champion_parameter": parameter,
    }
