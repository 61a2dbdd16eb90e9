"""Map a function's declared runtime to a local way of running it, or say clearly why there is none.

`LOCAL_CLOUD_LAMBDA_RUNTIMES` (a JSON object, set by the local cloud's controller) maps a runtime to an
interpreter, e.g. {"python3.12": "/repo/.venv-lambda-python3.12/bin/python"}: a Lambda-like environment
with awslambdaric and boto3 only, so a function sees what its package and layers hold, as on AWS. An
unmapped `pythonX.Y` falls back to `pythonX.Y` on PATH. The interpreter must be that Python version
and import awslambdaric, checked once per interpreter. `provided.*` runtimes run the `bootstrap`
executable of the code or a layer, as on AWS. Anything else (Node.js, Java, container images, ...) is
refused when the function is created.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ENV_LAMBDA_RUNTIMES = "LOCAL_CLOUD_LAMBDA_RUNTIMES"
AWSLAMBDARIC_PIN = "awslambdaric==4.2.2"
_PYTHON_RUNTIME = re.compile(r"^python(3\.\d+)$")


class RuntimeUnavailable(Exception):
    """The declared runtime cannot run on this machine; the message says how to fix it."""


@dataclass(frozen=True)
class LocalRuntime:
    runtime: str
    interpreter: str | None  # None: a provided.* runtime, run through its bootstrap

    def command(self, handler: str, search_dirs: list[Path]) -> list[str]:
        if self.interpreter:
            return [self.interpreter, "-m", "awslambdaric", handler]
        for folder in search_dirs:
            if (folder / "bootstrap").is_file():
                return [str(folder / "bootstrap")]
        raise RuntimeUnavailable(f"runtime {self.runtime}: no 'bootstrap' file in the code or its layers")


def configured_interpreters() -> dict[str, str]:
    raw = os.environ.get(ENV_LAMBDA_RUNTIMES) or "{}"
    try:
        mapping = json.loads(raw)
    except ValueError as exc:
        raise RuntimeUnavailable(f"{ENV_LAMBDA_RUNTIMES} is not valid JSON: {exc}") from None
    return {str(k): str(v) for k, v in mapping.items()}


@cache
def _probe(interpreter: str) -> tuple[str | None, str]:
    """(Python version 'X.Y' if it imports awslambdaric, else None; stderr)."""
    try:
        result = subprocess.run(
            [interpreter, "-c", "import sys, awslambdaric; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=60,
        )
    except OSError as exc:
        return None, str(exc)
    return (result.stdout.strip() or None) if result.returncode == 0 else None, result.stderr.strip()


def resolve(runtime: str | None, package_type: str = "Zip") -> LocalRuntime:
    if package_type != "Zip" or not runtime:
        raise RuntimeUnavailable(
            "container-image functions need Docker: deploy a zip package with a Python runtime, "
            "or use docker-compose.localstack.yml"
        )
    if runtime.startswith("provided"):
        return LocalRuntime(runtime, None)
    hint = (
        f"run `make lambda-runtime-venv LAMBDA_RUNTIME={runtime}`, or set "
        f'{ENV_LAMBDA_RUNTIMES}=\'{{"{runtime}": "/path/to/bin/python"}}\', and restart the local cloud'
    )
    match = _PYTHON_RUNTIME.match(runtime)
    if not match:
        raise RuntimeUnavailable(
            f"runtime {runtime} is not available in the embedded local cloud (it runs Python and "
            f"provided.* functions as local processes); use a Python runtime, or Docker "
            f"(docker-compose.localstack.yml)"
        )
    version = match.group(1)
    interpreter = configured_interpreters().get(runtime) or shutil.which(runtime)
    if not interpreter:
        raise RuntimeUnavailable(f"runtime {runtime}: no local Python {version} found; {hint}")
    found, error = _probe(interpreter)
    if found is None:
        raise RuntimeUnavailable(
            f"runtime {runtime}: {interpreter} cannot import awslambdaric "
            f"({(error.splitlines() or ['?'])[-1]}); "
            f"install it there (pip install {AWSLAMBDARIC_PIN}) or {hint}"
        )
    if found != version:
        raise RuntimeUnavailable(f"runtime {runtime}: {interpreter} is Python {found}, not {version}; {hint}")
    return LocalRuntime(runtime, interpreter)
