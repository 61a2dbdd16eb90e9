"""AWS/ApiGateway metrics of REST API calls, from two handlers in LocalStack's REST API handler chain.

A request handler put first in `RestApiGateway`'s chain notes the start; `IntegrationHandler` is timed;
a response handler put last publishes, with dimensions ApiName and Stage as API Gateway does:
Count (1), Latency (ms, request received to response ready), IntegrationLatency (ms, the backend call;
absent when no integration ran), 4XXError and 5XXError (1 or 0 by the response's status).
"""

from __future__ import annotations

import functools
import logging
import time
from datetime import UTC, datetime

from local_cloud_plugins.cloudwatch_metrics import publisher

LOG = logging.getLogger(__name__)


def api_data(
    api_name: str, stage: str, status: int, latency_ms: float, integration_ms: float | None
) -> list[dict]:
    """AWS/ApiGateway MetricDatum dicts for one call."""
    dims = [{"Name": "ApiName", "Value": api_name}, {"Name": "Stage", "Value": stage}]
    now = datetime.now(UTC)

    def datum(name: str, value: float, unit: str) -> dict:
        return {"MetricName": name, "Dimensions": dims, "Timestamp": now, "Value": float(value), "Unit": unit}

    data = [
        datum("Count", 1, "Count"),
        datum("Latency", latency_ms, "Milliseconds"),
        datum("4XXError", 400 <= status < 500, "Count"),
        datum("5XXError", status >= 500, "Count"),
    ]
    if integration_ms is not None:
        data.append(datum("IntegrationLatency", integration_ms, "Milliseconds"))
    return data


def mark_start(chain, context, response) -> None:
    context.local_cloud_started = time.perf_counter()


def record(chain, context, response) -> None:
    try:
        started = context.get("local_cloud_started")
        deployment = context.get("deployment")
        stage = context.get("stage")
        if started is None or deployment is None or not stage:
            return  # not routed to an API and stage: API Gateway has no dimensions to put it under
        api_name = deployment.rest_api.rest_api.get("name") or context.get("api_id") or ""
        latency_ms = (time.perf_counter() - started) * 1000
        data = api_data(
            api_name, stage, response.status_code, latency_ms, context.get("local_cloud_integration_ms")
        )
        publisher.publish(deployment.account_id, deployment.region, "AWS/ApiGateway", data)
    except Exception as exc:
        LOG.warning("API Gateway metrics lost: %s", exc)


def apply() -> bool:
    """Add the two handlers to every RestApiGateway built from now on, and time IntegrationHandler."""
    try:
        from localstack.services.apigateway.next_gen.execute_api.gateway import RestApiGateway
        from localstack.services.apigateway.next_gen.execute_api.handlers.integration import (
            IntegrationHandler,
        )
    except ImportError as exc:
        LOG.info("API Gateway metrics not published: %s", exc)
        return False
    if getattr(RestApiGateway.__init__, "_local_cloud_metrics", False):
        return True
    original_init, original_call = RestApiGateway.__init__, IntegrationHandler.__call__

    @functools.wraps(original_init)
    def __init__(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        self.request_handlers.insert(0, mark_start)
        self.response_handlers.append(record)

    @functools.wraps(original_call)
    def __call__(self, chain, context, response):
        began = time.perf_counter()
        try:
            return original_call(self, chain, context, response)
        finally:
            context.local_cloud_integration_ms = (time.perf_counter() - began) * 1000

    __init__._local_cloud_metrics = True
    RestApiGateway.__init__ = __init__
    IntegrationHandler.__call__ = __call__
    return True
