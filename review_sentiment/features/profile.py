"""The reference profile that drift monitoring compares live traffic against, built by the
preprocessing job from the training split's numeric features (already computed there).

Its per-feature entries are exactly what `review_sentiment.monitoring.drift` reads (`profile[name]["edges"]`,
`profile[name]["expected"]`, binned by this module's bin_edges / proportions), so
`drift.feature_psi(profile, texts)` takes the JSON as it is. The rest of the keys describe the data:
row and label counts, mean/std/min/max per feature. numpy only (serving-safe).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from review_sentiment.data.cleaning import model_texts
from review_sentiment.data.schema import LABEL_NAMES
from review_sentiment.features.numeric import NUMERIC_FEATURES, numeric_features
from review_sentiment.features.text_sketch import SKETCH_BUCKETS, text_sketch

PROFILE_VERSION = 1
NEUTRAL = "neutral"  # 3-star rows: no binary label
BINNING = "profile.proportions: (-inf, e0], (e0, e1], ..., (e_last, inf) over the inner quantile edges"
DEFAULT_BINS = 10


def bin_edges(reference: np.ndarray, bins: int = DEFAULT_BINS) -> np.ndarray:
    """Inner quantile edges of the reference (duplicates dropped: discrete features have fewer bins)."""
    quantiles = np.quantile(np.asarray(reference, dtype=np.float64), np.linspace(0, 1, bins + 1)[1:-1])
    return np.unique(quantiles)


def proportions(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Share of values per bin; bins are (-inf, e0], (e0, e1], ..., (e_last, inf)."""
    counts = np.bincount(np.searchsorted(edges, values, side="left"), minlength=len(edges) + 1)
    return counts / max(1, len(values))


def label_distribution(labels: Sequence) -> dict:
    """Counts and fractions of negative, positive and neutral (missing label) rows."""
    counts = {name: 0 for name in (*LABEL_NAMES, NEUTRAL)}
    for label in labels:
        try:
            name = LABEL_NAMES[int(label)]
        except (TypeError, ValueError):  # None, NaN, pd.NA: a 3-star row
            name = NEUTRAL
        counts[name] += 1
    total = sum(counts.values())
    return {"counts": counts, "fractions": {k: (v / total if total else 0.0) for k, v in counts.items()}}


def value_profile(values: np.ndarray, bins: int = DEFAULT_BINS) -> dict:
    """Bins of one quantity: {"edges", "expected", "mean", "std", "min", "max"}, finite values only."""
    column = np.asarray(values, dtype=np.float64).ravel()
    column = column[np.isfinite(column)]
    if column.size == 0:
        raise ValueError("a value profile needs at least one finite value")
    edges = bin_edges(column, bins)
    return {
        "edges": edges.tolist(),
        "expected": proportions(column, edges).tolist(),
        "mean": float(column.mean()),
        "std": float(column.std()),
        "min": float(column.min()),
        "max": float(column.max()),
    }


def text_sketch_profile(texts: Iterable[str], buckets: int = SKETCH_BUCKETS) -> dict:
    """Token share per hashed bucket over `texts` (model texts), for text drift: {"buckets", "tokens",
    "rows", "shares"}; the shares are features.text_sketch.bucket_shares of the texts' sketches."""
    totals = np.zeros(buckets, dtype=np.float64)
    rows = 0
    for text in texts:
        rows += 1
        for bucket, n in text_sketch(text, buckets).items():
            totals[int(bucket)] += n
    tokens = int(totals.sum())
    shares = totals / tokens if tokens else totals
    return {"buckets": buckets, "tokens": tokens, "rows": rows, "shares": shares.tolist()}


def prediction_profile(
    positive_probabilities: np.ndarray, labels: Sequence | None = None, bins: int = DEFAULT_BINS
) -> dict:
    """The reference of prediction drift: a model's P(positive) on its own test split, binned like a
    feature ({"edges", "expected", ...}, quantile bins), plus the rows and predicted-positive share."""
    values = np.asarray(positive_probabilities, dtype=np.float64).ravel()
    profile = {
        "version": PROFILE_VERSION,
        "quantity": "positive_probability",
        "rows": int(values.size),
        "bins": bins,
        "binning": BINNING,
        **value_profile(values, bins),
        "predicted_positive_share": float(np.mean(values >= 0.5)) if values.size else 0.0,
    }
    if labels is not None:
        profile["labels"] = label_distribution(labels)
    return profile


def reference_profile(
    features: np.ndarray, labels: Sequence, bins: int = DEFAULT_BINS, texts: Iterable[str] | None = None
) -> dict:
    """The profile of one split; `features` is [N, len(NUMERIC_FEATURES)] in NUMERIC_FEATURES order.

    With `texts` (the split's model texts, same rows), it also holds their token-bucket shares
    (`text_sketch`), the reference of text drift (monitoring.text_drift)."""
    matrix = np.asarray(features, dtype=np.float64).reshape(-1, len(NUMERIC_FEATURES))
    if matrix.shape[0] == 0:
        raise ValueError("a reference profile needs at least one row")
    profile: dict = {
        "version": PROFILE_VERSION,
        "rows": int(matrix.shape[0]),
        "bins": bins,
        "binning": BINNING,
        "feature_names": list(NUMERIC_FEATURES),
        "labels": label_distribution(labels),
    }
    for i, name in enumerate(NUMERIC_FEATURES):
        profile[name] = value_profile(matrix[:, i], bins)
    if texts is not None:
        profile["text_sketch"] = text_sketch_profile(texts)
    return profile


def texts_profile(texts: Iterable[str], labels: Sequence | None = None, bins: int = DEFAULT_BINS) -> dict:
    """The reference profile of review texts as drift monitoring will see them served: each text made
    a model text (data.cleaning.model_texts), its numeric features computed by the same function and in
    the same dtype (float64) as the data-capture record of a served review, its token sketch likewise.
    The preprocessing job builds the training split's profile with this; `labels` default to none
    known (every row counted as neutral)."""
    texts = model_texts(texts)
    labels = [None] * len(texts) if labels is None else labels
    return reference_profile(numeric_features(texts), labels, bins, texts=texts)
