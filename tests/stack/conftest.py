"""Fixtures of the stack tests: moto-backed AWS with the handlers' environment, one small real ONNX model
(trained once per session on shipped reviews), and the session's stack in the local cloud. The fake
Lambda context (`lambda_context`) is tests/conftest.py's."""

from __future__ import annotations

import os

import pytest
from stack_test_support import (
    CHAMPION_PARAMETER,
    CONFIG_PARAMETER,
    TRAINING,
    TinyModel,
    run_pipeline,
)

from review_sentiment import aws


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
    from review_sentiment.modeling.kinds import build_pipeline, model_frame
    from review_sentiment.modeling.onnx_export import to_onnx
    from review_sentiment.modeling.selection import macro_f1
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


@pytest.fixture(scope="session")
def stack(local_cloud, tmp_path_factory):
    """template.yaml deployed from nothing into the test session's local cloud (one stack per session).

    test_stack_local_cloud.py runs first and expects no champion yet; the API tests use `champion`.
    The drift monitor's schedule runs all session but decides nothing (a minimum window of a million
    reviews) until test_stack_local_cloud_drift.py lowers it; a drift-triggered run trains one kind
    with one trial.
    """
    from review_sentiment.progress import Progress
    from stack import deployment
    from stack.settings import StackSettings

    state = tmp_path_factory.mktemp("stack")
    settings = StackSettings(stack_name="review-sentiment-e2e", state_dir=state, resource_prefix="rs-e2e")
    with pytest.MonkeyPatch.context() as patch:
        for name, value in local_cloud.client_env().items():
            patch.setenv(name, value)
        aws.client.cache_clear()
        # these tests check behaviour, not speed: no latency budget on a busy machine
        yield deployment.deploy_stack(
            local_cloud,
            settings,
            Progress(),
            build_dir=state / "build",
            extra_parameters={
                "LatencyBudgetMs": "1000",
                "DriftMinWindowRows": "1000000",
                "DefaultModelKinds": "logreg",
                "TrialsPerKind": "1",
                # a drift-triggered run retrains on curated data, not on every batch the tests upload
                "DriftRetrainKeyPrefix": "curated/",
                # a 1-trial logistic regression fails minimum-functionality cases the gate checks
                "MinMftPassRate": "0",
            },
        )
    aws.client.cache_clear()


@pytest.fixture(scope="session")
def champion(stack):
    """The serving champion's pointer; runs the pipeline on the shipped reviews when none was promoted."""
    from review_sentiment.serving.champion import read_champion
    from stack import execution
    from stack.settings import SHIPPED_REVIEWS

    parameter = stack["ChampionParameterName"]
    current = read_champion(aws.client("ssm"), parameter)
    if current is None:
        raw_prefix = execution.upload_reviews(stack["RawBucketName"], SHIPPED_REVIEWS)
        result = run_pipeline(stack, {"raw_prefix": raw_prefix, **TRAINING})
        assert result.status == "SUCCEEDED", result.cause
        current = read_champion(aws.client("ssm"), parameter)
    assert current is not None
    return current
