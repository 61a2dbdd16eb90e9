"""Glue job: apply the review data contract to raw reviews; valid rows and quarantine out, or reject.

Arguments (Glue `--name value`):
  --input_path               S3 prefix, folder or file of raw reviews: JSON lines (.json/.jsonl[.gz],
                             McAuley or canonical) and/or CSV (.csv, Kaggle Kindle); other files are
                             listed in the report as skipped
  --valid_output_path        Parquet of the rows that keep the contract (canonical Kindle columns)
  --quarantine_output_path   Parquet of the rows that break it: review_id, source_file, line, reason, raw
  --report_path              JSON report: counts, bad fraction, per-reason counts
  --max_bad_fraction         optional (default SENTIMENT_MAX_BAD_FRACTION or 0.05): reject the batch above it
  --max_text_chars           optional (default SENTIMENT_MAX_TEXT_CHARS or 32768)

Each file is split into records by review_sentiment.data.records.read_records, the reader of the local
loaders (a record that cannot be read is quarantined with its line and raw text, never dropped), and
checked by review_sentiment.data.validation.record_reasons, through mapInPandas; duplicates (the first
review of a review_id, by file then line, is kept) are found within each batch by Spark. Batches
(review_sentiment.data.curation: each folder below --input_path is one upload) are judged one by one:
a batch above --max_bad_fraction is rejected and none of its rows enter; the valid rows of the accepted
batches are written once per review (the earliest batch wins); the report lists every batch (the
manifest). When no batch is accepted the job still writes its quarantine and report, then fails with
the reason.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

if __package__ in (None, ""):  # run as a file from a checkout (python glue_jobs/validate_reviews.py)
    try:
        import glue_jobs  # noqa: F401  (on Glue it comes from the --extra-py-files zip)
    except ImportError:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pandas as pd
from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from glue_jobs._runtime import (
    JobContext,
    NoInputData,
    float_arg,
    int_arg,
    origin_of,
    run_job,
    run_script,
    spread,
)
from review_sentiment.config import Settings
from review_sentiment.data.curation import (
    batch_verdicts,
    input_prefixes,
    manifest_summary,
    reason_totals,
    with_already_curated,
)
from review_sentiment.data.datasets import records_frame
from review_sentiment.data.records import UNPARSEABLE, RawRecord, read_records, record_format
from review_sentiment.data.schema import CANONICAL_COLUMNS, LINE, RAW, SOURCE_FILE
from review_sentiment.data.validation import (
    DUPLICATE,
    REASON_COLUMN,
    BatchRejected,
    ValidationResult,
    likely_cause,
    record_reasons,
    typed_row,
)

JOB_NAME = "validate_reviews"
REQUIRED = ("input_path", "valid_output_path", "quarantine_output_path", "report_path")
__all__ = ["UNPARSEABLE", "checked_reviews", "main"]

_STRINGS = ("review_id", "reviewerID", "asin", "reviewText", "summary")
CHECKED_SCHEMA = (
    "review_id string, reviewerID string, asin string, reviewText string, summary string, overall int, "
    "unixReviewTime long, helpful array<long>, source_file string, line long, raw string, reason string"
)
ROWS_PER_BATCH = 5000  # Arrow batches handed back to Spark per file
BATCH_COLUMN = "batch"  # the upload a row came from (data.curation)
INPUT_COLUMN = "input"  # the index of its input prefix (raw uploads 0, labelled captures 1)


class ValidationRejected(BatchRejected):
    """The batch's bad fraction is above --max_bad_fraction; quarantine and report were written."""

    def __init__(self, result: ValidationResult, quarantine_uri: str, report_uri: str):
        super().__init__(result)
        r = result.report
        self.args = (
            f"batch rejected: {r['quarantined']} of {r['rows']} rows ({r['bad_fraction']:.2%}) broke the "
            f"review contract, above the allowed {r['max_bad_fraction']:.2%}; reasons: {r['reasons']}."
            f"{likely_cause(r)} Inspect the quarantined rows at {quarantine_uri} (report {report_uri}), "
            "fix the source data, or raise the job's --max_bad_fraction (the pipeline's max_bad_fraction "
            "setting).",
        )


def file_format(path: str) -> str | None:
    """json or csv by suffix (compression suffixes allowed), None for anything else."""
    return record_format(path)


# --- reading: each file's bytes, split into records by the domain's reader ----------------------------
def read_files(spark, files: list[str]) -> DataFrame:
    """One row per input file: (source_file, content bytes). Each file is read and checked by one task,
    with the reader the local loaders use (review_sentiment.data.records): the same bytes give the same
    records, line numbers and reasons. Spark's binaryFile source takes files up to 2 GB each."""
    return (
        spark.read.format("binaryFile")
        .load(files)
        .select(F.col("path").alias("source_file"), F.col("content"))
    )


# --- the contract, per file -----------------------------------------------------------------------------
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
    values = typed_row({c: row.get(c) for c in ("summary", "overall", "unixReviewTime", "helpful")})
    out.update(
        summary=out["summary"] or "",
        **{c: values[c] for c in ("overall", "unixReviewTime", "helpful")},
    )
    return out


def check_records(records: list[RawRecord], max_text_chars: int) -> pd.DataFrame:
    """Records of one file -> CHECKED_SCHEMA rows: the domain's canonical frame and per-row reasons."""
    frame = records_frame(records)
    reasons = record_reasons(frame, max_text_chars).tolist()
    rows = [
        {
            **_typed(row, reason),
            "source_file": row[SOURCE_FILE],
            "line": int(row[LINE]),
            "raw": row[RAW],
            REASON_COLUMN: reason,
        }
        for row, reason in zip(frame.to_dict("records"), reasons, strict=True)
    ]
    return _checked_frame(rows)


def _checked_frame(rows: list[dict]) -> pd.DataFrame:
    """Rows -> columns of CHECKED_SCHEMA with nullable integer types (no float round trip)."""
    columns = [c.split()[0] for c in CHECKED_SCHEMA.split(", ")]
    frame = pd.DataFrame(rows, columns=columns)
    for column in ("overall", "unixReviewTime", "line"):
        frame[column] = pd.array([r[column] for r in rows], dtype="Int64")
    return frame


def check_files(max_text_chars: int, origins: Mapping[str, str] | None = None):
    """The mapInPandas function: (source_file, content) rows in, checked records out; `origins` maps a
    staged copy to the S3 URI the user knows (JobStorage.origins)."""
    origins = dict(origins or {})

    def check(batches):
        for batch in batches:
            for source, content in zip(batch["source_file"], batch["content"], strict=True):
                records = read_records(bytes(content), origin_of(source, origins))
                for start in range(0, len(records), ROWS_PER_BATCH):
                    yield check_records(records[start : start + ROWS_PER_BATCH], max_text_chars)

    return check


def checked_reviews(
    spark,
    files: list[str],
    max_text_chars: int,
    origins: Mapping[str, str] | None = None,
    input_path: str | None = None,
) -> DataFrame:
    """Every record of `files` with its verdict (CHECKED_SCHEMA plus `input`, `batch`): reason "" for a
    valid row, else why not, duplicates within a batch included. The batch of each file is derived from
    `input_path` (one or more prefixes joined by ","; data.curation.batch_of; without it every file is in
    one batch). The job's whole per-row transform, for a caller that brings its own session."""
    check = check_files(max_text_chars, origins)
    checked = spread(read_files(spark, files), spark).mapInPandas(check, CHECKED_SCHEMA)
    index, batch = batch_columns(input_prefixes(input_path)) if input_path else (F.lit(0), F.lit("."))
    return with_duplicates_marked(checked.withColumn(INPUT_COLUMN, index).withColumn(BATCH_COLUMN, batch))


def batch_columns(inputs: list[str]):
    """Spark's data.curation.batch_of over `source_file`: (input index, batch) columns."""
    source = F.regexp_replace(F.col(SOURCE_FILE), "^file:(//)?", "")
    index, batch = F.lit(0), source
    for i, prefix in reversed(list(enumerate(inputs))):  # the first matching input wins
        relative = F.substring(source, len(prefix) + 1, 1 << 30)
        folder = F.when(
            relative.contains("/"), F.concat(F.lit(prefix), F.substring_index(relative, "/", 1), F.lit("/"))
        ).otherwise(F.lit(prefix))
        inside = source.startswith(prefix)
        index, batch = F.when(inside, F.lit(i)).otherwise(index), F.when(inside, folder).otherwise(batch)
    return index, batch


def with_duplicates_marked(checked: DataFrame) -> DataFrame:
    """Among rows that keep the per-row rules, every repeat of a review_id within its batch after its
    first occurrence (ordered by file, then line) is quarantined as a duplicate (validation.duplicate_mask).
    A review repeated in a later batch is not bad data (an upload sent again): curated_rows drops it."""
    clean = F.col(REASON_COLUMN) == ""
    first = Window.partitionBy(F.col(BATCH_COLUMN), F.col("review_id"), clean).orderBy("source_file", "line")
    duplicate = clean & (F.row_number().over(first) > 1)
    return checked.select(
        *[c for c in checked.columns if c != REASON_COLUMN],
        F.when(duplicate, F.lit(DUPLICATE)).otherwise(F.col(REASON_COLUMN)).alias(REASON_COLUMN),
    )


def curated_rows(checked: DataFrame, accepted: list[str]) -> DataFrame:
    """The valid rows of the accepted batches, each review once: its first occurrence by batch, file and
    line (batches sort by name, i.e. upload time). Column `_repeat` > 1 marks the rows left out."""
    order = Window.partitionBy("review_id").orderBy(INPUT_COLUMN, BATCH_COLUMN, "source_file", "line")
    keep = (F.col(REASON_COLUMN) == "") & F.col(BATCH_COLUMN).isin(accepted)
    return checked.filter(keep).withColumn("_repeat", F.row_number().over(order))


def report_from_counts(counts: dict[str, int], max_bad_fraction: float) -> dict:
    """The domain's report shape (validation.validate) from row counts per joined reason."""
    rows = sum(counts.values())
    valid = counts.get("", 0)
    return {
        "rows": rows,
        "valid": valid,
        "quarantined": rows - valid,
        "bad_fraction": (rows - valid) / rows if rows else 0.0,
        "max_bad_fraction": max_bad_fraction,
        "reasons": reason_totals(counts),
        "columns": list(CANONICAL_COLUMNS),
    }


# --- the job ------------------------------------------------------------------------------------------
def validate_job(job: JobContext) -> dict:
    args, storage, progress = job.args, job.storage, job.progress
    max_bad_fraction = float_arg(args, "max_bad_fraction", 0.0, 1.0)
    max_text_chars = int_arg(args, "max_text_chars", low=1)
    files = [f for uri in args["input_path"].split(",") if uri.strip() for f in storage.input_files(uri)]
    readable = [f for f in files if file_format(f)]
    skipped = [f for f in files if not file_format(f)]
    if not readable:
        raise NoInputData(
            f"no review files under {args['input_path']}"
            + (f" (skipped {len(skipped)} with other suffixes)" if skipped else "")
            + ": upload JSON lines (.jsonl, .json, .jsonl.gz) or CSV (.csv) reviews there first"
        )
    progress(f"reading {len(readable)} file(s) from {args['input_path']}")
    final = checked_reviews(
        job.spark, readable, max_text_chars, storage.origins, args["input_path"]
    ).persist()
    try:
        grouped = final.groupBy(INPUT_COLUMN, BATCH_COLUMN, REASON_COLUMN).count().collect()
        batch_counts = Counter()  # (batch, joined reasons) -> rows
        counts = Counter()  # joined reasons -> rows, over every batch
        for row in grouped:
            batch_counts[row[BATCH_COLUMN], row[REASON_COLUMN]] += row["count"]
            counts[row[REASON_COLUMN]] += row["count"]
        report = report_from_counts(counts, max_bad_fraction)
        if report["rows"] == 0:
            raise NoInputData(f"the files under {args['input_path']} hold no records: upload reviews first")
        order = {row[BATCH_COLUMN]: row[INPUT_COLUMN] for row in grouped}
        verdicts = batch_verdicts(batch_counts, max_bad_fraction, order)
        accepted = [v.batch for v in verdicts if v.accepted]
        report.update(
            input_path=args["input_path"],
            input_files=len(readable),
            skipped_files=[Path(f).name for f in skipped][:100],
            quarantine_path=args["quarantine_output_path"],
            valid_path=args["valid_output_path"],
        )
        progress(
            f"checked {report['rows']} rows in {len(verdicts)} batch(es): {report['valid']} valid, "
            f"{report['quarantined']} quarantined {report['reasons'] or ''}".rstrip()
        )
        with storage.output_dir(args["quarantine_output_path"]) as path:
            final.filter(F.col(REASON_COLUMN) != "").select(
                "review_id", "source_file", "line", REASON_COLUMN, "raw"
            ).write.mode("overwrite").parquet(path)
        rejected = not accepted
        if not rejected:
            curated = curated_rows(final, accepted).persist()
            already = {
                row[BATCH_COLUMN]: row["count"]
                for row in curated.filter(F.col("_repeat") > 1).groupBy(BATCH_COLUMN).count().collect()
            }
            verdicts = with_already_curated(verdicts, already)
            with storage.output_dir(args["valid_output_path"]) as path:
                curated.filter(F.col("_repeat") == 1).select(*CANONICAL_COLUMNS).write.mode(
                    "overwrite"
                ).parquet(path)
            curated.unpersist()
        manifest = manifest_summary(verdicts)
        report.update(rejected=rejected, **manifest)
        for verdict in verdicts:
            progress(
                f"batch {verdict.batch}: {verdict.rows} rows, {verdict.quarantined} quarantined "
                f"({verdict.bad_fraction:.1%}), "
                + (
                    f"{verdict.entered} entered, {verdict.already_curated} already curated"
                    if verdict.accepted
                    else f"rejected (above {max_bad_fraction:.1%})"
                )
            )
        if not rejected and manifest["rejected_batches"]:
            progress(
                f"left out {len(manifest['rejected_batches'])} rejected batch(es): "
                f"{manifest['rejected_batches']}"
            )
        storage.write_json(args["report_path"], report)
    finally:
        final.unpersist()
    if rejected:
        result = ValidationResult(valid=pd.DataFrame(), quarantine=pd.DataFrame(), report=report)
        raise ValidationRejected(result, args["quarantine_output_path"], args["report_path"])
    return report


def local_arguments(
    input_path: str | Path, out: str | Path, max_bad_fraction: float | str, run_id: str = "jr_local"
) -> list[str]:
    """The job's command line (as Glue passes it to `main`) for a run whose outputs all go under `out`:
    valid/, quarantine/ and report.json. `input_path`: one prefix or folder, or several joined by ","."""
    out = Path(out)
    return [
        "validate_reviews.py",
        *("--JOB_NAME", JOB_NAME, "--JOB_RUN_ID", run_id, "--input_path", str(input_path)),
        *("--valid_output_path", str(out / "valid"), "--quarantine_output_path", str(out / "quarantine")),
        *("--report_path", str(out / "report.json"), "--max_bad_fraction", str(max_bad_fraction)),
    ]


def main(argv=None, spark=None, s3=None) -> dict:
    settings = Settings.from_env()
    optional = {
        "max_bad_fraction": str(settings.max_bad_fraction),
        "max_text_chars": str(settings.max_text_chars),
    }
    return run_job(JOB_NAME, validate_job, REQUIRED, optional, argv=argv, spark=spark, s3=s3)


if __name__ == "__main__":
    run_script(main)
