"""pytest fixtures for tests that need the embedded local cloud (registered in tests/conftest.py).

One LocalStack per test session, on a free port with its state in a temporary folder, so tests never
touch a local cloud the user runs on 4566. It stops at the end of the session, Lambda environments
included.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

from local_cloud.controller import LocalCloud, LocalCloudError, free_port


@pytest.fixture(scope="session")
def local_cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    """A started, healthy LocalCloud (endpoint_url, port, state_dir, client_env())."""
    cloud = LocalCloud(port=free_port(), state_dir=tmp_path_factory.mktemp("localstack"))
    try:
        cloud.start()
    except LocalCloudError as exc:
        pytest.fail(f"the local cloud did not start: {exc}", pytrace=False)
    try:
        yield cloud
    finally:
        cloud.stop()


@pytest.fixture(scope="session")
def local_aws(local_cloud: LocalCloud) -> Callable[..., object]:
    """`local_aws("lambda")`: a boto3 client for the session's local cloud (fake credentials)."""
    session = boto3.session.Session(
        aws_access_key_id="test",
        aws_secret_access_key="test",
        region_name=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
    )
    clients: dict[tuple[str, float], object] = {}

    def client(service: str, read_timeout: float = 120.0):
        key = (service, read_timeout)
        if key not in clients:
            config = Config(read_timeout=read_timeout, retries={"max_attempts": 1, "mode": "standard"})
            clients[key] = session.client(service, endpoint_url=local_cloud.endpoint_url, config=config)
        return clients[key]

    return client


@pytest.fixture
def local_cloud_env(local_cloud: LocalCloud, monkeypatch: pytest.MonkeyPatch) -> LocalCloud:
    """Points AWS_ENDPOINT_URL and fake credentials at the session's local cloud for one test."""
    for name, value in local_cloud.client_env().items():
        monkeypatch.setenv(name, value)
    return local_cloud


@pytest.fixture(scope="session")
def sam_deploy(
    local_cloud: LocalCloud, tmp_path_factory: pytest.TempPathFactory
) -> Callable[..., dict[str, str]]:
    """`sam_deploy(template, stack_name)`: `sam build` + `sam deploy` to the session's local cloud, once per
    stack name; returns the stack's outputs."""
    from local_cloud.deploy import deploy

    deployed: dict[str, dict[str, str]] = {}

    def _deploy(template: Path | str, stack_name: str, parameter_overrides: dict[str, str] | None = None):
        if stack_name not in deployed:
            try:
                deployed[stack_name] = deploy(
                    local_cloud,
                    Path(template),
                    stack_name=stack_name,
                    build_dir=tmp_path_factory.mktemp(f"sam-build-{stack_name}"),
                    parameter_overrides=parameter_overrides,
                )
            except LocalCloudError as exc:
                pytest.fail(f"deploying {template} failed: {exc}", pytrace=False)
        return deployed[stack_name]

    return _deploy
