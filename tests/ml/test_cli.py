"""The commands end to end on a slice of the shipped data: train one kind, the whole pipeline, validate."""

from __future__ import annotations

import json
import re

import mlflow
import pandas as pd
import pytest
from typer.testing import CliRunner

from review_sentiment.cli import app
from review_sentiment.data.datasets import write_jsonl
from review_sentiment.serving.onnx_model import OnnxSentimentModel

pytestmark = pytest.mark.filterwarnings("ignore:Field onnx.AttributeProto.ints:DeprecationWarning")


@pytest.fixture
def env(tmp_path):
    return {
        "SENTIMENT_STATE_DIR": str(tmp_path / "state"),
        "SENTIMENT_LATENCY_BUDGET_MS": "1000",
        "SENTIMENT_LATENCY_ROWS": "20",
        "SENTIMENT_MLFLOW_TRACKING_URI": "",
        "SENTIMENT_OPTUNA_STORAGE_URL": "",
        # a logistic regression on 1,000 sentences fails some minimum-functionality cases; the
        # behavioural gate has its own tests (tests/stack/test_pipeline_handlers.py)
        "SENTIMENT_MIN_MFT_PASS_RATE": "0",
    }


@pytest.fixture
def small_file(tmp_path, small_frame):
    return write_jsonl(small_frame, tmp_path / "reviews.jsonl")


@pytest.mark.slow
def test_train_one_kind_writes_results_onnx_and_mlflow_runs(tmp_path, env, small_file):
    results_fp = tmp_path / "out" / "results.json"
    out = CliRunner().invoke(
        app,
        [
            "train",
            "--model-kind",
            "logreg",
            "--data",
            str(small_file),
            "--trials",
            "2",
            "--results-fp",
            str(results_fp),
        ],
        env=env,
    )
    assert out.exit_code == 0, out.output
    result = json.loads(results_fp.read_text())
    assert result["model_kind"] == "logreg" and result["n_trials"] == 2
    assert result["parity_label_agreement"] >= 0.995 and result["parity_max_prob_diff"] <= 0.05
    assert 0.5 < result["test_macro_f1"] <= 1.0
    model = OnnxSentimentModel(result["onnx_path"])
    assert model.metadata["data_hash"] == result["data_hash"]
    children = mlflow.search_runs(
        experiment_names=["review-sentiment"],
        filter_string=f"tags.mlflow.parentRunId = '{result['mlflow_run_id']}'",
    )
    assert len(children) == 2  # one nested run per trial


@pytest.mark.slow
def test_train_reads_pre_split_parquet_files(tmp_path, env, small_splits):
    paths = {}
    for name in ("train", "validation", "test"):
        paths[name] = tmp_path / f"{name}.parquet"
        getattr(small_splits, name).drop(columns=["label"]).to_parquet(paths[name])
    out = CliRunner().invoke(
        app,
        ["train", "--model-kind", "mlp", "--trials", "1", *[f"--{k}={v}" for k, v in paths.items()]],
        env=env,
    )
    assert out.exit_code == 0, out.output
    assert f'"test_rows": {len(small_splits.test)}' in out.output


@pytest.mark.slow
def test_run_prints_the_comparison_table_and_sets_the_champion(tmp_path, env, small_file):
    args = ["run", "--data", str(small_file), "--trials", "1", "--model-kinds", "logreg"]
    out = CliRunner().invoke(app, args, env=env)
    assert out.exit_code == 0, out.output
    for expected in (
        "model kind",
        "test F1",
        "p99 ms",
        "ONNX KB",
        "parity agree",
        "VADER (lexicon)",
        "<- chosen",
    ):
        assert expected in out.output
    assert "-> @champion" in out.output
    assert "behavioural tests of the chosen model: minimum_functionality " in out.output
    onnx_path = tmp_path / "state" / "artifacts" / "model.onnx"
    assert f"ONNX model: {onnx_path}" in out.output
    assert OnnxSentimentModel(onnx_path).predict(["What a great read!"])[0]["label"] in {
        "positive",
        "negative",
    }
    summary = json.loads((tmp_path / "state" / "artifacts" / "summary.json").read_text())
    assert summary["split_counts"]["test"]["neutral_excluded"] > 0

    # A second run resumes the study with one more trial: its model is champion only if it beats the
    # first on the test split, else challenger; what it prints must be what the registry holds.
    again = CliRunner().invoke(app, args, env=env)
    assert again.exit_code == 0, again.output
    assert "resuming study" in again.output
    decision = re.search(r"registry: review-sentiment v2 -> @(champion|challenger)", again.output)
    assert decision, again.output
    registry = mlflow.MlflowClient(tracking_uri=f"sqlite:///{tmp_path / 'state' / 'mlflow.db'}")
    champion = str(registry.get_model_version_by_alias("review-sentiment", "champion").version)
    assert champion == ("2" if decision.group(1) == "champion" else "1")
    if decision.group(1) == "challenger":
        assert str(registry.get_model_version_by_alias("review-sentiment", "challenger").version) == "2"


def test_validate_rejects_a_bad_batch_in_one_line(tmp_path, env):
    rows = [
        {
            "reviewerID": f"A{i}",
            "asin": "B1",
            "reviewText": "ok" if i % 2 else "",
            "overall": 5,
            "unixReviewTime": 1400000000,
        }
        for i in range(10)
    ]
    path = tmp_path / "bad.jsonl"
    pd.DataFrame(rows).to_json(path, orient="records", lines=True)
    out = CliRunner().invoke(
        app, ["validate", "--data", str(path), "--out-dir", str(tmp_path / "v")], env=env
    )
    assert out.exit_code == 2
    assert "batch rejected: 5 of 10 rows" in out.output and "Traceback" not in out.output
    quarantine = pd.read_json(tmp_path / "v" / "quarantine.jsonl", lines=True)
    assert set(quarantine["reason"]) == {"empty_text"}


def test_validate_reports_counts_for_a_good_file(tmp_path, env, small_file):
    out = CliRunner().invoke(app, ["validate", "--data", str(small_file)], env=env)
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["quarantined"] == 0


def test_user_mistakes_get_one_line(tmp_path, env):
    out = CliRunner().invoke(app, ["train", "--model-kind", "svm"], env=env)
    assert out.exit_code == 2 and "unknown model kind 'svm'" in out.output
    out = CliRunner().invoke(app, ["validate", "--data", str(tmp_path / "missing.jsonl")], env=env)
    assert out.exit_code == 2 and "no such file" in out.output
