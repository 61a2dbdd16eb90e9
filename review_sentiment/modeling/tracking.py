"""MLflow: trials, final models (ONNX + model card + Pareto front), registry and aliases.

Nothing is configured at import; `configure(settings)` points MLflow at the settings' tracking
store (SQLite file by default, PostgreSQL or an MLflow server by URL) and experiment. The registry
half lives in `registry` (mlflow-skinny only, for the Promote Lambda) and is re-exported here.
"""

from __future__ import annotations

import json

import mlflow
import onnx
import optuna

from review_sentiment.config import TRANSFORMER_KINDS
from review_sentiment.features.numeric import NUMERIC_FEATURES
from review_sentiment.features.text import feature_definition
from review_sentiment.modeling.registry import (  # re-exported: one import for training code
    CHALLENGER,
    CHAMPION,
    alias_version,
    configure,
    delete_alias,
    register,
    set_alias,
)
from review_sentiment.modeling.selection import RESULT_METRICS

__all__ = [
    "CHALLENGER",
    "CHAMPION",
    "alias_version",
    "configure",
    "delete_alias",
    "load_onnx_bytes",
    "load_onnx_uri",
    "log_final_model",
    "log_trial",
    "model_card",
    "register",
    "set_alias",
]


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


def load_onnx_uri(model_uri: str) -> bytes:
    """The ONNX graph logged at an MLflow model URI (runs:/..., models:/...)."""
    return mlflow.onnx.load_model(model_uri).SerializeToString()


def load_onnx_bytes(name: str, alias: str) -> bytes:
    """The ONNX graph of the version that `alias` points to."""
    return mlflow.onnx.load_model(f"models:/{name}@{alias}").SerializeToString()
