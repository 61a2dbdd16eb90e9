"""The reference feature profile that drift monitoring compares live traffic against.

Built by the preprocessing job from the training split: per numeric feature, quantile bin edges and
the share of training rows in each bin, plus the label distribution. A monitor bins current values
with the same `bin_fractions(values, edges)` and compares the fractions (e.g. PSI). numpy only, so
the serving/monitoring path can import it.

Bins of a feature with inner edges e[0] < ... < e[k-1] (k + 1 bins, open at both ends):
bin 0 is x < e[0], bin i is e[i-1] <= x < e[i], bin k is x >= e[k-1].
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from review_sentiment.features import NUMERIC_FEATURES
from review_sentiment.schema import LABEL_NAMES

DEFAULT_BINS = 10
PROFILE_VERSION = 1
NEUTRAL = "neutral"  # 3-star rows: no binary label


def quantile_edges(values: np.ndarray, n_bins: int = DEFAULT_BINS) -> list[float]:
    """Inner edges at the 1/n .. (n-1)/n quantiles; repeated edges (discrete features) collapse."""
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        return []
    probs = np.linspace(0.0, 1.0, n_bins + 1)[1:-1]
    return [float(e) for e in np.unique(np.quantile(values, probs))]


def bin_fractions(values: np.ndarray, edges: Sequence[float]) -> list[float]:
    """Share of `values` in each of the len(edges) + 1 bins (see the module docstring); sums to 1."""
    values = np.asarray(values, dtype=np.float64)
    counts = np.bincount(
        np.searchsorted(np.asarray(edges, dtype=np.float64), values, side="right"), minlength=len(edges) + 1
    )
    total = counts.sum()
    return [float(c / total) if total else 0.0 for c in counts]


def label_distribution(labels: Sequence) -> dict:
    """Counts and fractions of negative, positive and neutral (missing label) rows."""
    names = {code: name for code, name in LABEL_NAMES.items()}
    counts = {name: 0 for name in (*names.values(), NEUTRAL)}
    for label in labels:
        try:
            name = names[int(label)]
        except (TypeError, ValueError):  # None, NaN, pd.NA: a 3-star row
            name = NEUTRAL
        counts[name] += 1
    total = sum(counts.values())
    return {"counts": counts, "fractions": {k: (v / total if total else 0.0) for k, v in counts.items()}}


def reference_profile(
    features: np.ndarray,
    labels: Sequence,
    n_bins: int = DEFAULT_BINS,
    feature_names: Sequence[str] = NUMERIC_FEATURES,
) -> dict:
    """The profile of one split: `features` is [N, len(feature_names)] in NUMERIC_FEATURES order."""
    features = np.asarray(features, dtype=np.float64).reshape(-1, len(feature_names))
    per_feature = {}
    for i, name in enumerate(feature_names):
        column = features[:, i]
        edges = quantile_edges(column, n_bins)
        per_feature[name] = {
            "edges": edges,
            "fractions": bin_fractions(column, edges),
            "mean": float(column.mean()) if column.size else 0.0,
            "std": float(column.std()) if column.size else 0.0,
            "min": float(column.min()) if column.size else 0.0,
            "max": float(column.max()) if column.size else 0.0,
        }
    return {
        "version": PROFILE_VERSION,
        "rows": int(features.shape[0]),
        "n_bins": n_bins,
        "binning": "bin 0: x < edges[0]; bin i: edges[i-1] <= x < edges[i]; last bin: x >= edges[-1]",
        "feature_names": list(feature_names),
        "features": per_feature,
        "labels": label_distribution(labels),
    }
