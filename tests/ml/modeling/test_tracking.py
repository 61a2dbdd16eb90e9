"""MLflow: final model, Pareto front, model card, registry aliases (SQLite and PostgreSQL stores)."""

from __future__ import annotations

from dataclasses import replace

import mlflow
import numpy as np
import pytest
from mlflow import MlflowClient

from review_sentiment.modeling import registry, tracking
from review_sentiment.modeling.kinds import DEFAULT_PARAMS, build_pipeline, model_frame
from review_sentiment.modeling.onnx_export import to_onnx
from review_sentiment.modeling.selection import TrainingResult
from review_sentiment.pipeline.local import select_and_promote
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


def log_candidate(trained, tmp_path, score: float) -> TrainingResult:
    """A logged model as train_model_kind reports it, with the test macro-F1 `score`."""
    params, onnx_bytes = trained
    graph = tmp_path / f"model-{score}.onnx"
    graph.write_bytes(onnx_bytes)
    result = TrainingResult(
        model_kind="logreg",
        trial=0,
        params=params,
        n_trials=1,
        study_name="s",
        val_macro_f1=0.7,
        test_macro_f1=score,
        test_accuracy=score,
        test_rows=10,
        onnx_p50_ms=0.3,
        onnx_p99_ms=0.5,
        onnx_size_bytes=len(onnx_bytes),
        parity_label_agreement=1.0,
        parity_max_prob_diff=0.0,
        parity_rows=10,
        parity_passed=True,
        onnx_uri=str(graph),
        model_uri="",
        mlflow_run_id="",
        data_hash="feedbeef" * 8,
        prediction_profile_uri="",
        vader_test_macro_f1=0.6,
        vader_test_accuracy=0.6,
        output_uri=str(tmp_path),
        data_uri="reviews.jsonl",
        split_counts={"test": {}},
        training_wall_seconds=1.0,
        prediction_profile={},
    )
    with mlflow.start_run(run_name="test-train-logreg") as run:
        pareto = [
            {"trial": 0, "params": params, "val_macro_f1": 0.7, "onnx_p50_ms": 0.3, "onnx_size_kb": 900.0}
        ]
        result.mlflow_run_id = run.info.run_id
        result.model_uri = tracking.log_final_model(result, onnx_bytes, pareto, "feedbeef" * 8, {"test": {}})
    return result


def check_registry_flow(settings, trained, small_splits, tmp_path):
    registry.configure(settings)
    texts = small_splits.test["reviewText"].tolist()
    labels = small_splits.test["label"].to_numpy()
    name = settings.registered_model_name
    served = OnnxSentimentModel(trained[1])

    def register(score: float, run_settings=settings):
        selection, promotion = select_and_promote(
            [log_candidate(trained, tmp_path, score)], [], run_settings, (texts, labels), "local-run"
        )
        return selection, promotion

    first_selection, first = register(0.7)
    artifacts = {a.path for a in MlflowClient().list_artifacts(first_selection.best.mlflow_run_id)}
    assert {"model_card.md", "pareto_front.json"} <= artifacts
    card = mlflow.artifacts.load_text(f"runs:/{first_selection.best.mlflow_run_id}/model_card.md")
    assert "feedbeef" in card and "text_len" in card and "token pattern" in card
    assert "`reviewText` string [" in card  # the graph's own inputs

    assert first.alias == "champion" and first_selection.gate.reasons == ["no champion yet"]
    assert registry.alias_version(name, "champion") == first.version
    from_registry = OnnxSentimentModel(tracking.load_onnx_uri(f"models:/{name}@champion"))
    np.testing.assert_array_equal(from_registry.predict_proba(texts)[1], served.predict_proba(texts)[1])

    # Same model again: its recorded 0.0 does not beat the champion re-scored on the same rows.
    second_selection, second = register(0.0)
    assert second_selection.champion.note == f"re-scored on this run's {len(texts)} test rows"
    assert second.alias == "challenger"
    assert registry.alias_version(name, "challenger") == second.version
    assert registry.alias_version(name, "champion") == first.version

    # A clearly better candidate takes the champion alias; no challenger is left pending.
    third_selection, third = register(1.0)
    assert third_selection.champion.test_macro_f1_same_split < 1.0
    assert third.alias == "champion" and third.previous_version == first.version
    assert registry.alias_version(name, "champion") == third.version
    assert registry.alias_version(name, "challenger") is None

    # The configured minimum applies locally as in the deployed pipeline: below it, no promotion even
    # without a better champion (here the champion is the same graph, scored on the same rows).
    floor = replace(settings, thresholds=settings.thresholds.model_copy(update={"min_macro_f1": 1.0}))
    _, below = register(0.99, floor)
    assert below.alias == "challenger"

    # With the behavioural gate on, a far better F1 does not make a model that fails minimum-functionality
    # cases the champion: it is registered as challenger and the failed cases are the reason.
    gated = replace(settings, thresholds=settings.thresholds.model_copy(update={"min_mft_pass_rate": 1.0}))
    fourth_selection, fourth = register(2.0, gated)
    if fourth_selection.behaviour["minimum_functionality"]["pass_rate"] < 1.0:
        assert fourth.alias == "challenger"
        assert fourth_selection.gate.reasons[0].startswith("behavioural test minimum_functionality")
        assert registry.alias_version(name, "champion") == third.version
    else:  # a model that passes every case is promoted on its F1
        assert fourth.alias == "champion"


def test_registry_aliases_on_sqlite(tmp_path, trained, small_splits):
    settings = make_settings(tmp_path / "state", min_mft_pass_rate=0.0)
    check_registry_flow(settings, trained, small_splits, tmp_path)
    assert (tmp_path / "state" / "mlflow.db").exists()
    assert (tmp_path / "state" / "mlflow-artifacts").is_dir()


@pytest.mark.postgres
def test_registry_aliases_on_postgresql(tmp_path, trained, small_splits, postgres_database):
    settings = make_settings(tmp_path / "state", mlflow_tracking_uri=postgres_database, min_mft_pass_rate=0.0)
    check_registry_flow(settings, trained, small_splits, tmp_path)
    assert not (tmp_path / "state" / "mlflow.db").exists()
    assert mlflow.get_tracking_uri() == postgres_database.replace("postgresql://", "postgresql+psycopg2://")


def test_trials_are_logged_as_nested_runs(tmp_path, small_splits):
    import optuna

    settings = make_settings(tmp_path / "state")
    registry.configure(settings)
    study = optuna.create_study(directions=["maximize", "minimize", "minimize"])
    study.optimize(lambda t: (t.suggest_float("C", 0.1, 1.0), 0.1, 1.0), n_trials=2)
    with mlflow.start_run(run_name="parent") as parent:
        for trial in study.trials:
            tracking.log_trial("logreg", trial)
    children = mlflow.search_runs(filter_string=f"tags.mlflow.parentRunId = '{parent.info.run_id}'")
    assert len(children) == 2
    assert set(children["params.C"].astype(float)) == {t.params["C"] for t in study.trials}
