"""One background worker that sends metric data to LocalStack's CloudWatch, so no request waits for it.

`publish(account, region, namespace, data)` queues; the worker groups by (account, region, namespace)
and calls PutMetricData through LocalStack's internal client, at most 1,000 data per call. A failed call
is logged and dropped (CloudWatch's own side-channel metrics behave so too): metrics never break a call.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections import defaultdict

LOG = logging.getLogger(__name__)
MAX_DATA_PER_CALL = 1000

_QUEUE: queue.SimpleQueue[tuple[str, str, str, list[dict]]] = queue.SimpleQueue()
_worker: threading.Thread | None = None
_lock = threading.Lock()


def publish(account_id: str, region: str, namespace: str, data: list[dict]) -> None:
    """Queue MetricDatum dicts for PutMetricData in `namespace` of that account and region."""
    global _worker
    if not data:
        return
    if _worker is None:
        with _lock:
            if _worker is None:
                _worker = threading.Thread(target=_run, name="local-cloud-metrics", daemon=True)
                _worker.start()
    _QUEUE.put((account_id, region, namespace, data))


def _run() -> None:
    while True:
        batches: dict[tuple[str, str, str], list[dict]] = defaultdict(list)
        account, region, namespace, data = _QUEUE.get()
        batches[(account, region, namespace)] += data
        while True:  # take whatever else is waiting: one call per namespace
            try:
                account, region, namespace, data = _QUEUE.get_nowait()
            except queue.Empty:
                break
            batches[(account, region, namespace)] += data
        for (account, region, namespace), items in batches.items():
            _put(account, region, namespace, items)


def _put(account_id: str, region: str, namespace: str, data: list[dict]) -> None:
    try:
        from localstack.aws.connect import connect_to

        client = connect_to(aws_access_key_id=account_id, region_name=region).cloudwatch
        for start in range(0, len(data), MAX_DATA_PER_CALL):
            client.put_metric_data(Namespace=namespace, MetricData=data[start : start + MAX_DATA_PER_CALL])
    except Exception as exc:  # a lost metric must not break anything
        LOG.warning("PutMetricData to %s failed: %s", namespace, exc)
