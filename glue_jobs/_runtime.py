"""What every Glue job script shares: arguments, the Spark session, Glue init/commit, and S3 I/O.

On AWS Glue 5 (`awsglue` importable and a `GlueContext` can be built) the job uses Glue's session,
`Job.init`/`Job.commit`, and hands `s3://` URIs to Spark, which reads them natively.

Everywhere else (the local cloud's Glue, a laptop, the tests) the job runs on a plain local
SparkSession. pyspark 4.3.0 ships no hadoop-aws/S3A jars and they cannot be fetched offline, so
`s3://` URIs are staged: inputs are downloaded with boto3 into a temporary folder, Spark reads and
writes local files, and outputs are uploaded afterwards. The job's interface stays `s3://` URIs (or
local paths) either way, so the same script runs unchanged in both places. boto3 honours
AWS_ENDPOINT_URL, so staging reaches the local cloud's S3.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import os
import shutil
import sys
import tempfile
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from review_sentiment import s3_io
from review_sentiment.progress import Progress

# Environment knobs of the local SparkSession (ignored on AWS Glue, which sizes its own).
ENV_SPARK_MASTER = "GLUE_JOBS_SPARK_MASTER"
ENV_DRIVER_MEMORY = "GLUE_JOBS_DRIVER_MEMORY"
ENV_SHUFFLE_PARTITIONS = "GLUE_JOBS_SHUFFLE_PARTITIONS"
ENV_LOG_LEVEL = "GLUE_JOBS_SPARK_LOG_LEVEL"  # default ERROR: Spark's WARN lines drown the job's own
DEFAULTS = {ENV_SPARK_MASTER: "local[2]", ENV_DRIVER_MEMORY: "2g", ENV_SHUFFLE_PARTITIONS: "4"}



class JobArgumentError(ValueError):
    """A required job argument is missing or unusable; the message names it."""


class NoInputData(ValueError):
    """The input location holds no data files."""


# --- arguments ---------------------------------------------------------------------------------------
def resolve_args(
    argv: Sequence[str], required: Sequence[str], optional: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Glue's `--key value` arguments: awsglue's getResolvedOptions when installed, argparse otherwise.

    `required` names must be present; `optional` maps a name to its default. Other arguments that Glue
    passes (--JOB_ID, --job-language, --extra-py-files, ...) are ignored, as getResolvedOptions does.
    """
    optional = dict(optional or {})
    argv = list(argv)
    present = [name for name in optional if _given(argv, name)]
    try:
        from awsglue.utils import getResolvedOptions
    except ImportError:
        resolved = _parse_args(argv, required, present)
    else:
        try:
            resolved = getResolvedOptions(argv, [*required, *present])
        except SystemExit:  # its argparse exits on a missing argument; say which instead
            missing = ", ".join(f"--{n}" for n in required if not _given(argv, n))
            raise JobArgumentError(f"missing job argument(s): {missing}") from None
    blank = [name for name in [*required, *present] if not str(resolved.get(name, "")).strip()]
    if blank:  # an empty path would mean the working directory
        raise JobArgumentError(f"job argument(s) without a value: {', '.join('--' + n for n in blank)}")
    return {**optional, **resolved}


def _given(argv: Sequence[str], name: str) -> bool:
    return any(a == f"--{name}" or a.startswith(f"--{name}=") for a in argv)


def _parse_args(argv: Sequence[str], required: Sequence[str], optional: Sequence[str]) -> dict[str, str]:
    missing = [name for name in required if not _given(argv, name)]
    if missing:
        raise JobArgumentError(
            f"missing job argument(s): {', '.join('--' + n for n in missing)}; pass them as `--name value`"
        )
    parser = argparse.ArgumentParser(add_help=False, allow_abbrev=False, exit_on_error=False)
    for name in [*required, *optional]:
        parser.add_argument(f"--{name}", dest=name)
    try:
        known, _ = parser.parse_known_args(argv[1:])
    except argparse.ArgumentError as exc:  # e.g. `--input_path` as the last word, without its value
        raise JobArgumentError(f"job argument {exc.argument_name}: {exc.message} (`--name value`)") from None
    return {name: value for name, value in vars(known).items() if value is not None}


def float_arg(args: Mapping[str, str], name: str, low: float, high: float) -> float:
    try:
        value = float(args[name])
    except ValueError:
        raise JobArgumentError(f"--{name} must be a number, got {args[name]!r}") from None
    if not low <= value <= high:
        raise JobArgumentError(f"--{name} must be within {low}..{high}, got {value}")
    return value


def int_arg(args: Mapping[str, str], name: str, low: int | None = None) -> int:
    """`--name` as an integer of at least `low`; JobArgumentError naming it otherwise."""
    try:
        value = int(args[name])
    except ValueError:
        raise JobArgumentError(f"--{name} must be an integer, got {args[name]!r}") from None
    if low is not None and value < low:
        raise JobArgumentError(f"--{name} must be at least {low}, got {value}")
    return value


def run_script(main: Callable[[], Any]) -> None:
    """A job script's `__main__`: a user's mistake (a bad argument, no input, a rejected batch: the
    ValueErrors the jobs raise) ends the process with one line `<ErrorType>: <message>` on stderr and exit
    code 1, which the local cloud's Glue reports as the run's ErrorMessage. On AWS Glue (awsglue importable)
    the exception propagates, as Glue takes a run's ErrorMessage from the uncaught exception."""
    try:
        main()
    except ValueError as exc:
        if importlib.util.find_spec("awsglue") is not None:
            raise
        print(f"{type(exc).__name__}: {' '.join(str(exc).split())}", file=sys.stderr, flush=True)
        sys.exit(1)


# --- locations ---------------------------------------------------------------------------------------
@dataclass
class JobStorage:
    """Input and output locations as Spark sees them: native on AWS Glue, staged through boto3 elsewhere."""

    staged: bool
    workdir: Path
    s3: Any = None  # a boto3 S3 client; review_sentiment.aws.client("s3") when None
    # staged local copy -> the s3:// URI it came from (so reports and quarantine name the S3 object)
    origins: dict[str, str] = field(default_factory=dict)

    def _client(self):
        if self.s3 is None:
            from review_sentiment import aws

            self.s3 = aws.client("s3")
        return self.s3

    def input_files(self, uri: str) -> list[str]:
        """Data files at `uri` (a prefix, folder or single file) as paths Spark can read, sorted."""
        if s3_io.is_s3(uri) and not self.staged:
            bucket, _ = s3_io.split_s3_uri(uri)
            return sorted(f"s3://{bucket}/{key}" for key, _ in s3_io.data_objects(self._client(), uri))
        local = Path(self.input_dir(uri))
        if local.is_file():
            if s3_io.is_s3(uri):
                self.origins[str(local)] = uri
            return [str(local)]
        if not local.is_dir():
            return []
        files = sorted(
            str(p) for p in local.rglob("*")
            if p.is_file() and p.stat().st_size > 0 and s3_io.is_data_file(str(p.relative_to(local)))
        )
        if s3_io.is_s3(uri):
            self.origins.update({f: s3_io.join(uri, Path(f).relative_to(local).as_posix()) for f in files})
        return files



    def input_dir(self, uri: str) -> str:
        """`uri` readable by Spark: itself, or (staged) a local copy of the object or prefix."""
        if not s3_io.is_s3(uri) or not self.staged:
            return str(s3_io.local_path(uri)) if not s3_io.is_s3(uri) else uri
        target = Path(tempfile.mkdtemp(prefix="in-", dir=self.workdir))
        return str(s3_io.download(self._client(), uri, target))

    @contextlib.contextmanager
    def output_dir(self, uri: str) -> Iterator[str]:
        """Where Spark writes `uri`; staged outputs are uploaded (replacing what was there) on exit."""
        if not s3_io.is_s3(uri) or not self.staged:
            yield uri
            return
        local = Path(tempfile.mkdtemp(prefix="out-", dir=self.workdir)) / "data"
        yield str(local)
        s3_io.upload_folder(self._client(), local, uri, replace=True)

    def write_json(self, uri: str, payload: dict) -> None:
        s3_io.write_json(self._client() if s3_io.is_s3(uri) else None, uri, payload)


def origin_of(path: str, origins: Mapping[str, str]) -> str:
    """Where a file Spark read came from: the s3:// URI of a staged copy (JobStorage.origins), else the
    path itself (Spark names local files file:/...)."""
    local = unquote(urlparse(path).path) if path.startswith("file:") else path
    return origins.get(local, path)


# --- Spark ---------------------------------------------------------------------------------------------
def _export_code_path() -> None:
    """Python workers import the job's modules by name: give them the folders (or zips) holding our code."""
    import review_sentiment

    roots = [Path(__file__).resolve().parents[1], Path(review_sentiment.__file__).resolve().parents[1]]
    current = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    os.environ["PYTHONPATH"] = os.pathsep.join(dict.fromkeys([*current, *map(str, roots)]))


def local_spark_session(app_name: str):
    """A local SparkSession sized for a small machine (DEFAULTS; override with the GLUE_JOBS_* variables)."""
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    _export_code_path()
    # pyspark 4.3 warns on every pandas UDF that pandas 3 is "not yet fully supported"; it works here.
    warnings.filterwarnings("ignore", "PySpark does not yet fully support pandas", FutureWarning)
    from pyspark.sql import SparkSession

    setting = {name: os.environ.get(name, default) for name, default in DEFAULTS.items()}
    spark = (
        SparkSession.builder.appName(app_name)
        .master(setting[ENV_SPARK_MASTER])
        .config("spark.driver.memory", setting[ENV_DRIVER_MEMORY])
        .config("spark.sql.shuffle.partitions", setting[ENV_SHUFFLE_PARTITIONS])
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")  # progress bars would flood the driver log
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel(os.environ.get(ENV_LOG_LEVEL, "ERROR"))
    return spark


def _glue_session(args: Mapping[str, str]):
    """(spark, glue Job) on AWS Glue; None where awsglue is missing or cannot build a GlueContext."""
    try:
        from awsglue.context import GlueContext
        from awsglue.job import Job
        from pyspark.context import SparkContext
    except ImportError:
        return None
    context = SparkContext.getOrCreate()
    try:
        glue_context = GlueContext(context)
    except Exception as exc:  # awsglue's Python part without Glue's jars (off AWS): plain Spark instead
        print(f"awsglue present but no GlueContext ({type(exc).__name__}); using plain Spark", flush=True)
        context.stop()
        return None
    job = Job(glue_context)
    job.init(args.get("JOB_NAME", "local"), dict(args))
    return glue_context.spark_session, job


def spread(frame, spark):
    """At least one partition per core: one small input file is read as a single partition, and the
    Python UDF stage would then run on one core only."""
    cores = spark.sparkContext.defaultParallelism
    return frame.repartition(cores) if frame.rdd.getNumPartitions() < cores else frame


# --- the entry point -------------------------------------------------------------------------------------
@dataclass
class JobContext:
    args: dict[str, str]
    storage: JobStorage
    progress: Progress
    session: Callable[[], Any]  # the SparkSession, started on first use (a bad input fails before the JVM)
    on_glue: bool = False

    @property
    def spark(self):
        return self.session()


def run_job(
    name: str,
    body: Callable[[JobContext], dict],
    required: Sequence[str],
    optional: Mapping[str, str] | None = None,
    argv: Sequence[str] | None = None,
    spark: Any = None,
    s3: Any = None,
) -> dict:
    """Parses arguments, gets a session (Glue's, the one given, or a new local one), runs `body`, commits.

    Returns what `body` returns (the job's report). Errors propagate: on Glue an uncaught exception is
    what marks the run FAILED and its message becomes the run's ErrorMessage.
    """
    progress = Progress()
    args = resolve_args(sys.argv if argv is None else argv, required, {"JOB_NAME": name, **(optional or {})})
    glue = None if spark is not None else _glue_session(args)
    job = None
    if glue is not None:
        spark, job = glue
    started: list[Any] = []  # the local session this run started, if any

    def session():
        if spark is not None:
            return spark
        if not started:
            progress(f"{name}: starting local Spark")
            started.append(local_spark_session(name))
            progress(f"{name}: local Spark {started[0].version} up")
        return started[0]

    workdir = Path(tempfile.mkdtemp(prefix=f"{name}-"))
    try:
        storage = JobStorage(staged=glue is None, workdir=workdir, s3=s3)
        mode = "AWS Glue, S3 native" if glue else "S3 staged through boto3 (no S3A jars offline)"
        progress(f"{name}: {mode}")
        report = body(JobContext(args, storage, progress, session, on_glue=glue is not None))
        if job is not None:
            job.commit()
        progress(f"{name}: done")
        return report
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        for local in started:
            local.stop()
