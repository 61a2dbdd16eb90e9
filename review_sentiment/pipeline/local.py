"""The local training pipeline: every model kind on one dataset, selection, baseline, registry.

validate -> split -> per kind: HPO + final fit + ONNX export (parity gate) + MLflow
-> best validation macro-F1 under the latency budget -> VADER on the same test rows
-> register the chosen model; `champion` if it beats the current champion, else `challenger`.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import mlflow

from review_sentiment.config import Settings
from review_sentiment.modeling import tracking
from review_sentiment.modeling.baseline import vader_metrics
from review_sentiment.modeling.behaviour import MFT, behaviour_refusals, run_behavioural_tests
from review_sentiment.modeling.onnx_export import ParityError
from review_sentiment.modeling.selection import PromotionDecision, best_within_budget, promotion_decision
from review_sentiment.modeling.train import load_training_data, train_model_kind
from review_sentiment.progress import Progress
from review_sentiment.serving.onnx_model import OnnxSentimentModel


def champion_test_score(name: str, texts: list[str], labels) -> tuple[float | None, str]:
    """The current champion's macro-F1 on these test rows (None when there is no usable champion)."""
    from sklearn.metrics import f1_score

    if tracking.alias_version(name, tracking.CHAMPION) is None:
        return None, "no champion yet"
    try:
        champion = OnnxSentimentModel(tracking.load_onnx_bytes(name, tracking.CHAMPION))
    except Exception as exc:  # an incompatible champion (older feature set) cannot be compared
        return None, f"champion could not be loaded ({type(exc).__name__}: {exc})"
    predicted, _ = champion.predict_proba(texts)
    return float(f1_score(labels, predicted, average="macro")), "champion re-scored on these test rows"


def register_and_promote(chosen: dict, settings: Settings, texts: list[str], labels) -> dict:
    """Registers the chosen model: `champion` if it beats the champion and passes the behavioural tests'
    minimum-functionality cases (settings.min_mft_pass_rate), else `challenger`, with the reason."""
    name = settings.registered_model_name
    champion_score, note = champion_test_score(name, texts, labels)
    decision = promotion_decision(chosen["test_macro_f1"], champion_score, settings.min_improvement)
    graph = (
        Path(chosen["onnx_path"]) if chosen.get("onnx_path") else tracking.load_onnx_uri(chosen["model_uri"])
    )
    behaviour = run_behavioural_tests(OnnxSentimentModel(graph).predict_proba)
    refusals = behaviour_refusals(behaviour, {MFT: settings.min_mft_pass_rate})
    if refusals:
        decision = PromotionDecision(False, "; ".join(refusals))
    version = tracking.register(
        chosen["model_uri"],
        name,
        tags={
            "model_kind": chosen["model_kind"],
            "data_hash": chosen["data_hash"],
            "test_macro_f1": f"{chosen['test_macro_f1']:.4f}",
        },
    )
    if decision.promote:
        tracking.set_alias(name, tracking.CHAMPION, version)
        tracking.delete_alias(name, tracking.CHALLENGER)
        alias = tracking.CHAMPION
    else:
        tracking.set_alias(name, tracking.CHALLENGER, version)
        alias = tracking.CHALLENGER
    return {
        "registered_model": name,
        "version": version,
        "alias": alias,
        "reason": decision.reason,
        "champion_test_macro_f1_before": champion_score,
        "champion_note": note,
        "behaviour": behaviour,
    }


def run_all(
    settings: Settings,
    data: Path | None = None,
    n_trials: int | None = None,
    progress: Progress | None = None,
) -> dict:
    progress = progress or Progress()
    settings.ensure_state_dir()
    tracking.configure(settings)
    progress(f"MLflow tracking: {settings.resolved_mlflow_tracking_uri}")
    progress(f"Optuna storage:  {settings.resolved_optuna_storage_url}")
    training_data = load_training_data(settings, data=data, progress=progress)
    results, refused = [], {}
    with mlflow.start_run(run_name="local-pipeline") as parent:
        mlflow.set_tag("data_hash", training_data.data_hash)
        for kind in settings.model_kinds:
            progress(f"== {kind}: {n_trials or settings.trials_per_kind} trials")
            try:
                results.append(
                    train_model_kind(kind, training_data, settings, n_trials=n_trials, progress=progress)
                )
            except ParityError as exc:  # this kind ships nothing; the other kinds still compete
                refused[kind] = str(exc)
                progress(f"{kind}: no model exported: {exc}")
        if not results:
            raise ParityError(f"the parity gate refused every model kind: {refused}")
        chosen = best_within_budget(results, settings.latency_budget_ms)
        test = training_data.splits.test
        texts, labels = test["reviewText"].tolist(), test["label"].to_numpy()
        baseline = vader_metrics(texts, labels)
        registry = register_and_promote(chosen, settings, texts, labels)
        mlflow.log_dict(
            {"results": results, "chosen": chosen["model_kind"], "vader": baseline, "registry": registry},
            "pipeline_summary.json",
        )
        parent_run_id = parent.info.run_id
    model_path = settings.artifacts_dir / "model.onnx"
    shutil.copyfile(chosen["onnx_path"], model_path)
    summary = {
        "results": results,
        "refused": refused,
        "chosen": chosen["model_kind"],
        "vader": baseline,
        "registry": registry,
        "onnx_path": str(model_path),
        "mlflow_run_id": parent_run_id,
        "data_hash": training_data.data_hash,
        "split_counts": training_data.splits.counts(),
        "latency_budget_ms": settings.latency_budget_ms,
    }
    (settings.artifacts_dir / "summary.json").write_text(json.dumps(summary, indent=2, default=str))
    return summary


def comparison_table(summary: dict) -> str:
    """Plain-text table: one row per model kind, then VADER on the same test rows."""
    header = (
        "model kind",
        "val F1",
        "test F1",
        "test acc",
        "p50 ms",
        "p99 ms",
        "ONNX KB",
        "parity agree",
        "max |dp|",
        "",
    )
    rows = []
    for r in summary["results"]:
        rows.append(
            (
                r["model_kind"],
                f"{r['val_macro_f1']:.3f}",
                f"{r['test_macro_f1']:.3f}",
                f"{r['test_accuracy']:.3f}",
                f"{r['onnx_p50_ms']:.2f}",
                f"{r['onnx_p99_ms']:.2f}",
                f"{r['onnx_size_bytes'] / 1024:,.0f}",
                f"{r['parity_label_agreement']:.4f}",
                f"{r['parity_max_prob_diff']:.1e}",
                "<- chosen" if r["model_kind"] == summary["chosen"] else "",
            )
        )
    for kind in summary.get("refused", {}):
        rows.append((kind, *["-"] * 8, "refused by parity gate"))
    vader = summary["vader"]
    rows.append(
        (
            "VADER (lexicon)",
            "-",
            f"{vader['test_macro_f1']:.3f}",
            f"{vader['test_accuracy']:.3f}",
            "-",
            "-",
            "-",
            "-",
            "-",
            "baseline",
        )
    )
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]

    def line(row):
        return "  ".join(
            str(cell).ljust(w) if i == 0 else str(cell).rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ).rstrip()

    out = [line(header), line(tuple("-" * w for w in widths))] + [line(row) for row in rows]
    return "\n".join(out)
