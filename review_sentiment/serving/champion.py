"""The champion pointer: which model version serves, kept as JSON in one SSM parameter.

The MLflow registry alias `champion` is the record of truth for people; the SSM pointer is what the
serving path reads (one cheap GetParameter, no MLflow client in the inference Lambda). Promotion
and rollback write both, through `modeling.promotion.promote`. The pointer carries the previous
champion so a rollback needs no search. The parameter is written by promotion only (not declared in
the template), so a stack update can never reset which model serves.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from typing import Any


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
    # why it was promoted: the run's trigger and run id, and for a drift-triggered run the drift report
    # of the window that started it (None: promoted before this was recorded, or by hand)
    promoted_by: dict | None = field(default=None, compare=False)
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


@dataclass(frozen=True)
class ChampionPointer:
    """The SSM parameter `parameter_name` that names the serving champion (`ssm`: a boto3 SSM client)."""

    ssm: Any
    parameter_name: str

    def read(self) -> Champion | None:
        return read_champion(self.ssm, self.parameter_name)

    def write(self, champion: Champion) -> None:
        write_champion(self.ssm, self.parameter_name, champion)


def promoted(candidate: Champion, current: Champion | None, now: datetime | None = None) -> Champion:
    """The new pointer: the candidate, remembering the current champion (one level) for rollback."""
    stamp = (now or datetime.now(UTC)).isoformat(timespec="seconds")
    previous = current.without_history() if current is not None else None
    return Champion(**{**candidate.without_history(), "promoted_at": stamp, "previous": previous})


def previous_champion(current: Champion | None) -> Champion:
    """The champion before `current`, the one a rollback serves again; NoChampion when nothing was
    promoted, NothingToRollBack when `current` remembers no previous version."""
    if current is None:
        raise NoChampion("no champion to roll back: no model has been promoted yet")
    if not current.previous:
        raise NothingToRollBack(f"champion version {current.version} has no previous version to roll back to")
    return Champion.from_dict(current.previous)


def rolled_back(current: Champion | None, now: datetime | None = None) -> Champion:
    """The pointer after a rollback: the previous champion, which now remembers the one rolled back."""
    return promoted(previous_champion(current), current, now)
