"""The smoke run of benchmarks/bench_pipeline.py (`--quick`, see tests/test_benchmarks.py): the local
cloud's side is read from the session's main job (the first execution that succeeded, promoted by
test_stack_local_cloud.py or by the `champion` fixture), so no pipeline runs for it; the direct side runs
on 90 products' reviews. It also starts the other benchmarks' smoke runs in the background, so that they
overlap the drift tests' waiting; tests/test_benchmarks.py collects them."""

from __future__ import annotations

import pytest

from review_sentiment import aws
from tests.benchmark_smoke import PIPELINE, check

pytestmark = [pytest.mark.slow, pytest.mark.localcloud]


def test_pipeline_benchmark_completes_in_quick_mode_on_the_main_job(
    stack, champion, local_cloud, quick_benchmarks
):
    sfn = aws.client("stepfunctions")
    succeeded = sfn.list_executions(
        stateMachineArn=stack["TrainingPipelineStateMachineArn"], statusFilter="SUCCEEDED"
    )["executions"]
    manual = [e for e in succeeded if not e["name"].startswith("drift-")]
    assert manual, "no execution of the training pipeline succeeded in this session"
    arn = min(manual, key=lambda e: e["startDate"])["executionArn"]
    script, last_line = PIPELINE
    quick_benchmarks.start(script, "--endpoint-url", local_cloud.endpoint_url, "--execution-arn", arn)
    quick_benchmarks.start_all(local_cloud.endpoint_url)  # in the background, during the drift tests
    check(quick_benchmarks.result(script), script, last_line)
