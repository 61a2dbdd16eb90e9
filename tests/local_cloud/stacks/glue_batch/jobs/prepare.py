"""Glue probe job: records its arguments and an import from --extra-py-files in S3; fails or sleeps."""

import argparse
import json
import sys
import time

import boto3
import probe_helpers  # shipped as --extra-py-files s3://.../probe_helpers.zip

parser = argparse.ArgumentParser()
for name in ("--JOB_NAME", "--JOB_RUN_ID", "--bucket", "--run_id", "--greeting"):
    parser.add_argument(name, required=True)
parser.add_argument("--fail_with", default="")
parser.add_argument("--sleep_seconds", type=float, default=0)
args, _ = parser.parse_known_args()

print(f"prepare {args.run_id}: started as {args.JOB_NAME} run {args.JOB_RUN_ID}")
if args.sleep_seconds:
    time.sleep(args.sleep_seconds)
if args.fail_with:
    print("about to fail", file=sys.stderr)
    raise ValueError(args.fail_with)
record = {
    "job_run_id": args.JOB_RUN_ID,
    "greeting": args.greeting,
    "helper": probe_helpers.marker(),
}
boto3.client("s3").put_object(
    Bucket=args.bucket, Key=f"runs/{args.run_id}/prepared.json", Body=json.dumps(record).encode()
)
print(f"prepare {args.run_id}: done")
