"""Population Stability Index (PSI) of the numeric review features. numpy + features only (serving-safe).

A reference profile (quantile bin edges and proportions per feature, JSON-able) is taken from the
training texts; PSI compares a window of served texts against it:
    PSI = sum over bins of (actual% - expected%) * ln(actual% / expected%)
Rule of thumb: < 0.1 stable, 0.1-0.25 moderate shift, > 0.25 significant shift.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from review_sentiment.features import NUMERIC_FEATURES, model_texts, numeric_features

DEFAULT_BINS = 10
EPSILON = 1e-4  # floor for empty bins: ln(0) is undefined
MODERATE, SIGNIFICANT = 0.1, 0.25


def bin_edges(reference: np.ndarray, bins: int = DEFAULT_BINS) -> np.ndarray:
    """Inner quantile edges of the reference (duplicates dropped: discrete features have fewer bins)."""
    quantiles = np.quantile(np.asarray(reference, dtype=np.float64), np.linspace(0, 1, bins + 1)[1:-1])
    return np.unique(quantiles)


def proportions(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Share of values per bin; bins are (-inf, e0], (e0, e1], ..., (e_last, inf)."""
    counts = np.bincount(np.searchsorted(edges, values, side="left"), minlength=len(edges) + 1)
    return counts / max(1, len(values))


def psi_from_proportions(expected: Sequence[float], actual: Sequence[float]) -> float:
    e = np.clip(np.asarray(expected, dtype=np.float64), EPSILON, None)
    a = np.clip(np.asarray(actual, dtype=np.float64), EPSILON, None)
    return float(np.sum((a - e) * np.log(a / e)))


def psi(reference: np.ndarray, current: np.ndarray, bins: int = DEFAULT_BINS) -> float:
    edges = bin_edges(reference, bins)
    return psi_from_proportions(proportions(reference, edges), proportions(current, edges))


def reference_profile(texts: Sequence[str], bins: int = DEFAULT_BINS) -> dict:
    """Per feature: bin edges and expected proportions, from the training texts."""
    matrix = numeric_features(model_texts(texts))
    profile = {}
    for i, name in enumerate(NUMERIC_FEATURES):
        edges = bin_edges(matrix[:, i], bins)
        profile[name] = {"edges": edges.tolist(), "expected": proportions(matrix[:, i], edges).tolist()}
    return profile


def feature_psi(profile: dict, texts: Sequence[str]) -> dict[str, float]:
    """PSI per numeric feature of `texts` against the reference profile."""
    matrix = numeric_features(model_texts(texts))
    out = {}
    for i, name in enumerate(NUMERIC_FEATURES):
        edges = np.asarray(profile[name]["edges"], dtype=np.float64)
        out[name] = psi_from_proportions(profile[name]["expected"], proportions(matrix[:, i], edges))
    return out


def severity(value: float) -> str:
    return "significant" if value > SIGNIFICANT else "moderate" if value > MODERATE else "stable"
