"""SelectBest: reads each result.json, picks the best, runs its behavioural tests with onnxruntime and
re-scores the champion on the same test split."""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from review_sentiment import aws
from review_sentiment.pipeline.selection_step import (
    behaviour_of_best,
    collect_candidates,
    decide,
    load_test_split,
    macro_f1,
    read_bytes,
)
from review_sentiment.serving.champion import Champion, read_champion
from review_sentiment.serving.onnx_model import OnnxSentimentModel

ENV_CHAMPION_PARAMETER = "CHAMPION_PARAMETER"

logger = Logger()
tracer = Tracer()
metrics = Metrics()


@tracer.capture_method
def champion_on_test_split(s3, champion: Champion, processed_uri: str) -> tuple[float, str]:
    """The champion's macro-F1 on this run's test rows; its recorded score when it cannot be re-scored."""
    try:
        texts, labels = load_test_split(s3, processed_uri)
        model = OnnxSentimentModel(read_bytes(s3, champion.model_uri))
        predicted, _ = model.predict_proba(texts)
    except Exception as exc:  # e.g. a champion graph with another feature set: compare on its record
        logger.warning("champion not re-scored", error=str(exc))
        return champion.test_macro_f1, f"recorded score used; re-scoring failed ({type(exc).__name__}: {exc})"
    return macro_f1(labels, predicted), f"re-scored on this run's {len(texts)} test rows"


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    run, training = event["run"], event["training"]
    s3 = aws.client("s3")
    candidates, failed = collect_candidates(s3, training)
    champion = read_champion(aws.client("ssm"), os.environ[ENV_CHAMPION_PARAMETER])
    score, note = (None, "no champion yet")
    if champion is not None and candidates:
        score, note = champion_on_test_split(s3, champion, run["paths"]["processed"])
    behaviour = behaviour_of_best(s3, candidates, run["settings"]["latency_budget_ms"])
    selection = decide(candidates, failed, champion, score, run["settings"], note, behaviour)
    logger.info("selection", best=selection["best"]["model_kind"], gate=selection["gate"])
    for test, rate in (selection["gate"]["behaviour_pass_rates"] or {}).items():
        metrics.add_metric(name=f"Behaviour_{test}_PassRate", unit=MetricUnit.NoUnit, value=rate)
    metrics.add_metric(name="ModelKindsFailed", unit=MetricUnit.Count, value=len(failed))
    metrics.add_metric(
        name="ChallengerTestMacroF1", unit=MetricUnit.NoUnit, value=selection["best"]["test_macro_f1"]
    )
    return selection
