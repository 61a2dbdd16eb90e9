"""The operator's console in a real browser (Debian's headless chromium driven by playwright) against the
session's stack on the embedded local cloud, after its real pipeline run (the `champion` fixture).

The console runs as `make ui` runs it (stack.uis: `streamlit run console/app.py` in the background),
beside the exporter and a real Prometheus (stack.metrics). Each page must load without an exception and
with every part reachable (no panel says "unavailable"): a prediction round-trips and shows the
champion's version, the model page shows the registry's champion, the drift page shows the last windows
the monitor wrote, the pipeline page shows the run with its per-state durations and a failed run's
failure record, the service page shows the API's latency from Prometheus. A screenshot of each page is
kept in .state/test-artifacts/console/ (the ones in docs/console/ are copies).
"""

from __future__ import annotations

import json
import re
import shutil
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from review_sentiment import aws
from stack.metrics import start_metrics, stop_metrics
from tests.support.stack import REPO_ROOT

pytestmark = [pytest.mark.slow, pytest.mark.localcloud]

CHROMIUM = Path("/usr/bin/chromium")
# Known to work for Debian's chromium here: no sandbox as root, no GPU, and no background connections
# (the machine's closed network refuses them).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = REPO_ROOT / ".state" / "test-artifacts" / "console"
PAGE_TIMEOUT_MS = 90_000
REVIEW = "Wonderful characters and a plot I could not put down."


def free_port() -> int:
    from local_cloud.controller import free_port as port

    return port()


def stack_name_of(stack) -> str:
    """The CloudFormation stack whose outputs these are (the fixture does not name it)."""
    cfn = aws.client("cloudformation")
    for described in cfn.describe_stacks()["Stacks"]:
        outputs = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}
        if outputs.get("InferenceApiId") == stack["InferenceApiId"]:
            return described["StackName"]
    raise AssertionError("the session's stack is not in the local cloud")


def prometheus_has(prometheus_url: str, expr: str) -> bool:
    url = f"{prometheus_url}/api/v1/query?{urllib.parse.urlencode({'query': expr})}"
    with urllib.request.urlopen(url, timeout=10) as response:
        return bool(json.loads(response.read())["data"]["result"])


@pytest.fixture(scope="module")
def console_url(stack, champion, local_cloud, tmp_path_factory):
    """The console (and the exporter + Prometheus it reads) on free ports; stopped after the module."""
    from review_sentiment.config import Settings
    from stack.settings import StackSettings
    from stack.uis import UiPlan, start_ui, stop_uis

    if not CHROMIUM.exists():
        pytest.fail("no /usr/bin/chromium: `make chromium` installs Debian's package", pytrace=False)
    state = tmp_path_factory.mktemp("console")
    endpoints = start_metrics(
        local_cloud.client_env(),
        state_dir=state / "metrics",
        exporter_port=free_port(),
        prometheus_port=free_port(),
        scrape_interval="5s",
    )
    assert endpoints.prometheus_url, "no prometheus binary: `make prometheus`"
    settings = StackSettings(stack_name=stack_name_of(stack))
    plan = UiPlan(
        settings, Settings().resolved_optuna_storage_url, local_cloud.client_env(), endpoints.prometheus_url
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CONSOLE_PORT", str(free_port()))
        try:
            url = start_ui("console", plan, state_dir=state / "uis")
            yield url, endpoints.prometheus_url
        finally:
            stop_uis(state / "uis")
            stop_metrics(state / "metrics")
            log = state / "uis" / "console.log"
            if log.exists():
                ARTIFACTS.mkdir(parents=True, exist_ok=True)
                shutil.copy(log, ARTIFACTS / "console.log")


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1800})
    opened = context.new_page()
    opened.set_default_timeout(PAGE_TIMEOUT_MS)
    try:
        yield opened
    finally:
        context.close()


def open_page(page, console_url: str, path: str, title: str):
    """Loads a console page and waits until its script has finished running."""
    page.goto(f"{console_url[0]}/{path}")
    page.get_by_role("heading", name=title, exact=True).first.wait_for()
    settle(page)
    return page


def settle(page) -> None:
    """Waits until Streamlit is idle: its status widget ("Running...") gone for a moment."""
    status = page.locator('[data-testid="stStatusWidget"]')
    for _ in range(3):
        page.wait_for_timeout(500)
        status.wait_for(state="detached", timeout=PAGE_TIMEOUT_MS)


def check_and_keep(page, name: str) -> None:
    """No exception and no unavailable part on the page; its screenshot kept as a test artefact."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    # the app scrolls inside its main block: grow the window to the content for a whole-page picture
    height = page.evaluate("document.querySelector('[data-testid=\"stMain\"]')?.scrollHeight || 0")
    page.set_viewport_size({"width": 1400, "height": min(max(int(height) + 40, 900), 8000)})
    settle(page)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    exceptions = page.locator('[data-testid="stException"]')
    assert exceptions.count() == 0, exceptions.all_inner_texts()
    body = page.locator("body").inner_text()
    assert "unavailable:" not in body, [line for line in body.splitlines() if "unavailable:" in line]


def test_a_prediction_round_trips_and_shows_the_champions_version(console_url, champion, page):
    open_page(page, console_url, "", "Predict")  # the default page is the root
    page.get_by_label("Review text").fill(REVIEW)
    page.get_by_role("button", name="Predict", exact=True).click()
    answered = page.get_by_text(f"{champion.model_name} version {champion.version}")
    answered.first.wait_for()
    settle(page)
    label = page.locator('[data-testid="stMetric"]').first.inner_text().split()
    assert label[0] == "Label" and label[-1] in ("positive", "negative"), label
    assert "curl -s -X POST" in page.locator('[data-testid="stCode"]').first.inner_text()
    check_and_keep(page, "predict")


def test_the_model_page_shows_the_champion_in_the_registry(console_url, champion, page):
    open_page(page, console_url, "model", "Model")
    page.get_by_text("Registry", exact=True).first.wait_for()
    settle(page)
    body = page.locator("body").inner_text()
    assert f"the API serves version {champion.version}" in body
    assert f"champion → version {champion.version}" in body
    check_and_keep(page, "model")


def report_keys(s3, bucket: str) -> list[str]:
    listed = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="reports/")
    return sorted(o["Key"] for p in listed for o in p.get("Contents", []) if o["Key"].endswith(".json"))


def test_the_drift_page_shows_the_last_windows(console_url, stack, page):
    s3, bucket = aws.client("s3"), stack["DriftReportsBucketName"]
    deadline = time.monotonic() + 240  # the schedule fires every minute once the stack is up
    while not (before := report_keys(s3, bucket)) and time.monotonic() < deadline:
        time.sleep(5)
    assert before, "the drift monitor wrote no report in 4 minutes"
    open_page(page, console_url, "drift", "Drift")
    page.get_by_text("Last windows", exact=True).first.wait_for()
    body = page.locator("body").inner_text()
    shown = re.search(r"Latest window (\S+)", body)
    assert shown, body[:2000]
    # the newest report when the page was read (the monitor may have written one more since the listing)
    by_window = {key.rsplit("/", 2)[-2]: key for key in report_keys(s3, bucket)}
    assert shown.group(1) in by_window and shown.group(1) >= before[-1].rsplit("/", 2)[-2]
    report = json.loads(s3.get_object(Bucket=bucket, Key=by_window[shown.group(1)])["Body"].read())
    assert report["decision"] in page.locator('[data-testid="stMetric"]').first.inner_text()
    assert len(page.locator('[data-testid="stDataFrame"]').all()) >= 1
    check_and_keep(page, "drift")


def test_the_pipeline_page_shows_the_run_and_a_failed_runs_record(console_url, stack, champion, page):
    sfn = aws.client("stepfunctions")
    arn = stack["TrainingPipelineStateMachineArn"]
    runs = sfn.list_executions(stateMachineArn=arn)["executions"]
    succeeded = max((e for e in runs if e["status"] == "SUCCEEDED"), key=lambda e: e["startDate"])
    # an execution input that is not a valid request: PrepareRun refuses it, RecordFailure records why
    failed = sfn.start_execution(stateMachineArn=arn, input=json.dumps({"raw_prefix": 7}))["executionArn"]
    while sfn.describe_execution(executionArn=failed)["status"] == "RUNNING":
        time.sleep(1)
    failed_name = failed.rsplit(":", 1)[-1]

    open_page(page, console_url, f"pipeline?execution={succeeded['name']}", "Pipeline")
    page.get_by_text(f"{succeeded['name']}: SUCCEEDED").first.wait_for()
    page.get_by_text("Per-state durations", exact=False).first.wait_for()
    settle(page)
    body = page.locator("body").inner_text()
    assert "decision: promoted" in body or "decision: champion version" in body
    # one expander per job the run started, named by its state: the two Glue jobs and the training job
    for state, kind in (
        ("ValidateReviews", "glue"),
        ("PreprocessReviews", "glue"),
        ("TrainModelKind", "batch"),
    ):
        assert re.search(rf"{state}[^\n]*: {kind} ", body), (state, body[:3000])
    check_and_keep(page, "pipeline")

    open_page(page, console_url, f"pipeline?execution={failed_name}", "Pipeline")
    page.get_by_text(f"{failed_name}: FAILED").first.wait_for()
    page.get_by_text("Failure record").first.wait_for()
    assert "raw_prefix" in page.locator("body").inner_text()
    check_and_keep(page, "pipeline-failed")


def test_the_service_page_shows_the_api_slo_from_prometheus(console_url, page):
    prometheus_url = console_url[1]
    deadline = time.monotonic() + 180  # the exporter's first scrapes of CloudWatch
    while not prometheus_has(prometheus_url, "aws_apigateway_latency_p99") and time.monotonic() < deadline:
        time.sleep(5)
    open_page(page, console_url, "service", "Service")
    page.get_by_text("Latency p50 / p95 / p99", exact=True).first.wait_for()
    settle(page)
    latency = page.locator('[data-testid="stMetric"]').first.inner_text()
    assert latency.strip().endswith("ms"), latency
    check_and_keep(page, "service")


@pytest.fixture
def stack_cli(stack, local_cloud, monkeypatch):
    """`python -m stack ...` in process, pointed at the session's local cloud and stack."""
    from typer.testing import CliRunner

    from stack.cli import app

    monkeypatch.setenv("LOCAL_CLOUD_PORT", str(local_cloud.port))
    monkeypatch.setenv("LOCAL_CLOUD_STATE_DIR", str(local_cloud.state_dir))
    monkeypatch.setenv("STACK_NAME", stack_name_of(stack))

    def run(*args: str):
        result = CliRunner().invoke(app, list(args))
        aws.client.cache_clear()  # the command pointed the shared clients at the local cloud again
        return result

    return run


def test_stack_drift_and_logs_on_the_command_line(stack_cli, stack):
    drift = stack_cli("drift", "--last", "3")
    assert drift.exit_code == 0, drift.output
    lines = drift.output.splitlines()
    assert lines[0].startswith("window") and len(lines) >= 2, drift.output
    keys = report_keys(aws.client("s3"), stack["DriftReportsBucketName"])
    assert lines[1].split()[0] in {key.rsplit("/", 2)[-2] for key in keys}

    monitor = stack_cli("logs", "DriftMonitorFunction")
    assert monitor.exit_code == 0, monitor.output
    assert "/aws/lambda/" in monitor.output and "drift window evaluated" in monitor.output
    # a part of a name: the Glue job's latest run, the training job definition's latest job
    preprocess = stack_cli("logs", "preprocess")
    assert preprocess.exit_code == 0 and "/aws-glue/jobs/output" in preprocess.output, preprocess.output
    assert len(preprocess.output.splitlines()) > 3, preprocess.output
    training = stack_cli("logs", "training")
    assert training.exit_code == 0 and "/aws/batch/job" in training.output, training.output
    assert "logreg" in training.output

    unknown = stack_cli("logs", "no-such-thing")
    assert unknown.exit_code == 1
    assert "InferenceFunction" in unknown.output and "choose one of" in unknown.output
