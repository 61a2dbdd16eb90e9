"""Deploy a SAM template to the local cloud with the ecosystem's own tools: `sam build`, then `sam deploy`
with AWS_ENDPOINT_URL pointing at LocalStack (what samlocal does, without its deprecation notice).
SAM CLI lives in its own environment (.venv-sam), made by `make sam-venv` on first use. `deploy` is the
only deploy path: the project's stack (stack.deployment) and the test fixtures call it too.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from local_cloud import settings, stacks
from local_cloud.controller import LocalCloud, LocalCloudError
from local_cloud.package_sizes import function_sizes, size_table

SAM_VENV = settings.REPO_ROOT / ".venv-sam"


def sam_executable() -> Path:
    sam = SAM_VENV / "bin" / "sam"
    if not sam.exists():
        print("SAM CLI is missing: running `make sam-venv` (once) ...", flush=True)
        made = subprocess.run(["make", "-s", "sam-venv"], cwd=settings.REPO_ROOT).returncode == 0
        if not made or not sam.exists():
            raise LocalCloudError("could not install SAM CLI: run `make sam-venv` and read its error")
    return sam


def sam_env(cloud: LocalCloud | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_ENDPOINT_URL", "VIRTUAL_ENV"))}
    env.update({"SAM_CLI_TELEMETRY": "0", "AWS_DEFAULT_REGION": settings.region()})
    if cloud is not None:
        env.update(cloud.client_env())
        # LocalStack answers in well under a second: poll it often (SAM's default is 5 s, for AWS)
        env.setdefault("SAM_CLI_POLL_DELAY", "0.5")
    return env


def run_sam(args: list[str], cloud: LocalCloud | None, cwd: Path) -> None:
    began = time.monotonic()
    print(f"$ sam {' '.join(args)}", flush=True)
    result = subprocess.run([str(sam_executable()), *args], cwd=cwd, env=sam_env(cloud))
    if result.returncode != 0:
        raise LocalCloudError(f"`sam {args[0]}` failed (exit {result.returncode}); its output is above")
    print(f"  sam {args[0]} done in {time.monotonic() - began:.1f} s", flush=True)


def deploy(
    cloud: LocalCloud,
    template: Path,
    stack_name: str | None = None,
    config_env: str = "default",
    build_dir: Path | None = None,
    parameter_overrides: dict[str, str] | None = None,
    progress: Callable[[str], None] = print,
) -> dict[str, str]:
    """Build and deploy `template` as `stack_name` to `cloud`; return the stack's outputs (name -> value).

    The one deploy path: `make deploy`, `make run` (stack.deployment) and the tests (the `sam_deploy` and
    `stack` fixtures) all come here. In order:
    1. a stack left ROLLBACK_COMPLETE (or ROLLBACK_FAILED, DELETE_FAILED) by a failed creation is deleted,
       since AWS only lets such a stack be deleted;
    2. `sam build` with samconfig's `config_env` (its build is not SAM-cached: see samconfig.toml), so
       the local cloud runs the packages an AWS deploy would get;
    3. each function's unzipped size with its layers is printed, and one over Lambda's 250 MB limit
       stops the deploy (LocalCloudError), as AWS would refuse it;
    4. samconfig's upload bucket is created if missing, then `sam deploy` with `parameter_overrides`.
    `build_dir` defaults to <state dir>/sam-build/<stack name>. Raises LocalCloudError when the template
    is missing or a step fails (SAM's output is above the error).
    """
    template = Path(template).resolve()
    if not template.exists():
        raise LocalCloudError(f"no template at {template}: pass --template <path>")
    stack_name = stack_name or stacks.default_stack_name(config_env)
    build_dir = Path(build_dir or cloud.state_dir / "sam-build" / stack_name).resolve()
    config = ["--config-file", str(stacks.SAMCONFIG), "--config-env", config_env]
    _delete_if_failed_create(cloud, stack_name, progress)
    progress(f"deploying {template.name} as stack {stack_name} (sam build, sam deploy) ...")
    run_sam(
        ["build", "--template-file", str(template), "--build-dir", str(build_dir), *config],
        None,
        template.parent,
    )
    check_sizes(build_dir, progress)
    if bucket := stacks.deploy_parameter("s3_bucket", config_env):
        _ensure_bucket(cloud, bucket)
    deploy_args = [
        "deploy",
        "--template-file", str(build_dir / "template.yaml"),
        "--stack-name", stack_name,
        "--no-confirm-changeset",
        *config,
    ]  # fmt: skip
    if parameter_overrides:
        deploy_args += ["--parameter-overrides", *(f"{k}={v}" for k, v in parameter_overrides.items())]
    run_sam(deploy_args, cloud, template.parent)
    return stacks.outputs(cloud.endpoint_url, stack_name)


def check_sizes(build_dir: Path, progress: Callable[[str], None] = print) -> None:
    """Prints each built function's unzipped size with its layers; LocalCloudError when one is over
    Lambda's 250 MB limit (AWS refuses such a function)."""
    sizes = function_sizes(build_dir)
    if not sizes:
        return
    progress("unzipped size of each function with its layers (Lambda's limit: 250 MB):\n" + size_table(sizes))
    if too_big := [size.function for size in sizes if not size.within_limit]:
        raise LocalCloudError(f"{', '.join(too_big)}: over Lambda's 250 MB unzipped limit (AWS would refuse)")


def _delete_if_failed_create(cloud: LocalCloud, stack_name: str, progress: Callable[[str], None]) -> None:
    """A stack whose creation rolled back can only be deleted (on AWS too): delete it so deploy can create."""
    cfn = stacks.aws_client("cloudformation", cloud.endpoint_url)
    try:
        status = cfn.describe_stacks(StackName=stack_name)["Stacks"][0]["StackStatus"]
    except cfn.exceptions.ClientError:
        return  # no such stack
    if status in ("ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "DELETE_FAILED"):
        progress(f"stack {stack_name} is {status} after a failed creation: deleting it first")
        cfn.delete_stack(StackName=stack_name)
        cfn.get_waiter("stack_delete_complete").wait(StackName=stack_name, WaiterConfig={"Delay": 2})


def _ensure_bucket(cloud: LocalCloud, bucket: str) -> None:
    s3 = stacks.aws_client("s3", cloud.endpoint_url)
    try:
        s3.head_bucket(Bucket=bucket)
    except s3.exceptions.ClientError:
        s3.create_bucket(Bucket=bucket)


def validate(template: Path, lint: bool = True) -> None:
    """`sam validate --lint` (offline: the SAM translator and cfn-lint need no account)."""
    template = Path(template).resolve()
    args = ["validate", "--template-file", str(template), *(["--lint"] if lint else [])]
    run_sam(args, None, template.parent)
