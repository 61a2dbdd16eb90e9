"""The training container's entrypoint: one model kind from processed Parquet (moto S3) to a model."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from moto import mock_aws

from review_sentiment import aws
from review_sentiment.data.datasets import SPLITS, assign_split, load_shipped, with_labels
from review_sentiment.modeling.onnx_export import probe_texts
from review_sentiment.serving.onnx_model import OnnxSentimentModel
from training import entrypoint

REPO = Path(__file__).resolve().parents[2]


def _processed(folder: Path, rows: int = 1500) -> Path:
    """Data in the preprocessing job's layout: <folder>/split=<name>/part-0.parquet."""
    frame = with_labels(load_shipped().iloc[:rows])
    frame["split"] = assign_split(frame, seed=42)
    for split in SPLITS:
        part = folder / f"split={split}"
        part.mkdir(parents=True)
        frame[frame["split"] == split].drop(columns=["split"]).to_parquet(part / "part-0.parquet")
    return folder


@pytest.fixture
def s3(monkeypatch, tmp_path):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("SENTIMENT_STATE_DIR", str(tmp_path / "state"))
    with mock_aws():
        aws.client.cache_clear()
        client = aws.client("s3")
        for bucket in ("processed", "models"):
            client.create_bucket(Bucket=bucket)
        yield client
    aws.client.cache_clear()


@pytest.mark.slow
def test_one_kind_trains_from_s3_and_publishes_model_metrics_and_parity(s3, tmp_path):
    local = _processed(tmp_path / "processed")
    for path in local.rglob("*.parquet"):
        s3.upload_file(str(path), "processed", f"runs/r1/processed/{path.relative_to(local)}")

    code = entrypoint.main(
        [
            "--model-kind",
            "logreg",
            "--data-uri",
            "s3://processed/runs/r1/processed/",
            "--output-uri",
            "s3://models/runs/r1/logreg/",
            "--trials",
            "1",
        ]
    )

    assert code == 0
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket="models", Prefix="runs/r1/logreg/")["Contents"]}
    assert keys == {
        f"runs/r1/logreg/{name}"
        for name in (
            "result.json",
            "model.onnx",
            "metrics.json",
            "parity_report.json",
            "prediction_profile.json",
        )
    }
    read = lambda name: s3.get_object(Bucket="models", Key=f"runs/r1/logreg/{name}")["Body"].read()  # noqa: E731
    result = json.loads(read("result.json"))
    test_rows = pd.read_parquet(local / "split=test")
    assert result["model_kind"] == "logreg" and result["n_trials"] == 1
    assert result["test_rows"] == int(test_rows["label"].notna().sum())  # 3-star rows are excluded
    assert result["onnx_uri"] == "s3://models/runs/r1/logreg/model.onnx"
    assert result["parity_passed"] is True and 0.0 <= result["test_macro_f1"] <= 1.0
    parity = json.loads(read("parity_report.json"))
    # the held-out test rows plus the text-normalisation probes (onnx_export.NORMALISATION_PROBES)
    assert parity["passed"] is True and parity["rows"] == result["test_rows"] + len(probe_texts())
    assert result["vader_test_macro_f1"] is not None  # the baseline on the same test rows
    assert parity["label_agreement"] >= parity["min_label_agreement"]
    assert set(json.loads(read("metrics.json"))) >= set(entrypoint.METRIC_KEYS)
    model = OnnxSentimentModel(read("model.onnx"))
    labels, probabilities = model.predict_proba(["I loved this book", "Awful, boring, a waste of money"])
    assert labels.shape == (2,) and probabilities.shape == (2, 2)
    # the reference of prediction drift: the served graph's P(positive) on its own test rows, binned
    outputs = json.loads(read("prediction_profile.json"))
    assert result["prediction_profile_uri"] == "s3://models/runs/r1/logreg/prediction_profile.json"
    assert outputs["rows"] == result["test_rows"] and sum(outputs["expected"]) == pytest.approx(1.0)
    assert 0.0 <= outputs["min"] <= outputs["max"] <= 1.0


def test_missing_processed_data_exits_non_zero_with_one_line(tmp_path, capsys):
    code = entrypoint.main(
        [
            "--model-kind",
            "mlp",
            "--data-uri",
            str(tmp_path / "nothing"),
            "--output-uri",
            str(tmp_path / "out"),
        ]
    )
    assert code == 1
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err
    assert re.match(r"training mlp failed: MissingSplit: no Parquet under .*run the preprocessing job", err)
    assert json.loads((tmp_path / "out" / "error.json").read_text())["model_kind"] == "mlp"


def test_an_unknown_model_kind_names_the_known_ones(tmp_path, capsys):
    argv = ["--model-kind", "svm", "--data-uri", str(tmp_path), "--output-uri", str(tmp_path)]
    code = entrypoint.main(argv)
    assert code == 1
    assert "unknown model kind 'svm'; choose from logreg" in capsys.readouterr().err


def test_a_missing_option_is_a_usage_error(capsys):
    assert entrypoint.main(["--model-kind", "logreg"]) == 2
    err = capsys.readouterr().err.strip()
    assert "--data-uri" in err and len(err.splitlines()) == 1 and err.startswith("error: ")


def _split_folders(folder: Path, frames: dict | None = None, raw: bytes | None = None) -> Path:
    for split in SPLITS:
        part = folder / f"split={split}"
        part.mkdir(parents=True)
        if raw is not None:
            (part / "part-0.parquet").write_bytes(raw)
        else:
            frames[split].to_parquet(part / "part-0.parquet")
    return folder


def _bad_training_inputs(tmp_path: Path) -> dict[str, tuple[list[str], dict, int, str]]:
    """case -> (arguments, environment, exit code, what the one line must say)."""
    good = with_labels(load_shipped().iloc[:60])
    no_text = _split_folders(tmp_path / "no_text", {s: good.drop(columns=["reviewText"]) for s in SPLITS})
    one_label = _split_folders(tmp_path / "one_label", {s: good[good["label"] == 1] for s in SPLITS})
    corrupt = _split_folders(tmp_path / "corrupt", raw=b"PAR1 not parquet")
    out = str(tmp_path / "out")
    args = lambda data, *more: ["--model-kind", "logreg", "--data-uri", str(data), "--output-uri", out, *more]  # noqa: E731
    return {
        "missing option": (["--model-kind", "logreg"], {}, 2, "Missing option '--data-uri'"),
        "unknown option": (args(no_text, "--trails", "2"), {}, 2, "No such option: --trails"),
        "zero trials": (args(no_text, "--trials", "0"), {}, 2, "Invalid value for '--trials'"),
        "trials not a number": (args(no_text, "--trials", "many"), {}, 2, "Invalid value for '--trials'"),
        "unknown model kind": (
            ["--model-kind", "svm", "--data-uri", out, "--output-uri", out],
            {},
            1,
            "unknown model kind 'svm'",
        ),
        "malformed S3 URI": (args("s3://Not_A_Bucket/x/"), {}, 1, "is not an S3 URI"),
        "missing data": (args(tmp_path / "nothing"), {}, 1, "run the preprocessing job"),
        "corrupt Parquet": (args(corrupt), {}, 1, "not readable as Parquet"),
        "wrong columns": (args(no_text), {}, 1, "has no reviewText column"),
        "one label only": (args(one_label), {}, 1, "needs positive and negative reviews"),
        "bad setting": (args(no_text), {"SENTIMENT_TRIALS_PER_KIND": "many"}, 1, "SENTIMENT_TRIALS_PER_KIND"),
    }


BAD_TRAINING_CASES = [
    "missing option",
    "unknown option",
    "zero trials",
    "trials not a number",
    "unknown model kind",
    "malformed S3 URI",
    "missing data",
    "corrupt Parquet",
    "wrong columns",
    "one label only",
    "bad setting",
]


@pytest.mark.parametrize("case", BAD_TRAINING_CASES)
def test_every_bad_input_exits_non_zero_with_one_line(tmp_path, capsys, monkeypatch, case):
    argv, environment, code, expected = _bad_training_inputs(tmp_path)[case]
    monkeypatch.setenv("SENTIMENT_STATE_DIR", str(tmp_path / "state"))
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert entrypoint.main(argv) == code
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert expected in err


def test_the_image_installs_what_training_imports_with_the_project_pins():
    """The Dockerfile's requirements are all pinned by requirements/ml.txt (installed as constraints), and
    the Batch job definition's command is what the image runs (no ENTRYPOINT prefixing it)."""
    pins = {
        re.split(r"[=<>\[ ]", line, maxsplit=1)[0].lower()
        for line in (REPO / "requirements" / "ml.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    lines = (REPO / "training" / "requirements.txt").read_text().splitlines()
    wanted = [line.strip().lower() for line in lines if line.strip() and not line.startswith("#")]
    assert wanted and not [name for name in wanted if name not in pins]
    dockerfile = (REPO / "training" / "Dockerfile").read_text()
    assert dockerfile.startswith("#") and "FROM python:3.11-slim" in dockerfile
    assert "-c requirements/ml.txt" in dockerfile and "ENTRYPOINT" not in dockerfile.split("FROM", 1)[1]
    # torch comes from its CPU index before the constraints apply: the same version as the pin
    torch_pin = re.search(r"^torch==(\S+)", (REPO / "requirements" / "ml.txt").read_text(), re.M).group(1)
    assert f"ARG TORCH_VERSION={torch_pin}\n" in dockerfile
    template = (REPO / "template.yaml").read_text()
    assert "- training.entrypoint" in template
