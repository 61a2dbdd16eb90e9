"""Pure decisions: which model is best under the latency budget, and whether it replaces the champion."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# The figures every trained model kind reports, in display order (comparison table, model card).
RESULT_METRICS = (
    "val_macro_f1",
    "test_macro_f1",
    "test_accuracy",
    "onnx_p50_ms",
    "onnx_p99_ms",
    "onnx_size_bytes",
    "parity_label_agreement",
    "parity_max_prob_diff",
)


class NoModelWithinBudget(RuntimeError):
    """No candidate meets the latency budget."""


def best_within_budget(
    candidates: Sequence[dict],
    latency_budget_ms: float,
    score_key: str = "val_macro_f1",
    latency_key: str = "onnx_p99_ms",
) -> dict:
    """Highest `score_key` among candidates whose `latency_key` <= budget; ties go to the faster one."""
    eligible = [c for c in candidates if c[latency_key] <= latency_budget_ms]
    if not eligible:
        fastest = min((c[latency_key] for c in candidates), default=float("nan"))
        raise NoModelWithinBudget(
            f"no model meets the latency budget of {latency_budget_ms} ms (fastest p99: {fastest:.2f} ms); "
            "raise SENTIMENT_LATENCY_BUDGET_MS or run on a less loaded machine"
        )
    return max(eligible, key=lambda c: (c[score_key], -c[latency_key]))


def ranked_by_preference(
    candidates: Sequence[dict],
    latency_budget_ms: float,
    score_key: str = "val_macro_f1",
    latency_key: str = "onnx_p99_ms",
) -> list[dict]:
    """All candidates, best first: those within the budget by score (faster first on ties), then the rest."""
    return sorted(
        candidates,
        key=lambda c: (c[latency_key] > latency_budget_ms, -c[score_key], c[latency_key]),
    )


@dataclass(frozen=True)
class PromotionDecision:
    promote: bool
    reason: str


def promotion_decision(
    candidate_score: float, champion_score: float | None, min_improvement: float
) -> PromotionDecision:
    """Promote when there is no champion, or the candidate is strictly better than the champion by at
    least `min_improvement` on the same test rows (a tie keeps the champion)."""
    if champion_score is None:
        return PromotionDecision(True, "no champion yet")
    gain = candidate_score - champion_score
    if gain > 0 and gain >= min_improvement:
        return PromotionDecision(
            True, f"test macro-F1 {candidate_score:.4f} vs champion {champion_score:.4f}"
        )
    return PromotionDecision(
        False,
        f"test macro-F1 {candidate_score:.4f} does not beat champion {champion_score:.4f} "
        f"by {min_improvement} or more: registered as challenger",
    )
