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
    """How one kind is searched (Optuna), fitted, scored and exported to the ONNX graph serving loads.

    `fit` returns the family's own fitted model (a scikit-learn Pipeline, a fine-tuned encoder); the
    other methods take it back. Every graph has the outputs `label` [N] and `probabilities` [N, 2].
    """

    # Single-row latency of the graph during the search: warm-up calls, then each text's fastest of
    # `latency_repeats` calls (onnx_export.single_row_latency_ms).
    latency_warmup: int = 10
    latency_repeats: int = 3

    def __init__(self, kind: str):
        self.kind = kind

    @property
    @abstractmethod
    def default_params(self) -> Params:
        """The trial every new study runs first, so that even one trial gives a usable model."""

    @abstractmethod
    def search_space(self, trial: Any) -> Params:
        """One configuration drawn from the Optuna `trial`."""

    @abstractmethod
    def fit(
        self,
        params: Params,
        splits: Any,
        settings: Any,
        deadline: float | None = None,
        progress: Callable[[str], None] | None = None,
    ) -> Any:
        """The model fitted on `splits.train` (data.datasets.BinarySplits); stops at `deadline`
        (time.monotonic()) where the family can."""

    @abstractmethod
    def to_onnx(self, fitted: Any, metadata: dict[str, str] | None = None) -> bytes:
        """The serving graph of `fitted` (no parity gate: the search scores this graph)."""

    @abstractmethod
    def complexity(self, fitted: Any) -> int:
        """A size measure independent of serialisation (learned parameters, tree nodes)."""

    def trial_metrics(self, fitted: Any, served: Any, texts: list[str], settings: Any) -> dict[str, float]:
        """Figures recorded beside a trial's objectives (served: the graph, loaded by onnxruntime)."""
        return {}

    @abstractmethod
    def export(
        self,
        fitted: Any,
        splits: Any,
        settings: Any,
        metadata: dict[str, str],
        output_dir: Path,
        progress: Callable[[str], None],
    ) -> tuple[bytes, Any, dict]:
        """(graph, onnx_export.ParityReport, extra figures for the result) of the model to ship; the graph
        must pass the parity gate on the test split plus the normalisation probes, else ParityError."""

    def study_budget_s(self, settings: Any) -> float | None:
        """Wall-clock budget of the kind's whole study (seconds), or None for none."""
        return None
