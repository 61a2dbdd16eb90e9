"""Preprocessing throughput, and the cost of running the Glue job through the local cloud.

Prints, in one run:
  1. rows/s of the preprocess_reviews job (clean, label, features, split, profile, partitioned Parquet) on
     100k SYNTHETIC rows and on the shipped real reviews, on one warm local SparkSession (the JVM start
     is printed on its own), beside the same domain functions in plain pandas on one core (baseline);
  2. when the embedded local cloud can start: wall time of the job run through Glue StartJobRun in
     the local cloud (submit -> SUCCEEDED) vs the same script run directly as a process against the
     same local S3, both from a cold JVM, and the overhead ratio.

    .venv/bin/python benchmarks/bench_preprocess.py [--rows 100000] [--no-local-cloud] [--quick]
    [--endpoint-url URL]   (--quick: 1,000 synthetic rows, one job run each way on 300 shipped rows)

Synthetic rows are for throughput only (never quality figures).
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import pandas as pd
from _common import REPO, add_common_arguments, local_cloud

from review_sentiment.data.datasets import (
    assign_split,
    generate_synthetic_reviews,
    load_shipped,
    with_labels,
)
from review_sentiment.data.schema import CANONICAL_COLUMNS

SCRIPT = REPO / "glue_jobs" / "preprocess_reviews.py"


def write_valid(frame: pd.DataFrame, folder: Path) -> Path:
    """Rows in the validation job's output layout (canonical columns, Parquet)."""
    folder.mkdir(parents=True, exist_ok=True)
    frame[list(CANONICAL_COLUMNS)].to_parquet(folder / "part-0.parquet", index=False)
    return folder


def pandas_baseline(frame: pd.DataFrame, out: Path) -> float:
    """The same domain steps, single-process pandas: seconds."""
    from review_sentiment.data.cleaning import clean_text
    from review_sentiment.features.numeric import NUMERIC_FEATURES, numeric_features
    from review_sentiment.features.profile import reference_profile

    start = time.perf_counter()
    data = frame[list(CANONICAL_COLUMNS)].copy()
    data["reviewText"] = [clean_text(t) for t in data["reviewText"]]
    data = with_labels(data)
    values = numeric_features(data["reviewText"].tolist())
    for i, name in enumerate(NUMERIC_FEATURES):
        data[name] = values[:, i]
    data["split"] = assign_split(data, seed=42)
    data = data[data["reviewText"] != ""]
    data.to_parquet(out, partition_cols=["split"], index=False)
    train = data[data["split"] == "train"]
    reference_profile(train[list(NUMERIC_FEATURES)].to_numpy(), train["label"].tolist())
    return time.perf_counter() - start


def spark_job(spark, source: Path, out: Path) -> float:
    from glue_jobs import preprocess_reviews

    argv = [
        "preprocess_reviews.py",
        "--input_path",
        str(source),
        "--output_path",
        str(out / "processed"),
        "--profile_path",
        str(out / "profile.json"),
    ]
    start = time.perf_counter()
    preprocess_reviews.main(argv, spark=spark)
    return time.perf_counter() - start


def throughput(rows_synthetic: int, work: Path) -> None:
    from glue_jobs._runtime import local_spark_session

    datasets = {
        f"synthetic ({rows_synthetic:,} rows)": generate_synthetic_reviews(rows_synthetic, seed=0),
        "shipped real reviews": load_shipped(),
    }
    start = time.perf_counter()
    spark = local_spark_session("bench-preprocess")
    print(f"SparkSession {spark.sparkContext.master} start: {time.perf_counter() - start:.1f} s", flush=True)
    print(
        f"\n{'data':<28} {'rows':>8} {'Spark s':>8} {'Spark rows/s':>13} {'pandas s':>9} "
        f"{'pandas rows/s':>14} {'Spark/pandas':>13}"
    )
    try:
        # warm-up: Python workers start and import the job's modules once
        spark_job(spark, write_valid(load_shipped().iloc[:200], work / "warmup"), work / "warmup-out")
        for index, (name, frame) in enumerate(datasets.items()):
            source = write_valid(frame, work / f"valid-{index}")
            spark_s = spark_job(spark, source, work / f"spark-{index}")
            pandas_s = pandas_baseline(frame, work / f"pandas-{index}")
            rows = len(frame)
            print(
                f"{name:<28} {rows:>8,} {spark_s:>8.1f} {rows / spark_s:>13,.0f} {pandas_s:>9.1f} "
                f"{rows / pandas_s:>14,.0f} {pandas_s / spark_s:>12.2f}x",
                flush=True,
            )
    finally:
        spark.stop()


# --- through Glue in the local cloud vs direct -----------------------------------------------------------
def packages_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for package in ("review_sentiment", "glue_jobs"):
            for path in sorted((REPO / package).rglob("*.py")):
                archive.write(path, path.relative_to(REPO).as_posix())
    return buffer.getvalue()


def glue_overhead(work: Path, endpoint_url: str | None, rows: int | None, attempts: int) -> None:
    """The Glue job through the local cloud (its own, or the one at `endpoint_url`) vs run directly."""
    from local_cloud.controller import LocalCloudError

    print("\nlocal cloud: ...", flush=True)
    try:
        with local_cloud(endpoint_url, work / "localstack") as cloud:
            glue_runs(cloud, rows, attempts)
    except LocalCloudError as exc:
        raise SystemExit(
            f"error: the local cloud did not start ({exc}); --no-local-cloud leaves the Glue part out"
        ) from None


def glue_runs(cloud, rows: int | None, attempts: int) -> None:
    """The job on the shipped data (its first `rows`), `attempts` times each way, cold JVM each time."""
    import boto3

    env = cloud.client_env()
    session = boto3.session.Session(
        aws_access_key_id="test", aws_secret_access_key="test", region_name=env["AWS_DEFAULT_REGION"]
    )
    s3 = session.client("s3", endpoint_url=cloud.endpoint_url)
    glue = session.client("glue", endpoint_url=cloud.endpoint_url)
    print(f"local cloud: healthy at {cloud.endpoint_url}", flush=True)
    for bucket in ("bench-artifacts", "bench-data"):
        s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket="bench-artifacts", Key="glue_jobs/preprocess_reviews.py", Body=SCRIPT.read_bytes())
    s3.put_object(Bucket="bench-artifacts", Key="code/packages.zip", Body=packages_zip())
    buffer = io.BytesIO()
    shipped = load_shipped().iloc[:rows]
    shipped[list(CANONICAL_COLUMNS)].to_parquet(buffer, index=False)
    s3.put_object(Bucket="bench-data", Key="validated/part-0.parquet", Body=buffer.getvalue())
    glue.create_job(
        Name="bench-preprocess",
        Role="arn:aws:iam::000000000000:role/glue",
        GlueVersion="5.0",
        Command={
            "Name": "glueetl",
            "PythonVersion": "3",
            "ScriptLocation": "s3://bench-artifacts/glue_jobs/preprocess_reviews.py",
        },
        DefaultArguments={"--extra-py-files": "s3://bench-artifacts/code/packages.zip"},
    )

    def arguments(tag: str) -> dict[str, str]:
        return {
            "--input_path": "s3://bench-data/validated/",
            "--output_path": f"s3://bench-data/{tag}/processed/",
            "--profile_path": f"s3://bench-data/{tag}/profile.json",
        }

    def through_glue(tag: str) -> float:
        start = time.perf_counter()
        run_id = glue.start_job_run(JobName="bench-preprocess", Arguments=arguments(tag))["JobRunId"]
        while True:
            run = glue.get_job_run(JobName="bench-preprocess", RunId=run_id)["JobRun"]
            if run["JobRunState"] not in ("STARTING", "RUNNING", "STOPPING", "WAITING"):
                break
            time.sleep(0.5)  # what Step Functions' .sync integration polls at
        if run["JobRunState"] != "SUCCEEDED":
            raise RuntimeError(f"Glue run {run['JobRunState']}: {run.get('ErrorMessage')}")
        return time.perf_counter() - start

    def direct(tag: str) -> float:
        argv = [sys.executable, str(SCRIPT), "--JOB_NAME", "bench-preprocess"]
        for key, value in arguments(tag).items():
            argv += [key, value]
        start = time.perf_counter()
        subprocess.run(
            argv,
            env={**os.environ, **env, "PYTHONPATH": str(REPO)},
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        return time.perf_counter() - start

    print(
        f"\nthe job on the shipped data ({len(shipped):,} rows), cold JVM each time, S3 in the local cloud:"
    )
    results = {"direct process": [], "Glue StartJobRun": []}
    for attempt in range(attempts):  # alternate, so load changes on a shared machine hit both alike
        results["direct process"].append(direct(f"direct-{attempt}"))
        results["Glue StartJobRun"].append(through_glue(f"glue-{attempt}"))
    best = {name: min(times) for name, times in results.items()}
    for name, times in results.items():
        print(f"  {name:<18} best {best[name]:6.1f} s  (runs: {', '.join(f'{t:.1f}' for t in times)})")
    overhead = best["Glue StartJobRun"] - best["direct process"]
    ratio = best["Glue StartJobRun"] / best["direct process"]
    print(f"  Glue overhead      {overhead:+6.1f} s = {ratio:.2f}x the direct run")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="synthetic rows (default 100000)")
    parser.add_argument("--no-local-cloud", action="store_true", help="skip the Glue overhead part")
    add_common_arguments(parser, cloud=True)
    options = parser.parse_args()
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    with tempfile.TemporaryDirectory(prefix="bench-preprocess-") as tmp:
        throughput(1_000 if options.quick else options.rows, Path(tmp))
        if not options.no_local_cloud:
            rows, attempts = (300, 1) if options.quick else (None, 2)
            glue_overhead(Path(tmp), options.endpoint_url, rows, attempts)


if __name__ == "__main__":
    main()
