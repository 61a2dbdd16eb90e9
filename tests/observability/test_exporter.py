"""The CloudWatch exporter on moto's CloudWatch: cloudwatch_exporter's names and labels, newest datapoint,
missing data absent, errors reported as errors (never zeros), batching and the HTTP endpoint."""

from __future__ import annotations

import socket
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError
from cloudwatch_to_prometheus import naming
from cloudwatch_to_prometheus.cli import build_registry, main
from cloudwatch_to_prometheus.config import STATISTICS, ConfigError, load_config, parse_config
from cloudwatch_to_prometheus.source import CloudWatchReader
from moto import mock_aws
from prometheus_client import CollectorRegistry, generate_latest, start_http_server

from stack.settings import REPO_ROOT


@pytest.fixture
def cloudwatch(monkeypatch):
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_CLOUDWATCH"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield boto3.client("cloudwatch", region_name="us-east-1")


FIXTURES = Path(__file__).parent / "fixtures"
_RULE = {"aws_namespace": "A", "aws_metric_name": "M"}


def _config(*rules, **top):
    return parse_config({"region": "us-east-1", "delay_seconds": 0, "metrics": list(rules), **top})


def _scrape(config, client, **kwargs) -> CollectorRegistry:
    return build_registry(config, client, **kwargs)


def _once(registry: CollectorRegistry):
    """One scrape's samples as a lookup (get_sample_value would scrape CloudWatch again on every call)."""
    samples = {(s.name, frozenset(s.labels.items())): s.value for m in registry.collect() for s in m.samples}
    return lambda name, labels: samples.get((name, frozenset(labels.items())))


def _put(client, namespace, name, value, dims=(), at=None, unit="Count"):
    client.put_metric_data(
        Namespace=namespace,
        MetricData=[
            {
                "MetricName": name,
                "Value": value,
                "Unit": unit,
                "Timestamp": at or datetime.now(UTC) - timedelta(seconds=10),
                "Dimensions": [{"Name": k, "Value": v} for k, v in dims],
            }
        ],
    )


@pytest.mark.parametrize(
    ("namespace", "metric", "statistic", "expected"),
    [
        ("AWS/ApiGateway", "Latency", "p99", "aws_apigateway_latency_p99"),
        ("AWS/ApiGateway", "4XXError", "Sum", "aws_apigateway_4_xxerror_sum"),
        ("AWS/States", "ExecutionsStarted", "SampleCount", "aws_states_executions_started_sample_count"),
        ("AWS/Lambda", "Duration", "p99.9", "aws_lambda_duration_p99_9"),
        ("ReviewSentiment", "FeaturePSI", "Maximum", "reviewsentiment_feature_psi_maximum"),
        ("AWS/ELB", "RequestCount", "Sum", "aws_elb_request_count_sum"),  # cloudwatch_exporter's README
    ],
)
def test_series_names_follow_cloudwatch_exporter(namespace, metric, statistic, expected):
    assert naming.series_name(namespace, metric, statistic) == expected


def test_newest_datapoint_per_series_with_dimension_labels(cloudwatch):
    now = datetime.now(UTC)
    _put(cloudwatch, "AWS/Lambda", "Errors", 7, [("FunctionName", "old")], at=now - timedelta(minutes=5))
    _put(cloudwatch, "AWS/Lambda", "Errors", 2, [("FunctionName", "old")], at=now - timedelta(seconds=30))
    _put(cloudwatch, "AWS/Lambda", "Errors", 3, [("FunctionName", "other")])
    # another dimension set of the same metric is not this rule's series
    _put(cloudwatch, "AWS/Lambda", "Errors", 99, [("FunctionName", "old"), ("Resource", "old:1")])
    config = _config(
        {
            "aws_namespace": "AWS/Lambda",
            "aws_metric_name": "Errors",
            "aws_dimensions": ["FunctionName"],
            "aws_statistics": ["Sum"],
        }
    )
    value = _once(_scrape(config, cloudwatch))
    assert value("aws_lambda_errors_sum", {"job": "aws_lambda", "instance": "", "function_name": "old"}) == 2
    assert (
        value("aws_lambda_errors_sum", {"job": "aws_lambda", "instance": "", "function_name": "other"}) == 3
    )
    assert value("cloudwatch_exporter_scrape_error", {}) == 0
    assert value("cloudwatch_requests_total", {"action": "getMetricData", "namespace": "AWS/Lambda"}) == 1


def test_missing_data_is_absent_not_zero(cloudwatch):
    _put(
        cloudwatch,
        "ReviewSentiment",
        "ModelsPromoted",
        1,
        [("Stage", "local")],
        at=datetime.now(UTC) - timedelta(hours=2),
    )  # outside the 10-minute window
    config = _config(
        {
            "aws_namespace": "ReviewSentiment",
            "aws_metric_name": "ModelsPromoted",
            "aws_dimensions": ["Stage"],
            "aws_statistics": ["Sum"],
        },
        {"aws_namespace": "ReviewSentiment", "aws_metric_name": "NeverSent", "aws_statistics": ["Sum"]},
    )
    text = generate_latest(_scrape(config, cloudwatch)).decode()
    assert "reviewsentiment_models_promoted_sum" not in text
    assert "reviewsentiment_never_sent_sum" not in text
    assert "cloudwatch_exporter_scrape_error 0.0" in text


def test_dimension_select_and_regex_filter_series(cloudwatch):
    for name in ("prepare", "promote", "inference"):
        _put(cloudwatch, "AWS/Lambda", "Invocations", 1, [("FunctionName", f"rs-{name}")])
    rule = {
        "aws_namespace": "AWS/Lambda",
        "aws_metric_name": "Invocations",
        "aws_dimensions": ["FunctionName"],
        "aws_statistics": ["Sum"],
    }
    regex = _scrape(_config({**rule, "aws_dimension_select_regex": {"FunctionName": ["rs-p.*"]}}), cloudwatch)
    names = {
        s.labels["function_name"] for m in regex.collect() for s in m.samples if "function_name" in s.labels
    }
    assert names == {"rs-prepare", "rs-promote"}
    select = _scrape(
        _config({**rule, "aws_dimension_select": {"FunctionName": ["rs-inference"]}}), cloudwatch
    )
    value = _once(select)
    assert (
        value(
            "aws_lambda_invocations_sum",
            {"job": "aws_lambda", "instance": "", "function_name": "rs-inference"},
        )
        == 1
    )
    # every dimension selected: no ListMetrics at all
    assert value("cloudwatch_requests_total", {"action": "listMetrics", "namespace": "AWS/Lambda"}) is None


def test_queries_go_in_batches_of_500(cloudwatch):
    for start in range(0, 600, 20):
        cloudwatch.put_metric_data(
            Namespace="Bench",
            MetricData=[
                {
                    "MetricName": "M",
                    "Value": float(i),
                    "Dimensions": [{"Name": "Series", "Value": str(i)}],
                    "Timestamp": datetime.now(UTC) - timedelta(seconds=10),
                }
                for i in range(start, start + 20)
            ],
        )
    config = _config(
        {
            "aws_namespace": "Bench",
            "aws_metric_name": "M",
            "aws_dimensions": ["Series"],
            "aws_statistics": ["Maximum"],
        }
    )
    families = list(_scrape(config, cloudwatch).collect())
    requests = next(m for m in families if m.name == "cloudwatch_requests")
    assert [s.value for s in requests.samples if s.labels["action"] == "getMetricData"] == [2]
    samples = [s for m in families if m.name == "bench_m_maximum" for s in m.samples]
    assert len(samples) == 600
    assert all(s.value == float(s.labels["series"]) for s in samples)


class _FailingCloudWatch:
    """A CloudWatch that lists one series and then refuses GetMetricData."""

    def list_metrics(self, **kwargs):
        return {
            "Metrics": [
                {
                    "Namespace": "AWS/Lambda",
                    "MetricName": "Errors",
                    "Dimensions": [{"Name": "FunctionName", "Value": "f"}],
                }
            ]
        }

    def get_metric_data(self, **kwargs):
        raise ClientError({"Error": {"Code": "Throttling", "Message": "Rate exceeded"}}, "GetMetricData")


def test_a_cloudwatch_error_is_an_error_never_zeros(caplog):
    config = _config(
        {
            "aws_namespace": "AWS/Lambda",
            "aws_metric_name": "Errors",
            "aws_dimensions": ["FunctionName"],
            "aws_statistics": ["Sum"],
        }
    )
    registry = CollectorRegistry(auto_describe=False)
    from cloudwatch_to_prometheus.collector import CloudWatchCollector

    registry.register(CloudWatchCollector(config, CloudWatchReader(_FailingCloudWatch())))
    text = generate_latest(registry).decode()
    assert "cloudwatch_exporter_scrape_error 1.0" in text
    assert "aws_lambda_errors_sum" not in text
    assert 'cloudwatch_exporter_scrape_errors_total{action="GetMetricData"} 1.0' in text
    assert "Throttling: Rate exceeded" in caplog.text


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"metrics": [{"aws_namespace": "AWS/Lambda"}]}, "aws_metric_name is required"),
        (
            {"metrics": [{"aws_namespace": "A", "aws_metric_name": "M", "aws_tag_select": {}}]},
            "aws_tag_select is not supported",
        ),
        (
            {"metrics": [{"aws_namespace": "A", "aws_metric_name": "M", "period_seconds": 0}]},
            "period_seconds",
        ),
        ({"metrics": []}, "non-empty list"),
        # keys the Java exporter honours and this one cannot: ignoring them would read other data
        ({"role_arn": "arn:aws:iam::1:role/r", "metrics": [_RULE]}, "role_arn is not supported"),
        # known keys with a value of the wrong type
        ({"region": 5, "metrics": [_RULE]}, "region must be a string"),
        ({"set_timestamp": "yes", "metrics": [_RULE]}, "set_timestamp must be true or false"),
        ({"use_get_metric_data": 1, "metrics": [_RULE]}, "use_get_metric_data must be true or false"),
        ({"list_metrics_cache_ttl": "30s", "metrics": [_RULE]}, "list_metrics_cache_ttl must be an integer"),
        ({"metrics": [{**_RULE, "help": 3}]}, r"metrics\[0\] \(A M\) help must be a string"),
        (
            {"metrics": [{**_RULE, "aws_dimension_select": ["Region"]}]},
            "aws_dimension_select must be a mapping",
        ),
        ({"metrics": [{**_RULE, "aws_dimension_select_regex": "x"}]}, "select_regex must be a mapping"),
        ({"metrics": [{**_RULE, "aws_dimensions": "FunctionName"}]}, "aws_dimensions must be a list"),
        ({"metrics": [{**_RULE, "warn_on_empty_list_dimensions": "no"}]}, "must be true or false"),
        ({"metrics": [_RULE, {**_RULE, "list_metrics_cache_ttl": -1}]}, r"metrics\[1\].*must be an integer"),
    ],
)
def test_bad_configuration_says_what_to_fix(raw, message):
    with pytest.raises(ConfigError, match=message):
        parse_config({"region": "us-east-1", **raw})


def test_unknown_keys_are_one_warning_each_and_ignored(caplog):
    config = parse_config(
        {
            "region": "us-east-1",
            "scrape_interval": 60,
            "metrics": [
                _RULE,
                {**_RULE, "aws_dimensions": ["X"], "aws_dimenions": ["Y"], "role_arn": "arn:r", "colour": 1},
            ],
        }
    )
    assert config.rules[1].dimensions == ("X",)
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert warnings == [
        "configuration: top level: unknown key 'scrape_interval' ignored",
        "configuration: metrics[1] (A M): unknown keys 'aws_dimenions' (did you mean 'aws_dimensions'?), "
        "'colour', 'role_arn' ignored",
    ]
    assert config.warnings == tuple(w.removeprefix("configuration: ") for w in warnings)
    assert parse_config({"region": "us-east-1", "metrics": [_RULE]}).warnings == ()


def test_statistics_cloudwatch_would_not_answer_are_warnings_and_ignored():
    config = parse_config(
        {
            "region": "us-east-1",
            "metrics": [
                {**_RULE, "aws_statistics": ["Max", "Sum"], "aws_extended_statistics": ["q99", "p99"]},
                {**_RULE, "aws_statistics": ["Median"]},
                {**_RULE, "aws_statistics": []},
                _RULE,
            ],
        }
    )
    assert [r.all_statistics for r in config.rules] == [("Sum", "p99"), (), (), STATISTICS]
    assert config.warnings == (
        "metrics[0] (A M): statistic 'Max' ignored (not one of Sum, SampleCount, Minimum, Maximum, Average)",
        "metrics[0] (A M): extended statistic 'q99' ignored (not a percentile like p99)",
        "metrics[1] (A M): statistic 'Median' ignored (not one of Sum, SampleCount, Minimum, Maximum, "
        "Average)",
        "metrics[1] (A M): no statistic to read: the rule gives no series",
        "metrics[2] (A M): no statistic to read: the rule gives no series",
    )


def test_every_key_the_java_exporter_reads(caplog):
    """The fixture's keys: each one applied, and the misspelt key of upstream's old example.yml is a
    warning naming it and its rule, not an error (the Java exporter ignores it)."""
    config = load_config(FIXTURES / "java_exporter_keys.yml")
    assert config.warnings == (
        "metrics[1] (AWS/CloudFront Requests): unknown key 'aws_dimensions_select' "
        "(did you mean 'aws_dimension_select'?) ignored",
    )
    assert "metrics[1]" in caplog.text and "aws_dimensions_select" in caplog.text
    elb, cloudfront, errors, alb, s3 = config.rules
    assert (elb.period_seconds, elb.range_seconds, elb.delay_seconds, elb.set_timestamp) == (
        120,
        1200,
        600,
        True,
    )
    assert cloudfront.dimension_select == {} and errors.dimension_select == {"Region": ("Global",)}
    assert alb.extended_statistics == ("p95", "p99.9") and alb.statistics == ("Average",)
    assert alb.selects({"LoadBalancer": "app/prod-1/x"}) and not alb.selects({"LoadBalancer": "app/dev/x"})
    assert (alb.delay_seconds, alb.set_timestamp, alb.warn_on_empty_list_dimensions) == (1800, False, True)
    assert alb.help == "Target response time of the production load balancers"
    assert (config.cache_ttl(elb), config.cache_ttl(alb)) == (300, 0)
    assert (s3.period_seconds, s3.range_seconds) == (86400, 172800)


def test_warn_on_empty_list_dimensions_logs_an_empty_listing(cloudwatch, caplog):
    rule = {"aws_namespace": "AWS/ELB", "aws_metric_name": "Latency", "aws_dimensions": ["LoadBalancerName"]}
    config = _config(rule, {**rule, "aws_metric_name": "RequestCount", "warn_on_empty_list_dimensions": True})
    samples, errors = CloudWatchReader(cloudwatch).read(config)
    assert (samples, errors) == ([], [])
    assert [r.getMessage() for r in caplog.records if r.levelname == "WARNING"] == [
        "ListMetrics found no series of AWS/ELB RequestCount with dimensions LoadBalancerName"
    ]


def test_defaults_are_cloudwatch_exporters():
    rule = parse_config(
        {"region": "eu-west-1", "metrics": [{"aws_namespace": "A", "aws_metric_name": "M"}]}
    ).rules[0]
    assert (rule.period_seconds, rule.range_seconds, rule.delay_seconds, rule.set_timestamp) == (
        60,
        600,
        600,
        True,
    )
    assert rule.statistics == ("Sum", "SampleCount", "Minimum", "Maximum", "Average")


def test_shipped_config_loads_and_is_fast_locally():
    config = load_config(REPO_ROOT / "observability" / "review-sentiment.yml")
    assert all(r.delay_seconds == 0 and not r.set_timestamp for r in config.rules)
    names = {(r.namespace, r.metric_name) for r in config.rules}
    assert {
        ("AWS/Lambda", "Duration"),
        ("AWS/ApiGateway", "Latency"),
        ("AWS/States", "ExecutionsFailed"),
        ("ReviewSentiment", "FeaturePSI"),
        ("ReviewSentiment", "DriftDecision"),
    } <= names


def test_cli_refuses_a_bad_config_in_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.yml"
    bad.write_text("metrics: [{aws_namespace: A}]\nregion: us-east-1\n")
    assert main(["--config", str(bad)]) == 2
    assert capsys.readouterr().err.strip().count("\n") == 0
    assert main(["--config", str(tmp_path / "missing.yml")]) == 2


def test_scrape_over_http(cloudwatch):
    _put(cloudwatch, "AWS/States", "ExecutionsStarted", 1, [("StateMachineArn", "arn:sm")])
    config = _config(
        {
            "aws_namespace": "AWS/States",
            "aws_metric_name": "ExecutionsStarted",
            "aws_dimensions": ["StateMachineArn"],
            "aws_statistics": ["Sum"],
        }
    )
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server, thread = start_http_server(port, addr="127.0.0.1", registry=_scrape(config, cloudwatch))
    try:
        body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()
    finally:
        server.shutdown()
        thread.join(5)
    assert (
        'aws_states_executions_started_sum{instance="",job="aws_states",state_machine_arn="arn:sm"} 1.0'
        in body
    )
