"""Shared fixtures for the whole suite: the session's local cloud (plugin) and a fake Lambda context."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

# `local_cloud`, `local_aws`, `local_cloud_env`, `sam_deploy`: one embedded LocalStack for the test session;
# the `image` marker's gate (the Docker image's install test runs when its inputs change).
# `aws_mock`, `tiny_model`, `inverted_model`, `tiny_transformer`: tests/support/fixtures.py.
pytest_plugins = ["local_cloud.pytest_plugin", "tests.local_cloud.image_gate", "tests.support.fixtures"]


@dataclass
class FakeLambdaContext:
    """What a handler reads from Lambda's context object (the attributes Powertools' Logger injects, and
    the remaining time), with fixed values; powertools documents the same fake for handler tests."""

    function_name: str = "test"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:test"
    aws_request_id: str = "da658bd3-2d6f-4e7b-8ec9-937234644fdc"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 30_000


@pytest.fixture(scope="session")
def quick_benchmarks():
    """The benchmarks' smoke runs of the session (tests/benchmark_smoke.py), run in the background."""
    from tests.benchmark_smoke import QuickRuns

    runs = QuickRuns()
    yield runs
    runs.close()


@pytest.fixture
def lambda_context() -> FakeLambdaContext:
    """A fake Lambda context for calling a handler in process."""
    return FakeLambdaContext()
