"""PSI: hand-computed values, frozen bins, and a defined answer (never a score) for degenerate input."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from review_sentiment.data.cleaning import model_texts
from review_sentiment.features.numeric import NUMERIC_FEATURES, numeric_features
from review_sentiment.features.profile import texts_profile
from review_sentiment.monitoring.drift import (
    EPSILON,
    BinnedReference,
    InvalidReference,
    Status,
    bin_counts,
    feature_psi,
    feature_scores,
    psi,
    psi_from_proportions,
    score,
    severity,
)


def by_hand(expected, actual, eps=EPSILON):
    return sum(
        (max(a, eps) - max(e, eps)) * math.log(max(a, eps) / max(e, eps))
        for e, a in zip(expected, actual, strict=True)
    )


# --- the formula -----------------------------------------------------------------------------------
def test_identical_distributions_give_exactly_zero():
    assert psi_from_proportions([0.2, 0.3, 0.5], [0.2, 0.3, 0.5]) == 0.0
    reference = BinnedReference.from_profile({"edges": [1.0, 2.0], "expected": [0.25, 0.5, 0.25]})
    same = score("x", reference, np.array([0.5, 1.5, 1.7, 3.0] * 200), min_rows=1)
    assert same.status == Status.SCORED and same.psi == 0.0 and same.counts == [200, 400, 200]


def test_a_shift_by_hand():
    # (0.25 - 0.5) ln(0.25 / 0.5) + (0.75 - 0.5) ln(0.75 / 0.5) = 0.1733 + 0.1014 = 0.2747
    assert psi_from_proportions([0.5, 0.5], [0.25, 0.75]) == pytest.approx(0.274653, abs=1e-6)
    reference = BinnedReference.from_profile({"edges": [2.0], "expected": [0.5, 0.5]})
    shifted = score("x", reference, np.array([1.0, 3.0, 4.0, 5.0] * 100), min_rows=1)
    assert shifted.counts == [100, 300] and shifted.psi == pytest.approx(0.274653, abs=1e-6)
    assert severity(shifted.psi) == "act" and severity(0.1) == "warn" and severity(0.0999) == "none"


def test_an_empty_bin_is_floored_at_epsilon():
    # window bin 0 empty: (1e-4 - 0.5) ln(1e-4 / 0.5) + (1 - 0.5) ln(1 / 0.5) = 4.2577 + 0.3466 = 4.6043
    assert psi_from_proportions([0.5, 0.5], [0.0, 1.0]) == pytest.approx(4.604318, abs=1e-6)
    assert psi_from_proportions([0.5, 0.5], [0.0, 1.0]) == pytest.approx(by_hand([0.5, 0.5], [0.0, 1.0]))
    # an empty reference bin that the window fills: (0.2 - 1e-4) ln(0.2 / 1e-4) + (0.8 - 1) ln(0.8 / 1)
    value = psi_from_proportions([0.0, 1.0], [0.2, 0.8], epsilon=1e-4)
    assert value == pytest.approx((0.2 - 1e-4) * math.log(0.2 / 1e-4) + (0.8 - 1) * math.log(0.8), abs=1e-9)


def test_values_on_an_edge_fall_in_the_bin_below_it():
    assert bin_counts(np.array([0.0, 1.0, 1.5, 2.0, 2.5]), np.array([1.0, 2.0])).tolist() == [2, 2, 1]


def test_bad_share_vectors_are_refused():
    for expected, actual in (
        ([0.5, 0.5], [1.0]),
        ([], []),
        ([0.5, math.nan], [0.5, 0.5]),
        ([-0.1, 1.1], [0.5, 0.5]),
    ):
        with pytest.raises(ValueError):
            psi_from_proportions(expected, actual)


def test_a_large_shift_of_samples_is_act_and_a_same_sample_is_near_zero():
    rng = np.random.default_rng(1)
    assert psi(rng.normal(size=5000), rng.normal(size=5000)) < 0.02
    assert psi(rng.normal(size=5000), rng.normal(loc=1.0, size=5000)) > 0.25


# --- degenerate input: answered, not scored -------------------------------------------------------
REFERENCE = BinnedReference.from_profile({"edges": [1.0, 2.0], "expected": [0.3, 0.4, 0.3]})


def test_an_empty_window_is_insufficient_data_not_drift():
    result = score("x", REFERENCE, np.array([]), min_rows=500)
    assert result.status == Status.INSUFFICIENT_DATA and result.psi is None and result.rows == 0
    assert severity(result.psi) == "none"


def test_a_single_value_window_is_insufficient_data():
    result = score("x", REFERENCE, np.array([7.0]), min_rows=500)
    assert result.status == Status.INSUFFICIENT_DATA and result.psi is None and result.counts == [0, 0, 1]
    assert "1 finite values, fewer than the minimum 500" in result.note


def test_a_constant_reference_is_not_scored_and_says_how_much_of_the_window_differs():
    constant = BinnedReference.of(np.zeros(1000))
    assert constant.is_constant and constant.constant == 0.0
    window = np.array([0.0] * 450 + [3.0] * 50)
    result = score("all_caps_word_count", constant, window, min_rows=1)
    assert result.status == Status.CONSTANT_REFERENCE and result.psi is None
    assert "10.0% of the window's values differ" in result.note
    # the same from a stored profile entry (min == max), whatever the edges say
    stored = BinnedReference.from_profile({"edges": [0.0], "expected": [1.0, 0.0], "min": 0.0, "max": 0.0})
    assert score("f", stored, window, min_rows=1).status == Status.CONSTANT_REFERENCE


def test_a_constant_window_against_a_varied_reference_is_scored():
    # all 500 values in bin 0: (1 - 0.3) ln(1 / 0.3) + 2 x (1e-4 - 0.3) ln(1e-4 / 0.3)
    result = score("x", REFERENCE, np.full(500, 0.5), min_rows=500)
    assert result.status == Status.SCORED
    assert result.psi == pytest.approx(by_hand([0.3, 0.4, 0.3], [1.0, 0.0, 0.0]), abs=1e-9)


def test_non_finite_values_are_counted_and_left_out_of_the_bins():
    finite = np.array([0.5, 1.5, 1.7, 3.0] * 150)
    window = np.concatenate([finite, [np.nan, np.inf, -np.inf]])
    result = score("x", REFERENCE, window, min_rows=500)
    assert result.non_finite == 3 and result.rows == 600
    assert result.psi == pytest.approx(score("x", REFERENCE, finite, min_rows=500).psi)
    # so many missing that too few remain: insufficient data, not a score
    mostly_missing = np.concatenate([finite[:10], np.full(990, np.nan)])
    answer = score("x", REFERENCE, mostly_missing, min_rows=500)
    assert answer.status == Status.INSUFFICIENT_DATA and answer.non_finite == 990


@pytest.mark.parametrize(
    "entry",
    [
        {"edges": [2.0, 1.0], "expected": [0.3, 0.4, 0.3]},
        {"edges": [1.0, math.inf], "expected": [0.3, 0.4, 0.3]},
        {"edges": [1.0], "expected": [0.3, 0.4, 0.3]},
        {"edges": [1.0], "expected": [0.3, 0.3]},
        {"expected": [1.0]},
    ],
)
def test_a_broken_reference_is_refused_with_the_reason(entry):
    with pytest.raises(InvalidReference):
        BinnedReference.from_profile(entry, "text_len")


# --- features of review texts ---------------------------------------------------------------------
def test_features_of_review_text_are_stable_on_the_same_population_and_flag_shouting(small_frame):
    texts = small_frame["reviewText"].tolist()
    profile = json.loads(json.dumps(texts_profile(texts[:600])))  # survives storage as JSON
    same = feature_psi(profile, texts[600:])
    assert set(same) == set(NUMERIC_FEATURES)
    assert max(v for v in same.values() if v is not None) < 0.25
    shouting = [t.upper() + "!!!" for t in texts[600:]]
    assert feature_psi(profile, shouting)["exclamation_count"] > 0.25
    # the shipped sentences are lower-case: upper-case share is constant in the reference, so the
    # answer is the share of the window off that constant, not a PSI made by the epsilon floor
    caps = feature_scores(profile, numeric_features(model_texts(shouting)), min_rows=1)["uppercase_ratio"]
    assert caps.status == Status.CONSTANT_REFERENCE and caps.psi is None
    with_letters = sum(any(ch.isalpha() for ch in t) for t in model_texts(shouting)) / len(shouting)
    assert f"{with_letters:.1%} of the window's values differ from it" in caps.note


def test_an_empty_window_of_texts_scores_no_feature(small_frame):
    """The defect this replaces: an empty window was 'significant' drift on every feature (PSI 6.9-9.2)."""
    profile = texts_profile(small_frame["reviewText"].tolist())
    answers = feature_scores(profile, np.zeros((0, len(NUMERIC_FEATURES))), min_rows=500)
    assert {a.status for a in answers.values()} <= {Status.INSUFFICIENT_DATA, Status.CONSTANT_REFERENCE}
    assert all(a.psi is None for a in answers.values())
    one_text = feature_psi(profile, ["Loved it."], min_rows=500)
    assert all(v is None for v in one_text.values())


# --- one code path: the reference's own rows served back score no drift ---------------------------
def _replayed_through_capture(texts: list[str]):
    """`texts` served: one data-capture line each (as the inference function writes them), read back
    as the drift monitor reads a window."""
    from datetime import UTC, datetime

    from review_sentiment.monitoring.capture import Window, read_lines
    from review_sentiment.serving.api_models import ModelRef
    from review_sentiment.serving.capture import CaptureRecord

    now = datetime(2026, 12, 5, 3, 0, 30, tzinfo=UTC)
    model = ModelRef(name="review-sentiment", version="1", kind="logreg")
    lines = [
        CaptureRecord.of(
            model=model, request_id="r", model_text=text, label="positive",
            probabilities={"negative": 0.3, "positive": 0.7}, now=now,
        ).to_line()
        for text in model_texts(texts)
    ]  # fmt: skip
    return read_lines(
        lines, Window(datetime(2026, 12, 5, 3, 0, tzinfo=UTC), datetime(2026, 12, 5, 3, 1, tzinfo=UTC))
    )


@pytest.mark.parametrize("source", ["shipped", "synthetic"])
def test_the_references_own_rows_served_back_drift_on_no_feature(source):
    """The reference (the preprocessing job's texts_profile) and a served window (capture records)
    compute each feature through one function, on the same normalisation and dtype: the same rows give
    PSI under 0.01 on every feature. The defect this replaces: float32 reference edges put a served
    0.04 one bin higher, and in-distribution traffic got `warn` on uppercase_ratio (PSI 0.104)."""
    from review_sentiment.data.datasets import generate_synthetic_reviews, load_shipped

    frame = load_shipped() if source == "shipped" else generate_synthetic_reviews(3000, seed=3)
    texts = frame["reviewText"].tolist()
    profile = json.loads(json.dumps(texts_profile(texts)))  # as stored
    window = _replayed_through_capture(texts)
    assert window.rows == len(texts)
    answers = feature_scores(profile, window.features, min_rows=1)
    scored = {name: a.psi for name, a in answers.items() if a.psi is not None}
    assert scored, answers
    assert all(psi < 0.01 for psi in scored.values()), scored
    # a feature constant in the reference is answered, and the same rows never differ from it
    for answer in answers.values():
        assert answer.status in (Status.SCORED, Status.CONSTANT_REFERENCE), answer
        unchanged = "; 0.0% of the window" in answer.note
        assert answer.status != Status.CONSTANT_REFERENCE or unchanged, answer.note
