"""console.sources.logs: what a user types resolved to log streams; reading and following them (moto)."""

from __future__ import annotations

import contextlib
import time

import pytest

from console.sources import logs

NOW = int(time.time() * 1000) - 60_000  # CloudWatch Logs refuses events older than 14 days

RESOURCES = [
    logs.StackResource("InferenceFunction", "AWS::Lambda::Function", "rs-local-InferenceFunction-ab12"),
    logs.StackResource("DriftMonitorFunction", "AWS::Lambda::Function", "rs-local-DriftMonitorFunction-cd34"),
    logs.StackResource("ValidateReviewsJob", "AWS::Glue::Job", "rs-local-validate-reviews"),
    logs.StackResource("PreprocessReviewsJob", "AWS::Glue::Job", "rs-local-preprocess-reviews"),
    logs.StackResource(
        "TrainingJobDefinition",
        "AWS::Batch::JobDefinition",
        "arn:aws:batch:us-east-1:000000000000:job-definition/rs-local-train-model-kind:1",
    ),
]


class FakeGlue:
    def __init__(self, runs: dict[str, list[dict]]) -> None:
        self.runs = runs

    def get_job_runs(self, JobName: str, MaxResults: int) -> dict:
        return {"JobRuns": self.runs.get(JobName, [])}


class FakeBatch:
    def __init__(self, jobs: dict[str, dict]) -> None:
        self.jobs = jobs

    def describe_jobs(self, jobs: list[str]) -> dict:
        return {"jobs": [self.jobs[j] for j in jobs if j in self.jobs]}


@pytest.fixture
def cloudwatch_logs(moto_aws):
    client = moto_aws("logs")

    def write(group: str, stream: str, lines: list[tuple[int, str]]) -> None:
        with contextlib.suppress(client.exceptions.ResourceAlreadyExistsException):
            client.create_log_group(logGroupName=group)
        client.create_log_stream(logGroupName=group, logStreamName=stream)
        client.put_log_events(
            logGroupName=group,
            logStreamName=stream,
            logEvents=[{"timestamp": NOW + t, "message": m} for t, m in lines],
        )

    client.write = write
    return client


def test_a_logical_id_a_deployed_name_or_a_unique_part_names_a_function(cloudwatch_logs):
    for name in ("InferenceFunction", "rs-local-inferencefunction-ab12", "inference"):
        [target] = logs.resolve(name, RESOURCES, cloudwatch_logs, FakeGlue({}), FakeBatch({}))
        assert target.group == "/aws/lambda/rs-local-InferenceFunction-ab12" and target.stream is None


def test_a_glue_job_means_its_latest_run_in_both_glue_groups(cloudwatch_logs):
    glue = FakeGlue(
        {"rs-local-preprocess-reviews": [{"Id": "jr_new", "StartedOn": 2}, {"Id": "jr_old", "StartedOn": 1}]}
    )
    targets = logs.resolve("preprocess", RESOURCES, cloudwatch_logs, glue, FakeBatch({}))
    assert [(t.group, t.stream) for t in targets] == [
        ("/aws-glue/jobs/output", "jr_new"),
        ("/aws-glue/jobs/error", "jr_new"),
    ]
    assert logs.resolve("jr_given", RESOURCES, cloudwatch_logs, glue, FakeBatch({}))[0].stream == "jr_given"


def test_a_training_job_definition_means_its_latest_job(cloudwatch_logs):
    cloudwatch_logs.write(logs.BATCH_GROUP, "rs-local-train-model-kind/default/job-1", [(1_000, "old")])
    cloudwatch_logs.write(logs.BATCH_GROUP, "rs-local-train-model-kind/default/job-2", [(5_000, "new")])
    [target] = logs.resolve("training", RESOURCES, cloudwatch_logs, FakeGlue({}), FakeBatch({}))
    assert (target.group, target.stream) == (logs.BATCH_GROUP, "rs-local-train-model-kind/default/job-2")


def test_a_batch_job_id_is_found_through_describe_jobs(cloudwatch_logs):
    batch = FakeBatch(
        {"5f0c": {"jobName": "train-logreg-run-1", "container": {"logStreamName": "d/default/5f0c"}}}
    )
    [target] = logs.resolve("5f0c", RESOURCES, cloudwatch_logs, FakeGlue({}), batch)
    assert target.stream == "d/default/5f0c" and "train-logreg-run-1" in target.description


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("function", "fits 2: InferenceFunction, DriftMonitorFunction; say which"),
        (
            "nothing-like-it",
            "nothing with logs is called 'nothing-like-it'; choose one of: DriftMonitorFunction",
        ),
        ("  ", "say which function or job"),
        ("validate", "has not run yet"),
    ],
)
def test_a_name_that_fits_none_or_several_says_what_would(cloudwatch_logs, name, message):
    with pytest.raises(logs.NoSuchLogTarget, match=message):
        logs.resolve(name, RESOURCES, cloudwatch_logs, FakeGlue({}), FakeBatch({}))


def test_events_of_several_streams_are_merged_in_time_order(cloudwatch_logs):
    cloudwatch_logs.write("/aws-glue/jobs/output", "jr_1", [(1_000, "reading"), (3_000, "wrote 10 rows")])
    cloudwatch_logs.write("/aws-glue/jobs/error", "jr_1", [(2_000, "a warning")])
    cloudwatch_logs.write("/aws-glue/jobs/output", "jr_2", [(1_500, "another run")])
    events = logs.read_all(cloudwatch_logs, logs.glue_run_targets("job", "jr_1"))
    assert [e["message"] for e in events] == ["reading", "a warning", "wrote 10 rows"]
    assert [
        e["message"]
        for e in logs.read_all(cloudwatch_logs, logs.glue_run_targets("job", "jr_1"), start_ms=NOW + 2_500)
    ] == ["wrote 10 rows"]
    assert logs.read_events(cloudwatch_logs, logs.lambda_target("never-ran")) == []


def test_following_prints_each_event_once_as_it_arrives(cloudwatch_logs):
    group, stream = "/aws/lambda/f", "2026/12/04/[$LATEST]abc"
    cloudwatch_logs.write(group, stream, [(1_000, "START"), (1_000, "first")])
    polls = []

    def sleep(_seconds: float) -> None:  # between polls: the function logs more
        polls.append(1)
        if len(polls) == 1:
            cloudwatch_logs.put_log_events(
                logGroupName=group,
                logStreamName=stream,
                logEvents=[{"timestamp": NOW + 2_000, "message": "second"}],
            )

    seen = list(
        logs.follow(
            cloudwatch_logs,
            [logs.LogTarget("f", group, stream)],
            start_ms=0,
            poll_s=0,
            keep_going=lambda: len(polls) < 2,
            sleep=sleep,
        )
    )
    assert [e["message"] for e in seen] == ["START", "first", "second"]
