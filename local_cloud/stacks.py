"""Find what a deployed SAM template became: its stack name (samconfig.toml) and physical resource ids."""

from __future__ import annotations

import tomllib
from pathlib import Path

import boto3

from local_cloud import settings

SAMCONFIG = settings.REPO_ROOT / "samconfig.toml"


def default_stack_name(config_env: str = "default", samconfig: Path = SAMCONFIG) -> str:
    """The stack name samconfig.toml gives `config_env` (deploy parameters win over global ones)."""
    try:
        config = tomllib.loads(samconfig.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise LookupError(f"cannot read {samconfig}: {exc}") from None
    env = config.get(config_env, {})
    for command in ("deploy", "global"):
        if name := env.get(command, {}).get("parameters", {}).get("stack_name"):
            return name
    raise LookupError(f"{samconfig} has no stack_name for environment {config_env!r}: pass --stack-name")


def deploy_parameter(name: str, config_env: str = "default", samconfig: Path = SAMCONFIG) -> str | None:
    try:
        config = tomllib.loads(samconfig.read_text())
    except (OSError, tomllib.TOMLDecodeError):
        return None
    return config.get(config_env, {}).get("deploy", {}).get("parameters", {}).get(name)


def aws_client(service: str, endpoint_url: str):
    """A boto3 client for the local cloud at `endpoint_url` (any credentials are accepted there)."""
    session = boto3.session.Session(
        aws_access_key_id="test", aws_secret_access_key="test", region_name=settings.region()
    )
    return session.client(service, endpoint_url=endpoint_url)


def physical_id(endpoint_url: str, stack_name: str, logical_id: str) -> str:
    cfn = aws_client("cloudformation", endpoint_url)
    try:
        resource = cfn.describe_stack_resource(StackName=stack_name, LogicalResourceId=logical_id)
    except cfn.exceptions.ClientError as exc:
        message = exc.response.get("Error", {}).get("Message", str(exc))
        hint = "deployed? `python -m local_cloud deploy`"
        raise LookupError(f"{logical_id} in stack {stack_name}: {message} ({hint})") from None
    return resource["StackResourceDetail"]["PhysicalResourceId"]


def outputs(endpoint_url: str, stack_name: str) -> dict[str, str]:
    stack = aws_client("cloudformation", endpoint_url).describe_stacks(StackName=stack_name)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
