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
    """functions/<name>/app.py as a fresh module (module-level clients are created inside the mock)."""
    module_name = f"stack_function_{name}"
    sys.modules.pop(module_name, None)
    spec = importlib.util.spec_from_file_location(module_name, FUNCTIONS / name / "app.py")
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

    def test_split_parquet(self) -> bytes:
        import pyarrow as pa
        import pyarrow.parquet as pq

        buffer = io.BytesIO()
        table = pa.table({"reviewText": self.test_texts, "label": self.test_labels.tolist()})
        pq.write_table(table, buffer)
        return buffer.getvalue()


def put_json(bucket: str, key: str, value: dict) -> None:
    aws.client("s3").put_object(Bucket=bucket, Key=key, Body=json.dumps(value).encode())


def run_pipeline(stack, request: dict):
    """Starts one training pipeline execution and follows it to its end (execution.ExecutionResult)."""
    from review_sentiment.progress import Progress
    from stack import execution

    arn = execution.start_execution(stack["TrainingPipelineStateMachineArn"], request)
    return execution.follow(arn, Progress(), poll_s=2.0, timeout_s=1500)
