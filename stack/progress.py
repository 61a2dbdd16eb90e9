"""Progress lines with the elapsed time since the command started."""

from __future__ import annotations

import sys
import time


class Progress:
    def __init__(self, stream=None):
        self.began = time.monotonic()
        self.stream = stream or sys.stdout

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.began

    def __call__(self, message: str) -> None:
        print(f"[{self.elapsed:7.1f}s] {message}", file=self.stream, flush=True)
