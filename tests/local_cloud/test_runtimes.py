"""Runtime mapping of the Lambda executor (pure logic, no LocalStack): a declared runtime runs only on an
interpreter that fits it, and anything else is a clear error."""

from __future__ import annotations

import json
import sys

import pytest

from local_cloud import settings

sys.path.insert(0, str(settings.REPO_ROOT / "local_cloud" / "plugins"))
from local_cloud_plugins.lambda_executor import runtimes

PY = f"{sys.version_info.major}.{sys.version_info.minor}"


@pytest.fixture
def mapping(monkeypatch):
    def _set(entries: dict[str, str]) -> None:
        monkeypatch.setenv(runtimes.ENV_LAMBDA_RUNTIMES, json.dumps(entries))

    return _set


def test_mapped_runtime_uses_its_interpreter(mapping):
    # this test's interpreter is the project's venv: it has awslambdaric
    mapping({f"python{PY}": sys.executable})
    runtime = runtimes.resolve(f"python{PY}")
    assert runtime.interpreter == sys.executable
    assert runtime.command("app.handler", []) == [sys.executable, "-m", "awslambdaric", "app.handler"]


def test_interpreter_of_another_version_is_refused(mapping):
    mapping({"python3.99": sys.executable})
    with pytest.raises(runtimes.RuntimeUnavailable, match=rf"is Python {PY}, not 3\.99"):
        runtimes.resolve("python3.99")


def test_missing_interpreter_names_the_setting(mapping):
    mapping({"python3.98": "/nonexistent/bin/python"})
    with pytest.raises(runtimes.RuntimeUnavailable, match=runtimes.ENV_LAMBDA_RUNTIMES):
        runtimes.resolve("python3.98")


@pytest.mark.parametrize("runtime", ["nodejs22.x", "java21", "dotnet8", "ruby3.3"])
def test_non_python_runtimes_are_refused(runtime):
    with pytest.raises(runtimes.RuntimeUnavailable, match="not available"):
        runtimes.resolve(runtime)


def test_container_images_need_docker():
    with pytest.raises(runtimes.RuntimeUnavailable, match="Docker"):
        runtimes.resolve(None, package_type="Image")


def test_provided_runtime_runs_the_bootstrap(tmp_path):
    layer, code = tmp_path / "layer", tmp_path / "code"
    layer.mkdir(), code.mkdir()
    (layer / "bootstrap").write_text("#!/bin/sh\n")
    runtime = runtimes.resolve("provided.al2023")
    assert runtime.command("ignored", [code, layer]) == [str(layer / "bootstrap")]
    with pytest.raises(runtimes.RuntimeUnavailable, match="bootstrap"):
        runtime.command("ignored", [code])
