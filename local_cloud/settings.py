"""Where the local cloud lives and the environment variables that configure it (no side effects)."""

from __future__ import annotations

import json
import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

# Environment variables this package reads.
ENV_PORT = "LOCAL_CLOUD_PORT"  # gateway port (default 4566)
ENV_STATE_DIR = "LOCAL_CLOUD_STATE_DIR"  # LocalStack's files, pid file, log, Lambda environments
ENV_LOCALSTACK_PYTHON = "LOCAL_CLOUD_LOCALSTACK_PYTHON"  # interpreter of LocalStack's own environment
# JSON object mapping a Lambda runtime to a local interpreter, e.g. {"python3.12": "/path/bin/python"}.
# The executor plugin reads the same variable inside LocalStack.
ENV_LAMBDA_RUNTIMES = "LOCAL_CLOUD_LAMBDA_RUNTIMES"

DEFAULT_PORT = 4566
DEFAULT_STATE_DIR = REPO_ROOT / ".state" / "localstack"
DEFAULT_LOCALSTACK_PYTHON = REPO_ROOT / ".venv-localstack" / "bin" / "python"
PROJECT_PYTHON = REPO_ROOT / ".venv" / "bin" / "python"
# Lambda-like runtimes (`make lambda-runtime-venv`): .venv-lambda-python3.12 runs python3.12 functions with
# awslambdaric and boto3 only, as AWS's runtime does; never the project's environment.
LAMBDA_RUNTIME_VENV_GLOB = ".venv-lambda-python3.*"
MIN_LOCALSTACK_PYTHON = (3, 13)  # localstack-core 2026.3.0 imports warnings.deprecated (3.13)

# The name under which local_cloud/plugins registers its Lambda runtime executor.
LAMBDA_EXECUTOR_PLUGIN = "local-process"


def port() -> int:
    raw = os.environ.get(ENV_PORT, str(DEFAULT_PORT))
    try:
        return int(raw)
    except ValueError:
        raise SystemExit(f"error: {ENV_PORT}={raw!r} is not a port number") from None


def state_dir() -> Path:
    return Path(os.environ.get(ENV_STATE_DIR) or DEFAULT_STATE_DIR).resolve()


def localstack_python() -> Path:
    return Path(os.environ.get(ENV_LOCALSTACK_PYTHON) or DEFAULT_LOCALSTACK_PYTHON)


def region() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"


def lambda_runtime_venvs(root: Path = REPO_ROOT) -> dict[str, str]:
    """{"python3.12": "<root>/.venv-lambda-python3.12/bin/python", ...} for each runtime venv that exists."""
    return {
        venv.name.removeprefix(".venv-lambda-"): str(venv / "bin" / "python")
        for venv in sorted(root.glob(LAMBDA_RUNTIME_VENV_GLOB))
        if (venv / "bin" / "python").exists()
    }


def lambda_runtimes() -> dict[str, str]:
    """Runtime -> interpreter map handed to the executor: the Lambda runtime venvs, then the setting's."""
    mapping = lambda_runtime_venvs()
    if raw := os.environ.get(ENV_LAMBDA_RUNTIMES):
        try:
            mapping.update(json.loads(raw))
        except (ValueError, TypeError):
            raise SystemExit(
                f"error: {ENV_LAMBDA_RUNTIMES} must be a JSON object such as "
                '{"python3.12": "/usr/bin/python3.12"}'
            ) from None
    return mapping
