"""Benchmark of the embedded local cloud: time from `up` to healthy, and cold and warm invoke latency
through LocalStack's Lambda API and through API Gateway, each beside a direct in-process call of the same
handler measured in the same run. Target: warm overhead over the direct call under 10 ms p50.

Run: .venv/bin/python benchmarks/bench_local_cloud.py [--warm N] [--cold N] [--starts N] [--quick]
It starts its own LocalStack on a free port (state in a temporary folder) and stops it at the end.
--quick: one start, 10 warm and 1 cold invocation per path (a smoke run).
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import os
import re
import statistics
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import boto3
from _common import add_common_arguments
from botocore.config import Config

from local_cloud.controller import LocalCloud, free_port

HANDLER_SOURCE = """
import json


def handler(event, context):
    body = event.get("body") if isinstance(event, dict) else None
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"},
            "body": json.dumps({"ok": True, "echo": body})}
"""
EVENT = {"body": json.dumps({"review": "A gripping read from the first page."})}


def percentiles(samples_s: list[float]) -> tuple[float, float]:
    """p50 and p99 in milliseconds (p99 is the largest sample when there are fewer than 100)."""
    ms = sorted(s * 1000 for s in samples_s)
    p99 = ms[min(len(ms) - 1, round(0.99 * (len(ms) - 1)))]
    return statistics.median(ms), p99


def timed(fn, repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - began)
    return samples


def row(label: str, samples: list[float], baseline_p50_ms: float | None = None) -> str:
    p50, p99 = percentiles(samples)
    extra = f"   overhead p50 {p50 - baseline_p50_ms:8.2f} ms" if baseline_p50_ms is not None else ""
    return f"  {label:<44} n={len(samples):<4} p50 {p50:9.2f} ms   p99 {p99:9.2f} ms{extra}"


class Fixture:
    """A function and a REST API with a Lambda proxy integration to it, created with boto3."""

    def __init__(self, cloud: LocalCloud, workdir: Path) -> None:
        session = boto3.session.Session(
            aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1"
        )
        config = Config(retries={"max_attempts": 1, "mode": "standard"}, read_timeout=120)
        self.lam = session.client("lambda", endpoint_url=cloud.endpoint_url, config=config)
        self.apigw = session.client("apigateway", endpoint_url=cloud.endpoint_url, config=config)
        self.logs = session.client("logs", endpoint_url=cloud.endpoint_url, config=config)
        (workdir / "bench_handler.py").write_text(HANDLER_SOURCE)
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w") as zf:
            zf.write(workdir / "bench_handler.py", "bench_handler.py")
        self.name = "bench"
        arn = self.lam.create_function(
            FunctionName=self.name, Runtime="python3.12", Handler="bench_handler.handler",
            Role="arn:aws:iam::000000000000:role/bench", Code={"ZipFile": archive.getvalue()}, Timeout=30,
        )["FunctionArn"]  # fmt: skip
        self.lam.get_waiter("function_active_v2").wait(FunctionName=self.name)
        api_id = self.apigw.create_rest_api(name="bench")["id"]
        root = self.apigw.get_resources(restApiId=api_id)["items"][0]["id"]
        resource = self.apigw.create_resource(restApiId=api_id, parentId=root, pathPart="bench")["id"]
        method = {"restApiId": api_id, "resourceId": resource, "httpMethod": "POST"}
        self.apigw.put_method(**method, authorizationType="NONE")
        self.apigw.put_integration(
            **method, type="AWS_PROXY", integrationHttpMethod="POST",
            uri=f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{arn}/invocations",
        )  # fmt: skip
        self.apigw.create_deployment(restApiId=api_id, stageName="bench")
        self.api_path = f"/_aws/execute-api/{api_id}/bench/bench"
        self.http = http.client.HTTPConnection("127.0.0.1", cloud.port, timeout=120)  # keep-alive
        self._revision = 0

    def invoke(self) -> None:
        response = self.lam.invoke(FunctionName=self.name, Payload=json.dumps(EVENT).encode())
        payload = response["Payload"].read()
        assert "FunctionError" not in response, payload

    def get_configuration(self) -> None:
        """A Lambda API call that executes nothing: LocalStack's own request cost, for reference."""
        self.lam.get_function_configuration(FunctionName=self.name)

    def report_durations(self, logs_client) -> list[float]:
        """The executor's share of each invocation: REPORT `Duration` (event handed over -> result back)."""
        durations, kwargs = [], {"logGroupName": f"/aws/lambda/{self.name}", "filterPattern": "REPORT"}
        while True:
            page = logs_client.filter_log_events(**kwargs)
            for event in page["events"]:
                if match := re.search(r"\tDuration: ([0-9.]+) ms", event["message"]):
                    durations.append(float(match.group(1)) / 1000)
            if not page.get("nextToken"):
                return durations
            kwargs["nextToken"] = page["nextToken"]

    def call_api(self) -> None:
        headers = {"Content-Type": "application/json"}
        self.http.request("POST", self.api_path, body=EVENT["body"], headers=headers)
        response = self.http.getresponse()
        body = response.read()
        assert response.status == 200, body

    def force_cold(self) -> None:
        """A configuration change retires the warm environments: the next invocation starts a new one."""
        self._revision += 1
        self.lam.update_function_configuration(
            FunctionName=self.name, Environment={"Variables": {"REVISION": str(self._revision)}}
        )
        self.lam.get_waiter("function_updated_v2").wait(FunctionName=self.name, WaiterConfig={"Delay": 0.2})

    def cold(self, call, repeat: int) -> list[float]:
        samples = []
        for _ in range(repeat):
            self.force_cold()
            samples += timed(call, 1)
        return samples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warm", type=int, default=300, help="warm invocations per path")
    parser.add_argument("--cold", type=int, default=8, help="cold invocations per path")
    parser.add_argument("--starts", type=int, default=3, help="LocalStack starts to time")
    add_common_arguments(parser)
    args = parser.parse_args()
    if args.quick:
        args.warm, args.cold, args.starts = 10, 1, 1

    with tempfile.TemporaryDirectory(prefix="bench-local-cloud-") as tmp:
        workdir = Path(tmp)
        print("== up -> healthy (LocalStack on the host, no Docker)")
        startup = []
        for i in range(args.starts):
            cloud = LocalCloud(port=free_port(), state_dir=workdir / f"state{i}")
            startup.append(cloud.start())
            if i < args.starts - 1:
                cloud.stop()
        print(row("start() until /_localstack/health answers", startup))
        try:
            fixture = Fixture(cloud, workdir)

            sys.path.insert(0, str(workdir))
            import bench_handler  # the same handler, called in this process

            direct = timed(lambda: bench_handler.handler(EVENT, None), args.warm)
            direct_p50 = percentiles(direct)[0]

            for call in (fixture.invoke, fixture.call_api):  # warm up both paths and load the services
                for _ in range(5):
                    call()
            reference = timed(fixture.get_configuration, args.warm)
            warm_lambda = timed(fixture.invoke, args.warm)
            time.sleep(2)  # CloudWatch Logs is written asynchronously
            executor_share = fixture.report_durations(fixture.logs)[-args.warm :]
            warm_api = timed(fixture.call_api, args.warm)
            cold_lambda = fixture.cold(fixture.invoke, args.cold)
            cold_api = fixture.cold(fixture.call_api, args.cold)
        finally:
            cloud.stop()

    print("== invoke latency (overhead = p50 minus the direct call's p50, same run)")
    print(row("direct in-process call of the handler", direct))
    print(row("warm: Lambda API (boto3 invoke)", warm_lambda, direct_p50))
    print(row("warm: API Gateway (POST /_aws/execute-api)", warm_api, direct_p50))
    print(row("cold: Lambda API (new environment)", cold_lambda, direct_p50))
    print(row("cold: API Gateway (new environment)", cold_api, direct_p50))
    print("== where the warm Lambda API time goes")
    print(row("LocalStack API call, nothing executed", reference))
    print(row("executor: event handed over -> result back", executor_share))
    print(f"  machine load average (1 min) during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    overhead = percentiles(warm_lambda)[0] - direct_p50
    verdict = "met" if overhead < 10 else "NOT met"
    print(f"== warm Lambda API overhead p50 {overhead:.2f} ms: target < 10 ms {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
