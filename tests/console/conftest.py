"""Fixtures of the console's unit tests: moto for AWS, local JSON servers (console_test_support)."""

from __future__ import annotations

import os

import pytest

from review_sentiment import aws
from tests.support.console import Handler, JsonServer


@pytest.fixture
def moto_aws(monkeypatch):
    """moto for every AWS call; no request leaves the process."""
    from moto import mock_aws

    for name in list(os.environ):
        if name.startswith("AWS_ENDPOINT_URL"):
            monkeypatch.delenv(name)
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)
    aws.client.cache_clear()
    with mock_aws():
        yield aws.client
    aws.client.cache_clear()


@pytest.fixture
def json_server():
    """`json_server(handler)`: a started JsonServer (closed after the test)."""
    started: list[JsonServer] = []

    def start(handler: Handler) -> JsonServer:
        server = JsonServer(handler)
        started.append(server)
        return server

    yield start
    for server in started:
        server.close()
