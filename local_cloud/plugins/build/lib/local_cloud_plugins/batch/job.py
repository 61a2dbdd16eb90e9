"""A Batch job whose container command runs as a local process (the image is ignored).

Subclasses moto's `Job` so DescribeJobs, ListJobs, TerminateJob and CancelJob stay moto's. The thread
moto would use to drive Docker only waits for `dependsOn` jobs, then hands the job to the shared queue:
SUBMITTED -> PENDING -> RUNNABLE (waiting for a local slot) -> STARTING -> RUNNING -> SUCCEEDED | FAILED.

Command: containerOverrides.command, else the job definition's; `Ref::name` placeholders are replaced by
the job's parameters (definition defaults merged with SubmitJob's); a leading `python`/`python3`/
`/usr/local/bin/python` runs the project interpreter (see jobs.environment.map_interpreter). The working
directory is LOCAL_JOBS_WORKDIR (the repository root by default), standing in for the image's WORKDIR.
"""

from __future__ import annotations

import contextlib
import datetime
import re
from typing import Any

from moto.batch.models import Job
from moto.batch.utils import JobStatus

from ..jobs.config import JobsConfig
from ..jobs.environment import map_interpreter
from ..jobs.logs import CloudWatchLogStream
from ..jobs.runner import JobHandle, JobQueue, JobResult, JobSetupError, Outcome, ProcessSpec
from ..jobs.runtime import aws_client, job_environment

LOG_GROUP = "/aws/batch/job"
REASON_EXIT = "Essential container in task exited"
REASON_TIMEOUT = "Job attempt duration exceeded timeout"
_PARAMETER = re.compile(r"Ref::([A-Za-z0-9_-]+)")


def substitute_parameters(command: list[str], parameters: dict[str, str]) -> list[str]:
    """Batch's `Ref::name` placeholders; unknown names stay as written, as on AWS."""
    return [_PARAMETER.sub(lambda m: parameters.get(m.group(1), m.group(0)), str(part)) for part in command]


def merged_environment(definition_env: list[dict], override_env: list[dict]) -> dict[str, str]:
    env = {item["name"]: item["value"] for item in definition_env or []}
    env.update({item["name"]: item["value"] for item in override_env or []})
    return env


class LocalBatchJob(Job):
    def __init__(self, *args: Any, cfg: JobsConfig, queue: JobQueue, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._cfg = cfg
        self._queue = queue
        self.handle: JobHandle | None = None
        self.status_reason_text: str | None = None
        self.log_stream_name = f"{self.job_definition.name}/default/{self.job_id}"

    # moto's ManagedState advances the status on every describe; ours moves only when the process does
    @property
    def status(self) -> str:
        return self._status

    @status.setter
    def status(self, value: str) -> None:
        self._status = value

    # --- moto's thread: dependencies, then the shared queue -----------------------------------------
    def run(self) -> None:
        self.status = JobStatus.PENDING
        if self.depends_on and not self._wait_for_dependencies():
            self.job_stopped_reason = self.job_stopped_reason or "Dependent job failed"
            return
        if self.stop:
            self._mark_stopped(success=False)
            return
        self.status = JobStatus.RUNNABLE
        self.handle = self._queue.submit(self)

    def terminate(self, reason: str) -> None:
        """TerminateJob and CancelJob (moto calls this for both)."""
        super().terminate(reason)
        if self.handle is not None:
            self.handle.stop(reason)

    # --- LocalJob: what the shared queue calls ------------------------------------------------------
    @property
    def name(self) -> str:  # the thread's name doubles as the job's name in the queue's logs
        return f"batch:{self.job_name}:{self.job_id}"

    @name.setter
    def name(self, value: str) -> None:  # threading.Thread sets it in __init__
        pass

    def resolved_command(self) -> list[str]:
        command = self.container_overrides.get("command") or self._definition().get("command")
        if not command:
            raise JobSetupError(
                f"job definition {self.job_definition.name} has no command: locally there is no image "
                "entrypoint to fall back on, so give containerProperties.command"
            )
        if isinstance(command, str):
            command = [command]
        return map_interpreter(substitute_parameters(command, self.parameters), self._cfg.python)

    def prepare(self) -> ProcessSpec:
        for problem in self._cfg.problems():
            raise JobSetupError(problem)
        region = self.job_definition._region
        account_id = self.job_definition.backend.account_id
        env = job_environment(self._cfg, account_id, region)
        env.update(
            merged_environment(
                self._definition().get("environment", []), self.container_overrides.get("environment", [])
            )
        )
        env.update(
            AWS_BATCH_JOB_ID=self.job_id,
            AWS_BATCH_JQ_NAME=self.job_queue.name,
            AWS_BATCH_JOB_ATTEMPT="1",
        )
        log = CloudWatchLogStream(aws_client("logs", account_id, region), LOG_GROUP, self.log_stream_name)
        return ProcessSpec(
            argv=self.resolved_command(),
            env=env,
            cwd=str(self._cfg.workdir),
            timeout_seconds=self._get_attempt_duration(),
            stdout=log,
            stderr=log,
        )

    def on_start(self) -> None:
        self.status = JobStatus.STARTING
        self.job_started_at = datetime.datetime.now()
        self._start_attempt()
        self.status = JobStatus.RUNNING

    def on_finish(self, result: JobResult) -> None:
        self.exit_code = result.exit_code
        if result.outcome is Outcome.TIMED_OUT:
            self.job_stopped_reason = REASON_TIMEOUT
        elif result.outcome is Outcome.STOPPED:
            self.job_stopped_reason = result.stop_reason or self.job_stopped_reason
        elif result.outcome is Outcome.FAILED:
            self.job_stopped_reason = REASON_EXIT if result.started else result.error_message
        self.status_reason_text = result.error_message
        self._mark_stopped(success=result.outcome is Outcome.SUCCEEDED)

    # --- DescribeJobs ---------------------------------------------------------------------------------
    def describe_short(self) -> dict[str, Any]:
        result = super().describe_short()
        if not self.attempts:  # cancelled or failed before a slot freed: never started, as on AWS
            result.pop("startedAt", None)
        return result

    def _definition(self) -> dict[str, Any]:
        return self.job_definition.container_properties or {}

    def _get_container_property(self, p: str, default: Any) -> Any:
        if p == "environment":  # moto's version appends AWS_BATCH_JOB_ID to the overrides on every call
            env = merged_environment(
                self._definition().get("environment", []), self.container_overrides.get("environment", [])
            )
            env["AWS_BATCH_JOB_ID"] = self.job_id
            return [{"name": k, "value": v} for k, v in env.items()]
        return super()._get_container_property(p, default)

    def _container_details(self) -> dict[str, Any]:
        details = super()._container_details()
        with contextlib.suppress(JobSetupError):
            details["command"] = self.resolved_command()
        details["logStreamName"] = self.log_stream_name
        if self.exit_code is not None:
            details["exitCode"] = self.exit_code
        if self.job_stopped and self.status == JobStatus.FAILED and self.status_reason_text:
            details["reason"] = self.status_reason_text[:255]
        return details
