"""Live model quality: labels from ratings, bootstrap intervals, the severity rule, the window decision."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from review_sentiment.data.metrics import macro_f1
from review_sentiment.features.numeric import NUMERIC_FEATURES
from review_sentiment.monitoring.capture import CapturedWindow, Window
from review_sentiment.monitoring.config import DriftConfig, InvalidDriftConfig
from review_sentiment.monitoring.quality import (
    INSUFFICIENT_LABELS,
    NO_REFERENCE,
    SCORED,
    bootstrap_intervals,
    labelled_pairs,
    model_quality,
)
from review_sentiment.monitoring.report import evaluate, to_csv
from review_sentiment.monitoring.text_drift import reference_shares
from tests.support.drift import training_profile

CONFIG = DriftConfig()  # min 200 labelled rows, warn 0.05, act 0.10 below the champion


def served(truth: list[int], wrong: int, seed: int = 0) -> list[str]:
    """Served label names for `truth` with exactly `wrong` of them flipped (chosen at random)."""
    flipped = set(np.random.default_rng(seed).choice(len(truth), size=wrong, replace=False).tolist())
    return ["positive" if (t == 1) != (i in flipped) else "negative" for i, t in enumerate(truth)]


def rated(n: int, positive_share: float = 0.6) -> tuple[list[int], list[float]]:
    truth = [1 if i < n * positive_share else 0 for i in range(n)]
    return truth, [5.0 if t else 1.0 for t in truth]


def test_ratings_become_labels_as_in_training():
    ratings = [1, 2, 3, 4, 5, float("nan"), 5]
    predicted = ["negative", "positive", "positive", "positive", "negative", "positive", "unknown"]
    truth, labels, neutral = labelled_pairs(ratings, predicted)
    assert truth == [0, 0, 1, 1] and labels == [0, 1, 1, 0] and neutral == 1  # 3 stars: neutral; NaN: unrated


def test_the_multinomial_bootstrap_matches_resampling_rows():
    truth, _ = rated(300)
    predicted = [1 if name == "positive" else 0 for name in served(truth, wrong=45)]
    fast = bootstrap_intervals(truth, predicted, resamples=4000)
    rng = np.random.default_rng(1)
    rows = np.array(list(zip(truth, predicted, strict=True)))
    slow = [macro_f1(*rows[rng.integers(0, len(rows), len(rows))].T) for _ in range(4000)]
    assert fast["macro_f1"] == pytest.approx(tuple(np.percentile(slow, [2.5, 97.5])), abs=0.01)
    point = macro_f1(truth, predicted)
    low, high = fast["macro_f1"]
    assert low < point < high and 0.03 < high - low < 0.12


def test_intervals_narrow_with_more_rows_and_are_reproducible():
    widths = []
    for n in (200, 2000):
        truth, _ = rated(n)
        predicted = [1 if name == "positive" else 0 for name in served(truth, wrong=n // 10)]
        low, high = bootstrap_intervals(truth, predicted)["macro_f1"]
        widths.append(high - low)
        assert bootstrap_intervals(truth, predicted) == bootstrap_intervals(truth, predicted)
    assert widths[1] < widths[0] / 2.5  # ~ 1/sqrt(10)


def test_too_few_labelled_rows_is_insufficient_labels_not_a_verdict():
    truth, ratings = rated(199)
    section = model_quality(ratings + [3.0] * 50, served(truth, wrong=100) + ["positive"] * 50, 0.9, CONFIG)
    assert section["status"] == INSUFFICIENT_LABELS and section["severity"] == "none"
    assert section["labelled_rows"] == 199 and section["neutral_rows"] == 50 and section["macro_f1"] is None
    assert "199 labelled rows" in section["note"] and "minimum is 200" in section["note"]


@pytest.mark.parametrize(
    ("rows", "wrong", "severity"),
    [
        (400, 0, "none"),  # live 1.00: better than the champion's 0.86
        (400, 56, "none"),  # live 0.86: no drop
        (200, 36, "none"),  # live 0.82 [0.76, 0.87]: under the warn drop, interval reaches 0.86
        (2000, 400, "warn"),  # live 0.79 [0.78, 0.81]: 0.066 below
        (400, 160, "act"),  # live 0.59 [0.54, 0.64]: 0.27 below
    ],
)
def test_severity_is_relative_to_the_champions_test_figure(rows, wrong, severity):
    truth, ratings = rated(rows)
    section = model_quality(ratings, served(truth, wrong), 0.86, CONFIG)
    assert section["status"] == SCORED and section["severity"] == severity
    assert section["decline"] == pytest.approx(0.86 - section["macro_f1"])
    assert section["macro_f1"] == pytest.approx(
        macro_f1(truth, [n == "positive" for n in served(truth, wrong)])
    )


def test_a_material_drop_inside_a_wide_interval_is_not_a_verdict():
    # 20 labelled rows with 4 wrong: macro-F1 ~0.8, 0.08 below 0.88, but the interval reaches above it
    truth, ratings = rated(20)
    section = model_quality(
        ratings, served(truth, wrong=4), 0.88, CONFIG.model_copy(update={"min_labelled_rows": 10})
    )
    assert section["decline"] >= CONFIG.quality_warn_drop
    assert section["macro_f1_interval"][1] >= 0.88 and section["severity"] == "none"


def test_a_drop_between_the_thresholds_warns():
    truth, ratings = rated(3000)
    section = model_quality(ratings, served(truth, wrong=300), 0.97, CONFIG)  # ~0.90 live
    assert 0.05 <= section["decline"] < 0.10 and section["severity"] == "warn"


def test_without_the_champions_figure_quality_is_scored_but_not_judged():
    truth, ratings = rated(300)
    section = model_quality(ratings, served(truth, wrong=150), None, CONFIG)
    assert section["status"] == NO_REFERENCE and section["severity"] == "none" and section["macro_f1"] < 0.6


def test_quality_thresholds_are_ordered():
    with pytest.raises(InvalidDriftConfig, match="at least its warn"):
        DriftConfig.parse({"quality_warn_drop": 0.2, "quality_act_drop": 0.1})


def judged_window(ratings: list[float], predicted: list[str]) -> dict:
    """The report of a window of these rated, served requests against the shipped training profile;
    the champion's test macro-F1 is 0.86."""
    n = len(predicted)
    probabilities = np.array([0.9 if p == "positive" else 0.1 for p in predicted])
    start = datetime(2026, 12, 5, 8, tzinfo=UTC)
    window = Window(start, start.replace(hour=9))
    captured = CapturedWindow.of(
        window, np.zeros((n, len(NUMERIC_FEATURES))), probabilities, [{}] * n, predicted, ratings
    )
    profile = training_profile()
    return evaluate(captured, profile, None, reference_shares(profile), CONFIG, reference_macro_f1=0.86)


def test_a_window_too_small_for_psi_is_decided_on_quality_alone():
    truth, ratings = rated(300)
    report = judged_window(ratings, served(truth, wrong=120))  # 300 rows < 500: no PSI
    assert report["decision"] == "act" and report["model_quality"]["severity"] == "act"
    assert any("live macro-F1" in why for why in report["reasons"])
    assert any("decided on live model quality alone" in why for why in report["reasons"])
    row = [line for line in to_csv(report).splitlines() if line.split(",")[1] == "quality:labelled_requests"]
    assert len(row) == 1 and ",act,300," in row[0]


def test_a_window_without_ratings_still_answers_insufficient_data():
    truth, _ = rated(300)
    report = judged_window([float("nan")] * 300, served(truth, wrong=120))
    assert report["decision"] == "insufficient_data"
    assert (
        report["model_quality"]["status"] == INSUFFICIENT_LABELS
        and report["model_quality"]["rated_rows"] == 0
    )
