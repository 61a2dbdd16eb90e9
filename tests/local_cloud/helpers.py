"""Helpers for tests against the local cloud: invoke with the log tail, wait for CloudWatch Logs."""

from __future__ import annotations

import base64
import io
import json
import time
import zipfile
from dataclasses import dataclass


@dataclass
class Invoked:
    payload: dict
    function_error: str | None
    log_tail: str


def invoke(lambda_client, function_name: str, event: dict | None = None) -> Invoked:
    response = lambda_client.invoke(
        FunctionName=function_name, Payload=json.dumps(event or {}).encode(), LogType="Tail"
    )
    return Invoked(
        payload=json.loads(response["Payload"].read() or b"null"),
        function_error=response.get("FunctionError"),
        log_tail=base64.b64decode(response.get("LogResult") or b"").decode(),
    )


def wait_for_log(logs_client, group: str, needle: str, timeout_s: float = 20.0) -> list[str]:
    """Messages of `group` once one contains `needle` (CloudWatch Logs is written asynchronously)."""
    deadline = time.monotonic() + timeout_s
    messages: list[str] = []
    while time.monotonic() < deadline:
        try:
            events = logs_client.filter_log_events(logGroupName=group)["events"]
            messages = [e["message"] for e in events]
        except logs_client.exceptions.ResourceNotFoundException:
            messages = []
        if any(needle in m for m in messages):
            return messages
        time.sleep(0.5)
    raise AssertionError(f"no log line with {needle!r} in {group} after {timeout_s} s; got {messages[-10:]}")


def zip_bytes(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()
