"""Promotion: the one way the champion moves, for the Promote Lambda, the local pipeline and rollback.

The MLflow registry alias `champion` (the record people read) and, where a stack serves, the SSM
champion pointer (what the inference function reads, `serving.champion`) always move together, and
the pointer remembers the champion before it. What moves is decided before (`selection.decide`).
mlflow-skinny only (`registry`): rollback and the Promote Lambda import no ONNX, Optuna or scikit-learn.
"""

from __future__ import annotations

import math

from review_sentiment.modeling import registry
from review_sentiment.modeling.registry import CHALLENGER, CHAMPION
from review_sentiment.modeling.selection import RESULT_METRICS, Candidate, Gate, Promotion
from review_sentiment.serving.champion import Champion, ChampionPointer, previous_champion, promoted


def champion_entry(
    candidate: Candidate,
    model_name: str,
    version: str,
    run_id: str,
    feature_profile_uri: str = "",
    promoted_by: dict | None = None,
) -> Champion:
    """The pointer entry of a registered candidate, with its model card's figures (finite ones only:
    the pointer is JSON) and why it was promoted (`promoted_by`: trigger, run id, drift report)."""
    figures = candidate.model_dump()
    return Champion(
        model_name=model_name,
        version=version,
        model_kind=candidate.model_kind,
        model_uri=candidate.onnx_uri,
        test_macro_f1=candidate.test_macro_f1,
        run_id=run_id,
        mlflow_run_id=candidate.mlflow_run_id,
        feature_profile_uri=feature_profile_uri,
        prediction_profile_uri=candidate.prediction_profile_uri,
        metrics={k: float(figures[k]) for k in RESULT_METRICS if math.isfinite(figures[k])},
        promoted_by=promoted_by,
    )


def promote(champion: Champion, pointer: ChampionPointer | None = None) -> Promotion:
    """Makes `champion` (a registered version) the one that serves: the registry alias `champion` and the
    `pointer` (when a stack serves) move to it, the pointer remembering the champion before."""
    before = registry.alias_version(champion.model_name, CHAMPION)
    registry.set_alias(champion.model_name, CHAMPION, champion.version)
    if pointer is not None:
        pointer.write(promoted(champion, pointer.read()))
    return Promotion(
        registered_model=champion.model_name,
        version=champion.version,
        alias=CHAMPION,
        previous_version=before,
        model_uri=champion.model_uri,
        champion_parameter=pointer.parameter_name if pointer is not None else None,
    )


def register_and_promote(
    candidate: Candidate,
    gate: Gate,
    model_name: str,
    run_id: str,
    feature_profile_uri: str = "",
    pointer: ChampionPointer | None = None,
    promoted_by: dict | None = None,
) -> Promotion:
    """Registers `candidate` as a new version of `model_name`; promotes it when `gate` passed (no
    challenger is left pending then), else points the alias `challenger` at it and the champion keeps
    serving. `promoted_by` is recorded in the pointer. Raises MlflowException when the registry refuses."""
    version = registry.register(
        candidate.model_uri,
        model_name,
        tags={
            "model_kind": candidate.model_kind,
            "run_id": run_id,
            "test_macro_f1": f"{candidate.test_macro_f1:.4f}",
            "onnx_uri": candidate.onnx_uri,
            "data_hash": candidate.data_hash,
        },
    )
    if not gate.passed:
        registry.set_alias(model_name, CHALLENGER, version)
        return Promotion(registered_model=model_name, version=version, alias=CHALLENGER)
    registry.delete_alias(model_name, CHALLENGER)
    entry = champion_entry(candidate, model_name, version, run_id, feature_profile_uri, promoted_by)
    return promote(entry, pointer)


def rollback(pointer: ChampionPointer) -> tuple[Champion, Champion]:
    """Serves the previous champion again (alias and pointer); (champion before, champion after).
    Raises NoChampion / NothingToRollBack (serving.champion) with a clear message."""
    current = pointer.read()
    promote(previous_champion(current), pointer)
    return current, pointer.read()
