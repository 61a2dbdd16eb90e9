"""Contract and anomaly checks: per-row reasons, quarantine, batch rejection.

The per-row rules (`row_problems`) look at one batch of rows only, so a PySpark job reuses them
as they are through `mapInPandas`:

    def check(batches):
        for batch in batches:
            yield batch.assign(reason=row_problems(batch, max_text_chars))

Duplicates need the whole dataset: `duplicate_mask` is the pandas form of that rule, and a Spark
job applies the same rule (first occurrence of a `review_id` kept, later ones quarantined) itself.

Records that could not be read at all (records.read_records: bad JSON, undecodable bytes, a CSV row
with the wrong field count) carry their reason in `record_problem`; `record_reasons` puts it first, so
the loaders and the Glue job quarantine them the same way.
"""

from __future__ import annotations

import numbers
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from review_sentiment.data import records
from review_sentiment.data.schema import (
    CANONICAL_COLUMNS,
    KINDLE_FIELDS,
    MAX_RATING,
    MAX_UNIX_TIME,
    MIN_RATING,
    MIN_UNIX_TIME,
    RAW,
    RECORD_PROBLEM,
    REQUIRED_COLUMNS,
)

DEFAULT_MAX_TEXT_CHARS = 32_768
REASON_COLUMN = "reason"
DUPLICATE = "duplicate_review_id"

# Reasons, one word each; a row with several problems gets them joined by ";".
MISSING = "missing_{}"
NOT_TEXT = "not_text_{}"
EMPTY_TEXT = "empty_text"
UNDECODABLE_TEXT = "undecodable_text"
TEXT_TOO_LONG = "text_too_long"
RATING_NOT_NUMBER = "rating_not_a_number"
RATING_OUT_OF_RANGE = "rating_out_of_range"
RATING_NOT_INTEGER = "rating_not_integer"
BAD_TIMESTAMP = "bad_unix_review_time"
BAD_HELPFUL = "bad_helpful"


class ContractError(ValueError):
    """The batch does not have the columns of the contract at all."""


class BatchRejected(ValueError):
    """Too large a share of the batch broke the contract; `result` holds valid rows, quarantine and counts."""

    def __init__(self, result: ValidationResult):
        self.result = result
        report = result.report
        super().__init__(
            f"batch rejected: {report['quarantined']} of {report['rows']} rows "
            f"({report['bad_fraction']:.1%}) broke the contract, above the allowed "
            f"{report['max_bad_fraction']:.1%}; reasons: {report['reasons']}.{likely_cause(report)} "
            "Inspect the quarantine output, fix the source, or raise SENTIMENT_MAX_BAD_FRACTION."
        )


_HINTS = {
    records.UNDECODABLE_BYTES: "the file is not UTF-8 (Latin-1 or Windows-1252?): save it as UTF-8",
    records.UNPARSEABLE: "records are not valid JSON (one review object per line) or CSV (quoted fields)",
    records.NOT_AN_OBJECT: "lines are JSON but not objects: write one review object per line, not an array",
    records.WRONG_FIELD_COUNT: "CSV rows have more or fewer fields than the header: quote fields with commas",
    records.UNREADABLE_FILE: "a .gz file does not decompress: upload it again",
}


def likely_cause(report: dict) -> str:
    """ " Most likely: ..." for the reason behind most quarantined rows, or "" (report: validate's shape)."""
    reasons = report.get("reasons") or {}
    if not reasons:
        return ""
    reason, count = max(reasons.items(), key=lambda item: item[1])
    if count * 2 < report.get("quarantined", 0):
        return ""
    hint = _HINTS.get(reason)
    column = reason.removeprefix("missing_")
    if hint is None and reason.startswith("missing_") and column in KINDLE_FIELDS and count == report["rows"]:
        hint = (
            f"no row has {column}: the file lacks that column (columns needed: "
            f"{', '.join(c for c in REQUIRED_COLUMNS if c != 'review_id')})"
        )
    return f" Most likely: {hint}." if hint else ""


@dataclass
class ValidationResult:
    valid: pd.DataFrame
    quarantine: pd.DataFrame  # the bad rows, unchanged, plus a `reason` column
    report: dict = field(default_factory=dict)


def _missing(value) -> bool:
    return records.is_missing(value) or value is pd.NA or value is pd.NaT


# Replacement characters, surrogates (category Cs) and control characters (category Cc: U+0000-001F,
# U+007F-009F) but tab, line feed and carriage return.
_UNDECODABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffd]")


def _undecodable(text: str) -> bool:
    """Replacement characters, lone surrogates or control characters: text that did not decode."""
    return _UNDECODABLE.search(text) is not None


def _text_problems(column: str, value, max_chars: int, required: bool) -> list[str]:
    if _missing(value):
        return [MISSING.format(column)] if required else []
    if not isinstance(value, str):
        return [NOT_TEXT.format(column)]
    problems = []
    if column == "reviewText":
        if not value.strip():
            problems.append(EMPTY_TEXT)
        if len(value) > max_chars:
            problems.append(TEXT_TOO_LONG)
    elif required and not value.strip():
        problems.append(MISSING.format(column))
    if _undecodable(value):
        problems.append(UNDECODABLE_TEXT)
    return problems


def _rating_problems(value) -> list[str]:
    if _missing(value):
        return [MISSING.format("overall")]
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return [RATING_NOT_NUMBER]
    if not MIN_RATING <= value <= MAX_RATING:
        return [RATING_OUT_OF_RANGE]
    if float(value) != int(value):
        return [RATING_NOT_INTEGER]
    return []


def _time_problems(value) -> list[str]:
    if _missing(value):
        return [MISSING.format("unixReviewTime")]
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or float(value) != int(value):
        return [BAD_TIMESTAMP]
    if not MIN_UNIX_TIME <= value <= MAX_UNIX_TIME:
        return [BAD_TIMESTAMP]
    return []


def _helpful_problems(value) -> list[str]:
    if not isinstance(value, list | tuple | np.ndarray) and _missing(value):
        return []  # optional field
    if not isinstance(value, list | tuple | np.ndarray) or len(value) != 2:
        return [BAD_HELPFUL]
    up, total = value
    if any(isinstance(v, bool) or not isinstance(v, numbers.Integral) for v in (up, total)):
        return [BAD_HELPFUL]
    return [] if 0 <= up <= total else [BAD_HELPFUL]


def row_problems(batch: pd.DataFrame, max_text_chars: int = DEFAULT_MAX_TEXT_CHARS) -> pd.Series:
    """One string per row: "" when the row keeps the contract, else its reasons joined by ";".

    Depends on nothing outside the batch (no duplicate check), so it runs per partition in Spark.
    """
    missing_columns = [c for c in REQUIRED_COLUMNS if c not in batch.columns]
    if missing_columns:
        raise ContractError(
            f"columns {missing_columns} are missing; a batch needs {list(REQUIRED_COLUMNS)} "
            "(load files through review_sentiment.data.datasets to map the Kindle formats)"
        )
    summaries = batch["summary"] if "summary" in batch else pd.Series([""] * len(batch), index=batch.index)
    helpful = batch["helpful"] if "helpful" in batch else pd.Series([None] * len(batch), index=batch.index)
    reasons = []
    for row in zip(
        batch["review_id"],
        batch["reviewerID"],
        batch["asin"],
        batch["reviewText"],
        summaries,
        batch["overall"],
        batch["unixReviewTime"],
        helpful,
        strict=True,
    ):
        review_id, reviewer, asin, text, summary, overall, when, votes = row
        problems = (
            _text_problems("review_id", review_id, max_text_chars, required=True)
            + _text_problems("reviewerID", reviewer, max_text_chars, required=True)
            + _text_problems("asin", asin, max_text_chars, required=True)
            + _text_problems("reviewText", text, max_text_chars, required=True)
            + _text_problems("summary", summary, max_text_chars, required=False)
            + _rating_problems(overall)
            + _time_problems(when)
            + _helpful_problems(votes)
        )
        reasons.append(";".join(problems))
    return pd.Series(reasons, index=batch.index, name=REASON_COLUMN, dtype=object)


def duplicate_mask(review_ids: pd.Series) -> pd.Series:
    """True for every repeat of a review_id after its first occurrence (the first one is kept)."""
    return review_ids.duplicated(keep="first") & review_ids.notna()


def record_reasons(frame: pd.DataFrame, max_text_chars: int = DEFAULT_MAX_TEXT_CHARS) -> pd.Series:
    """`row_problems`, except that a record that could not be read keeps its `record_problem`."""
    reasons = row_problems(frame, max_text_chars)
    if RECORD_PROBLEM in frame:
        problems = frame[RECORD_PROBLEM].map(lambda v: v if isinstance(v, str) else "")
        reasons = problems.where(problems != "", reasons)
    return reasons


def typed_row(row: dict) -> dict:
    """A valid row's canonical values in the contract's types: overall and unixReviewTime int, helpful a
    list of int or None, summary a string. Only for rows that passed `row_problems`."""
    helpful = row.get("helpful")
    return {
        **row,
        "summary": row.get("summary") if isinstance(row.get("summary"), str) else "",
        "overall": int(row["overall"]),
        "unixReviewTime": int(row["unixReviewTime"]),
        "helpful": [int(v) for v in helpful] if isinstance(helpful, list | tuple | np.ndarray) else None,
    }


def typed(valid: pd.DataFrame) -> pd.DataFrame:
    """`typed_row` on every row of a frame of valid rows: int64 ratings and times, object elsewhere."""
    out = valid.copy()
    columns = ("summary", "overall", "unixReviewTime", "helpful")
    typed_rows = [
        typed_row(dict(zip(columns, values, strict=True)))
        for values in zip(*(valid[c].tolist() for c in columns), strict=True)
    ]
    out["summary"] = pd.Series([r["summary"] for r in typed_rows], index=valid.index, dtype=object)
    for column in ("overall", "unixReviewTime"):
        out[column] = pd.Series([r[column] for r in typed_rows], index=valid.index, dtype="int64")
    out["helpful"] = pd.Series([r["helpful"] for r in typed_rows], index=valid.index, dtype=object)
    return out


def validate(
    frame: pd.DataFrame,
    max_bad_fraction: float,
    max_text_chars: int = DEFAULT_MAX_TEXT_CHARS,
) -> ValidationResult:
    """Splits a dataset into valid rows and quarantined rows (with reasons); rejects a bad batch.

    `frame`: canonical columns (datasets.load_reviews), optionally with the loaders' provenance columns.
    Valid rows come back in the contract's types without `raw` and `record_problem`; quarantined rows
    come back unchanged plus `reason`. Raises ContractError for an empty frame and BatchRejected when
    the quarantined share exceeds `max_bad_fraction`.
    """
    if len(frame) == 0:
        raise ContractError("the batch is empty: there is nothing to validate")
    reasons = record_reasons(frame, max_text_chars)
    # Among rows that pass the per-row rules, only the first of each review_id is kept.
    clean = reasons == ""
    duplicates = duplicate_mask(frame.loc[clean, "review_id"]).reindex(frame.index, fill_value=False)
    reasons = reasons.where(~duplicates, DUPLICATE)
    bad = reasons != ""
    valid = typed(frame[~bad].drop(columns=[c for c in (RAW, RECORD_PROBLEM) if c in frame]))
    valid = valid.reset_index(drop=True)
    quarantine = frame[bad].assign(**{REASON_COLUMN: reasons[bad]}).reset_index(drop=True)
    per_reason: dict[str, int] = {}
    for joined in reasons[bad]:
        for reason in joined.split(";"):
            per_reason[reason] = per_reason.get(reason, 0) + 1
    rows = len(frame)
    report = {
        "rows": rows,
        "valid": len(valid),
        "quarantined": len(quarantine),
        "bad_fraction": (len(quarantine) / rows) if rows else 0.0,
        "max_bad_fraction": max_bad_fraction,
        "reasons": dict(sorted(per_reason.items())),
        "columns": list(CANONICAL_COLUMNS),
    }
    result = ValidationResult(valid=valid, quarantine=quarantine, report=report)
    if report["bad_fraction"] > max_bad_fraction:
        raise BatchRejected(result)
    return result
