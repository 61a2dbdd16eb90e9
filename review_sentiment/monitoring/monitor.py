"""One tick of the drift monitor: champion -> references -> captured window -> report -> retraining.

Reads the champion pointer (serving.champion), its reference profiles (the preprocessing job's
feature profile with the training texts' token-bucket shares, and the prediction profile of its test
split), the window's capture (monitoring.capture), scores it (monitoring.report), decides about
retraining (monitoring.retraining) and writes the report as JSON and CSV to
`s3://<reports bucket>/reports/YYYY/MM/DD/<window id>/drift_report.{json,csv}`. Clients are passed
in (boto3 S3, SSM, Step Functions) so tests can give fakes; nothing here knows about Lambda.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from review_sentiment.monitoring import report as reports
from review_sentiment.monitoring.capture import Window, read_window
from review_sentiment.monitoring.config import DriftConfig
from review_sentiment.monitoring.retraining import RetrainingOutcome, decide_and_start
from review_sentiment.monitoring.text_drift import reference_shares
from review_sentiment.s3_io import read_json
from review_sentiment.serving.champion import read_champion


@dataclass(frozen=True)
class MonitorTargets:
    """Where the monitor reads and writes (the stack's resource names)."""

    capture_bucket: str
    reports_bucket: str
    champion_parameter: str
    state_machine_arn: str
    raw_prefix: str  # what a drift-triggered run trains on


def report_key(window: Window, suffix: str = "json") -> str:
    return f"reports/{window.start:%Y/%m/%d}/{window.id}/drift_report.{suffix}"


def previous_decisions(s3, bucket: str, window: Window, count: int) -> list[str]:
    """Decisions of the `count` windows before `window`, newest first ("missing" where no report)."""
    decisions = []
    for n in range(1, count + 1):
        try:
            body = s3.get_object(Bucket=bucket, Key=report_key(window.previous(n)))["Body"].read()
            decisions.append(json.loads(body).get("decision", "missing"))
        except s3.exceptions.NoSuchKey:
            decisions.append("missing")
    return decisions


def _started_by_earlier_tick(s3, bucket: str, window: Window) -> dict | None:
    try:
        body = s3.get_object(Bucket=bucket, Key=report_key(window))["Body"].read()
    except s3.exceptions.NoSuchKey:
        return None
    return json.loads(body).get("retraining_started")


def write_report(s3, bucket: str, window: Window, report: dict) -> dict[str, str]:
    """The report as JSON and CSV; returns their s3:// URIs."""
    json_key, csv_key = report_key(window, "json"), report_key(window, "csv")
    s3.put_object(
        Bucket=bucket,
        Key=json_key,
        Body=json.dumps(report, indent=2).encode(),
        ContentType="application/json",
    )
    s3.put_object(Bucket=bucket, Key=csv_key, Body=reports.to_csv(report).encode(), ContentType="text/csv")
    return {"json": f"s3://{bucket}/{json_key}", "csv": f"s3://{bucket}/{csv_key}"}


def run_tick(
    tick: datetime,
    config: DriftConfig,
    targets: MonitorTargets,
    s3,
    ssm,
    sfn,
    now: datetime | None = None,
) -> dict:
    """Evaluates the last complete window before `tick`; returns its report (with `retraining` and
    `report_uris`). Raises drift.InvalidReference when the champion's profile cannot be used."""
    now = now or datetime.now(UTC)
    window = Window.before(tick, config.window_minutes, config.delay_minutes)
    uris = {
        "json": f"s3://{targets.reports_bucket}/{report_key(window, 'json')}",
        "csv": f"s3://{targets.reports_bucket}/{report_key(window, 'csv')}",
    }
    champion = read_champion(ssm, targets.champion_parameter)
    if champion is None:
        report = reports.no_champion_report(window.id, window.start.isoformat(), window.end.isoformat(), now)
        report["retraining"] = RetrainingOutcome(
            False, "no_champion", "no champion: nothing to retrain against"
        ).to_dict()
        write_report(s3, targets.reports_bucket, window, report)
        return {**report, "report_uris": uris}
    feature_profile = read_json(s3, champion.feature_profile_uri)
    prediction_profile = (
        read_json(s3, champion.prediction_profile_uri) if champion.prediction_profile_uri else None
    )
    captured = read_window(s3, targets.capture_bucket, window, now)
    report = reports.evaluate(
        captured,
        feature_profile,
        prediction_profile,
        reference_shares(feature_profile),
        config,
        champion={
            "version": champion.version,
            "model_kind": champion.model_kind,
            "feature_profile_uri": champion.feature_profile_uri,
            "prediction_profile_uri": champion.prediction_profile_uri,
        },
        now=now,
        reference_macro_f1=champion.test_macro_f1,
    )
    earlier = (
        previous_decisions(s3, targets.reports_bucket, window, config.consecutive_windows - 1)
        if report["decision"] in ("act", "warn")
        else []
    )
    outcome = decide_and_start(
        sfn,
        targets.state_machine_arn,
        report["decision"],
        earlier,
        config,
        champion.version,
        window.id,
        targets.raw_prefix,
        uris["json"],
        now,
    )
    report["retraining"] = outcome.to_dict()
    if not outcome.started and (
        earlier_start := _started_by_earlier_tick(s3, targets.reports_bucket, window)
    ):
        report["retraining_started"] = earlier_start  # a repeated tick keeps what the first one did
    elif outcome.started:
        report["retraining_started"] = outcome.to_dict()
    write_report(s3, targets.reports_bucket, window, report)
    return {**report, "report_uris": uris}
