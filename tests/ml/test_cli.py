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
        # behavioural gate has its own tests (tests/functions/test_pipeline_handlers.py)
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
    model = OnnxSentimentModel(result["onnx_uri"])
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


# --- bad input: one line saying what to do, exit code 2, never a traceback -------------------------------
def _reviews(n: int = 3) -> list[dict]:
    return [
        {
            "reviewerID": f"A{i}",
            "asin": "B1",
            "reviewText": "Un café, très bon",
            "overall": 5,
            "unixReviewTime": 1400000000,
        }
        for i in range(n)
    ]


def _jsonl(rows: list[dict]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


def _bad_inputs(folder) -> dict[str, tuple[list[str], str]]:
    """case -> (arguments, what the one line must say). Files are written into `folder`."""
    (folder / "empty.jsonl").write_bytes(b"")
    (folder / "latin1.jsonl").write_bytes(_jsonl(_reviews()).encode("latin-1"))
    (folder / "no_text.csv").write_text("asin,rating,text,reviewerID,unixReviewTime\nB1,5,ok,A1,1400000000\n")
    (folder / "array.json").write_text(json.dumps(_reviews()) + "\n")
    (folder / "broken.jsonl.gz").write_bytes(b"not gzip at all")
    (folder / "reviews.xml").write_text("<reviews/>")
    (folder / "bad.parquet").write_bytes(b"PAR")
    (folder / "bad.onnx").write_bytes(b"not a graph")
    (folder / "no_reviews").mkdir()
    (folder / "no_reviews" / "notes.txt").write_text("nothing")
    ok = str(folder / "latin1.jsonl")
    return {
        "unknown option": (["validate", "--dta", ok], "No such option: --dta"),
        "unknown command": (["frobnicate"], "No such command 'frobnicate'"),
        "missing option": (["train"], "Missing option '--model-kind'"),
        "not a number": (["validate", "--max-bad-fraction", "abc"], "Invalid value for '--max-bad-fraction'"),
        "fraction out of range": (["validate", "--max-bad-fraction", "2"], "less than or equal to 1"),
        "zero trials": (["train", "--model-kind", "logreg", "--trials", "0"], "Invalid value for '--trials'"),
        "no texts": (["predict"], "Missing argument 'texts'"),
        "unknown model kind": (["train", "--model-kind", "svm"], "unknown model kind 'svm'"),
        "incomplete splits": (["train", "--model-kind", "logreg", "--train", ok], "pass all of --train"),
        "missing file": (["validate", "--data", str(folder / "missing.jsonl")], "no such file"),
        "missing training file": (
            ["train", "--model-kind", "mlp", "--data", str(folder / "nope.csv")],
            "no such file",
        ),
        "folder without reviews": (["validate", "--data", str(folder / "no_reviews")], "no review files"),
        "unknown format": (["validate", "--data", str(folder / "reviews.xml")], "unknown format"),
        "empty file": (["validate", "--data", str(folder / "empty.jsonl")], "holds no reviews"),
        "wrong encoding": (["validate", "--data", ok], "not UTF-8"),
        "wrong columns": (["validate", "--data", str(folder / "no_text.csv")], "lacks that column"),
        "not JSON lines": (["validate", "--data", str(folder / "array.json")], "not objects"),
        "corrupt gzip": (["validate", "--data", str(folder / "broken.jsonl.gz")], "does not decompress"),
        "corrupt parquet": (["validate", "--data", str(folder / "bad.parquet")], "not readable as Parquet"),
        "missing model": (["predict", "x", "--model", str(folder / "none.onnx")], "is not a model file"),
        "corrupt model": (["predict", "x", "--model", str(folder / "bad.onnx")], "not a sentiment ONNX"),
    }


BAD_CASES = [
    "unknown option",
    "unknown command",
    "missing option",
    "not a number",
    "fraction out of range",
    "zero trials",
    "no texts",
    "unknown model kind",
    "incomplete splits",
    "missing file",
    "missing training file",
    "folder without reviews",
    "unknown format",
    "empty file",
    "wrong encoding",
    "wrong columns",
    "not JSON lines",
    "corrupt gzip",
    "corrupt parquet",
    "missing model",
    "corrupt model",
]


@pytest.mark.parametrize("case", BAD_CASES)
def test_every_bad_input_gets_one_line_saying_what_to_do(tmp_path, env, case):
    args, expected = _bad_inputs(tmp_path)[case]
    out = CliRunner().invoke(app, args, env=env)
    assert out.exit_code == 2, out.output
    lines = out.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), out.output
    assert expected in lines[0] and "Traceback" not in out.output


def test_a_cut_off_last_line_is_quarantined_with_its_line_and_the_good_rows_kept(tmp_path, env):
    """The issue's case: two complete lines, then one cut off mid-record (a partial download)."""
    path = tmp_path / "cut_off.jsonl"
    path.write_text(_jsonl(_reviews(2)) + '{"reviewerID": "A4TEST5", "asin": "B000TEST09", "reviewerName":')
    args = ["validate", "--data", str(path), "--out-dir", str(tmp_path / "v"), "--max-bad-fraction", "0.5"]
    out = CliRunner().invoke(app, args, env=env)
    assert out.exit_code == 0, out.output
    report = json.loads(out.output)
    assert (report["valid"], report["quarantined"], report["reasons"]) == (2, 1, {"unparseable_record": 1})
    quarantine = pd.read_json(tmp_path / "v" / "quarantine.jsonl", lines=True)
    assert quarantine[["line", "reason"]].values.tolist() == [[3, "unparseable_record"]]
    assert quarantine["raw"].item().endswith('"reviewerName":')
    assert pd.read_json(tmp_path / "v" / "valid.jsonl", lines=True)["reviewerID"].tolist() == ["A0", "A1"]


def test_a_utf16_file_with_a_byte_order_mark_is_read(tmp_path, env):
    path = tmp_path / "utf16.jsonl"
    path.write_bytes(_jsonl(_reviews()).encode("utf-16"))
    out = CliRunner().invoke(app, ["validate", "--data", str(path)], env=env)
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["valid"] == 3
