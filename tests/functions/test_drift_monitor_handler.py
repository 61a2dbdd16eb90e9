"""The DriftMonitor Lambda on moto: decisions per window, the report, EMF metrics, retraining exactly once."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from review_sentiment import aws
from review_sentiment.monitoring.capture import Window
from review_sentiment.pipeline.plan import RunRequest
from review_sentiment.serving.champion import Champion, write_champion
from review_sentiment.serving.onnx_model import OnnxSentimentModel
from stack.traffic import drifted, in_distribution
from tests.support.drift import capture_lines, outputs_profile, put_capture, training_profile
from tests.support.stack import CHAMPION_PARAMETER, load_handler, put_json

DRIFT_CONFIG_PARAMETER = "/review-sentiment/test/drift-config"
CONFIG = {"min_window_rows": 300, "window_minutes": 60, "cooldown_minutes": 60}


@pytest.fixture
def monitor(aws_mock, monkeypatch, tiny_model):
    """The handler with a champion (its profiles in S3), a drift configuration and a state machine."""
    sfn = aws.client("stepfunctions")
    machine = sfn.create_state_machine(
        name="training",
        definition=json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}),
        roleArn="arn:aws:iam::123456789012:role/training",
    )["stateMachineArn"]
    s3 = aws.client("s3")
    s3.create_bucket(Bucket="drift-reports")
    model = OnnxSentimentModel(tiny_model.onnx)
    put_json("processed", "runs/r1/reports/feature_profile.json", training_profile())
    put_json(
        "models", "runs/r1/logreg/prediction_profile.json", outputs_profile(model, tiny_model.test_texts)
    )
    write_champion(
        aws.client("ssm"),
        CHAMPION_PARAMETER,
        Champion(
            model_name="review-sentiment",
            version="3",
            model_kind="logreg",
            model_uri="s3://models/m.onnx",
            test_macro_f1=tiny_model.test_macro_f1,
            run_id="r1",
            feature_profile_uri="s3://processed/runs/r1/reports/feature_profile.json",
            prediction_profile_uri="s3://models/runs/r1/logreg/prediction_profile.json",
        ),
    )
    aws.client("ssm").put_parameter(Name=DRIFT_CONFIG_PARAMETER, Value=json.dumps(CONFIG), Type="String")
    for name, value in {
        "DRIFT_REPORTS_BUCKET": "drift-reports",
        "DRIFT_CONFIG_PARAMETER": DRIFT_CONFIG_PARAMETER,
        "TRAINING_STATE_MACHINE_ARN": machine,
        "RETRAIN_RAW_PREFIX": "s3://raw/incoming/",
        "LABELLED_CAPTURE_PREFIX": "s3://processed/curated/labelled/",
        "POWERTOOLS_METRICS_NAMESPACE": "ReviewSentiment",
    }.items():
        monkeypatch.setenv(name, value)
    now = datetime.now(UTC)
    window = Window.before(now + timedelta(hours=1), 60)  # the hour holding `now`

    class Monitor:
        handler = load_handler("drift_monitor")

        def traffic(self, texts, ratings=None, raw_text=False):
            lines = capture_lines(texts, model, now, version="3", ratings=ratings, raw_text=raw_text)
            put_capture(s3, "capture", lines)

        def labelled_batch(self):
            key = f"curated/labelled/{window.id}/reviews.jsonl"
            body = s3.get_object(Bucket="processed", Key=key)["Body"].read().decode()
            return [json.loads(line) for line in body.splitlines()]

        def tick(self, context, after=timedelta(minutes=5)):
            return self.handler.lambda_handler({"time": (window.end + after).isoformat()}, context)

        def executions(self):
            return sfn.list_executions(stateMachineArn=machine)["executions"]

        def report(self):
            key = f"reports/{window.start:%Y/%m/%d}/{window.id}/drift_report.json"
            return json.loads(s3.get_object(Bucket="drift-reports", Key=key)["Body"].read())

        def evaluations(self):
            """Every evaluation of the window kept in the bucket, oldest first: (key, content)."""
            prefix = f"evaluations/{window.start:%Y/%m/%d}/{window.id}/"
            listed = s3.list_objects_v2(Bucket="drift-reports", Prefix=prefix).get("Contents", [])
            return [
                (o["Key"], json.loads(s3.get_object(Bucket="drift-reports", Key=o["Key"])["Body"].read()))
                for o in sorted(listed, key=lambda o: o["Key"])
            ]

        def report_keys(self):
            listed = s3.list_objects_v2(Bucket="drift-reports", Prefix="reports/").get("Contents", [])
            return sorted(o["Key"] for o in listed)

    return Monitor()


def emf_blobs(capsys) -> list[dict]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]


def metric_values(blobs: list[dict]) -> dict[str, list]:
    values: dict[str, list] = {}
    for blob in blobs:
        for metric in blob["_aws"]["CloudWatchMetrics"][0]["Metrics"]:
            value = blob[metric["Name"]]  # Powertools writes a list of values
            value = value[0] if isinstance(value, list) and len(value) == 1 else value
            values.setdefault(metric["Name"], []).append((value, blob.get("feature")))
    return values


def test_too_little_traffic_is_not_enough_data_and_starts_nothing(monitor, lambda_context, capsys):
    monitor.traffic(["Loved every page.", "Dull and too long."] * 5)
    answer = monitor.tick(lambda_context)
    assert answer["decision"] == "insufficient_data" and answer["rows"] == 10
    assert "not enough data: 10 records in the window, the minimum is 300" in answer["reasons"][0]
    assert answer["max_psi"] is None and monitor.executions() == []
    metrics = metric_values(emf_blobs(capsys))
    assert metrics["DriftDecision"] == [(0, None)] and metrics["RetrainingTriggered"] == [(0, None)]
    assert "FeaturePSI" not in metrics and "MaxPSI" not in metrics  # nothing scored: no data, not zeros
    assert metrics["LabelledRows"] == [(0, None)] and "ModelQualityF1" not in metrics


def test_in_distribution_traffic_is_no_drift_and_starts_nothing(monitor, lambda_context, capsys):
    monitor.traffic(in_distribution(600, rng_seed=3).texts)
    answer = monitor.tick(lambda_context)
    assert answer["decision"] == "none", answer["reasons"]
    assert answer["retraining"]["reason"] == "not_drifted" and monitor.executions() == []
    report = monitor.report()
    assert report["rows"] == 600 and report["max_psi"] < 0.1 and report["text"]["severity"] == "none"
    assert report["prediction"]["status"] == "scored"
    metrics = metric_values(emf_blobs(capsys))
    assert {feature for _, feature in metrics["FeaturePSI"]} <= set(report["features"])
    assert len(metrics["FeaturePSI"]) == sum(f["psi"] is not None for f in report["features"].values())
    assert metrics["MaxPSI"] == [(report["max_psi"], None)] and metrics["DriftDecision"] == [(0, None)]
    assert metrics["PredictionPSI"][0][0] == report["prediction"]["psi"]
    assert metrics["TextDriftScore"][0][0] == report["text"]["score"]


def test_rated_traffic_is_scored_for_live_quality_and_its_metrics_published(monitor, lambda_context, capsys):
    reviews = in_distribution(600, rng_seed=3)
    monitor.traffic(reviews.texts, ratings=[5.0 if label else 1.0 for label in reviews.labels])
    assert monitor.tick(lambda_context)["decision"] == "none"
    quality = monitor.report()["model_quality"]
    assert quality["status"] == "scored" and quality["labelled_rows"] == 600 and quality["severity"] == "none"
    metrics = metric_values(emf_blobs(capsys))
    assert metrics["LabelledRows"] == [(600, None)] and metrics["ModelQualityLevel"] == [(0, None)]
    assert metrics["ModelQualityF1"] == [(quality["macro_f1"], None)]
    assert metrics["ModelQualityDecline"] == [(quality["decline"], None)]


def test_ratings_the_model_contradicts_act_on_quality_and_start_a_run(monitor, lambda_context, capsys):
    # In-distribution texts, so PSI and text drift see nothing; their ratings say the opposite.
    reviews = in_distribution(600, rng_seed=3)
    monitor.traffic(reviews.texts, ratings=[1.0 if label else 5.0 for label in reviews.labels])
    answer = monitor.tick(lambda_context)
    quality = monitor.report()["model_quality"]
    assert answer["decision"] == "act" and quality["severity"] == "act" and quality["macro_f1"] < 0.5
    assert answer["max_psi"] < 0.1 and any("live macro-F1" in why for why in answer["reasons"])
    assert len(monitor.executions()) == 1
    metrics = metric_values(emf_blobs(capsys))
    assert metrics["ModelQualityLevel"] == [(2, None)] and metrics["DriftDecision"] == [(2, None)]


def test_rated_raw_text_captures_become_a_labelled_batch_the_retraining_reads(monitor, lambda_context):
    reviews = in_distribution(600, rng_seed=3)
    ratings = [1.0 if label else 5.0 for label in reviews.labels]  # contradicted: quality acts
    monitor.traffic(reviews.texts, ratings=ratings, raw_text=True)
    monitor.traffic(["Loved it."] * 5)  # no rating, no raw text: not training data
    answer = monitor.tick(lambda_context)
    assert answer["decision"] == "act"
    rows = monitor.labelled_batch()
    assert len(rows) == len(set(reviews.texts)) and len({r["review_id"] for r in rows}) == len(rows)
    by_text = dict(zip(reviews.texts, ratings, strict=True))
    assert all(row["overall"] == by_text[row["reviewText"]] for row in rows)
    assert monitor.report()["labelled_batch"]["rows"] == len(rows)
    (execution,) = monitor.executions()
    request = RunRequest.parse(
        json.loads(
            aws.client("stepfunctions").describe_execution(executionArn=execution["executionArn"])["input"]
        )
    )
    assert request.labelled_prefix == "s3://processed/curated/labelled/"


def test_drift_starts_one_run_and_a_repeated_tick_starts_nothing(monitor, lambda_context):
    monitor.traffic(drifted(400).texts)
    first = monitor.tick(lambda_context)
    assert first["decision"] == "act" and first["retraining"]["started"], first
    runs = monitor.executions()
    assert [r["name"] for r in runs] == [f"drift-v3-{first['window']}"]
    request = json.loads(
        aws.client("stepfunctions").describe_execution(executionArn=runs[0]["executionArn"])["input"]
    )
    assert RunRequest.parse(request).trigger == "drift"  # the state machine's own input contract
    assert request["drift_report"] == first["report"]["json"]

    second = monitor.tick(lambda_context, after=timedelta(minutes=20))  # the same window again
    assert not second["retraining"]["started"] and second["retraining"]["reason"] == "run_in_progress"
    assert "in progress" in second["retraining"]["message"] and len(monitor.executions()) == 1
    assert monitor.report()["retraining_started"]["execution_name"] == runs[0]["name"]  # kept

    aws.client("stepfunctions").stop_execution(executionArn=runs[0]["executionArn"])
    third = monitor.tick(lambda_context, after=timedelta(minutes=30))
    assert third["retraining"]["reason"] == "cooldown" and len(monitor.executions()) == 1


def test_the_window_report_keeps_the_evaluation_that_started_the_run_and_every_evaluation(
    monitor, lambda_context
):
    monitor.traffic(drifted(400).texts)
    first = monitor.tick(lambda_context)
    run = monitor.executions()[0]
    assert first["retraining"]["started"] and run["name"] == f"drift-v3-{first['window']}"
    second = monitor.tick(lambda_context, after=timedelta(minutes=20))  # the same window, during the run
    assert second["window"] == first["window"] and second["retraining"]["reason"] == "run_in_progress"

    report = monitor.report()
    assert report["retraining"]["started"] and report["retraining"]["reason"] == "started"
    assert report["retraining"]["execution_arn"] == run["executionArn"]
    assert report["retraining_started"]["execution_name"] == run["name"]
    assert "in progress" not in json.dumps({k: v for k, v in report.items() if k != "evaluations"})
    record = report["evaluations"]
    assert record["count"] == 2 and record["later"] == 1 and record["shown_because"] == "started_retraining"
    assert [e["retraining"] for e in record["listed"]] == ["started", "run_in_progress"]
    assert record["shown"]["uri"] == first["report"]["evaluation"]

    stored = monitor.evaluations()  # both kept as they were, each where the tick said
    assert [f"s3://drift-reports/{key}" for key, _ in stored] == [
        first["report"]["evaluation"],
        second["report"]["evaluation"],
    ]
    assert stored[0][1]["retraining"]["execution_arn"] == run["executionArn"]
    assert stored[1][1]["retraining"]["reason"] == "run_in_progress"
    assert stored[0][1]["tick"] < stored[1][1]["tick"]
    # readers of reports/ still find one report per window
    summary_key = first["report"]["json"].removeprefix("s3://drift-reports/")
    assert monitor.report_keys() == [summary_key.replace(".json", ".csv"), summary_key]


def test_without_cooldown_the_execution_name_still_allows_one_run_per_window(monitor, lambda_context):
    aws.client("ssm").put_parameter(
        Name=DRIFT_CONFIG_PARAMETER,
        Overwrite=True,
        Type="String",
        Value=json.dumps({**CONFIG, "cooldown_minutes": 0}),
    )
    monitor.traffic(drifted(400).texts)
    assert monitor.tick(lambda_context)["retraining"]["started"]
    aws.client("stepfunctions").stop_execution(executionArn=monitor.executions()[0]["executionArn"])
    again = monitor.tick(lambda_context, after=timedelta(minutes=10))
    assert again["retraining"]["reason"] == "already_started_for_window" and len(monitor.executions()) == 1


def test_consecutive_windows_wait_for_the_streak(monitor, lambda_context):
    aws.client("ssm").put_parameter(
        Name=DRIFT_CONFIG_PARAMETER,
        Overwrite=True,
        Type="String",
        Value=json.dumps({**CONFIG, "consecutive_windows": 2}),
    )
    monitor.traffic(drifted(400).texts)
    answer = monitor.tick(lambda_context)
    assert answer["decision"] == "act" and answer["retraining"]["reason"] == "waiting_for_consecutive_windows"
    assert monitor.executions() == []


def test_unparseable_capture_lines_are_skipped_and_counted(monitor, lambda_context):
    s3 = aws.client("s3")
    monitor.traffic(in_distribution(310).texts)
    put_capture(
        s3,
        "capture",
        ["not json", '{"eventVersion": "0"}', "[1, 2]", '{"eventMetadata": {"inferenceTime": 5}}'],
    )
    answer = monitor.tick(lambda_context)
    assert answer["rows"] == 310 and answer["decision"] != "insufficient_data"
    assert monitor.report()["capture"]["skipped_lines"] == {"not_json": 1, "missing_field": 1, "bad_value": 2}


def test_a_broken_configuration_fails_the_tick_with_the_reason(monitor, lambda_context):
    aws.client("ssm").put_parameter(
        Name=DRIFT_CONFIG_PARAMETER,
        Overwrite=True,
        Type="String",
        Value=json.dumps({"warn": 0.3, "act": 0.2}),
    )
    with pytest.raises(ValueError, match="each act threshold must be at least its warn threshold"):
        monitor.tick(lambda_context)
