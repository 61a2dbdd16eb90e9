"""The preprocessing job's domain helpers: the reference profile's binning and the text cleaning."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from review_sentiment.cleaning import clean_text
from review_sentiment.profile import bin_fractions, label_distribution, quantile_edges, reference_profile


def test_bins_are_open_ended_and_an_edge_value_goes_up():
    # edges 1, 2: bins x<1, 1<=x<2, x>=2
    assert bin_fractions(np.array([0.0, 1.0, 1.5, 2.0, 9.0]), [1.0, 2.0]) == [0.2, 0.4, 0.4]


def test_quantile_edges_collapse_on_discrete_features():
    values = np.array([0] * 90 + [1] * 8 + [3] * 2, dtype=float)
    edges = quantile_edges(values, n_bins=10)
    assert edges == sorted(set(edges)) and edges[0] == 0.0
    assert sum(bin_fractions(values, edges)) == pytest.approx(1.0)


def test_labels_count_neutral_rows_whatever_marks_them_missing():
    dist = label_distribution([0, 1, 1, None, float("nan"), pd.NA])
    assert dist["counts"] == {"negative": 1, "positive": 2, "neutral": 3}
    assert math.isclose(sum(dist["fractions"].values()), 1.0)


def test_a_profile_has_every_feature_with_matching_bins():
    rng = np.random.default_rng(0)
    profile = reference_profile(rng.normal(size=(500, 8)), [0, 1] * 250, n_bins=5)
    assert profile["rows"] == 500 and len(profile["features"]) == 8
    for feature in profile["features"].values():
        assert len(feature["fractions"]) == len(feature["edges"]) + 1 == 5
        assert feature["fractions"] == pytest.approx([0.2] * 5, abs=0.01)


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
