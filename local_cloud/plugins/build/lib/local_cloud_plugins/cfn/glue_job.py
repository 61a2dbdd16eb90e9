"""AWS::Glue::Job. Ref returns the job name, as on AWS."""

from __future__ import annotations

from typing import Any, ClassVar

import localstack.services.cloudformation.provider_utils as util
from localstack.services.cloudformation.resource_provider import (
    OperationStatus,
    ProgressEvent,
    ResourceProvider,
    ResourceRequest,
)

JobProperties = dict[str, Any]


class GlueJobProvider(ResourceProvider[JobProperties]):
    SCHEMA: ClassVar[dict] = {
        "typeName": "AWS::Glue::Job",
        "primaryIdentifier": ["/properties/Name"],
        "createOnlyProperties": ["/properties/Name"],
        "readOnlyProperties": [],
    }

    def create(self, request: ResourceRequest[JobProperties]) -> ProgressEvent[JobProperties]:
        model = request.desired_state
        if not model.get("Name"):
            model["Name"] = util.generate_default_name(request.stack_name, request.logical_resource_id)
        request.aws_client_factory.glue.create_job(**model)
        return ProgressEvent(OperationStatus.SUCCESS, resource_model=model)

    def update(self, request: ResourceRequest[JobProperties]) -> ProgressEvent[JobProperties]:
        # the local Glue keeps no UpdateJob: recreate under the same name (run history is dropped)
        model = request.desired_state
        model["Name"] = request.previous_state["Name"]
        glue = request.aws_client_factory.glue
        glue.delete_job(JobName=model["Name"])
        glue.create_job(**model)
        return ProgressEvent(OperationStatus.SUCCESS, resource_model=model)

    def delete(self, request: ResourceRequest[JobProperties]) -> ProgressEvent[JobProperties]:
        request.aws_client_factory.glue.delete_job(JobName=request.previous_state["Name"])
        return ProgressEvent(OperationStatus.SUCCESS, resource_model={})
