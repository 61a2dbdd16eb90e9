"""console.sources.pipeline: executions, the jobs each one started, a failed one's record."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from console.sources import pipeline

T0 = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)


def entered(kind: str, name: str, state_input: dict | None = None) -> tuple[str, dict]:
    return f"{kind}StateEntered", {
        "stateEnteredEventDetails": {"name": name, "input": json.dumps(state_input or {})}
    }


def exited(kind: str, name: str) -> tuple[str, dict]:
    return f"{kind}StateExited", {"stateExitedEventDetails": {"name": name}}


def job_task(resource_type: str, parameters: dict, submitted: dict) -> list[tuple[str, dict]]:
    """A `.sync` task's events: scheduled with its parameters, started, submitted (the job's id), done."""
    return [
        ("TaskScheduled", {"taskScheduledEventDetails": {"resourceType": resource_type,
                                                         "parameters": json.dumps(parameters)}}),
        ("TaskStarted", {"taskStartedEventDetails": {"resourceType": resource_type}}),
        ("TaskSubmitted", {"taskSubmittedEventDetails": {"resourceType": resource_type,
                                                         "output": json.dumps(submitted)}}),
        ("TaskSucceeded", {"taskSucceededEventDetails": {"resourceType": resource_type, "output": "{}"}}),
    ]  # fmt: skip


def history(failure_uri: str | None = None) -> list[dict]:
    """A Step Functions event history in GetExecutionHistory's shape: a Glue job, a Map iteration
    running a Batch job, and (optionally) RecordFailure's output."""
    rows = [
        ("ExecutionStarted", {}),
        entered("Task", "ValidateReviews"),
        *job_task("glue", {"JobName": "rs-validate"}, {"JobRunId": "jr_1"}),
        exited("Task", "ValidateReviews"),
        entered("Map", "TrainModels"),
        ("MapIterationStarted", {}),
        entered("Task", "TrainModelKind", {"job": {"model_kind": "logreg"}}),
        *job_task("batch", {"JobName": "train-logreg"}, {"JobId": "b-1", "JobName": "train-logreg"}),
        exited("Task", "TrainModelKind"),
        ("MapIterationSucceeded", {}),
        exited("Map", "TrainModels"),
    ]
    if failure_uri:
        payload = {"Payload": {"error": "GlueJobFailed", "failure_uri": failure_uri}, "StatusCode": 200}
        rows += [
            entered("Task", "RecordFailure"),
            ("TaskScheduled", {"taskScheduledEventDetails": {"resourceType": "lambda", "parameters": "{}"}}),
            ("TaskSucceeded", {"taskSucceededEventDetails": {"output": json.dumps(payload)}}),
            exited("Task", "RecordFailure"),
        ]
    return [
        {
            "id": n,
            "previousEventId": n - 1,
            "type": kind,
            "timestamp": T0 + timedelta(seconds=10 * n),
            **details,
        }
        for n, (kind, details) in enumerate(rows, start=1)
    ]


def test_the_jobs_an_execution_started_are_named_by_their_state():
    assert pipeline.job_runs(history()) == [
        pipeline.JobRun("glue", "ValidateReviews", "rs-validate", "jr_1"),
        pipeline.JobRun("batch", "TrainModelKind [logreg]", "train-logreg", "b-1"),
    ]


def test_a_failed_run_shows_the_record_record_failure_wrote(moto_aws):
    s3 = moto_aws("s3")
    s3.create_bucket(Bucket="models")
    record = {"status": "FAILED", "error": "GlueJobFailed", "cause": "batch rejected: 200 of 400 rows"}
    s3.put_object(Bucket="models", Key="runs/r1/failure.json", Body=json.dumps(record).encode())
    found = pipeline.failure_record(s3, history("s3://models/runs/r1/failure.json"))
    assert found == {"failure_uri": "s3://models/runs/r1/failure.json", **record}
    assert pipeline.failure_record(s3, history()) is None
    gone = pipeline.failure_record(s3, history("s3://models/runs/r2/failure.json"))
    assert gone["note"] == "the failure record could not be read"


def test_executions_are_listed_newest_first(moto_aws):
    sfn = moto_aws("stepfunctions")
    definition = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}})
    arn = sfn.create_state_machine(
        name="sm", definition=definition, roleArn="arn:aws:iam::123456789012:role/r"
    )["stateMachineArn"]
    for name in ("first", "second", "third"):
        sfn.start_execution(stateMachineArn=arn, name=name, input="{}")
    found = pipeline.executions(sfn, arn, limit=2)
    assert len(found) == 2 and all(e["startDate"] >= found[-1]["startDate"] for e in found)
    assert {e["name"] for e in pipeline.executions(sfn, arn)} == {"first", "second", "third"}
    detail = pipeline.execution_detail(sfn, moto_aws("s3"), found[0]["executionArn"])
    assert detail.name in {"first", "second", "third"} and detail.input == {}


def test_state_rows_give_each_visit_its_duration():
    detail = pipeline.ExecutionDetail("arn", "run", "SUCCEEDED", T0, T0, {}, {}, None, None)
    detail.states = pipeline.state_timings(history())
    rows = pipeline.state_rows(detail)
    assert [(r["state"], r["seconds"]) for r in rows] == [
        ("ValidateReviews", 50.0),
        ("TrainModels", 90.0),
        ("TrainModelKind [logreg]", 50.0),
    ]
