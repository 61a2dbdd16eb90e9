"""Training pipeline executions from Step Functions: status, per-state durations, the failure record,
and the Glue job runs and Batch training jobs each one started (whose progress lines are in CloudWatch
Logs: console.sources.logs).

Per-state durations come from the execution's event history (`stack.execution.state_timings`, the same
reading `python -m stack run` prints while it follows a run). A failed execution's record is what the
RecordFailure step wrote (`failure_uri` in its output: `runs/<run>/failure.json` of the models bucket),
else the execution's own error and cause. Clients (boto3 `stepfunctions`, `s3`) are passed in.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from review_sentiment.s3_io import split_s3_uri
from stack.execution import StateTiming, state_timings

JOB_RESOURCES = ("glue", "batch")


@dataclass(frozen=True)
class JobRun:
    """A Glue job run or Batch job an execution started: kind, name, id (JobRunId or JobId), state."""

    kind: str  # "glue" or "batch"
    state: str  # the state that ran it (with the model kind inside the Map)
    name: str
    run_id: str


@dataclass
class ExecutionDetail:
    """One execution as the pipeline page shows it (times are datetimes; input and output parsed JSON)."""

    arn: str
    name: str
    status: str
    started: object
    stopped: object
    input: dict | None
    output: dict | None
    error: str | None
    cause: str | None
    states: list[StateTiming] = field(default_factory=list)
    jobs: list[JobRun] = field(default_factory=list)
    failure: dict | None = None


def executions(sfn, state_machine_arn: str, limit: int = 25) -> list[dict]:
    """The newest `limit` executions: name, status, start and stop times, executionArn (newest first)."""
    found: list[dict] = []
    for page in sfn.get_paginator("list_executions").paginate(stateMachineArn=state_machine_arn):
        found += page.get("executions", [])
        if len(found) >= limit:
            break
    found.sort(key=lambda e: e["startDate"], reverse=True)
    return found[:limit]


def history(sfn, execution_arn: str) -> list[dict]:
    """Every event of the execution's history, oldest first (GetExecutionHistory, all pages)."""
    events: list[dict] = []
    for page in sfn.get_paginator("get_execution_history").paginate(executionArn=execution_arn):
        events += page.get("events", [])
    return events


def _json(text) -> dict | None:
    try:
        value = json.loads(text) if isinstance(text, str) else None
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def job_runs(events: list[dict]) -> list[JobRun]:
    """The Glue job runs and Batch jobs the history shows (TaskSubmitted outputs), in order."""
    timings = state_timings(events)
    runs: list[JobRun] = []
    by_id = {e["id"]: e for e in events}
    for event in events:
        if event["type"] != "TaskSubmitted":
            continue
        details = event.get("taskSubmittedEventDetails", {})
        if details.get("resourceType") not in JOB_RESOURCES:
            continue
        output = _json(details.get("output")) or {}
        run_id = output.get("JobRunId") or output.get("JobId") or output.get("Id")
        if not run_id:
            continue
        scheduled = _walk_back(by_id, event, lambda e: e["type"] == "TaskScheduled") or {}
        parameters = _json(scheduled.get("taskScheduledEventDetails", {}).get("parameters")) or {}
        name = output.get("JobName") or parameters.get("JobName") or ""
        state = _entered_state(by_id, event, timings)
        runs.append(JobRun(details["resourceType"], state, name, run_id))
    return runs


def _walk_back(by_id: dict, event: dict, wanted) -> dict | None:
    """The nearest event before `event` (following previousEventId) for which `wanted(event)` holds."""
    walked = by_id.get(event.get("previousEventId"))
    while walked is not None and not wanted(walked):
        walked = by_id.get(walked.get("previousEventId"))
    return walked


def _entered_state(by_id: dict, event: dict, timings: list[StateTiming]) -> str:
    """The label of the state an event belongs to (walking back to its StateEntered event)."""
    walked = _walk_back(by_id, event, lambda e: e["type"].endswith("StateEntered"))
    if not walked:
        return ""
    name = walked.get("stateEnteredEventDetails", {}).get("name", "")
    return next((t.label for t in timings if t.entered == walked["timestamp"] and t.name == name), name)


def failure_record(s3, events: list[dict]) -> dict | None:
    """The record RecordFailure wrote (found through `failure_uri` in a task's output), or None."""
    for event in reversed(events):
        for key in ("taskSucceededEventDetails", "lambdaFunctionSucceededEventDetails"):
            output = _json(event.get(key, {}).get("output"))
            payload = (output or {}).get("Payload", output) if output else None
            uri = payload.get("failure_uri") if isinstance(payload, dict) else None
            if isinstance(uri, str) and uri.startswith("s3://"):
                bucket, object_key = split_s3_uri(uri)
                try:
                    record = json.loads(s3.get_object(Bucket=bucket, Key=object_key)["Body"].read())
                except Exception:  # the record is gone or unreadable: the execution's error still shows
                    return {"failure_uri": uri, "note": "the failure record could not be read"}
                return {"failure_uri": uri, **record} if isinstance(record, dict) else None
    return None


def execution_detail(sfn, s3, execution_arn: str) -> ExecutionDetail:
    """Everything the pipeline page shows about one execution."""
    description = sfn.describe_execution(executionArn=execution_arn)
    events = history(sfn, execution_arn)
    status = description["status"]
    return ExecutionDetail(
        arn=execution_arn,
        name=description.get("name", execution_arn.rsplit(":", 1)[-1]),
        status=status,
        started=description.get("startDate"),
        stopped=description.get("stopDate"),
        input=_json(description.get("input")),
        output=_json(description.get("output")),
        error=description.get("error"),
        cause=description.get("cause"),
        states=state_timings(events),
        jobs=job_runs(events),
        failure=failure_record(s3, events) if status != "SUCCEEDED" else None,
    )


def state_rows(detail: ExecutionDetail) -> list[dict]:
    """One row per state visit: state, seconds (None while running), entered time."""
    return [
        {
            "state": t.label,
            "seconds": None if t.seconds is None else round(t.seconds, 1),
            "entered": t.entered,
        }
        for t in detail.states
    ]


def console_link(region: str, execution_arn: str) -> str:
    """The execution in the AWS console (for a stack on AWS; locally the console page itself shows it)."""
    return (
        f"https://{region}.console.aws.amazon.com/states/home?region={region}"
        f"#/v2/executions/details/{execution_arn}"
    )
