"""A Glue job run that really runs: moto's FakeJobRun (kept in moto's backend, served by moto's
GetJobRun/GetJobRuns) with a plain status instead of moto's auto-advancing one, real timestamps and the
error message, and the LocalJob side that the shared queue runs.

Locally only (AWS Glue ignores nothing here, it just never sees it): the run argument
`--local-timeout-seconds N` (job DefaultArguments or run Arguments) overrides the Timeout in minutes, so
tests can exercise TIMEOUT in seconds. It is not passed on to the script.
"""

from __future__ import annotations

import shutil
from datetime import datetime
from typing import Any

from moto.core.utils import utcnow
from moto.glue.models import FakeJob, FakeJobRun

from ..jobs.config import JobsConfig
from ..jobs.locations import fetch
from ..jobs.logs import CloudWatchLogStream
from ..jobs.runner import JobHandle, JobResult, JobSetupError, Outcome, ProcessSpec
from ..jobs.runtime import aws_client, job_environment

LOCAL_TIMEOUT_ARGUMENT = "--local-timeout-seconds"
LOG_GROUP = "/aws-glue/jobs"
OUTPUT_LOG_GROUP = "/aws-glue/jobs/output"
ERROR_LOG_GROUP = "/aws-glue/jobs/error"
DEFAULT_TIMEOUT_MINUTES = 2880  # AWS Glue's default for Spark jobs
ACTIVE_STATES = ("STARTING", "RUNNING", "STOPPING", "WAITING")

_OUTCOME_STATE = {
    Outcome.SUCCEEDED: "SUCCEEDED",
    Outcome.FAILED: "FAILED",
    Outcome.TIMED_OUT: "TIMEOUT",
    Outcome.STOPPED: "STOPPED",
}


class LocalJobRun(FakeJobRun):
    def __init__(
        self, job: FakeJob, cfg: JobsConfig, account_id: str, region: str, arguments: dict[str, str], **kwargs
    ) -> None:
        super().__init__(job_name=job.name, arguments=arguments, **kwargs)
        self.name = f"glue:{job.name}:{self.job_run_id}"
        self._job = job
        self._cfg = cfg
        self._account_id = account_id
        self._region = region
        self._status = "STARTING"  # waits here for a free local slot
        self.started_on = utcnow()
        self.completed_on: datetime | None = None
        self.modified_on = self.started_on
        self.error_message: str | None = None
        self._running_since: datetime | None = None
        self.execution_time = 0
        self.handle: JobHandle | None = None

    # moto's ManagedState advances the status on every describe; ours moves only when the process does
    @property
    def status(self) -> str:
        return self._status

    @status.setter
    def status(self, value: str) -> None:
        self._status = value
        self.modified_on = utcnow()

    @property
    def is_active(self) -> bool:
        return self._status in ACTIVE_STATES

    def timeout_seconds(self) -> float:
        override = (self.arguments or {}).get(LOCAL_TIMEOUT_ARGUMENT)
        if override:
            return float(override)
        return 60.0 * (self.timeout or DEFAULT_TIMEOUT_MINUTES)

    def as_dict(self) -> dict[str, Any]:
        run = {
            "Id": self.job_run_id,
            "Attempt": 0,
            "JobName": self.job_name,
            "StartedOn": self.started_on.isoformat(),
            "LastModifiedOn": self.modified_on.isoformat(),
            "JobRunState": self._status,
            "Arguments": self.arguments or {},
            "PredecessorRuns": [],
            "ExecutionTime": self.execution_time,
            "Timeout": self.timeout or DEFAULT_TIMEOUT_MINUTES,
            "LogGroupName": LOG_GROUP,
            "GlueVersion": self._job.glue_version or "5.0",
            "ExecutionClass": self._job.execution_class,
        }
        optional = {
            "CompletedOn": self.completed_on.isoformat() if self.completed_on else None,
            "ErrorMessage": self.error_message,
            "PreviousRunId": self.previous_run_id,
            "WorkerType": self.worker_type,
            "NumberOfWorkers": self.number_of_workers,
            "MaxCapacity": self.max_capacity,
            "SecurityConfiguration": self.security_configuration,
            "NotificationProperty": self.notification_property,
        }
        run.update({key: value for key, value in optional.items() if value is not None})
        return run

    # --- LocalJob: what the shared queue calls ------------------------------------------------------
    def prepare(self) -> ProcessSpec:
        for problem in self._cfg.problems():
            raise JobSetupError(problem)
        s3 = aws_client("s3", self._account_id, self._region)
        self._run_dir.mkdir(parents=True, exist_ok=True)
        script_location = (self._job.command or {}).get("ScriptLocation")
        if not script_location:
            raise JobSetupError(f"job {self.job_name} has no Command.ScriptLocation")
        script = fetch(script_location, self._run_dir / "script", s3)

        arguments = dict(self.arguments or {})
        arguments.pop(LOCAL_TIMEOUT_ARGUMENT, None)
        python_path = [str(script.parent)]
        for location in filter(None, arguments.get("--extra-py-files", "").split(",")):
            fetched = fetch(location, self._run_dir / "py", s3)
            # a zip or a folder is importable itself; a single module's folder must be on the path
            python_path.append(str(fetched.parent if fetched.suffix == ".py" else fetched))

        env = job_environment(self._cfg, self._account_id, self._region)
        env.update(
            PYSPARK_PYTHON=str(self._cfg.python),
            PYSPARK_DRIVER_PYTHON=str(self._cfg.python),
            SPARK_LOCAL_IP="127.0.0.1",
            PYTHONPATH=":".join(dict.fromkeys(python_path)),
        )
        argv = [str(self._cfg.python), str(script)]
        argv += ["--JOB_ID", f"j_{self._job.name}", "--JOB_RUN_ID", self.job_run_id]
        argv += ["--JOB_NAME", self.job_name]
        for key, value in arguments.items():
            argv += [key if key.startswith("--") else f"--{key}", str(value)]

        logs = aws_client("logs", self._account_id, self._region)
        return ProcessSpec(
            argv=argv,
            env=env,
            cwd=str(self._run_dir),  # Spark's warehouse and derby files land here and are removed after
            timeout_seconds=self.timeout_seconds(),
            stdout=CloudWatchLogStream(logs, OUTPUT_LOG_GROUP, self.job_run_id),
            stderr=CloudWatchLogStream(logs, ERROR_LOG_GROUP, self.job_run_id),
        )

    def on_start(self) -> None:
        self._running_since = utcnow()
        if self._status == "STARTING":
            self.status = "RUNNING"

    def on_finish(self, result: JobResult) -> None:
        self.completed_on = utcnow()
        if self._running_since:
            self.execution_time = round((self.completed_on - self._running_since).total_seconds())
        self.error_message = result.error_message
        self.status = _OUTCOME_STATE[result.outcome]
        shutil.rmtree(self._run_dir, ignore_errors=True)

    @property
    def _run_dir(self):
        return self._cfg.scratch_dir / "glue" / self.job_run_id
