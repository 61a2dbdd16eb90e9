"""ONNX export: one graph from raw text, the parity gate, and each FINDINGS pitfall."""

from __future__ import annotations

from importlib.metadata import version

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import StringTensorType
from sklearn.feature_extraction.text import TfidfVectorizer

from review_sentiment.data.schema import LABEL_NAMES
from review_sentiment.features import text as text_features
from review_sentiment.features.numeric import NUMERIC_FEATURES, TEXT_INPUT
from review_sentiment.modeling.kinds import DEFAULT_PARAMS, build_pipeline, model_frame
from review_sentiment.modeling.onnx_export import (
    NORMALISATION_PROBES,
    ParityError,
    export_with_parity_gate,
    parity,
    probe_texts,
    to_onnx,
)
from review_sentiment.serving.onnx_model import ModelInputMismatch, OnnxSentimentModel

# skl2onnx 1.20 passes booleans where onnx expects ints; harmless until onnx 7.34.
pytestmark = pytest.mark.filterwarnings("ignore:Field onnx.AttributeProto.ints:DeprecationWarning")

SMALL = {"max_features": 1500, "svd_components": 40}


def fit(kind, splits, **param_changes):
    params = {**DEFAULT_PARAMS[kind], **SMALL, **param_changes}
    if kind == "random_forest":
        params.update(n_estimators=30, max_depth=8)
    if kind == "hist_gradient_boosting":
        params.update(max_iter=30)
    texts = splits.train["reviewText"].tolist()
    pipeline = build_pipeline(kind, params, texts, seed=0)
    return pipeline.fit(model_frame(texts), splits.train["label"].to_numpy())


@pytest.fixture(scope="module")
def logreg(small_splits):
    return fit("logreg", small_splits)


def tfidf_onnx_max_diff(vectorizer: TfidfVectorizer, texts: list[str]) -> float:
    """Largest difference between scikit-learn's and onnxruntime's TF-IDF of `texts`."""
    vectorizer.fit(texts)
    graph = convert_sklearn(
        vectorizer,
        initial_types=[("t", StringTensorType([None, 1]))],
        options={TfidfVectorizer: {"locale": text_features.ONNX_LOCALE}},
    )
    session = ort.InferenceSession(graph.SerializeToString(), providers=["CPUExecutionProvider"])
    got = session.run(None, {"t": np.asarray(texts, dtype=object).reshape(-1, 1)})[0]
    return float(np.abs(got - vectorizer.transform(texts).toarray()).max())


@pytest.mark.parametrize("kind", ["logreg", "random_forest", "hist_gradient_boosting", "mlp"])
def test_every_kind_exports_one_graph_that_agrees_with_sklearn(kind, small_splits):
    pipeline = fit(kind, small_splits)
    texts = small_splits.test["reviewText"].tolist()
    onnx_bytes, report = export_with_parity_gate(pipeline, texts, 0.99, 0.05, {"model_kind": kind})
    graph = onnx.load_from_string(onnx_bytes)
    assert [i.name for i in graph.graph.input] == [TEXT_INPUT, *NUMERIC_FEATURES]
    assert report.rows == len(texts) + len(probe_texts()) and report.passed
    assert report.label_agreement >= 0.99 and report.max_prob_diff <= 0.05
    _labels, proba = OnnxSentimentModel(onnx_bytes).predict_proba(texts)
    np.testing.assert_allclose(proba, pipeline.predict_proba(model_frame(texts)), atol=0.05)
    assert proba.shape == (len(texts), 2)
    # The U+0130 / U+212A / sharp s texts: training (sklearn) and serving (ONNX) agree, and each scores
    # exactly as its ASCII spelling does on both paths.
    unicode_texts = [u for u, _ in NORMALISATION_PROBES]
    ascii_texts = [a for _, a in NORMALISATION_PROBES]
    served = OnnxSentimentModel(onnx_bytes)
    trained_u = pipeline.predict_proba(model_frame(unicode_texts))
    labels_u, served_u = served.predict_proba(unicode_texts)
    np.testing.assert_array_equal(labels_u, pipeline.classes_[trained_u.argmax(axis=1)])
    np.testing.assert_allclose(served_u, trained_u, atol=0.05 if kind != "logreg" else 1e-5)
    np.testing.assert_array_equal(trained_u, pipeline.predict_proba(model_frame(ascii_texts)))
    np.testing.assert_array_equal(served_u, served.predict_proba(ascii_texts)[1])


def test_linear_model_parity_is_exact(logreg, small_splits):
    texts = [*small_splits.test["reviewText"].tolist(), "ÉNORME déception!!", "I LOVE IT", "", "5/5 a+"]
    report = parity(logreg, to_onnx(logreg), texts, 1.0, 1e-5)
    assert report.label_agreement == 1.0 and report.max_prob_diff < 1e-5


def test_without_normalisation_sklearn_and_onnx_disagree_on_dotted_capital_i(logreg):
    """The defect the normalisation removes: raw U+0130 lowercases differently in the two paths."""
    text = NORMALISATION_PROBES[0][0]
    tfidf = logreg.named_steps["features"].named_transformers_["text"].named_steps["tfidf"]
    graph = convert_sklearn(
        tfidf,
        initial_types=[("t", StringTensorType([None, 1]))],
        options={TfidfVectorizer: {"locale": text_features.ONNX_LOCALE}},
    )
    session = ort.InferenceSession(graph.SerializeToString(), providers=["CPUExecutionProvider"])
    onnx_tfidf = session.run(None, {"t": np.asarray([text], dtype=object).reshape(-1, 1)})[0]
    assert np.abs(onnx_tfidf - tfidf.transform([text]).toarray()).max() > 0.05  # the defect is real
    normalised = model_frame([text])["reviewText"].tolist()
    assert normalised == [NORMALISATION_PROBES[0][1]]
    onnx_tfidf = session.run(None, {"t": np.asarray(normalised, dtype=object).reshape(-1, 1)})[0]
    assert np.abs(onnx_tfidf - tfidf.transform(normalised).toarray()).max() < 1e-6


def test_parity_gate_refuses_a_graph_that_disagrees(small_splits):
    """sklearn's default token pattern converts to a different tokenizer: the gate must catch it."""
    pipeline = fit("logreg", small_splits)
    pipeline.set_params(features__text__tfidf__token_pattern=r"(?u)\b\w\w+\b")
    texts = small_splits.train["reviewText"].tolist()
    pipeline.fit(model_frame(texts), small_splits.train["label"].to_numpy())
    with pytest.raises(ParityError, match=r"label agreement .* max probability difference"):
        export_with_parity_gate(pipeline, small_splits.test["reviewText"].tolist(), 0.999, 1e-3)


def test_parity_bounds_are_configurable(logreg, small_splits):
    texts = small_splits.test["reviewText"].tolist()
    assert parity(logreg, to_onnx(logreg), texts, 1.0, 1e-3).passed
    assert not parity(logreg, to_onnx(logreg), texts, 1.0, 0.0).passed  # float32 graph vs float64


def test_serving_refuses_a_graph_with_other_features(logreg):
    graph = onnx.load_from_string(to_onnx(logreg))
    old = graph.graph.input[1].name
    graph.graph.input[1].name = "renamed_feature"  # a graph trained on another feature set
    for node in graph.graph.node:
        for i, name in enumerate(node.input):
            if name == old:
                node.input[i] = "renamed_feature"
    with pytest.raises(ModelInputMismatch, match="renamed_feature"):
        OnnxSentimentModel(graph.SerializeToString())


def test_predictions_carry_label_names_and_metadata(logreg):
    model = OnnxSentimentModel(to_onnx(logreg, {"model_kind": "logreg"}))
    assert model.metadata["model_kind"] == "logreg"
    out = model.predict(["Loved it, wonderful story!", "Awful. Waste of money."])
    assert [o["label"] for o in out] == ["positive", "negative"]
    for o in out:  # probabilities by the data contract's label names, the label the most probable
        assert tuple(o["probabilities"]) == LABEL_NAMES
        assert o["label"] == max(o["probabilities"], key=o["probabilities"].get)
        assert o["positive_probability"] == o["probabilities"]["positive"]


# --- FINDINGS pitfalls, one test each ---------------------------------------------------------------------
def test_pitfall_locale_is_c_utf8_and_non_ascii_text_matches(logreg):
    graph = onnx.load_from_string(to_onnx(logreg))
    normalizers = [n for n in graph.graph.node if n.op_type == "StringNormalizer"]
    assert normalizers
    for node in normalizers:
        assert {a.name: a.s.decode() for a in node.attribute}.get("locale") == "C.UTF-8"
    texts = ["ÉNORME DÉCEPTION", "Ça marche TRÈS bien", "STRASSE straße", "naïve CAFÉ"]
    assert parity(logreg, graph.SerializeToString(), texts, 1.0, 1e-5).passed


def test_pitfall_default_token_pattern_differs_and_ours_matches(small_frame):
    texts = small_frame["reviewText"].tolist()[:300]
    assert tfidf_onnx_max_diff(TfidfVectorizer(ngram_range=(1, 2)), texts) > 0.1  # the pitfall is real
    ours = TfidfVectorizer(ngram_range=(1, 2), token_pattern=text_features.TOKEN_PATTERN)
    assert tfidf_onnx_max_diff(ours, texts) < 1e-5


def test_pitfall_sublinear_tf_differs_and_is_off():
    texts = ["good good good book", "bad bad book", "book book book book good"]
    unsafe = TfidfVectorizer(token_pattern=text_features.TOKEN_PATTERN, sublinear_tf=True)
    assert tfidf_onnx_max_diff(unsafe, texts) > 1e-3
    assert text_features.tfidf_vectorizer(["good"]).sublinear_tf is False


def test_pitfall_max_features_orphan_bigram_is_fixed_by_the_vocabulary():
    texts = ["great book", "great book", "the plot was slow", "slow plot", "great", "book club pick"]
    kept = TfidfVectorizer(ngram_range=(1, 2), token_pattern=text_features.TOKEN_PATTERN, max_features=6)
    vocabulary = set(kept.fit(texts).vocabulary_)
    assert any(" " in t and not set(t.split()) <= vocabulary for t in vocabulary)  # an orphan bigram
    assert tfidf_onnx_max_diff(kept, texts) > 0.1
    fixed = text_features.fixed_vocabulary(texts, max_features=6)
    assert all(set(t.split()) <= set(fixed) for t in fixed)
    assert tfidf_onnx_max_diff(text_features.tfidf_vectorizer(fixed), texts) < 1e-5


def test_pitfall_protobuf_is_below_7():
    assert int(version("protobuf").split(".")[0]) < 7  # protobuf 7 breaks the HistGradientBoosting converter
