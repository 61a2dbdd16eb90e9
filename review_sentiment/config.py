"""Settings for the ML core, read from `SENTIMENT_*` environment variables, and the promotion gate's
`Thresholds`, which the deployed pipeline's configuration (`pipeline.plan.PipelineConfig`) embeds too.

Loading settings has no side effects: no directory is created and MLflow/Optuna are not configured
here. Callers that write state call `Settings.ensure_state_dir()` first.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

ENV_PREFIX = "SENTIMENT_"
REPO_ROOT = Path(__file__).resolve().parent.parent


class SettingsError(ValueError):
    """An environment variable holds a value that cannot be used; the message says which and why."""


def _default_state_dir() -> Path:
    return REPO_ROOT / ".state"


class Thresholds(BaseModel):
    """What a model must reach to be chosen and promoted (`modeling.selection.decide` applies them).

    One definition for the local pipeline (`Settings.thresholds`, each field from `SENTIMENT_<FIELD>`)
    and the deployed one (`PipelineConfig.thresholds`, from the template's parameters).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    # Selection: the chosen model's ONNX single-row p99 latency (milliseconds) must stay under this.
    latency_budget_ms: float = Field(default=50.0, gt=0.0)
    # The least test macro-F1 a challenger needs to be promoted, whatever the champion scores.
    min_macro_f1: float = Field(default=0.6, ge=0.0, le=1.0)
    # A challenger replaces the champion when its test macro-F1 on the same rows is at least this much better.
    min_improvement: float = Field(default=0.0, ge=0.0, le=1.0)
    # The least share of the behavioural minimum-functionality cases the challenger must pass.
    min_mft_pass_rate: float = Field(default=1.0, ge=0.0, le=1.0)
    # Both worlds (selection.decide): with at least this many labelled rows of recent traffic in the test
    # split (the labelled captures, monitoring.labelled), the challenger must beat the champion on them...
    min_recent_rows: int = Field(default=30, ge=1)
    # ...and may fall at most this far (macro-F1 points) below it on the rest, the reference rows.
    reference_tolerance: float = Field(default=0.01, ge=0.0, le=1.0)


@dataclass(frozen=True)
class Settings:
    """Every tunable of the ML core. Each field `x` is read from `SENTIMENT_X` when set."""

    state_dir: Path = field(default_factory=_default_state_dir)
    # Empty means "a SQLite file under state_dir"; any SQLAlchemy URL (postgresql://...) works too.
    mlflow_tracking_uri: str = ""
    optuna_storage_url: str = ""
    # Where MLflow stores run artifacts (ONNX models, model cards); empty means state_dir/mlflow-artifacts.
    mlflow_artifact_root: str = ""
    mlflow_experiment: str = "review-sentiment"
    registered_model_name: str = "review-sentiment"
    # Validation: a batch whose share of quarantined rows exceeds this is rejected.
    max_bad_fraction: float = 0.05
    max_text_chars: int = 32_768
    # The promotion gate; each field from SENTIMENT_<FIELD> (SENTIMENT_LATENCY_BUDGET_MS, ...).
    thresholds: Thresholds = field(default_factory=Thresholds)
    seed: int = 42
    trials_per_kind: int = 4
    # Empty: every kind (review_sentiment.modeling.families.MODEL_KINDS, which checks the names).
    model_kinds: tuple[str, ...] = ()
    # Parity gate between sklearn and onnxruntime on held-out rows.
    parity_min_label_agreement: float = 0.995
    parity_max_prob_diff: float = 0.05
    # Rows used to time single-row ONNX inference during HPO and in the final report.
    latency_rows: int = 200
    # The transformer kind: wall-clock budget of its whole study (seconds; a fit stops at the budget after
    # its current batch), training rows used (0 = all), and int8 quantisation kept only if it passes the
    # parity gate and loses at most int8_max_f1_loss validation macro-F1.
    transformer_time_budget_s: float = 900.0
    transformer_max_train_rows: int = 0
    int8_quantization: bool = True
    int8_max_f1_loss: float = 0.01

    @property
    def resolved_mlflow_tracking_uri(self) -> str:
        return sqlalchemy_url(self.mlflow_tracking_uri) or f"sqlite:///{self.state_dir / 'mlflow.db'}"

    @property
    def resolved_mlflow_artifact_root(self) -> str:
        return self.mlflow_artifact_root or (self.state_dir / "mlflow-artifacts").as_uri()

    @property
    def resolved_optuna_storage_url(self) -> str:
        return sqlalchemy_url(self.optuna_storage_url) or f"sqlite:///{self.state_dir / 'optuna.db'}"

    @property
    def artifacts_dir(self) -> Path:
        return self.state_dir / "artifacts"

    def ensure_state_dir(self) -> Path:
        self.artifacts_dir.mkdir(parents=True, exist_ok=True)
        return self.state_dir

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides) -> Settings:
        """Settings from `SENTIMENT_*` variables (and explicit overrides, which win)."""
        environ = os.environ if environ is None else environ
        values = {}
        for f in fields(cls):
            raw = environ.get(ENV_PREFIX + f.name.upper())
            if raw is None or f.name in overrides or f.name == "thresholds":
                continue
            values[f.name] = _parse(f.name, f.type, raw)
        if "thresholds" not in overrides:
            values["thresholds"] = _thresholds(environ)
        values.update(overrides)
        settings = cls(**values)
        settings.check()
        return settings

    def check(self) -> None:
        if not 0.0 <= self.max_bad_fraction <= 1.0:
            raise SettingsError(
                f"{ENV_PREFIX}MAX_BAD_FRACTION must be within 0..1, got {self.max_bad_fraction}"
            )
        if self.transformer_time_budget_s <= 0:
            raise SettingsError(
                f"{ENV_PREFIX}TRANSFORMER_TIME_BUDGET_S must be positive, "
                f"got {self.transformer_time_budget_s}"
            )
        if self.trials_per_kind < 1:
            raise SettingsError(f"{ENV_PREFIX}TRIALS_PER_KIND must be at least 1, got {self.trials_per_kind}")


def sqlalchemy_url(url: str) -> str:
    """`postgresql://` names the installed driver explicitly: SQLAlchemy 2.1 otherwise picks psycopg 3,
    while the environment ships psycopg2."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg2://" + url[len(prefix) :]
    return url


def _thresholds(environ: Mapping[str, str]) -> Thresholds:
    """Thresholds from SENTIMENT_<FIELD> variables; SettingsError names the variable that is wrong."""
    names = {name: ENV_PREFIX + name.upper() for name in Thresholds.model_fields}
    try:
        return Thresholds(**{name: environ[var] for name, var in names.items() if var in environ})
    except ValidationError as exc:
        error = exc.errors()[0]
        raise SettingsError(f"{names[error['loc'][0]]}={error['input']!r}: {error['msg']}") from None


def _parse(name: str, type_name: str, raw: str):
    try:
        if type_name == "Path":
            return Path(raw).expanduser()
        if type_name == "int":
            return int(raw)
        if type_name == "float":
            return float(raw)
        if type_name == "bool":
            if raw.strip().lower() not in ("1", "0", "true", "false", "yes", "no"):
                raise ValueError(raw)
            return raw.strip().lower() in ("1", "true", "yes")
        if type_name.startswith("tuple"):
            return tuple(part.strip() for part in raw.split(",") if part.strip())
        return raw
    except ValueError:
        raise SettingsError(f"{ENV_PREFIX}{name.upper()}={raw!r} is not a valid {type_name}") from None
