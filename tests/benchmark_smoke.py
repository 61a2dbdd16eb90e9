"""The benchmarks' smoke runs (`benchmarks/bench_*.py --quick`) for tests/test_benchmarks.py and the stack
tests: which exist, with what arguments, and a runner that runs them one at a time in the background.

The runner lets the runs overlap tests that mostly wait: the stack tests start every run before the drift
tests (which spend minutes waiting for their windows) and tests/test_benchmarks.py collects the results
at the end; run alone, each test starts its own run and waits for it. Runs are niced, so the tests in
the foreground keep the processor first.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BENCHMARKS = REPO / "benchmarks"
TIMEOUT_S = 900

# (script, a line of its report's end: the run got there)
ON_THEIR_OWN = [  # no local cloud, or their own (bench_local_cloud times LocalStack's start;
    # bench_inference_api maps a runtime to this interpreter when it starts one)
    ("bench_onnx_vs_sklearn.py", "onnxruntime single-row p99 is"),
    ("bench_drift.py", "3. detection delay"),
    ("bench_transformer.py", "transformer test macro-F1"),
    ("bench_local_cloud.py", "warm Lambda API overhead p50"),
    ("bench_inference_api.py", "first request end to end (max)"),
    ("bench_domain_shift.py", "reference test split: macro-F1"),
]
ON_THE_SESSION_CLOUD = [  # given the test session's local cloud (--endpoint-url)
    ("bench_exporter.py", "scrape time 50 / 10 series"),
    ("bench_glue_local.py", "through Batch"),
    ("bench_preprocess.py", "Glue overhead"),
]
PIPELINE = ("bench_pipeline.py", "local cloud overhead over the direct run")  # + the main job's execution


def _nice() -> None:
    os.nice(10)


class QuickRuns:
    """Smoke runs in a background thread, one at a time, in the order they were started."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bench-smoke")
        self._runs: dict[str, Future] = {}
        self._current: subprocess.Popen | None = None

    def start(self, script: str, *args: str) -> None:
        if script not in self._runs:
            self._runs[script] = self._pool.submit(self._run, script, *args)

    def start_all(self, endpoint_url: str) -> None:
        """Every run that needs no execution of the stack (bench_pipeline's is started by its test)."""
        for script, _ in ON_THEIR_OWN:
            self.start(script)
        for script, _ in ON_THE_SESSION_CLOUD:
            self.start(script, "--endpoint-url", endpoint_url)

    def result(self, script: str, *args: str) -> subprocess.CompletedProcess:
        """The run of `script` (started now with `args` if it was not), once it has ended."""
        self.start(script, *args)
        return self._runs[script].result()

    def close(self) -> None:
        """Cancels the runs not started; interrupts a running one (it stops the local cloud it started)."""
        for run in self._runs.values():
            run.cancel()
        if (process := self._current) is not None and process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
        self._pool.shutdown(wait=True)

    def _run(self, script: str, *args: str) -> subprocess.CompletedProcess:
        """`benchmarks/<script> --quick <args>` to its end, output captured, without a test's AWS settings."""
        command = [sys.executable, str(BENCHMARKS / script), "--quick", *args]
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        self._current = process = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            preexec_fn=_nice,
        )  # fmt: skip
        try:
            out, err = process.communicate(timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGINT)
            out, err = process.communicate()
            err = f"{err}\ntimed out after {TIMEOUT_S} s"
        return subprocess.CompletedProcess(command, process.returncode, out, err)


def check(result: subprocess.CompletedProcess, script: str, last_line: str) -> None:
    """Asserts that the run ended well and reached the end of its report; prints its output."""
    print(result.stdout)
    assert result.returncode == 0, (
        f"{script} --quick exited {result.returncode}\n{result.stdout[-3000:]}\n{result.stderr[-4000:]}"
    )
    assert last_line in result.stdout, f"{script} --quick did not print {last_line!r}"
