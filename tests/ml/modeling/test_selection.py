"""Selection and promotion: pure decisions."""

from __future__ import annotations

import pytest

from review_sentiment.config import Thresholds
from review_sentiment.modeling.behaviour import DIR, INV, MFT
from review_sentiment.modeling.selection import (
    Candidate,
    NoModelWithinBudget,
    WorldScores,
    best_within_budget,
    decide,
    ranked_by_preference,
)

CANDIDATES = [
    {"model_kind": "logreg", "val_macro_f1": 0.74, "onnx_p99_ms": 0.6},
    {"model_kind": "random_forest", "val_macro_f1": 0.80, "onnx_p99_ms": 12.0},
    {"model_kind": "mlp", "val_macro_f1": 0.74, "onnx_p99_ms": 0.4},
    {"model_kind": "hist_gradient_boosting", "val_macro_f1": 0.70, "onnx_p99_ms": 0.3},
]


def candidate(test_f1: float = 0.8, parity: bool = True, **figures) -> Candidate:
    values = {
        "model_kind": "mlp",
        "val_macro_f1": 0.8,
        "test_macro_f1": test_f1,
        "test_accuracy": test_f1,
        "test_rows": 100,
        "onnx_p50_ms": 0.5,
        "onnx_p99_ms": 1.0,
        "onnx_size_bytes": 1000,
        "parity_label_agreement": 1.0 if parity else 0.9,
        "parity_max_prob_diff": 1e-6,
        "parity_passed": parity,
        "onnx_uri": "s3://models/runs/r/mlp/model.onnx",
        "model_uri": "runs:/abc/model",
        "mlflow_run_id": "abc",
        "data_hash": "d",
        "prediction_profile_uri": "s3://models/runs/r/mlp/prediction_profile.json",
        "vader_test_macro_f1": 0.7,
        "vader_test_accuracy": 0.7,
    }
    return Candidate(**{**values, **figures})


def behaviour(mft_passed: int = 10) -> dict:
    """A behavioural report (modeling.behaviour's shape) with `mft_passed` of 10 minimum cases passed."""
    report = {test: {"passed": 4, "total": 4, "pass_rate": 1.0, "failures": []} for test in (INV, DIR)}
    failures = [f"'Awful.': expected negative, got positive ({i})" for i in range(10 - mft_passed)]
    report[MFT] = {"passed": mft_passed, "total": 10, "pass_rate": mft_passed / 10, "failures": failures}
    return report


def test_best_is_the_highest_score_within_the_budget_ties_to_the_faster():
    assert best_within_budget(CANDIDATES, latency_budget_ms=5.0)["model_kind"] == "mlp"
    assert best_within_budget(CANDIDATES, latency_budget_ms=20.0)["model_kind"] == "random_forest"
    typed = [candidate(**c) for c in CANDIDATES]
    assert best_within_budget(typed, latency_budget_ms=5.0).model_kind == "mlp"


def test_no_candidate_within_the_budget_is_a_clear_error():
    with pytest.raises(NoModelWithinBudget, match="SENTIMENT_LATENCY_BUDGET_MS"):
        best_within_budget(CANDIDATES, latency_budget_ms=0.1)


def test_preference_order_puts_over_budget_candidates_last():
    order = [c["model_kind"] for c in ranked_by_preference(CANDIDATES, latency_budget_ms=5.0)]
    assert order == ["mlp", "logreg", "hist_gradient_boosting", "random_forest"]


@pytest.mark.parametrize(
    ("test_f1", "champion", "min_improvement", "promote"),
    [
        (0.70, None, 0.0, True),
        (0.71, 0.70, 0.0, True),
        (0.70, 0.70, 0.0, False),  # a tie keeps the champion
        (0.69, 0.70, 0.0, False),
        (0.705, 0.70, 0.01, False),
        (0.72, 0.70, 0.01, True),
    ],
)
def test_the_gate_compares_with_the_champion_on_the_same_rows(test_f1, champion, min_improvement, promote):
    thresholds = Thresholds(min_macro_f1=0.6, min_improvement=min_improvement)
    gate = decide(candidate(test_f1), champion, behaviour(), thresholds)
    assert gate.passed is promote and gate.beats_champion is promote
    assert gate.reasons and gate.champion_macro_f1 == champion


@pytest.mark.parametrize(
    ("challenger", "report", "expected"),
    [
        (candidate(0.9, parity=False), behaviour(), "ONNX parity failed for mlp"),
        (candidate(0.55), behaviour(), "test macro-F1 0.5500 is below the configured minimum 0.6000"),
        (candidate(0.9), behaviour(mft_passed=9), "behavioural test minimum_functionality: 9/10 passed"),
        (candidate(0.9), {"error": "s3://m/x.onnx: NoSuchKey"}, "behavioural tests could not run"),
    ],
    ids=["parity", "minimum-f1", "behaviour", "behaviour-not-run"],
)
def test_the_gate_refuses_whatever_the_champion_with_the_reason(challenger, report, expected):
    gate = decide(challenger, None, report, Thresholds(min_macro_f1=0.6))
    assert gate.passed is False and gate.beats_champion is True  # no champion: F1 alone would promote it
    assert any(reason.startswith(expected) for reason in gate.reasons), gate.reasons
    assert gate.behaviour_passed is (expected.split()[0] not in ("behavioural",))


def test_every_refusal_is_a_reason_and_the_thresholds_are_recorded():
    thresholds = Thresholds(min_macro_f1=0.6, min_improvement=0.01, min_mft_pass_rate=0.8)
    gate = decide(candidate(0.5, parity=False), 0.7, behaviour(mft_passed=7), thresholds)
    assert len(gate.reasons) == 4 and not gate.passed
    assert (gate.min_macro_f1, gate.min_improvement, gate.min_behaviour_pass_rates) == (0.6, 0.01, {MFT: 0.8})
    assert gate.behaviour_pass_rates == {MFT: 0.7, INV: 1.0, DIR: 1.0}


def worlds(recent: tuple[float, float], reference: tuple[float, float], recent_rows: int = 60):
    """(recent, reference) WorldScores from (challenger, champion) macro-F1 pairs."""
    return (
        WorldScores(rows=recent_rows, challenger_macro_f1=recent[0], champion_macro_f1=recent[1]),
        WorldScores(rows=400, challenger_macro_f1=reference[0], champion_macro_f1=reference[1]),
    )


@pytest.mark.parametrize(
    ("recent", "reference", "promote", "why"),
    [
        ((0.85, 0.70), (0.855, 0.86), True, "recent traffic (60 rows) macro-F1 0.8500 vs champion 0.7000"),
        ((0.85, 0.70), (0.84, 0.86), False, "more than 0.01 worse on the reference split"),
        ((0.70, 0.70), (0.90, 0.86), False, "not better on recent traffic"),  # better overall is not enough
        ((0.69, 0.70), (0.80, 0.86), False, "not better on recent traffic and more than 0.01 worse"),
    ],
)
def test_with_recent_traffic_the_gate_judges_both_worlds_on_the_same_rows(recent, reference, promote, why):
    # the whole-split comparison alone would promote (0.90 vs 0.80): both worlds decide instead
    gate = decide(candidate(0.9), 0.8, behaviour(), Thresholds(), *worlds(recent, reference))
    assert gate.passed is promote and gate.beats_champion is promote
    assert any(why in reason for reason in gate.reasons), gate.reasons
    assert gate.recent.rows == 60 and gate.reference.champion_macro_f1 == reference[1]


def test_too_few_recent_rows_fall_back_to_the_whole_split():
    gate = decide(
        candidate(0.9), 0.8, behaviour(), Thresholds(min_recent_rows=30), *worlds((0.5, 0.9), (0.9, 0.8), 29)
    )
    assert gate.passed and gate.reasons == ["test macro-F1 0.9000 vs champion 0.8000"]
