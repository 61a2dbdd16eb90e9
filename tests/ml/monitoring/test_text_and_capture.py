"""Text drift (JS distance over token buckets), the configuration, windows and the capture reader."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime

import numpy as np
import pytest

from review_sentiment.features.numeric import NUMERIC_FEATURES
from review_sentiment.features.profile import text_sketch_profile
from review_sentiment.features.text_sketch import SKETCH_BUCKETS, text_sketch
from review_sentiment.monitoring.capture import Window, read_lines
from review_sentiment.monitoring.config import DriftConfig, InvalidDriftConfig
from review_sentiment.monitoring.drift import InvalidReference, Status
from review_sentiment.monitoring.text_drift import (
    jensen_shannon_distance,
    reference_shares,
    score_text,
    window_bucket_counts,
)
from review_sentiment.serving.api_models import ModelRef
from review_sentiment.serving.capture import CaptureRecord


# --- Jensen-Shannon distance ----------------------------------------------------------------------
def test_js_distance_by_hand():
    assert jensen_shannon_distance([0.5, 0.5], [0.5, 0.5]) == 0.0
    assert jensen_shannon_distance([1, 0], [0, 1]) == pytest.approx(1.0)  # disjoint: the maximum
    # P = (1, 0), Q = (1/2, 1/2): M = (3/4, 1/4); KL(P||M) = log2(4/3), KL(Q||M) = 1/2 log2(2/3) + 1/2 log2(2)
    divergence = (math.log2(4 / 3) + 0.5 * math.log2(2 / 3) + 0.5 * math.log2(2)) / 2
    assert jensen_shannon_distance([1, 0], [0.5, 0.5]) == pytest.approx(math.sqrt(divergence))
    assert jensen_shannon_distance([2, 2], [1, 1]) == 0.0  # counts are normalised


def test_js_distance_refuses_what_is_not_a_distribution():
    for p, q in (([1, 0], [1]), ([0, 0], [1, 0]), ([-1, 2], [1, 0]), ([math.nan, 1], [1, 0])):
        with pytest.raises(ValueError):
            jensen_shannon_distance(p, q)


def test_text_score_is_low_for_the_same_vocabulary_and_high_for_another(small_frame):
    texts = small_frame["reviewText"].tolist()
    reference = reference_shares({"text_sketch": text_sketch_profile(texts[:600])})
    same = window_bucket_counts(text_sketch(t) for t in texts[600:])
    other = window_bucket_counts(text_sketch(t + " firmware bluetooth router reboot") for t in texts[600:])
    close = score_text(reference, same, rows=len(texts) - 600).score
    far = score_text(reference, other, rows=len(texts) - 600).score
    assert close < 0.2 < far


def test_a_window_without_tokens_is_insufficient_data_not_a_score():
    reference = np.full(SKETCH_BUCKETS, 1 / SKETCH_BUCKETS)
    empty = score_text(reference, window_bucket_counts([{}, {}]), rows=2)
    assert empty.status == Status.INSUFFICIENT_DATA and empty.score is None
    tiny = score_text(reference, window_bucket_counts([{"3": 1}]), rows=1, min_rows=500)
    assert tiny.status == Status.INSUFFICIENT_DATA


def test_bucket_counts_skip_malformed_entries():
    counts = window_bucket_counts([{"1": 2, "3": 1}, {"1": 1, "x": 4, "999": 2, "2": -1, "4": "a"}, {}])
    assert counts[:5].tolist() == [0, 3, 0, 1, 0] and counts.sum() == 4


def test_a_profile_without_text_shares_is_refused():
    with pytest.raises(InvalidReference, match="no text_sketch"):
        reference_shares({})


# --- configuration ----------------------------------------------------------------------------------
def test_the_defaults_are_the_psi_conventions():
    config = DriftConfig.parse("")
    assert (config.warn, config.act, config.min_window_rows, config.consecutive_windows) == (
        0.1,
        0.25,
        500,
        1,
    )


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ('{"warn": -1}', "warn"),
        ('{"min_window_rows": 0}', "min_window_rows"),
        ('{"typo": 1}', "typo"),
        ("not json", "not JSON"),
        ('{"warn": 0.3, "act": 0.2}', "act threshold"),
    ],
)
def test_a_bad_configuration_names_the_field(payload, field):
    with pytest.raises(InvalidDriftConfig, match=field):
        DriftConfig.parse(payload)


# --- windows and the capture reader ------------------------------------------------------------------
def test_a_tick_evaluates_the_last_complete_window():
    window = Window.before(datetime(2026, 11, 29, 8, 7, 30, tzinfo=UTC), 5)
    assert (window.start.minute, window.end.minute, window.id) == (0, 5, "20261129T0800Z-5m")
    assert Window.before(datetime(2026, 11, 29, 8, 5, tzinfo=UTC), 5) == window  # the end itself
    assert (
        Window.before(datetime(2026, 11, 29, 8, 7, 30, tzinfo=UTC), 5, delay_minutes=5).id
        == "20261129T0755Z-5m"
    )
    assert window.hour_prefixes(datetime(2026, 11, 29, 9, 1, tzinfo=UTC)) == [
        "datacapture/2026/11/29/08/",
        "datacapture/2026/11/29/09/",
    ]


def line(when: datetime, **features) -> str:
    """A capture line of `when` whose features are 1.0 but for `features` and whose sketch is {"7": 2}."""
    record = CaptureRecord.of(
        model=ModelRef(name="m", version="4", kind="logreg"),
        request_id="r",
        model_text="some text",
        label="positive",
        probabilities={"negative": 0.2, "positive": 0.8},
        now=when,
    )
    record.capture_data.endpoint_input.data.features = {name: 1.0 for name in NUMERIC_FEATURES} | features
    record.capture_data.endpoint_input.data.text_sketch = {"7": 2}
    return record.to_line()


def test_capture_lines_of_the_window_become_columns_and_the_rest_is_counted():
    window = Window(datetime(2026, 11, 29, 8, 0, tzinfo=UTC), datetime(2026, 11, 29, 8, 5, tzinfo=UTC))
    inside = datetime(2026, 11, 29, 8, 1, tzinfo=UTC)
    lines = [
        line(inside),
        line(inside, text_len=None),
        line(datetime(2026, 11, 29, 8, 5, tzinfo=UTC)),
        "",
        "{oops",
        json.dumps({"eventMetadata": {}}),
        line(inside).replace('"JSON"', '"JSON"', 1),
    ]
    captured = read_lines(lines, window)
    assert captured.rows == 3 and captured.outside_window == 1
    assert dict(captured.skipped) == {"not_json": 1, "missing_field": 1}
    assert math.isnan(captured.features[1, NUMERIC_FEATURES.index("text_len")])  # missing -> non-finite
    assert captured.positive_probability.tolist() == [0.8, 0.8, 0.8]
    assert captured.model_versions == {"4": 3} and captured.labels == {"positive": 3}
    assert window_bucket_counts(captured.sketches)[7] == 6


NON_LATIN_REVIEWS = {
    "russian": ["Отличная книга, очень понравилась история", "Скучный сюжет, не рекомендую эту книгу"],
    "japanese": ["この本はとても面白かったです", "話がつまらなくて最後まで読めなかった"],
    "greek": ["Ένα υπέροχο βιβλίο με καλή πλοκή", "Βαρετή ιστορία, δεν το προτείνω"],
    "arabic": ["كتاب رائع جدا وأحببت القصة", "قصة مملة ولا أنصح بهذا الكتاب"],
}


@pytest.mark.parametrize("language", sorted(NON_LATIN_REVIEWS))
def test_reviews_in_another_script_count_and_move_the_text_score(small_frame, language):
    # GIVEN the training split's token shares and 600 served reviews in another script
    texts = small_frame["reviewText"].tolist()
    reference = reference_shares({"text_sketch": text_sketch_profile(texts[:600])})
    served = [NON_LATIN_REVIEWS[language][i % 2] + f" {i}" for i in range(600)]
    # THEN every review counts, and the window is scored far from the reference, not insufficient_data
    result = score_text(
        reference, window_bucket_counts(text_sketch(t) for t in served), rows=600, min_rows=500
    )
    assert result.status == Status.SCORED and result.tokens >= 600 * 3, result
    in_domain = score_text(reference, window_bucket_counts(text_sketch(t) for t in texts[600:]), rows=600)
    assert result.score > 0.5 > in_domain.score
