"""Captured requests that carry a rating become training data: one labelled batch per window.

A request that carries the review's star rating (`overall`) and whose raw text was captured
(`CaptureRawText`: on by default in the local stage, off on AWS) is a labelled review. The drift monitor
writes a window's labelled reviews as one JSON-lines batch in the Kindle schema,
`<labelled prefix><window id>/reviews.jsonl` (one folder per window: one batch, data.curation), which
a retraining run reads beside the raw uploads; the validation job judges it like any upload.

Identity: a captured request has no reviewer or product id, so a captured review is identified by its
text: `review_id` = `capture:` + the first 24 hex digits of SHA-256 of the text, and the same text sent
twice is one review. Its `asin` is `capture-` + the first 8 of them, so captured reviews spread over the
product-grouped splits (data.datasets.assign_split) instead of falling into one. `unixReviewTime` is the
inference time. Stdlib only.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime

from review_sentiment.s3_io import split_s3_uri

LABELLED_FILE = "reviews.jsonl"
CAPTURE_REVIEWER = "data-capture"


def labelled_reviews(
    review_texts: Sequence[str | None], ratings: Sequence[float], inference_times: Sequence[datetime]
) -> list[dict]:
    """Kindle-schema rows of the captured requests with both a raw text and a rating (NaN: none), each
    text once (its first occurrence). The three sequences are one window's columns, [N] each."""
    rows, seen = [], set()
    for text, rating, when in zip(review_texts, ratings, inference_times, strict=True):
        if not text or rating != rating:
            continue
        digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
        if digest in seen:
            continue
        seen.add(digest)
        rows.append(
            {
                "review_id": f"capture:{digest[:24]}",
                "reviewerID": CAPTURE_REVIEWER,
                "asin": f"capture-{digest[:8]}",
                "reviewText": text,
                "summary": "",
                "overall": int(rating) if float(rating).is_integer() else rating,
                "unixReviewTime": int(when.timestamp()),
                "helpful": [0, 0],
            }
        )
    return rows


def batch_uri(labelled_prefix: str, window_id: str) -> str:
    """Where one window's labelled batch goes: `<labelled prefix><window id>/reviews.jsonl`."""
    return f"{labelled_prefix.rstrip('/')}/{window_id}/{LABELLED_FILE}"


def write_labelled_batch(s3, labelled_prefix: str, window_id: str, rows: Sequence[dict]) -> str | None:
    """Writes the rows as the window's batch (replacing an earlier tick's, so a window is one batch);
    returns its s3:// URI, or None (and writes nothing) when there are no rows."""
    if not rows:
        return None
    uri = batch_uri(labelled_prefix, window_id)
    bucket, key = split_s3_uri(uri)
    body = "".join(json.dumps(row, ensure_ascii=True) + "\n" for row in rows).encode()
    s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/x-ndjson")
    return uri
