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


@dataclass
class FakeLambdaContext:
    function_name: str = "test"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:test"
    aws_request_id: str = "da658bd3-2d6f-4e7b-8ec9-937234644fdc"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 30_000


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
