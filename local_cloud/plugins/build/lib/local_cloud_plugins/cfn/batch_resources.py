"""AWS::Batch::ComputeEnvironment, ::JobQueue and ::JobDefinition. Ref returns the ARN of each, as on AWS."""

from __future__ import annotations

from typing import Any, ClassVar

import localstack.services.cloudformation.provider_utils as util
from localstack.services.cloudformation.resource_provider import (
    OperationStatus,
    ProgressEvent,
    ResourceProvider,
    ResourceRequest,
)

Properties = dict[str, Any]


def _name(request: ResourceRequest[Properties], key: str) -> str:
    model = request.desired_state
    if not model.get(key):
        model[key] = util.generate_default_name(request.stack_name, request.logical_resource_id)
    return model[key]


class BatchComputeEnvironmentProvider(ResourceProvider[Properties]):
    SCHEMA: ClassVar[dict] = {
        "typeName": "AWS::Batch::ComputeEnvironment",
        "primaryIdentifier": ["/properties/ComputeEnvironmentArn"],
        "createOnlyProperties": ["/properties/ComputeEnvironmentName", "/properties/Type"],
        "readOnlyProperties": ["/properties/ComputeEnvironmentArn"],
    }

    def create(self, request: ResourceRequest[Properties]) -> ProgressEvent[Properties]:
        model = request.desired_state
        _name(request, "ComputeEnvironmentName")
        params = {k: v for k, v in model.items() if k != "ComputeEnvironmentArn"}
        result = request.aws_client_factory.batch.create_compute_environment(**params)
        model["ComputeEnvironmentArn"] = result["computeEnvironmentArn"]
        return ProgressEvent(OperationStatus.SUCCESS, resource_model=model)

    def delete(self, request: ResourceRequest[Properties]) -> ProgressEvent[Properties]:
        batch = request.aws_client_factory.batch
        arn = request.previous_state["ComputeEnvironmentArn"]
        batch.update_compute_environment(computeEnvironment=arn, state="DISABLED")
        batch.delete_compute_environment(computeEnvironment=arn)
        return ProgressEvent(OperationStatus.SUCCESS, resource_model={})


class BatchJobQueueProvider(ResourceProvider[Properties]):
    SCHEMA: ClassVar[dict] = {
        "typeName": "AWS::Batch::JobQueue",
        "primaryIdentifier": ["/properties/JobQueueArn"],
        "createOnlyProperties": ["/properties/JobQueueName"],
        "readOnlyProperties": ["/properties/JobQueueArn"],
    }

    def create(self, request: ResourceRequest[Properties]) -> ProgressEvent[Properties]:
        model = request.desired_state
        _name(request, "JobQueueName")
        model.setdefault("State", "ENABLED")
        params = {k: v for k, v in model.items() if k != "JobQueueArn"}
        result = request.aws_client_factory.batch.create_job_queue(**params)
        model["JobQueueArn"] = result["jobQueueArn"]
        return ProgressEvent(OperationStatus.SUCCESS, resource_model=model)

    def update(self, request: ResourceRequest[Properties]) -> ProgressEvent[Properties]:
        model = request.desired_state
        model["JobQueueName"] = request.previous_state["JobQueueName"]
        model["JobQueueArn"] = request.previous_state["JobQueueArn"]
        request.aws_client_factory.batch.update_job_queue(
            jobQueue=model["JobQueueArn"],
            state=model.get("State", "ENABLED"),
            priority=model["Priority"],
            computeEnvironmentOrder=model["ComputeEnvironmentOrder"],
        )
        return ProgressEvent(OperationStatus.SUCCESS, resource_model=model)

    def delete(self, request: ResourceRequest[Properties]) -> ProgressEvent[Properties]:
        batch = request.aws_client_factory.batch
        arn = request.previous_state["JobQueueArn"]
        batch.update_job_queue(jobQueue=arn, state="DISABLED")
        batch.delete_job_queue(jobQueue=arn)
        return ProgressEvent(OperationStatus.SUCCESS, resource_model={})


class BatchJobDefinitionProvider(ResourceProvider[Properties]):
    SCHEMA: ClassVar[dict] = {
        "typeName": "AWS::Batch::JobDefinition",
        "primaryIdentifier": ["/properties/JobDefinitionArn"],
        "createOnlyProperties": ["/properties/JobDefinitionName"],
        "readOnlyProperties": ["/properties/JobDefinitionArn"],
    }

    def create(self, request: ResourceRequest[Properties]) -> ProgressEvent[Properties]:
        model = request.desired_state
        _name(request, "JobDefinitionName")
        return self._register(request, model)

    def update(self, request: ResourceRequest[Properties]) -> ProgressEvent[Properties]:
        # a definition is immutable: register the next revision, then retire the previous one
        model = request.desired_state
        model["JobDefinitionName"] = request.previous_state["JobDefinitionName"]
        event = self._register(request, model)
        request.aws_client_factory.batch.deregister_job_definition(
            jobDefinition=request.previous_state["JobDefinitionArn"]
        )
        return event

    def delete(self, request: ResourceRequest[Properties]) -> ProgressEvent[Properties]:
        request.aws_client_factory.batch.deregister_job_definition(
            jobDefinition=request.previous_state["JobDefinitionArn"]
        )
        return ProgressEvent(OperationStatus.SUCCESS, resource_model={})

    @staticmethod
    def _register(request: ResourceRequest[Properties], model: Properties) -> ProgressEvent[Properties]:
        params = {k: v for k, v in model.items() if k != "JobDefinitionArn"}
        result = request.aws_client_factory.batch.register_job_definition(**params)
        model["JobDefinitionArn"] = result["jobDefinitionArn"]
        return ProgressEvent(OperationStatus.SUCCESS, resource_model=model)
