"""Smoke runs of the benchmarks: each `benchmarks/bench_*.py --quick` must complete, so that a change that
breaks one shows the day it lands. Their figures are printed (`pytest -s` shows them), never asserted:
speed is measured by the benchmarks themselves, in full runs. The ones that need a local cloud use the
test session's, except bench_local_cloud (it times LocalStack's start) and bench_inference_api (it maps
a runtime to this interpreter when it starts its own). bench_pipeline reads the session's main job, so
its smoke run is with the stack tests (tests/stack/test_stack_local_cloud_benchmark.py).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BENCHMARKS = REPO / "benchmarks"


def run_quick(script: str, *args: str, timeout_s: float = 900) -> str:
    """Runs `benchmarks/<script> --quick <args>`; its output, or a failure with the end of it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}  # nothing of a test's cloud
    result = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), "--quick", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout_s,
    )
    print(result.stdout)
    assert result.returncode == 0, (
        f"{script} --quick exited {result.returncode}\n{result.stdout[-3000:]}\n{result.stderr[-4000:]}"
    )
    return result.stdout


# (script, a line of the report's end: the run got there)
ON_THEIR_OWN = [
    ("bench_onnx_vs_sklearn.py", "onnxruntime single-row p99 is"),
    ("bench_drift.py", "3. detection delay"),
    ("bench_transformer.py", "transformer test macro-F1"),
    ("bench_local_cloud.py", "warm Lambda API overhead p50"),
    ("bench_inference_api.py", "first request end to end (max)"),
]
ON_THE_SESSION_CLOUD = [
    ("bench_exporter.py", "scrape time 50 / 10 series"),
    ("bench_glue_local.py", "through Batch"),
    ("bench_preprocess.py", "Glue overhead"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("script", "last_line"), ON_THEIR_OWN, ids=[s for s, _ in ON_THEIR_OWN])
def test_benchmark_completes_in_quick_mode(script, last_line):
    assert last_line in run_quick(script)


@pytest.mark.slow
@pytest.mark.localcloud
@pytest.mark.parametrize(
    ("script", "last_line"), ON_THE_SESSION_CLOUD, ids=[s for s, _ in ON_THE_SESSION_CLOUD]
)
def test_benchmark_completes_in_quick_mode_on_the_session_cloud(script, last_line, local_cloud):
    assert last_line in run_quick(script, "--endpoint-url", local_cloud.endpoint_url)


def test_every_benchmark_has_a_smoke_run():
    smoked = {s for s, _ in ON_THEIR_OWN + ON_THE_SESSION_CLOUD} | {"bench_pipeline.py"}
    assert {p.name for p in BENCHMARKS.glob("bench_*.py")} == smoked
