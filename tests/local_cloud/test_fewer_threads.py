"""The shared timer that replaces LocalStack's per-invocation keep-alive threads keeps Timer's meaning:
callbacks fire after their interval, in order of due time, and a cancelled one never fires."""

from __future__ import annotations

import sys
import threading
import time

from local_cloud import settings

sys.path.insert(0, str(settings.REPO_ROOT / "local_cloud" / "plugins"))
from local_cloud_plugins.lambda_executor.fewer_threads import DeferredCall


def test_deferred_calls_fire_in_due_order_and_cancel():
    fired: list[str] = []
    done = threading.Event()
    later = DeferredCall(0.3, lambda: (fired.append("later"), done.set()))
    sooner = DeferredCall(0.1, lambda: fired.append("sooner"))
    cancelled = DeferredCall(0.05, lambda: fired.append("cancelled"))
    began = time.monotonic()
    for call in (later, sooner, cancelled):
        call.start()
    cancelled.cancel()
    assert done.wait(5)
    assert fired == ["sooner", "later"]
    assert time.monotonic() - began >= 0.3  # not before its interval


def test_a_callback_runs_outside_the_scheduler_thread():
    # a slow callback (an environment shutting down) must not hold up the other timers: the first one
    # blocks until the second has fired, which only a scheduler that does not wait for it lets happen
    started, quick, release = threading.Event(), threading.Event(), threading.Event()
    DeferredCall(0.01, lambda: (started.set(), release.wait(60))).start()
    DeferredCall(0.05, quick.set).start()
    try:
        assert started.wait(30)
        assert quick.wait(30), "the second timer waited for the first one's callback"
    finally:
        release.set()
