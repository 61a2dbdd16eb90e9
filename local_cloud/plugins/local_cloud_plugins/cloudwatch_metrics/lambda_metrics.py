"""Per-invocation Lambda metrics and EMF, from LocalStack's version manager (any runtime executor).

LocalStack already publishes AWS/Lambda Invocations and Errors. This wraps
`LambdaVersionManager.invoke` to add what CloudWatch and Lambda do on AWS:
- the invocation's log output: EMF lines become metrics in their own namespace (`emf.parse_logs`);
- AWS/Lambda `Duration` (ms, from the REPORT line the executor writes) and `Throttles` (0 per invocation,
  1 when the concurrency limit rejects one), dimension FunctionName.
"""

from __future__ import annotations

import functools
import logging
import re
from collections import defaultdict
from datetime import UTC, datetime

from local_cloud_plugins.cloudwatch_metrics import emf, publisher

LOG = logging.getLogger(__name__)
_DURATION = re.compile(r"^REPORT RequestId: \S+\s+Duration: ([0-9.]+) ms", re.MULTILINE)


def durations_ms(logs: str) -> list[float]:
    """Durations (ms) of the REPORT lines in an invocation's log."""
    return [float(m) for m in _DURATION.findall(logs or "")]


def lambda_data(function_name: str, logs: str | None, throttled: bool = False) -> list[dict]:
    """AWS/Lambda MetricDatum dicts for one invocation (Throttles, and Duration when reported)."""
    now = datetime.now(UTC)
    dims = [{"Name": "FunctionName", "Value": function_name}]
    data = [
        {
            "MetricName": "Throttles",
            "Dimensions": dims,
            "Timestamp": now,
            "Value": float(throttled),
            "Unit": "Count",
        }
    ]
    for duration in durations_ms(logs or ""):
        data.append(
            {
                "MetricName": "Duration",
                "Dimensions": dims,
                "Timestamp": now,
                "Value": duration,
                "Unit": "Milliseconds",
            }
        )
    return data


def _publish(function_version, logs: str | None, throttled: bool) -> None:
    fid = function_version.id
    publisher.publish(fid.account, fid.region, "AWS/Lambda", lambda_data(fid.function_name, logs, throttled))
    by_namespace: dict[str, list[dict]] = defaultdict(list)
    for namespace, datum in emf.parse_logs(logs or ""):
        by_namespace[namespace].append(datum)
    for namespace, data in by_namespace.items():
        publisher.publish(fid.account, fid.region, namespace, data)


def apply() -> bool:
    """Wrap LocalStack's LambdaVersionManager.invoke once; False (and a log line) if its names moved."""
    try:
        from localstack.aws.api.lambda_ import TooManyRequestsException
        from localstack.services.lambda_.invocation.version_manager import LambdaVersionManager
    except ImportError as exc:
        LOG.info("Lambda metrics not published: %s", exc)
        return False
    original = LambdaVersionManager.invoke
    if getattr(original, "_local_cloud_metrics", False):
        return True

    @functools.wraps(original)
    def invoke(self, *, invocation):
        try:
            result = original(self, invocation=invocation)
        except TooManyRequestsException:
            _publish(self.function_version, None, throttled=True)
            raise
        try:
            _publish(self.function_version, result.logs, throttled=False)
        except Exception as exc:  # never fail an invocation for its metrics
            LOG.warning("Lambda metrics of %s lost: %s", self.function_version.id.function_name, exc)
        return result

    invoke._local_cloud_metrics = True
    LambdaVersionManager.invoke = invoke
    return True
