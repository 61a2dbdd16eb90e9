"""The data contract: the Amazon Kindle review schema and the rating -> label mapping.

Canonical columns are those of McAuley's Kindle Store reviews and the Kaggle Kindle CSV, plus a
`review_id` key (derived by the loaders when the source has none). Pure Python: the Glue jobs and
the serving path import it too.
"""

from __future__ import annotations

# Field -> what it holds. Order is the canonical column order.
KINDLE_FIELDS: dict[str, str] = {
    "review_id": "unique key of a review (loaders derive it: reviewerID/asin for real Kindle data)",
    "reviewerID": "reviewer id (string)",
    "asin": "product (book) id (string)",
    "reviewText": "review text (non-empty string, decodable, at most max_text_chars)",
    "summary": "review title (string, may be empty)",
    "overall": "star rating, integer 1..5",
    "unixReviewTime": "review time, integer seconds since the epoch",
    "helpful": "[helpful votes, total votes], integers with 0 <= up <= total",
}
CANONICAL_COLUMNS: tuple[str, ...] = tuple(KINDLE_FIELDS)
REQUIRED_COLUMNS: tuple[str, ...] = (
    "review_id",
    "reviewerID",
    "asin",
    "reviewText",
    "overall",
    "unixReviewTime",
)

# Where each loaded record came from, and what made it unreadable (records.read_records): the loaders
# add these after the source's own columns; quarantine keeps them, valid rows drop raw and record_problem.
SOURCE_FILE, LINE, RAW, RECORD_PROBLEM = "source_file", "line", "raw", "record_problem"
PROVENANCE_COLUMNS: tuple[str, ...] = (SOURCE_FILE, LINE, RAW, RECORD_PROBLEM)

TEXT_COLUMN = "reviewText"
RATING_COLUMN = "overall"
LABEL_COLUMN = "label"
GROUP_COLUMN = "asin"  # splits keep all reviews of one product on one side (no leakage between splits)

MIN_RATING, MAX_RATING = 1, 5
# 1970 .. 2100: wide on purpose; a timestamp outside is a unit mistake (milliseconds) or garbage.
MIN_UNIX_TIME, MAX_UNIX_TIME = 0, 4_102_444_800

# Binary sentiment: 1-2 stars negative, 4-5 positive. 3 stars is neutral: it is excluded from
# binary training and evaluation, and the number of rows excluded is always reported.
NEGATIVE, POSITIVE = 0, 1
LABEL_NAMES: tuple[str, ...] = ("negative", "positive")  # index = label (API, graphs, capture, reports)
NEUTRAL_RATING = 3


def label_from_rating(overall: int | float | None) -> int | None:
    """0 (negative) for 1-2 stars, 1 (positive) for 4-5 stars, None for 3 stars (neutral) or no rating."""
    if overall is None or overall != overall:  # None or NaN
        return None
    if overall <= 2:
        return NEGATIVE
    if overall >= 4:
        return POSITIVE
    return None


def review_id_for(reviewer_id: str, asin: str) -> str:
    """The key of a real Kindle review: a reviewer reviews a product at most once."""
    return f"{reviewer_id}/{asin}"
