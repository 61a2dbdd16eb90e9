"""Classification figures over label sequences: the one macro-F1 and accuracy of training, selection,
the champion's re-scoring and live model quality. Pure Python (every pipeline Lambda imports it)."""

from __future__ import annotations

from collections.abc import Sequence


def macro_f1(truth: Sequence[int], predicted: Sequence[int]) -> float:
    """Unweighted mean over the classes present in `truth` or `predicted` of F1 = 2TP / (2TP + FP + FN):
    scikit-learn's `f1_score(average="macro")` with a class never predicted correctly scoring 0.
    0.0 for no rows; ValueError when the two lengths differ."""
    pairs = list(zip((int(t) for t in truth), (int(p) for p in predicted), strict=True))
    scores = []
    for label in sorted({t for t, _ in pairs} | {p for _, p in pairs}):
        tp = sum(1 for t, p in pairs if t == label and p == label)
        wrong = sum(1 for t, p in pairs if (t == label) != (p == label))  # FP + FN
        scores.append(2 * tp / (2 * tp + wrong) if tp else 0.0)
    return sum(scores) / len(scores) if scores else 0.0


def accuracy(truth: Sequence[int], predicted: Sequence[int]) -> float:
    """Share of rows whose predicted label equals the true one; 0.0 for no rows; ValueError when the
    two lengths differ."""
    pairs = list(zip((int(t) for t in truth), (int(p) for p in predicted), strict=True))
    return sum(1 for t, p in pairs if t == p) / len(pairs) if pairs else 0.0
