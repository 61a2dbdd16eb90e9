"""CloudWatch Logs of the stack's Lambdas, Glue job runs and Batch training jobs, found by name.

Where AWS writes them (and the local cloud does the same): a function's log group `/aws/lambda/<name>`; a
Glue job run's stream `<JobRunId>` in `/aws-glue/jobs/output` and `/aws-glue/jobs/error`; a Batch job's
stream `<job definition name>/default/<job id>` in `/aws/batch/job` (DescribeJobs gives it). `resolve`
turns what a user types (a logical id of the template such as `InferenceFunction`, a deployed name, a
part of one such as `preprocess` or `training`, a Glue run id `jr_...` or a Batch job id) into log
targets; `read_events` reads them; `follow` keeps reading, like `sam logs --tail`.

Clients (boto3 `logs`, `glue`, `batch`, `cloudformation`) are passed in.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

LAMBDA_GROUP = "/aws/lambda/{name}"
GLUE_GROUPS = ("/aws-glue/jobs/output", "/aws-glue/jobs/error")
BATCH_GROUP = "/aws/batch/job"
LOG_TYPES = {
    "AWS::Lambda::Function": "function",
    "AWS::Glue::Job": "glue job",
    "AWS::Batch::JobDefinition": "batch job definition",
}


class NoSuchLogTarget(LookupError):
    """Nothing with logs matches the name; the message lists what does."""


@dataclass(frozen=True)
class LogTarget:
    """One log stream (or a whole group when `stream` is None), with what it belongs to."""

    description: str
    group: str
    stream: str | None = None


@dataclass(frozen=True)
class StackResource:
    """A resource of the stack that writes logs: its logical id, CloudFormation type and physical id."""

    logical_id: str
    resource_type: str
    physical_id: str

    @property
    def name(self) -> str:
        """The name logs use: a job definition's ARN becomes its name (`.../job-definition/<name>:<rev>`)."""
        if self.resource_type == "AWS::Batch::JobDefinition" and "job-definition/" in self.physical_id:
            return self.physical_id.rsplit("job-definition/", 1)[1].split(":", 1)[0]
        return self.physical_id


def stack_resources(cloudformation, stack_name: str) -> list[StackResource]:
    """The stack's resources whose logs `resolve` can find (functions, Glue jobs, Batch job definitions)."""
    found = []
    for page in cloudformation.get_paginator("list_stack_resources").paginate(StackName=stack_name):
        for r in page["StackResourceSummaries"]:
            if r["ResourceType"] in LOG_TYPES and r.get("PhysicalResourceId"):
                found.append(
                    StackResource(r["LogicalResourceId"], r["ResourceType"], r["PhysicalResourceId"])
                )
    return found


def lambda_target(function_name: str) -> LogTarget:
    """A function's whole log group (every execution environment's stream)."""
    return LogTarget(f"function {function_name}", LAMBDA_GROUP.format(name=function_name))


def glue_run_targets(job_name: str, run_id: str) -> list[LogTarget]:
    """A Glue job run's two streams: its output (progress lines) and its errors."""
    return [LogTarget(f"glue job {job_name} run {run_id}", group, run_id) for group in GLUE_GROUPS]


def batch_job_target(batch, job_id: str) -> LogTarget:
    """The log stream of one Batch job (DescribeJobs); LookupError when there is no such job."""
    jobs = batch.describe_jobs(jobs=[job_id]).get("jobs", [])
    if not jobs:
        raise NoSuchLogTarget(f"no Batch job {job_id}")
    job = jobs[0]
    stream = (job.get("container") or {}).get("logStreamName")
    if not stream:
        definition = job.get("jobDefinition", "").rsplit("job-definition/", 1)[-1].split(":", 1)[0]
        stream = f"{definition}/default/{job_id}"
    return LogTarget(f"batch job {job.get('jobName', job_id)} ({job_id})", BATCH_GROUP, stream)


def latest_glue_run(glue, job_name: str) -> str | None:
    """The id of the job's most recently started run (None before its first run)."""
    runs = glue.get_job_runs(JobName=job_name, MaxResults=50).get("JobRuns", [])
    runs.sort(key=lambda r: r.get("StartedOn") or 0)
    return runs[-1]["Id"] if runs else None


def latest_batch_stream(logs, definition_name: str) -> str | None:
    """The stream of the job definition's most recent job (streams are `<definition>/default/<job id>`)."""
    streams: list[dict] = []
    kwargs = {"logGroupName": BATCH_GROUP, "logStreamNamePrefix": f"{definition_name}/"}
    try:
        for page in logs.get_paginator("describe_log_streams").paginate(**kwargs):
            streams += page.get("logStreams", [])
    except logs.exceptions.ResourceNotFoundException:
        return None
    if not streams:
        return None
    latest = max(streams, key=lambda s: s.get("lastEventTimestamp") or s.get("creationTime") or 0)
    return latest["logStreamName"]


def resolve(name: str, resources: list[StackResource], logs, glue, batch) -> list[LogTarget]:
    """The log targets `name` means; raises NoSuchLogTarget (listing the choices) when none or several fit.

    Tried in order: a Glue run id (`jr_...`), an exact logical id or deployed name (case-insensitive), a
    unique part of one, then a Batch job id. A Glue job gives its latest run, a Batch job definition its
    latest job.
    """
    wanted = name.strip()
    if not wanted:
        raise NoSuchLogTarget("say which function or job: " + _choices(resources))
    if wanted.startswith("jr_"):
        job = next((r.name for r in resources if r.resource_type == "AWS::Glue::Job"), "?")
        return glue_run_targets(job, wanted)
    lowered = wanted.lower()
    exact = [r for r in resources if lowered in (r.logical_id.lower(), r.name.lower())]
    matches = exact or [r for r in resources if lowered in r.logical_id.lower() or lowered in r.name.lower()]
    if len(matches) > 1:
        raise NoSuchLogTarget(
            f"{wanted!r} fits {len(matches)}: {', '.join(r.logical_id for r in matches)}; say which"
        )
    if matches:
        return _targets_of(matches[0], logs, glue, batch)
    try:
        return [batch_job_target(batch, wanted)]
    except Exception:  # ClientError for an id Batch does not know, or NoSuchLogTarget
        raise NoSuchLogTarget(f"nothing with logs is called {wanted!r}; " + _choices(resources)) from None


def _targets_of(resource: StackResource, logs, glue, batch) -> list[LogTarget]:
    if resource.resource_type == "AWS::Lambda::Function":
        return [lambda_target(resource.name)]
    if resource.resource_type == "AWS::Glue::Job":
        run_id = latest_glue_run(glue, resource.name)
        if run_id is None:
            raise NoSuchLogTarget(f"Glue job {resource.name} ({resource.logical_id}) has not run yet")
        return glue_run_targets(resource.name, run_id)
    stream = latest_batch_stream(logs, resource.name)
    if stream is None:
        raise NoSuchLogTarget(f"no job of {resource.name} ({resource.logical_id}) has written a log yet")
    return [LogTarget(f"batch job {stream}", BATCH_GROUP, stream)]


def _choices(resources: list[StackResource]) -> str:
    names = ", ".join(sorted(r.logical_id for r in resources))
    return f"choose one of: {names} (or a part of one, a Glue run id jr_..., a Batch job id)"


def read_events(logs, target: LogTarget, start_ms: int | None = None, limit: int = 1000) -> list[dict]:
    """Events of the target from `start_ms` on (oldest first): {timestamp (ms), message, eventId}; at most
    the newest `limit`. A group or stream that does not exist yet gives no events."""
    kwargs: dict = {"logGroupName": target.group}
    if target.stream:
        kwargs["logStreamNames"] = [target.stream]
    if start_ms is not None:
        kwargs["startTime"] = start_ms
    events: list[dict] = []
    try:
        for page in logs.get_paginator("filter_log_events").paginate(**kwargs):
            events += page.get("events", [])
    except logs.exceptions.ResourceNotFoundException:
        return []
    events.sort(key=lambda e: (e.get("timestamp", 0), e.get("eventId", "")))
    return events[-limit:]


def read_all(logs, targets: list[LogTarget], start_ms: int | None = None, limit: int = 1000) -> list[dict]:
    """The events of several targets merged in time order (each with its `group`)."""
    merged = [
        {**event, "group": target.group}
        for target in targets
        for event in read_events(logs, target, start_ms, limit)
    ]
    merged.sort(key=lambda e: e.get("timestamp", 0))
    return merged[-limit:]


def follow(
    logs,
    targets: list[LogTarget],
    start_ms: int | None = None,
    poll_s: float = 2.0,
    keep_going: Callable[[], bool] = lambda: True,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[dict]:
    """Every event of the targets as it arrives, each once (by eventId), until `keep_going()` is false."""
    seen: set[str] = set()
    since = start_ms
    while True:
        for event in read_all(logs, targets, since, limit=10_000):
            key = event.get("eventId") or f"{event.get('timestamp')}:{event.get('message')}"
            if key in seen:
                continue
            seen.add(key)
            since = max(since or 0, event.get("timestamp", 0))
            yield event
        if not keep_going():
            return
        sleep(poll_s)
