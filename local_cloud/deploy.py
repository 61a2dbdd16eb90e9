"""Deploy a SAM template to the local cloud with the ecosystem's own tools: `sam build`, then `sam deploy`
with AWS_ENDPOINT_URL pointing at LocalStack (what samlocal does, without its deprecation notice).
SAM CLI lives in its own environment (.venv-sam), made by `make sam-venv` on first use.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from local_cloud import settings, stacks
from local_cloud.controller import LocalCloud, LocalCloudError

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
) -> dict[str, str]:
    """Build and deploy `template` as `stack_name`; return the stack's outputs."""
    template = Path(template).resolve()
    if not template.exists():
        raise LocalCloudError(f"no template at {template}: pass --template <path>")
    stack_name = stack_name or stacks.default_stack_name(config_env)
    build_dir = Path(build_dir or cloud.state_dir / "sam-build" / stack_name).resolve()
    config = ["--config-file", str(stacks.SAMCONFIG), "--config-env", config_env]
    build_args = ["build", "--template-file", str(template), "--build-dir", str(build_dir), *config]
    run_sam(build_args, None, template.parent)
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
