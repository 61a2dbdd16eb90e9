"""Glue job: apply the review data contract to raw reviews; valid rows and quarantine out, or reject.

Arguments (Glue `--name value`):
  --input_path               S3 prefix, folder or file of raw reviews: JSON lines (.json/.jsonl[.gz],
                             McAuley or canonical) and/or CSV (.csv, Kaggle Kindle); other files are
                             listed in the report as skipped
  --valid_output_path        Parquet of the rows that keep the contract (canonical Kindle columns)
  --quarantine_output_path   Parquet of the rows that break it: review_id, source_file, reason, raw record
  --report_path              JSON report: counts, bad fraction, per-reason counts
  --max_bad_fraction         optional (default SENTIMENT_MAX_BAD_FRACTION or 0.05): reject the batch above it
  --max_text_chars           optional (default SENTIMENT_MAX_TEXT_CHARS or 32768)

The per-row rules are review_sentiment.data.validation.row_problems, run per partition through mapInPandas;
duplicates (the first review of a review_id is kept) are found across the whole input by Spark. A
rejected batch still writes its quarantine and report, then fails the job with the reason.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a file from a checkout (python glue_jobs/validate_reviews.py)
    try:
        import glue_jobs  # noqa: F401  (on Glue it comes from the --extra-py-files zip)
    except ImportError:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
import pandas as pd
from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from glue_jobs._runtime import JobContext, NoInputData, float_arg, int_arg, run_job, spread
from review_sentiment.config import Settings
from review_sentiment.data.datasets import kaggle_frame_to_canonical, to_canonical
from review_sentiment.data.schema import CANONICAL_COLUMNS
from review_sentiment.data.validation import (
    DUPLICATE,
    REASON_COLUMN,
    BatchRejected,
    ValidationResult,
    row_problems,
)

JOB_NAME = "validate_reviews"
REQUIRED = ("input_path", "valid_output_path", "quarantine_output_path", "report_path")
UNPARSEABLE = "unparseable_record"  # not a JSON object: the domain rules cannot even look at it

JSON, CSV = "json", "csv"
_STRINGS = ("review_id", "reviewerID", "asin", "reviewText", "summary")
CHECKED_SCHEMA = (
    "review_id string, reviewerID string, asin string, reviewText string, summary string, overall int, "
    "unixReviewTime long, helpful array<long>, source_file string, ordinal long, raw string, reason string"
)


class ValidationRejected(BatchRejected):
    """The batch's bad fraction is above --max_bad_fraction; quarantine and report were written."""

    def __init__(self, result: ValidationResult, quarantine_uri: str, report_uri: str):
        super().__init__(result)
        r = result.report
        self.args = (
            f"batch rejected: {r['quarantined']} of {r['rows']} rows ({r['bad_fraction']:.2%}) broke the "
            f"review contract, above the allowed {r['max_bad_fraction']:.2%}; reasons: {r['reasons']}. "
            f"Inspect the quarantined rows at {quarantine_uri} (report {report_uri}), fix the source data, "
            "or raise the job's --max_bad_fraction (the pipeline's max_bad_fraction setting).",
        )


def file_format(path: str) -> str | None:
    """json or csv by suffix (compression suffixes allowed), None for anything else."""
    suffixes = [s.lower() for s in Path(path).suffixes]
    if ".csv" in suffixes:
        return CSV
    if ".json" in suffixes or ".jsonl" in suffixes or ".ndjson" in suffixes:
        return JSON
    return None


# --- reading: every record becomes (source_file, ordinal, format, raw text) ------------------------------
def read_records(spark, files: list[str]) -> DataFrame:
    """One row per input record; `ordinal` orders records within a file (first occurrence wins)."""
    parts = []
    json_files = [f for f in files if file_format(f) == JSON]
    if json_files:
        lines = spark.read.text(json_files).select(
            F.col("_metadata.file_path").alias("source_file"),
            F.monotonically_increasing_id().alias("ordinal"),
            F.lit(JSON).alias("format"),
            F.col("value").alias("raw"),
        )
        parts.append(lines.filter(F.trim("raw") != ""))  # a blank line is not a record
    for path in (f for f in files if file_format(f) == CSV):
        # One read per file: Spark would map every file's columns by the first file's header position.
        table = spark.read.options(header=True, multiLine=True, escape='"', mode="PERMISSIVE").csv(path)
        parts.append(table.select(
            F.col("_metadata.file_path").alias("source_file"),
            F.monotonically_increasing_id().alias("ordinal"),
            F.lit(CSV).alias("format"),
            F.to_json(F.struct(*[F.col(f"`{c}`") for c in table.columns])).alias("raw"),
        ))
    records = parts[0]
    for part in parts[1:]:
        records = records.unionByName(part)
    return records


# --- the per-row contract, per partition ---------------------------------------------------------------
def _parse(raw: str):
    try:
        value = json.loads(raw)
    except (json.JSONDecodeError, TypeError):
        return None
    return value if isinstance(value, dict) else None


def _safe_str(value):
    """A string Arrow can encode (no lone surrogates), else None; the raw record keeps the original."""
    if not isinstance(value, str):
        return None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return None
    return value


def _typed(row: dict, reason: str) -> dict:
    """Contract-typed columns: exact for valid rows; best effort (strings only) for quarantined ones."""
    out = {c: _safe_str(row.get(c)) for c in _STRINGS}
    if reason:
        out.update(overall=None, unixReviewTime=None, helpful=None)
        return out
    helpful = row.get("helpful")
    out.update(
        summary=out["summary"] or "",
        overall=int(row["overall"]),
        unixReviewTime=int(row["unixReviewTime"]),
        helpful=[int(v) for v in helpful] if isinstance(helpful, list | tuple | np.ndarray) else None,
    )
    return out


def check_group(group: pd.DataFrame, fmt: str, max_text_chars: int) -> list[dict]:
    """Rows of one file (within one partition): canonical, checked by row_problems, typed."""
    parsed = [_parse(raw) for raw in group["raw"]]
    ok = [i for i, p in enumerate(parsed) if p is not None]
    reasons = [UNPARSEABLE] * len(parsed)
    rows: list[dict] = [{} for _ in parsed]
    if ok:
        frame = pd.DataFrame([parsed[i] for i in ok])
        frame = kaggle_frame_to_canonical(frame) if fmt == CSV else to_canonical(frame)
        problems = row_problems(frame, max_text_chars).tolist()
        for index, reason, row in zip(ok, problems, frame.to_dict("records"), strict=True):
            reasons[index] = reason
            rows[index] = row
    out = []
    for row, reason, source, ordinal, raw in zip(
        rows, reasons, group["source_file"], group["ordinal"], group["raw"], strict=True
    ):
        out.append({**_typed(row, reason), "source_file": source, "ordinal": int(ordinal),
                    "raw": raw if reason else None, REASON_COLUMN: reason})
    return out


def _checked_frame(rows: list[dict]) -> pd.DataFrame:
    """Rows -> columns of CHECKED_SCHEMA with nullable integer types (no float round trip)."""
    columns = [c.split()[0] for c in CHECKED_SCHEMA.split(", ")]
    frame = pd.DataFrame(rows, columns=columns)
    for column in ("overall", "unixReviewTime", "ordinal"):
        frame[column] = pd.array([r[column] for r in rows], dtype="Int64")
    return frame


def check_batches(max_text_chars: int):
    def check(batches):
        for batch in batches:
            out: list[dict] = []
            for (_source, fmt), group in batch.groupby(["source_file", "format"], sort=False):
                out.extend(check_group(group, fmt, max_text_chars))
            yield _checked_frame(out)

    return check


def with_duplicates_marked(checked: DataFrame) -> DataFrame:
    """Among rows that keep the per-row rules, every repeat of a review_id after its first occurrence
    (ordered by file, then position in the file) is quarantined as a duplicate (validation.duplicate_mask)."""
    clean = F.col(REASON_COLUMN) == ""
    first = Window.partitionBy(F.col("review_id"), clean).orderBy("source_file", "ordinal")
    duplicate = clean & (F.row_number().over(first) > 1)
    canonical = F.to_json(F.struct(*[F.col(c) for c in CANONICAL_COLUMNS]))
    return checked.select(
        *[c for c in checked.columns if c not in (REASON_COLUMN, "raw")],
        F.when(duplicate, canonical).otherwise(F.col("raw")).alias("raw"),
        F.when(duplicate, F.lit(DUPLICATE)).otherwise(F.col(REASON_COLUMN)).alias(REASON_COLUMN),
    )


def report_from_counts(counts: dict[str, int], max_bad_fraction: float) -> dict:
    """The domain's report shape (validation.validate) from row counts per joined reason."""
    rows = sum(counts.values())
    valid = counts.get("", 0)
    per_reason: dict[str, int] = {}
    for joined, n in counts.items():
        for reason in filter(None, joined.split(";")):
            per_reason[reason] = per_reason.get(reason, 0) + n
    return {
        "rows": rows,
        "valid": valid,
        "quarantined": rows - valid,
        "bad_fraction": (rows - valid) / rows if rows else 0.0,
        "max_bad_fraction": max_bad_fraction,
        "reasons": dict(sorted(per_reason.items())),
        "columns": list(CANONICAL_COLUMNS),
    }


# --- the job ------------------------------------------------------------------------------------------
def validate_job(job: JobContext) -> dict:
    args, storage, progress = job.args, job.storage, job.progress
    max_bad_fraction = float_arg(args, "max_bad_fraction", 0.0, 1.0)
    max_text_chars = int_arg(args, "max_text_chars")
    files = storage.input_files(args["input_path"])
    readable = [f for f in files if file_format(f)]
    skipped = [f for f in files if not file_format(f)]
    if not readable:
        raise NoInputData(
            f"no review files under {args['input_path']}"
            + (f" (skipped {len(skipped)} with other suffixes)" if skipped else "")
            + ": upload JSON lines (.jsonl, .json, .jsonl.gz) or CSV (.csv) reviews there first"
        )
    progress(f"reading {len(readable)} file(s) from {args['input_path']}")
    records = spread(read_records(job.spark, readable), job.spark)
    checked = records.mapInPandas(check_batches(max_text_chars), CHECKED_SCHEMA)
    final = with_duplicates_marked(checked).persist()
    try:
        counts = {row[REASON_COLUMN]: row["count"] for row in final.groupBy(REASON_COLUMN).count().collect()}
        report = report_from_counts(counts, max_bad_fraction)
        if report["rows"] == 0:
            raise NoInputData(f"the files under {args['input_path']} hold no records: upload reviews first")
        report.update(
            input_path=args["input_path"],
            input_files=len(readable),
            skipped_files=[Path(f).name for f in skipped][:100],
            quarantine_path=args["quarantine_output_path"],
            valid_path=args["valid_output_path"],
        )
        progress(f"checked {report['rows']} rows: {report['valid']} valid, {report['quarantined']} "
                 f"quarantined {report['reasons'] or ''}".rstrip())
        with storage.output_dir(args["quarantine_output_path"]) as path:
            final.filter(F.col(REASON_COLUMN) != "").select(
                "review_id", "source_file", REASON_COLUMN, "raw"
            ).write.mode("overwrite").parquet(path)
        rejected = report["bad_fraction"] > max_bad_fraction
        report["rejected"] = rejected
        if not rejected:
            with storage.output_dir(args["valid_output_path"]) as path:
                final.filter(F.col(REASON_COLUMN) == "").select(*CANONICAL_COLUMNS).write.mode(
                    "overwrite"
                ).parquet(path)
        storage.write_json(args["report_path"], report)
    finally:
        final.unpersist()
    if rejected:
        result = ValidationResult(valid=pd.DataFrame(), quarantine=pd.DataFrame(), report=report)
        raise ValidationRejected(result, args["quarantine_output_path"], args["report_path"])
    return report


def main(argv=None, spark=None, s3=None) -> dict:
    settings = Settings.from_env()
    optional = {
        "max_bad_fraction": str(settings.max_bad_fraction),
        "max_text_chars": str(settings.max_text_chars),
    }
    return run_job(JOB_NAME, validate_job, REQUIRED, optional, argv=argv, spark=spark, s3=s3)


if __name__ == "__main__":
    main()
