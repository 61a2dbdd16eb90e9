"""Take two thread starts off every warm invocation in LocalStack's Lambda service (measured: 3-5 ms each on
a busy 2-core machine, about a quarter of a warm invoke).

LocalStack starts a `threading.Timer` per invocation for the environment's keep-alive (cancelled by the
next one) and a thread per invocation to publish the Invocations/Errors metrics. Here the timers share one
scheduler thread (a timer that fires still runs its callback in a thread of its own, as before) and the
metrics go through one long-lived worker, so both keep their meaning. Applied once, when LocalStack loads
this executor; checked against localstack-core 2026.3.0 and skipped, with a log line, if the names moved.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import os
import queue
import threading
import time
from collections.abc import Callable

LOG = logging.getLogger(__name__)


class _Scheduler:
    """One daemon thread that starts due callbacks; cancelled entries are skipped when they come due."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, DeferredCall]] = []
        self._order = itertools.count()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None

    def add(self, call: DeferredCall) -> None:
        with self._cond:
            heapq.heappush(self._heap, (time.monotonic() + call.interval, next(self._order), call))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="lambda-timers", daemon=True)
                self._thread.start()
            self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._heap or self._heap[0][0] > time.monotonic():
                    self._cond.wait(None if not self._heap else self._heap[0][0] - time.monotonic())
                _, _, call = heapq.heappop(self._heap)
            if not call.cancelled:
                run = threading.Thread(target=call.function, args=call.args, kwargs=call.kwargs, daemon=True)
                run.start()


_SCHEDULER = _Scheduler()


class DeferredCall:
    """What LocalStack's execution environment needs of `threading.Timer`: construct, start(), cancel()."""

    def __init__(self, interval: float, function: Callable, args=None, kwargs=None) -> None:
        self.interval, self.function = float(interval), function
        self.args, self.kwargs = args or [], kwargs or {}
        self.cancelled = False

    def start(self) -> None:
        _SCHEDULER.add(self)

    def cancel(self) -> None:
        self.cancelled = True


_METRICS: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
_metrics_worker: threading.Thread | None = None


def _publish_metrics() -> None:
    while True:
        job = _METRICS.get()
        try:
            job()
        except Exception as exc:  # as in LocalStack: a lost metric must not break anything
            LOG.debug("publishing a Lambda metric failed: %s", exc)


def _make_start_thread(original: Callable) -> Callable:
    def start_thread(function, *args, name: str | None = None, **kwargs):
        global _metrics_worker
        if not (name or "").startswith("record-cloudwatch-metric"):
            return original(function, *args, name=name, **kwargs)
        if _metrics_worker is None:
            _metrics_worker = threading.Thread(target=_publish_metrics, name="lambda-metrics", daemon=True)
            _metrics_worker.start()
        _METRICS.put(function)
        return None  # LocalStack ignores the thread of a metrics call

    return start_thread


ENV_SWITCH = "LOCAL_CLOUD_LAMBDA_THREAD_REUSE"  # "0" leaves LocalStack's threads as they are


def apply() -> None:
    if os.environ.get(ENV_SWITCH, "1") == "0":
        return
    try:
        from localstack.services.lambda_.invocation import execution_environment, version_manager
    except ImportError as exc:
        LOG.info("Lambda thread reuse not applied: %s", exc)
        return
    timer = getattr(execution_environment, "Timer", None)
    if timer is threading.Timer:
        execution_environment.Timer = DeferredCall
    elif timer is not DeferredCall:
        LOG.info("Lambda thread reuse: execution_environment.Timer changed; keep-alive timers left alone")
    original = getattr(version_manager, "start_thread", None)
    if original is not None and not getattr(original, "_local_cloud", False):
        patched = _make_start_thread(original)
        patched._local_cloud = True
        version_manager.start_thread = patched
