"""Wiring of the local job runner into the running LocalStack: the shared queue, internal clients, and
the service factory that serves our handlers with moto behind every other operation."""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Iterator
from typing import Any

from localstack import config as localstack_config
from localstack.aws.api import CommonServiceException, RequestContext, ServiceRequest
from localstack.aws.connect import connect_to
from localstack.aws.spec import load_service
from localstack.services.moto import MotoFallbackDispatcher, call_moto
from localstack.services.plugins import Service
from moto.core.exceptions import RESTError

from .config import JobsConfig
from .environment import base_environment
from .runner import JobQueue

LOG = logging.getLogger(__name__)

_queue: JobQueue | None = None
_queue_lock = threading.Lock()


def jobs_config() -> JobsConfig:
    return JobsConfig.from_env()


def job_queue() -> JobQueue:
    """The one queue shared by Glue and Batch in this LocalStack process."""
    global _queue
    with _queue_lock:
        if _queue is None:
            cfg = jobs_config()
            for problem in cfg.problems():
                LOG.error("local jobs: %s", problem)
            _queue = JobQueue(cfg.max_concurrent, cfg.stop_grace_seconds)
            LOG.info("local jobs: at most %d at once, interpreter %s", cfg.max_concurrent, cfg.python)
        return _queue


def shutdown_jobs() -> None:
    global _queue
    with _queue_lock:
        if _queue is not None:
            LOG.info("local jobs: stopping queued and running jobs")
            _queue.shutdown()
            _queue = None


def endpoint_url(cfg: JobsConfig) -> str:
    return cfg.endpoint_url or localstack_config.internal_service_url(host="127.0.0.1")


def job_environment(cfg: JobsConfig, account_id: str, region: str) -> dict[str, str]:
    return base_environment(
        os.environ, python=cfg.python, endpoint_url=endpoint_url(cfg), account_id=account_id, region=region
    )


def aws_client(service: str, account_id: str, region: str) -> Any:
    """An internal client acting in the job owner's account (a 12-digit key is read as the account id)."""
    return connect_to(aws_access_key_id=account_id, region_name=region).get_client(service)


@contextlib.contextmanager
def moto_errors() -> Iterator[None]:
    """Turn a moto model error into the AWS error response, as LocalStack's moto dispatch does."""
    try:
        yield
    except RESTError as e:
        raise CommonServiceException(e.error_type, e.message, status_code=e.code) from e


def moto_backed_service(provider: Any) -> Service:
    """Serve the provider's @handler methods; every other operation of the API goes to moto, which also
    keeps the state (jobs, runs, queues), so only execution is ours."""

    def dispatch_table(p: Any) -> dict:
        table = MotoFallbackDispatcher(p)
        for operation in load_service(p.service).operation_names:
            table.setdefault(operation, _call_moto)
        return table

    return Service.for_provider(provider, dispatch_table_factory=dispatch_table)


def _call_moto(context: RequestContext, request: ServiceRequest) -> Any:
    return call_moto(context)
