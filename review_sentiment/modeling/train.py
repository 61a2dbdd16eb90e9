"""Train ONE model kind end to end: HPO, final fit, ONNX export with parity gate, MLflow logging.

The training container calls this with a model kind and data paths:

    python -m review_sentiment.cli train --model-kind logreg --data reviews.jsonl --results-fp out.json
    python -m review_sentiment.cli train --model-kind mlp \
        --train t.parquet --validation v.parquet --test x.parquet
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import mlflow
import pandas as pd
from sklearn.metrics import accuracy_score

from review_sentiment.config import Settings
from review_sentiment.data.datasets import (
    SHIPPED_DATASET,
    BinarySplits,
    DatasetError,
    binary_splits,
    data_hash,
    load_reviews,
    with_labels,
)
from review_sentiment.data.metrics import macro_f1
from review_sentiment.data.schema import LABEL_NAMES, RATING_COLUMN, TEXT_COLUMN
from review_sentiment.data.validation import validate
from review_sentiment.features.numeric import NUMERIC_FEATURES
from review_sentiment.features.profile import prediction_profile
from review_sentiment.modeling import registry, tracking
from review_sentiment.modeling.baseline import vader_metrics
from review_sentiment.modeling.families import ModelFamily, family
from review_sentiment.modeling.kinds import single_threaded
from review_sentiment.modeling.onnx_export import ParityError, single_row_latency_ms
from review_sentiment.modeling.selection import TrainingResult, ranked_by_preference
from review_sentiment.modeling.tuning import completed_trials, pareto_front, tune
from review_sentiment.progress import Progress
from review_sentiment.serving.onnx_model import OnnxSentimentModel


@dataclass
class TrainingData:
    splits: BinarySplits
    data_hash: str
    source: str
    validation_report: dict = field(default_factory=dict)


def load_training_data(
    settings: Settings,
    data: Path | None = None,
    train: Path | None = None,
    validation: Path | None = None,
    test: Path | None = None,
    progress: Progress | None = None,
) -> TrainingData:
    """One file (validated, then split here) or three files already split and validated upstream."""
    progress = progress or Progress()
    given = [p for p in (train, validation, test) if p is not None]
    if given and len(given) != 3:
        raise ValueError("pass all of --train, --validation and --test, or a single --data file")
    if given:
        parts = {}
        excluded = {}
        for name, path in (("train", train), ("validation", validation), ("test", test)):
            frame = with_labels(load_reviews(path))
            _require_training_columns(frame, name, path)
            neutral = frame["label"].isna()
            excluded[name] = int(neutral.sum())
            parts[name] = frame[~neutral].astype({"label": "int64"}).reset_index(drop=True)
        splits = BinarySplits(**parts, neutral_excluded=excluded)
        if splits.train.empty or splits.train["label"].nunique() < 2:
            raise DatasetError(
                f"{train}: the training split needs positive and negative reviews (1-2 and 4-5 stars), "
                f"it has {splits.counts()['train']}; pass the preprocessing job's output for more data"
            )
        digest = data_hash(pd.concat([parts["train"], parts["validation"], parts["test"]], ignore_index=True))
        return TrainingData(splits, digest, ", ".join(str(p) for p in given))
    path = Path(data) if data else SHIPPED_DATASET
    frame = load_reviews(path)
    checked = validate(frame, settings.max_bad_fraction, settings.max_text_chars)
    report = checked.report
    progress(
        f"validated {path.name}: {report['valid']} valid, {report['quarantined']} quarantined "
        f"{report['reasons'] or ''}".rstrip()
    )
    splits = binary_splits(checked.valid, settings.seed)
    for name, counts in splits.counts().items():
        progress(
            f"  {name:<10} {counts['rows']:>5} rows ({counts['positive']} positive, {counts['negative']} "
            f"negative); {counts['neutral_excluded']} neutral (3-star) rows excluded"
        )
    return TrainingData(splits, data_hash(checked.valid), str(path), report)


def _require_training_columns(frame: pd.DataFrame, split: str, path) -> None:
    """Pre-split data must hold review text and ratings (the preprocessing job's output does)."""
    missing = [c for c in (TEXT_COLUMN, RATING_COLUMN) if c not in frame or frame[c].isna().all()]
    if missing or frame.empty:
        what = f"has no {' or '.join(missing)} column" if missing else "holds no rows"
        raise DatasetError(f"{split} split {path} {what}; pass the preprocessing job's output (split=*/)")


def _export_first_passing(
    model_family: ModelFamily,
    candidates: list[dict],
    tuning,
    data: TrainingData,
    settings: Settings,
    progress: Progress,
    output_dir: Path,
):
    """The preferred trial whose ONNX graph passes the parity gate on the test split.

    A refused graph is never shipped; the next trial in order of preference is tried instead.
    """
    kind = model_family.kind
    last_refusal = None
    for candidate in candidates:
        fitted = tuning.fitted.get(candidate["trial"])
        if fitted is None:  # a trial of an earlier run of this study: fit it again (same seed, same model)
            progress(f"{kind}: refitting trial {candidate['trial']} from an earlier run")
            fitted = model_family.fit(candidate["params"], data.splits, settings, progress=progress)
        metadata = {
            "model_kind": kind,
            "data_hash": data.data_hash,
            "numeric_features": ",".join(NUMERIC_FEATURES),
            "label_names": ",".join(LABEL_NAMES),
            "params": json.dumps(candidate["params"], sort_keys=True),
        }
        try:
            exported = model_family.export(fitted, data.splits, settings, metadata, output_dir, progress)
        except ParityError as exc:
            progress(f"{kind}: trial {candidate['trial']} refused: {exc}")
            last_refusal = exc
            continue
        return candidate, *exported
    raise ParityError(f"{kind}: the parity gate refused every trial's ONNX graph; last: {last_refusal}")


def train_model_kind(
    kind: str,
    data: TrainingData,
    settings: Settings,
    output_dir: Path | None = None,
    n_trials: int | None = None,
    progress: Progress | None = None,
) -> TrainingResult:
    """Tunes, fits, exports and logs one model kind; returns its result and writes it (results.json),
    the graph (model.onnx) and its outputs on the test split (prediction_profile.json) to
    `output_dir`/<kind>/. Raises ValueError for an unknown kind, ParityError when no trial's graph
    passes the parity gate."""
    model_family = family(kind)
    progress = progress or Progress()
    output_dir = Path(output_dir or settings.artifacts_dir) / kind
    output_dir.mkdir(parents=True, exist_ok=True)
    registry.configure(settings)
    splits = data.splits
    started = time.perf_counter()
    with (
        single_threaded(),
        mlflow.start_run(run_name=f"train-{kind}", nested=mlflow.active_run() is not None) as run,
    ):
        tuning = tune(
            kind,
            splits,
            settings,
            data.data_hash,
            n_trials,
            on_trial=lambda trial: tracking.log_trial(kind, trial),
            progress=progress,
        )
        candidates = ranked_by_preference(
            completed_trials(tuning.study), settings.thresholds.latency_budget_ms
        )
        if not candidates:
            raise RuntimeError(f"{kind}: every trial failed; see the errors above")
        pareto = pareto_front(tuning.study)
        test_texts = splits.test["reviewText"].tolist()
        chosen, onnx_bytes, parity, extra = _export_first_passing(
            model_family, candidates, tuning, data, settings, progress, output_dir
        )
        served = OnnxSentimentModel(onnx_bytes)
        labels, probabilities = served.predict_proba(test_texts)
        truth = splits.test["label"].to_numpy()
        latency = single_row_latency_ms(served, test_texts[: settings.latency_rows])
        vader = vader_metrics(test_texts, truth)  # the lexicon baseline on the same test rows
        onnx_path = output_dir / "model.onnx"
        onnx_path.write_bytes(onnx_bytes)
        # the reference of prediction drift: the served graph's outputs on its own test split
        profile = prediction_profile(probabilities[:, 1], truth.tolist())
        profile_path = output_dir / "prediction_profile.json"
        profile_path.write_text(json.dumps(profile, indent=2))
        result = TrainingResult(
            model_kind=kind,
            trial=chosen["trial"],
            params=chosen["params"],
            n_trials=len(tuning.study.trials),
            study_name=tuning.study.study_name,
            val_macro_f1=chosen["val_macro_f1"],
            test_macro_f1=macro_f1(truth, labels),
            test_accuracy=float(accuracy_score(truth, labels)),
            test_rows=len(test_texts),
            onnx_p50_ms=latency["p50_ms"],
            onnx_p99_ms=latency["p99_ms"],
            onnx_size_bytes=len(onnx_bytes),
            parity_label_agreement=parity.label_agreement,
            parity_max_prob_diff=parity.max_prob_diff,
            parity_rows=parity.rows,
            parity_passed=parity.passed,
            onnx_uri=str(onnx_path),
            model_uri="",  # set below, once MLflow logged the model
            mlflow_run_id=run.info.run_id,
            data_hash=data.data_hash,
            output_uri=str(output_dir),
            data_uri=data.source,
            split_counts=splits.counts(),
            vader_test_macro_f1=vader["test_macro_f1"],
            vader_test_accuracy=vader["test_accuracy"],
            training_wall_seconds=round(time.perf_counter() - started, 1),
            prediction_profile=profile,
            prediction_profile_uri=str(profile_path),
            **extra,
        )
        result.model_uri = tracking.log_final_model(
            result, onnx_bytes, pareto, data.data_hash, data.splits.counts()
        )
    (output_dir / "results.json").write_text(result.model_dump_json(indent=2))
    progress(
        f"{kind}: chose trial {chosen['trial']}: test macro-F1 {result.test_macro_f1:.3f}, "
        f"parity {parity.label_agreement:.4f} / {parity.max_prob_diff:.1e}, ONNX at {onnx_path}"
    )
    return result
