"""Fixtures shared by the handler, pipeline and end-to-end tests (a pytest plugin of tests/conftest.py):
moto-backed AWS with the handlers' environment, and small real ONNX models trained once per session on
shipped reviews. The fake Lambda context is tests/conftest.py's; the deployed stack is tests/e2e's."""

from __future__ import annotations

import os

import pytest

from review_sentiment import aws
from tests.support.stack import CHAMPION_PARAMETER, CONFIG_PARAMETER, TinyModel


@pytest.fixture
def aws_mock(monkeypatch):
    """moto for every AWS call, with the handlers' environment; no request leaves the process."""
    from moto import mock_aws

    for name in list(os.environ):
        if name.startswith("AWS_ENDPOINT_URL"):
            monkeypatch.delenv(name)
    env = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "Test",
        "POWERTOOLS_SERVICE_NAME": "review-sentiment",
        "CHAMPION_PARAMETER": CHAMPION_PARAMETER,
        "PIPELINE_CONFIG_PARAMETER": CONFIG_PARAMETER,
        "PROCESSED_BUCKET": "processed",
        "MODELS_BUCKET": "models",
        "CAPTURE_BUCKET": "capture",
        "CHAMPION_CACHE_SECONDS": "0",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    aws.client.cache_clear()
    with mock_aws():
        s3 = aws.client("s3")
        for bucket in ("raw", "processed", "models", "capture"):
            s3.create_bucket(Bucket=bucket)
        yield
    aws.client.cache_clear()


@pytest.fixture(scope="session")
def tiny_model() -> TinyModel:
    """A logistic regression on ~1,000 shipped sentences exported to ONNX (a few seconds)."""
    from review_sentiment.data.datasets import binary_splits, load_shipped
    from review_sentiment.data.metrics import macro_f1
    from review_sentiment.modeling.kinds import build_pipeline, model_frame
    from review_sentiment.modeling.onnx_export import to_onnx
    from review_sentiment.serving.onnx_model import OnnxSentimentModel

    shipped = load_shipped()
    keep = sorted(shipped["asin"].unique())[:90]
    splits = binary_splits(shipped[shipped["asin"].isin(keep)].reset_index(drop=True), seed=7)
    texts = splits.train["reviewText"].tolist()
    params = {"max_features": 1000, "svd_components": 20, "C": 3.0}
    pipeline = build_pipeline("logreg", params, texts, seed=7)
    pipeline.fit(model_frame(texts), splits.train["label"].to_numpy())
    graph = to_onnx(pipeline, {"model_kind": "logreg"})
    test_texts = splits.test["reviewText"].tolist()
    labels = splits.test["label"].to_numpy()
    predicted, _ = OnnxSentimentModel(graph).predict_proba(test_texts)
    return TinyModel(graph, test_texts, labels, macro_f1(labels, predicted))


@pytest.fixture(scope="session")
def inverted_model(tiny_model) -> bytes:
    """A bad challenger: the tiny model's pipeline trained on flipped labels (says positive for "Awful")."""
    from review_sentiment.data.datasets import binary_splits, load_shipped
    from review_sentiment.modeling.kinds import build_pipeline, model_frame
    from review_sentiment.modeling.onnx_export import to_onnx

    shipped = load_shipped()
    keep = sorted(shipped["asin"].unique())[:90]
    splits = binary_splits(shipped[shipped["asin"].isin(keep)].reset_index(drop=True), seed=7)
    texts = splits.train["reviewText"].tolist()
    pipeline = build_pipeline("logreg", {"max_features": 1000, "svd_components": 20, "C": 3.0}, texts, seed=7)
    pipeline.fit(model_frame(texts), 1 - splits.train["label"].to_numpy())
    return to_onnx(pipeline, {"model_kind": "logreg"})


@pytest.fixture(scope="session")
def tiny_transformer() -> bytes:
    """A transformer-kind graph (the bundled encoder, an untrained head: no training step) with its
    tokenizer inside; what serving sees is the same as for a fine-tuned one."""
    import time

    from review_sentiment.modeling import transformer

    params = {"learning_rate": 1e-4, "epochs": 1, "max_length": 32, "frozen_layers": 0}
    fitted = transformer.fine_tune(params, ["good"], [1], seed=0, deadline=time.monotonic())
    return transformer.to_onnx(fitted, {"model_kind": "transformer"})
