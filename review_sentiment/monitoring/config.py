"""The drift monitor's configuration: one JSON object (the stack's SSM parameter), validated once.

Thresholds (PSI conventions, Siddiqi 2006): a feature or the prediction distribution warns from
`warn` (0.1) and acts from `act` (0.25); the text score (Jensen-Shannon distance, a different scale,
see monitoring.text_drift) has its own pair. The window decision is the worst of them.

`min_window_rows` (default 500): with B bins and N rows, N x PSI of an unchanged distribution is
about chi-squared with B-1 degrees of freedom (PSI is the Jeffreys divergence, close to the
chi-squared divergence for small differences), so its expected value is about (B-1)/N: 0.09 for 10
bins and 100 rows, right at the warn threshold; at 300 rows the 99.95th percentile of chi2(9)/300 is
0.10. Real windows are noisier than that (the reference is a sample too, and reviews come in clusters
of one product): benchmarks/bench_drift.py measured held-out windows flagged in 15% of windows of 300
rows, 3-4% of 500 and none of 1,000, hence 500. Below the minimum a window is answered
"insufficient_data" and nothing is decided.
"""

from __future__ import annotations

import json

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from review_sentiment.monitoring.drift import ACT, DEFAULT_MIN_ROWS, EPSILON, WARN
from review_sentiment.monitoring.text_drift import TEXT_ACT, TEXT_WARN


class InvalidDriftConfig(ValueError):
    """The drift configuration breaks its contract; the message names each field and why."""


class DriftConfig(BaseModel):
    """Every tunable of the drift monitor (units in the field names)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    warn: float = Field(default=WARN, gt=0, description="PSI from which a feature or prediction warns")
    act: float = Field(default=ACT, gt=0, description="PSI from which a feature or prediction acts")
    text_warn: float = Field(default=TEXT_WARN, gt=0, le=1, description="JS distance: text warns")
    text_act: float = Field(default=TEXT_ACT, gt=0, le=1, description="JS distance: text acts")
    epsilon: float = Field(default=EPSILON, gt=0, lt=0.01, description="floor of an empty bin's share")
    min_window_rows: int = Field(default=DEFAULT_MIN_ROWS, ge=1, description="below: insufficient data")
    window_minutes: int = Field(default=60, ge=1, le=7 * 24 * 60, description="tumbling window length")
    delay_minutes: int = Field(default=0, ge=0, le=24 * 60, description="wait for late capture")
    consecutive_windows: int = Field(default=1, ge=1, le=100, description="act windows in a row to retrain")
    cooldown_minutes: int = Field(default=24 * 60, ge=0, description="no drift retraining this soon again")
    retrain_on_warn: bool = Field(default=False, description="retrain on warn too (default: act only)")
    # Live model quality (monitoring.quality): the served model's macro-F1 on rated requests, against the
    # champion's test macro-F1. 200 labelled rows give a 95% interval about +/-0.05 wide at F1 0.85.
    min_labelled_rows: int = Field(default=200, ge=1, description="below: insufficient labels")
    quality_warn_drop: float = Field(default=0.05, gt=0, le=1, description="macro-F1 points below: warns")
    quality_act_drop: float = Field(default=0.10, gt=0, le=1, description="macro-F1 points below: acts")

    @model_validator(mode="after")
    def _ordered(self) -> DriftConfig:
        if (
            self.act < self.warn
            or self.text_act < self.text_warn
            or self.quality_act_drop < self.quality_warn_drop
        ):
            raise ValueError("each act threshold must be at least its warn threshold")
        return self

    @classmethod
    def parse(cls, payload: object) -> DriftConfig:
        """From a dict or a JSON string; InvalidDriftConfig with one reason per broken field."""
        try:
            if isinstance(payload, str | bytes):
                payload = json.loads(payload or "{}")
            return cls.model_validate(payload or {})
        except json.JSONDecodeError as exc:
            raise InvalidDriftConfig(f"drift configuration is not JSON: {exc}") from None
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or 'config'}: {err['msg']}" for err in exc.errors()
            )
            raise InvalidDriftConfig(f"invalid drift configuration: {problems}") from None
