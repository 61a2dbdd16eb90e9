"""One queue of local job processes shared by Glue and Batch, with a limit on how many run at once.

A job waits in FIFO order for a free slot (Glue shows STARTING, Batch RUNNABLE meanwhile), then its
process runs in its own session so that a stop or a timeout ends the whole tree (a Spark JVM included):
SIGTERM first, SIGKILL after a grace period.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Protocol

from .tracebacks import ErrorLineTracker

LOG = logging.getLogger(__name__)

_POLL_SECONDS = 0.2
_FLUSH_SECONDS = 1.0


class LineSink(Protocol):
    """Where a process's output lines go (a CloudWatch Logs stream); must be thread-safe."""

    def write(self, line: str) -> None: ...

    def flush(self) -> None: ...


class Outcome(Enum):
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    TIMED_OUT = "TIMED_OUT"
    STOPPED = "STOPPED"


@dataclass(frozen=True)
class ProcessSpec:
    argv: list[str]
    env: dict[str, str]
    cwd: str
    timeout_seconds: float | None
    stdout: LineSink
    stderr: LineSink


@dataclass(frozen=True)
class JobResult:
    outcome: Outcome
    exit_code: int | None
    error_message: str | None  # the last traceback's exception line, or why the job could not start
    stop_reason: str | None = None
    started: bool = True  # False: stopped while queued, or the setup failed


class JobSetupError(Exception):
    """Raised by `LocalJob.prepare` when the job cannot start (missing script, bad command): fails the job."""


class LocalJob(Protocol):
    """What a Glue job run or a Batch job gives the queue."""

    name: str

    def prepare(self) -> ProcessSpec:
        """Called in a worker once a slot is free: fetch what the process needs, return how to run it."""
        ...

    def on_start(self) -> None: ...

    def on_finish(self, result: JobResult) -> None: ...


@dataclass(eq=False)  # compared and hashed by identity: the queue keeps running handles in a set
class JobHandle:
    job: LocalJob
    _state: str = "queued"  # queued -> running -> done, or queued -> done when stopped before a slot frees
    _stop_reason: str | None = None
    _stop_event: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _process: subprocess.Popen | None = None

    def stop(self, reason: str) -> None:
        """Stop the job: a queued job ends now without starting, a running one is terminated."""
        with self._lock:
            if self._stop_reason is None:
                self._stop_reason = reason
            self._stop_event.set()
            was_queued = self._state == "queued"
            if was_queued:
                self._state = "done"
        if was_queued:
            _notify(self.job.on_finish, _not_started(Outcome.STOPPED, None, self._stop_reason))

    def _claim(self) -> bool:
        """Called by a worker: True if the job is still queued (it is now running)."""
        with self._lock:
            if self._state != "queued":
                return False
            self._state = "running"
            return True

    @property
    def stop_requested(self) -> bool:
        return self._stop_event.is_set()


class JobQueue:
    def __init__(self, max_concurrent: int, stop_grace_seconds: float = 5.0) -> None:
        self.max_concurrent = max_concurrent
        self.stop_grace_seconds = stop_grace_seconds
        self._pending: queue.Queue[JobHandle | None] = queue.Queue()
        self._running: set[JobHandle] = set()
        self._lock = threading.Lock()
        self._workers = [
            threading.Thread(target=self._work, name=f"local-jobs-{i}", daemon=True)
            for i in range(max_concurrent)
        ]
        for worker in self._workers:
            worker.start()

    def submit(self, job: LocalJob) -> JobHandle:
        handle = JobHandle(job)
        self._pending.put(handle)
        return handle

    @property
    def running(self) -> int:
        with self._lock:
            return len(self._running)

    def shutdown(self, reason: str = "the local cloud is shutting down") -> None:
        """Stop every queued and running job and end the workers (LocalStack is stopping)."""
        while True:
            try:
                handle = self._pending.get_nowait()
            except queue.Empty:
                break
            if handle is not None:
                handle.stop(reason)
        with self._lock:
            running = list(self._running)
        for handle in running:
            handle.stop(reason)
        for _ in self._workers:
            self._pending.put(None)
        # signal the processes from here, not through the workers (one may be blocked shipping logs to a
        # service that is shutting down): they run in their own sessions and would outlive LocalStack
        processes = [h._process for h in running if h._process is not None]
        for process in processes:
            _signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + self.stop_grace_seconds
        for process in processes:
            try:
                process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(process, signal.SIGKILL)
        for worker in self._workers:
            worker.join(timeout=1)

    def _work(self) -> None:
        while (handle := self._pending.get()) is not None:
            if not handle._claim():
                continue  # stopped while queued: already reported
            try:
                with self._lock:
                    self._running.add(handle)
                result = self._run(handle)
            except Exception as e:  # a bug here must not kill the worker and block the queue
                LOG.exception("local job %s crashed the runner", handle.job.name)
                result = _not_started(Outcome.FAILED, f"local job runner error: {e}", None)
            finally:
                with self._lock:
                    self._running.discard(handle)
                with handle._lock:
                    handle._state = "done"
            _notify(handle.job.on_finish, result)

    def _run(self, handle: JobHandle) -> JobResult:
        job = handle.job
        try:
            spec = job.prepare()
        except JobSetupError as e:
            return _not_started(Outcome.FAILED, str(e), None)
        try:
            process = subprocess.Popen(
                spec.argv,
                cwd=spec.cwd,
                env=spec.env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,  # its own process group: a stop ends its children too
            )
        except OSError as e:
            return _not_started(Outcome.FAILED, f"cannot start {spec.argv[0]}: {e.strerror}", None)
        handle._process = process
        _notify(job.on_start)

        errors = ErrorLineTracker()
        readers = [
            threading.Thread(target=_pump, args=(process.stdout, spec.stdout, None), daemon=True),
            threading.Thread(target=_pump, args=(process.stderr, spec.stderr, errors), daemon=True),
        ]
        for reader in readers:
            reader.start()

        deadline = time.monotonic() + spec.timeout_seconds if spec.timeout_seconds else None
        ended_by: Outcome | None = None
        next_flush = time.monotonic() + _FLUSH_SECONDS
        while process.poll() is None:
            if handle.stop_requested:
                ended_by = Outcome.STOPPED
            elif deadline is not None and time.monotonic() >= deadline:
                ended_by = Outcome.TIMED_OUT
            if ended_by:
                self._terminate(process)
                break
            if time.monotonic() >= next_flush:
                _flush(spec)
                next_flush = time.monotonic() + _FLUSH_SECONDS
            handle._stop_event.wait(_POLL_SECONDS)
        process.wait()
        if ended_by is None and handle.stop_requested:
            ended_by = Outcome.STOPPED  # shutdown signals the process itself: it may end before we look
        for reader in readers:
            reader.join(timeout=5)
        _flush(spec)

        # a container killed by a signal reports 128 + signal number (SIGKILL -> 137), not Popen's -9
        exit_code = 128 - process.returncode if process.returncode < 0 else process.returncode
        if ended_by is Outcome.TIMED_OUT:
            return JobResult(Outcome.TIMED_OUT, exit_code, f"timed out after {spec.timeout_seconds:g} s")
        if ended_by is Outcome.STOPPED:
            return JobResult(Outcome.STOPPED, exit_code, None, handle._stop_reason)
        if exit_code == 0:
            return JobResult(Outcome.SUCCEEDED, 0, None)
        return JobResult(Outcome.FAILED, exit_code, errors.summary(exit_code))

    def _terminate(self, process: subprocess.Popen) -> None:
        _signal_group(process, signal.SIGTERM)
        try:
            process.wait(timeout=self.stop_grace_seconds)
        except subprocess.TimeoutExpired:
            _signal_group(process, signal.SIGKILL)


def _not_started(outcome: Outcome, error: str | None, reason: str | None) -> JobResult:
    return JobResult(outcome, None, error, reason, started=False)


def _signal_group(process: subprocess.Popen, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)


def _pump(stream, sink: LineSink, errors: ErrorLineTracker | None) -> None:
    for raw in iter(stream.readline, b""):
        line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        if errors is not None:
            errors.feed(line)
        sink.write(line)
    stream.close()


def _flush(spec: ProcessSpec) -> None:
    for sink in {id(spec.stdout): spec.stdout, id(spec.stderr): spec.stderr}.values():
        try:
            sink.flush()
        except Exception:  # logs are best effort: a failed put must not fail the job
            LOG.warning("could not ship job logs", exc_info=True)


def _notify(callback: Callable, *args) -> None:
    try:
        callback(*args)
    except Exception:
        LOG.exception("local job callback %s failed", getattr(callback, "__qualname__", callback))
