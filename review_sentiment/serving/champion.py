"""The champion pointer: which model version serves, kept as JSON in one SSM parameter.

The MLflow registry alias `champion` is the record of truth for people; the SSM pointer is what the
serving path reads (one cheap GetParameter, no MLflow client in the inference Lambda). Promotion
and rollback write both. The pointer carries the previous champion so a rollback needs no search.
The parameter is written by promotion only (not declared in the template), so a stack update can
never reset which model serves.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime


class NoChampion(LookupError):
    """No model has been promoted yet (or the pointer was removed)."""


class NothingToRollBack(LookupError):
    """The champion has no previous version to go back to."""


@dataclass(frozen=True)
class Champion:
    """One promoted model: enough to serve it and to compare a challenger with it."""

    model_name: str
    version: str  # MLflow registry version
    model_kind: str
    model_uri: str  # s3://.../model.onnx
    test_macro_f1: float
    run_id: str  # pipeline run that produced it
    mlflow_run_id: str = ""
    feature_profile_uri: str = ""  # reference profile for drift monitoring (features, text sketch)
    prediction_profile_uri: str = ""  # its outputs on its own test split (prediction drift reference)
    promoted_at: str = ""
    # the model card's figures (review_sentiment.modeling.selection.RESULT_METRICS: test macro-F1 and
    # accuracy, validation macro-F1, ONNX latency and size, parity), finite numbers only
    metrics: dict[str, float] = field(default_factory=dict, compare=False)
    previous: dict | None = field(default=None, compare=False)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict) -> Champion:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    @classmethod
    def from_json(cls, text: str) -> Champion:
        return cls.from_dict(json.loads(text))

    def without_history(self) -> dict:
        data = asdict(self)
        data["previous"] = None
        return data


def read_champion(ssm, parameter_name: str) -> Champion | None:
    """The current champion, or None when nothing was promoted; `ssm` is a boto3 SSM client."""
    try:
        value = ssm.get_parameter(Name=parameter_name)["Parameter"]["Value"]
    except ssm.exceptions.ParameterNotFound:
        return None
    return Champion.from_json(value)


def write_champion(ssm, parameter_name: str, champion: Champion) -> None:
    ssm.put_parameter(Name=parameter_name, Value=champion.to_json(), Type="String", Overwrite=True)


def promoted(candidate: Champion, current: Champion | None, now: datetime | None = None) -> Champion:
    """The new pointer: the candidate, remembering the current champion (one level) for rollback."""
    stamp = (now or datetime.now(UTC)).isoformat(timespec="seconds")
    previous = current.without_history() if current is not None else None
    return Champion(**{**candidate.without_history(), "promoted_at": stamp, "previous": previous})


def rolled_back(current: Champion | None, now: datetime | None = None) -> Champion:
    """The pointer after a rollback: the previous champion, which now remembers the one rolled back."""
    if current is None:
        raise NoChampion("no champion to roll back: no model has been promoted yet")
    if not current.previous:
        raise NothingToRollBack(f"champion version {current.version} has no previous version to roll back to")
    stamp = (now or datetime.now(UTC)).isoformat(timespec="seconds")
    back = Champion.from_dict(current.previous)
    return Champion(**{**back.without_history(), "promoted_at": stamp, "previous": current.without_history()})


def set_registry_champion(mlflow_client, model_name: str, version: str) -> str | None:
    """Points the MLflow alias `champion` at `version`; returns the version it pointed at before."""
    try:
        before = mlflow_client.get_model_version_by_alias(model_name, "champion").version
    except Exception:  # MlflowException (RESOURCE_DOES_NOT_EXIST) when no alias is set yet
        before = None
    mlflow_client.set_registered_model_alias(model_name, "champion", str(version))
    return before
