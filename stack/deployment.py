"""Deploy the stack to the embedded local cloud and put in place what its Glue jobs read from S3."""

from __future__ import annotations

import io
import os
import zipfile
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from review_sentiment import aws
from review_sentiment.progress import Progress
from stack.settings import DOMAIN_PACKAGE, GLUE_SCRIPTS, TEMPLATE, StackSettings


@dataclass(frozen=True)
class DeployedStack:
    """The stack's outputs, plus where the local cloud serves its API."""

    outputs: dict[str, str]
    endpoint_url: str

    def __getitem__(self, key: str) -> str:
        return self.outputs[key]

    @property
    def api_base_url(self) -> str:
        """The API's base URL in the local cloud (the InferenceApiUrl output is the AWS form)."""
        return f"{self.endpoint_url}/_aws/execute-api/{self['InferenceApiId']}/{self['StageName']}"

    @cached_property
    def api_key(self) -> str:
        """The value of the stack's API key (InferenceApiKeyId output), for the x-api-key header."""
        answer = aws.client("apigateway").get_api_key(apiKey=self["InferenceApiKeyId"], includeValue=True)
        return answer["value"]


def start_local_cloud(progress: Progress):
    """The running local cloud, started when none is; points this process's AWS clients at it."""
    from local_cloud.controller import LocalCloud

    cloud = LocalCloud()
    if cloud.status().healthy:
        progress(f"local cloud already running at {cloud.endpoint_url}")
    else:
        progress(f"starting the local cloud at {cloud.endpoint_url} ...")
        took = cloud.start()
        progress(f"local cloud healthy after {took:.1f} s")
    use_local_cloud(cloud)
    return cloud


def use_local_cloud(cloud) -> None:
    os.environ.update(cloud.client_env())
    aws.client.cache_clear()


def python_packages_zip(packages: tuple[Path, ...] = (DOMAIN_PACKAGE, GLUE_SCRIPTS)) -> bytes:
    """review_sentiment and glue_jobs (the scripts' shared runtime) as one zip for --extra-py-files."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for package in packages:
            for path in sorted(package.rglob("*.py")):
                archive.write(path, path.relative_to(package.parent).as_posix())
    return buffer.getvalue()


def upload_job_code(artifacts_bucket: str, scripts: Path = GLUE_SCRIPTS) -> list[str]:
    """Glue scripts and the domain package zip, where ScriptLocation and --extra-py-files point."""
    s3 = aws.client("s3")
    keys = []
    for script in sorted(p for p in scripts.glob("*.py") if not p.name.startswith("_")):
        key = f"glue_jobs/{script.name}"
        s3.put_object(Bucket=artifacts_bucket, Key=key, Body=script.read_bytes())
        keys.append(key)
    s3.put_object(Bucket=artifacts_bucket, Key="code/python_packages.zip", Body=python_packages_zip())
    keys.append("code/python_packages.zip")
    return keys


def deploy_stack(
    cloud,
    settings: StackSettings,
    progress: Progress,
    template: Path = TEMPLATE,
    build_dir: Path | None = None,
    extra_parameters: dict[str, str] | None = None,
) -> DeployedStack:
    """The stack deployed to the local cloud by the one deploy path (local_cloud.deploy.deploy: sam build,
    the size check, sam deploy) with this project's parameters (`settings`, then `extra_parameters`),
    then the Glue job code put where the jobs read it (upload_job_code).

    The build is the one an AWS deploy uses: each function and layer gets the wheels its requirements.txt
    names, for Lambda's platform (layers/lambda_build.mk caches them by the requirements' hash), and the
    local cloud runs the functions on those packages alone. Raises LocalCloudError when a step fails.
    """
    from local_cloud.deploy import deploy

    settings.state_dir.mkdir(parents=True, exist_ok=True)
    outputs = deploy(
        cloud,
        template,
        stack_name=settings.stack_name,
        build_dir=Path(build_dir or settings.state_dir / "sam-build"),
        parameter_overrides=settings.parameter_overrides(extra_parameters),
        progress=progress,
    )
    stack = DeployedStack(outputs, cloud.endpoint_url)
    keys = upload_job_code(stack["ArtifactsBucketName"])
    progress(f"stack deployed; uploaded {len(keys)} job files to s3://{stack['ArtifactsBucketName']}/")
    return stack


def deployed_stack(cloud, settings: StackSettings) -> DeployedStack:
    """The outputs of an already deployed stack (LookupError when it is not there)."""
    from local_cloud import stacks

    try:
        return DeployedStack(stacks.outputs(cloud.endpoint_url, settings.stack_name), cloud.endpoint_url)
    except Exception as exc:  # botocore ClientError: the stack does not exist
        raise LookupError(
            f"stack {settings.stack_name} is not deployed in the local cloud: run `python -m stack run`"
        ) from exc
