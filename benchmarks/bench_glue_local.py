"""Benchmark: the overhead of running a script as a Glue job run (or a Batch job) in the embedded local
cloud vs running the same script directly with the same interpreter, measured in the same run.

Each run of the probe script starts Python, imports boto3 and writes one object to the local cloud's S3.
Through Glue: StartJobRun, then GetJobRun polled every 0.1 s until SUCCEEDED (script fetched from S3,
queued, process started, logs shipped to CloudWatch Logs). Through Batch: SubmitJob, DescribeJobs polled
likewise. Target: under 1.5 s of overhead per run, small beside a real job (a Spark start alone is ~8 s).

Run: .venv/bin/python benchmarks/bench_glue_local.py [--runs N] [--script path/to/script.py] [--quick]
[--endpoint-url URL]. It starts its own LocalStack on a free port (state in a temporary folder) and stops
it at the end, unless --endpoint-url names a running one. --quick: one run per way (a smoke run).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import boto3
from _common import REPO, add_common_arguments, local_cloud

PROBE = """
import argparse, boto3
parser = argparse.ArgumentParser()
parser.add_argument("--bucket", required=True)
parser.add_argument("--key", required=True)
args, _ = parser.parse_known_args()
boto3.client("s3").put_object(Bucket=args.bucket, Key=args.key, Body=b"probe")
print("wrote", args.key)
"""
BUCKET = "bench-glue-local"
BEGAN = time.monotonic()


def say(message: str) -> None:
    print(f"[{time.monotonic() - BEGAN:6.1f} s] {message}", flush=True)


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def wait_until(predicate, timeout_s: float = 300) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit(f"error: no result after {timeout_s:.0f} s")
        time.sleep(0.1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per way (default 5)")
    parser.add_argument("--script", type=Path, help="a script taking --bucket/--key (default: a probe)")
    add_common_arguments(parser, cloud=True)
    args = parser.parse_args()
    runs = 1 if args.quick else args.runs
    python = REPO / ".venv" / "bin" / "python"
    if not python.exists():
        raise SystemExit("error: the project environment is missing: run `make venv`")

    with tempfile.TemporaryDirectory() as state, local_cloud(args.endpoint_url, Path(state)) as cloud:
        say(f"local cloud up at {cloud.endpoint_url}")
        env = {**os.environ, **cloud.client_env()}
        session = boto3.session.Session(
            aws_access_key_id="test", aws_secret_access_key="test", region_name=env["AWS_DEFAULT_REGION"]
        )
        s3, glue, batch = (
            session.client(s, endpoint_url=cloud.endpoint_url) for s in ("s3", "glue", "batch")
        )
        script = args.script or Path(state) / "probe.py"
        if not args.script:
            script.write_text(PROBE)
        s3.create_bucket(Bucket=BUCKET)
        s3.upload_file(str(script), BUCKET, "scripts/probe.py")
        glue.create_job(
            Name="bench", Role="arn:aws:iam::000000000000:role/glue",
            Command={"Name": "glueetl", "ScriptLocation": f"s3://{BUCKET}/scripts/probe.py"},
            DefaultArguments={"--bucket": BUCKET},
        )  # fmt: skip
        environment = batch.create_compute_environment(computeEnvironmentName="bench", type="UNMANAGED")
        order = [{"order": 1, "computeEnvironment": environment["computeEnvironmentArn"]}]
        batch.create_job_queue(jobQueueName="bench", priority=1, computeEnvironmentOrder=order)
        definition = batch.register_job_definition(
            jobDefinitionName="bench", type="container",
            containerProperties={"image": "python:3.11", "command": [
                "python", str(script), "--bucket", BUCKET, "--key", "Ref::key"],
                "resourceRequirements": [{"type": "VCPU", "value": "1"}, {"type": "MEMORY", "value": "512"}]},
        )["jobDefinitionArn"]  # fmt: skip

        def direct(i: int) -> None:
            cmd = [str(python), str(script), "--bucket", BUCKET, "--key", f"direct/{i}"]
            subprocess.run(cmd, env=env, check=True, capture_output=True)

        def through_glue(i: int) -> None:
            run_id = glue.start_job_run(JobName="bench", Arguments={"--key": f"glue/{i}"})["JobRunId"]

            def done() -> bool:
                state = glue.get_job_run(JobName="bench", RunId=run_id)["JobRun"]
                if state["JobRunState"] not in ("STARTING", "RUNNING", "SUCCEEDED"):
                    raise SystemExit(
                        f"error: the Glue run ended {state['JobRunState']}: {state.get('ErrorMessage')}"
                    )
                return state["JobRunState"] == "SUCCEEDED"

            wait_until(done)

        def through_batch(i: int) -> None:
            job_id = batch.submit_job(
                jobName=f"bench-{i}",
                jobQueue="bench",
                jobDefinition=definition,
                parameters={"key": f"batch/{i}"},
            )["jobId"]
            wait_until(
                lambda: batch.describe_jobs(jobs=[job_id])["jobs"][0]["status"] in ("SUCCEEDED", "FAILED")
            )

        ways = {"direct": direct, "through Glue": through_glue, "through Batch": through_batch}
        for way in ways.values():  # warm-up: first calls load the services and fill the page cache
            way(-1)
        samples: dict[str, list[float]] = {name: [] for name in ways}
        for i in range(runs):  # interleaved, so load from other processes hits every way alike
            for name, way in ways.items():
                samples[name].append(timed(lambda way=way, i=i: way(i)))
            say(f"round {i + 1}/{runs} done")

    base = statistics.median(samples["direct"])
    what = script.name if args.script else "probe (python + boto3 + one S3 put)"
    print(f"\nscript: {what}, {runs} runs each")
    print(f"{'way':<14}{'median s':>10}{'min s':>9}{'overhead s':>12}{'ratio':>8}")
    for name, values in samples.items():
        median = statistics.median(values)
        print(f"{name:<14}{median:>10.2f}{min(values):>9.2f}{median - base:>12.2f}{median / base:>8.2f}x")


if __name__ == "__main__":
    main()
