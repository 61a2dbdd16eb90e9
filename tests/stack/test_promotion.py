"""Promote and rollback against a real MLflow registry (SQLite in a temporary folder) and moto SSM."""

from __future__ import annotations

import mlflow
import onnx
import pytest
from stack_test_support import CHAMPION_PARAMETER, load_handler

from review_sentiment import aws
from review_sentiment.config import Settings
from review_sentiment.modeling import tracking
from review_sentiment.serving.champion import NothingToRollBack, read_champion
from stack.rollback import rollback

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics")


@pytest.fixture
def registry(aws_mock, tmp_path, monkeypatch) -> Settings:
    monkeypatch.setenv("SENTIMENT_MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    monkeypatch.setenv("SENTIMENT_MLFLOW_ARTIFACT_ROOT", (tmp_path / "artifacts").as_uri())
    monkeypatch.setenv("SENTIMENT_STATE_DIR", str(tmp_path))
    return Settings.from_env()


def logged_model(settings: Settings, tiny_model, kind: str) -> str:
    tracking.configure(settings)
    with mlflow.start_run(run_name=f"train-{kind}"):
        return mlflow.onnx.log_model(onnx.load_from_string(tiny_model.onnx), name="model").model_uri


def promote(
    handler, context, model_uri: str, kind: str, run_id: str, f1: float, alias: str = "champion"
) -> dict:
    best = {
        "model_kind": kind,
        "model_uri": model_uri,
        "onnx_uri": f"s3://models/runs/{run_id}/{kind}/model.onnx",
        "test_macro_f1": f1,
        "mlflow_run_id": "x",
    }
    run = {"run_id": run_id, "paths": {"feature_profile": f"s3://processed/runs/{run_id}/profile.json"}}
    return handler.lambda_handler({"run": run, "selection": {"best": best}, "alias": alias}, context)


def test_promotion_moves_the_alias_and_keeps_the_previous_champion_then_rollback_restores_it(
    registry, tiny_model, lambda_context
):
    handler = load_handler("promote")
    first = promote(
        handler, lambda_context, logged_model(registry, tiny_model, "logreg"), "logreg", "run-1", 0.7
    )
    second = promote(handler, lambda_context, logged_model(registry, tiny_model, "mlp"), "mlp", "run-2", 0.8)
    assert (first["previous_version"], second["previous_version"]) == (None, first["version"])
    assert tracking.alias_version(registry.registered_model_name, "champion") == second["version"]
    pointer = read_champion(aws.client("ssm"), CHAMPION_PARAMETER)
    assert (pointer.version, pointer.model_kind, pointer.previous["version"]) == (
        second["version"],
        "mlp",
        "1",
    )
    assert pointer.model_uri == "s3://models/runs/run-2/mlp/model.onnx"

    before, after = rollback(CHAMPION_PARAMETER, registry)
    assert (before.version, after.version) == (second["version"], first["version"])
    assert tracking.alias_version(registry.registered_model_name, "champion") == first["version"]
    restored = read_champion(aws.client("ssm"), CHAMPION_PARAMETER)
    assert (restored.model_kind, restored.model_uri) == ("logreg", "s3://models/runs/run-1/logreg/model.onnx")
    assert restored.previous["version"] == second["version"]  # a second rollback undoes the first


def test_a_challenger_is_registered_without_touching_the_champion(registry, tiny_model, lambda_context):
    handler = load_handler("promote")
    champion = promote(
        handler, lambda_context, logged_model(registry, tiny_model, "logreg"), "logreg", "r1", 0.8
    )
    challenger = promote(
        handler,
        lambda_context,
        logged_model(registry, tiny_model, "mlp"),
        "mlp",
        "r2",
        0.6,
        alias="challenger",
    )
    assert tracking.alias_version(registry.registered_model_name, "champion") == champion["version"]
    assert tracking.alias_version(registry.registered_model_name, "challenger") == challenger["version"]
    assert read_champion(aws.client("ssm"), CHAMPION_PARAMETER).version == champion["version"]


def test_rollback_without_a_previous_version_says_so(registry, tiny_model, lambda_context):
    promote(
        load_handler("promote"),
        lambda_context,
        logged_model(registry, tiny_model, "logreg"),
        "logreg",
        "r",
        0.7,
    )
    with pytest.raises(NothingToRollBack, match="has no previous version"):
        rollback(CHAMPION_PARAMETER, registry)
