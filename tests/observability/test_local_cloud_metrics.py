"""The local cloud's CloudWatch side channel, as pure functions: EMF lines -> metric data, REPORT lines ->
Duration, percentiles as CloudWatch computes them for raw values."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime

from local_cloud import settings

sys.path.insert(0, str(settings.REPO_ROOT / "local_cloud" / "plugins"))
from local_cloud_plugins.cloudwatch_metrics import emf, lambda_metrics, metric_data, stepfunctions_metrics


def _emf(**members) -> str:
    return json.dumps(
        {
            "_aws": {
                "Timestamp": 1_780_000_000_000,
                "CloudWatchMetrics": [
                    {
                        "Namespace": "ReviewSentiment",
                        "Dimensions": [["service", "Stage"]],
                        "Metrics": [
                            {"Name": "Predictions", "Unit": "Count"},
                            {"Name": "RequestBytes", "Unit": "Bytes"},
                        ],
                    }
                ],
            },
            "service": "review-sentiment",
            "Stage": "local",
            **members,
        }
    )


def test_powertools_emf_line_becomes_one_datum_per_metric():
    logs = "START RequestId: 1\n" + _emf(Predictions=[1.0, 1.0], RequestBytes=42) + "\nEND RequestId: 1\n"
    data = emf.parse_logs(logs)
    assert [(ns, d["MetricName"], d["Values"], d["Unit"]) for ns, d in data] == [
        ("ReviewSentiment", "Predictions", [1.0, 1.0], "Count"),
        ("ReviewSentiment", "RequestBytes", [42.0], "Bytes"),
    ]
    assert data[0][1]["Dimensions"] == [
        {"Name": "service", "Value": "review-sentiment"},
        {"Name": "Stage", "Value": "local"},
    ]
    assert data[0][1]["Timestamp"] == datetime.fromtimestamp(1_780_000_000, tz=UTC)


def test_lines_that_break_the_format_stay_log_lines():
    assert emf.parse_line('{"message": "predict", "_aws": "not a mapping"}') == []
    assert emf.parse_line("{not json _aws}") == []
    assert emf.parse_line(_emf(Predictions="many")) == []  # a value that is not a number
    no_stage = json.loads(_emf(Predictions=1))
    del no_stage["Stage"]  # a dimension without a value drops that dimension set
    assert emf.parse_line(json.dumps(no_stage)) == []
    assert emf.parse_line(_emf(Predictions=float("nan"))) == []


def test_duration_comes_from_the_report_line():
    logs = (
        "START RequestId: a\nEND RequestId: a\n"
        "REPORT RequestId: a\tDuration: 12.34 ms\tBilled Duration: 13 ms\n"
    )
    data = lambda_metrics.lambda_data("fn", logs)
    assert {d["MetricName"]: d["Value"] for d in data} == {"Throttles": 0.0, "Duration": 12.34}
    throttled = lambda_metrics.lambda_data("fn", None, throttled=True)
    assert [(d["MetricName"], d["Value"]) for d in throttled] == [("Throttles", 1.0)]


def test_execution_metrics_by_status():
    start, stop = datetime(2026, 1, 1, 0, 0, tzinfo=UTC), datetime(2026, 1, 1, 0, 1, 30, tzinfo=UTC)
    assert [d["MetricName"] for d in stepfunctions_metrics.execution_data("arn", "RUNNING", start, None)] == [
        "ExecutionsStarted"
    ]
    ended = stepfunctions_metrics.execution_data("arn", "FAILED", start, stop)
    assert {d["MetricName"]: d["Value"] for d in ended} == {
        "ExecutionsFailed": 1.0,
        "ExecutionTime": 90_000.0,
    }


def test_nearest_rank_percentile():
    values = [float(v) for v in range(1, 101)]
    assert metric_data.nearest_rank(values, 99) == 99.0
    assert metric_data.nearest_rank(values, 50) == 50.0
    assert metric_data.nearest_rank([5.0], 99.9) == 5.0
    assert metric_data.nearest_rank([3.0, 1.0, 2.0], 100) == 3.0
