"""`python -m stack run | deploy | rollback | status | traffic | metrics | sizes`: the deployed stack from the
command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from review_sentiment.progress import Progress
from stack.settings import SHIPPED_REVIEWS, StackSettings

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)

KindsOption = Annotated[
    str | None, typer.Option("--kinds", help="comma-separated model kinds (default: the deployed list)")
]
StackOption = Annotated[
    str | None, typer.Option("--stack-name", envvar="STACK_NAME", help="CloudFormation stack")
]


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


@app.command()
def run(
    kinds: KindsOption = None,
    trials: Annotated[int | None, typer.Option(help="Optuna trials per model kind")] = None,
    max_concurrency: Annotated[int | None, typer.Option(help="training jobs at once")] = None,
    data: Annotated[Path, typer.Option(help="review file to upload (JSON lines or CSV)")] = SHIPPED_REVIEWS,
    deploy: Annotated[bool, typer.Option(help="deploy the stack first (a no-op when unchanged)")] = True,
    stack_name: StackOption = None,
) -> None:
    """Start the local cloud if needed, deploy, upload the reviews, run the training pipeline, follow it."""
    from local_cloud.controller import LocalCloudError
    from review_sentiment.pipeline.plan import InvalidRunRequest
    from stack import deployment, execution, report

    progress = Progress()
    settings = StackSettings.from_env(stack_name=stack_name)
    if not data.exists():
        _fail(f"{data}: no such file; pass --data <reviews.jsonl[.gz] or .csv>")
    try:
        cloud = deployment.start_local_cloud(progress)
        stack = (
            deployment.deploy_stack(cloud, settings, progress)
            if deploy
            else deployment.deployed_stack(cloud, settings)
        )
        raw_prefix = execution.upload_reviews(stack["RawBucketName"], data)
        progress(f"uploaded {data.name} to {raw_prefix}")
        request = {"raw_prefix": raw_prefix, "trigger": "manual"}
        if kinds:
            request["model_kinds"] = [k.strip() for k in kinds.split(",") if k.strip()]
        if trials:
            request["trials_per_kind"] = trials
        if max_concurrency:
            request["max_concurrency"] = max_concurrency
        endpoints = _start_metrics(cloud, progress)
        arn = execution.start_execution(stack["TrainingPipelineStateMachineArn"], request)
        progress(f"execution started: {arn}")
        result = execution.follow(arn, progress)
    except (LocalCloudError, InvalidRunRequest, LookupError, TimeoutError) as exc:
        _fail(str(exc))
    typer.echo(report.summary(result, stack))
    if endpoints is not None:
        typer.echo(_metrics_lines(endpoints))
    if result.status != "SUCCEEDED":
        raise typer.Exit(1)


def _start_metrics(cloud, progress):
    """The exporter and Prometheus (when installed) for the run; a failure costs the metrics, not the run."""
    from stack.metrics import MetricsError, start_metrics

    try:
        endpoints = start_metrics(cloud.client_env())
    except MetricsError as exc:
        progress(f"metrics not started: {exc}")
        return None
    progress(f"CloudWatch exporter at {endpoints.exporter_url}/metrics")
    return endpoints


def _metrics_lines(endpoints) -> str:
    lines = [f"Metrics (CloudWatch -> Prometheus): {endpoints.exporter_url}/metrics"]
    if endpoints.prometheus_url:
        lines.append(
            f"Prometheus: {endpoints.prometheus_url}/graph (alerts: {endpoints.prometheus_url}/alerts)"
        )
    else:
        lines.append("Prometheus: not installed (`make prometheus` installs Debian's package)")
    lines.append("`make down` stops them with the local cloud")
    return "\n".join(lines)


@app.command("metrics")
def metrics_command(stop: Annotated[bool, typer.Option("--stop", help="stop them instead")] = False) -> None:
    """Start the CloudWatch exporter and Prometheus against the running local cloud (or stop them)."""
    from local_cloud.controller import LocalCloud
    from stack.metrics import MetricsError, start_metrics, stop_metrics

    if stop:
        stopped = stop_metrics()
        typer.echo(f"stopped: {', '.join(stopped)}" if stopped else "no exporter or Prometheus was running")
        return
    cloud = LocalCloud()
    if not cloud.status().healthy:
        _fail(f"no local cloud answers on {cloud.endpoint_url}: run `make run` or `make up` first")
    try:
        endpoints = start_metrics(cloud.client_env())
    except MetricsError as exc:
        _fail(str(exc))
    typer.echo(_metrics_lines(endpoints))


@app.command("deploy")
def deploy_command(stack_name: StackOption = None) -> None:
    """Start the local cloud if needed and deploy the stack (sam build + sam deploy + Glue job code)."""
    from local_cloud.controller import LocalCloudError
    from stack import deployment

    progress = Progress()
    try:
        cloud = deployment.start_local_cloud(progress)
        stack = deployment.deploy_stack(cloud, StackSettings.from_env(stack_name=stack_name), progress)
    except LocalCloudError as exc:
        _fail(str(exc))
    typer.echo(f"API Gateway URL: {stack.api_base_url}/")


def _running_stack(stack_name: str | None):
    from local_cloud.controller import LocalCloud
    from stack import deployment

    cloud = LocalCloud()
    if not cloud.status().healthy:
        _fail(f"no local cloud answers on {cloud.endpoint_url}: run `python -m stack run` first")
    deployment.use_local_cloud(cloud)
    settings = StackSettings.from_env(stack_name=stack_name)
    try:
        return settings, deployment.deployed_stack(cloud, settings)
    except LookupError as exc:
        _fail(str(exc))


@app.command()
def rollback(stack_name: StackOption = None) -> None:
    """Point the champion back at the previous version (MLflow alias + SSM pointer); serving follows."""
    from review_sentiment.config import Settings
    from review_sentiment.serving.champion import NoChampion, NothingToRollBack
    from stack.rollback import rollback as do_rollback

    settings, stack = _running_stack(stack_name)
    ml_settings = Settings.from_env(
        mlflow_tracking_uri=settings.mlflow_tracking_uri, mlflow_artifact_root=settings.mlflow_artifact_root
    )
    try:
        before, after = do_rollback(stack["ChampionParameterName"], ml_settings)
    except (NoChampion, NothingToRollBack) as exc:
        _fail(str(exc))
    typer.echo(
        f"champion rolled back: version {before.version} ({before.model_kind}) -> "
        f"version {after.version} ({after.model_kind}); the API serves it within "
        "CHAMPION_CACHE_SECONDS"
    )


@app.command()
def sizes(
    build_dir: Annotated[
        Path, typer.Option(help="a `sam build` folder (sam build's default: .aws-sam/build)")
    ] = Path(".aws-sam/build"),
) -> None:
    """Unzipped size of each function with its layers against Lambda's 250 MB (after `sam build`)."""
    from local_cloud.package_sizes import function_sizes, size_table

    if not (build_dir / "template.yaml").exists():
        _fail(f"{build_dir} holds no built template: run `sam build` (or pass --build-dir <folder>)")
    measured = function_sizes(build_dir)
    typer.echo(size_table(measured))
    if not all(size.within_limit for size in measured):
        _fail("a function with its layers exceeds Lambda's 250 MB unzipped limit: AWS would refuse it")


@app.command()
def status(stack_name: StackOption = None) -> None:
    """The champion that serves and the API URL."""
    from review_sentiment import aws
    from review_sentiment.serving.champion import read_champion
    from stack.report import curl_command

    _, stack = _running_stack(stack_name)
    champion = read_champion(aws.client("ssm"), stack["ChampionParameterName"])
    if champion is None:
        typer.echo("champion: none promoted yet (the API answers 503)")
    else:
        previous = (champion.previous or {}).get("version")
        typer.echo(
            f"champion: version {champion.version} ({champion.model_kind}), test macro-F1 "
            f"{champion.test_macro_f1:.4f}, promoted {champion.promoted_at}; previous: {previous or 'none'}"
        )
    typer.echo(f"API Gateway URL: {stack.api_base_url}/\n  {curl_command(stack.api_base_url + '/predict')}")


@app.command()
def traffic(
    in_distribution: Annotated[
        int, typer.Option("--in-distribution", help="reviews from the held-out test split to send")
    ] = 0,
    drifted: Annotated[
        int, typer.Option("--drifted", help="drifted reviews to send (longer, other words, mostly negative)")
    ] = 0,
    seed: Annotated[int, typer.Option(help="random seed of the draw")] = 0,
    stack_name: StackOption = None,
) -> None:
    """Send reviews to the deployed API (POST /batch_predict) and print what was sent and answered.

    The drift monitor sees them in its next window: with the local stage's defaults (2-minute windows,
    a tick every minute, at least 500 reviews) send 500 or more and watch `drift window evaluated` in
    the DriftMonitor's log, or the report in the drift-reports bucket, 1-3 minutes later.
    """
    from stack import traffic as sender

    if in_distribution <= 0 and drifted <= 0:
        _fail("say how many: --in-distribution N and/or --drifted N")
    _, stack = _running_stack(stack_name)
    batches = []
    if in_distribution > 0:
        batches.append(sender.in_distribution(in_distribution, rng_seed=seed))
    if drifted > 0:
        batches.append(sender.drifted(drifted, rng_seed=seed + 1))
    for reviews in batches:
        typer.echo(sender.describe(reviews))
        result = sender.send(stack.api_base_url, reviews.texts)
        typer.echo(
            f"  sent {result['sent']} to {stack.api_base_url}/batch_predict: answered {result['answered']}, "
            f"predicted {result['predicted']}" + (f", errors {result['errors']}" if result["errors"] else "")
        )
        if result["answered"] < result["sent"]:
            raise typer.Exit(1)
