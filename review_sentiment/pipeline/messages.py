"""The messages between the training state machine's steps, one Pydantic model each.

The state machine (state_machine/training_pipeline.asl.json) passes them whole: PrepareRun returns the
`RunPlan`, each training job writes a `TrainingResult` (result.json) and the Map returns a
`TrainedKind` per job, SelectBest returns the `Selection`, Promote a `Promotion`. Each Lambda parses
its Payload (`*Event`) at the edge with powertools' `event_parser`. Pydantic only: every pipeline Lambda
imports this module.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

from review_sentiment.modeling.selection import Candidate, Gate, Promotion
from review_sentiment.pipeline.plan import RunPlan


class TrainedKind(BaseModel):
    """One item the TrainModels Map returns (its RecordKindTrained / RecordKindFailed states)."""

    model_kind: str
    output_uri: str  # where the job writes result.json and model.onnx
    status: Literal["SUCCEEDED", "FAILED"]
    batch_job_id: str | None = None
    error: str | None = None  # a failed job: Step Functions' error name and cause (the Batch job as JSON)
    cause: str | None = None


class FailedKind(BaseModel):
    """A kind that produced no model, with a one-line reason."""

    model_kind: str
    error: str
    cause: str


class Baseline(BaseModel):
    """VADER (modeling.baseline) on the run's test rows, as the training jobs reported it."""

    model_kind: str = "VADER (lexicon)"
    test_macro_f1: float
    test_accuracy: float
    test_rows: int


class ChampionComparison(BaseModel):
    """The serving champion, scored on this run's test rows where it could be."""

    version: str
    model_kind: str
    test_macro_f1_when_promoted: float
    test_macro_f1_same_split: (
        float | None
    )  # the score the gate compares (the recorded one if re-scoring failed)
    note: str  # how it was scored


class Selection(BaseModel):
    """What SelectBest returns: the chosen candidate, every candidate, and the promotion gate's verdict."""

    best: Candidate
    candidates: list[Candidate]  # best validation macro-F1 first
    failed_kinds: list[FailedKind]
    baseline: Baseline
    behaviour: dict[str, Any]  # modeling.behaviour's report on the chosen graph, or {"error": ...}
    champion: ChampionComparison | None
    gate: Gate


class PrepareRunEvent(BaseModel):
    """PrepareRun's Payload: the execution input as it came (any JSON: RunRequest.parse checks it)."""

    request: Any = None
    execution_name: str
    started_at: str | None = None


class SelectBestEvent(BaseModel):
    run: RunPlan
    training: list[TrainedKind]


class PromoteEvent(BaseModel):
    """Promote's and RegisterChallenger's Payload: the gate's verdict in `selection` decides which."""

    run: RunPlan
    selection: Selection


class RecordOutcomeEvent(BaseModel):
    decision: Literal["promoted", "champion_kept"]
    run: RunPlan
    selection: Selection
    promotion: Promotion | None = None  # decision promoted
    registration: Promotion | None = None  # decision champion_kept: the challenger's version


class RecordFailureEvent(BaseModel):
    """RecordFailure's Payload: whatever state the failing step left (`input`), the execution's name."""

    input: Any = None
    execution_name: str = "unknown"
