"""Process-group helpers: stop a process and everything it spawned, and find leftovers from a crash.

LocalStack runs in its own session (process group). Each Lambda execution environment the executor
plugin starts runs in a session of its own too, so that a timeout can kill the handler's children;
the plugin records each one as `<state>/lambda/<environment id>/pid`, and `sweep_lambda_environments`
kills whatever is left there after LocalStack has gone (for example after it was killed with -9).
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie has exited: only its parent's wait() is missing
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] != "Z"
    except (OSError, IndexError):
        return True


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def environ_has(pid: int, entry: str) -> bool:
    try:
        return entry.encode() in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:
        return False


def group_members(pgid: int) -> list[int]:
    """Live processes whose process group is `pgid` (read from /proc, Linux)."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(") ", 1)[1].split()
        except (OSError, IndexError):
            continue
        # fields: state, ppid, pgrp, ...
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(entry.name))
    return members


def stop_group(pgid: int, grace_s: float = 10.0) -> None:
    """SIGTERM the group, wait up to `grace_s` for every member to exit, then SIGKILL what is left."""
    for sig, wait_s in ((signal.SIGTERM, grace_s), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            if not group_members(pgid):
                return
            time.sleep(0.1)


def sweep_lambda_environments(state_dir: Path) -> int:
    """Kill the Lambda environments recorded under `state_dir/lambda`; return how many were running."""
    killed = 0
    for pid_file in sorted((state_dir / "lambda").glob("*/pid")):
        try:
            pid = int(pid_file.read_text().strip())
        except (OSError, ValueError):
            continue
        # the pid file names the environment: only kill a process that still carries its id
        if alive(pid) and environ_has(pid, f"LOCALSTACK_RUNTIME_ID={pid_file.parent.name}"):
            stop_group(pid, grace_s=0.0)
            killed += 1
        pid_file.unlink(missing_ok=True)
    return killed
