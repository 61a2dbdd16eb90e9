"""Population Stability Index (PSI) of the numeric review features. numpy + features only (serving-safe).

A reference profile (quantile bin edges and proportions per feature, JSON-able) is taken from the
training texts; PSI compares a window of served texts against it:
    PSI = sum over bins of (actual% - expected%) * ln(actual% / expected%)
Rule of thumb: < 0.1 stable, 0.1-0.25 moderate shift, > 0.25 significant shift.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from review_sentiment.features.numeric import NUMERIC_FEATURES, model_texts, numeric_features
from review_sentiment.features.profile import DEFAULT_BINS, bin_edges, proportions

EPSILON = 1e-4  # floor for empty bins: ln(0) is undefined
MODERATE, SIGNIFICANT = 0.1, 0.25


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
