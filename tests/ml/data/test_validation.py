"""The data contract: every violation goes to quarantine with its reason; bad batches are rejected."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from review_sentiment.data.validation import (
    DUPLICATE,
    BatchRejected,
    ContractError,
    duplicate_mask,
    row_problems,
    validate,
)


def review(i: int, **changes) -> dict:
    row = {
        "review_id": f"r{i}",
        "reviewerID": f"A{i}",
        "asin": f"B{i % 3}",
        "reviewText": f"A fine book number {i}.",
        "summary": "ok",
        "overall": 4,
        "unixReviewTime": 1_400_000_000 + i,
        "helpful": [0, 1],
    }
    row.update(changes)
    return row


VIOLATIONS = [
    ({"reviewText": ""}, "empty_text"),
    ({"reviewText": "   \n\t"}, "empty_text"),
    ({"reviewText": None}, "missing_reviewText"),
    ({"reviewText": 42}, "not_text_reviewText"),
    ({"reviewText": "x" * 40_000}, "text_too_long"),
    ({"reviewText": "broken \ufffd bytes"}, "undecodable_text"),
    ({"reviewText": "nul\x00inside"}, "undecodable_text"),
    ({"reviewText": "lone \udc80 surrogate"}, "undecodable_text"),
    ({"overall": 0}, "rating_out_of_range"),
    ({"overall": 6}, "rating_out_of_range"),
    ({"overall": 3.5}, "rating_not_integer"),
    ({"overall": "five"}, "rating_not_a_number"),
    ({"overall": None}, "missing_overall"),
    ({"reviewerID": None}, "missing_reviewerID"),
    ({"asin": ""}, "missing_asin"),
    ({"unixReviewTime": -5}, "bad_unix_review_time"),
    ({"unixReviewTime": 1_400_000_000_000}, "bad_unix_review_time"),  # milliseconds
    ({"helpful": [5, 2]}, "bad_helpful"),
    ({"helpful": [1]}, "bad_helpful"),
]


@pytest.mark.parametrize(("change", "reason"), VIOLATIONS)
def test_each_contract_violation_is_quarantined_with_its_reason(change, reason):
    # object columns: pandas' Arrow-backed strings cannot even hold a lone surrogate
    frame = pd.DataFrame([review(i) for i in range(20)] + [review(99, **change)], dtype=object)
    result = validate(frame, max_bad_fraction=0.5)
    assert len(result.valid) == 20
    assert result.quarantine["review_id"].tolist() == ["r99"]
    assert reason in result.quarantine["reason"].iloc[0].split(";")
    assert result.report["reasons"][reason] == 1


def test_duplicates_keep_the_first_and_quarantine_the_rest():
    rows = [review(i) for i in range(10)] + [review(3, reviewText="same id, other text")]
    result = validate(pd.DataFrame(rows), max_bad_fraction=0.5)
    assert result.valid["review_id"].tolist().count("r3") == 1
    assert result.valid.loc[result.valid["review_id"] == "r3", "reviewText"].item() == "A fine book number 3."
    assert result.quarantine["reason"].tolist() == [DUPLICATE]


def test_an_invalid_first_occurrence_does_not_shadow_a_valid_duplicate():
    rows = [review(1, overall=9), review(1)] + [review(i) for i in range(2, 10)]
    result = validate(pd.DataFrame(rows), max_bad_fraction=0.5)
    assert "r1" in result.valid["review_id"].tolist()
    assert result.quarantine["reason"].tolist() == ["rating_out_of_range"]


def test_nothing_is_dropped_silently():
    rows = [review(i) for i in range(30)] + [review(100 + i, **c) for i, (c, _) in enumerate(VIOLATIONS)]
    frame = pd.DataFrame(rows, dtype=object)
    result = validate(frame, max_bad_fraction=1.0)
    assert len(result.valid) + len(result.quarantine) == len(frame)
    assert result.report["quarantined"] == len(VIOLATIONS)
    assert sorted(result.quarantine.columns) == sorted([*frame.columns, "reason"])


def test_batch_over_the_threshold_is_rejected_with_counts():
    rows = [review(i) for i in range(8)] + [review(50 + i, overall=7) for i in range(2)]
    with pytest.raises(BatchRejected, match=r"2 of 10 rows \(20.0%\)") as caught:
        validate(pd.DataFrame(rows), max_bad_fraction=0.1)
    assert len(caught.value.result.quarantine) == 2
    assert validate(pd.DataFrame(rows), max_bad_fraction=0.2).report["bad_fraction"] == pytest.approx(0.2)


def test_row_problems_runs_on_spark_style_batches():
    """What mapInPandas hands over: arrays for `helpful`, NaN for missing numbers, a non-zero index."""
    batch = pd.DataFrame(
        [review(1), review(2, overall=float("nan")), review(3, helpful=np.array([3, 1]))],
        index=[10, 11, 12],
    )
    batch.loc[10, "helpful"] = np.array([1, 2])
    reasons = row_problems(batch)
    assert reasons.index.tolist() == [10, 11, 12]
    assert reasons.tolist() == ["", "missing_overall", "bad_helpful"]


def test_duplicate_rule_is_separate_and_keeps_first():
    ids = pd.Series(["a", "b", "a", None, None, "a"])
    assert duplicate_mask(ids).tolist() == [False, False, True, False, False, True]


def test_missing_columns_are_a_contract_error():
    with pytest.raises(ContractError, match="reviewText"):
        row_problems(pd.DataFrame([{"review_id": "x"}]))
