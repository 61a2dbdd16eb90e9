"""The one place project code gets AWS clients from.

boto3 itself honours the standard endpoint settings (`AWS_ENDPOINT_URL` and per-service
`AWS_ENDPOINT_URL_<SERVICE>`), so the same code reaches the embedded local cloud, LocalStack in
Docker and AWS with no change. This module only adds the region default and retry policy.
"""

from __future__ import annotations

import os
from functools import cache

import boto3
from botocore.config import Config

DEFAULT_REGION = "us-east-1"

_RETRIES = Config(retries={"max_attempts": 5, "mode": "standard"})


def region() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION


@cache
def client(service: str):
    """A cached boto3 client for `service` (clients are thread-safe; sessions are not)."""
    return boto3.session.Session().client(service, region_name=region(), config=_RETRIES)
