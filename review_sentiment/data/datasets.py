"""Loading reviews into the canonical Kindle schema, deterministic splits, and synthetic data.

Readers: the shipped dataset (data/hutto_amazon_kindle_schema.jsonl.gz), McAuley's Kindle Store
JSON lines, and the Kaggle "Amazon Kindle Book Review for Sentiment Analysis" CSV. Loaders only
reshape: they never drop or repair bad values, so validation sees (and quarantines) them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from review_sentiment.config import REPO_ROOT
from review_sentiment.data.records import (
    JSON_LINES,
    RawRecord,
    canonical_record,
    is_missing,
    read_records,
    record_format,
)
from review_sentiment.data.schema import (
    CANONICAL_COLUMNS,
    GROUP_COLUMN,
    LABEL_COLUMN,
    LINE,
    PROVENANCE_COLUMNS,
    RATING_COLUMN,
    RAW,
    RECORD_PROBLEM,
    SOURCE_FILE,
    label_from_rating,
)
from review_sentiment.s3_io import is_data_file

SHIPPED_DATASET = REPO_ROOT / "data" / "hutto_amazon_kindle_schema.jsonl.gz"
SPLITS: tuple[str, ...] = ("train", "validation", "test")
DEFAULT_FRACTIONS: tuple[float, float, float] = (0.7, 0.15, 0.15)


class DatasetError(ValueError):
    """A file cannot be read as reviews; the message says what to do."""


# --- loading ---------------------------------------------------------------------------------------
def load_shipped() -> pd.DataFrame:
    return load_reviews(SHIPPED_DATASET)


def load_reviews(path: str | Path) -> pd.DataFrame:
    """Reviews in the canonical schema, one row per record, from any supported input.

    .jsonl/.json/.ndjson[.gz] (McAuley or canonical JSON lines) and .csv[.gz] (Kaggle) are read by
    records.read_records, the reader the validate Glue job uses: every record becomes a row, also one
    that cannot be read (its `record_problem` says why, `raw` keeps its text), with `source_file` and
    `line`. A folder of such files is read file by file in path order, as the Glue job reads a prefix.
    .parquet (a file or a folder: what the Glue jobs write) is read as it is.

    Raises DatasetError with what to do when the path is missing, of another format, or holds no record.
    """
    path = Path(path)
    if not path.exists():
        raise DatasetError(f"{path}: no such file; pass the path of a .jsonl[.gz] or .csv review file")
    if path.is_dir():
        files = review_files(path)
        if files:
            return _records_frame([r for f in files for r in _read_file(f)], path)
        if any(path.rglob("*.parquet")):
            return _read_parquet(path)
        raise DatasetError(f"{path}: no review files (.jsonl, .json, .csv, optionally .gz) in the folder")
    if ".parquet" in [s.lower() for s in path.suffixes]:
        return _read_parquet(path)
    if record_format(path.name) is None:
        raise DatasetError(
            f"{path}: unknown format; use .jsonl, .json, .jsonl.gz (McAuley), .csv (Kaggle) or .parquet"
        )
    return _records_frame(_read_file(path), path)


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises its own types for files that are not Parquet
        reason = " ".join(str(exc).split())[:200]
        raise DatasetError(
            f"{path}: not readable as Parquet ({reason}); pass what the Glue jobs wrote"
        ) from None
    return to_canonical(frame)


def review_files(folder: Path) -> list[Path]:
    """The review files under `folder` in path order, housekeeping files (_SUCCESS, .hidden) left out."""
    return sorted(
        p
        for p in folder.rglob("*")
        if p.is_file()
        and p.stat().st_size > 0
        and record_format(p.name)
        and is_data_file(str(p.relative_to(folder)))
    )


def _read_file(path: Path) -> list[RawRecord]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        reason = exc.strerror or exc
        raise DatasetError(f"{path}: cannot be read ({reason}); check the path and its permissions") from None
    return read_records(data, str(path))


def _records_frame(records: list[RawRecord], path: Path) -> pd.DataFrame:
    if not records:
        raise DatasetError(
            f"{path}: holds no reviews (empty, blank lines or a header only); expected one review per line"
        )
    return records_frame(records)


def records_frame(records: list[RawRecord]) -> pd.DataFrame:
    """Records -> canonical columns, extra source columns, then source_file, line, raw, record_problem.

    Object columns throughout: values stay exactly as read (no dtype inference that depends on the other
    rows), so each row's verdict depends on that row alone.
    """
    rows = []
    formats: dict[str, str | None] = {}
    for record in records:
        fmt = formats.get(record.source_file) or formats.setdefault(
            record.source_file, record_format(record.source_file)
        )
        fields = canonical_record(record.fields, fmt) if record.fields is not None else {}
        rows.append(
            {
                **fields,
                **{
                    SOURCE_FILE: record.source_file,
                    LINE: record.line,
                    RAW: record.raw,
                    RECORD_PROBLEM: record.problem,
                },
            }
        )
    frame = pd.DataFrame(rows, dtype=object)
    for column in CANONICAL_COLUMNS:
        if column not in frame:
            frame[column] = None
    frame["summary"] = frame["summary"].map(lambda v: "" if is_missing(v) else v)
    extra = [c for c in frame.columns if c not in CANONICAL_COLUMNS and c not in PROVENANCE_COLUMNS]
    return frame[[*CANONICAL_COLUMNS, *extra, *PROVENANCE_COLUMNS]]


def to_canonical(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame in a source's columns (Parquet, or built in code) -> canonical columns first, extras kept."""
    rows = [canonical_record(row, JSON_LINES) for row in frame.to_dict("records")]
    if not rows:
        return pd.DataFrame(columns=list(CANONICAL_COLUMNS))
    out = pd.DataFrame(rows)
    return out[[*CANONICAL_COLUMNS, *[c for c in out.columns if c not in CANONICAL_COLUMNS]]]


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
