"""The metrics path end to end, run against the deployed stack of test_stack_local_cloud.py (after its
pipeline executions): API traffic -> CloudWatch in the local cloud -> the exporter -> a real Prometheus
(Debian's package) -> every dashboard panel's query and the alert rules."""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from review_sentiment import aws
from stack.metrics import start_metrics, stop_metrics
from stack.settings import REPO_ROOT

DRIFT_FEATURES = ("text_len", "word_count")  # two of features.numeric.NUMERIC_FEATURES
# (query, what it shows): each must give at least one series with a value > 0
NON_ZERO = [
    ("sum(aws_lambda_invocations_sum)", "Lambda invocations (LocalStack)"),
    (
        'max(aws_lambda_duration_p99{function_name=~".*Inference.*"})',
        "Lambda duration of the inference function",
    ),
    ("sum(aws_apigateway_count_sum)", "API Gateway Count"),
    ("sum(aws_apigateway_4_xxerror_sum)", "API Gateway 4XXError (the 422s)"),
    ("max(aws_apigateway_latency_p99)", "API Gateway Latency p99"),
    ("max(aws_apigateway_integration_latency_average)", "API Gateway IntegrationLatency"),
    ("sum(aws_states_executions_started_sum)", "Step Functions ExecutionsStarted"),
    ("sum(aws_states_executions_succeeded_sum)", "Step Functions ExecutionsSucceeded"),
    ("sum(aws_states_executions_failed_sum)", "Step Functions ExecutionsFailed"),
    ("max(aws_states_execution_time_maximum)", "Step Functions ExecutionTime"),
    ('sum(reviewsentiment_predictions_sum{stage="local", service="review-sentiment"})', "Predictions (EMF)"),
    ("sum(reviewsentiment_pipeline_runs_started_sum)", "PipelineRunsStarted (EMF)"),
    ("sum(reviewsentiment_models_promoted_sum)", "ModelsPromoted (EMF)"),
    ("sum(reviewsentiment_pipeline_runs_failed_sum)", "PipelineRunsFailed (EMF)"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(url: str, body: bytes, api_key: str) -> int:
    headers = {"Content-Type": "application/json", "x-api-key": api_key}
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def send_traffic(api_base_url: str, api_key: str) -> list[int]:
    """30 predictions, 5 batches, 5 bad bodies (422): the statuses, in order."""
    statuses = [
        post(
            f"{api_base_url}/predict", json.dumps({"reviewText": f"Great book number {i}"}).encode(), api_key
        )
        for i in range(30)
    ]
    batch = {"reviews": [{"reviewText": "Dull."}, {"reviewText": "Loved it."}]}
    statuses += [post(f"{api_base_url}/batch_predict", json.dumps(batch).encode(), api_key) for _ in range(5)]
    statuses += [post(f"{api_base_url}/predict", b'{"txt": "misspelt field"}', api_key) for _ in range(5)]
    return statuses


def publish_drift_metrics() -> None:
    """The drift monitor's metrics (its Lambda is built separately), under the names it publishes."""
    dims = [{"Name": "service", "Value": "review-sentiment"}, {"Name": "Stage", "Value": "local"}]
    now = datetime.now(UTC)
    data = [
        {"MetricName": n, "Dimensions": dims, "Value": v, "Timestamp": now}
        for n, v in (
            ("PredictionPSI", 0.05),
            ("TextDriftScore", 0.12),
            ("MaxPSI", 0.31),
            ("DriftDecision", 2.0),
            ("RetrainingTriggered", 1.0),
            ("LabelledRows", 240.0),
            ("ModelQualityF1", 0.81),
            ("ModelQualityAccuracy", 0.83),
            ("ModelQualityDecline", 0.05),
            ("ModelQualityLevel", 0.0),
        )
    ]
    data += [
        {
            "MetricName": "FeaturePSI",
            "Dimensions": [*dims, {"Name": "feature", "Value": f}],
            "Value": 0.31 if f == "text_len" else 0.02,
            "Timestamp": now,
        }
        for f in DRIFT_FEATURES
    ]
    aws.client("cloudwatch").put_metric_data(Namespace="ReviewSentiment", MetricData=data)


def query(prometheus_url: str, expr: str) -> list[dict]:
    url = f"{prometheus_url}/api/v1/query?{urllib.parse.urlencode({'query': expr})}"
    with urllib.request.urlopen(url, timeout=30) as response:
        body = json.loads(response.read())
    assert body["status"] == "success", body
    return body["data"]["result"]


def panel_queries() -> list[tuple[str, str, str]]:
    """(dashboard, panel, expr) of every target of every dashboard."""
    found = []
    for path in sorted((REPO_ROOT / "dashboards" / "grafana").glob("*.json")):
        for panel in json.loads(path.read_text())["panels"]:
            found += [(path.stem, panel["title"], t["expr"]) for t in panel["targets"]]
    return found


def wait_for(prometheus_url: str, checks, timeout_s: float = 300.0) -> dict[str, str]:
    """Poll until every check passes; the failing ones (name -> why) when the time is up."""
    deadline = time.monotonic() + timeout_s
    while True:
        failing = {}
        for name, check in checks.items():
            why = check(prometheus_url)
            if why:
                failing[name] = why
        if not failing or time.monotonic() > deadline:
            return failing
        time.sleep(3)


def non_zero(expr: str):
    def check(prometheus_url: str) -> str | None:
        result = query(prometheus_url, expr)
        if not result:
            return "no series"
        if not any(float(r["value"][1]) > 0 for r in result):
            return f"all zero: {result}"
        return None

    return check


def non_empty(expr: str):
    def check(prometheus_url: str) -> str | None:
        return None if query(prometheus_url, expr) else "no series"

    return check


def firing(alertname: str):
    def check(prometheus_url: str) -> str | None:
        with urllib.request.urlopen(f"{prometheus_url}/api/v1/alerts", timeout=30) as response:
            alerts = json.loads(response.read())["data"]["alerts"]
        states = {a["labels"]["alertname"]: a["state"] for a in alerts}
        return None if states.get(alertname) == "firing" else f"alerts: {states}"

    return check


def run_check(stack, client_env: dict[str, str], state_dir: Path) -> None:
    endpoints = start_metrics(
        client_env,
        state_dir=state_dir,
        exporter_port=free_port(),
        prometheus_port=free_port(),
        scrape_interval="10s",
    )
    try:
        assert endpoints.prometheus_url, "the prometheus binary went missing"
        statuses = send_traffic(stack.api_base_url, stack.api_key)
        assert statuses.count(200) == 35 and statuses.count(422) == 5, statuses
        publish_drift_metrics()
        checks = {f"non-zero {what}": non_zero(expr) for expr, what in NON_ZERO}
        checks |= {f"panel {d} / {p}: {e}": non_empty(e) for d, p, e in panel_queries()}
        checks["exporter scrape without error"] = lambda url: (
            None
            if [r["value"][1] for r in query(url, "cloudwatch_exporter_scrape_error")] == ["0"]
            else "error"
        )
        checks["alert PipelineExecutionFailed fires on the failed executions"] = firing(
            "PipelineExecutionFailed"
        )
        checks["alert DriftPsiOverActThreshold fires on PSI 0.31"] = firing("DriftPsiOverActThreshold")
        failing = wait_for(endpoints.prometheus_url, checks)
        if failing:
            with urllib.request.urlopen(f"{endpoints.prometheus_url}/api/v1/targets", timeout=30) as response:
                targets = json.loads(response.read())["data"]["activeTargets"]
            scrapes = [
                (t["scrapeUrl"], t["health"], t["lastError"], t["lastScrapeDuration"]) for t in targets
            ]
            log = (state_dir / "exporter.log").read_text()[-3000:]
            report = "\n".join(f"{name}: {why}" for name, why in failing.items())
            raise AssertionError(f"{report}\nscrapes: {scrapes}\nexporter log:\n{log}")
    finally:
        stopped = stop_metrics(state_dir)
    assert stopped == ["prometheus", "exporter"]
