"""What `python -m stack run` derives and prints: state timings from a history, the summary, the zip."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime, timedelta

from review_sentiment import aws
from stack.deployment import DeployedStack, python_packages_zip
from stack.execution import ExecutionResult, state_timings
from stack.report import summary

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def event(kind: str, name: str, second: float, state_input: dict | None = None) -> dict:
    key = "stateEnteredEventDetails" if kind.endswith("Entered") else "stateExitedEventDetails"
    details = {"name": name, **({"input": json.dumps(state_input)} if state_input is not None else {})}
    return {"type": kind, "timestamp": T0 + timedelta(seconds=second), key: details}


def test_state_timings_pair_entries_and_exits_and_label_map_items_by_model_kind():
    history = [
        event("TaskStateEntered", "PrepareRun", 0),
        event("TaskStateExited", "PrepareRun", 2),
        event("MapStateEntered", "TrainModels", 2),
        event("TaskStateEntered", "TrainModelKind", 2, {"job": {"model_kind": "logreg"}}),
        event("TaskStateExited", "TrainModelKind", 12),
        event("TaskStateEntered", "TrainModelKind", 12, {"job": {"model_kind": "mlp"}}),
        event("TaskStateExited", "TrainModelKind", 40),
        event("MapStateExited", "TrainModels", 41),
        event("TaskStateEntered", "SelectBest", 41),
    ]
    timings = state_timings(history)
    assert [(t.label, t.seconds) for t in timings] == [
        ("PrepareRun", 2.0),
        ("TrainModels", 39.0),
        ("TrainModelKind [logreg]", 10.0),
        ("TrainModelKind [mlp]", 28.0),
        ("SelectBest", None),
    ]


def _stack(api_key_id: str = "") -> DeployedStack:
    return DeployedStack(
        {
            "InferenceApiId": "abc123",
            "InferenceApiKeyId": api_key_id,
            "StageName": "local",
            "InferenceApiUrl": "https://abc123.execute-api.us-east-1.amazonaws.com/local/",
        },
        "http://127.0.0.1:4566",
    )


def test_the_summary_of_a_promotion_has_the_table_the_version_the_url_and_a_curl(aws_mock):
    key = aws.client("apigateway").create_api_key(name="k", enabled=True, value="k3y-of-the-stack-0123456789")
    candidate = {
        "model_kind": "logreg",
        "val_macro_f1": 0.72,
        "test_macro_f1": 0.75,
        "test_accuracy": 0.75,
        "onnx_p50_ms": 0.3,
        "onnx_p99_ms": 0.9,
        "onnx_size_bytes": 4 * 1024 * 1024,
        "parity_label_agreement": 1.0,
        "parity_max_prob_diff": 3e-7,
        "parity_passed": True,
    }
    output = {
        "decision": "promoted",
        "summary": "promoted logreg as version 1 (test macro-F1 0.7500)",
        "serving": {"version": "1", "model_kind": "logreg"},
        "challenger": {"model_kind": "logreg"},
        "candidates": [candidate],
        "failed_kinds": [{"model_kind": "mlp", "error": "e", "cause": "exit 1"}],
        "baseline": {"model_kind": "VADER (lexicon)", "test_macro_f1": 0.7004, "test_accuracy": 0.6982},
        "gate": {"behaviour_pass_rates": {"minimum_functionality": 1.0, "invariance": 0.75}},
    }
    result = ExecutionResult("arn:x", "SUCCEEDED", output, None, None, T0, T0 + timedelta(seconds=90))
    text = summary(result, _stack(key["id"]))
    assert "<- chosen" in next(line for line in text.splitlines() if line.startswith("logreg"))
    assert "0.750" in text and "4,096" in text and "3.0e-07" in text
    vader_row = next(line for line in text.splitlines() if line.startswith("VADER (lexicon)"))
    assert vader_row.split()[3:5] == ["0.700", "0.698"]  # same columns as the models: test F1, test acc
    assert "behavioural tests: minimum_functionality 100%, invariance 75%" in text
    assert "mlp" in text and "FAILED: exit 1" in text
    assert "promoted version: 1 (logreg)" in text
    assert "http://127.0.0.1:4566/_aws/execute-api/abc123/local/predict" in text
    assert "curl -s -X POST http://127.0.0.1:4566/_aws/execute-api/abc123/local/predict" in text
    assert "-H 'x-api-key: k3y-of-the-stack-0123456789'" in text  # the printed curl answers: it sends the key


def test_the_summary_of_a_failure_shows_the_error_and_cause():
    result = ExecutionResult(
        "arn:x",
        "FAILED",
        None,
        "NoInputData",
        "NoInputData: no review files under s3://r/",
        T0,
        T0 + timedelta(seconds=3),
    )
    text = summary(result, _stack())
    assert "execution FAILED in 3.0 s" in text and "cause: NoInputData: no review files under s3://r/" in text


def test_the_glue_code_zip_holds_the_domain_package_and_the_job_runtime():
    names = zipfile.ZipFile(io.BytesIO(python_packages_zip())).namelist()
    assert "review_sentiment/data/validation.py" in names and "glue_jobs/_runtime.py" in names
    assert not [n for n in names if "__pycache__" in n]
