"""The Lambda packages as `sam build` makes them for AWS: one runtime everywhere, each function with its
layers under Lambda's 250 MB unzipped, and a serving path that loads no heavy ML library."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from local_cloud import settings as local_cloud_settings
from local_cloud.package_sizes import (
    LAMBDA_UNZIPPED_LIMIT_BYTES,
    FunctionSize,
    function_sizes,
    load_template,
    size_table,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("sklearn", "scipy", "pandas", "pyarrow", "mlflow", "torch")


def _make_default(path: Path, variable: str) -> str:
    match = re.search(rf"^{variable}\s*\?=\s*(\S+)", path.read_text(), re.MULTILINE)
    assert match, f"{path} sets no default {variable}"
    return match.group(1)


def test_one_runtime_declared_built_for_and_run_locally():
    # GIVEN the template's LambdaRuntime parameter
    template = load_template(REPO_ROOT / "template.yaml")
    runtime = template["Parameters"]["LambdaRuntime"]["Default"]
    # THEN it is an Amazon Linux 2023 Python, every function and layer follows it ...
    assert runtime in ("python3.12", "python3.13")
    assert template["Globals"]["Function"]["Runtime"] == {"Ref": "LambdaRuntime"}
    for name, resource in template["Resources"].items():
        props = resource.get("Properties") or {}
        if resource["Type"] == "AWS::Serverless::Function":
            assert "Runtime" not in props, f"{name} overrides the runtime"
        if resource["Type"] == "AWS::Serverless::LayerVersion":
            assert props["CompatibleRuntimes"] == [{"Ref": "LambdaRuntime"}], name
    # ... and the build (wheels for that CPython) and the local runtime venv use the same default
    assert _make_default(REPO_ROOT / "layers" / "lambda_build.mk", "LAMBDA_RUNTIME") == runtime
    assert _make_default(REPO_ROOT / "Makefile", "LAMBDA_RUNTIME") == runtime


def test_size_table_adds_global_and_own_layers(tmp_path):
    # GIVEN a built template: one function with 3 MB of code, a global 1 MB layer and its own 2 MB layer
    for folder, megabytes in {"Fn": 3, "Shared": 1, "Extra": 2}.items():
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "blob").write_bytes(b"x" * megabytes * 1024 * 1024)
    (tmp_path / "template.yaml").write_text(
        "Globals:\n  Function:\n    Layers: [!Ref Shared]\n"
        "Resources:\n"
        "  Shared: {Type: AWS::Serverless::LayerVersion, Properties: {ContentUri: Shared}}\n"
        "  Extra: {Type: AWS::Serverless::LayerVersion, Properties: {ContentUri: Extra}}\n"
        "  Fn:\n    Type: AWS::Serverless::Function\n"
        "    Properties: {CodeUri: Fn, Layers: [!Ref Extra, arn:aws:lambda:us-east-1:1:layer:x:1]}\n"
    )
    # WHEN measured
    [size] = function_sizes(tmp_path)
    # THEN code and both layers count; the layer given by ARN is named as not measured
    assert size.code_bytes == 3 * 1024 * 1024
    assert size.layer_bytes == {"Shared": 1024 * 1024, "Extra": 2 * 1024 * 1024}
    assert size.total_bytes == 6 * 1024 * 1024 and size.within_limit
    assert size.unmeasured_layers == ("arn:aws:lambda:us-east-1:1:layer:x:1",)
    assert "6.0" in size_table([size]) and "not measured" in size_table([size])
    assert not FunctionSize("big", LAMBDA_UNZIPPED_LIMIT_BYTES).within_limit


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """template.yaml built by `sam build` as for AWS (wheels for Lambda's platform, cached by hash)."""
    from local_cloud.deploy import run_sam

    build_dir = tmp_path_factory.mktemp("lambda-packages") / "build"
    run_sam(
        ["build", "--template-file", "template.yaml", "--build-dir", str(build_dir), "--no-cached"],
        None,
        REPO_ROOT,
    )
    return build_dir


@pytest.mark.slow
def test_every_function_with_its_layers_fits_lambda(built):
    sizes = function_sizes(built)
    print("\n" + size_table(sizes))  # the table of the closing note: pytest -s shows it
    assert {s.function for s in sizes} >= {"InferenceFunction", "SelectBestFunction", "PromoteFunction"}
    for size in sizes:
        assert size.within_limit, size_table([size])
        assert not size.unmeasured_layers
    # the packages carry their own dependencies (vendored), not only the handler
    by_name = {s.function: s for s in sizes}
    assert by_name["InferenceFunction"].layer_bytes["OnnxRuntimeLayer"] > 50 * 1024 * 1024
    assert by_name["PromoteFunction"].code_bytes > 10 * 1024 * 1024


@pytest.mark.slow
def test_serving_path_holds_and_imports_no_heavy_ml_library(built):
    template = load_template(built / "template.yaml")
    resources = template["Resources"]
    layers = [
        resources[ref["Ref"]]["Properties"]["ContentUri"] for ref in template["Globals"]["Function"]["Layers"]
    ]
    layers += [
        resources[ref["Ref"]]["Properties"]["ContentUri"]
        for ref in resources["InferenceFunction"]["Properties"]["Layers"]
    ]
    code = built / resources["InferenceFunction"]["Properties"]["CodeUri"]
    # GIVEN the inference function's package and layers: none of them ships a heavy library
    for folder in [code, *(built / layer / "python" for layer in layers)]:
        assert not [m for m in HEAVY if (folder / m).exists()], folder
    # WHEN its handler module is imported on the Lambda-like runtime with only these on the path
    runtime = local_cloud_settings.lambda_runtime_venvs().get("python3.12")
    assert runtime, "run `make lambda-runtime-venv` (the test session's Makefile target does)"
    probe = f"import json, sys, app; print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))"
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONNOUSERSITE": "1",
        "PYTHONPATH": os.pathsep.join([str(code), *(str(built / layer / "python") for layer in layers)]),
        "AWS_DEFAULT_REGION": "us-east-1",
        "CHAMPION_PARAMETER": "/test/champion",
        "POWERTOOLS_TRACE_DISABLED": "true",
    }
    result = subprocess.run(
        [runtime, "-c", probe], cwd=code, env=env, capture_output=True, text=True, timeout=120
    )
    # THEN it imports (onnxruntime, numpy, Powertools, Pydantic) and loads none of the heavy ones
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []


@pytest.mark.slow
def test_every_function_imports_with_only_its_package_and_layers(built):
    """What a handler module imports at init must ship with it: the pipeline's messages and promotion
    need no numpy, which only the functions with the OnnxRuntimeLayer have."""
    template = load_template(built / "template.yaml")
    resources = template["Resources"]
    shared = [
        resources[ref["Ref"]]["Properties"]["ContentUri"] for ref in template["Globals"]["Function"]["Layers"]
    ]
    runtime = local_cloud_settings.lambda_runtime_venvs().get("python3.12")
    assert runtime, "run `make lambda-runtime-venv` (the test session's Makefile target does)"
    shared_variables = template["Globals"]["Function"]["Environment"]["Variables"]
    functions = {
        name: r["Properties"] for name, r in resources.items() if r["Type"] == "AWS::Serverless::Function"
    }
    for name, props in functions.items():
        code = built / props["CodeUri"]
        layers = shared + [
            resources[ref["Ref"]]["Properties"]["ContentUri"] for ref in props.get("Layers", [])
        ]
        env = {
            "PATH": "/usr/bin:/bin",
            "PYTHONNOUSERSITE": "1",
            "PYTHONPATH": os.pathsep.join([str(code), *(str(built / layer / "python") for layer in layers)]),
            "AWS_DEFAULT_REGION": "us-east-1",
            "POWERTOOLS_TRACE_DISABLED": "true",
            # the template's variables; "1" stands for a resolved reference (a resource name, a number)
            **{
                key: value if isinstance(value, str) else "1"
                for key, value in {
                    **shared_variables,
                    **(props.get("Environment") or {}).get("Variables", {}),
                }.items()
            },
        }
        handler = props.get("Handler", "app.lambda_handler").rsplit(".", 1)[0]
        result = subprocess.run(
            [runtime, "-c", f"import {handler}"],
            cwd=code,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, f"{name}: {result.stderr[-1500:]}"
