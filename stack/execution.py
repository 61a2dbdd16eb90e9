"""Start a training pipeline execution and follow it state by state from its event history."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from review_sentiment import aws
from review_sentiment.pipeline.plan import RunRequest
from review_sentiment.progress import Progress

TERMINAL = ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")


@dataclass
class StateTiming:
    name: str
    label: str  # name plus the model kind inside the Map
    entered: datetime
    exited: datetime | None = None

    @property
    def seconds(self) -> float | None:
        return None if self.exited is None else (self.exited - self.entered).total_seconds()


@dataclass
class ExecutionResult:
    arn: str
    status: str
    output: dict | None
    error: str | None
    cause: str | None
    started: datetime
    stopped: datetime | None
    states: list[StateTiming] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        end = self.stopped or datetime.now(UTC)
        return (end - self.started).total_seconds()


def upload_reviews(raw_bucket: str, path: Path, prefix: str | None = None) -> str:
    """Uploads one review file under a fresh prefix of the raw bucket; returns the s3:// prefix."""
    prefix = prefix or f"incoming/{datetime.now(UTC):%Y%m%dT%H%M%S%f}/"
    aws.client("s3").put_object(Bucket=raw_bucket, Key=prefix + path.name, Body=path.read_bytes())
    return f"s3://{raw_bucket}/{prefix}"


def start_execution(state_machine_arn: str, request: dict, name: str | None = None) -> str:
    RunRequest.parse(request)  # the same contract PrepareRun checks, before anything starts
    name = name or f"run-{datetime.now(UTC):%Y%m%dT%H%M%S}-{time.monotonic_ns() % 10_000:04d}"
    response = aws.client("stepfunctions").start_execution(
        stateMachineArn=state_machine_arn, name=name, input=json.dumps(request)
    )
    return response["executionArn"]


def _label(name: str, details: dict) -> str:
    try:
        state = json.loads(details.get("input") or "{}")
    except ValueError:
        state = None
    job = state.get("job") if isinstance(state, dict) else None  # a state's input may be any JSON
    kind = job.get("model_kind") if isinstance(job, dict) else None
    return f"{name} [{kind}]" if kind else name


def _history(sfn, arn: str) -> list[dict]:
    events, token = [], None
    while True:
        kwargs = {"executionArn": arn, "maxResults": 1000, **({"nextToken": token} if token else {})}
        page = sfn.get_execution_history(**kwargs)
        events += page["events"]
        token = page.get("nextToken")
        if not token:
            return events


def state_timings(events: list[dict]) -> list[StateTiming]:
    """One entry per state visit: entered/exited times, in order of entry."""
    timings: list[StateTiming] = []
    open_by_name: dict[str, list[StateTiming]] = {}
    for event in events:
        kind = event["type"]
        if kind.endswith("StateEntered"):
            details = event.get("stateEnteredEventDetails", {})
            timing = StateTiming(details["name"], _label(details["name"], details), event["timestamp"])
            timings.append(timing)
            open_by_name.setdefault(details["name"], []).append(timing)
        elif kind.endswith("StateExited"):
            name = event.get("stateExitedEventDetails", {}).get("name")
            if open_by_name.get(name):
                open_by_name[name].pop(0).exited = event["timestamp"]
    return timings


def follow(arn: str, progress: Progress, poll_s: float = 1.0, timeout_s: float = 3600.0) -> ExecutionResult:
    """Prints each state as it starts and ends (with its duration) until the execution finishes."""
    sfn = aws.client("stepfunctions")
    reported_entered: set[int] = set()
    reported_exited: set[int] = set()
    deadline = time.monotonic() + timeout_s
    while True:
        description = sfn.describe_execution(executionArn=arn)
        timings = state_timings(_history(sfn, arn))
        for index, timing in enumerate(timings):
            if index not in reported_entered:
                reported_entered.add(index)
                progress(f"  > {timing.label}")
            if timing.exited is not None and index not in reported_exited:
                reported_exited.add(index)
                progress(f"  < {timing.label:<32} {timing.seconds:7.1f} s")
        status = description["status"]
        if status in TERMINAL:
            return ExecutionResult(
                arn=arn,
                status=status,
                output=json.loads(description["output"]) if description.get("output") else None,
                error=description.get("error"),
                cause=description.get("cause"),
                started=description["startDate"],
                stopped=description.get("stopDate"),
                states=timings,
            )
        if time.monotonic() > deadline:
            raise TimeoutError(f"execution {arn} still {status} after {timeout_s:.0f} s")
        time.sleep(poll_s)
