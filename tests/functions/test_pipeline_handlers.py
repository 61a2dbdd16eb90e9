"""Unit tests of the pipeline Lambdas (PrepareRun, SelectBest, RecordOutcome, RecordFailure) on moto."""

from __future__ import annotations

import json
import re

import pytest
from pydantic import ValidationError

from review_sentiment import aws
from review_sentiment.pipeline.plan import InvalidRunRequest, NoInputData, RunPlan
from review_sentiment.pipeline.selection_step import NoModelTrained
from review_sentiment.serving.champion import Champion, write_champion
from tests.support.stack import (
    CHAMPION_PARAMETER,
    CONFIG_PARAMETER,
    REPO_ROOT,
    load_handler,
    put_json,
    run_plan,
    training_result,
)

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics")

CONFIG = {
    "model_kinds": ["logreg", "mlp"],
    "max_concurrency": 1,
    "trials_per_kind": 3,
    "max_bad_fraction": 0.05,
    "thresholds": {"min_macro_f1": 0.5, "min_improvement": 0.0, "latency_budget_ms": 5.0},
}


@pytest.fixture
def configured(aws_mock):
    aws.client("ssm").put_parameter(Name=CONFIG_PARAMETER, Value=json.dumps(CONFIG), Type="String")
    aws.client("s3").put_object(Bucket="raw", Key="incoming/reviews.jsonl", Body=b'{"reviewText": "x"}\n')


def prepare(handler, request, context, name="run-1"):
    return handler.lambda_handler({"request": request, "execution_name": name, "started_at": "now"}, context)


# --- PrepareRun ---------------------------------------------------------------------------------------
def test_prepare_run_plans_one_training_job_per_requested_kind(configured, lambda_context):
    handler = load_handler("prepare_run")
    run = prepare(
        handler,
        {"raw_prefix": "s3://raw/incoming", "model_kinds": ["mlp"], "trials_per_kind": 2},
        lambda_context,
        name="exec:42",
    )
    assert run["run_id"] == "exec-42"
    assert [job["model_kind"] for job in run["training_jobs"]] == ["mlp"]
    assert run["training_jobs"][0]["output_uri"] == "s3://models/runs/exec-42/mlp/"
    assert run["paths"]["raw_input"] == "s3://raw/incoming/" == run["paths"]["inputs"]
    assert run["paths"]["processed"].startswith("s3://processed/runs/exec-42/")
    assert run["settings"]["trials_per_kind"] == 2 and run["settings"]["max_bad_fraction"] == 0.05
    assert not [key for key in json.dumps(run).split('"') if key.endswith("_arg")]  # no strings for the ASL
    assert RunPlan.model_validate(run).settings.model_kinds == ["mlp"]  # what every later step parses


def test_a_drift_run_validates_the_labelled_captures_after_the_raw_uploads(configured, lambda_context):
    request = {
        "raw_prefix": "s3://raw/incoming/",
        "labelled_prefix": "s3://processed/curated/labelled",
        "trigger": "drift",
    }
    run = prepare(load_handler("prepare_run"), request, lambda_context)
    assert run["paths"]["inputs"] == "s3://raw/incoming/,s3://processed/curated/labelled/"
    assert RunPlan.model_validate(run).paths.labelled_input == "s3://processed/curated/labelled/"
    with pytest.raises(InvalidRunRequest, match=r"labelled_prefix: .*a comma"):
        comma = {**request, "labelled_prefix": "s3://processed/a,b/"}
        prepare(load_handler("prepare_run"), comma, lambda_context)


def test_prepare_run_defaults_come_from_the_deployed_configuration(configured, lambda_context):
    handler = load_handler("prepare_run")
    run = prepare(handler, {"raw_prefix": "s3://raw/incoming/"}, lambda_context)
    assert run["settings"]["model_kinds"] == ["logreg", "mlp"]
    assert run["trigger"] == "manual"
    assert run["settings"]["trials_per_kind"] == 3
    assert run["settings"]["thresholds"] == {
        "min_macro_f1": 0.5,
        "min_improvement": 0.0,
        "latency_budget_ms": 5.0,
        "min_mft_pass_rate": 1.0,  # the defaults of the one Thresholds model
        "min_recent_rows": 30,
        "reference_tolerance": 0.01,
    }


@pytest.mark.parametrize(
    ("request_body", "expected"),
    [
        ({"raw_prefix": "s3://raw/incoming/", "model_kinds": ["svm"]}, "unknown model kind"),
        ({"raw_prefix": "/tmp/reviews"}, "not an S3 URI"),
        ({"raw_prefix": "s3://raw/incoming/", "trigger": "cron"}, "trigger"),
        ({"raw_prefix": "s3://raw/incoming/", "colour": "red"}, "colour"),
        ({}, "raw_prefix"),
    ],
)
def test_prepare_run_rejects_bad_input_with_the_field_and_reason(
    configured, lambda_context, request_body, expected
):
    handler = load_handler("prepare_run")
    with pytest.raises(InvalidRunRequest, match=expected):
        prepare(handler, request_body, lambda_context)


# Every kind of bad execution input, with what the one-line reason must name. The state machine wraps the
# input as $.request (WrapInput), so PrepareRun sees it whatever its JSON type.
BAD_INPUTS = {
    "a JSON string holding an object": ('{"raw_prefix": "s3://raw/incoming/"}', "encoded twice"),
    "a JSON string": ("s3://raw/incoming/", "got a JSON string"),
    "an array": (["s3://raw/incoming/"], "got a JSON array"),
    "a number": (42, "got a JSON number"),
    "null": (None, "got null"),
    "a boolean": (True, "got a JSON boolean"),
    "no prefix": ({}, "raw_prefix: Field required"),
    "prefix not a string": ({"raw_prefix": 5}, "raw_prefix: Input should be a valid string"),
    "prefix not S3": ({"raw_prefix": "/tmp/reviews"}, "not an S3 URI"),
    "prefix of another scheme": ({"raw_prefix": "https://raw/incoming/"}, "not an S3 URI"),
    "prefix without a bucket": ({"raw_prefix": "s3:///incoming/"}, "not an S3 URI"),
    "prefix with an invalid bucket": ({"raw_prefix": "s3://Raw_Bucket/x/"}, "not an S3 URI"),
    "prefix with a space": ({"raw_prefix": "s3://raw/in coming/"}, "whitespace"),
    "prefix with an empty part": ({"raw_prefix": "s3://raw//incoming/"}, "empty path part"),
    "unknown model kind": ({"raw_prefix": "s3://raw/incoming/", "model_kinds": ["svm"]}, "unknown model"),
    "model kinds not a list": ({"raw_prefix": "s3://raw/incoming/", "model_kinds": "logreg"}, "valid list"),
    "no model kind": ({"raw_prefix": "s3://raw/incoming/", "model_kinds": []}, "at least 1 item"),
    "repeated model kind": ({"raw_prefix": "s3://raw/incoming/", "model_kinds": ["mlp", "mlp"]}, "repeat"),
    "trials as text": ({"raw_prefix": "s3://raw/incoming/", "trials_per_kind": "3"}, 'got "3"'),
    "trials as a boolean": ({"raw_prefix": "s3://raw/incoming/", "trials_per_kind": True}, "got true"),
    "concurrency as a float": ({"raw_prefix": "s3://raw/incoming/", "max_concurrency": 2.0}, "got 2.0"),
    "concurrency out of range": ({"raw_prefix": "s3://raw/incoming/", "max_concurrency": 99}, "less than"),
    "unknown trigger": ({"raw_prefix": "s3://raw/incoming/", "trigger": "cron"}, "trigger"),
    "unknown field": ({"raw_prefix": "s3://raw/incoming/", "colour": "red"}, "colour: unknown field"),
}


@pytest.mark.parametrize(("request_body", "expected"), BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
def test_prepare_run_refuses_every_kind_of_bad_input_strictly_in_one_line(
    configured, lambda_context, request_body, expected
):
    handler = load_handler("prepare_run")
    with pytest.raises(InvalidRunRequest) as refused:
        prepare(handler, request_body, lambda_context)
    message = str(refused.value)
    assert expected in message and "\n" not in message and message.startswith("invalid execution input: ")


def test_prepare_run_fails_when_the_prefix_holds_no_data(configured, lambda_context):
    handler = load_handler("prepare_run")
    with pytest.raises(NoInputData, match="no review files under s3://raw/nothing-here/"):
        prepare(handler, {"raw_prefix": "s3://raw/nothing-here/"}, lambda_context)


# --- SelectBest ----------------------------------------------------------------------------------------
result = training_result


def plan(run_id: str = "run-1", min_mft_pass_rate: float = 0.0) -> dict:
    """A planned run; the behavioural gate is off unless a test is about it."""
    return run_plan(run_id, min_mft_pass_rate=min_mft_pass_rate)


def trained(kind: str, run_id: str = "run-1") -> dict:
    return {"model_kind": kind, "status": "SUCCEEDED", "output_uri": f"s3://models/runs/{run_id}/{kind}/"}


def test_select_best_takes_the_best_validation_score_and_lists_failed_kinds(
    aws_mock, lambda_context, tiny_model
):
    handler = load_handler("select_best")
    aws.client("s3").put_object(Bucket="models", Key="runs/run-1/mlp/model.onnx", Body=tiny_model.onnx)
    put_json("models", "runs/run-1/logreg/result.json", result("logreg", 0.70, 0.71))
    put_json("models", "runs/run-1/mlp/result.json", result("mlp", 0.80, 0.78))
    put_json("models", "runs/run-1/random_forest/result.json", result("random_forest", 0.90, 0.9, p99=50.0))
    training = [
        trained("logreg"),
        trained("mlp"),
        trained("random_forest"),
        {
            "model_kind": "hist_gradient_boosting",
            "output_uri": "s3://models/runs/run-1/hist_gradient_boosting/",
            "status": "FAILED",
            "error": "States.TaskFailed",
            "cause": "exit code 1",
        },
    ]
    selection = handler.lambda_handler({"run": plan(), "training": training}, lambda_context)
    assert selection["best"]["model_kind"] == "mlp"  # random_forest is better but over the latency budget
    assert selection["best"]["onnx_uri"] == "s3://models/runs/run-1/mlp/model.onnx"
    assert [f["model_kind"] for f in selection["failed_kinds"]] == ["hist_gradient_boosting"]
    assert selection["champion"] is None
    assert selection["gate"]["beats_champion"] is True and selection["gate"]["passed"] is True
    assert selection["baseline"] == {
        "model_kind": "VADER (lexicon)",
        "test_macro_f1": 0.70,
        "test_accuracy": 0.69,
        "test_rows": 444,
    }
    # the behavioural tests ran on the chosen graph with onnxruntime and are recorded
    assert selection["behaviour"]["minimum_functionality"]["total"] == 10
    assert set(selection["gate"]["behaviour_pass_rates"]) == {
        "minimum_functionality",
        "invariance",
        "directional",
    }


def test_the_behavioural_gate_refuses_a_challenger_that_fails_minimum_functionality(
    aws_mock, lambda_context, inverted_model
):
    """Whatever its F1 (0.95 here, no champion to beat), a model that calls clear negatives positive and
    clear positives negative is not promoted, and the failed cases are the recorded reason."""
    handler = load_handler("select_best")
    aws.client("s3").put_object(Bucket="models", Key="runs/run-1/mlp/model.onnx", Body=inverted_model)
    put_json("models", "runs/run-1/mlp/result.json", result("mlp", 0.95, 0.95))
    selection = handler.lambda_handler(
        {"run": plan(min_mft_pass_rate=1.0), "training": [trained("mlp")]}, lambda_context
    )
    gate = selection["gate"]
    assert gate["beats_champion"] is True  # F1 alone would promote it
    assert gate["passed"] is False and gate["behaviour_passed"] is False
    assert gate["behaviour_pass_rates"]["minimum_functionality"] < 1.0
    reason = next(r for r in gate["reasons"] if r.startswith("behavioural test minimum_functionality"))
    assert "expected negative, got positive" in reason or "expected positive, got negative" in reason
    failures = selection["behaviour"]["minimum_functionality"]["failures"]
    assert len(failures) == 10 - selection["behaviour"]["minimum_functionality"]["passed"] > 0


def test_a_challenger_whose_graph_cannot_be_tested_is_not_promoted(aws_mock, lambda_context):
    handler = load_handler("select_best")
    put_json("models", "runs/run-1/mlp/result.json", result("mlp", 0.9, 0.9))  # no model.onnx beside it
    selection = handler.lambda_handler({"run": plan(), "training": [trained("mlp")]}, lambda_context)
    assert selection["gate"]["passed"] is False
    assert any(r.startswith("behavioural tests could not run") for r in selection["gate"]["reasons"])


def test_select_best_fails_clearly_when_no_kind_produced_a_model(aws_mock, lambda_context):
    handler = load_handler("select_best")
    put_json("models", "runs/run-1/random_forest/result.json", {"model_kind": "random_forest", "val": 1})
    training = [
        {**trained("logreg"), "status": "FAILED", "error": "States.TaskFailed", "cause": "OOM"},
        trained("mlp"),  # succeeded but wrote no result.json
        trained("random_forest"),  # wrote something that is not a training result
    ]
    expected = "logreg: States.TaskFailed OOM; mlp: NoResult the job wrote no s3://models/runs/run-1/mlp/"
    with pytest.raises(NoModelTrained, match=re.escape(expected)) as refused:
        handler.lambda_handler({"run": plan(), "training": training}, lambda_context)
    invalid = "random_forest: InvalidResult s3://models/runs/run-1/random_forest/result.json: "
    assert invalid in str(refused.value) and "val_macro_f1: Field required" in str(refused.value)


@pytest.mark.parametrize(
    "event",
    [
        {"run": {"run_id": "run-1"}, "training": []},
        {"run": run_plan(), "training": [{"model_kind": "mlp", "status": "DONE", "output_uri": "s3://m/"}]},
        {"training": []},
    ],
    ids=["partial-run", "unknown-status", "no-run"],
)
def test_select_best_refuses_a_payload_that_is_not_its_message(aws_mock, lambda_context, event):
    with pytest.raises(ValidationError):
        load_handler("select_best").lambda_handler(event, lambda_context)


def _serve_tiny_champion(tiny_model, version: str = "1", recorded_f1: float = 0.1) -> Champion:
    aws.client("s3").put_object(Bucket="models", Key="runs/run-0/logreg/model.onnx", Body=tiny_model.onnx)
    champion = Champion(
        model_name="review-sentiment",
        version=version,
        model_kind="logreg",
        model_uri="s3://models/runs/run-0/logreg/model.onnx",
        test_macro_f1=recorded_f1,
        run_id="run-0",
    )
    write_champion(aws.client("ssm"), CHAMPION_PARAMETER, champion)
    return champion


def test_select_best_rescores_the_champion_on_this_runs_test_split(aws_mock, lambda_context, tiny_model):
    handler = load_handler("select_best")
    # The champion's recorded score (0.1) would lose; re-scored on the same rows it beats the challenger.
    _serve_tiny_champion(tiny_model, recorded_f1=0.1)
    aws.client("s3").put_object(
        Bucket="processed",
        Key="runs/run-1/processed/split=test/part-0.parquet",
        Body=tiny_model.test_split_parquet(),
    )
    challenger = tiny_model.test_macro_f1 - 0.05
    put_json("models", "runs/run-1/mlp/result.json", result("mlp", 0.8, challenger))
    selection = handler.lambda_handler({"run": plan(), "training": [trained("mlp")]}, lambda_context)
    assert selection["champion"]["test_macro_f1_same_split"] == pytest.approx(tiny_model.test_macro_f1)
    assert selection["gate"]["beats_champion"] is False
    assert selection["gate"]["passed"] is False
    assert any("does not beat champion" in reason for reason in selection["gate"]["reasons"])


def test_select_best_gate_fails_on_parity_and_minimum_f1(aws_mock, lambda_context):
    handler = load_handler("select_best")
    put_json("models", "runs/run-1/mlp/result.json", {**result("mlp", 0.45, 0.4), "parity_passed": False})
    selection = handler.lambda_handler({"run": plan(), "training": [trained("mlp")]}, lambda_context)
    reasons = " | ".join(selection["gate"]["reasons"])
    assert selection["gate"]["passed"] is False
    assert "ONNX parity failed" in reasons and "below the configured minimum 0.5000" in reasons


# --- RecordOutcome / RecordFailure -----------------------------------------------------------------------
def test_record_outcome_stores_why_the_champion_was_kept(aws_mock, lambda_context):
    handler = load_handler("record_outcome")
    event = json.loads((REPO_ROOT / "events" / "record_outcome_kept.json").read_text())
    aws.client("s3").create_bucket(Bucket="models-example")  # the sample's bucket
    record = handler.lambda_handler(event, lambda_context)
    assert record["summary"].startswith("champion version 3 kept: test macro-F1 0.7470 does not beat")
    assert record["serving"] == {"version": "3", "model_kind": "mlp"}
    assert record["challenger"]["registered_version"] == "4"
    stored = aws.client("s3").get_object(Bucket="models-example", Key="runs/run-example/outcome.json")
    stored = json.loads(stored["Body"].read())
    assert stored["decision"] == "champion_kept" and stored["gate"]["passed"] is False


def test_record_failure_turns_a_glue_rejection_into_one_line(aws_mock, lambda_context):
    handler = load_handler("record_failure")
    cause = {
        "JobName": "validate-reviews",
        "JobRunState": "FAILED",
        "Id": "jr_1",
        "ErrorMessage": "BatchRejected: batch rejected: 40 of 100 rows (40.0%) broke the contract",
    }
    state = {
        "run": plan(),
        "error": {"Error": "States.TaskFailed", "Cause": json.dumps(cause)},
    }
    out = handler.lambda_handler({"input": state, "execution_name": "run-1"}, lambda_context)
    assert out["error"] == "GlueJobFailed"
    assert out["cause"] == (
        "Glue job validate-reviews FAILED: "
        "BatchRejected: batch rejected: 40 of 100 rows (40.0%) broke the contract"
    )
    stored = json.loads(
        aws.client("s3").get_object(Bucket="models", Key="runs/run-1/failure.json")["Body"].read()
    )
    assert stored["cause"] == out["cause"]


def test_record_failure_before_the_run_was_planned_uses_the_execution_name(aws_mock, lambda_context):
    handler = load_handler("record_failure")
    lambda_error = {
        "errorType": "NoInputData",
        "errorMessage": "no review files under s3://raw/x/",
        "stackTrace": ["..."],
    }
    state = {
        "request": {"raw_prefix": "s3://raw/x/"},
        "error": {"Error": "NoInputData", "Cause": json.dumps(lambda_error)},
    }
    out = handler.lambda_handler({"input": state, "execution_name": "exec:9"}, lambda_context)
    assert (out["error"], out["cause"]) == ("NoInputData", "NoInputData: no review files under s3://raw/x/")
    assert out["failure_uri"] == "s3://models/runs/exec-9/failure.json"


@pytest.mark.parametrize(
    "state",
    [
        "not an object",
        ["a", "list"],
        None,
        {"run": "not an object", "error": "not an object either"},
        {"run": {"paths": "nowhere"}, "error": {"Error": "States.Runtime"}},
        {"run": {"paths": {"failure": 7}}},
    ],
    ids=["string", "array", "null", "fields-of-wrong-type", "paths-not-an-object", "failure-not-a-uri"],
)
def test_record_failure_records_whatever_state_it_is_given(aws_mock, lambda_context, state, capsys):
    handler = load_handler("record_failure")
    out = handler.lambda_handler({"input": state, "execution_name": "exec:bad"}, lambda_context)
    assert out["failure_uri"] == "s3://models/runs/exec-bad/failure.json"
    stored = json.loads(
        aws.client("s3").get_object(Bucket="models", Key="runs/exec-bad/failure.json")["Body"].read()
    )
    assert stored["status"] == "FAILED" and stored["error"] == out["error"] and "\n" not in stored["cause"]
    metrics = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert [m["PipelineRunsFailed"] for m in metrics] == [[1.0]]  # the failed-run metric (EMF)


def test_record_failure_names_the_failed_training_job_and_exit_code(aws_mock, lambda_context):
    handler = load_handler("record_failure")
    cause = {
        "JobName": "train-mlp-run-1",
        "JobQueue": "q",
        "Status": "FAILED",
        "StatusReason": "Essential container in task exited",
        "Container": {"ExitCode": 2},
    }
    state = {"error": {"Error": "States.TaskFailed", "Cause": json.dumps(cause)}}
    out = handler.lambda_handler({"input": state, "execution_name": "e"}, lambda_context)
    assert (
        out["cause"] == "Batch job train-mlp-run-1 FAILED (exit code 2): Essential container in task exited"
    )
