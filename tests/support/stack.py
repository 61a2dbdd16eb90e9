"""Helpers of the stack tests (imported by conftest.py and the test modules)."""

from __future__ import annotations

import importlib.util
import io
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from review_sentiment import aws

REPO_ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = REPO_ROOT / "functions"
CHAMPION_PARAMETER = "/review-sentiment/test/champion"
CONFIG_PARAMETER = "/review-sentiment/test/pipeline-config"
TRAINING = {"model_kinds": ["logreg"], "trials_per_kind": 1}  # local cloud runs: one kind, one trial


def load_handler(name: str):
    """functions/<name>/app.py as a fresh module, its folder's other modules fresh too and importable by
    name, as Lambda's task root makes them (module-level clients are created inside the mock)."""
    folder = FUNCTIONS / name
    module_name = f"stack_function_{name}"
    for sibling in [module_name, *(p.stem for p in folder.glob("*.py") if p.name != "app.py")]:
        sys.modules.pop(sibling, None)
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
    spec = importlib.util.spec_from_file_location(module_name, folder / "app.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


@dataclass(frozen=True)
class TinyModel:
    onnx: bytes
    test_texts: list[str]
    test_labels: np.ndarray
    test_macro_f1: float

    def test_split_parquet(self, review_ids: list[str] | None = None) -> bytes:
        """The test split as the preprocessing job writes it (reviewText, label, review_id if given)."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        buffer = io.BytesIO()
        columns = {"reviewText": self.test_texts, "label": self.test_labels.tolist()}
        table = pa.table(columns | ({"review_id": review_ids} if review_ids is not None else {}))
        pq.write_table(table, buffer)
        return buffer.getvalue()


def put_json(bucket: str, key: str, value: dict) -> None:
    aws.client("s3").put_object(Bucket=bucket, Key=key, Body=json.dumps(value).encode())


def training_result(
    kind: str, val: float, test: float, p99: float = 1.0, run_id: str = "run-1", **figures
) -> dict:
    """result.json as a training job writes it (modeling.selection.TrainingResult), model under models/."""
    root = f"s3://models/runs/{run_id}/{kind}/"
    result = {
        "model_kind": kind,
        "trial": 0,
        "params": {"C": 1.0},
        "n_trials": 1,
        "study_name": f"review-sentiment-{kind}-x",
        "val_macro_f1": val,
        "test_macro_f1": test,
        "test_accuracy": test,
        "test_rows": 444,
        "onnx_p50_ms": p99 / 2,
        "onnx_p99_ms": p99,
        "onnx_size_bytes": 1000,
        "parity_label_agreement": 1.0,
        "parity_max_prob_diff": 1e-6,
        "parity_rows": 454,
        "parity_passed": True,
        "onnx_uri": root + "model.onnx",
        "model_uri": f"runs:/abc/{kind}",
        "mlflow_run_id": "abc",
        "data_hash": "d" * 64,
        "prediction_profile_uri": root + "prediction_profile.json",
        "vader_test_macro_f1": 0.70,
        "vader_test_accuracy": 0.69,
        "output_uri": root,
        "data_uri": f"s3://processed/runs/{run_id}/processed/",
        "split_counts": {"test": {"rows": 444}},
        "training_wall_seconds": 1.0,
        "prediction_profile": {"rows": 444},
    }
    return {**result, **figures}


def run_plan(run_id: str = "run-1", kinds=("logreg", "mlp"), **thresholds) -> dict:
    """PrepareRun's output for a run on the test buckets (RunPlan as JSON); the behavioural gate is off
    (min_mft_pass_rate 0) and the latency budget 5 ms unless given."""
    from review_sentiment.config import Thresholds
    from review_sentiment.pipeline.plan import PipelineConfig, RunBuckets, RunRequest, plan_run

    request = RunRequest(raw_prefix="s3://raw/incoming/", model_kinds=list(kinds))
    limits = {"min_macro_f1": 0.5, "latency_budget_ms": 5.0, "min_mft_pass_rate": 0.0, **thresholds}
    config = PipelineConfig(thresholds=Thresholds(**limits))
    plan = plan_run(request, config, RunBuckets(processed="processed", models="models"), run_id)
    return plan.model_dump(mode="json")


def run_pipeline(stack, request: dict):
    """Starts one training pipeline execution and follows it to its end (execution.ExecutionResult)."""
    from review_sentiment.progress import Progress
    from stack import execution

    arn = execution.start_execution(stack["TrainingPipelineStateMachineArn"], request)
    return execution.follow(arn, Progress(), poll_s=2.0, timeout_s=1500)
