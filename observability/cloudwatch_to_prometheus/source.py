"""Reading CloudWatch: the series of each rule (ListMetrics) and their newest datapoints (GetMetricData).

`CloudWatchReader.read(config)` lists the dimension values of every rule concurrently, then asks
GetMetricData for every (series, statistic) in batches of up to 500 queries (the API's limit), one batch
per call, the calls running concurrently on `max_workers` threads, following NextToken. Each rule's
window is [now - delay - range, now - delay). A series keeps its newest datapoint; one without a
datapoint gives no sample. Any failed call is returned as an error naming the rule(s), and the samples
that call would have given are left out, never replaced by zeros.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cloudwatch_to_prometheus.config import ExporterConfig, MetricRule

LOG = logging.getLogger(__name__)
MAX_QUERIES_PER_CALL = 500  # GetMetricData's limit on MetricDataQueries


@dataclass(frozen=True)
class Sample:
    """The newest datapoint of one statistic of one series (timestamp: epoch seconds)."""

    rule: MetricRule
    dimensions: tuple[tuple[str, str], ...]
    statistic: str
    value: float
    timestamp: float


@dataclass(frozen=True)
class _Query:
    rule: MetricRule
    dimensions: tuple[tuple[str, str], ...]
    statistic: str


class RequestCounter:
    """Counts API calls by (action, namespace); the collector exposes it as cloudwatch_requests_total."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: dict[tuple[str, str], int] = defaultdict(int)
        self.metrics_requested: dict[tuple[str, str], int] = defaultdict(int)

    def count(self, action: str, namespace: str, metrics: int = 0) -> None:
        with self._lock:
            self.requests[(action, namespace)] += 1
            if metrics:
                self.metrics_requested[(action, namespace)] += metrics


class CloudWatchReader:
    """Reads the configured metrics from one CloudWatch client (boto3, thread-safe) on a thread pool."""

    def __init__(
        self,
        client,
        max_workers: int = 8,
        counter: RequestCounter | None = None,
        batch_size: int = MAX_QUERIES_PER_CALL,
        clock=time.time,
    ) -> None:
        if not 1 <= batch_size <= MAX_QUERIES_PER_CALL:
            raise ValueError(f"batch_size must be 1..{MAX_QUERIES_PER_CALL}")
        self.client = client
        self.max_workers = max_workers
        self.counter = counter or RequestCounter()
        self.batch_size = batch_size
        self.clock = clock
        self._list_cache: dict[int, tuple[float, list[tuple[tuple[str, str], ...]]]] = {}

    # --- series of a rule ------------------------------------------------------------------------------
    def series(self, rule: MetricRule, cache_ttl: int = 0) -> list[tuple[tuple[str, str], ...]]:
        """The dimension-value tuples of a rule's series: all combinations of aws_dimension_select when
        every dimension has listed values, else ListMetrics (recently active, exactly these dimensions)."""
        if not rule.dimensions:
            return [()]
        if rule.dimensions_known:
            combos: list[tuple[tuple[str, str], ...]] = [()]
            for name in rule.dimensions:
                combos = [(*c, (name, v)) for c in combos for v in rule.dimension_select[name]]
            return [c for c in combos if rule.selects(dict(c))]
        cached = self._list_cache.get(id(rule))
        if cache_ttl and cached and self.clock() - cached[0] < cache_ttl:
            return cached[1]
        found = []
        kwargs = {
            "Namespace": rule.namespace,
            "MetricName": rule.metric_name,
            "Dimensions": [{"Name": name} for name in rule.dimensions],
        }
        if rule.range_seconds < 10800:
            kwargs["RecentlyActive"] = "PT3H"
        wanted = set(rule.dimensions)
        while True:
            response = self.client.list_metrics(**kwargs)
            self.counter.count("listMetrics", rule.namespace)
            for metric in response.get("Metrics", []):
                dims = {d["Name"]: d["Value"] for d in metric.get("Dimensions", [])}
                if set(dims) == wanted and rule.selects(dims):
                    found.append(tuple((name, dims[name]) for name in rule.dimensions))
            if not response.get("NextToken"):
                break
            kwargs["NextToken"] = response["NextToken"]
        found = sorted(set(found))
        if not found and rule.warn_on_empty_list_dimensions:
            LOG.warning(
                "ListMetrics found no series of %s %s with dimensions %s",
                rule.namespace,
                rule.metric_name,
                ", ".join(rule.dimensions),
            )
        self._list_cache[id(rule)] = (self.clock(), found)
        return found

    # --- datapoints --------------------------------------------------------------------------------------
    def read(self, config: ExporterConfig) -> tuple[list[Sample], list[str]]:
        """(samples, errors) for every rule of the configuration."""
        errors: list[str] = []
        queries: dict[tuple[int, int], list[_Query]] = defaultdict(list)  # by (range, delay): one window
        with ThreadPoolExecutor(self.max_workers, thread_name_prefix="cloudwatch") as pool:
            listed = [(rule, pool.submit(self.series, rule, config.cache_ttl(rule))) for rule in config.rules]
            for rule, future in listed:
                try:
                    series = future.result()
                except Exception as exc:
                    errors.append(f"ListMetrics {rule.namespace} {rule.metric_name}: {_reason(exc)}")
                    continue
                for dims in series:
                    for statistic in rule.all_statistics:
                        queries[(rule.range_seconds, rule.delay_seconds)].append(
                            _Query(rule, dims, statistic)
                        )
            now = datetime.fromtimestamp(self.clock(), tz=UTC)
            calls = []
            for (range_s, delay_s), window in queries.items():
                end = now - timedelta(seconds=delay_s)
                start = end - timedelta(seconds=range_s)
                for first in range(0, len(window), self.batch_size):
                    batch = window[first : first + self.batch_size]
                    calls.append((batch, pool.submit(self._get_metric_data, batch, start, end)))
            samples: list[Sample] = []
            for batch, future in calls:
                try:
                    samples += future.result()
                except Exception as exc:
                    rules = sorted({f"{q.rule.namespace} {q.rule.metric_name}" for q in batch})
                    errors.append(f"GetMetricData ({', '.join(rules)}): {_reason(exc)}")
        return samples, errors

    def _get_metric_data(self, batch: list[_Query], start: datetime, end: datetime) -> list[Sample]:
        data_queries = [
            {
                "Id": f"q{i}",
                "MetricStat": {
                    "Metric": {
                        "Namespace": q.rule.namespace,
                        "MetricName": q.rule.metric_name,
                        "Dimensions": [{"Name": n, "Value": v} for n, v in q.dimensions],
                    },
                    "Period": q.rule.period_seconds,
                    "Stat": q.statistic,
                },
                "ReturnData": True,
            }
            for i, q in enumerate(batch)
        ]
        newest: dict[str, tuple[datetime, float]] = {}
        kwargs = {
            "MetricDataQueries": data_queries,
            "StartTime": start,
            "EndTime": end,
            "ScanBy": "TimestampDescending",
        }
        namespaces: dict[str, int] = defaultdict(int)
        for q in batch:
            namespaces[q.rule.namespace] += 1
        while True:
            response = self.client.get_metric_data(**kwargs)
            for namespace, n in namespaces.items():
                self.counter.count("getMetricData", namespace, n)
            for result in response.get("MetricDataResults", []):
                if result.get("StatusCode") in ("InternalError", "Forbidden"):
                    raise RuntimeError(f"{result['Id']}: {result['StatusCode']}")
                for stamp, value in zip(result.get("Timestamps", []), result.get("Values", []), strict=False):
                    if result["Id"] not in newest or stamp > newest[result["Id"]][0]:
                        newest[result["Id"]] = (stamp, value)
            if not response.get("NextToken"):
                break
            kwargs["NextToken"] = response["NextToken"]
        samples = []
        for i, q in enumerate(batch):
            if (point := newest.get(f"q{i}")) is not None:
                samples.append(
                    Sample(q.rule, q.dimensions, q.statistic, float(point[1]), point[0].timestamp())
                )
        return samples


def _reason(exc: Exception) -> str:
    error = getattr(exc, "response", {}).get("Error", {}) if hasattr(exc, "response") else {}
    if error.get("Code"):
        return f"{error['Code']}: {error.get('Message', '')}".strip()
    return f"{type(exc).__name__}: {exc}"
