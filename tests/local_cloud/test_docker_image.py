"""The Docker image's install and start steps, run as scripts on the host (no Docker engine here): a fresh
prefix gets localstack-core with the host's pins (on Python 3.13), the plugins and a python3.12 Lambda
runtime, and the
LocalStack it starts serves the plugins' services and runs a python3.12 function, with no auth token.

The install reuses pip's cache, so after the first run it takes about a minute on 2 cores. Marked `image`:
`make test` runs it when the image's inputs changed since it last passed (tests/local_cloud/image_gate.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

from local_cloud import processes, settings
from local_cloud.controller import free_port
from tests.local_cloud.helpers import invoke, zip_bytes

pytestmark = [pytest.mark.slow, pytest.mark.localcloud, pytest.mark.image]

ROOT = settings.REPO_ROOT
DOCKER = ROOT / "local_cloud" / "docker"


def _image_python_version() -> str:
    compose = (ROOT / "docker-compose.localstack.yml").read_text()
    return compose.split('LAMBDA_PYTHON_VERSION: "', 1)[1].split('"', 1)[0]


def _python(version: str) -> str:
    found = subprocess.run(
        [str(ROOT / "scripts" / "find_python.sh"), version], capture_output=True, text=True
    )
    if found.returncode != 0:
        pytest.fail(f"no Python {version} for the image's steps: {found.stderr.strip()}", pytrace=False)
    return found.stdout.strip()


@pytest.fixture(scope="module")
def image_localstack():
    """(endpoint URL, prefix) of a LocalStack installed and started by the image's own scripts.

    In a temporary folder of its own: pytest's numbered folders are pruned by later sessions, and the
    install takes minutes."""
    with tempfile.TemporaryDirectory(prefix="review-sentiment-image-steps-") as tmp:
        yield from _install_and_start(Path(tmp))


def _install_and_start(root: Path):
    version = _image_python_version()
    found = subprocess.run(
        [str(ROOT / "scripts" / "find_python.sh"), version], capture_output=True, text=True
    )
    if found.returncode != 0:
        pytest.fail(f"no Python {version} for the image's steps: {found.stderr.strip()}", pytrace=False)
    prefix = root / "opt"
    prefix.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PYTHON", "VIRTUAL_ENV"))}
    began = time.monotonic()
    install = subprocess.run(
        ["sh", str(DOCKER / "install_localstack.sh")],
        cwd=ROOT,
        env={
            **env,
            "PREFIX": str(prefix),
            "PYTHON": _python("3.13"),
            "LAMBDA_PYTHON": _python(_image_python_version()),
        },
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert install.returncode == 0, install.stdout[-3000:] + install.stderr[-3000:]
    print(f"\nimage install steps took {time.monotonic() - began:.0f} s")
    port = free_port()
    data = root / "data"
    data.mkdir()
    log = (data / "localstack.log").open("wb")
    start_env = {
        **env,
        "PREFIX": str(prefix),
        "LOCALSTACK_DATA": str(data),
        "GATEWAY_LISTEN": f"127.0.0.1:{port}",
        "LOCALSTACK_HOST": f"localhost:{port}",
    }
    proc = subprocess.Popen(
        ["sh", str(DOCKER / "start_localstack.sh")],
        cwd=ROOT,
        env=start_env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                text = (data / "localstack.log").read_text()
                pytest.fail(f"LocalStack from the image's steps exited:\n{text[:4000]}\n...\n{text[-2000:]}")
            assert time.monotonic() < deadline, "LocalStack from the image's steps was not healthy in 120 s"
            try:
                with urllib.request.urlopen(f"{endpoint}/_localstack/health", timeout=2) as response:
                    json.loads(response.read())
                break
            except OSError:
                time.sleep(0.5)
        yield endpoint, prefix
    finally:
        processes.stop_group(proc.pid, grace_s=5)
        log.close()


def test_localstack_core_is_the_host_pin(image_localstack):
    _, prefix = image_localstack
    pins = {
        line.split("==")[0].split("[")[0].strip(): line.split("==")[1].split()[0]
        for line in (ROOT / "requirements" / "localstack.txt").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    }
    frozen = subprocess.run(
        [str(prefix / "localstack" / "bin" / "python"), "-m", "pip", "freeze"], capture_output=True, text=True
    ).stdout.lower()
    for package, version in pins.items():
        assert f"{package.lower()}=={version}" in frozen.replace("_", "-"), package


def test_it_serves_the_plugins_services_and_runs_a_python_function(image_localstack):
    endpoint, prefix = image_localstack
    with urllib.request.urlopen(f"{endpoint}/_localstack/health", timeout=5) as response:
        services = json.loads(response.read())["services"]
    assert {"glue", "batch", "lambda"} <= set(services)  # glue and batch come from the plugins
    lam = boto3.client(
        "lambda",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(read_timeout=120, retries={"max_attempts": 1}),
    )
    code = (
        "import sys\n\n"
        "def handler(event, context):\n"
        "    return {'python': sys.executable, 'v': sys.version_info[1]}\n"
    )
    lam.create_function(
        FunctionName="image-probe",
        Runtime=f"python{_image_python_version()}",
        Handler="app.handler",
        Role="arn:aws:iam::000000000000:role/lambda-role",
        Code={"ZipFile": zip_bytes({"app.py": code})},
    )
    lam.get_waiter("function_active_v2").wait(FunctionName="image-probe", WaiterConfig={"Delay": 1})
    result = invoke(lam, "image-probe")
    # the function ran on the image's Lambda runtime (the local-process executor plugin), not another Python
    assert result.function_error is None, result.payload
    assert result.payload["python"].startswith(str(prefix / "lambda-python"))
    assert result.payload["v"] == int(_image_python_version().split(".")[1])
