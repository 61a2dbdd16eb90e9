"""`python -m stack run | deploy | rollback | status | traffic | metrics | sizes | drift | logs | ui`: the
deployed stack from the command line."""

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
        uis = _start_uis(cloud, settings, endpoints, progress)
        result = execution.follow(arn, progress)
    except (LocalCloudError, InvalidRunRequest, LookupError, TimeoutError) as exc:
        _fail(str(exc))
    typer.echo(report.summary(result, stack))
    if endpoints is not None:
        typer.echo(_metrics_lines(endpoints))
    typer.echo(_ui_lines(uis))
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
    curl = curl_command(stack.api_base_url + "/predict", stack.api_key)
    typer.echo(f"API Gateway URL: {stack.api_base_url}/ (x-api-key: {stack.api_key})\n  {curl}")


@app.command()
def traffic(
    in_distribution: Annotated[
        int, typer.Option("--in-distribution", help="reviews from the held-out test split to send")
    ] = 0,
    drifted: Annotated[
        int, typer.Option("--drifted", help="drifted reviews to send (longer, other words, mostly negative)")
    ] = 0,
    seed: Annotated[int, typer.Option(help="random seed of the draw")] = 0,
    with_ratings: Annotated[
        bool,
        typer.Option(
            "--with-ratings", help="send each review's star rating: live model quality and training data"
        ),
    ] = False,
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
        ratings = reviews.ratings if with_ratings else None
        result = sender.send(stack.api_base_url, reviews.texts, api_key=stack.api_key, ratings=ratings)
        typer.echo(
            f"  sent {result['sent']} to {stack.api_base_url}/batch_predict: answered {result['answered']}, "
            f"predicted {result['predicted']}" + (f", errors {result['errors']}" if result["errors"] else "")
        )
        if result["answered"] < result["sent"]:
            raise typer.Exit(1)


def _ui_plan(cloud, settings: StackSettings, prometheus_url: str | None):
    from review_sentiment.config import Settings
    from stack.uis import UiPlan

    optuna = Settings.from_env().resolved_optuna_storage_url  # where the training jobs keep their studies
    return UiPlan(settings, optuna, cloud.client_env() if cloud else {}, prometheus_url)


def _start_uis(cloud, settings: StackSettings, endpoints, progress) -> dict[str, str]:
    """The console, the MLflow UI and optuna-dashboard, started while the execution runs so it can be
    watched; one that fails costs only itself."""
    from stack.uis import TITLES, start_uis

    started = start_uis(_ui_plan(cloud, settings, endpoints.prometheus_url if endpoints else None))
    progress(", ".join(f"{TITLES[name]} {where}" for name, where in started.items()))
    return started


def _ui_lines(started: dict[str, str]) -> str:
    from stack.uis import url_lines

    return url_lines(started) + "\n`make down` stops them with the local cloud"


@app.command("ui")
def ui_command(
    name: Annotated[str, typer.Argument(help="console, mlflow, optuna or all")] = "all",
    stop: Annotated[bool, typer.Option("--stop", help="stop every UI instead")] = False,
    stack_name: StackOption = None,
) -> None:
    """Start the console (Streamlit), the MLflow UI or optuna-dashboard in the background; print the URL."""
    import os

    from local_cloud.controller import LocalCloud
    from stack.metrics import ENV_PROMETHEUS_PORT
    from stack.uis import UIS, UiError, start_ui, stop_uis, url_lines

    if stop:
        stopped = stop_uis()
        typer.echo(f"stopped: {', '.join(stopped)}" if stopped else "no UI was running")
        return
    names = UIS if name == "all" else (name,)
    if any(n not in UIS for n in names):
        _fail(f"unknown UI {name!r}: choose console, mlflow, optuna or all")
    cloud = LocalCloud()
    if not cloud.status().healthy:
        typer.echo(f"note: no local cloud answers on {cloud.endpoint_url}; `make run` starts and deploys it")
    prometheus_url = f"http://127.0.0.1:{os.environ.get(ENV_PROMETHEUS_PORT, '9090')}"
    plan = _ui_plan(cloud, StackSettings.from_env(stack_name=stack_name), prometheus_url)
    started = {}
    for each in names:
        try:
            started[each] = start_ui(each, plan)
        except UiError as exc:
            _fail(str(exc))
    typer.echo(url_lines(started))


@app.command("drift")
def drift_command(
    last: Annotated[int, typer.Option("--last", "-n", help="windows to show, newest first")] = 10,
    stack_name: StackOption = None,
) -> None:
    """The drift monitor's last windows: rows, decision, top scores (or why none), live model quality when
    reported, the retraining run a window started, how many times a window was evaluated."""
    from console.sources.drift import last_reports, summary_rows
    from review_sentiment import aws

    if last < 1:
        _fail("--last must be at least 1")
    _, stack = _running_stack(stack_name)
    bucket = stack["DriftReportsBucketName"]
    rows = summary_rows(last_reports(aws.client("s3"), bucket, last))
    if not rows:
        typer.echo(f"no drift report in s3://{bucket}/reports/ yet (the monitor writes one per window)")
        return
    typer.echo(f"{'window':<22}{'rows':>8}  {'decision':<18}top scores / run started")
    for row in rows:
        rows_text = "-" if row["rows"] is None else str(row["rows"])
        typer.echo(
            f"{row['window']:<22}{rows_text:>8}  {row['decision']:<18}{row['top scores'] or row['why']}"
        )
        if row["quality"]:
            typer.echo(f"{'':<50}live quality: {row['quality']}")
        if row["run started"]:
            typer.echo(f"{'':<50}run started: {row['run started']}")
        if row["evaluations"] > 1:
            typer.echo(f"{'':<50}evaluated {row['evaluations']} times, shown: {row['shown']}")


@app.command("logs")
def logs_command(
    name: Annotated[
        str,
        typer.Argument(
            help="a function or job: a logical id (InferenceFunction, PreprocessReviewsJob, "
            "TrainingJobDefinition), a part of one (inference, preprocess, training), a Glue run id "
            "(jr_...) or a Batch job id"
        ),
    ],
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="keep printing new lines (Ctrl-C ends)")
    ] = False,
    since: Annotated[int, typer.Option(help="minutes back to start from")] = 60,
    stack_name: StackOption = None,
) -> None:
    """The CloudWatch log of a Lambda, a Glue job run or a training job; --follow tails it like `sam logs
    --tail`."""
    import time
    from datetime import UTC, datetime

    from console.sources import logs
    from review_sentiment import aws

    settings, _ = _running_stack(stack_name)
    client = aws.client("logs")
    resources = logs.stack_resources(aws.client("cloudformation"), settings.stack_name)
    try:
        targets = logs.resolve(name, resources, client, aws.client("glue"), aws.client("batch"))
    except logs.NoSuchLogTarget as exc:
        _fail(str(exc))
    for target in targets:
        typer.echo(f"# {target.description}: {target.group}" + (f" {target.stream}" if target.stream else ""))
    start_ms = int((time.time() - since * 60) * 1000)
    events = (
        logs.follow(client, targets, start_ms)
        if follow
        else iter(logs.read_all(client, targets, start_ms, limit=10_000))
    )
    try:
        for event in events:
            stamp = datetime.fromtimestamp(event["timestamp"] / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S")
            typer.echo(f"{stamp} {event['message'].rstrip()}")
    except KeyboardInterrupt:
        pass
