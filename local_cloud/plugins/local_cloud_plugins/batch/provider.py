"""Batch operations that need more than moto: SubmitJob (runs the command locally),
CreateComputeEnvironment (serviceRole optional as on AWS; mirrors the role into moto's IAM) and
CreateJobQueue (state optional as on AWS). DescribeJobs, ListJobs,
TerminateJob, CancelJob, CreateJobQueue, RegisterJobDefinition, ... are moto's."""

from __future__ import annotations

from typing import Any

from localstack.aws.api import CommonServiceException, RequestContext, handler
from localstack.services.moto import call_moto_with_request
from localstack.services.plugins import ServiceLifecycleHook
from moto.batch.models import JOB_NAME_REGEX, batch_backends

from ..jobs.runtime import job_queue, jobs_config, shutdown_jobs
from .iam_mirror import mirror_role, service_linked_role_arn
from .job import LocalBatchJob


class BatchProvider(ServiceLifecycleHook):
    service = "batch"

    def on_before_stop(self) -> None:
        shutdown_jobs()

    @handler("CreateComputeEnvironment", expand=False)
    def create_compute_environment(self, context: RequestContext, request: dict[str, Any]) -> Any:
        # AWS makes serviceRole optional (Batch's service-linked role); moto requires it
        request = dict(request)
        request.setdefault("serviceRole", service_linked_role_arn(context.account_id, context.region))
        mirror_role(request["serviceRole"], context.account_id, context.region)
        return call_moto_with_request(context, request)

    @handler("CreateJobQueue", expand=False)
    def create_job_queue(self, context: RequestContext, request: dict[str, Any]) -> Any:
        # AWS defaults state to ENABLED; moto requires it
        if "state" in request:
            raise NotImplementedError  # falls through to moto unchanged
        return call_moto_with_request(context, {**request, "state": "ENABLED"})

    @handler("SubmitJob", expand=False)
    def submit_job(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        backend = batch_backends[context.account_id][context.region]
        name = request["jobName"]
        if not JOB_NAME_REGEX.match(name):
            raise _client_error(f"Job name {name} should match valid pattern")
        if (request.get("arrayProperties") or {}).get("size") or request.get("nodeOverrides"):
            raise _client_error("array and multi-node jobs are not supported by the local Batch")
        job_def = backend.get_job_definition(request["jobDefinition"])
        if job_def is None:
            raise _client_error(f"Job definition {request['jobDefinition']} does not exist")
        if job_def.container_properties is None:
            raise _client_error("only container job definitions run locally (no EKS or multi-node)")
        queue = backend.get_job_queue(request["jobQueue"])
        if queue is None:
            raise _client_error(f"Job queue {request['jobQueue']} does not exist")
        job = LocalBatchJob(
            name,
            job_def,
            queue,
            backend,
            log_backend=backend.logs_backend,
            container_overrides=request.get("containerOverrides"),
            eks_properties_override=None,
            depends_on=request.get("dependsOn"),
            parameters=request.get("parameters"),
            all_jobs=backend._jobs,
            timeout=request.get("timeout"),
            array_properties={},
            tags=request.get("tags"),
            cfg=jobs_config(),
            queue=job_queue(),
        )
        backend._jobs[job.job_id] = job
        job.start()  # waits for dependencies, then queues the process
        return {"jobArn": job.arn, "jobName": name, "jobId": job.job_id}


def _client_error(message: str) -> CommonServiceException:
    return CommonServiceException("ClientException", message)
