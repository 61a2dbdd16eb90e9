"""Rated captures as training rows: which requests count, their identity, the batch's place."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd

from review_sentiment.data.validation import validate
from review_sentiment.monitoring.labelled import batch_uri, labelled_reviews

WHEN = datetime(2026, 12, 5, 8, 30, tzinfo=UTC)


def test_only_rated_raw_text_requests_count_and_each_text_once():
    texts = ["Loved it.", None, "Dull.", "Loved it.", "Fine, I guess."]
    ratings = [5.0, 4.0, float("nan"), 1.0, 3.0]
    rows = labelled_reviews(texts, ratings, [WHEN] * 5)
    assert [(r["reviewText"], r["overall"]) for r in rows] == [("Loved it.", 5), ("Fine, I guess.", 3)]
    assert rows[0]["review_id"].startswith("capture:") and rows[0]["asin"].startswith("capture-")
    assert rows[0]["unixReviewTime"] == int(WHEN.timestamp())
    again = labelled_reviews(["Loved it."], [2.0], [WHEN])
    assert again[0]["review_id"] == rows[0]["review_id"]  # identity is the text


def test_the_rows_keep_the_review_contract():
    rows = labelled_reviews(["A fine read.", "Awful.", "Ünïcode ок 本"], [5.0, 1.0, 4.0], [WHEN] * 3)
    result = validate(pd.DataFrame(rows), max_bad_fraction=0.0)
    assert len(result.valid) == 3 and result.quarantine.empty


def test_one_folder_per_window_is_one_batch():
    assert (
        batch_uri("s3://processed/curated/labelled/", "20261205T0800Z-60m")
        == "s3://processed/curated/labelled/20261205T0800Z-60m/reviews.jsonl"
    )
