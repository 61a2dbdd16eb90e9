"""One tick of the drift monitor: champion -> references -> captured window -> report -> retraining.

Reads the champion pointer (serving.champion), its reference profiles (the preprocessing job's
feature profile with the training texts' token-bucket shares, and the prediction profile of its test
split), the window's capture (monitoring.capture), scores it (monitoring.report) and decides about
retraining (monitoring.retraining). A window is evaluated on several ticks; each evaluation is written
once, as it was, to `s3://<reports bucket>/evaluations/YYYY/MM/DD/<window id>/<evaluated at>.json`
(never replaced), and the window's summary report, the evaluation that started a retraining run or else
the newest one, with every evaluation listed (report.merge_evaluation), to
`s3://<reports bucket>/reports/YYYY/MM/DD/<window id>/drift_report.{json,csv}`. Clients are passed
in (boto3 S3, SSM, Step Functions) so tests can give fakes; nothing here knows about Lambda. The
summary is read, merged and written back: the DriftMonitor function runs one tick at a time (reserved
concurrency 1), so no two ticks merge at once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from botocore.exceptions import ClientError

from review_sentiment.monitoring import report as reports
from review_sentiment.monitoring.capture import Window, read_window
from review_sentiment.monitoring.config import DriftConfig
from review_sentiment.monitoring.labelled import labelled_reviews, write_labelled_batch
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
    labelled_prefix: str | None = None  # where windows' labelled captures go (monitoring.labelled); None: off


EVALUATIONS_PREFIX = "evaluations/"
_KEY_TAKEN = ("PreconditionFailed", "ConditionalRequestConflict", "412")  # S3's answers to If-None-Match


def report_key(window: Window, suffix: str = "json") -> str:
    """The key of the window's summary report (`suffix` json or csv): what the readers of `reports/` read."""
    return f"reports/{window.start:%Y/%m/%d}/{window.id}/drift_report.{suffix}"


def evaluation_key(window: Window, evaluated_at: datetime, attempt: int = 0) -> str:
    """The key of one evaluation of the window, named by its UTC time to the microsecond (keys sort in
    time order); `attempt` > 0 adds `-<attempt>` for a second evaluation at the very same instant."""
    stamp = f"{evaluated_at.astimezone(UTC):%Y%m%dT%H%M%S.%fZ}" + (f"-{attempt}" if attempt else "")
    return f"{EVALUATIONS_PREFIX}{window.start:%Y/%m/%d}/{window.id}/{stamp}.json"


def previous_decisions(s3, bucket: str, window: Window, count: int) -> list[str]:
    """Decisions of the `count` windows before `window`, newest first, as their summary reports show them
    (the evaluation that started a run, else the newest; "missing" where no report)."""
    decisions = []
    for n in range(1, count + 1):
        try:
            body = s3.get_object(Bucket=bucket, Key=report_key(window.previous(n)))["Body"].read()
            decisions.append(json.loads(body).get("decision", "missing"))
        except s3.exceptions.NoSuchKey:
            decisions.append("missing")
    return decisions


def read_summary(s3, bucket: str, window: Window) -> dict | None:
    """The window's summary report so far, or None before its first evaluation."""
    try:
        return json.loads(s3.get_object(Bucket=bucket, Key=report_key(window))["Body"].read())
    except s3.exceptions.NoSuchKey:
        return None


def write_evaluation(s3, bucket: str, window: Window, evaluation: dict, evaluated_at: datetime) -> str:
    """One evaluation of the window as JSON, written once: the put is conditional on the key being new
    (If-None-Match: *), so an existing evaluation is never replaced. Returns its s3:// URI. Raises
    botocore ClientError for any failure other than the key being taken (then the next attempt's key)."""
    body = json.dumps(evaluation, indent=2).encode()
    for attempt in range(100):
        key = evaluation_key(window, evaluated_at, attempt)
        try:
            s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json", IfNoneMatch="*")
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") not in _KEY_TAKEN:
                raise
            continue
        return f"s3://{bucket}/{key}"
    raise RuntimeError(f"no free key for an evaluation of window {window.id} at {evaluated_at.isoformat()}")


def write_report(s3, bucket: str, window: Window, report: dict) -> dict[str, str]:
    """The window's summary report as JSON and CSV (replacing the earlier ones); returns their s3:// URIs."""
    json_key, csv_key = report_key(window, "json"), report_key(window, "csv")
    s3.put_object(
        Bucket=bucket,
        Key=json_key,
        Body=json.dumps(report, indent=2).encode(),
        ContentType="application/json",
    )
    s3.put_object(Bucket=bucket, Key=csv_key, Body=reports.to_csv(report).encode(), ContentType="text/csv")
    return {"json": f"s3://{bucket}/{json_key}", "csv": f"s3://{bucket}/{csv_key}"}


def record_evaluation(
    s3, bucket: str, window: Window, evaluation: dict, evaluated_at: datetime
) -> tuple[str, dict]:
    """Keeps one evaluation of the window (write_evaluation) and folds it into the window's summary
    report (report.merge_evaluation, written by write_report). Returns the evaluation's s3:// URI and
    the summary written."""
    uri = write_evaluation(s3, bucket, window, evaluation, evaluated_at)
    summary = reports.merge_evaluation(read_summary(s3, bucket, window), evaluation, uri)
    write_report(s3, bucket, window, summary)
    return uri, summary


def run_tick(
    tick: datetime,
    config: DriftConfig,
    targets: MonitorTargets,
    s3,
    ssm,
    sfn,
    now: datetime | None = None,
) -> dict:
    """Evaluates the last complete window before `tick` (both UTC datetimes); returns this tick's
    evaluation with `retraining` (what this tick did) and `report_uris` (`json`, `csv`: the window's
    summary report; `evaluation`: this evaluation). Raises drift.InvalidReference when the champion's
    profile cannot be used, botocore ClientError when S3, SSM or Step Functions refuse."""
    now = now or datetime.now(UTC)
    window = Window.before(tick, config.window_minutes, config.delay_minutes)
    uris = {
        "json": f"s3://{targets.reports_bucket}/{report_key(window, 'json')}",
        "csv": f"s3://{targets.reports_bucket}/{report_key(window, 'csv')}",
    }
    champion = read_champion(ssm, targets.champion_parameter)
    if champion is None:
        report = reports.no_champion_report(window.id, window.start.isoformat(), window.end.isoformat(), now)
        report["tick"] = tick.astimezone(UTC).isoformat(timespec="seconds")
        report["retraining"] = RetrainingOutcome(
            False, "no_champion", "no champion: nothing to retrain against"
        ).to_dict()
        return _recorded(s3, targets.reports_bucket, window, report, now, uris)
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
    report["tick"] = tick.astimezone(UTC).isoformat(timespec="seconds")
    if targets.labelled_prefix:
        rows = labelled_reviews(captured.review_texts, captured.ratings, captured.inference_times)
        uri = write_labelled_batch(s3, targets.labelled_prefix, window.id, rows)
        report["labelled_batch"] = {"uri": uri, "rows": len(rows)}
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
        labelled_prefix=targets.labelled_prefix,
    )
    report["retraining"] = outcome.to_dict()
    return _recorded(s3, targets.reports_bucket, window, report, now, uris)


def _recorded(s3, bucket: str, window: Window, report: dict, now: datetime, uris: dict) -> dict:
    evaluation_uri, _ = record_evaluation(s3, bucket, window, report, now)
    return {**report, "report_uris": {**uris, "evaluation": evaluation_uri}}
