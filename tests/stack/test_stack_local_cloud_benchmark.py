"""The smoke run of benchmarks/bench_pipeline.py (`--quick`, see tests/test_benchmarks.py): the local
cloud's side is read from the session's main job (the `champion` fixture's execution, promoted by
test_stack_local_cloud.py), so no pipeline runs for it; the direct side runs on 90 products' reviews."""

from __future__ import annotations

import pytest

from review_sentiment import aws

pytestmark = [pytest.mark.slow, pytest.mark.localcloud]


def test_pipeline_benchmark_completes_in_quick_mode_on_the_main_job(stack, champion, local_cloud):
    from tests.test_benchmarks import run_quick

    sfn = aws.client("stepfunctions")
    succeeded = sfn.list_executions(
        stateMachineArn=stack["TrainingPipelineStateMachineArn"], statusFilter="SUCCEEDED"
    )["executions"]
    promoted = [e for e in succeeded if not e["name"].startswith("drift-")]
    assert promoted, "no succeeded execution of the training pipeline in this session"
    arn = min(promoted, key=lambda e: e["startDate"])["executionArn"]
    output = run_quick(
        "bench_pipeline.py", "--endpoint-url", local_cloud.endpoint_url, "--execution-arn", arn
    )
    assert "local cloud overhead over the direct run" in output
