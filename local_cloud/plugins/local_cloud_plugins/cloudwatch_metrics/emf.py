"""CloudWatch Embedded Metric Format (EMF) lines -> PutMetricData data (pure functions, no LocalStack).

Format: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
A log line is an EMF document when it is a JSON object whose `_aws` member has `Timestamp` (epoch ms)
and `CloudWatchMetrics`: a list of directives {Namespace, Dimensions: [[name, ...], ...], Metrics:
[{Name, Unit?, StorageResolution?}]}. Each metric's value (a number or a list of numbers) and each
dimension's value are top-level members of the document. CloudWatch publishes every metric once per
dimension set; a document that breaks the rules is skipped, as CloudWatch does (it stays a log line).
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime

MAX_VALUES_PER_DATUM = 150  # PutMetricData's limit for Values in one datum


def parse_line(line: str) -> list[tuple[str, dict]]:
    """(namespace, MetricDatum) pairs of one log line; [] for a line that is not a valid EMF document."""
    line = line.strip()
    if not (line.startswith("{") and '"_aws"' in line):
        return []
    try:
        doc = json.loads(line)
    except ValueError:
        return []
    meta = doc.get("_aws") if isinstance(doc, dict) else None
    if not isinstance(meta, dict) or not isinstance(meta.get("CloudWatchMetrics"), list):
        return []
    try:
        timestamp = datetime.fromtimestamp(float(meta["Timestamp"]) / 1000, tz=UTC)
    except (KeyError, TypeError, ValueError, OverflowError):
        return []
    data: list[tuple[str, dict]] = []
    for directive in meta["CloudWatchMetrics"]:
        data += _directive(doc, directive, timestamp)
    return data


def parse_logs(logs: str) -> list[tuple[str, dict]]:
    """Every (namespace, MetricDatum) pair of a function's log output."""
    data: list[tuple[str, dict]] = []
    for line in logs.splitlines():
        data += parse_line(line)
    return data


def _values(raw) -> list[float] | None:
    values = raw if isinstance(raw, list) else [raw]
    if not values or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return None
    if not all(math.isfinite(v) for v in values):
        return None
    return [float(v) for v in values]


def _directive(doc: dict, directive, timestamp: datetime) -> list[tuple[str, dict]]:
    if not isinstance(directive, dict):
        return []
    namespace = directive.get("Namespace")
    dimension_sets = directive.get("Dimensions") or [[]]
    metrics = directive.get("Metrics")
    if not isinstance(namespace, str) or not namespace or not isinstance(metrics, list):
        return []
    data = []
    for names in dimension_sets:
        if not isinstance(names, list) or not all(isinstance(doc.get(n), str) for n in names):
            continue  # a dimension without a string value: CloudWatch drops that set
        dimensions = [{"Name": n, "Value": doc[n]} for n in names]
        for metric in metrics:
            name = metric.get("Name") if isinstance(metric, dict) else None
            values = _values(doc.get(name)) if isinstance(name, str) else None
            if values is None:
                continue
            for start in range(0, len(values), MAX_VALUES_PER_DATUM):
                datum = {
                    "MetricName": name,
                    "Dimensions": dimensions,
                    "Timestamp": timestamp,
                    "Values": values[start : start + MAX_VALUES_PER_DATUM],
                }
                if isinstance(metric.get("Unit"), str):
                    datum["Unit"] = metric["Unit"]
                if metric.get("StorageResolution") in (1, 60):
                    datum["StorageResolution"] = metric["StorageResolution"]
                data.append((namespace, datum))
    return data
