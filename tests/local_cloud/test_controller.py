"""The controller: LocalStack starts healthy on a chosen port, keeps its files under the state dir, and stops
with nothing left behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from local_cloud import processes, settings
from local_cloud.controller import LocalCloud, LocalCloudError, free_port

pytestmark = pytest.mark.localcloud


def test_session_cloud_is_healthy_on_its_port(local_cloud, local_aws):
    # GIVEN the session's local cloud WHEN asked for health and an AWS call THEN both answer on its port
    health = local_cloud.health()
    assert health is not None and "lambda" in health["services"]
    assert local_aws("sts").get_caller_identity()["Account"] == "000000000000"
    assert local_cloud.status().running
    assert (local_cloud.state_dir / "filesystem").is_dir()


@pytest.mark.slow
def test_up_and_down_leave_no_process(tmp_path):
    # GIVEN a second local cloud started through the CLI, as a user would
    port = free_port()
    cli = [sys.executable, "-m", "local_cloud", "--port", str(port), "--state-dir", str(tmp_path)]
    subprocess.run([*cli, "up"], check=True, cwd=settings.REPO_ROOT, timeout=120)
    cloud = LocalCloud(state_dir=tmp_path)
    pid = cloud.pid()
    assert pid is not None and cloud.port == port and cloud.is_healthy()
    assert json.loads(cloud.pid_file.read_text())["port"] == port
    assert subprocess.run([*cli, "status"], cwd=settings.REPO_ROOT).returncode == 0

    # WHEN it is stopped THEN its whole process group is gone, and status says so
    subprocess.run([*cli, "down"], check=True, cwd=settings.REPO_ROOT, timeout=60)
    assert processes.group_members(pid) == []
    assert not cloud.pid_file.exists()
    assert subprocess.run([*cli, "status"], cwd=settings.REPO_ROOT).returncode == 1


def test_busy_port_is_a_clear_error(local_cloud, tmp_path):
    # GIVEN the session cloud's port WHEN another cloud wants it THEN it refuses, naming the setting to change
    with pytest.raises(LocalCloudError, match=settings.ENV_PORT):
        LocalCloud(port=local_cloud.port, state_dir=tmp_path).start()


def test_missing_localstack_environment_names_the_fix(tmp_path):
    cloud = LocalCloud(port=free_port(), state_dir=tmp_path, localstack_python=tmp_path / "no" / "python")
    with pytest.raises(LocalCloudError, match="make localstack-venv"):
        cloud.start()


def test_cli_reports_user_errors_in_one_line(tmp_path):
    # a missing LocalStack environment: exit code 2 and one line on stderr, no traceback
    env = {"LOCAL_CLOUD_LOCALSTACK_PYTHON": str(tmp_path / "python"), "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-m", "local_cloud", "--port", str(free_port()), "--state-dir", str(tmp_path), "up"],
        cwd=settings.REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and "Traceback" not in result.stderr


def _warm_environment(cloud: LocalCloud) -> int:
    """Create and invoke a function on `cloud`; return the pid of its execution environment."""
    import boto3

    from tests.local_cloud.helpers import invoke, zip_bytes

    lam = boto3.client(
        "lambda", endpoint_url=cloud.endpoint_url, region_name="us-east-1",
        aws_access_key_id="test", aws_secret_access_key="test",
    )  # fmt: skip
    code = zip_bytes({"app.py": "import os\n\ndef handler(event, context):\n    return os.getpid()\n"})
    lam.create_function(
        FunctionName="pid", Runtime="python3.12", Handler="app.handler",
        Role="arn:aws:iam::000000000000:role/r", Code={"ZipFile": code},
    )  # fmt: skip
    lam.get_waiter("function_active_v2").wait(FunctionName="pid")
    pid = invoke(lam, "pid").payload
    assert processes.alive(pid)
    return pid


@pytest.mark.slow
def test_stop_leaves_no_lambda_environment_even_after_a_crash(tmp_path):
    # GIVEN a local cloud with a warm Lambda environment
    cloud = LocalCloud(port=free_port(), state_dir=tmp_path)
    cloud.start()
    try:
        env_pid = _warm_environment(cloud)
        # WHEN LocalStack dies without shutting down (kill -9); its environment may outlive it (the
        # runtime client only exits once it notices its Runtime API is gone, which is a race)
        localstack_pid = cloud.pid()
        os.kill(localstack_pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while processes.alive(localstack_pid) and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        # THEN `stop` (what `down` runs) still finds and ends it: nothing is left
        cloud.stop()
    assert not processes.alive(env_pid)
    assert not list((tmp_path / "lambda").glob("*/pid"))


@pytest.mark.slow
def test_idle_environment_is_retired_after_the_keepalive(tmp_path, monkeypatch):
    # GIVEN a local cloud whose idle environments live 1 s (LocalStack's LAMBDA_KEEPALIVE_MS)
    monkeypatch.setenv("LAMBDA_KEEPALIVE_MS", "1000")
    cloud = LocalCloud(port=free_port(), state_dir=tmp_path)
    cloud.start()
    try:
        env_pid = _warm_environment(cloud)
        # WHEN it stays idle THEN its process is stopped (the shared keep-alive timer fired)
        deadline = time.monotonic() + 20
        while processes.alive(env_pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not processes.alive(env_pid)
    finally:
        cloud.stop()
