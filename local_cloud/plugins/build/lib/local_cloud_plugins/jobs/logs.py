"""Ships a job's output lines to a CloudWatch Logs stream, in batches, while the job runs."""

from __future__ import annotations

import contextlib
import threading
import time
from typing import Any

_MAX_EVENTS_PER_PUT = 1000  # PutLogEvents allows 10,000 events / 1 MiB per call
_MAX_MESSAGE_CHARS = 200_000  # an event may hold 256 KiB


class CloudWatchLogStream:
    """A thread-safe LineSink: `write` buffers, `flush` puts the buffer (the runner flushes every second)."""

    def __init__(self, logs_client: Any, group: str, stream: str) -> None:
        self.client = logs_client
        self.group = group
        self.stream = stream
        self._buffer: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._created = False

    def write(self, line: str) -> None:
        event = {"timestamp": int(time.time() * 1000), "message": line[:_MAX_MESSAGE_CHARS] or " "}
        with self._lock:
            self._buffer.append(event)

    def flush(self) -> None:
        with self._flush_lock:  # one put at a time keeps the events in order
            with self._lock:
                events, self._buffer = self._buffer, []
            self._ensure_stream()  # even when empty: a job's streams exist once it ran, as on AWS
            if not events:
                return
            for i in range(0, len(events), _MAX_EVENTS_PER_PUT):
                self.client.put_log_events(
                    logGroupName=self.group,
                    logStreamName=self.stream,
                    logEvents=events[i : i + _MAX_EVENTS_PER_PUT],
                )

    def _ensure_stream(self) -> None:
        if self._created:
            return
        for create, kwargs in (
            (self.client.create_log_group, {"logGroupName": self.group}),
            (self.client.create_log_stream, {"logGroupName": self.group, "logStreamName": self.stream}),
        ):
            with contextlib.suppress(self.client.exceptions.ResourceAlreadyExistsException):
                create(**kwargs)
        self._created = True
