"""The drift monitor on the embedded local cloud, fired by its own EventBridge schedule (never called here).

Against the champion the earlier stack tests promoted: too little traffic is "not enough data",
held-out traffic is no drift, drifted traffic starts exactly one training run (trigger drift, the
report's location in its input) and a later tick during that run starts nothing. The local stage's
schedule (a tick every minute) and 1-minute windows (the `monitor` fixture sets them: the local stage
deploys 2-minute ones), at least 500 reviews per window.

Traffic is real API traffic (`stack.traffic.send`: POST /batch_predict through API Gateway); the API's
data capture (inference log -> subscription filter -> Firehose -> datacapture/YYYY/MM/DD/HH/ of the
capture bucket) is what the monitor reads.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest

from review_sentiment import aws
from review_sentiment.monitoring.capture import Window
from review_sentiment.monitoring.monitor import report_key
from review_sentiment.pipeline.plan import RunRequest, run_id_from
from review_sentiment.progress import Progress
from stack import execution
from stack.settings import SHIPPED_REVIEWS
from stack.traffic import drifted, in_distribution, send

pytestmark = [pytest.mark.slow, pytest.mark.localcloud]

WINDOW_MINUTES = 1  # set by the `monitor` fixture (the local stage deploys 2): each test waits less
TICK_WAIT_S = WINDOW_MINUTES * 60 + 150  # a window's end, then a tick (each minute) and its run time


class Monitor:
    """The drift tests' view of the stack. Each test owns its window: one that began after every earlier
    test of the session had finished (`owned_since`), so no other test's traffic can be counted in it
    (capture records belong to the window of their inference time, whenever they are delivered)."""

    def __init__(self, stack, champion):
        self.stack, self.champion = stack, champion
        self.s3, self.sfn = aws.client("s3"), aws.client("stepfunctions")
        self.owned_since = datetime.now(UTC)

    def fresh_window(self, room_s: float = 20.0) -> Window:
        """The window traffic sent now lands in: it began after `owned_since`, with `room_s` left to send
        (600 reviews through the API took 0.3-1.1 s)."""
        now = datetime.now(UTC)
        window = Window.before(now + timedelta(minutes=WINDOW_MINUTES), WINDOW_MINUTES)
        if window.start < self.owned_since or (window.end - now).total_seconds() < room_s:
            time.sleep((window.end - now).total_seconds() + 1)
            return self.fresh_window(room_s)
        return window

    def send(self, texts: list[str], ratings: list[float] | None = None) -> None:
        """Through the API: every review answered (the capture then carries them to the bucket)."""
        began = time.monotonic()
        result = send(self.stack.api_base_url, texts, api_key=self.stack.api_key, ratings=ratings)
        print(f"sent {len(texts)} reviews in {time.monotonic() - began:.1f} s")  # against fresh_window's room
        assert result["answered"] == len(texts), result

    def report(self, window: Window, until=lambda report: True, timeout_s: float = TICK_WAIT_S) -> dict:
        """The window's report once the schedule has written one that satisfies `until`."""
        deadline = time.monotonic() + timeout_s + max(0.0, (window.end - datetime.now(UTC)).total_seconds())
        bucket, key = self.stack["DriftReportsBucketName"], report_key(window)
        while time.monotonic() < deadline:
            try:
                report = json.loads(self.s3.get_object(Bucket=bucket, Key=key)["Body"].read())
                if until(report):
                    return report
            except self.s3.exceptions.NoSuchKey:
                pass
            time.sleep(5)
        pytest.fail(f"no report for window {window.id} in {timeout_s:.0f} s after it ended", pytrace=False)

    def drift_executions(self) -> list[dict]:
        arn = self.stack["TrainingPipelineStateMachineArn"]
        return [
            e
            for e in self.sfn.list_executions(stateMachineArn=arn, maxResults=100)["executions"]
            if e["name"].startswith("drift-")
        ]


@pytest.fixture(scope="module")
def monitor(stack, champion):
    """The monitor with the local stage's default minimum window (the session's stack deploys it with a
    minimum no traffic reaches, so that no other test's traffic can start a run) and windows of
    WINDOW_MINUTES. Its schedule is left running: LocalStack 2026.3's EnableRule does not resume a
    schedule that was deployed disabled."""
    ssm = aws.client("ssm")
    name = stack["DriftConfigParameterName"]
    deployed = ssm.get_parameter(Name=name)["Parameter"]["Value"]
    ssm.put_parameter(
        Name=name,
        Overwrite=True,
        Type="String",
        Value=json.dumps({**json.loads(deployed), "min_window_rows": 500, "window_minutes": WINDOW_MINUTES}),
    )
    try:
        yield Monitor(stack, champion)
    finally:
        ssm.put_parameter(Name=name, Overwrite=True, Type="String", Value=deployed)


def test_too_little_traffic_is_not_enough_data_and_starts_nothing(monitor):
    window = monitor.fresh_window()
    monitor.send(in_distribution(40, rng_seed=5).texts)
    report = monitor.report(window, until=lambda r: r["rows"] >= 40)
    assert report["decision"] == "insufficient_data" and report["rows"] == 40
    assert report["reasons"][0].startswith("not enough data: 40 records in the window, the minimum is 500")
    assert report["max_psi"] is None and not report["retraining"]["started"]
    assert monitor.drift_executions() == []


def test_held_out_traffic_is_no_drift_and_starts_nothing(monitor):
    window = monitor.fresh_window()
    monitor.send(in_distribution(600, rng_seed=6).texts)
    report = monitor.report(window, until=lambda r: r["rows"] == 600)
    assert report["decision"] == "none", report["reasons"]
    assert report["champion"]["version"] == monitor.champion.version
    assert report["prediction"]["status"] == "scored" and report["text"]["status"] == "scored"
    assert report["retraining"]["reason"] == "not_drifted" and monitor.drift_executions() == []


def test_drift_starts_exactly_one_run_and_a_tick_during_it_starts_nothing(monitor, stack):
    # the curated training data a drift-triggered run retrains on (the stack's DriftRetrainKeyPrefix)
    execution.upload_reviews(stack["RawBucketName"], SHIPPED_REVIEWS, prefix="curated/")
    window = monitor.fresh_window()
    reviews = drifted(600, rng_seed=7)
    monitor.send(reviews.texts, ratings=reviews.ratings)  # rated: live quality and a labelled batch
    report = monitor.report(window, until=lambda r: "retraining_started" in r or r["decision"] == "act")
    assert report["decision"] == "act", report["reasons"]
    assert report["model_quality"]["labelled_rows"] == 600 and report["model_quality"]["status"] == "scored"
    labelled_batch = f"s3://{stack['ProcessedBucketName']}/curated/labelled/{window.id}/"
    assert report["labelled_batch"]["uri"] == labelled_batch + "reviews.jsonl"
    assert report["retraining_started"]["started"], report["retraining"]
    runs = monitor.drift_executions()
    assert [r["name"] for r in runs] == [f"drift-v{monitor.champion.version}-{window.id}"]
    described = monitor.sfn.describe_execution(executionArn=runs[0]["executionArn"])
    request = RunRequest.parse(json.loads(described["input"]))
    assert request.trigger == "drift"
    assert request.drift_report == f"s3://{stack['DriftReportsBucketName']}/{report_key(window)}"
    assert request.labelled_prefix == f"s3://{stack['ProcessedBucketName']}/curated/labelled/"
    csv_key = report_key(window, "csv")
    table = monitor.s3.get_object(Bucket=stack["DriftReportsBucketName"], Key=csv_key)["Body"].read().decode()
    assert table.startswith("window,quantity,measure,status,value") and "feature:text_len" in table

    # keep drifting: whichever window the next tick evaluates, it acts again, during the run
    next_window = monitor.fresh_window(room_s=20)
    monitor.send(drifted(600, rng_seed=8).texts)
    later = monitor.report(next_window, until=lambda r: r["rows"] > 0 and r["decision"] == "act")
    assert not later["retraining"]["started"]
    ended = monitor.sfn.describe_execution(executionArn=runs[0]["executionArn"]).get("stopDate")
    evaluated = datetime.fromisoformat(later["evaluated_at"])
    expected = "run_in_progress" if ended is None or ended > evaluated else "cooldown"
    assert later["retraining"]["reason"] == expected, later["retraining"]
    assert len(monitor.drift_executions()) == 1

    # metrics: the ticks' EMF lines in the function's CloudWatch log group
    group = f"/aws/lambda/{stack['DriftMonitorFunctionName']}"
    messages = [e["message"] for e in aws.client("logs").filter_log_events(logGroupName=group)["events"]]
    blobs = [json.loads(m) for m in messages if m.lstrip().startswith("{") and '"_aws"' in m]
    names = {m["Name"] for b in blobs for m in b["_aws"]["CloudWatchMetrics"][0]["Metrics"]}
    assert {
        "FeaturePSI",
        "PredictionPSI",
        "TextDriftScore",
        "MaxPSI",
        "DriftDecision",
        "RetrainingTriggered",
    } <= names
    assert any(b.get("RetrainingTriggered") in (1, [1], 1.0, [1.0]) for b in blobs)
    assert {b["_aws"]["CloudWatchMetrics"][0]["Namespace"] for b in blobs} == {"ReviewSentiment"}

    result = execution.follow(runs[0]["executionArn"], Progress(), poll_s=5.0, timeout_s=1500)
    assert result.status == "SUCCEEDED", result.cause
    # the run curated the window's rated captures beside the uploads: its manifest says so
    manifest_key = f"runs/{run_id_from(runs[0]['name'])}/reports/validation.json"
    manifest = json.loads(
        monitor.s3.get_object(Bucket=stack["ProcessedBucketName"], Key=manifest_key)["Body"].read()
    )
    captured = {b["batch"]: b for b in manifest["batches"]}[labelled_batch]
    assert captured["accepted"] and captured["entered"] == report["labelled_batch"]["rows"] > 0
