"""Loading reviews into the canonical Kindle schema, deterministic splits, and synthetic data.

Readers: the shipped dataset (data/hutto_amazon_kindle_schema.jsonl.gz), McAuley's Kindle Store
JSON lines, and the Kaggle "Amazon Kindle Book Review for Sentiment Analysis" CSV. Loaders only
reshape: they never drop or repair bad values, so validation sees (and quarantines) them.
"""

from __future__ import annotations

import ast
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from review_sentiment.config import REPO_ROOT
from review_sentiment.data.schema import (
    CANONICAL_COLUMNS,
    GROUP_COLUMN,
    LABEL_COLUMN,
    RATING_COLUMN,
    label_from_rating,
    review_id_for,
)

SHIPPED_DATASET = REPO_ROOT / "data" / "hutto_amazon_kindle_schema.jsonl.gz"
SPLITS: tuple[str, ...] = ("train", "validation", "test")
DEFAULT_FRACTIONS: tuple[float, float, float] = (0.7, 0.15, 0.15)

# Kaggle's Kindle CSV names the star rating `rating`; McAuley's JSON calls it `overall`.
_RENAMES = {"rating": RATING_COLUMN}


class DatasetError(ValueError):
    """A file cannot be read as reviews; the message says what to do."""


# --- loading ---------------------------------------------------------------------------------------
def load_shipped() -> pd.DataFrame:
    return load_reviews(SHIPPED_DATASET)


def load_reviews(path: str | Path) -> pd.DataFrame:
    """Any supported file, by suffix: .csv (Kaggle), .json/.jsonl[.gz] (McAuley or canonical), .parquet."""
    path = Path(path)
    if not path.exists():
        raise DatasetError(f"{path}: no such file; pass the path of a .jsonl[.gz] or .csv review file")
    suffixes = [s.lower() for s in path.suffixes]
    if ".csv" in suffixes:
        return load_kaggle_csv(path)
    if ".json" in suffixes or ".jsonl" in suffixes:
        return load_mcauley_jsonl(path)
    if ".parquet" in suffixes or path.is_dir():
        return to_canonical(pd.read_parquet(path))  # what the Glue jobs write
    raise DatasetError(
        f"{path}: unknown format; use .jsonl, .json, .jsonl.gz (McAuley), .csv (Kaggle) or .parquet"
    )


def load_mcauley_jsonl(path: str | Path) -> pd.DataFrame:
    """McAuley's Kindle Store reviews: one JSON object per line (gzip allowed)."""
    try:
        frame = pd.read_json(path, lines=True, dtype=False, compression="infer")
    except ValueError as exc:
        raise DatasetError(f"{path}: not JSON lines ({exc}); expected one review object per line") from None
    return to_canonical(frame)


def load_kaggle_csv(path: str | Path) -> pd.DataFrame:
    """The Kaggle Kindle CSV: an unnamed index column, `rating`, `helpful` as the text "[up, total]"."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding_errors="replace")
    return kaggle_frame_to_canonical(frame)


def kaggle_frame_to_canonical(frame: pd.DataFrame) -> pd.DataFrame:
    """Kaggle CSV columns read as text (by pandas or Spark) -> canonical: numbers parsed, index dropped."""
    frame = frame.drop(columns=[c for c in frame.columns if c.startswith(("Unnamed:", "_c")) or c == ""])
    for column in ("rating", "overall", "unixReviewTime"):
        if column in frame:
            frame[column] = frame[column].map(_number_or_text)
    return to_canonical(frame)


def to_canonical(frame: pd.DataFrame) -> pd.DataFrame:
    """Rename to canonical names, derive `review_id`, parse `helpful`; extra columns are kept."""
    frame = frame.rename(columns={k: v for k, v in _RENAMES.items() if k in frame and v not in frame})
    frame = frame.copy()
    for column in CANONICAL_COLUMNS:
        if column not in frame:
            frame[column] = "" if column == "summary" else None
    if frame["review_id"].isna().all():
        frame["review_id"] = [
            review_id_for(r, a) if isinstance(r, str) and isinstance(a, str) else None
            for r, a in zip(frame["reviewerID"], frame["asin"], strict=True)
        ]
    frame["summary"] = frame["summary"].fillna("")
    frame["helpful"] = frame["helpful"].map(_parse_helpful)
    extra = [c for c in frame.columns if c not in CANONICAL_COLUMNS]
    return frame[list(CANONICAL_COLUMNS) + extra].reset_index(drop=True)


def _number_or_text(value):
    """'5' -> 5, '5.0' -> 5.0; anything else is left as it is for validation to judge."""
    if not isinstance(value, str):
        return value
    try:
        number = float(value)
    except ValueError:
        return value
    return int(number) if number.is_integer() else number


def _parse_helpful(value):
    if isinstance(value, str):
        try:
            value = ast.literal_eval(value.strip())
        except (ValueError, SyntaxError):
            return value
    if isinstance(value, np.ndarray):
        return value.tolist()  # Parquet/Arrow arrays -> plain ints
    if isinstance(value, tuple):
        return list(value)
    return value


# --- labels, splits, hashing -------------------------------------------------------------------------
def with_labels(frame: pd.DataFrame) -> pd.DataFrame:
    """Adds `label` (0/1, missing for 3 stars)."""
    labels = [label_from_rating(v) for v in frame[RATING_COLUMN]]
    return frame.assign(**{LABEL_COLUMN: pd.array(labels, dtype="Int64")})


def split_of(group_key: str, seed: int, fractions: Sequence[float] = DEFAULT_FRACTIONS) -> str:
    """train/validation/test for one group, from a stable hash: the same on every machine and in Spark."""
    bucket = int(hashlib.sha256(f"{seed}:{group_key}".encode()).hexdigest()[:12], 16) / 16**12
    edge = 0.0
    for name, fraction in zip(SPLITS, fractions, strict=True):
        edge += fraction
        if bucket < edge:
            return name
    return SPLITS[-1]


def assign_split(batch: pd.DataFrame, seed: int, fractions: Sequence[float] = DEFAULT_FRACTIONS) -> pd.Series:
    """Split name per row, grouped by product so sentences of one review never straddle splits."""
    return batch[GROUP_COLUMN].astype(str).map(lambda key: split_of(key, seed, fractions)).rename("split")


@dataclass(frozen=True)
class BinarySplits:
    train: pd.DataFrame
    validation: pd.DataFrame
    test: pd.DataFrame
    neutral_excluded: dict[str, int]  # split -> 3-star rows left out of binary training/evaluation

    def counts(self) -> dict[str, dict[str, int]]:
        return {
            name: {
                "rows": len(part),
                "positive": int((part[LABEL_COLUMN] == 1).sum()),
                "negative": int((part[LABEL_COLUMN] == 0).sum()),
                "neutral_excluded": self.neutral_excluded[name],
            }
            for name, part in (("train", self.train), ("validation", self.validation), ("test", self.test))
        }


def binary_splits(
    frame: pd.DataFrame, seed: int, fractions: Sequence[float] = DEFAULT_FRACTIONS
) -> BinarySplits:
    """Deterministic train/validation/test of labelled rows; neutral rows are counted, not hidden."""
    labelled = with_labels(frame).assign(split=assign_split(frame, seed, fractions))
    neutral = labelled[LABEL_COLUMN].isna()
    parts = {
        name: labelled[(labelled["split"] == name) & ~neutral]
        .astype({LABEL_COLUMN: "int64"})
        .reset_index(drop=True)
        for name in SPLITS
    }
    excluded = {name: int(((labelled["split"] == name) & neutral).sum()) for name in SPLITS}
    return BinarySplits(**parts, neutral_excluded=excluded)


def data_hash(frame: pd.DataFrame) -> str:
    """SHA-256 of the canonical columns, independent of row order."""
    digest = hashlib.sha256()
    ordered = frame.sort_values("review_id", kind="stable")
    for record in ordered[list(CANONICAL_COLUMNS)].itertuples(index=False):
        digest.update(json.dumps(list(record), ensure_ascii=False, default=_jsonable).encode())
        digest.update(b"\n")
    return digest.hexdigest()


def _jsonable(value):
    """json.dumps fallback for numpy values (numbers and arrays)."""
    if isinstance(value, np.ndarray | np.generic):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def write_jsonl(frame: pd.DataFrame, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_json(path, orient="records", lines=True, force_ascii=False, compression="infer")
    return path


# --- synthetic data (benchmarks only, never quality figures) ------------------------------------------
_OPENERS = ("This book", "The story", "The author", "This novel", "The plot", "The ending", "This series")
_POSITIVE = ("is wonderful", "was a joy to read", "kept me hooked", "is beautifully written", "is great")
_NEGATIVE = ("is boring", "was a waste of money", "dragged on forever", "is poorly edited", "is awful")
_NEUTRAL = ("is about a family", "has twelve chapters", "was a free download", "is set in Boston")
_TAILS = ("", "!", "!!", ".", "?", " I would recommend it.", " Not for me.", " 5 stars.", " MEH.")


def generate_synthetic_reviews(n_rows: int, seed: int = 0) -> pd.DataFrame:
    """SYNTHETIC Kindle-schema reviews from templates, for Spark-scale throughput benchmarks only.

    The text is generated from a handful of phrases: it says nothing about model quality and must
    never be used for quality figures. Every row is marked `synthetic=True`.
    """
    rng = np.random.default_rng(seed)
    overall = rng.integers(1, 6, size=n_rows)
    pools = {1: _NEGATIVE, 2: _NEGATIVE, 3: _NEUTRAL, 4: _POSITIVE, 5: _POSITIVE}
    phrase = [
        pools[r][i % len(pools[r])] for i, r in zip(rng.integers(0, 1000, size=n_rows), overall, strict=True)
    ]
    openers = rng.choice(_OPENERS, size=n_rows)
    tails = rng.choice(_TAILS, size=n_rows)
    reviewers = rng.integers(0, max(1, n_rows // 5), size=n_rows)
    books = rng.integers(0, max(1, n_rows // 20), size=n_rows)
    total = rng.integers(0, 20, size=n_rows)
    up = (total * rng.random(n_rows)).astype(int)
    return pd.DataFrame(
        {
            "review_id": [f"synthetic-{seed}-{i}" for i in range(n_rows)],
            "reviewerID": [f"ASYN{r:010d}" for r in reviewers],
            "asin": [f"BSYN{b:06d}" for b in books],
            "reviewText": [f"{o} {p}{t}" for o, p, t in zip(openers, phrase, tails, strict=True)],
            "summary": [p.capitalize() for p in phrase],
            "overall": overall.astype(int),
            "unixReviewTime": (1_300_000_000 + rng.integers(0, 10**8, size=n_rows)).astype(int),
            "helpful": [[int(u), int(t)] for u, t in zip(up, total, strict=True)],
            "synthetic": True,
        }
    )
