"""Handlers of the probe stack: each reports what the execution environment gave it."""

import base64
import json
import os
import subprocess
import time
import uuid

import boto3

# Init code: runs once per execution environment, so every warm invocation reports the same id.
INIT_ID = uuid.uuid4().hex
INVOCATIONS = 0
print(f"init {INIT_ID}")


def _report(event, context):
    global INVOCATIONS
    INVOCATIONS += 1
    from probe_layer import LAYER_VALUE  # from the layer, not from this function's code

    report = {
        "init_id": INIT_ID,
        "invocations": INVOCATIONS,
        "pid": os.getpid(),
        "greeting": os.environ.get("GREETING"),
        "layer_value": LAYER_VALUE,
        "request_id": context.aws_request_id,
        "function_name": context.function_name,
        "remaining_ms": context.get_remaining_time_in_millis(),
        "echo": event.get("echo"),
    }
    print(f"probe marker {event.get('echo')}")
    if event.get("hold_s"):
        time.sleep(event["hold_s"])
    if event.get("call_aws"):
        # AWS_ENDPOINT_URL and the role's credentials come from the local cloud, as on AWS
        report["account"] = boto3.client("sts").get_caller_identity()["Account"]
    if event.get("fail"):
        raise ValueError(f"asked to fail: {event['fail']}")
    return report


def probe(event, context):
    if "httpMethod" in event:  # through API Gateway (proxy integration)
        body = event.get("body") or "{}"
        if event.get("isBase64Encoded"):
            body = base64.b64decode(body)
        body = json.loads(body)
        report = _report(body, context)
        headers = {"Content-Type": "application/json"}
        return {"statusCode": 200, "headers": headers, "body": json.dumps(report)}
    return _report(event, context)


def sleepy(event, context):
    # a child process too: a timeout must take the whole process group
    child = subprocess.Popen(["sleep", "60"])
    print(f"sleepy pid {os.getpid()} child {child.pid}", flush=True)
    time.sleep(event.get("sleep_s", 30))
    return {"woke": True}


def scheduled(event, context):
    print(f"scheduled tick from {event.get('source')} {event.get('detail-type')}")
    return {"ok": True}
