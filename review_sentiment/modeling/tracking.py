"""MLflow: trials, final models (ONNX + model card + Pareto front), registry and aliases.

Nothing is configured at import; `configure(settings)` points MLflow at the settings' tracking
store (SQLite file by default, PostgreSQL by URL) and experiment.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os

import mlflow
import onnx
import optuna
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from review_sentiment.config import TRANSFORMER_KINDS, Settings
from review_sentiment.features.numeric import NUMERIC_FEATURES
from review_sentiment.features.text import feature_definition
from review_sentiment.modeling.selection import RESULT_METRICS

CHAMPION, CHALLENGER = "champion", "challenger"


def configure(settings: Settings) -> str:
    """Sets the tracking URI and experiment; returns the experiment id."""
    if settings.mlflow_tracking_uri == "":
        settings.ensure_state_dir()
    # MLflow's alembic migrations log at INFO on every new SQLite/PostgreSQL store; keep the console clean.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    os.environ.setdefault("MLFLOW_ENABLE_ASYNC_LOGGING", "false")
    mlflow.set_tracking_uri(settings.resolved_mlflow_tracking_uri)
    mlflow.set_registry_uri(settings.resolved_mlflow_tracking_uri)
    # Without an explicit artifact location MLflow writes ./mlruns in the current directory.
    if mlflow.get_experiment_by_name(settings.mlflow_experiment) is None:
        mlflow.create_experiment(
            settings.mlflow_experiment, artifact_location=settings.resolved_mlflow_artifact_root
        )
    return mlflow.set_experiment(settings.mlflow_experiment).experiment_id


def log_trial(kind: str, trial: optuna.trial.FrozenTrial) -> None:
    """One nested run per Optuna trial, under the active training run."""
    with mlflow.start_run(run_name=f"{kind}-trial-{trial.number}", nested=True):
        mlflow.set_tags({"model_kind": kind, "optuna_trial": trial.number, "state": trial.state.name})
        mlflow.log_params(trial.params)
        metrics = {k: float(v) for k, v in trial.user_attrs.items() if isinstance(v, int | float)}
        if metrics:
            mlflow.log_metrics(metrics)


def model_card(result: dict, data_hash: str, split_counts: dict) -> str:
    """Markdown: what the model is, what it was trained on, how it scored, what it expects as input."""
    definition = feature_definition()
    lines = [
        f"# Model card: review sentiment, {result['model_kind']}",
        "",
        "Binary sentiment of review text (negative = 1-2 stars, positive = 4-5 stars; 3 stars excluded).",
        "",
        "## Data",
        f"- data hash (SHA-256 of the canonical columns): `{data_hash}`",
        f"- split counts (neutral rows excluded and counted): `{json.dumps(split_counts)}`",
        "",
        "## Features (one definition: review_sentiment.features.numeric + review_sentiment.features.text)",
        f"- numeric, in ONNX input order: {', '.join(NUMERIC_FEATURES)}",
        f"- text: {definition['text']}",
        f"- token pattern `{definition['token_pattern']}`, ONNX locale `{definition['onnx_locale']}`",
        "",
        "## Hyperparameters",
        f"`{json.dumps(result['params'], sort_keys=True)}`",
        "",
        "## Metrics",
    ]
    for key in RESULT_METRICS:
        if key in result:
            lines.append(f"- {key}: {result[key]}")
    if result["model_kind"] in TRANSFORMER_KINDS:
        inputs = (
            "ONNX inputs: `input_ids` and `attention_mask` int64 [N, L], encoded by the tokenizer stored in "
            f"the graph's metadata (all-MiniLM-L6-v2's, after model_texts); int8: {result.get('int8_kept')}"
        )
    else:
        inputs = "ONNX inputs: `reviewText` string [N, 1] and one float [N, 1] per numeric feature;"
    lines += [
        "",
        "## Serving",
        inputs,
        "outputs `label` [N] and `probabilities` [N, 2].",
        "Load with review_sentiment.serving.onnx_model.OnnxSentimentModel.",
    ]
    return "\n".join(lines) + "\n"


def log_final_model(
    result: dict, onnx_bytes: bytes, pareto: list[dict], data_hash: str, split_counts: dict
) -> str:
    """Logs params, metrics, Pareto front, model card and ONNX model to the active run; returns its URI."""
    mlflow.set_tags({"model_kind": result["model_kind"], "data_hash": data_hash})
    mlflow.log_params({f"final.{k}": v for k, v in result["params"].items()})
    mlflow.log_metrics(
        {k: float(v) for k, v in result.items() if isinstance(v, int | float) and k != "trial"}
    )
    mlflow.log_dict(
        {"objectives": ["max val_macro_f1", "min onnx_p50_ms", "min onnx_size_kb"], "trials": pareto},
        "pareto_front.json",
    )
    mlflow.log_text(model_card(result, data_hash, split_counts), "model_card.md")
    info = mlflow.onnx.log_model(
        onnx.load_from_string(onnx_bytes),
        name="model",
        save_as_external_data=False,
    )
    return info.model_uri


def register(model_uri: str, name: str, tags: dict | None = None) -> str:
    """Registers `model_uri` as a new version of `name`; returns the version."""
    version = mlflow.register_model(model_uri, name, tags=tags)
    return str(version.version)


def alias_version(name: str, alias: str) -> str | None:
    try:
        return str(MlflowClient().get_model_version_by_alias(name, alias).version)
    except MlflowException:
        return None


def set_alias(name: str, alias: str, version: str) -> None:
    MlflowClient().set_registered_model_alias(name, alias, version)


def delete_alias(name: str, alias: str) -> None:
    with contextlib.suppress(MlflowException):
        MlflowClient().delete_registered_model_alias(name, alias)


def load_onnx_uri(model_uri: str) -> bytes:
    """The ONNX graph logged at an MLflow model URI (runs:/..., models:/...)."""
    return mlflow.onnx.load_model(model_uri).SerializeToString()


def load_onnx_bytes(name: str, alias: str) -> bytes:
    """The ONNX graph of the version that `alias` points to."""
    return mlflow.onnx.load_model(f"models:/{name}@{alias}").SerializeToString()
