"""Batch operations that need more than moto: SubmitJob (runs the command locally),
CreateComputeEnvironment (no network or instance emulation; serviceRole optional as on AWS) and
CreateJobQueue (state optional as on AWS). DescribeJobs, ListJobs,
TerminateJob, CancelJob, CreateJobQueue, RegisterJobDefinition, ... are moto's."""

from __future__ import annotations

from typing import Any

from localstack.aws.api import CommonServiceException, RequestContext, handler
from localstack.services.moto import call_moto_with_request
from localstack.services.plugins import ServiceLifecycleHook
from moto.batch.models import JOB_NAME_REGEX, batch_backends

from ..jobs.runtime import job_queue, jobs_config, moto_errors, shutdown_jobs
from .iam_mirror import mirror_role, service_linked_role_arn
from .job import LocalBatchJob


class BatchProvider(ServiceLifecycleHook):
    service = "batch"

    def on_before_stop(self) -> None:
        shutdown_jobs()

    @handler("CreateComputeEnvironment", expand=False)
    def create_compute_environment(self, context: RequestContext, request: dict[str, Any]) -> Any:
        """Locally a compute environment is a record: jobs run on this host whatever it says. moto would
        check its subnets and security groups against the local EC2 (ids from an AWS account never
        exist there) and launch EC2 instances, so moto creates it UNMANAGED (its own checks of name,
        role and state still apply) and the record then gets the requested type and resources."""
        backend = batch_backends[context.account_id][context.region]
        # AWS makes serviceRole optional (Batch's service-linked role); moto requires it in its IAM
        role = request.get("serviceRole") or service_linked_role_arn(context.account_id, context.region)
        mirror_role(role, context.account_id, context.region)
        _type = request.get("type")
        if _type not in ("MANAGED", "UNMANAGED"):
            raise _client_error(f"type {_type} must be one of MANAGED | UNMANAGED")
        resources = request.get("computeResources")
        if _type == "MANAGED" and not resources:
            raise _client_error("computeResources must be specified when creating a MANAGED environment")
        with moto_errors():
            environment = backend.create_compute_environment(
                compute_environment_name=request["computeEnvironmentName"],
                _type="UNMANAGED",
                state=request.get("state", "ENABLED"),
                compute_resources=None,
                service_role=role,
                tags=request.get("tags"),
            )
        environment.env_type = _type
        environment.compute_resources = resources
        return {"computeEnvironmentArn": environment.arn, "computeEnvironmentName": environment.name}

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
