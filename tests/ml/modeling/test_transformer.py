"""The transformer kind: a tiny fine-tune (few rows, 1 epoch, short max length), its ONNX export behind
the parity gate against torch (every row alone and in batches), int8 only when it passes, and serving
with onnxruntime + tokenizers only."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import numpy as np
import pytest

from review_sentiment.data.cleaning import model_texts
from review_sentiment.modeling import transformer
from review_sentiment.modeling.onnx_export import (
    NORMALISATION_PROBES,
    parity,
    probe_texts,
    served_predictions,
)
from review_sentiment.serving.onnx_model import OnnxSentimentModel
from review_sentiment.serving.tokenized import TOKEN_INPUTS, TOKENIZER_METADATA_KEY

from ..conftest import make_settings

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::DeprecationWarning")]

TINY = {"learning_rate": 1e-4, "epochs": 1, "max_length": 32, "frozen_layers": 4}


@pytest.fixture(scope="module")
def fitted(small_splits):
    texts, labels = transformer.training_rows(
        small_splits.train["reviewText"].tolist(), small_splits.train["label"].tolist(), 48, seed=0
    )
    return transformer.fine_tune(TINY, texts, labels, seed=0)


@pytest.fixture(scope="module")
def held_out(small_splits) -> list[str]:
    return small_splits.test["reviewText"].tolist()[:40]


@pytest.fixture(scope="module")
def graph(fitted) -> bytes:
    return transformer.to_onnx(fitted, {"model_kind": "transformer"})


def test_the_exported_graph_agrees_with_torch_on_held_out_and_unicode_rows(fitted, graph, held_out):
    texts = [*held_out, *probe_texts()]
    report = parity(fitted.predict_proba(texts), graph, texts, 1.0, 1e-4)
    assert report.passed and report.rows == len(held_out) + len(probe_texts())
    assert report.max_prob_diff < 1e-4


def test_served_like_every_kind_from_the_graph_alone(graph):
    model = OnnxSentimentModel(graph)
    assert [i.name for i in model.session.get_inputs()] == list(TOKEN_INPUTS)
    assert model.metadata["model_kind"] == "transformer"
    assert TOKENIZER_METADATA_KEY not in model.metadata  # it is inside the graph, used by the encoder
    labels, proba = model.predict_proba(["Loved it!", "", "Awful."])
    assert labels.shape == (3,) and proba.shape == (3, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-5)
    out = model.predict(["Loved it!"])
    assert set(out[0]) == {"label", "label_index", "positive_probability", "probabilities"}


def test_unicode_texts_score_as_their_ascii_spelling_and_the_tokenizer_agrees(fitted, graph):
    """U+0130, KELVIN SIGN and sharp s: after model_texts the tokenizer's own normaliser (lowercase, strip
    accents) is plain lowercasing, as scikit-learn's; so each probe encodes and scores as its ASCII twin."""
    unicode_texts = [u for u, _ in NORMALISATION_PROBES]
    ascii_texts = [a for _, a in NORMALISATION_PROBES]
    for text in model_texts(unicode_texts):
        assert fitted.tokenizer.normalize(text) == text.lower()
    encoded_u, encoded_a = fitted.tokenizer.encode(unicode_texts), fitted.tokenizer.encode(ascii_texts)
    for name in TOKEN_INPUTS:
        np.testing.assert_array_equal(encoded_u[name], encoded_a[name])
    model = OnnxSentimentModel(graph)
    np.testing.assert_array_equal(model.predict_proba(unicode_texts)[1], model.predict_proba(ascii_texts)[1])
    np.testing.assert_array_equal(fitted.predict_proba(unicode_texts), fitted.predict_proba(ascii_texts))


def test_int8_is_kept_only_when_it_passes_the_gate_as_served_and_the_f1_bound(
    tmp_path, fitted, held_out, small_splits
):
    """On the real graph every parity row is scored alone and in batches; the record's flip count is the
    one recounted here. Whether this tiny model's int8 graph flips a row is the machine's arithmetic
    (1 of 50 where measured), so both outcomes are checked against the count; tests/ml/modeling/
    test_int8_gate.py makes a flip deterministic."""
    val_texts = small_splits.validation["reviewText"].tolist()[:40]
    val_labels = small_splits.validation["label"].tolist()[:40]
    texts = [*held_out, *probe_texts()]
    int8 = transformer.quantize_int8(transformer.to_onnx(fitted, {"quantization": "none"}))
    ways = served_predictions(OnnxSentimentModel(int8), texts)
    flips = int(((ways["alone"][0] != ways["batch"][0]) | (ways["alone"][0] != ways["shuffled"][0])).sum())
    # Loose bounds (any agreement, any macro-F1 loss): only the flips can refuse int8.
    loose = make_settings(tmp_path / "b", int8_max_f1_loss=1.0, parity_min_label_agreement=0.0)
    onnx_bytes, report, record = transformer.export_with_parity_gate(
        fitted, held_out, loose, {"model_kind": "transformer"}, val_texts, val_labels
    )
    assert record["int8_batch_flips"] == flips and record["int8_max_batch_gap"] >= 0.0
    assert record["fp32_batch_flips"] == 0 and record["fp32_max_batch_gap"] < 1e-4  # padding only
    assert record["int8_kept"] is (flips == 0)
    if flips:
        assert "change label between scored alone and in a batch (allowed 0)" in record["int8_reason"]
        assert OnnxSentimentModel(onnx_bytes).metadata["quantization"] == "none"
        assert report.batch_flips == 0 and report.max_batch_flips_allowed is None  # the fp32 report
    else:
        assert OnnxSentimentModel(onnx_bytes).metadata["quantization"] == "int8-dynamic"
        assert report.max_prob_diff == record["int8_parity_max_prob_diff"]
    # An impossible macro-F1 bound: int8 may not lose anything, not even -1: the fp32 graph ships.
    strict = make_settings(tmp_path / "a", int8_max_f1_loss=-1.0, parity_min_label_agreement=0.0)
    onnx_bytes, report, record = transformer.export_with_parity_gate(
        fitted, held_out, strict, {"model_kind": "transformer"}, val_texts, val_labels
    )
    assert record["int8_kept"] is False and record["int8_val_macro_f1"] <= 1.0
    assert OnnxSentimentModel(onnx_bytes).metadata["quantization"] == "none"
    assert record["int8_size_bytes"] < record["fp32_size_bytes"] / 3
    # Off by configuration: fp32 only.
    off = make_settings(tmp_path / "c", int8_quantization=False)
    _, _, record = transformer.export_with_parity_gate(fitted, held_out, off)
    assert record == {"int8_enabled": False, "int8_kept": False}


def test_the_serving_path_never_imports_torch(tmp_path, graph):
    path = tmp_path / "model.onnx"
    path.write_bytes(graph)
    code = (
        "import sys, json\n"
        "from review_sentiment.serving.onnx_model import OnnxSentimentModel\n"
        f"out = OnnxSentimentModel({str(path)!r}).predict(['NOT WORTH İT'])\n"
        "heavy = [m for m in ('torch', 'transformers', 'sklearn', 'pandas') if m in sys.modules]\n"
        "print(json.dumps({'heavy': heavy, 'label': out[0]['label']}))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["heavy"] == [] and answer["label"] in ("positive", "negative")


def test_a_fit_stops_at_its_deadline(small_splits):
    texts = small_splits.train["reviewText"].tolist()[:64]
    labels = small_splits.train["label"].tolist()[:64]
    epochs: list[str] = []
    fitted = transformer.fine_tune(
        TINY, texts, labels, seed=0, deadline=time.monotonic(), progress=epochs.append
    )
    # THEN it stops before its first batch: no training step at all
    assert fitted.stopped_at_deadline is True
    assert len(epochs) == 1 and "stopped at the time budget" in epochs[0] and ", 0 batches," in epochs[0]


def test_the_kind_is_tuned_trained_and_logged_by_the_code_every_kind_goes_through(tmp_path, small_splits):
    """modeling.train on the transformer family: the study, export behind the parity gate, MLflow, the
    result every kind reports (its int8 record beside it)."""
    from review_sentiment.data.datasets import data_hash
    from review_sentiment.modeling.train import TrainingData, train_model_kind

    settings = make_settings(
        tmp_path / "state", transformer_max_train_rows=48, int8_quantization=False, latency_rows=10
    )
    data = TrainingData(small_splits, data_hash(small_splits.train), "small splits")
    result = train_model_kind("transformer", data, settings, n_trials=1)
    assert result.model_kind == "transformer" and result.n_trials == 1
    assert result.params == transformer.DEFAULT_PARAMS  # the family's default trial runs first
    assert result.parity_passed and result.parity_rows == len(small_splits.test) + len(probe_texts())
    assert result.int8_kept is False and result.int8_enabled is False  # the family's own figures
    model = OnnxSentimentModel(result.onnx_uri)
    assert model.metadata["encoder"] == transformer.ENCODER
    assert result.model_uri.startswith("models:/") or result.model_uri.startswith("runs:/")
