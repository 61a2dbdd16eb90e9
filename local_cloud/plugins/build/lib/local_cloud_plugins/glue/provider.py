"""Glue operations that run code: StartJobRun and BatchStopJobRun. Every other operation (CreateJob,
GetJob(s), DeleteJob, GetJobRun(s), ...) is moto's, on the same backend that holds our runs."""

from __future__ import annotations

from typing import Any

from localstack.aws.api import CommonServiceException, RequestContext, handler
from localstack.services.plugins import ServiceLifecycleHook
from moto.glue.models import glue_backends

from ..jobs.runtime import job_queue, jobs_config, moto_errors, shutdown_jobs
from .job_run import LocalJobRun


class GlueProvider(ServiceLifecycleHook):
    service = "glue"

    def on_before_stop(self) -> None:
        shutdown_jobs()

    @handler("StartJobRun", expand=False)
    def start_job_run(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        backend = glue_backends[context.account_id][context.region]
        with moto_errors():
            job = backend.get_job(request["JobName"])
        limit = (job.execution_property or {}).get("MaxConcurrentRuns", 1)
        active = [run for run in job.job_runs if getattr(run, "is_active", False)]
        if len(active) >= limit:
            raise CommonServiceException(
                "ConcurrentRunsExceededException",
                f"Concurrent runs exceeded for {job.name}: MaxConcurrentRuns is {limit}",
            )
        # Glue's argument precedence: job defaults < run arguments < non-overridable arguments
        arguments = {
            **(job.default_arguments or {}),
            **(request.get("Arguments") or {}),
            **(job.non_overridable_arguments or {}),
        }
        run = LocalJobRun(
            job,
            jobs_config(),
            context.account_id,
            context.region,
            arguments,
            job_run_id=request.get("JobRunId"),
            allocated_capacity=request.get("AllocatedCapacity") or job.allocated_capacity,
            max_capacity=request.get("MaxCapacity") or job.max_capacity,
            timeout=request.get("Timeout") or job.timeout,
            worker_type=request.get("WorkerType") or job.worker_type,
            security_configuration=request.get("SecurityConfiguration") or job.security_configuration,
            number_of_workers=request.get("NumberOfWorkers") or job.number_of_workers,
            notification_property=request.get("NotificationProperty") or job.notification_property,
        )
        job.job_runs.append(run)
        run.handle = job_queue().submit(run)
        return {"JobRunId": run.job_run_id}

    @handler("BatchStopJobRun", expand=False)
    def batch_stop_job_run(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        backend = glue_backends[context.account_id][context.region]
        name = request["JobName"]
        with moto_errors():
            job = backend.get_job(name)
        runs = {run.job_run_id: run for run in job.job_runs}
        stopped, errors = [], []
        for run_id in request["JobRunIds"]:
            run = runs.get(run_id)
            if not isinstance(run, LocalJobRun) or not run.is_active or run.handle is None:
                state = run.status if run else "not found"
                errors.append(_stop_error(name, run_id, f"Job run {run_id} cannot be stopped: {state}"))
                continue
            if run.status != "STOPPING":
                run.status = "STOPPING"
                run.handle.stop("stopped by BatchStopJobRun")
            stopped.append({"JobName": name, "JobRunId": run_id})
        return {"SuccessfulSubmissions": stopped, "Errors": errors}


def _stop_error(name: str, run_id: str, message: str) -> dict[str, Any]:
    return {
        "JobName": name,
        "JobRunId": run_id,
        "ErrorDetail": {"ErrorCode": "InvalidInputException", "ErrorMessage": message},
    }
