"""Optuna multi-objective HPO per model kind: max validation macro-F1, min ONNX latency, min size.

Each trial asks the kind's family (modeling.families) to fit one configuration and export it to ONNX,
then scores and times that graph, so every objective is the one serving will see. Studies live in the storage
named by the settings (SQLite by default, PostgreSQL by URL) and resume when run again on the same
data.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import optuna
from sklearn.metrics import accuracy_score

from review_sentiment.config import Settings
from review_sentiment.data.datasets import BinarySplits
from review_sentiment.data.metrics import macro_f1
from review_sentiment.modeling.families import ModelFamily, family
from review_sentiment.modeling.kinds import single_threaded
from review_sentiment.modeling.onnx_export import single_row_latency_ms
from review_sentiment.progress import Progress
from review_sentiment.serving.onnx_model import OnnxSentimentModel

DIRECTIONS = ("maximize", "minimize", "minimize")
OBJECTIVES = ("val_macro_f1", "onnx_p50_ms", "onnx_size_kb")


@dataclass
class TuningResult:
    study: optuna.Study
    # Fitted models of this process's trials, by trial number (earlier runs' trials need a refit).
    fitted: dict[int, object] = field(default_factory=dict)
    onnx_models: dict[int, bytes] = field(default_factory=dict)


def study_name(kind: str, data_hash: str) -> str:
    return f"review-sentiment-{kind}-{data_hash[:12]}"


def evaluate_trial_params(
    model_family: ModelFamily,
    params: dict,
    splits: BinarySplits,
    settings: Settings,
    deadline: float | None = None,
    progress: Progress | None = None,
) -> tuple[object, bytes, dict[str, float]]:
    """Fits one configuration and measures every objective on the validation split with the graph that
    would serve (macro-F1, single-row p50/p99 in ms, size in KB), plus the figures shown beside them.

    Returns (the family's fitted model, the ONNX graph, the figures); a fit stops at `deadline`
    (time.monotonic()) where the family can.
    """
    fitted = model_family.fit(params, splits, settings, deadline, progress)
    onnx_bytes = model_family.to_onnx(fitted)
    served = OnnxSentimentModel(onnx_bytes)
    texts = splits.validation["reviewText"].tolist()
    truth = splits.validation["label"].to_numpy()
    predicted, _ = served.predict_proba(texts)
    latency = single_row_latency_ms(
        served, texts[: settings.latency_rows], model_family.latency_warmup, model_family.latency_repeats
    )
    metrics = {
        "val_macro_f1": macro_f1(truth, predicted),
        "val_accuracy": float(accuracy_score(truth, predicted)),
        "onnx_p50_ms": latency["p50_ms"],
        "onnx_p99_ms": latency["p99_ms"],
        "onnx_size_kb": len(onnx_bytes) / 1024,
        "complexity": float(model_family.complexity(fitted)),
        **model_family.trial_metrics(fitted, served, texts, settings),
    }
    return fitted, onnx_bytes, metrics


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

    A family with a study budget (the transformer's settings.transformer_time_budget_s, wall clock) also
    stops there: no trial starts after it, and a running fit stops there after its current batch.
    """
    progress = progress or Progress()
    model_family = family(kind)
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
        study.enqueue_trial(model_family.default_params)
    else:
        progress(f"{kind}: resuming study {study.study_name} with {earlier} earlier trials")
    result = TuningResult(study=study)
    budget_s = model_family.study_budget_s(settings)
    deadline = time.monotonic() + budget_s if budget_s else None
    if budget_s:
        progress(f"{kind}: time budget {budget_s / 60:.1f} min for up to {n_trials} trials")

    def objective(trial: optuna.Trial) -> tuple[float, float, float]:
        params = model_family.search_space(trial)
        with single_threaded():
            fitted, onnx_bytes, metrics = evaluate_trial_params(
                model_family, params, splits, settings, deadline, progress
            )
        for key, value in metrics.items():
            trial.set_user_attr(key, value)
        result.fitted[trial.number] = fitted
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
