"""The training pipeline's execution input, its configuration, and the S3 layout of one run.

The state machine's first step (PrepareRun) validates the input with `RunRequest`, merges it with
the deployed `PipelineConfig` and derives every path of the run with `plan_run`, so later steps
only read paths from the plan. `python -m stack run` validates the same model before starting.
"""

from __future__ import annotations

import json
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from review_sentiment.config import MODEL_KINDS
from review_sentiment.s3_io import split_s3_uri

TRIGGERS = ("manual", "schedule", "drift")
_JOB_NAME_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")
_UNSAFE_KEY = re.compile(r"[\s\x00-\x1f\x7f]|//|^/")  # whitespace, control characters, empty path parts
EXAMPLE_INPUT = '{"raw_prefix": "s3://<raw bucket>/incoming/<batch>/"}'
_JSON_TYPES = {str: "a JSON string", list: "a JSON array", bool: "a JSON boolean", int: "a JSON number",
               float: "a JSON number", type(None): "null"}


class InvalidRunRequest(ValueError):
    """The execution input breaks the documented contract; the message says which field and why."""


class NoInputData(ValueError):
    """The raw prefix holds no objects: there is nothing to train on."""


class RunRequest(BaseModel):
    """The execution input of the training state machine (documented in events/training_pipeline_input.json).

    raw_prefix: S3 prefix of the raw review files (JSON lines or CSV in the Kindle schema).
    model_kinds: which model kinds to train (default: the deployed configuration's list).
    trigger: why the run started: manual, schedule or drift.
    max_concurrency / trials_per_kind: per-run overrides of the deployed configuration.
    """

    # strict: a wrong type is rejected, never coerced ("3" is not 3, 2.0 is not 2, "logreg" is not a list)
    model_config = ConfigDict(extra="forbid", strict=True)

    raw_prefix: str = Field(description="S3 prefix of the raw reviews, s3://bucket/prefix/")
    model_kinds: list[str] | None = Field(default=None, min_length=1)
    trigger: Literal["manual", "schedule", "drift"] = "manual"
    max_concurrency: int | None = Field(default=None, ge=1, le=16)
    trials_per_kind: int | None = Field(default=None, ge=1, le=500)

    @field_validator("raw_prefix")
    @classmethod
    def _s3_prefix(cls, value: str) -> str:
        _, key = split_s3_uri(value)
        if _UNSAFE_KEY.search(key):
            raise ValueError(f"{value!r} holds whitespace, a control character or an empty path part (//)")
        return value if value.endswith("/") else value + "/"

    @field_validator("model_kinds")
    @classmethod
    def _known_kinds(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        unknown = [k for k in value if k not in MODEL_KINDS]
        if unknown:
            raise ValueError(f"unknown model kind(s) {unknown}; choose from {list(MODEL_KINDS)}")
        if len(set(value)) != len(value):
            raise ValueError(f"model kinds repeat: {value}")
        return value

    @classmethod
    def parse(cls, payload: object) -> RunRequest:
        """The request, or InvalidRunRequest with a one-line reason naming each broken field.

        `payload` is the execution input as decoded JSON: anything but an object is refused with what
        to send instead (a JSON string holding an object is named as such: it was encoded twice).
        """
        if not isinstance(payload, dict):
            raise InvalidRunRequest(f"invalid execution input: {_not_an_object(payload)}")
        try:
            return cls.model_validate(payload)
        except ValidationError as exc:
            problems = "; ".join(_problem(err) for err in exc.errors())
            raise InvalidRunRequest(f"invalid execution input: {' '.join(problems.split())}") from None


def _problem(error: dict) -> str:
    """One field's problem: where, what, and the value sent when its type was wrong."""
    where = ".".join(str(p) for p in error["loc"]) or "input"
    if error["type"] == "extra_forbidden":
        return f"{where}: unknown field; the fields are {', '.join(RunRequest.model_fields)}"
    if error["type"] in ("missing", "value_error"):
        return f"{where}: {error['msg'].removeprefix('Value error, ')}"
    value = error.get("input")
    sent = json.dumps(value, default=str)[:80]
    return f"{where}: {error['msg']}, got {sent} ({_JSON_TYPES.get(type(value), 'a value')})"


def _not_an_object(payload: object) -> str:
    kind = _JSON_TYPES.get(type(payload), type(payload).__name__)
    hint = ""
    if isinstance(payload, str):
        try:
            inner = json.loads(payload)
        except ValueError:
            inner = None
        if isinstance(inner, dict):
            hint = " that holds JSON text (encoded twice?): pass the object itself, not a string of it"
    return f"it must be a JSON object like {EXAMPLE_INPUT}, got {kind}{hint}"


class PipelineConfig(BaseModel):
    """Deployed defaults and thresholds (the SSM configuration parameter holds this as JSON)."""

    model_config = ConfigDict(extra="ignore")

    model_kinds: list[str] = Field(default_factory=lambda: list(MODEL_KINDS))
    max_concurrency: int = Field(default=1, ge=1)
    trials_per_kind: int = Field(default=4, ge=1)
    max_bad_fraction: float = Field(default=0.05, ge=0.0, le=1.0)
    min_macro_f1: float = Field(default=0.6, ge=0.0, le=1.0)
    # A challenger must beat the champion's macro-F1 on the same test split by at least this much.
    min_improvement: float = Field(default=0.0, ge=0.0, le=1.0)
    latency_budget_ms: float = Field(default=5.0, gt=0.0)


class RunBuckets(BaseModel):
    processed: str
    models: str


def run_id_from(execution_name: str) -> str:
    """A run id usable in S3 keys and Batch job names (execution names may hold other characters)."""
    return _JOB_NAME_UNSAFE.sub("-", execution_name)[:80]


def plan_run(request: RunRequest, config: PipelineConfig, buckets: RunBuckets, run_id: str) -> dict:
    """Everything later states read: settings, the run's S3 paths and one training job per kind."""
    kinds = request.model_kinds or list(config.model_kinds)
    trials = request.trials_per_kind or config.trials_per_kind
    concurrency = request.max_concurrency or config.max_concurrency
    data_root = f"s3://{buckets.processed}/runs/{run_id}"
    model_root = f"s3://{buckets.models}/runs/{run_id}"
    return {
        "run_id": run_id,
        "trigger": request.trigger,
        "model_kinds": kinds,
        "request": request.model_dump(),
        "settings": {
            "max_bad_fraction": config.max_bad_fraction,
            "max_bad_fraction_arg": str(config.max_bad_fraction),  # Glue arguments are strings
            "min_macro_f1": config.min_macro_f1,
            "min_improvement": config.min_improvement,
            "latency_budget_ms": config.latency_budget_ms,
            "max_concurrency": concurrency,
            "trials_per_kind": trials,
            "trials_per_kind_arg": str(trials),  # container environment values are strings
        },
        "paths": {
            "raw_input": request.raw_prefix,
            "validated": f"{data_root}/validated/",
            "quarantine": f"{data_root}/quarantine/",
            "validation_report": f"{data_root}/reports/validation.json",
            "processed": f"{data_root}/processed/",
            "feature_profile": f"{data_root}/reports/feature_profile.json",
            "models": f"{model_root}/",
            "outcome": f"{model_root}/outcome.json",
            "failure": f"{model_root}/failure.json",
        },
        "training_jobs": [
            {
                "model_kind": kind,
                "output_uri": f"{model_root}/{kind}/",
                "job_name": f"train-{kind}-{run_id}"[:128],
            }
            for kind in kinds
        ],
    }


def count_input_objects(s3, raw_prefix: str, limit: int = 1000) -> int:
    """Number of non-empty objects under the prefix (up to `limit`); `s3` is a boto3 S3 client."""
    bucket, prefix = split_s3_uri(raw_prefix)
    try:
        response = s3.list_objects_v2(Bucket=bucket, Prefix=prefix, MaxKeys=limit)
    except s3.exceptions.NoSuchBucket:
        raise NoInputData(
            f"bucket {bucket!r} does not exist; upload the reviews under {raw_prefix}"
        ) from None
    return sum(
        1 for obj in response.get("Contents", []) if obj.get("Size", 0) > 0 and not obj["Key"].endswith("/")
    )


def require_input_data(s3, raw_prefix: str) -> int:
    count = count_input_objects(s3, raw_prefix)
    if count == 0:
        raise NoInputData(f"no review files under {raw_prefix}: upload JSON lines or CSV reviews there first")
    return count
