"""Selection and promotion: pure decisions."""

from __future__ import annotations

import pytest

from review_sentiment.modeling.selection import (
    NoModelWithinBudget,
    best_within_budget,
    promotion_decision,
    ranked_by_preference,
)

CANDIDATES = [
    {"model_kind": "logreg", "val_macro_f1": 0.74, "onnx_p99_ms": 0.6},
    {"model_kind": "random_forest", "val_macro_f1": 0.80, "onnx_p99_ms": 12.0},
    {"model_kind": "mlp", "val_macro_f1": 0.74, "onnx_p99_ms": 0.4},
    {"model_kind": "hist_gradient_boosting", "val_macro_f1": 0.70, "onnx_p99_ms": 0.3},
]


def test_best_is_the_highest_score_within_the_budget_ties_to_the_faster():
    assert best_within_budget(CANDIDATES, latency_budget_ms=5.0)["model_kind"] == "mlp"
    assert best_within_budget(CANDIDATES, latency_budget_ms=20.0)["model_kind"] == "random_forest"


def test_no_candidate_within_the_budget_is_a_clear_error():
    with pytest.raises(NoModelWithinBudget, match="SENTIMENT_LATENCY_BUDGET_MS"):
        best_within_budget(CANDIDATES, latency_budget_ms=0.1)


def test_preference_order_puts_over_budget_candidates_last():
    order = [c["model_kind"] for c in ranked_by_preference(CANDIDATES, latency_budget_ms=5.0)]
    assert order == ["mlp", "logreg", "hist_gradient_boosting", "random_forest"]


@pytest.mark.parametrize(
    ("candidate", "champion", "min_improvement", "promote"),
    [
        (0.70, None, 0.0, True),
        (0.71, 0.70, 0.0, True),
        (0.70, 0.70, 0.0, False),  # a tie keeps the champion
        (0.69, 0.70, 0.0, False),
        (0.705, 0.70, 0.01, False),
        (0.72, 0.70, 0.01, True),
    ],
)
def test_promotion_gate(candidate, champion, min_improvement, promote):
    decision = promotion_decision(candidate, champion, min_improvement)
    assert decision.promote is promote
    assert decision.reason
