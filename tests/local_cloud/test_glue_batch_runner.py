"""The local job runner behind Glue and Batch, without LocalStack: the concurrency-limited queue, timeouts,
stops, the error message of a failed script, and the environment contract of a job process."""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

import pytest

from local_cloud.processes import alive

# the plugins package lives in LocalStack's environment; its jobs/ modules are plain Python
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "local_cloud" / "plugins"))

from local_cloud_plugins.jobs.config import ENV_MAX_CONCURRENT, JobsConfig
from local_cloud_plugins.jobs.environment import base_environment, map_interpreter
from local_cloud_plugins.jobs.runner import (
    JobQueue,
    JobResult,
    JobSetupError,
    Outcome,
    ProcessSpec,
)
from local_cloud_plugins.jobs.tracebacks import ErrorLineTracker


class ListSink:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.lock = threading.Lock()

    def write(self, line: str) -> None:
        with self.lock:
            self.lines.append(line)

    def flush(self) -> None:
        pass


class FakeJob:
    """A LocalJob running `python -c <code>` that records when it started and ended."""

    def __init__(self, code: str, timeout: float | None = None, setup_error: str | None = None) -> None:
        self.name = "fake"
        self.code = code
        self.timeout = timeout
        self.setup_error = setup_error
        self.stdout, self.stderr = ListSink(), ListSink()
        self.started_at: float | None = None
        self.finished_at: float | None = None
        self.result: JobResult | None = None
        self.done = threading.Event()

    def prepare(self) -> ProcessSpec:
        if self.setup_error:
            raise JobSetupError(self.setup_error)
        return ProcessSpec(
            argv=[sys.executable, "-c", self.code],
            env={"PATH": os.environ["PATH"], "PYTHONUNBUFFERED": "1"},
            cwd=str(Path.cwd()),
            timeout_seconds=self.timeout,
            stdout=self.stdout,
            stderr=self.stderr,
        )

    def on_start(self) -> None:
        self.started_at = time.monotonic()

    def on_finish(self, result: JobResult) -> None:
        self.finished_at = time.monotonic()
        self.result = result
        self.done.set()

    def wait(self, timeout: float = 30) -> JobResult:
        assert self.done.wait(timeout), "the job did not finish"
        return self.result


@pytest.fixture
def make_queue():
    queues: list[JobQueue] = []

    def make(limit: int) -> JobQueue:
        queues.append(JobQueue(limit, stop_grace_seconds=2))
        return queues[-1]

    yield make
    for q in queues:
        q.shutdown()


def max_overlap(jobs: list[FakeJob]) -> int:
    edges = sorted([(j.started_at, 1) for j in jobs] + [(j.finished_at, -1) for j in jobs])
    running = peak = 0
    for _, step in edges:
        running += step
        peak = max(peak, running)
    return peak


def test_queue_runs_at_most_the_limit_at_once(make_queue, tmp_path):
    # GIVEN a limit of 2 WHEN five jobs are submitted at once, each of which marks its start and then
    # waits until two jobs have started (so the first two can only end by running side by side)
    queue = make_queue(2)
    code = (
        "import pathlib, sys, time, uuid\n"
        f"marks = pathlib.Path({str(tmp_path)!r})\n"
        "(marks / uuid.uuid4().hex).touch()\n"
        "deadline = time.monotonic() + 60\n"
        "while len(list(marks.iterdir())) < 2:\n"
        "    if time.monotonic() > deadline:\n"
        "        sys.exit('no second job started')\n"
        "    time.sleep(0.02)\n"
    )
    jobs = [FakeJob(code) for _ in range(5)]
    for job in jobs:
        queue.submit(job)
    results = [job.wait(timeout=120) for job in jobs]
    # THEN all succeed, two ran side by side, never three
    assert [r.outcome for r in results] == [Outcome.SUCCEEDED] * 5, [r.error_message for r in results]
    assert max_overlap(jobs) == 2


def test_failed_script_reports_the_exception_line_and_its_output(make_queue):
    code = "print('working'); import sys; print('log after', file=sys.stderr) or 1/0"
    job = FakeJob(code)
    make_queue(1).submit(job)
    result = job.wait()
    assert result.outcome is Outcome.FAILED and result.exit_code == 1
    assert result.error_message == "ZeroDivisionError: division by zero"
    assert job.stdout.lines == ["working"]
    assert "Traceback (most recent call last):" in job.stderr.lines


def test_timeout_terminates_the_process_tree(make_queue):
    # GIVEN a job that starts a child process and sleeps 60 s, with a 1 s timeout
    code = (
        "import subprocess, time\n"
        "child = subprocess.Popen(['sleep', '60'])\n"
        "print('child', child.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    job = FakeJob(code, timeout=1)
    make_queue(1).submit(job)
    result = job.wait(timeout=50)  # it would only end by itself after 60 s
    # THEN it is reported as timed out, killed by SIGTERM (128 + 15), its child with it
    assert result.outcome is Outcome.TIMED_OUT
    assert result.exit_code == 143
    assert "timed out after 1 s" in result.error_message
    child = int(next(line for line in job.stdout.lines if line.startswith("child")).split()[1])
    deadline = time.monotonic() + 30
    while alive(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(child), "the job's child process outlived the timeout"


def test_stop_a_queued_job_and_a_running_one(make_queue):
    queue = make_queue(1)
    running = FakeJob("import time; print('up', flush=True); time.sleep(30)")
    queued = FakeJob("print('must not run')")
    running_handle = queue.submit(running)
    queued_handle = queue.submit(queued)
    deadline = time.monotonic() + 10
    while running.started_at is None and time.monotonic() < deadline:
        time.sleep(0.05)
    # WHEN the queued job is stopped THEN it ends at once without starting
    queued_handle.stop("cancelled by the test")
    stopped = queued.wait(timeout=1)
    assert stopped.outcome is Outcome.STOPPED and not stopped.started
    assert stopped.stop_reason == "cancelled by the test" and queued.started_at is None
    # WHEN the running job is stopped THEN its process is terminated and the reason kept
    running_handle.stop("terminated by the test")
    result = running.wait()
    assert result.outcome is Outcome.STOPPED and result.stop_reason == "terminated by the test"


def test_setup_error_fails_the_job_without_starting_it(make_queue):
    job = FakeJob("print('never')", setup_error="cannot fetch s3://b/k: upload it first")
    make_queue(1).submit(job)
    result = job.wait()
    assert result.outcome is Outcome.FAILED and not result.started
    assert result.error_message == "cannot fetch s3://b/k: upload it first"


def test_error_line_survives_spark_log_lines_after_the_traceback():
    tracker = ErrorLineTracker()
    stderr = [
        "26/11/27 10:00:00 INFO SparkContext: Running Spark version 4.3.0",
        "Traceback (most recent call last):",
        '  File "/tmp/job.py", line 3, in <module>',
        "    raise ValueError('bad contract: 12% rows invalid')",
        "ValueError: bad contract: 12% rows invalid",
        "26/11/27 10:00:05 INFO ShutdownHookManager: Shutdown hook called",
    ]
    for line in stderr:
        tracker.feed(line)
    assert tracker.summary(1) == "ValueError: bad contract: 12% rows invalid"
    assert ErrorLineTracker().summary(3) == "process exited with code 3"


@pytest.mark.parametrize(
    ("command", "mapped"),
    [
        (["python", "-m", "training.entrypoint"], True),
        (["python3.11", "train.py"], True),
        (["/usr/local/bin/python", "train.py"], True),
        (["bash", "-c", "python train.py"], False),
        (["/opt/app/python-tool"], False),
    ],
)
def test_container_python_maps_to_the_project_interpreter(command, mapped):
    project = Path("/repo/.venv/bin/python")
    result = map_interpreter(command, project)
    assert result[1:] == command[1:]
    assert (result[0] == str(project)) is mapped


def test_job_environment_points_at_the_local_cloud_and_keeps_localstack_settings_out():
    host = {"PATH": "/usr/bin", "LANG": "C.UTF-8", "GATEWAY_LISTEN": "127.0.0.1:4566", "DEBUG": "1"}
    env = base_environment(
        host, python=Path("/repo/.venv/bin/python"), endpoint_url="http://127.0.0.1:4599",
        account_id="000000000000", region="eu-west-1",
    )  # fmt: skip
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:4599"
    assert env["AWS_ACCESS_KEY_ID"] == "000000000000" and env["AWS_DEFAULT_REGION"] == "eu-west-1"
    assert env["PATH"].startswith("/repo/.venv/bin:") and env["LANG"] == "C.UTF-8"
    assert "GATEWAY_LISTEN" not in env and "DEBUG" not in env


@pytest.mark.parametrize("raw", ["0", "two"])
def test_concurrency_limit_must_be_a_positive_number(raw):
    with pytest.raises(ValueError, match=ENV_MAX_CONCURRENT):
        JobsConfig.from_env({ENV_MAX_CONCURRENT: raw})
    assert JobsConfig.from_env({}).max_concurrent == 1


def test_shutdown_ends_running_and_queued_jobs():
    # GIVEN a running job and a queued one WHEN the local cloud shuts the queue down
    queue = JobQueue(1, stop_grace_seconds=2)
    running, queued = FakeJob("import time; time.sleep(30)"), FakeJob("print('must not run')")
    queue.submit(running)
    queue.submit(queued)
    deadline = time.monotonic() + 10
    while running.started_at is None and time.monotonic() < deadline:
        time.sleep(0.05)
    queue.shutdown("the local cloud is shutting down")
    # THEN both end as stopped, the running process is gone, the queued one never started
    assert running.wait(timeout=5).outcome is Outcome.STOPPED
    assert queued.wait(timeout=1).outcome is Outcome.STOPPED and queued.started_at is None
