"""Finds the error message of a failed Python process in its stderr: the last line of the last traceback."""

from __future__ import annotations

_TRACEBACK_START = "Traceback (most recent call last):"


class ErrorLineTracker:
    """Fed stderr line by line; remembers the exception line of the last traceback (`ValueError: ...`).

    The exception line is the first unindented line after a traceback header, so log lines a JVM prints
    after the Python error (Spark's shutdown hooks) do not hide it.
    """

    def __init__(self) -> None:
        self._in_traceback = False
        self.exception_line: str | None = None
        self.last_line: str | None = None

    def feed(self, line: str) -> None:
        text = line.rstrip("\r\n")
        if not text.strip():
            return
        self.last_line = text
        if text.startswith(_TRACEBACK_START):
            self._in_traceback = True
        elif self._in_traceback and not text.startswith((" ", "\t")):
            self.exception_line = text
            self._in_traceback = False

    def summary(self, exit_code: int | None) -> str:
        if self.exception_line:
            return self.exception_line
        if self.last_line:
            return self.last_line
        return f"process exited with code {exit_code}"
