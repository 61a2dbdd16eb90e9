"""Fixes for LocalStack community's CloudWatch Logs, applied when the local cloud starts.

localstack-core 2026.3.0 with moto-ext 5.1.54: CreateLogStream on a log group that has a subscription
filter fails with InternalError (`'dict_values' object is not subscriptable`: LocalStack's patch
indexes what moto now returns as a view) after moto has created the stream. The Lambda service creates
a log stream per execution environment, so the first invocation's log of each environment was lost,
and with it anything a subscription filter should have delivered (the inference API's data capture).
"""

from __future__ import annotations

import logging

from localstack.runtime import hooks

LOG = logging.getLogger(__name__)


@hooks.on_infra_start()
def _fix_create_log_stream_with_subscription_filters() -> None:
    from localstack.services.logs import provider  # noqa: F401  (applies LocalStack's own patches first)
    from localstack.utils.patch import patch
    from moto.logs.models import LogGroup

    @patch(LogGroup.create_log_stream)
    def create_log_stream(target, self, log_stream_name):
        try:
            return target(self, log_stream_name)
        except TypeError:  # raised after moto created the stream: finish what LocalStack's patch meant to do
            stream = self.streams[log_stream_name]
            filters = list(self.describe_subscription_filters())
            stream.filter_pattern = _pattern(filters[0]) if filters else None
            return None

    LOG.debug("CreateLogStream with subscription filters fixed")


def _pattern(subscription_filter) -> str | None:
    if isinstance(subscription_filter, dict):
        return subscription_filter.get("filterPattern")
    return getattr(subscription_filter, "filter_pattern", None)


DRAIN_TIMEOUT_S = 60.0


@hooks.on_infra_start()
def _drain_lambda_logs_on_stop() -> None:
    """LocalStack's Lambda log handler drops the logs still queued when a function version stops (a
    configuration update stops $LATEST's environments): it sets its shutdown flag before draining. On
    AWS the platform delivers every line an invocation wrote; here the queue is now drained first."""
    from localstack.services.lambda_.invocation.logs import QUEUE_SHUTDOWN, LogHandler
    from localstack.utils.patch import patch

    @patch(LogHandler.stop)
    def stop(target, self):
        thread = self._thread
        if thread is not None and thread.is_alive():
            self.log_queue.put(QUEUE_SHUTDOWN)  # behind what is queued: those logs are stored first
            thread.join(timeout=DRAIN_TIMEOUT_S)
        return target(self)
