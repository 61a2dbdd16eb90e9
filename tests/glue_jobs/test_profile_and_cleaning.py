"""The preprocessing job's domain helpers: the reference profile's binning and the text cleaning."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from review_sentiment.data.cleaning import clean_text
from review_sentiment.features.numeric import NUMERIC_FEATURES
from review_sentiment.features.profile import label_distribution, reference_profile


def test_labels_count_neutral_rows_whatever_marks_them_missing():
    dist = label_distribution([0, 1, 1, None, float("nan"), pd.NA])
    assert dist["counts"] == {"negative": 1, "positive": 2, "neutral": 3}
    assert math.isclose(sum(dist["fractions"].values()), 1.0)


def test_a_profile_has_every_feature_in_the_drift_format():
    rng = np.random.default_rng(0)
    profile = reference_profile(rng.normal(size=(500, len(NUMERIC_FEATURES))), [0, 1] * 250, bins=5)
    assert profile["rows"] == 500 and profile["feature_names"] == list(NUMERIC_FEATURES)
    for name in NUMERIC_FEATURES:
        assert len(profile[name]["expected"]) == len(profile[name]["edges"]) + 1 == 5
        assert profile[name]["expected"] == pytest.approx([0.2] * 5, abs=0.01)


def test_an_empty_split_has_no_profile():
    with pytest.raises(ValueError, match="at least one row"):
        reference_profile(np.zeros((0, len(NUMERIC_FEATURES))), [])


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Great&nbsp;book!<br />Loved   it", "Great book! Loved it"),
        ("  <p>Fine &amp; dandy</p>\n", "Fine & dandy"),
        ("Cafe\u0301 au lait", "Café au lait"),  # NFC: e + combining accent -> é
        ("a < b and c > d", "a < b and c > d"),  # not markup: kept
        (None, ""),
    ],
)
def test_clean_text(raw, clean):
    assert clean_text(raw) == clean
