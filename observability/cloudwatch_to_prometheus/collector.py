"""The prometheus-client collector: one CloudWatch read per scrape, cloudwatch_exporter's output.

Sample exposition (local cloud, after one pipeline execution and some API calls)::

    # HELP aws_apigateway_latency_p99 CloudWatch metric AWS/ApiGateway Latency ...
    # TYPE aws_apigateway_latency_p99 gauge
    aws_apigateway_latency_p99{api_name="sentiment-api",job="aws_apigateway",stage="local"} 41.2
    # TYPE cloudwatch_requests_total counter
    cloudwatch_requests_total{action="getMetricData",namespace="AWS/ApiGateway"} 12.0
    # TYPE cloudwatch_exporter_scrape_duration_seconds gauge
    cloudwatch_exporter_scrape_duration_seconds 0.21
    # TYPE cloudwatch_exporter_scrape_error gauge
    cloudwatch_exporter_scrape_error 0.0

A CloudWatch error sets cloudwatch_exporter_scrape_error to 1 and is logged; the series it would have
given are absent. `cloudwatch_exporter_scrape_errors_total` counts failed calls by kind.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from cloudwatch_to_prometheus import naming
from cloudwatch_to_prometheus.config import ExporterConfig
from cloudwatch_to_prometheus.source import CloudWatchReader, Sample

LOG = logging.getLogger(__name__)


def _help(sample: Sample) -> str:
    rule = sample.rule
    if rule.help:
        return rule.help
    return (
        f"CloudWatch metric {rule.namespace} {rule.metric_name} "
        f"Dimensions: [{', '.join(rule.dimensions)}] Statistic: {sample.statistic}"
    )


class CloudWatchCollector:
    """Collects every configured CloudWatch metric on each scrape (register it in a CollectorRegistry)."""

    def __init__(self, config: ExporterConfig, reader: CloudWatchReader) -> None:
        self.config = config
        self.reader = reader
        self._lock = threading.Lock()  # one scrape at a time: concurrent scrapes would double the calls
        self.errors_total: dict[str, int] = defaultdict(int)

    def describe(self):
        return []  # the series depend on CloudWatch: nothing to check at registration

    def collect(self):
        with self._lock:
            began = time.perf_counter()
            try:
                samples, errors = self.reader.read(self.config)
            except Exception as exc:  # a bug or an unreachable endpoint: still an error, not zeros
                samples, errors = [], [f"{type(exc).__name__}: {exc}"]
            duration = time.perf_counter() - began
            for error in errors:
                LOG.error("CloudWatch: %s", error)
                self.errors_total[error.split(" ", 1)[0]] += 1
            yield from self._families(samples)
            yield from self._self_metrics(duration, bool(errors))

    def _families(self, samples: list[Sample]):
        by_name: dict[str, list[Sample]] = defaultdict(list)
        for sample in samples:
            by_name[
                naming.series_name(sample.rule.namespace, sample.rule.metric_name, sample.statistic)
            ].append(sample)
        for name, group in sorted(by_name.items()):
            dimension_names: list[str] = []
            for sample in group:
                for dim, _ in sample.dimensions:
                    if (label := naming.dimension_label(dim)) not in dimension_names:
                        dimension_names.append(label)
            family = GaugeMetricFamily(name, _help(group[0]), labels=["job", "instance", *dimension_names])
            for sample in group:
                values = {naming.dimension_label(d): v for d, v in sample.dimensions}
                labels = [
                    naming.job_name(sample.rule.namespace),
                    "",
                    *(values.get(n, "") for n in dimension_names),
                ]
                family.add_metric(
                    labels, sample.value, timestamp=sample.timestamp if sample.rule.set_timestamp else None
                )
            yield family

    def _self_metrics(self, duration: float, failed: bool):
        counter = self.reader.counter
        requests = CounterMetricFamily(
            "cloudwatch_requests", "API requests made to CloudWatch", labels=["action", "namespace"]
        )
        for (action, namespace), n in sorted(counter.requests.items()):
            requests.add_metric([action, namespace], n)
        yield requests
        requested = CounterMetricFamily(
            "cloudwatch_metrics_requested",
            "Metrics requested by GetMetricData",
            labels=["action", "namespace"],
        )
        for (action, namespace), n in sorted(counter.metrics_requested.items()):
            requested.add_metric([action, namespace], n)
        yield requested
        errors = CounterMetricFamily(
            "cloudwatch_exporter_scrape_errors", "Failed CloudWatch calls by action", labels=["action"]
        )
        for action, n in sorted(self.errors_total.items()):
            errors.add_metric([action], n)
        yield errors
        yield GaugeMetricFamily(
            "cloudwatch_exporter_scrape_duration_seconds",
            "Time this CloudWatch scrape took, in seconds",
            value=duration,
        )
        yield GaugeMetricFamily(
            "cloudwatch_exporter_scrape_error", "Non-zero if this scrape failed.", value=float(failed)
        )
