"""The model kinds and the family that trains each: the one place a new kind is named.

A family knows how to search, fit, score and export its kinds (`ModelFamily`); tuning, training and
export call it and never ask which kind they hold. `FAMILIES` names, for each kind, the module that
implements its family; the module is imported on first use only, so what reads the kind names (the
execution input's validation in the PrepareRun Lambda, the command lines) loads neither scikit-learn
nor torch.
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

Params = dict[str, Any]

# kind -> the module whose `family(kind)` returns its ModelFamily
FAMILIES: dict[str, str] = {
    "logreg": "review_sentiment.modeling.sklearn_family",
    "random_forest": "review_sentiment.modeling.sklearn_family",
    "hist_gradient_boosting": "review_sentiment.modeling.sklearn_family",
    "mlp": "review_sentiment.modeling.sklearn_family",
    "transformer": "review_sentiment.modeling.transformer",
}
MODEL_KINDS: tuple[str, ...] = tuple(FAMILIES)


def check_kinds(kinds: Iterable[str]) -> tuple[str, ...]:
    """The kinds asked for, or every kind when none are; ValueError naming the unknown ones."""
    kinds = tuple(kinds) or MODEL_KINDS
    unknown = [k for k in kinds if k not in FAMILIES]
    if unknown:
        raise ValueError(f"unknown model kind(s) {unknown}; choose from {list(MODEL_KINDS)}")
    return kinds


def family(kind: str) -> ModelFamily:
    """The family of `kind` (imports scikit-learn or torch); ValueError for an unknown kind."""
    check_kinds([kind])
    return importlib.import_module(FAMILIES[kind]).family(kind)


class ModelFamily(ABC):
    """How one kind is searched (Optuna), fitted, scored and exported to the ONNX graph serving loads
    (outputs `label` [N] and `probabilities` [N, 2], as every kind's).

    `fit(params, splits, settings, deadline, progress)` returns the family's own fitted model (a
    scikit-learn Pipeline, a fine-tuned encoder) from `splits.train` (data.datasets.BinarySplits),
    stopping at `deadline` (time.monotonic()) where it can; the other methods take that model back.
    `to_onnx` is its graph as the search scores it; `export` the graph to ship with its
    onnx_export.ParityReport and the family's own figures, refused with ParityError unless it passes the
    parity gate on the test split plus the normalisation probes. `trial_metrics` are figures recorded
    beside a trial's objectives; `complexity` a size independent of serialisation.
    """

    # Single-row latency during the search: warm-up calls, then each text's fastest of `latency_repeats`.
    latency_warmup: int = 10
    latency_repeats: int = 3

    def __init__(self, kind: str):
        self.kind = kind

    @property
    @abstractmethod
    def default_params(self) -> Params:
        """The trial every new study runs first, so that even one trial gives a usable model."""

    @abstractmethod
    def search_space(self, trial: Any) -> Params: ...

    @abstractmethod
    def fit(
        self,
        params: Params,
        splits: Any,
        settings: Any,
        deadline: float | None = None,
        progress: Callable[[str], None] | None = None,
    ) -> Any: ...

    @abstractmethod
    def to_onnx(self, fitted: Any, metadata: dict[str, str] | None = None) -> bytes: ...

    @abstractmethod
    def complexity(self, fitted: Any) -> int: ...

    def trial_metrics(self, fitted: Any, served: Any, texts: list[str], settings: Any) -> dict[str, float]:
        return {}

    @abstractmethod
    def export(
        self, fitted: Any, splits: Any, settings: Any, metadata: dict[str, str], output_dir: Path, progress
    ) -> tuple[bytes, Any, dict]: ...

    def study_budget_s(self, settings: Any) -> float | None:
        """Wall-clock budget of the kind's whole study (seconds), or None for none."""
        return None
