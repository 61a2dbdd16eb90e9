"""Promote and rollback against a real MLflow registry (SQLite in a temporary folder) and moto SSM; the same
candidates through the deployed path (SelectBest + Promote Lambdas) and the local pipeline decide alike."""

from __future__ import annotations

import mlflow
import onnx
import pytest

from review_sentiment import aws
from review_sentiment.config import Settings, Thresholds
from review_sentiment.modeling import registry
from review_sentiment.modeling.selection import TrainingResult
from review_sentiment.pipeline.local import select_and_promote
from review_sentiment.serving.champion import NothingToRollBack, read_champion
from stack.rollback import rollback
from tests.support.stack import CHAMPION_PARAMETER, load_handler, put_json, run_plan, training_result

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics")


def store(tmp_path, monkeypatch, name: str = "mlflow") -> Settings:
    """Settings of a registry of its own (SQLite under tmp_path), also what the Promote Lambda reads."""
    monkeypatch.setenv("SENTIMENT_MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / f'{name}.db'}")
    monkeypatch.setenv("SENTIMENT_MLFLOW_ARTIFACT_ROOT", (tmp_path / f"{name}-artifacts").as_uri())
    monkeypatch.setenv("SENTIMENT_STATE_DIR", str(tmp_path))
    return Settings.from_env()


@pytest.fixture
def mlflow_store(aws_mock, tmp_path, monkeypatch) -> Settings:
    return store(tmp_path, monkeypatch)


def logged_model(settings: Settings, graph: bytes, kind: str) -> str:
    registry.configure(settings)
    with mlflow.start_run(run_name=f"train-{kind}"):
        return mlflow.onnx.log_model(onnx.load_from_string(graph), name="model").model_uri


def selection_of(result: dict, passed: bool) -> dict:
    """SelectBest's output for one candidate whose gate passed (or not)."""
    gate = {
        "passed": passed,
        "reasons": ["no champion yet" if passed else "test macro-F1 0.6000 does not beat champion 0.8000"],
        "beats_champion": passed,
        "behaviour_passed": True,
        "behaviour_pass_rates": None,
        "champion_macro_f1": None,
        "min_macro_f1": 0.5,
        "min_improvement": 0.0,
        "min_behaviour_pass_rates": {"minimum_functionality": 0.0},
    }
    baseline = {"test_macro_f1": 0.7, "test_accuracy": 0.7, "test_rows": 444}
    return {
        "best": result,
        "candidates": [result],
        "failed_kinds": [],
        "baseline": baseline,
        "behaviour": {},
        "champion": None,
        "gate": gate,
    }


def promote(handler, context, model_uri: str, kind: str, run_id: str, f1: float, passed: bool = True) -> dict:
    result = training_result(kind, 0.8, f1, run_id=run_id, model_uri=model_uri)
    event = {"run": run_plan(run_id, kinds=[kind]), "selection": selection_of(result, passed)}
    return handler.lambda_handler(event, context)


def test_promotion_moves_the_alias_and_keeps_the_previous_champion_then_rollback_restores_it(
    mlflow_store, tiny_model, lambda_context
):
    handler = load_handler("promote")
    graph = tiny_model.onnx
    first = promote(
        handler, lambda_context, logged_model(mlflow_store, graph, "logreg"), "logreg", "run-1", 0.7
    )
    second = promote(handler, lambda_context, logged_model(mlflow_store, graph, "mlp"), "mlp", "run-2", 0.8)
    assert (first["previous_version"], second["previous_version"]) == (None, first["version"])
    assert second["champion_parameter"] == CHAMPION_PARAMETER
    assert registry.alias_version(mlflow_store.registered_model_name, "champion") == second["version"]
    pointer = read_champion(aws.client("ssm"), CHAMPION_PARAMETER)
    assert (pointer.version, pointer.model_kind, pointer.previous["version"]) == (
        second["version"],
        "mlp",
        "1",
    )
    assert pointer.model_uri == "s3://models/runs/run-2/mlp/model.onnx"
    assert pointer.feature_profile_uri == "s3://processed/runs/run-2/reports/feature_profile.json"
    assert pointer.metrics["test_macro_f1"] == 0.8 and pointer.metrics["onnx_p99_ms"] == 1.0
    assert pointer.promoted_by == {"trigger": "manual", "run_id": "run-2", "drift_report": None}

    before, after = rollback(CHAMPION_PARAMETER, mlflow_store)
    assert (before.version, after.version) == (second["version"], first["version"])
    assert registry.alias_version(mlflow_store.registered_model_name, "champion") == first["version"]
    restored = read_champion(aws.client("ssm"), CHAMPION_PARAMETER)
    assert (restored.model_kind, restored.model_uri) == ("logreg", "s3://models/runs/run-1/logreg/model.onnx")
    assert restored.previous["version"] == second["version"]  # a second rollback undoes the first


def test_a_champion_promoted_by_the_loop_records_the_window_that_caused_it(
    mlflow_store, tiny_model, lambda_context
):
    report = "s3://drift-reports/reports/2026/12/05/20261205T0800Z-60m/drift_report.json"
    run = run_plan("drift-v1-20261205T0800Z-60m", kinds=["logreg"])
    run["trigger"] = "drift"
    run["request"] |= {"trigger": "drift", "drift_report": report}
    model_uri = logged_model(mlflow_store, tiny_model.onnx, "logreg")
    result = training_result("logreg", 0.8, 0.8, run_id=run["run_id"], model_uri=model_uri)
    load_handler("promote").lambda_handler(
        {"run": run, "selection": selection_of(result, True)}, lambda_context
    )
    pointer = read_champion(aws.client("ssm"), CHAMPION_PARAMETER)
    assert pointer.promoted_by == {"trigger": "drift", "run_id": run["run_id"], "drift_report": report}


def test_a_challenger_is_registered_without_touching_the_champion(mlflow_store, tiny_model, lambda_context):
    handler = load_handler("promote")
    champion = promote(
        handler, lambda_context, logged_model(mlflow_store, tiny_model.onnx, "logreg"), "logreg", "r1", 0.8
    )
    challenger = promote(
        handler,
        lambda_context,
        logged_model(mlflow_store, tiny_model.onnx, "mlp"),
        "mlp",
        "r2",
        0.6,
        passed=False,
    )
    assert challenger == {
        "registered_model": mlflow_store.registered_model_name,
        "version": str(int(champion["version"]) + 1),
        "alias": "challenger",
        "previous_version": None,
        "model_uri": None,
        "champion_parameter": None,
    }
    assert registry.alias_version(mlflow_store.registered_model_name, "champion") == champion["version"]
    assert registry.alias_version(mlflow_store.registered_model_name, "challenger") == challenger["version"]
    assert read_champion(aws.client("ssm"), CHAMPION_PARAMETER).version == champion["version"]


def test_rollback_without_a_previous_version_says_so(mlflow_store, tiny_model, lambda_context):
    promote(
        load_handler("promote"),
        lambda_context,
        logged_model(mlflow_store, tiny_model.onnx, "logreg"),
        "logreg",
        "r",
        0.7,
    )
    with pytest.raises(NothingToRollBack, match="has no previous version"):
        rollback(CHAMPION_PARAMETER, mlflow_store)


# --- one rule: the deployed path and the local pipeline ----------------------------------------------
# the tiny model passes 7 of the 10 minimum-functionality cases, the inverted one 3
THRESHOLDS = Thresholds(latency_budget_ms=5.0, min_macro_f1=0.6, min_improvement=0.0, min_mft_pass_rate=0.6)


def cloud_round(settings, graph: bytes, recorded_f1: float, run_id: str, tiny_model, context) -> tuple:
    """SelectBest then Promote (or RegisterChallenger) on moto, as the state machine chains them."""
    result = training_result(
        "logreg", 0.8, recorded_f1, run_id=run_id, model_uri=logged_model(settings, graph, "logreg")
    )
    put_json("models", f"runs/{run_id}/logreg/result.json", result)
    s3 = aws.client("s3")
    s3.put_object(Bucket="models", Key=f"runs/{run_id}/logreg/model.onnx", Body=graph)
    s3.put_object(
        Bucket="processed",
        Key=f"runs/{run_id}/processed/split=test/part-0.parquet",
        Body=tiny_model.test_split_parquet(),
    )
    run = run_plan(run_id, kinds=["logreg"], **THRESHOLDS.model_dump())
    training = [{"model_kind": "logreg", "status": "SUCCEEDED", "output_uri": result["output_uri"]}]
    selection = load_handler("select_best").lambda_handler({"run": run, "training": training}, context)
    promotion = load_handler("promote").lambda_handler({"run": run, "selection": selection}, context)
    return selection, promotion


def local_round(settings, graph: bytes, recorded_f1: float, run_id: str, tiny_model, tmp_path) -> tuple:
    """The local pipeline's selection and promotion on the same candidate (a graph on disk, MLflow)."""
    path = tmp_path / f"{run_id}.onnx"
    path.write_bytes(graph)
    result = training_result(
        "logreg", 0.8, recorded_f1, model_uri=logged_model(settings, graph, "logreg"), onnx_uri=str(path)
    )
    local_settings = Settings.from_env(
        mlflow_tracking_uri=settings.mlflow_tracking_uri,
        mlflow_artifact_root=settings.mlflow_artifact_root,
        thresholds=THRESHOLDS,
    )
    registry.configure(local_settings)
    selection, promotion = select_and_promote(
        [TrainingResult.model_validate(result)],
        [],
        local_settings,
        (tiny_model.test_texts, tiny_model.test_labels),
        run_id,
    )
    return selection.model_dump(mode="json"), promotion.model_dump(mode="json")


def test_the_same_candidates_get_the_same_decision_locally_and_in_the_deployed_pipeline(
    aws_mock, tmp_path, monkeypatch, tiny_model, inverted_model, lambda_context
):
    cloud_store = store(tmp_path, monkeypatch, "cloud")  # the Promote Lambda's registry
    local_store = Settings.from_env(
        mlflow_tracking_uri=f"sqlite:///{tmp_path / 'local.db'}",
        mlflow_artifact_root=(tmp_path / "local-artifacts").as_uri(),
    )
    good = tiny_model.test_macro_f1
    rounds = [  # (graph, its recorded test macro-F1, what must happen)
        (tiny_model.onnx, good, "champion"),  # the first model
        (inverted_model, 0.95, "challenger"),  # a far better F1 on record, but it fails the clear cases
        (tiny_model.onnx, good - 0.05, "challenger"),  # worse than the champion on the same rows
        (tiny_model.onnx, 0.55, "challenger"),  # under the configured minimum
        (tiny_model.onnx, 0.99, "champion"),  # better than the champion re-scored on the same rows
    ]
    for number, (graph, recorded, expected) in enumerate(rounds, start=1):
        run_id = f"run-{number}"
        cloud = cloud_round(cloud_store, graph, recorded, run_id, tiny_model, lambda_context)
        local = local_round(local_store, graph, recorded, run_id, tiny_model, tmp_path)
        (cloud_selection, cloud_promotion), (local_selection, local_promotion) = cloud, local
        assert cloud_selection["gate"] == local_selection["gate"], number
        assert cloud_selection["behaviour"] == local_selection["behaviour"], number
        decided = (cloud_promotion["alias"], local_promotion["alias"])
        assert decided == (expected, expected), (number, cloud_selection["gate"])
        assert cloud_promotion["version"] == local_promotion["version"] == str(number)
        for settings in (cloud_store, local_store):
            registry.configure(settings)
            champion = registry.alias_version(settings.registered_model_name, "champion")
            assert champion == ("5" if number == 5 else "1")
    assert read_champion(aws.client("ssm"), CHAMPION_PARAMETER).version == "5"
