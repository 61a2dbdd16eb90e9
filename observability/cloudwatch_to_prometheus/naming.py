"""Series and label names exactly as cloudwatch_exporter builds them (CloudWatchCollector.java).

`<namespace lowercased>_<metric in snake case>_<statistic in snake case>`, every character outside
[a-zA-Z0-9:_] replaced by `_` and runs of `_` merged: AWS/ApiGateway Latency p99 ->
`aws_apigateway_latency_p99`, ReviewSentiment FeaturePSI Maximum -> `reviewsentiment_feature_psi_maximum`.
Labels: `job` (the namespace, same rule), `instance` (empty) and one per dimension in snake case.
"""

from __future__ import annotations

import re

_CAMEL = re.compile(r"([a-z0-9])([A-Z])")
_UNSAFE = re.compile(r"[^a-zA-Z0-9:_]")
_UNSAFE_LABEL = re.compile(r"[^a-zA-Z0-9_]")
_RUNS = re.compile(r"__+")


def snake_case(text: str) -> str:
    """`ExecutionsStarted` -> `executions_started`, `FeaturePSI` -> `feature_psi`, `4XXError` -> `4_xxerror`.
    """
    return _CAMEL.sub(r"\1_\2", text).lower()


def safe_name(text: str) -> str:
    return _RUNS.sub("_", _UNSAFE.sub("_", text))


def safe_label_name(text: str) -> str:
    return _RUNS.sub("_", _UNSAFE_LABEL.sub("_", text))


def base_name(namespace: str, metric_name: str) -> str:
    return safe_name(f"{namespace.lower()}_{snake_case(metric_name)}")


def series_name(namespace: str, metric_name: str, statistic: str) -> str:
    """The Prometheus name of one statistic of one CloudWatch metric."""
    return f"{base_name(namespace, metric_name)}_{safe_name(snake_case(statistic))}"


def job_name(namespace: str) -> str:
    return safe_name(namespace.lower())


def dimension_label(dimension: str) -> str:
    return safe_label_name(snake_case(dimension))
