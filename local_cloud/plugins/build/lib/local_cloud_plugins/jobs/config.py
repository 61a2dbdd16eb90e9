"""Settings of the local job runner, read once from the environment LocalStack was started with."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

# The environment variables the runner reads (set them before LocalStack starts).
ENV_PYTHON = "LOCAL_JOBS_PYTHON"  # interpreter for Glue scripts and for `python` in Batch commands
ENV_MAX_CONCURRENT = "LOCAL_JOBS_MAX_CONCURRENT"  # local processes at once, Glue and Batch together
ENV_WORKDIR = "LOCAL_JOBS_WORKDIR"  # working directory of Batch commands (a container's WORKDIR)
ENV_SCRATCH_DIR = "LOCAL_JOBS_SCRATCH_DIR"  # where Glue scripts and extra files are downloaded per run
ENV_ENDPOINT_URL = "LOCAL_JOBS_ENDPOINT_URL"  # AWS endpoint the jobs talk to (default: this LocalStack)
ENV_STOP_GRACE_SECONDS = "LOCAL_JOBS_STOP_GRACE_SECONDS"  # SIGTERM -> SIGKILL delay on stop/timeout

# <repo>/local_cloud/plugins/local_cloud_plugins/jobs/config.py -> <repo> (the package is installed editable)
REPO_ROOT = Path(__file__).resolve().parents[4]


@dataclass(frozen=True)
class JobsConfig:
    python: Path
    max_concurrent: int
    workdir: Path
    scratch_dir: Path
    endpoint_url: str | None
    stop_grace_seconds: float

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> JobsConfig:
        env = os.environ if environ is None else environ
        return cls(
            python=Path(env.get(ENV_PYTHON) or REPO_ROOT / ".venv" / "bin" / "python"),
            max_concurrent=_positive_int(env, ENV_MAX_CONCURRENT, default=1),
            workdir=Path(env.get(ENV_WORKDIR) or REPO_ROOT),
            scratch_dir=Path(env.get(ENV_SCRATCH_DIR) or Path(env.get("TMPDIR", "/tmp")) / "local-jobs"),
            endpoint_url=env.get(ENV_ENDPOINT_URL) or None,
            stop_grace_seconds=float(env.get(ENV_STOP_GRACE_SECONDS) or 5),
        )

    def problems(self) -> list[str]:
        """What is wrong with this configuration, one line each, saying what to do."""
        found = []
        if not os.access(self.python, os.X_OK):
            found.append(f"job interpreter {self.python} is missing: run `make venv` or set {ENV_PYTHON}")
        if not self.workdir.is_dir():
            found.append(f"job working directory {self.workdir} is missing: set {ENV_WORKDIR}")
        return found


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name}={raw!r} is not a whole number: set it to 1 or more") from None
    if value < 1:
        raise ValueError(f"{name}={raw!r} must be 1 or more")
    return value
