"""MLflow runs of training: trials, final models (ONNX + model card + Pareto front), graphs read back.

Nothing is configured at import; `registry.configure(settings)` points MLflow at the settings' tracking
store (SQLite file by default, PostgreSQL or an MLflow server by URL) and experiment. Versions and
aliases are `registry`'s (mlflow-skinny only), promotion is `promotion`'s.
"""

from __future__ import annotations

import json

import mlflow
import onnx
import optuna

from review_sentiment.features.numeric import NUMERIC_FEATURES
from review_sentiment.features.text import feature_definition
from review_sentiment.modeling.selection import RESULT_METRICS, TrainingResult
from review_sentiment.serving.tokenized import TOKENIZER_METADATA_KEY


def log_trial(kind: str, trial: optuna.trial.FrozenTrial) -> None:
    """One nested run per Optuna trial, under the active training run."""
    with mlflow.start_run(run_name=f"{kind}-trial-{trial.number}", nested=True):
        mlflow.set_tags({"model_kind": kind, "optuna_trial": trial.number, "state": trial.state.name})
        mlflow.log_params(trial.params)
        metrics = {k: float(v) for k, v in trial.user_attrs.items() if isinstance(v, int | float)}
        if metrics:
            mlflow.log_metrics(metrics)


def _graph_inputs(graph: onnx.ModelProto) -> str:
    """The graph's inputs as the card shows them: `name` TYPE [dims], ..."""

    def shape(value) -> str:
        dims = value.type.tensor_type.shape.dim
        return ", ".join(d.dim_param or str(d.dim_value) for d in dims)

    inputs = [
        f"`{i.name}` {onnx.TensorProto.DataType.Name(i.type.tensor_type.elem_type).lower()} [{shape(i)}]"
        for i in graph.graph.input
    ]
    metadata = {p.key: p.value for p in graph.metadata_props}
    if TOKENIZER_METADATA_KEY in metadata:
        inputs.append("encoded by the tokenizer stored in the graph's metadata (after model_texts)")
    if metadata.get("quantization", "none") != "none":
        inputs.append(f"weights quantised ({metadata['quantization']})")
    return "; ".join(inputs)


def model_card(result: TrainingResult, data_hash: str, split_counts: dict, graph: onnx.ModelProto) -> str:
    """Markdown: what the model is, what it was trained on, how it scored, what it expects as input
    (read from `graph`, the ONNX model that serves)."""
    definition = feature_definition()
    figures = result.model_dump()
    lines = [
        f"# Model card: review sentiment, {result.model_kind}",
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
        f"`{json.dumps(result.params, sort_keys=True)}`",
        "",
        "## Metrics",
        *(f"- {key}: {figures[key]}" for key in RESULT_METRICS),
        "",
        "## Serving",
        f"ONNX inputs: {_graph_inputs(graph)};",
        "outputs `label` [N] and `probabilities` [N, 2].",
        "Load with review_sentiment.serving.onnx_model.OnnxSentimentModel.",
    ]
    return "\n".join(lines) + "\n"


def log_final_model(
    result: TrainingResult, onnx_bytes: bytes, pareto: list[dict], data_hash: str, split_counts: dict
) -> str:
    """Logs params, metrics, Pareto front, model card and ONNX model to the active run; returns its URI."""
    graph = onnx.load_from_string(onnx_bytes)
    mlflow.set_tags({"model_kind": result.model_kind, "data_hash": data_hash})
    mlflow.log_params({f"final.{k}": v for k, v in result.params.items()})
    mlflow.log_metrics(
        {k: float(v) for k, v in result.model_dump().items() if isinstance(v, int | float) and k != "trial"}
    )
    mlflow.log_dict(
        {"objectives": ["max val_macro_f1", "min onnx_p50_ms", "min onnx_size_kb"], "trials": pareto},
        "pareto_front.json",
    )
    mlflow.log_text(model_card(result, data_hash, split_counts, graph), "model_card.md")
    info = mlflow.onnx.log_model(
        graph,
        name="model",
        save_as_external_data=False,
    )
    return info.model_uri


def load_onnx_uri(model_uri: str) -> bytes:
    """The ONNX graph logged at an MLflow model URI (runs:/..., models:/...)."""
    return mlflow.onnx.load_model(model_uri).SerializeToString()
