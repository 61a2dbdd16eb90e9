"""Entry points `localstack.cloudformation.resource_providers` (the plugin name is the resource type)."""

from localstack.services.cloudformation.resource_provider import CloudFormationResourceProviderPlugin


class GlueJobProviderPlugin(CloudFormationResourceProviderPlugin):
    name = "AWS::Glue::Job"

    def load(self):
        from .glue_job import GlueJobProvider

        self.factory = GlueJobProvider


class BatchComputeEnvironmentProviderPlugin(CloudFormationResourceProviderPlugin):
    name = "AWS::Batch::ComputeEnvironment"

    def load(self):
        from .batch_resources import BatchComputeEnvironmentProvider

        self.factory = BatchComputeEnvironmentProvider


class BatchJobQueueProviderPlugin(CloudFormationResourceProviderPlugin):
    name = "AWS::Batch::JobQueue"

    def load(self):
        from .batch_resources import BatchJobQueueProvider

        self.factory = BatchJobQueueProvider


class BatchJobDefinitionProviderPlugin(CloudFormationResourceProviderPlugin):
    name = "AWS::Batch::JobDefinition"

    def load(self):
        from .batch_resources import BatchJobDefinitionProvider

        self.factory = BatchJobDefinitionProvider
