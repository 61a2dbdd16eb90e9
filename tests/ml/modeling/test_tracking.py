"""MLflow: final model, Pareto front, model card, registry aliases (SQLite and PostgreSQL stores)."""

from __future__ import annotations

from dataclasses import replace

import mlflow
import numpy as np
import pytest
from mlflow import MlflowClient

from review_sentiment.modeling import tracking
from review_sentiment.modeling.kinds import DEFAULT_PARAMS, build_pipeline, model_frame
from review_sentiment.modeling.onnx_export import to_onnx
from review_sentiment.pipeline.local import register_and_promote
from review_sentiment.serving.onnx_model import OnnxSentimentModel

from ..conftest import make_settings

pytestmark = pytest.mark.filterwarnings("ignore:Field onnx.AttributeProto.ints:DeprecationWarning")


@pytest.fixture(scope="module")
def trained(small_splits):
    texts = small_splits.train["reviewText"].tolist()
    params = {**DEFAULT_PARAMS["logreg"], "max_features": 1500, "svd_components": 40}
    pipeline = build_pipeline("logreg", params, texts, seed=0).fit(
        model_frame(texts), small_splits.train["label"].to_numpy()
    )
    return params, to_onnx(pipeline)


def log_candidate(trained, small_splits, score: float) -> dict:
    params, onnx_bytes = trained
    result = {
        "model_kind": "logreg",
        "params": params,
        "test_macro_f1": score,
        "onnx_p99_ms": 0.5,
        "data_hash": "feedbeef" * 8,
    }
    with mlflow.start_run(run_name="test-train-logreg"):
        pareto = [
            {"trial": 0, "params": params, "val_macro_f1": 0.7, "onnx_p50_ms": 0.3, "onnx_size_kb": 900.0}
        ]
        result["model_uri"] = tracking.log_final_model(
            result, onnx_bytes, pareto, result["data_hash"], {"test": {}}
        )
        run_id = mlflow.active_run().info.run_id
    return result | {"run_id": run_id}


def check_registry_flow(settings, trained, small_splits):
    tracking.configure(settings)
    texts = small_splits.test["reviewText"].tolist()
    labels = small_splits.test["label"].to_numpy()
    name = settings.registered_model_name
    served = OnnxSentimentModel(trained[1])

    first = log_candidate(trained, small_splits, score=0.5)
    artifacts = {a.path for a in MlflowClient().list_artifacts(first["run_id"])}
    assert {"model_card.md", "pareto_front.json"} <= artifacts
    card = mlflow.artifacts.load_text(f"runs:/{first['run_id']}/model_card.md")
    assert "feedbeef" in card and "text_len" in card and "token pattern" in card

    decision = register_and_promote(first, settings, texts, labels)
    assert decision["alias"] == "champion"
    assert tracking.alias_version(name, "champion") == decision["version"]
    from_registry = OnnxSentimentModel(tracking.load_onnx_bytes(name, "champion"))
    np.testing.assert_array_equal(from_registry.predict_proba(texts)[1], served.predict_proba(texts)[1])

    # Same model again: it does not beat the champion, so it becomes the challenger.
    second = register_and_promote(log_candidate(trained, small_splits, score=0.0), settings, texts, labels)
    assert second["alias"] == "challenger"
    assert tracking.alias_version(name, "challenger") == second["version"]
    assert tracking.alias_version(name, "champion") == decision["version"]

    # A clearly better candidate takes the champion alias; no challenger is left pending.
    third = register_and_promote(log_candidate(trained, small_splits, score=1.0), settings, texts, labels)
    assert third["alias"] == "champion"
    assert tracking.alias_version(name, "champion") == third["version"]
    assert tracking.alias_version(name, "challenger") is None

    # With the behavioural gate on, a far better F1 does not make a model that fails minimum-functionality
    # cases the champion: it is registered as challenger and the failed cases are the reason.
    gated = replace(settings, min_mft_pass_rate=1.0)
    fourth = register_and_promote(log_candidate(trained, small_splits, score=2.0), gated, texts, labels)
    if fourth["behaviour"]["minimum_functionality"]["pass_rate"] < 1.0:
        assert fourth["alias"] == "challenger"
        assert fourth["reason"].startswith("behavioural test minimum_functionality")
        assert tracking.alias_version(name, "champion") == third["version"]
    else:  # a model that passes every case is promoted on its F1
        assert fourth["alias"] == "champion"


def test_registry_aliases_on_sqlite(tmp_path, trained, small_splits):
    settings = make_settings(tmp_path / "state", min_mft_pass_rate=0.0)
    check_registry_flow(settings, trained, small_splits)
    assert (tmp_path / "state" / "mlflow.db").exists()
    assert (tmp_path / "state" / "mlflow-artifacts").is_dir()


@pytest.mark.postgres
def test_registry_aliases_on_postgresql(tmp_path, trained, small_splits, postgres_database):
    settings = make_settings(tmp_path / "state", mlflow_tracking_uri=postgres_database, min_mft_pass_rate=0.0)
    check_registry_flow(settings, trained, small_splits)
    assert not (tmp_path / "state" / "mlflow.db").exists()
    assert mlflow.get_tracking_uri() == postgres_database.replace("postgresql://", "postgresql+psycopg2://")


def test_trials_are_logged_as_nested_runs(tmp_path, small_splits):
    import optuna

    settings = make_settings(tmp_path / "state")
    tracking.configure(settings)
    study = optuna.create_study(directions=["maximize", "minimize", "minimize"])
    study.optimize(lambda t: (t.suggest_float("C", 0.1, 1.0), 0.1, 1.0), n_trials=2)
    with mlflow.start_run(run_name="parent") as parent:
        for trial in study.trials:
            tracking.log_trial("logreg", trial)
    children = mlflow.search_runs(filter_string=f"tags.mlflow.parentRunId = '{parent.info.run_id}'")
    assert len(children) == 2
    assert set(children["params.C"].astype(float)) == {t.params["C"] for t in study.trials}
