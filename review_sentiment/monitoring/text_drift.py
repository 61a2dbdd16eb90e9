"""Text drift: Jensen-Shannon distance between the token-bucket shares of a window and of the training split.

Each served review carries its hashed token sketch (features.text_sketch, 256 buckets); summed over a
window they give the window's token distribution over the buckets, and the reference profile holds the
training split's (features.profile, `text_sketch.shares`). The score is the Jensen-Shannon distance

    JS(P, Q) = sqrt( KL(P || M) / 2 + KL(Q || M) / 2 ),  M = (P + Q) / 2,  logarithms base 2

(Lin, IEEE Trans. Inf. Theory 1991; Endres & Schindelin 2003 for the square root being a metric), in
[0, 1]: 0 for the same distribution, 1 for disjoint vocabularies. Why not PSI here: over 256 buckets a
window of a few hundred short reviews leaves many buckets empty, and PSI's epsilon floor turns each
empty bucket into a fixed penalty (about 0.014 for a bucket of share 1/256), so PSI would grow with
the number of empty buckets, i.e. with how small the window is, not with drift. JS needs no floor
(M is never 0 where P or Q is not), is symmetric and bounded, and is what Evidently and NannyML use
for categorical drift. Why the sketch and not the model's TF-IDF -> SVD representation: it needs no
model and no scikit-learn in the drift Lambda, stays the same across champions, and sees vocabulary
the champion's TF-IDF never learnt (exactly the words a vocabulary shift brings). numpy only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np

from review_sentiment.features.text_sketch import SKETCH_BUCKETS
from review_sentiment.monitoring.drift import InvalidReference, Status, checked_pair

# Defaults of monitoring.config (measured in benchmarks/bench_drift.py: held-out windows of 300 reviews
# score 0.10-0.13 against the training split; a vocabulary shift in a quarter of the traffic scores 0.2+).
TEXT_WARN, TEXT_ACT = 0.18, 0.25
MIN_TOKENS = 1


def jensen_shannon_distance(p: Sequence[float], q: Sequence[float]) -> float:
    """JS distance (base 2, in [0, 1]) of two non-negative vectors over the same bins, each normalised.

    Raises ValueError when the lengths differ, a value is negative or not finite, or a side sums to 0.
    """
    p, q = checked_pair(p, q, "JS distance")
    if p.sum() == 0 or q.sum() == 0:
        raise ValueError("JS distance needs two distributions with some mass")
    p, q = p / p.sum(), q / q.sum()
    m = (p + q) / 2

    def kl(x: np.ndarray) -> float:
        nz = x > 0
        return float(np.sum(x[nz] * np.log2(x[nz] / m[nz])))

    divergence = max(0.0, (kl(p) + kl(q)) / 2)
    return float(np.sqrt(min(1.0, divergence)))


@dataclass(frozen=True)
class TextDriftResult:
    """The window's text drift answer: status, JS distance (None unless scored), token counts."""

    status: Status
    score: float | None
    tokens: int  # tokens in the window's sketches
    rows: int  # sketches read
    note: str = ""

    def to_dict(self) -> dict:
        data = asdict(self)
        data["status"] = str(self.status)
        return data


def reference_shares(profile: Mapping) -> np.ndarray:
    """The training split's bucket shares from a reference profile (its `text_sketch` entry)."""
    entry = profile.get("text_sketch")
    if not entry:
        raise InvalidReference("the reference profile has no text_sketch (written by the preprocessing job)")
    shares = np.asarray(entry.get("shares", []), dtype=np.float64)
    if (
        shares.size != SKETCH_BUCKETS
        or not np.all(np.isfinite(shares))
        or np.any(shares < 0)
        or shares.sum() == 0
    ):
        raise InvalidReference(
            f"text_sketch.shares must be {SKETCH_BUCKETS} non-negative shares with some mass"
        )
    return shares / shares.sum()


def window_bucket_counts(sketches: Iterable[Mapping[str, int]]) -> np.ndarray:
    """Token count per bucket over the window's sketches (bad entries are skipped): float64 [256].

    Vectorised (one bincount over every sketch's entries); a window with malformed entries (a bucket
    that is not an integer, a count that is not a number) takes the entry-by-entry path that skips them.
    """
    keys: list = []
    values: list = []
    for sketch in sketches:
        if isinstance(sketch, Mapping):
            keys.extend(sketch.keys())
            values.extend(sketch.values())
    if not keys:
        return np.zeros(SKETCH_BUCKETS, dtype=np.float64)
    try:
        index = np.asarray(keys).astype(np.int64)
        count = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        return _bucket_counts_one_by_one(zip(keys, values, strict=True))
    keep = (index >= 0) & (index < SKETCH_BUCKETS) & np.isfinite(count) & (count > 0)
    return np.bincount(index[keep], weights=count[keep], minlength=SKETCH_BUCKETS).astype(np.float64)


def _bucket_counts_one_by_one(entries: Iterable[tuple[object, object]]) -> np.ndarray:
    totals = np.zeros(SKETCH_BUCKETS, dtype=np.float64)
    for bucket, n in entries:
        try:
            index, count = int(bucket), float(n)
        except (TypeError, ValueError, OverflowError):
            continue
        if 0 <= index < SKETCH_BUCKETS and np.isfinite(count) and count > 0:
            totals[index] += count
    return totals


def score_text(reference: np.ndarray, counts: np.ndarray, rows: int, min_rows: int = 1) -> TextDriftResult:
    """JS distance of the window's bucket counts against the reference shares, or a defined answer:
    `insufficient_data` when fewer than `min_rows` sketches or no token at all were captured."""
    tokens = int(np.sum(counts))
    if rows < min_rows or tokens < MIN_TOKENS:
        return TextDriftResult(
            Status.INSUFFICIENT_DATA,
            None,
            tokens,
            rows,
            f"{rows} sketches with {tokens} tokens, fewer than the minimum {min_rows} rows",
        )
    return TextDriftResult(Status.SCORED, jensen_shannon_distance(reference, counts), tokens, rows)
