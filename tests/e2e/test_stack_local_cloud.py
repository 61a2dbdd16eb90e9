"""End to end on the embedded local cloud: deploy template.yaml, run the training pipeline, call the API.

One stack for the session (the `stack` fixture of conftest.py), deployed from nothing into the test
session's own local cloud; the tests run in order and each leaves the champion that the next one
expects (test_stack_local_cloud_api.py tests the API against it, test_stack_local_cloud_drift.py
monitors its traffic). Small on purpose: one model kind, one Optuna trial.
"""

from __future__ import annotations

import json
import shutil
import urllib.error
import urllib.request

import pytest

from review_sentiment import aws
from review_sentiment.config import Settings
from review_sentiment.data.datasets import assign_split, load_shipped, write_jsonl
from review_sentiment.progress import Progress
from stack import execution
from stack.settings import SHIPPED_REVIEWS
from tests.support.stack import TRAINING, run_pipeline

pytestmark = [pytest.mark.slow, pytest.mark.localcloud]


@pytest.fixture(scope="module")
def served(stack) -> dict:
    """What the first test promoted (the later tests check that it keeps serving)."""
    return {}


def predict(stack, text: str = "A wonderful book, I loved every page.") -> tuple[int, dict]:
    request = urllib.request.Request(
        f"{stack.api_base_url}/predict",
        data=json.dumps({"reviewText": text}).encode(),
        headers={"Content-Type": "application/json", "x-api-key": stack.api_key},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def test_before_any_run_the_api_answers_503(stack):
    status, body = predict(stack)
    assert status == 503
    assert "no champion" in body["detail"]


# Execution inputs as sent to StartExecution (JSON text): not an object, or an object that breaks the
# contract. Each must end in the documented failure path before any job starts.
BAD_EXECUTION_INPUTS = {
    "json-string": (json.dumps(json.dumps({"raw_prefix": "s3://bucket/reviews/"})), "encoded twice"),
    "array": (json.dumps(["s3://bucket/reviews/"]), "got a JSON array"),
    "number": ("42", "got a JSON number"),
    "null": ("null", "got null"),
    "unknown-kind": (json.dumps({"raw_prefix": "s3://bucket/reviews/", "model_kinds": ["svm"]}), "svm"),
    "bad-prefix": (json.dumps({"raw_prefix": "reviews/"}), "not an S3 URI"),
    "wrong-type": (json.dumps({"raw_prefix": "s3://bucket/reviews/", "trials_per_kind": "2"}), 'got "2"'),
}


def test_any_bad_execution_input_ends_in_record_failure_before_any_job(stack):
    sfn = aws.client("stepfunctions")
    arns = {
        case: sfn.start_execution(
            stateMachineArn=stack["TrainingPipelineStateMachineArn"], name=f"bad-input-{case}", input=text
        )["executionArn"]
        for case, (text, _) in BAD_EXECUTION_INPUTS.items()
    }
    for case, arn in arns.items():
        result = execution.follow(arn, Progress(), poll_s=1.0, timeout_s=300)
        expected = BAD_EXECUTION_INPUTS[case][1]
        assert result.status == "FAILED", case
        assert result.error == "InvalidRunRequest", (case, result.error, result.cause)
        assert expected in result.cause and "\n" not in result.cause, (case, result.cause)
        states = [s.name for s in result.states]
        assert states == ["WrapInput", "PrepareRun", "RecordFailure", "PipelineFailed"], (case, states)
        stored = json.loads(
            aws.client("s3")
            .get_object(Bucket=stack["ModelsBucketName"], Key=f"runs/bad-input-{case}/failure.json")["Body"]
            .read()
        )
        assert (stored["error"], stored["cause"]) == (result.error, result.cause)


def test_the_main_job_promotes_a_model_that_the_api_serves(stack, served):
    raw_prefix = execution.upload_reviews(stack["RawBucketName"], SHIPPED_REVIEWS)
    result = run_pipeline(stack, {"raw_prefix": raw_prefix, **TRAINING})
    assert result.status == "SUCCEEDED", result.cause
    assert result.output["decision"] == "promoted"
    version = result.output["promotion"]["version"]
    status, body = predict(stack)
    assert status == 200
    assert body["model"]["version"] == version and body["model"]["kind"] == "logreg"
    assert body["label"] == "positive"
    assert [s.name for s in result.states][:4] == [
        "WrapInput",
        "PrepareRun",
        "ValidateReviews",
        "PreprocessReviews",
    ]
    served["version"] = version


def test_a_worse_challenger_keeps_the_champion_and_says_why(stack, served, tmp_path):
    # Same reviews, but the training and validation rows carry inverted ratings: the challenger learns
    # the opposite sentiment, while the test split (kept intact) shows the champion is better.
    reviews = load_shipped()
    train_side = assign_split(reviews, Settings().seed) != "test"
    inverted = reviews["overall"].map({1: 5, 2: 4, 3: 3, 4: 2, 5: 1})
    reviews.loc[train_side, "overall"] = inverted[train_side]
    path = write_jsonl(reviews, tmp_path / "inverted_reviews.jsonl.gz")
    result = run_pipeline(
        stack, {"raw_prefix": execution.upload_reviews(stack["RawBucketName"], path), **TRAINING}
    )
    assert result.status == "SUCCEEDED", result.cause
    assert result.output["decision"] == "champion_kept"
    assert result.output["summary"].startswith(f"champion version {served['version']} kept")
    assert "does not beat champion" in result.output["summary"]
    assert "KeepChampion" in [s.name for s in result.states]
    assert int(result.output["challenger"]["registered_version"]) > int(served["version"])
    assert predict(stack)[1]["model"]["version"] == served["version"]


def test_a_prefix_without_data_fails_clearly_and_the_champion_keeps_serving(stack, served):
    empty = f"s3://{stack['RawBucketName']}/nothing-here/"
    result = run_pipeline(stack, {"raw_prefix": empty, **TRAINING})
    assert result.status == "FAILED"
    assert result.error == "NoInputData"
    assert f"no review files under {empty}" in result.cause
    assert predict(stack)[1]["model"]["version"] == served["version"]


def test_a_batch_rejected_by_validation_fails_clearly_and_the_champion_keeps_serving(stack, served, tmp_path):
    reviews = load_shipped().head(400).copy()
    reviews.loc[reviews.index[:200], "overall"] = 9  # half the batch breaks the rating range
    path = tmp_path / "bad_reviews.jsonl.gz"
    write_jsonl(reviews, path)
    result = run_pipeline(
        stack, {"raw_prefix": execution.upload_reviews(stack["RawBucketName"], path), **TRAINING}
    )
    assert result.status == "FAILED"
    assert result.error == "GlueJobFailed"
    assert "batch rejected: 200 of 400 rows" in result.cause
    assert "rating_out_of_range" in result.cause
    assert predict(stack)[1]["model"]["version"] == served["version"]


def test_metrics_of_the_runs_and_the_api_reach_prometheus(stack, served, local_cloud, tmp_path):
    # after the runs above (one promoted, one kept, two failed): the same stack, no extra pipeline run
    from tests.support.prometheus import run_check

    if shutil.which("prometheus") is None:  # a failure, not a skip: `make test` installs it
        pytest.fail("no prometheus binary: `make prometheus` installs Debian's package", pytrace=False)
    run_check(stack, local_cloud.client_env(), tmp_path / "metrics")
