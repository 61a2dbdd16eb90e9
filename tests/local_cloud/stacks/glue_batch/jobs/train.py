"""Batch probe job: records when it ran (to check the concurrency limit) in S3; `broken` exits 2,
`sleepy` outlives any short timeout."""

import argparse
import json
import os
import sys
import time

import boto3

parser = argparse.ArgumentParser()
parser.add_argument("--kind", required=True)
parser.add_argument("--run-id", required=True)
args = parser.parse_args()

started = time.time()
print(f"train {args.kind}: started (job {os.environ.get('AWS_BATCH_JOB_ID')})")
if args.kind == "broken":
    print(f"train {args.kind}: cannot train this kind", file=sys.stderr)
    sys.exit(2)
time.sleep(60 if args.kind == "sleepy" else 1.0)
record = {
    "kind": args.kind,
    "started": started,
    "finished": time.time(),
    "greeting": os.environ.get("GREETING"),
    "job_id": os.environ.get("AWS_BATCH_JOB_ID"),
    "interpreter": sys.executable,
}
boto3.client("s3").put_object(
    Bucket=os.environ["DATA_BUCKET"],
    Key=f"runs/{args.run_id}/models/{args.kind}.json",
    Body=json.dumps(record).encode(),
)
print(f"train {args.kind}: done")
