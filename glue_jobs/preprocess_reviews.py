"""Glue job: valid reviews -> cleaned, labelled, featurised, split Parquet + the reference feature profile.

Arguments (Glue `--name value`):
  --input_path       Parquet of valid reviews (the validate_reviews job's --valid_output_path)
  --output_path      Parquet partitioned by split: <output_path>/split={train,validation,test}/
  --profile_path     JSON: the training split's feature profile for drift monitoring, plus row counts
  --seed             optional (default SENTIMENT_SEED or 42): the split seed
  --split_fractions  optional (default 0.7,0.15,0.15): train,validation,test
  --profile_bins     optional (default 10): quantile bins per numeric feature

Every rule is the domain's, applied per partition through mapInPandas: text cleaning
(review_sentiment.data.cleaning), label from rating (datasets.with_labels: 3 stars keep a null label and
are counted), numeric features (features.numeric_features, the definition training and serving use),
the split (datasets.assign_split: by product, from a stable hash) and the profile (profile, in the
format review_sentiment.monitoring.drift reads: per feature, quantile edges and expected shares; and
the training texts' token-bucket shares, the reference of text drift).
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

if __package__ in (None, ""):  # run as a file from a checkout (python glue_jobs/preprocess_reviews.py)
    try:
        import glue_jobs  # noqa: F401  (on Glue it comes from the --extra-py-files zip)
    except ImportError:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pandas as pd
from pyspark import AccumulatorParam
from pyspark.sql import functions as F

from glue_jobs._runtime import (
    JobArgumentError,
    JobContext,
    NoInputData,
    int_arg,
    run_job,
    run_script,
    spread,
)
from review_sentiment.config import Settings
from review_sentiment.data.cleaning import clean_text, model_texts
from review_sentiment.data.datasets import DEFAULT_FRACTIONS, SPLITS, assign_split, with_labels
from review_sentiment.data.schema import CANONICAL_COLUMNS, LABEL_COLUMN, TEXT_COLUMN
from review_sentiment.features.numeric import NUMERIC_FEATURES, numeric_features
from review_sentiment.features.profile import DEFAULT_BINS, texts_profile

JOB_NAME = "preprocess_reviews"
REQUIRED = ("input_path", "output_path", "profile_path")
EMPTY_AFTER_CLEANING = "empty_after_cleaning"
PREPARED_SCHEMA = ", ".join(
    [
        "review_id string, reviewerID string, asin string, reviewText string, summary string, overall int",
        "unixReviewTime long, helpful array<long>, label int",
        *[f"{name} double" for name in NUMERIC_FEATURES],  # float64, as data capture stores them
        "split string",
    ]
)


def parse_fractions(raw: str) -> tuple[float, float, float]:
    try:
        values = tuple(float(v) for v in raw.split(","))
    except ValueError:
        values = ()
    if len(values) != 3 or min(values) < 0 or abs(sum(values) - 1.0) > 1e-6:
        raise JobArgumentError(
            f"--split_fractions must be three numbers summing to 1 (train,validation,test), got {raw!r}"
        )
    return values  # type: ignore[return-value]


def prepare_batch(batch: pd.DataFrame, seed: int, fractions) -> pd.DataFrame:
    """Clean text, label, numeric features and split for one batch of valid rows."""
    out = batch[[c for c in CANONICAL_COLUMNS]].copy()
    out[TEXT_COLUMN] = [clean_text(t) for t in batch[TEXT_COLUMN]]
    out[LABEL_COLUMN] = with_labels(out)[LABEL_COLUMN]
    values = numeric_features(model_texts(out[TEXT_COLUMN].tolist()))  # as training and serving compute them
    for i, name in enumerate(NUMERIC_FEATURES):
        out[name] = values[:, i]
    out["split"] = assign_split(out, seed, fractions).to_numpy()
    out[EMPTY_AFTER_CLEANING] = out[TEXT_COLUMN] == ""
    return out


class SplitCounter(AccumulatorParam):
    """Spark accumulator of {split: rows}: rows dropped inside the UDF are counted, not lost."""

    def zero(self, value):
        return Counter()

    def addInPlace(self, value1, value2):
        value1.update(value2)
        return value1


def prepare_batches(seed: int, fractions, dropped):
    """The mapInPandas function: prepared rows out; rows whose text cleaned to nothing are counted in
    the `dropped` accumulator (per split) and left out."""

    def prepare(batches):
        for batch in batches:
            out = prepare_batch(batch, seed, fractions)
            empty = out.pop(EMPTY_AFTER_CLEANING)
            if empty.any():
                dropped.add(Counter(out.loc[empty, "split"]))
            yield out[~empty]

    return prepare


def counts_by_split(rows: list, dropped: dict) -> dict:
    """{split: {rows, negative, positive, neutral, empty_after_cleaning}} from (split, label, n) rows."""
    counts = {name: {"rows": 0, "negative": 0, "positive": 0, "neutral": 0,
                     EMPTY_AFTER_CLEANING: int(dropped.get(name, 0))} for name in SPLITS}
    for split, label, n in rows:
        counts[split]["rows"] += n
        counts[split][{0: "negative", 1: "positive", None: "neutral"}[label]] += n
    return counts


def label_totals(counts: dict) -> dict:
    """Label counts and fractions over every split (the profile's `labels` covers the training split)."""
    totals = {key: sum(counts[split][key] for split in SPLITS) for key in ("negative", "positive", "neutral")}
    rows = sum(totals.values())
    return {"counts": totals, "fractions": {k: (v / rows if rows else 0.0) for k, v in totals.items()}}


def preprocess_job(job: JobContext) -> dict:
    args, storage, progress = job.args, job.storage, job.progress
    seed = int_arg(args, "seed")
    fractions = parse_fractions(args["split_fractions"])
    bins = int_arg(args, "profile_bins", low=2)
    source = storage.input_dir(args["input_path"])
    if not storage.input_files(source):
        raise NoInputData(f"no Parquet under {args['input_path']}: run the validate_reviews job first")
    valid = spread(job.spark.read.parquet(source), job.spark)
    dropped = job.spark.sparkContext.accumulator(Counter(), SplitCounter())
    prepared = valid.mapInPandas(prepare_batches(seed, fractions, dropped), PREPARED_SCHEMA)
    with storage.output_dir(args["output_path"]) as path:
        # One pass through the Python UDF (the write); counts and the profile read the written Parquet.
        prepared.write.mode("overwrite").partitionBy("split").parquet(path)
        written = job.spark.read.parquet(path)
        grouped = written.groupBy("split", LABEL_COLUMN).count().collect()
        train = (written.filter(F.col("split") == "train")
                 .select(LABEL_COLUMN, TEXT_COLUMN).toPandas())
    counts = counts_by_split([(r["split"], r[LABEL_COLUMN], r["count"]) for r in grouped], dropped.value)
    progress("rows per split: " + ", ".join(f"{k} {v['rows']}" for k, v in counts.items()))
    if train.empty:
        raise NoInputData(f"no training rows after preprocessing {args['input_path']}: "
                          "the data is too small or every product fell into another split")
    labels = [None if pd.isna(v) else int(v) for v in train[LABEL_COLUMN]]
    # from the texts through the function data capture uses for a served review (same values, dtype)
    profile = texts_profile(train[TEXT_COLUMN].tolist(), labels, bins)
    profile.update(
        split="train",
        seed=seed,
        split_fractions=dict(zip(SPLITS, fractions, strict=True)),
        counts=counts,
        labels_all_splits=label_totals(counts),
        input_path=args["input_path"],
        output_path=args["output_path"],
    )
    storage.write_json(args["profile_path"], profile)
    progress(f"profile of {profile['rows']} training rows written to {args['profile_path']}")
    return profile


def main(argv=None, spark=None, s3=None) -> dict:
    settings = Settings.from_env()
    optional = {
        "seed": str(settings.seed),
        "split_fractions": ",".join(str(f) for f in DEFAULT_FRACTIONS),
        "profile_bins": str(DEFAULT_BINS),
    }
    return run_job(JOB_NAME, preprocess_job, REQUIRED, optional, argv=argv, spark=spark, s3=s3)


if __name__ == "__main__":
    run_script(main)
