"""DriftMonitor: on each scheduled tick, drift of the last complete window of captured traffic.

Thin handler over review_sentiment.monitoring.monitor.run_tick: reads the configuration (SSM JSON,
monitoring.config.DriftConfig), evaluates the window before the event's scheduled `time` (so a retried
delivery of one tick evaluates the same window and derives the same execution name), and publishes
CloudWatch metrics through Powertools (EMF) in namespace POWERTOOLS_METRICS_NAMESPACE:
  FeaturePSI (dimension `feature`, one per scored feature), PredictionPSI, TextDriftScore, MaxPSI
  (each only when scored), DriftDecision (0 none or not decided, 1 warn, 2 act) and
  RetrainingTriggered (Count, 0 or 1) on every tick; live model quality (monitoring.quality):
  LabelledRows (Count) on every tick, ModelQualityF1, ModelQualityAccuracy, ModelQualityDecline (the
  champion's test macro-F1 minus the live one) and ModelQualityLevel (0 none, 1 warn, 2 act) only when
  the window held enough labelled rows.
Each tick's evaluation is kept as its own object and the window's report keeps the evaluation that
started a retraining run (monitoring.monitor); the metrics and the log line are this tick's.
Invoked by hand, an event {"time": "2026-11-29T08:05:00Z"} picks the tick; without one, now.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

from aws_lambda_powertools import Logger, Metrics, single_metric
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from review_sentiment import aws
from review_sentiment.monitoring.capture import parse_time
from review_sentiment.monitoring.config import DriftConfig
from review_sentiment.monitoring.monitor import MonitorTargets, run_tick
from review_sentiment.monitoring.report import DECISION_LEVEL

ENV_CAPTURE_BUCKET = "CAPTURE_BUCKET"
ENV_REPORTS_BUCKET = "DRIFT_REPORTS_BUCKET"
ENV_CHAMPION_PARAMETER = "CHAMPION_PARAMETER"
ENV_CONFIG_PARAMETER = "DRIFT_CONFIG_PARAMETER"
ENV_STATE_MACHINE_ARN = "TRAINING_STATE_MACHINE_ARN"
ENV_RETRAIN_RAW_PREFIX = "RETRAIN_RAW_PREFIX"
ENV_LABELLED_PREFIX = "LABELLED_CAPTURE_PREFIX"  # s3:// prefix of the windows' labelled batches

logger = Logger()
metrics = Metrics()
metrics.set_default_dimensions(Stage=os.environ.get("STAGE", "local"))  # with `service`
targets = MonitorTargets(
    capture_bucket=os.environ[ENV_CAPTURE_BUCKET],
    reports_bucket=os.environ[ENV_REPORTS_BUCKET],
    champion_parameter=os.environ[ENV_CHAMPION_PARAMETER],
    state_machine_arn=os.environ[ENV_STATE_MACHINE_ARN],
    raw_prefix=os.environ[ENV_RETRAIN_RAW_PREFIX],
    labelled_prefix=os.environ.get(ENV_LABELLED_PREFIX) or None,
)


def tick_time(event: dict) -> datetime:
    """The scheduled time of the tick (EventBridge `time`), or now for a hand-made event without one."""
    raw = event.get("time") if isinstance(event, dict) else None
    return parse_time(raw) if raw else datetime.now(UTC)


def load_config() -> DriftConfig:
    """The deployed configuration, read on every tick (one GetParameter) so a change applies at once."""
    name = os.environ.get(ENV_CONFIG_PARAMETER)
    if not name:
        return DriftConfig()
    return DriftConfig.parse(aws.client("ssm").get_parameter(Name=name)["Parameter"]["Value"])


def publish(report: dict) -> None:
    """The report's figures as CloudWatch metrics (names are a contract with the dashboards and alarms)."""
    for name, entry in (report.get("features") or {}).items():
        if entry["psi"] is not None:
            with single_metric(
                name="FeaturePSI",
                unit=MetricUnit.NoUnit,
                value=entry["psi"],
                default_dimensions=metrics.default_dimensions,
            ) as metric:
                metric.add_dimension(name="feature", value=name)
    prediction, text = report.get("prediction") or {}, report.get("text") or {}
    if prediction.get("psi") is not None:
        metrics.add_metric(name="PredictionPSI", unit=MetricUnit.NoUnit, value=prediction["psi"])
    if text.get("score") is not None:
        metrics.add_metric(name="TextDriftScore", unit=MetricUnit.NoUnit, value=text["score"])
    if report.get("max_psi") is not None:
        metrics.add_metric(name="MaxPSI", unit=MetricUnit.NoUnit, value=report["max_psi"])
    quality = report.get("model_quality") or {}
    if quality:
        metrics.add_metric(name="LabelledRows", unit=MetricUnit.Count, value=quality["labelled_rows"])
    if quality.get("macro_f1") is not None:
        metrics.add_metric(name="ModelQualityF1", unit=MetricUnit.NoUnit, value=quality["macro_f1"])
        metrics.add_metric(name="ModelQualityAccuracy", unit=MetricUnit.NoUnit, value=quality["accuracy"])
        level = DECISION_LEVEL[quality["severity"]]
        metrics.add_metric(name="ModelQualityLevel", unit=MetricUnit.NoUnit, value=level)
        if quality.get("decline") is not None:
            metrics.add_metric(name="ModelQualityDecline", unit=MetricUnit.NoUnit, value=quality["decline"])
    metrics.add_metric(name="DriftDecision", unit=MetricUnit.NoUnit, value=report["decision_level"])
    started = bool((report.get("retraining") or {}).get("started"))
    metrics.add_metric(name="RetrainingTriggered", unit=MetricUnit.Count, value=1 if started else 0)


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    tick = tick_time(event)
    report = run_tick(
        tick, load_config(), targets, aws.client("s3"), aws.client("ssm"), aws.client("stepfunctions")
    )
    retraining = report.get("retraining") or {}
    logger.info(
        "drift window evaluated",
        window=report["window"]["id"],
        decision=report["decision"],
        rows=report["rows"],
        max_psi=report["max_psi"],
        text_score=(report.get("text") or {}).get("score"),
        labelled_rows=(report.get("model_quality") or {}).get("labelled_rows"),
        live_macro_f1=(report.get("model_quality") or {}).get("macro_f1"),
        reasons=report["reasons"],
        retraining=retraining.get("reason"),
        retraining_message=retraining.get("message"),
        execution=retraining.get("execution_name"),
        report=report["report_uris"]["json"],
        evaluation=report["report_uris"]["evaluation"],
        skipped_lines=(report.get("capture") or {}).get("skipped_lines"),
    )
    publish(report)
    return {
        "window": report["window"]["id"],
        "decision": report["decision"],
        "rows": report["rows"],
        "max_psi": report["max_psi"],
        "reasons": report["reasons"],
        "retraining": retraining,
        "report": report["report_uris"],
    }
