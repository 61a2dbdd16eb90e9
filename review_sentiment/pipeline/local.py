"""The whole training pipeline without a cloud: every model kind on one dataset, then the selection and
promotion the deployed pipeline applies.

validate -> split -> per kind: HPO + final fit + ONNX export (parity gate) + MLflow
-> `selection_step.select` (best validation macro-F1 under the latency budget, behavioural tests on its
graph, the champion re-scored on the same test rows, the promotion gate) -> `promotion.register_and_promote`
(the MLflow aliases; no serving pointer without a stack) -> the table, with VADER on the same test rows.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import mlflow

from review_sentiment.config import Settings
from review_sentiment.modeling import registry, tracking
from review_sentiment.modeling.families import check_kinds
from review_sentiment.modeling.onnx_export import ParityError
from review_sentiment.modeling.promotion import register_and_promote
from review_sentiment.modeling.selection import Promotion, TrainingResult
from review_sentiment.modeling.train import load_training_data, train_model_kind
from review_sentiment.pipeline.messages import FailedKind, Selection
from review_sentiment.pipeline.selection_step import RECENT_ID_PREFIX, TestSplit, select
from review_sentiment.progress import Progress
from review_sentiment.serving.champion import Champion


def registry_champion(name: str) -> Champion | None:
    """The local champion, the version MLflow's alias `champion` points to (None before the first run),
    with the score recorded when it was registered (its `test_macro_f1` tag)."""
    version = registry.version_by_alias(name, registry.CHAMPION)
    if version is None:
        return None
    tags = version.tags or {}
    return Champion(
        model_name=name,
        version=str(version.version),
        model_kind=tags.get("model_kind", "unknown"),
        model_uri=f"models:/{name}/{version.version}",
        test_macro_f1=float(tags.get("test_macro_f1", "nan")),
        run_id=tags.get("run_id", ""),
    )


def read_graph(location: str) -> bytes:
    """The ONNX graph at an MLflow model URI (models:/..., runs:/...) or a local path."""
    if location.startswith(("models:/", "runs:/")):
        return tracking.load_onnx_uri(location)
    return Path(location).read_bytes()


def select_and_promote(
    results: list[TrainingResult],
    failed: list[FailedKind],
    settings: Settings,
    test_rows: TestSplit | tuple[list[str], object],
    run_id: str,
) -> tuple[Selection, Promotion]:
    """The deployed pipeline's SelectBest and Promote steps on local results: the chosen model is
    registered, as `champion` when the gate passes, else as `challenger` (MLflow must be configured)."""
    name = settings.registered_model_name
    selection = select(
        results, failed, settings.thresholds, read_graph, registry_champion(name), lambda: test_rows
    )
    return selection, register_and_promote(selection.best, selection.gate, name, run_id)


def run_all(
    settings: Settings,
    data: Path | None = None,
    n_trials: int | None = None,
    progress: Progress | None = None,
) -> dict:
    """Trains every kind of `settings.model_kinds`, selects and registers the best; returns the summary
    (also written to <artifacts>/summary.json). Raises ValueError for an unknown kind, ParityError when
    the parity gate refused every kind, NoModelWithinBudget when no model meets the latency budget."""
    kinds = check_kinds(settings.model_kinds)
    progress = progress or Progress()
    settings.ensure_state_dir()
    registry.configure(settings)
    progress(f"MLflow tracking: {settings.resolved_mlflow_tracking_uri}")
    progress(f"Optuna storage:  {settings.resolved_optuna_storage_url}")
    training_data = load_training_data(settings, data=data, progress=progress)
    results, failed = [], []
    with mlflow.start_run(run_name="local-pipeline") as parent:
        mlflow.set_tag("data_hash", training_data.data_hash)
        for kind in kinds:
            progress(f"== {kind}: {n_trials or settings.trials_per_kind} trials")
            try:
                results.append(
                    train_model_kind(kind, training_data, settings, n_trials=n_trials, progress=progress)
                )
            except ParityError as exc:  # this kind ships nothing; the other kinds still compete
                failed.append(FailedKind(model_kind=kind, error="ParityError", cause=str(exc)))
                progress(f"{kind}: no model exported: {exc}")
        if not results:
            raise ParityError(f"the parity gate refused every model kind: {[f.cause for f in failed]}")
        test = training_data.splits.test
        recent = test["review_id"].astype(str).str.startswith(RECENT_ID_PREFIX).to_numpy()
        test_rows = TestSplit(test["reviewText"].tolist(), test["label"].to_numpy(), recent)
        selection, promotion = select_and_promote(results, failed, settings, test_rows, parent.info.run_id)
        summary = {
            "results": [r.model_dump(mode="json") for r in results],
            "selection": selection.model_dump(mode="json"),
            "promotion": promotion.model_dump(mode="json"),
            "mlflow_run_id": parent.info.run_id,
            "data_hash": training_data.data_hash,
            "split_counts": training_data.splits.counts(),
            "latency_budget_ms": settings.thresholds.latency_budget_ms,
        }
        mlflow.log_dict(summary, "pipeline_summary.json")
    model_path = settings.artifacts_dir / "model.onnx"
    shutil.copyfile(selection.best.onnx_uri, model_path)
    summary["onnx_path"] = str(model_path)
    (settings.artifacts_dir / "summary.json").write_text(json.dumps(summary, indent=2))
    return summary
