"""PSI: about zero for the same distribution, large for a shift, equal to a hand-computed case."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from review_sentiment.features.numeric import NUMERIC_FEATURES
from review_sentiment.monitoring.drift import (
    feature_psi,
    proportions,
    psi,
    psi_from_proportions,
    reference_profile,
    severity,
)


def test_identical_distributions_give_about_zero():
    rng = np.random.default_rng(0)
    assert psi(rng.normal(size=5000), rng.normal(size=5000)) < 0.02


def test_a_shift_raises_psi():
    rng = np.random.default_rng(1)
    shifted = psi(rng.normal(size=5000), rng.normal(loc=1.0, size=5000))
    assert shifted > 0.25 and severity(shifted) == "significant"


def test_hand_computed_case():
    expected, actual = [0.5, 0.5], [0.25, 0.75]
    by_hand = (0.25 - 0.5) * math.log(0.25 / 0.5) + (0.75 - 0.5) * math.log(0.75 / 0.5)
    assert psi_from_proportions(expected, actual) == pytest.approx(by_hand)
    assert proportions(np.array([1.0, 2.0, 3.0, 4.0]), np.array([2.0])).tolist() == [0.5, 0.5]


def test_feature_psi_on_review_text(small_frame):
    texts = small_frame["reviewText"].tolist()
    profile = json.loads(json.dumps(reference_profile(texts[:600])))  # survives storage as JSON
    same = feature_psi(profile, texts[600:])
    assert set(same) == set(NUMERIC_FEATURES)
    assert max(same.values()) < 0.25
    shouting = feature_psi(profile, [t.upper() + "!!!" for t in texts[600:]])
    assert shouting["uppercase_ratio"] > 0.25 and shouting["exclamation_count"] > 0.25
