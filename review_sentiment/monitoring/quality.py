"""Live model quality: how well the served model answers the labelled part of a window.

Ground truth arrives with the traffic: a request that carries the review's star rating (`overall`) is
labelled by `data.schema.label_from_rating`, as training labels its rows (1-2 stars negative, 4-5
positive, 3 stars neutral and left out). SageMaker Model Monitor's model-quality monitoring merges
ground truth uploaded later with the captured predictions; here both are in the same capture record.

Figures: accuracy and macro-F1 (`data.metrics`, the training figures) with 95% percentile bootstrap
intervals (Efron & Tibshirani 1993, ch. 13). Resampling n rows with replacement only redraws the
confusion matrix, so each resample is one multinomial draw of its cells: the cost does not grow with
the window.

Severity, relative to the champion's test macro-F1 (the figure it was promoted on): a window warns
(acts) when the live macro-F1 is at least `quality_warn_drop` (`quality_act_drop`) below it *and* the
upper end of its interval is below it too, so a drop must be both material and unlikely to be the
noise of a small sample. Fewer than `min_labelled_rows` labelled rows: `insufficient_labels`, no verdict.
Stdlib + numpy only.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from review_sentiment.data.metrics import accuracy, macro_f1
from review_sentiment.data.schema import LABEL_NAMES, label_from_rating
from review_sentiment.monitoring.config import DriftConfig

SCORED = "scored"
INSUFFICIENT_LABELS = "insufficient_labels"
NO_REFERENCE = "no_reference"  # scored, but the champion carries no test figure to compare with
BOOTSTRAP_RESAMPLES = 2000
CONFIDENCE = 0.95


def labelled_pairs(ratings: Sequence[float], predicted: Sequence[str]) -> tuple[list[int], list[int], int]:
    """(true labels, predicted labels, neutral rows) of the rows that carry a rating: `ratings` [N] star
    ratings (NaN where a request carried none), `predicted` [N] the served label names. 3-star rows are
    counted as neutral and left out; a predicted name outside LABEL_NAMES is left out too."""
    truth, served, neutral = [], [], 0
    for rating, name in zip(ratings, predicted, strict=True):
        if rating != rating:  # NaN: no rating
            continue
        label = label_from_rating(rating)
        if label is None:
            neutral += 1
        elif name in LABEL_NAMES:
            truth.append(label)
            served.append(LABEL_NAMES.index(name))
    return truth, served, neutral


def bootstrap_intervals(
    truth: Sequence[int],
    predicted: Sequence[int],
    resamples: int = BOOTSTRAP_RESAMPLES,
    confidence: float = CONFIDENCE,
    seed: int = 0,
) -> dict[str, tuple[float, float]]:
    """Percentile bootstrap intervals of accuracy and macro-F1: {"accuracy": (low, high), "macro_f1":
    (low, high)}. Each resample draws len(truth) rows with replacement, i.e. one multinomial draw over
    the confusion matrix's cells; macro-F1 per resample averages the classes present in that resample
    (as `data.metrics.macro_f1`). Seeded, so one window always gets the same interval. ValueError for
    no rows."""
    if not len(truth):
        raise ValueError("no labelled rows to bootstrap")
    classes = sorted(set(truth) | set(predicted))
    k = len(classes)
    index = {label: i for i, label in enumerate(classes)}
    cells = np.zeros((k, k))
    for t, p in zip(truth, predicted, strict=True):
        cells[index[t], index[p]] += 1
    n = int(cells.sum())
    draws = np.random.default_rng(seed).multinomial(n, cells.ravel() / n, size=resamples).reshape(-1, k, k)
    tp = np.diagonal(draws, axis1=1, axis2=2)  # [R, k]
    true_counts, predicted_counts = draws.sum(axis=2), draws.sum(axis=1)  # [R, k] each
    wrong = true_counts + predicted_counts - 2 * tp  # FN + FP per class
    with np.errstate(divide="ignore", invalid="ignore"):
        f1 = np.where(tp > 0, 2 * tp / (2 * tp + wrong), 0.0)
    present = (true_counts + predicted_counts) > 0
    macro = (f1 * present).sum(axis=1) / present.sum(axis=1)
    accuracies = tp.sum(axis=1) / n
    tail = (1 - confidence) / 2 * 100

    def interval(values: np.ndarray) -> tuple[float, float]:
        low, high = np.percentile(values, [tail, 100 - tail])
        return float(low), float(high)

    return {"accuracy": interval(accuracies), "macro_f1": interval(macro)}


def quality_severity(macro: float, high: float, reference: float | None, config: DriftConfig) -> str:
    """`none`, `warn` or `act` (module doc): the drop below `reference` and the interval's upper end."""
    if reference is None or high >= reference:
        return "none"
    drop = reference - macro
    if drop >= config.quality_act_drop:
        return "act"
    return "warn" if drop >= config.quality_warn_drop else "none"


def model_quality(
    ratings: Sequence[float], predicted: Sequence[str], reference_macro_f1: float | None, config: DriftConfig
) -> dict:
    """The window's model-quality section (JSON-able): status, rated/labelled/neutral rows, accuracy and
    macro-F1 with their intervals, the champion's test macro-F1, the decline (reference - live, in
    macro-F1 points), severity and a note. See the module doc for the rule."""
    truth, served, neutral = labelled_pairs(ratings, predicted)
    section = {
        "status": INSUFFICIENT_LABELS,
        "rated_rows": len(truth) + neutral,
        "labelled_rows": len(truth),
        "neutral_rows": neutral,
        "min_labelled_rows": config.min_labelled_rows,
        "reference_macro_f1": reference_macro_f1,
        "accuracy": None,
        "accuracy_interval": None,
        "macro_f1": None,
        "macro_f1_interval": None,
        "decline": None,
        "severity": "none",
    }
    if len(truth) < config.min_labelled_rows:
        section["note"] = (
            f"{len(truth)} labelled rows (requests with a 1-2 or 4-5 star rating), the minimum is "
            f"{config.min_labelled_rows}: no verdict"
        )
        return section
    intervals = bootstrap_intervals(truth, served)
    macro = macro_f1(truth, served)
    section.update(
        status=SCORED if reference_macro_f1 is not None else NO_REFERENCE,
        accuracy=accuracy(truth, served),
        accuracy_interval=list(intervals["accuracy"]),
        macro_f1=macro,
        macro_f1_interval=list(intervals["macro_f1"]),
        decline=None if reference_macro_f1 is None else reference_macro_f1 - macro,
        severity=quality_severity(macro, intervals["macro_f1"][1], reference_macro_f1, config),
    )
    low, high = intervals["macro_f1"]
    section["note"] = f"live macro-F1 {macro:.3f} [{low:.3f}, {high:.3f}] on {len(truth)} labelled rows" + (
        f", the champion's test macro-F1 is {reference_macro_f1:.3f}"
        if reference_macro_f1 is not None
        else "; the champion carries no test figure to compare with"
    )
    return section
