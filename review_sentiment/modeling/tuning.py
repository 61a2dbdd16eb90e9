"""Optuna multi-objective HPO per model kind: max validation macro-F1, min ONNX latency, min size.

Each trial fits the full pipeline, exports it to ONNX and times single-row inference of the
exported graph, so the latency objective is the one serving will see. Studies live in the storage
named by the settings (SQLite by default, PostgreSQL by URL) and resume when run again on the same
data.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import optuna
from sklearn.metrics import accuracy_score, f1_score
from sklearn.pipeline import Pipeline

from review_sentiment.config import TRANSFORMER_KINDS, Settings
from review_sentiment.data.datasets import BinarySplits
from review_sentiment.modeling.kinds import (
    DEFAULT_PARAMS,
    SEARCH_SPACES,
    build_pipeline,
    complexity,
    model_frame,
    single_threaded,
)
from review_sentiment.modeling.onnx_export import parity, single_row_latency_ms, to_onnx
from review_sentiment.progress import Progress
from review_sentiment.serving.onnx_model import OnnxSentimentModel

DIRECTIONS = ("maximize", "minimize", "minimize")
OBJECTIVES = ("val_macro_f1", "onnx_p50_ms", "onnx_size_kb")


@dataclass
class TuningResult:
    study: optuna.Study
    # Fitted pipelines of this process's trials, by trial number (earlier runs' trials need a refit).
    pipelines: dict[int, Pipeline] = field(default_factory=dict)
    onnx_models: dict[int, bytes] = field(default_factory=dict)


def study_name(kind: str, data_hash: str) -> str:
    return f"review-sentiment-{kind}-{data_hash[:12]}"


def search_space(kind: str) -> Callable[[optuna.Trial], dict]:
    if kind in TRANSFORMER_KINDS:
        from review_sentiment.modeling import transformer  # torch: imported only for this kind

        return transformer.search_space
    return SEARCH_SPACES[kind]


def default_params(kind: str) -> dict:
    if kind in TRANSFORMER_KINDS:
        from review_sentiment.modeling import transformer

        return transformer.DEFAULT_PARAMS
    return DEFAULT_PARAMS[kind]


def evaluate_trial_params(
    kind: str,
    params: dict,
    splits: BinarySplits,
    settings: Settings,
    deadline: float | None = None,
    progress: Progress | None = None,
) -> tuple[Pipeline, bytes, dict[str, float]]:
    """Fits one configuration and measures every objective (and the figures shown beside them).

    The transformer kind returns its fine-tuned model (`modeling.transformer.FineTuned`) in place of a
    pipeline and stops fitting at `deadline` (time.monotonic()).
    """
    if kind in TRANSFORMER_KINDS:
        from review_sentiment.modeling import transformer

        return transformer.evaluate_trial_params(params, splits, settings, deadline, progress)
    train_texts = splits.train["reviewText"].tolist()
    pipeline = build_pipeline(kind, params, train_texts, settings.seed)
    pipeline.fit(model_frame(train_texts), splits.train["label"].to_numpy())
    val_texts = splits.validation["reviewText"].tolist()
    predicted = pipeline.predict(model_frame(val_texts))
    truth = splits.validation["label"].to_numpy()
    onnx_bytes = to_onnx(pipeline)
    served = OnnxSentimentModel(onnx_bytes)
    latency = single_row_latency_ms(served, val_texts[: settings.latency_rows])
    check = parity(
        pipeline, served, val_texts, settings.parity_min_label_agreement, settings.parity_max_prob_diff
    )
    metrics = {
        "val_macro_f1": float(f1_score(truth, predicted, average="macro")),
        "val_accuracy": float(accuracy_score(truth, predicted)),
        "onnx_p50_ms": latency["p50_ms"],
        "onnx_p99_ms": latency["p99_ms"],
        "onnx_size_kb": len(onnx_bytes) / 1024,
        "complexity": float(complexity(pipeline)),
        "val_parity_label_agreement": check.label_agreement,
        "val_parity_max_prob_diff": check.max_prob_diff,
    }
    return pipeline, onnx_bytes, metrics


def tune(
    kind: str,
    splits: BinarySplits,
    settings: Settings,
    data_hash: str,
    n_trials: int | None = None,
    on_trial: Callable[[optuna.trial.FrozenTrial], None] | None = None,
    progress: Progress | None = None,
) -> TuningResult:
    """Runs `n_trials` more trials of the kind's study in the configured storage.

    The transformer kind's study also stops at settings.transformer_time_budget_s (wall clock): no trial
    starts after it, and a running fit stops there after its current batch.
    """
    progress = progress or Progress()
    n_trials = n_trials or settings.trials_per_kind
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if not settings.optuna_storage_url:
        settings.ensure_state_dir()  # the default SQLite file lives there
    study = optuna.create_study(
        study_name=study_name(kind, data_hash),
        storage=settings.resolved_optuna_storage_url,
        directions=list(DIRECTIONS),
        sampler=optuna.samplers.TPESampler(seed=settings.seed, n_startup_trials=max(2, n_trials // 2)),
        load_if_exists=True,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        study.set_metric_names(list(OBJECTIVES))
    earlier = len(study.trials)
    if earlier == 0:
        study.enqueue_trial(default_params(kind))
    else:
        progress(f"{kind}: resuming study {study.study_name} with {earlier} earlier trials")
    result = TuningResult(study=study)
    budget_s = settings.transformer_time_budget_s if kind in TRANSFORMER_KINDS else None
    deadline = time.monotonic() + budget_s if budget_s else None
    if budget_s:
        progress(f"{kind}: time budget {budget_s / 60:.1f} min for up to {n_trials} trials")

    def objective(trial: optuna.Trial) -> tuple[float, float, float]:
        params = search_space(kind)(trial)
        with single_threaded():
            pipeline, onnx_bytes, metrics = evaluate_trial_params(
                kind, params, splits, settings, deadline, progress
            )
        for key, value in metrics.items():
            trial.set_user_attr(key, value)
        result.pipelines[trial.number] = pipeline
        result.onnx_models[trial.number] = onnx_bytes
        return tuple(metrics[name] for name in OBJECTIVES)

    def report(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        done = len(study.trials) - earlier
        if trial.state == optuna.trial.TrialState.COMPLETE:
            f1, p50, size = trial.values
            progress(
                f"{kind}: trial {done}/{n_trials} macro-F1 {f1:.3f}, ONNX p50 {p50:.2f} ms, {size:,.0f} KB"
            )
        else:
            progress(f"{kind}: trial {done}/{n_trials} {trial.state.name}")
        if on_trial:
            on_trial(trial)

    # A trial that fails (e.g. a conversion error) is recorded as FAIL and the study goes on.
    study.optimize(
        objective,
        n_trials=n_trials,
        timeout=budget_s,
        callbacks=[report],
        gc_after_trial=True,
        catch=(Exception,),
    )
    return result


def _record(trial: optuna.trial.FrozenTrial) -> dict:
    objectives = dict(zip(OBJECTIVES, trial.values, strict=True))
    return {"trial": trial.number, "params": trial.params, **objectives, **trial.user_attrs}


def pareto_front(study: optuna.Study) -> list[dict]:
    """The non-dominated trials, each with its params and measured figures."""
    return [_record(t) for t in sorted(study.best_trials, key=lambda t: t.number)]


def completed_trials(study: optuna.Study) -> list[dict]:
    return [_record(t) for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
