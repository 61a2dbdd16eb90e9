"""Promotion judged on both worlds: challenger and champion scored on the same rows, recent and reference."""

from __future__ import annotations

import numpy as np

from review_sentiment import aws
from review_sentiment.config import Thresholds
from review_sentiment.modeling.selection import TrainingResult
from review_sentiment.pipeline.selection_step import TestSplit, load_test_split, select
from review_sentiment.serving.champion import Champion
from tests.support.stack import training_result

CHALLENGER_URI, CHAMPION_URI = "s3://models/runs/run-1/logreg/model.onnx", "s3://models/champion.onnx"


def _select(tiny_model, inverted_model, labels: np.ndarray, recent: np.ndarray):
    graphs = {CHALLENGER_URI: tiny_model.onnx, CHAMPION_URI: inverted_model}
    best = TrainingResult.model_validate({**training_result("logreg", 0.8, 0.99), "onnx_uri": CHALLENGER_URI})
    champion = Champion(
        model_name="review-sentiment",
        version="1",
        model_kind="logreg",
        model_uri=CHAMPION_URI,
        test_macro_f1=0.5,
        run_id="run-0",
    )
    split = TestSplit(tiny_model.test_texts, labels, recent)
    thresholds = Thresholds(min_mft_pass_rate=0.0, min_recent_rows=10)
    return select([best], [], thresholds, graphs.__getitem__, champion, lambda: split)


def test_a_challenger_better_on_recent_traffic_and_on_the_reference_is_promoted(tiny_model, inverted_model):
    labels = np.asarray(tiny_model.test_labels)
    recent = np.arange(len(labels)) % 3 == 0
    gate = _select(tiny_model, inverted_model, labels, recent).gate
    assert gate.passed, gate.reasons
    assert gate.recent.rows == int(recent.sum()) and gate.reference.rows == int((~recent).sum())
    assert gate.recent.challenger_macro_f1 > gate.recent.champion_macro_f1


def test_a_challenger_worse_on_recent_traffic_keeps_the_champion_whatever_its_overall_score(
    tiny_model, inverted_model
):
    # In the recent world the ratings mean the opposite: the inverted champion answers them right.
    labels = np.asarray(tiny_model.test_labels).copy()
    recent = np.arange(len(labels)) % 3 == 0
    labels[recent] = 1 - labels[recent]
    selection = _select(tiny_model, inverted_model, labels, recent)
    gate = selection.gate
    assert not gate.passed and not gate.beats_champion
    assert gate.recent.champion_macro_f1 > gate.recent.challenger_macro_f1
    assert any("not better on recent traffic" in reason for reason in gate.reasons), gate.reasons


def test_without_recent_rows_the_gate_compares_on_the_whole_split(tiny_model, inverted_model):
    labels = np.asarray(tiny_model.test_labels)
    gate = _select(tiny_model, inverted_model, labels, np.zeros(len(labels), dtype=bool)).gate
    assert gate.recent is None and gate.reference is None
    assert gate.reasons[0].startswith("test macro-F1 0.9900 vs champion")


def test_the_test_split_marks_labelled_captures_as_recent(aws_mock, tiny_model):
    ids = [f"capture:{i:024x}" if i % 4 == 0 else f"A{i}/B{i}" for i in range(len(tiny_model.test_texts))]
    s3 = aws.client("s3")
    s3.create_bucket(Bucket="processed")
    key = "runs/r/processed/split=test/part-0.parquet"
    s3.put_object(Bucket="processed", Key=key, Body=tiny_model.test_split_parquet(ids))
    split = load_test_split(s3, "s3://processed/runs/r/processed/")
    assert split.recent.tolist() == [i.startswith("capture:") for i in ids]
    s3.put_object(Bucket="processed", Key=key, Body=tiny_model.test_split_parquet())  # no review_id column
    assert not load_test_split(s3, "s3://processed/runs/r/processed/").recent.any()
