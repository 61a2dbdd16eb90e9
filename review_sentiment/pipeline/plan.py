"""The plan of one pipeline run: the execution input, the deployed configuration, the run's S3 layout.

The state machine's first step (PrepareRun) validates the input with `RunRequest`, merges it with
the deployed `PipelineConfig` and derives every path of the run with `plan_run`; the `RunPlan` then
travels whole through the state machine, so later steps only read settings and paths from it.
`python -m stack run` validates the same request before starting.
"""

from __future__ import annotations

import json
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, computed_field, field_validator

from review_sentiment.config import Settings, Thresholds
from review_sentiment.modeling.families import MODEL_KINDS, check_kinds
from review_sentiment.s3_io import split_s3_uri

TRIGGERS = ("manual", "schedule", "drift")
_JOB_NAME_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")
# whitespace, control characters, empty path parts, and the comma that separates the validation job's inputs
_UNSAFE_KEY = re.compile(r"[\s\x00-\x1f\x7f,]|//|^/")
EXAMPLE_INPUT = '{"raw_prefix": "s3://<raw bucket>/incoming/<batch>/"}'
_JSON_TYPES = {
    str: "a JSON string",
    list: "a JSON array",
    bool: "a JSON boolean",
    int: "a JSON number",
    float: "a JSON number",
    type(None): "null",
}


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
    drift_report: the drift report (JSON in the drift-reports bucket) behind a drift-triggered run.
    labelled_prefix: S3 prefix of labelled batches from data capture (monitoring.labelled), validated
        and curated beside the raw uploads (data.curation).
    """

    # strict: a wrong type is rejected, never coerced ("3" is not 3, 2.0 is not 2, "logreg" is not a list)
    model_config = ConfigDict(extra="forbid", strict=True)

    raw_prefix: str = Field(description="S3 prefix of the raw reviews, s3://bucket/prefix/")
    model_kinds: list[str] | None = Field(default=None, min_length=1)
    trigger: Literal["manual", "schedule", "drift"] = "manual"
    max_concurrency: int | None = Field(default=None, ge=1, le=16)
    trials_per_kind: int | None = Field(default=None, ge=1, le=500)
    drift_report: str | None = Field(
        default=None, description="s3:// URI of the drift report that started the run (trigger drift)"
    )
    labelled_prefix: str | None = Field(
        default=None, description="S3 prefix of labelled batches from data capture, s3://bucket/prefix/"
    )

    @field_validator("raw_prefix", "labelled_prefix")
    @classmethod
    def _s3_prefix(cls, value: str | None) -> str | None:
        if value is None:
            return None
        _, key = split_s3_uri(value)
        if _UNSAFE_KEY.search(key):
            raise ValueError(
                f"{value!r} holds whitespace, a control character, a comma or an empty path part (//)"
            )
        return value if value.endswith("/") else value + "/"

    @field_validator("drift_report")
    @classmethod
    def _s3_uri(cls, value: str | None) -> str | None:
        if value is not None:
            split_s3_uri(value)
        return value

    @field_validator("model_kinds")
    @classmethod
    def _known_kinds(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else _known_kinds(value)

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


def _known_kinds(kinds: list[str]) -> list[str]:
    check_kinds(kinds)
    if len(set(kinds)) != len(kinds):
        raise ValueError(f"model kinds repeat: {kinds}")
    return kinds


class PipelineConfig(BaseModel):
    """Deployed defaults and thresholds (the SSM configuration parameter holds this as JSON); in a
    `RunPlan`, the run's own settings (the request's overrides applied). Defaults are the local
    pipeline's (`config.Settings`): one source for both."""

    model_config = ConfigDict(extra="forbid")

    model_kinds: list[str] = Field(default_factory=lambda: list(MODEL_KINDS), min_length=1)
    max_concurrency: int = Field(default=1, ge=1)
    trials_per_kind: int = Field(default=Settings.trials_per_kind, ge=1)
    max_bad_fraction: float = Field(default=Settings.max_bad_fraction, ge=0.0, le=1.0)
    thresholds: Thresholds = Field(default_factory=Thresholds)

    @field_validator("model_kinds")
    @classmethod
    def _known_kinds(cls, value: list[str]) -> list[str]:
        return _known_kinds(value)


class RunPaths(BaseModel):
    """Every S3 location of one run (s3:// URIs; folders end in /)."""

    raw_input: str
    labelled_input: str | None = None  # the request's labelled_prefix
    validated: str
    quarantine: str
    validation_report: str
    processed: str
    feature_profile: str
    models: str
    outcome: str
    failure: str

    @computed_field
    @property
    def inputs(self) -> str:
        """What the validation job reads (`--input_path`): raw_input, then labelled_input, joined by ","."""
        return ",".join(p for p in (self.raw_input, self.labelled_input) if p)


class TrainingJob(BaseModel):
    """One item of the TrainModels Map: one Batch job that trains one kind into `output_uri`."""

    model_kind: str
    output_uri: str
    job_name: str


class RunPlan(BaseModel):
    """What PrepareRun returns and every later state reads (`$.run`)."""

    run_id: str
    trigger: Literal["manual", "schedule", "drift"]
    request: RunRequest
    settings: PipelineConfig
    paths: RunPaths
    training_jobs: list[TrainingJob]


class RunBuckets(BaseModel):
    processed: str
    models: str


def run_id_from(execution_name: str) -> str:
    """A run id usable in S3 keys and Batch job names (execution names may hold other characters)."""
    return _JOB_NAME_UNSAFE.sub("-", execution_name)[:80]


def plan_run(request: RunRequest, config: PipelineConfig, buckets: RunBuckets, run_id: str) -> RunPlan:
    """The run's settings (`config` with the request's overrides), its S3 paths, one training job per kind."""
    overrides = ("model_kinds", "trials_per_kind", "max_concurrency")
    settings = config.model_copy(
        update={name: getattr(request, name) for name in overrides if getattr(request, name) is not None}
    )
    data_root = f"s3://{buckets.processed}/runs/{run_id}"
    model_root = f"s3://{buckets.models}/runs/{run_id}"
    return RunPlan(
        run_id=run_id,
        trigger=request.trigger,
        request=request,
        settings=settings,
        paths=RunPaths(
            raw_input=request.raw_prefix,
            labelled_input=request.labelled_prefix,
            validated=f"{data_root}/validated/",
            quarantine=f"{data_root}/quarantine/",
            validation_report=f"{data_root}/reports/validation.json",
            processed=f"{data_root}/processed/",
            feature_profile=f"{data_root}/reports/feature_profile.json",
            models=f"{model_root}/",
            outcome=f"{model_root}/outcome.json",
            failure=f"{model_root}/failure.json",
        ),
        training_jobs=[
            TrainingJob(
                model_kind=kind, output_uri=f"{model_root}/{kind}/", job_name=f"train-{kind}-{run_id}"[:128]
            )
            for kind in settings.model_kinds
        ],
    )


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
