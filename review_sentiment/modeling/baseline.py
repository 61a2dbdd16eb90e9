"""The lexicon baseline: VADER (vaderSentiment) on the same test rows as the trained models."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.metrics import accuracy_score
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from review_sentiment.data.metrics import macro_f1

# VADER's own cut-off for "positive"; everything below it (neutral or negative) counts as negative
# in the binary task.
POSITIVE_COMPOUND = 0.05


def vader_labels(texts: Sequence[str]) -> np.ndarray:
    analyzer = SentimentIntensityAnalyzer()
    return np.asarray(
        [int(analyzer.polarity_scores(t)["compound"] >= POSITIVE_COMPOUND) for t in texts], dtype=np.int64
    )


def vader_metrics(texts: Sequence[str], labels: Sequence[int]) -> dict[str, float]:
    predicted = vader_labels(texts)
    return {
        "test_macro_f1": macro_f1(labels, predicted),
        "test_accuracy": float(accuracy_score(labels, predicted)),
    }
