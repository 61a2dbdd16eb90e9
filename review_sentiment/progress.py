"""Progress lines with elapsed time, for long steps (HPO, training, export)."""

from __future__ import annotations

import sys
import time


class Progress:
    def __init__(self, stream=None):
        self.start = time.perf_counter()
        self.stream = stream or sys.stdout

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def __call__(self, message: str) -> None:
        print(f"[{self.elapsed:7.1f}s] {message}", file=self.stream, flush=True)
