"""Entry point `localstack.aws.provider` -> `batch:default`."""

from localstack.services.plugins import aws_provider


@aws_provider(api="batch")
def batch_provider():
    from ..jobs.runtime import moto_backed_service
    from .provider import BatchProvider

    return moto_backed_service(BatchProvider())
