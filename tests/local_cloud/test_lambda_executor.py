"""The Docker-less Lambda executor: Lambda semantics on functions deployed with SAM to the local cloud."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from local_cloud import processes
from tests.local_cloud.helpers import invoke, wait_for_log, zip_bytes

pytestmark = [pytest.mark.localcloud, pytest.mark.slow]


def test_init_runs_once_per_warm_environment(probe_stack, local_aws):
    # GIVEN a deployed function WHEN it is invoked three times in a row
    fn = probe_stack["ProbeFunctionName"]
    results = [invoke(local_aws("lambda"), fn, {"echo": i}).payload for i in range(3)]
    # THEN one environment served them all: same init id and process, the invocation counter grows
    assert len({r["init_id"] for r in results}) == 1
    assert len({r["pid"] for r in results}) == 1
    counts = [r["invocations"] for r in results]
    assert counts == list(range(counts[0], counts[0] + 3))


def test_concurrent_invocations_get_separate_environments(probe_stack, local_aws):
    fn = probe_stack["ProbeFunctionName"]
    invoke(local_aws("lambda"), fn)  # make sure one warm environment exists
    # WHEN two invocations overlap in time
    with ThreadPoolExecutor(2) as pool:
        held = pool.map(lambda i: invoke(local_aws("lambda"), fn, {"hold_s": 1.5, "echo": i}), range(2))
        a, b = (result.payload for result in held)
    # THEN each ran in its own environment (own init, own process)
    assert a["init_id"] != b["init_id"] and a["pid"] != b["pid"]


def test_environment_variables_layers_and_aws_access(probe_stack, local_aws):
    result = invoke(local_aws("lambda"), probe_stack["ProbeFunctionName"], {"call_aws": True})
    assert result.function_error is None, result.payload
    report = result.payload
    assert report["greeting"] == "hello-from-template"  # template Environment.Variables
    assert report["layer_value"] == "from-the-layer"  # module shipped only in the layer
    assert report["function_name"] == probe_stack["ProbeFunctionName"]
    assert 0 < report["remaining_ms"] <= 10_000  # the template's 10 s timeout, as the context sees it
    assert report["account"] == "000000000000"  # boto3 inside the function reached the local cloud's STS


def test_logs_reach_cloudwatch_logs(probe_stack, local_aws):
    fn = probe_stack["ProbeFunctionName"]
    marker = f"marker-{time.time_ns()}"
    result = invoke(local_aws("lambda"), fn, {"echo": marker})
    # the handler's print is in the invoke's log tail and in /aws/lambda/<name>, framed as on AWS
    assert f"probe marker {marker}" in result.log_tail
    messages = wait_for_log(local_aws("logs"), f"/aws/lambda/{fn}", f"probe marker {marker}")
    request_id = result.payload["request_id"]
    assert any(m.startswith(f"START RequestId: {request_id}") for m in messages)
    assert any(m.startswith(f"REPORT RequestId: {request_id}") for m in messages)


def test_handler_exception_is_returned_in_the_lambda_error_shape(probe_stack, local_aws):
    result = invoke(local_aws("lambda"), probe_stack["ProbeFunctionName"], {"fail": "on purpose"})
    assert result.function_error == "Unhandled"
    assert result.payload["errorType"] == "ValueError"
    assert result.payload["errorMessage"] == "asked to fail: on purpose"
    assert isinstance(result.payload["stackTrace"], list)


def test_timeout_kills_the_handler_and_its_children(probe_stack, local_aws):
    # GIVEN a function with Timeout: 1 whose handler starts a child and sleeps 30 s
    fn = probe_stack["SleepyFunctionName"]
    result = invoke(local_aws("lambda", read_timeout=120), fn, {"sleep_s": 30})
    # THEN the invocation ends as a timeout error (had the handler run on, it would have returned its
    # answer instead)
    assert result.function_error == "Unhandled"
    assert result.payload["errorType"] == "Sandbox.Timedout"
    assert "Task timed out after 1.00 seconds" in result.payload["errorMessage"]
    # AND the handler process and its child are gone
    line = next(x for x in result.log_tail.splitlines() if x.startswith("sleepy pid"))
    handler_pid, child_pid = int(line.split()[2]), int(line.split()[4])
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and (processes.alive(handler_pid) or processes.alive(child_pid)):
        time.sleep(0.1)
    assert not processes.alive(handler_pid) and not processes.alive(child_pid)


def test_environment_recovers_after_a_timeout(probe_stack, local_aws):
    fn = probe_stack["SleepyFunctionName"]
    invoke(local_aws("lambda", read_timeout=60), fn, {"sleep_s": 30})
    # the next invocation re-initialises the environment and succeeds
    result = invoke(local_aws("lambda"), fn, {"sleep_s": 0})
    assert result.function_error is None and result.payload == {"woke": True}
    assert "Init Duration" in result.log_tail


def _create(lambda_client, name: str, runtime: str, handler: str = "app.handler", code: bytes | None = None):
    lambda_client.create_function(
        FunctionName=name,
        Runtime=runtime,
        Handler=handler,
        Role="arn:aws:iam::000000000000:role/lambda-role",
        Code={"ZipFile": code or zip_bytes({"app.py": "def handler(event, context):\n    return 'ran'\n"})},
    )
    deadline = time.monotonic() + 30
    while (config := lambda_client.get_function_configuration(FunctionName=name))["State"] == "Pending":
        assert time.monotonic() < deadline
        time.sleep(0.2)
    return config


@pytest.mark.parametrize("runtime", ["nodejs20.x", "java21", "python3.9"])
def test_unknown_or_unavailable_runtime_is_refused(local_aws, runtime):
    # GIVEN a runtime with no suitable local interpreter (python3.9: absent, or without awslambdaric)
    lam = local_aws("lambda")
    name = f"refused-{runtime.replace('.', '-')}-{time.time_ns()}"
    config = _create(lam, name, runtime)
    # THEN the function is Failed with a reason naming the runtime, and invoking it is refused
    assert config["State"] == "Failed"
    assert runtime in config["StateReason"]
    with pytest.raises(lam.exceptions.ResourceConflictException):
        lam.invoke(FunctionName=name, Payload=b"{}")


def test_mapped_python_runtime_runs(local_aws):
    lam = local_aws("lambda")
    name = f"plain-{time.time_ns()}"
    assert _create(lam, name, "python3.12")["State"] == "Active"
    assert invoke(lam, name).payload == "ran"


def test_import_error_is_reported_as_init_error(local_aws):
    lam = local_aws("lambda")
    name = f"broken-{time.time_ns()}"
    _create(lam, name, "python3.12", code=zip_bytes({"app.py": "import not_a_module_anywhere\n"}))
    result = invoke(lam, name)
    assert result.function_error == "Unhandled"
    assert result.payload["errorType"] == "Runtime.ImportModuleError"
    assert "not_a_module_anywhere" in result.payload["errorMessage"]


@pytest.mark.parametrize("module", ["sklearn", "pandas", "mlflow", "onnxruntime"])
def test_a_module_the_package_lacks_fails_as_on_aws(local_aws, module):
    # GIVEN a function whose package lacks a module that the project's own environment has installed
    lam = local_aws("lambda")
    name = f"lacks-{module}-{time.time_ns()}"
    _create(
        lam,
        name,
        "python3.12",
        code=zip_bytes({"app.py": f"import {module}\n\ndef handler(e, c):\n    pass\n"}),
    )
    # WHEN it is invoked
    result = invoke(lam, name)
    # THEN its init fails with the error AWS's python3.12 runtime gives, word for word
    assert result.function_error == "Unhandled"
    assert result.payload["errorType"] == "Runtime.ImportModuleError"
    assert result.payload["errorMessage"] == f"Unable to import module 'app': No module named '{module}'"


def test_a_function_sees_its_code_its_layers_and_the_runtime_only(local_aws):
    # GIVEN a python3.12 function that reports its interpreter and import path
    lam = local_aws("lambda")
    name = f"paths-{time.time_ns()}"
    code = (
        "import sys, boto3, awslambdaric\n"
        "def handler(event, context):\n"
        "    return {'version': list(sys.version_info[:2]), 'path': sys.path, 'executable': sys.executable,\n"
        "            'boto3': boto3.__version__}\n"
    )
    _create(lam, name, "python3.12", code=zip_bytes({"app.py": code}))
    report = invoke(lam, name).payload
    # THEN it runs on Python 3.12 with the runtime's boto3 (as AWS's runtime ships one) ...
    assert report["version"] == [3, 12]
    assert report["boto3"]
    # ... and no folder on its path belongs to the project's ML environment or LocalStack's
    repo = Path(__file__).resolve().parents[2]
    ml_env, localstack_env = f"{repo}/.venv/", f"{repo}/.venv-localstack/"
    foreign = [p for p in report["path"] if p.startswith((ml_env, localstack_env))]
    assert foreign == [], foreign
    assert ".venv-lambda-python3.12" in report["executable"]


def test_a_crashing_runtime_is_an_exit_error(local_aws):
    lam = local_aws("lambda")
    name = f"crash-{time.time_ns()}"
    code = zip_bytes({"app.py": "import os\n\ndef handler(event, context):\n    os._exit(3)\n"})
    _create(lam, name, "python3.12", code=code)
    result = invoke(lam, name)
    assert result.function_error == "Unhandled"
    assert result.payload["errorType"] == "Runtime.ExitError"
    assert "exit status 3" in result.payload["errorMessage"]


def test_environments_live_under_the_state_dir(local_cloud, probe_stack, local_aws):
    invoke(local_aws("lambda"), probe_stack["ProbeFunctionName"])
    pid_files = list(Path(local_cloud.state_dir, "lambda").glob("*/pid"))
    assert pid_files, "a warm environment records its process under <state>/lambda"
    for pid_file in pid_files:
        pid = int(pid_file.read_text())
        assert processes.alive(pid)
        # the process carries its environment id: how `down` tells it from an unrelated process
        assert processes.environ_has(pid, f"LOCALSTACK_RUNTIME_ID={pid_file.parent.name}")
