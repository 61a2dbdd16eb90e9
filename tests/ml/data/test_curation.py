"""Batches of uploads and their verdicts: the curated set's rules without Spark."""

from __future__ import annotations

import pytest

from review_sentiment.data.curation import (
    batch_of,
    batch_verdicts,
    input_prefixes,
    manifest_summary,
    with_already_curated,
)

RAW, LABELLED = "s3://raw/incoming/", "s3://processed/curated/labelled/"


@pytest.mark.parametrize(
    ("source", "inputs", "expected"),
    [
        ("s3://raw/incoming/20261201T0000/reviews.jsonl", RAW, (0, "s3://raw/incoming/20261201T0000/")),
        ("s3://raw/incoming/20261201T0000/part/2.csv", "s3://raw/incoming", (0, RAW + "20261201T0000/")),
        ("s3://raw/incoming/reviews.jsonl", RAW, (0, RAW)),
        ("s3://raw/incoming/b1/reviews.jsonl", "s3://raw/incoming/b1/", (0, "s3://raw/incoming/b1/")),
        ("file:/tmp/in/b2/r.jsonl", "/tmp/in", (0, "/tmp/in/b2/")),
        ("file:///tmp/in/b2/r.jsonl", "/tmp/in/", (0, "/tmp/in/b2/")),
        (
            LABELLED + "20261205T0800Z-60m/reviews.jsonl",
            f"{RAW},{LABELLED}",
            (1, LABELLED + "20261205T0800Z-60m/"),
        ),
        ("s3://raw/other/r.jsonl", RAW, (0, "s3://raw/other/r.jsonl")),
    ],
)
def test_the_batch_is_the_first_folder_below_its_input(source, inputs, expected):
    assert batch_of(source, input_prefixes(inputs)) == expected


def test_uploads_win_over_captures_then_batches_sort_by_name():
    counts = {
        ("s3://raw/incoming/b/", ""): 1,
        ("s3://processed/l/w1/", ""): 1,
        ("s3://raw/incoming/a/", ""): 1,
    }
    order = {"s3://processed/l/w1/": 1}
    assert [v.batch for v in batch_verdicts(counts, 0.05, order)] == [
        "s3://raw/incoming/a/",
        "s3://raw/incoming/b/",
        "s3://processed/l/w1/",
    ]


def test_each_batch_is_judged_on_its_own_share_of_bad_rows():
    counts = {
        ("b2", ""): 90,
        ("b2", "empty_text"): 10,  # 10% bad
        ("b1", ""): 99,
        ("b1", "bad_rating;empty_text"): 1,  # 1% bad
    }
    verdicts = batch_verdicts(counts, max_bad_fraction=0.05)
    assert [v.batch for v in verdicts] == ["b1", "b2"]  # by name: upload time
    b1, b2 = verdicts
    assert b1.accepted and b1.reasons == {"bad_rating": 1, "empty_text": 1} and b1.bad_fraction == 0.01
    assert not b2.accepted and b2.quarantined == 10 and b2.entered == 0


def test_the_manifest_counts_what_enters():
    verdicts = batch_verdicts({("a", ""): 50, ("b", ""): 30, ("c", "empty_text"): 5}, 0.05)
    summary = manifest_summary(with_already_curated(verdicts, {"b": 20}))
    assert summary["accepted_batches"] == ["a", "b"] and summary["rejected_batches"] == ["c"]
    assert summary["already_curated"] == 20 and summary["curated_rows"] == 60
    assert [b["entered"] for b in summary["batches"]] == [50, 10, 0]
