"""Entry point `localstack.aws.provider` -> `glue:default`."""

from localstack.services.plugins import aws_provider


@aws_provider(api="glue")
def glue_provider():
    from ..jobs.runtime import moto_backed_service
    from .provider import GlueProvider

    return moto_backed_service(GlueProvider())
