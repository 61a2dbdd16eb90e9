"""The deployed probe stack's functions reached the ways a pipeline reaches them: the Lambda API, the
project's Docker-less `invoke` command, Step Functions, API Gateway and an EventBridge schedule."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request

import pytest

from local_cloud import settings
from tests.local_cloud.conftest import PROBE_TEMPLATE
from tests.local_cloud.helpers import invoke, wait_for_log

pytestmark = [pytest.mark.localcloud, pytest.mark.slow]


def _cli(cloud, *args: str) -> subprocess.CompletedProcess:
    where = ["--port", str(cloud.port), "--state-dir", str(cloud.state_dir)]
    base = [sys.executable, "-m", "local_cloud", *where]
    return subprocess.run([*base, *args], cwd=settings.REPO_ROOT, capture_output=True, text=True, timeout=60)


def test_direct_invoke(probe_stack, local_aws):
    result = invoke(local_aws("lambda"), probe_stack["ProbeFunctionName"], {"echo": "direct"})
    assert result.function_error is None
    assert result.payload["echo"] == "direct"


def test_invoke_command_resolves_the_logical_id(local_cloud, probe_stack, tmp_path):
    # GIVEN an event file WHEN the project's `invoke` command runs with a template's logical id
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"echo": "from-the-cli"}))
    stack = ["-t", str(PROBE_TEMPLATE), "--stack-name", "probe"]
    result = _cli(local_cloud, "invoke", "ProbeFunction", "-e", str(event), *stack)
    # THEN it prints the function's response on stdout and its log on stderr
    assert result.returncode == 0, result.stderr
    response = json.loads(result.stdout)
    assert response["echo"] == "from-the-cli"
    assert response["function_name"] == probe_stack["ProbeFunctionName"]
    assert "probe marker from-the-cli" in result.stderr and "REPORT RequestId" in result.stderr


def test_invoke_command_names_the_functions_of_the_template(local_cloud, probe_stack):
    result = _cli(local_cloud, "invoke", "NoSuchFunction", "-t", str(PROBE_TEMPLATE), "--stack-name", "probe")
    assert result.returncode == 2
    assert "ProbeFunction" in result.stderr and "Traceback" not in result.stderr


def test_step_functions_task_invokes_the_function(probe_stack, local_aws):
    sfn = local_aws("stepfunctions")
    execution = sfn.start_execution(
        stateMachineArn=probe_stack["ProbeStateMachineArn"], input=json.dumps({"echo": "through-sfn"})
    )
    deadline = time.monotonic() + 60
    arn = execution["executionArn"]
    while (described := sfn.describe_execution(executionArn=arn))["status"] == "RUNNING":
        assert time.monotonic() < deadline, "the execution did not finish"
        time.sleep(0.2)
    assert described["status"] == "SUCCEEDED", described
    output = json.loads(described["output"])
    assert output["echo"] == "through-sfn" and output["layer_value"] == "from-the-layer"


def test_api_gateway_url_invokes_the_function(local_cloud, probe_stack):
    url = f"{local_cloud.endpoint_url}/_aws/execute-api/{probe_stack['ProbeApiId']}/Prod/probe"
    request = urllib.request.Request(
        url, data=json.dumps({"echo": "through-api"}).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.status == 200
        body = json.loads(response.read())
    assert body["echo"] == "through-api" and body["greeting"] == "hello-from-template"


def test_schedule_rule_invokes_its_function(probe_stack, local_aws):
    # rate(1 minute): LocalStack's scheduler checks rules about once a minute, so the first tick comes
    # within ~60 s of the deploy; the other tests of this session ran in the meantime
    group = f"/aws/lambda/{probe_stack['ScheduledFunctionName']}"
    messages = wait_for_log(local_aws("logs"), group, "scheduled tick from aws.events", timeout_s=130)
    assert any("Scheduled Event" in m for m in messages)
