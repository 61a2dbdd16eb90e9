"""AWS/States execution metrics, from LocalStack's execution status-change events.

LocalStack calls `Execution.publish_execution_status_change_event` when an execution starts (RUNNING)
and when it ends. Wrapped here to publish, with dimension StateMachineArn, as Step Functions does:
ExecutionsStarted on start; ExecutionsSucceeded / ExecutionsFailed / ExecutionsTimedOut /
ExecutionsAborted (Count, 1) and ExecutionTime (ms, start to stop) at the end.
"""

from __future__ import annotations

import functools
import logging
from datetime import UTC, datetime

from local_cloud_plugins.cloudwatch_metrics import publisher

LOG = logging.getLogger(__name__)

END_METRICS = {
    "SUCCEEDED": "ExecutionsSucceeded",
    "FAILED": "ExecutionsFailed",
    "TIMED_OUT": "ExecutionsTimedOut",
    "ABORTED": "ExecutionsAborted",
}


def execution_data(
    state_machine_arn: str, status: str, start: datetime | None, stop: datetime | None
) -> list[dict]:
    """AWS/States MetricDatum dicts for one status change of an execution ([] for other statuses)."""
    dims = [{"Name": "StateMachineArn", "Value": state_machine_arn}]
    now = datetime.now(UTC)
    if status == "RUNNING":
        return [
            {
                "MetricName": "ExecutionsStarted",
                "Dimensions": dims,
                "Timestamp": now,
                "Value": 1.0,
                "Unit": "Count",
            }
        ]
    if status not in END_METRICS:
        return []
    data = [
        {
            "MetricName": END_METRICS[status],
            "Dimensions": dims,
            "Timestamp": now,
            "Value": 1.0,
            "Unit": "Count",
        }
    ]
    if start is not None and stop is not None:
        start, stop = (t if t.tzinfo else t.replace(tzinfo=UTC) for t in (start, stop))
        elapsed_ms = (stop - start).total_seconds() * 1000
        data.append(
            {
                "MetricName": "ExecutionTime",
                "Dimensions": dims,
                "Timestamp": now,
                "Value": elapsed_ms,
                "Unit": "Milliseconds",
            }
        )
    return data


def apply() -> bool:
    """Wrap LocalStack's Execution.publish_execution_status_change_event once."""
    try:
        from localstack.services.stepfunctions.backend.execution import Execution
    except ImportError as exc:
        LOG.info("Step Functions metrics not published: %s", exc)
        return False
    original = Execution.publish_execution_status_change_event
    if getattr(original, "_local_cloud_metrics", False):
        return True

    @functools.wraps(original)
    def publish_execution_status_change_event(self):
        original(self)
        try:
            status = str(getattr(self.exec_status, "value", self.exec_status))
            data = execution_data(self.state_machine_arn, status, self.start_date, self.stop_date)
            publisher.publish(self.account_id, self.region_name, "AWS/States", data)
        except Exception as exc:
            LOG.warning("Step Functions metrics of %s lost: %s", self.exec_arn, exc)

    publish_execution_status_change_event._local_cloud_metrics = True
    Execution.publish_execution_status_change_event = publish_execution_status_change_event
    return True
