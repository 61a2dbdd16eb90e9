"""The LocalStack `on_infra_start` hook that switches on the local cloud's CloudWatch metrics.

`LOCAL_CLOUD_METRICS=0` leaves LocalStack as it is.
"""

from __future__ import annotations

import logging
import os

from localstack.runtime import hooks

LOG = logging.getLogger(__name__)
ENV_SWITCH = "LOCAL_CLOUD_METRICS"


@hooks.on_infra_start()
def publish_cloudwatch_metrics() -> None:
    if os.environ.get(ENV_SWITCH, "1") == "0":
        return
    from local_cloud_plugins.cloudwatch_metrics import (
        apigateway_metrics,
        lambda_metrics,
        metric_data,
        stepfunctions_metrics,
    )

    applied = {
        m.__name__.rsplit(".", 1)[1]: m.apply()
        for m in (lambda_metrics, apigateway_metrics, stepfunctions_metrics, metric_data)
    }
    LOG.info("local cloud CloudWatch metrics: %s", applied)
