"""Which model is chosen, and whether it replaces the champion: pure decisions over typed inputs.

`TrainingResult` is what one training job reports (the training container's result.json, the local
pipeline's results); as a `Candidate` it is compared with the others (`best_within_budget`) and with the
champion (`decide`, the promotion gate, whose verdict is a `Gate`). The SelectBest Lambda and the local
pipeline apply this one rule; `promotion` acts on it and records a `Promotion`. Plain Python and
Pydantic only: every pipeline Lambda parses these models.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from review_sentiment.config import Thresholds
from review_sentiment.modeling.behaviour import MFT, behaviour_refusals, pass_rates

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


class Candidate(BaseModel):
    """One trained model as selection compares it (a subset of its TrainingResult)."""

    model_config = ConfigDict(extra="ignore")

    model_kind: str
    val_macro_f1: float
    test_macro_f1: float
    test_accuracy: float
    test_rows: int  # labelled test rows (3-star rows excluded)
    onnx_p50_ms: float  # single-row latency of the graph
    onnx_p99_ms: float
    onnx_size_bytes: int
    parity_label_agreement: float  # onnxruntime vs the fitted model on the test rows and probes
    parity_max_prob_diff: float
    parity_passed: bool
    onnx_uri: str  # the graph: s3://.../model.onnx from the training container, a local path locally
    model_uri: str  # the MLflow model (runs:/...), registered as a new version by promotion
    mlflow_run_id: str
    data_hash: str
    prediction_profile_uri: str  # its outputs on its test split: the reference of prediction drift
    vader_test_macro_f1: float  # the lexicon baseline on the same test rows
    vader_test_accuracy: float


class TrainingResult(Candidate):
    """What one training job reports: `modeling.train.train_model_kind` returns it, the training container
    writes it as result.json beside model.onnx, SelectBest reads it back. Figures of one family only
    (the transformer's int8_* quantisation record) ride along as extra fields."""

    model_config = ConfigDict(extra="allow")

    trial: int  # the Optuna trial shipped
    params: dict[str, Any]
    n_trials: int
    study_name: str
    parity_rows: int
    output_uri: str  # the folder (or s3:// prefix) holding model.onnx and the reports
    data_uri: str
    split_counts: dict[str, dict[str, int]]
    training_wall_seconds: float
    prediction_profile: dict[str, Any]


def _value(item: Mapping | BaseModel, name: str) -> float:
    return item[name] if isinstance(item, Mapping) else getattr(item, name)


def ranked_by_preference(candidates: Sequence, latency_budget_ms: float) -> list:
    """All candidates (Candidates or Optuna trial records), best first: those whose p99 latency is within
    the budget by validation macro-F1, faster first on ties, then the rest."""
    return sorted(
        candidates,
        key=lambda c: (
            _value(c, "onnx_p99_ms") > latency_budget_ms,
            -_value(c, "val_macro_f1"),
            _value(c, "onnx_p99_ms"),
        ),
    )


def best_within_budget(candidates: Sequence, latency_budget_ms: float):
    """Highest validation macro-F1 among candidates within the p99 latency budget (ms); ties go to the
    faster. Raises NoModelWithinBudget naming the fastest p99 when none fits."""
    ranked = ranked_by_preference(candidates, latency_budget_ms)
    if not ranked or _value(ranked[0], "onnx_p99_ms") > latency_budget_ms:
        fastest = min((_value(c, "onnx_p99_ms") for c in candidates), default=float("nan"))
        raise NoModelWithinBudget(
            f"no model meets the latency budget of {latency_budget_ms} ms (fastest p99: {fastest:.2f} ms); "
            "raise SENTIMENT_LATENCY_BUDGET_MS or run on a less loaded machine"
        )
    return ranked[0]


class WorldScores(BaseModel):
    """Challenger and champion on the same rows of one part of the test split (macro-F1)."""

    rows: int
    challenger_macro_f1: float
    champion_macro_f1: float


class Gate(BaseModel):
    """The promotion gate's verdict on the chosen candidate, with the thresholds it applied."""

    passed: bool
    reasons: list[str]  # every refusal; when it passed, why (no champion yet, or the comparison)
    beats_champion: bool
    behaviour_passed: bool
    behaviour_pass_rates: dict[str, float] | None  # None when the tests could not run
    champion_macro_f1: float | None  # the champion on the same test rows (None: no champion)
    min_macro_f1: float
    min_improvement: float
    min_behaviour_pass_rates: dict[str, float]
    # both worlds: the test split's rows from recent labelled traffic, and the rest (None: not judged so)
    recent: WorldScores | None = None
    reference: WorldScores | None = None


def _both_worlds(recent: WorldScores, reference: WorldScores, thresholds: Thresholds) -> tuple[bool, str]:
    gain = recent.challenger_macro_f1 - recent.champion_macro_f1
    drop = reference.champion_macro_f1 - reference.challenger_macro_f1
    better = gain > 0 and gain >= thresholds.min_improvement
    kept = drop <= thresholds.reference_tolerance
    figures = (
        f"recent traffic ({recent.rows} rows) macro-F1 {recent.challenger_macro_f1:.4f} vs champion "
        f"{recent.champion_macro_f1:.4f}; reference split ({reference.rows} rows) "
        f"{reference.challenger_macro_f1:.4f} vs {reference.champion_macro_f1:.4f}"
    )
    if better and kept:
        return True, figures
    why = []
    if not better:
        why.append("not better on recent traffic")
    if not kept:
        why.append(f"more than {thresholds.reference_tolerance} worse on the reference split")
    return False, f"{figures}: {' and '.join(why)}: registered as challenger"


def decide(
    best: Candidate,
    champion_score: float | None,
    behaviour: Mapping[str, Any],
    thresholds: Thresholds,
    recent: WorldScores | None = None,
    reference: WorldScores | None = None,
) -> Gate:
    """The promotion decision: `best` replaces the champion only when its ONNX graph passed parity, its test
    macro-F1 reaches `thresholds.min_macro_f1`, it passes the behavioural tests' minimum-functionality
    cases (`behaviour`, modeling.behaviour's report on its graph; an {"error"} report refuses), and it
    beats `champion_score` (the champion's macro-F1 on the same test rows; None: no champion) by at
    least `min_improvement` and by more than nothing (a tie keeps the champion).

    Both worlds: when `recent` (challenger and champion on the test rows from recent labelled traffic)
    holds at least `thresholds.min_recent_rows` rows and `reference` (the same on the other rows) is
    given, the comparison is instead: better on the recent rows (by `min_improvement`, more than
    nothing) and at most `thresholds.reference_tolerance` worse on the reference rows."""
    reasons = []
    if not best.parity_passed:
        reasons.append(f"ONNX parity failed for {best.model_kind}")
    if best.test_macro_f1 < thresholds.min_macro_f1:
        reasons.append(
            f"test macro-F1 {best.test_macro_f1:.4f} is below the configured minimum "
            f"{thresholds.min_macro_f1:.4f}"
        )
    min_rates = {MFT: thresholds.min_mft_pass_rate}
    behaviour_reasons = behaviour_refusals(behaviour, min_rates)
    reasons += behaviour_reasons
    judged_on_both = (
        champion_score is not None
        and recent is not None
        and reference is not None
        and recent.rows >= thresholds.min_recent_rows
    )
    if champion_score is None:
        beats, comparison = True, "no champion yet"
    elif judged_on_both:
        beats, comparison = _both_worlds(recent, reference, thresholds)
    else:
        gain = best.test_macro_f1 - champion_score
        beats = gain > 0 and gain >= thresholds.min_improvement
        comparison = (
            f"test macro-F1 {best.test_macro_f1:.4f} vs champion {champion_score:.4f}"
            if beats
            else f"test macro-F1 {best.test_macro_f1:.4f} does not beat champion {champion_score:.4f} "
            f"by {thresholds.min_improvement} or more: registered as challenger"
        )
    if not beats:
        reasons.append(comparison)
    return Gate(
        passed=not reasons,
        reasons=reasons or [comparison],
        beats_champion=beats,
        behaviour_passed=not behaviour_reasons,
        behaviour_pass_rates=pass_rates(behaviour),
        champion_macro_f1=champion_score,
        min_macro_f1=thresholds.min_macro_f1,
        min_improvement=thresholds.min_improvement,
        min_behaviour_pass_rates=min_rates,
        recent=recent,
        reference=reference,
    )


class Promotion(BaseModel):
    """The promotion record (modeling.promotion): the version a run registered and where its alias points."""

    registered_model: str
    version: str
    alias: Literal["champion", "challenger"]
    previous_version: str | None = None  # the champion's version before (a promotion only)
    model_uri: str | None = None  # the graph that serves now (a promotion only)
    champion_parameter: str | None = None  # the SSM pointer moved with the alias (None: no stack)
