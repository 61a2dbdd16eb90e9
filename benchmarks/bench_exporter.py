"""Benchmark of the CloudWatch exporter: scrape time for 50 and 500 series against the embedded local
cloud's CloudWatch, and the ratio. Baseline measured in the same run: the same reader with batching and
concurrency off (one GetMetricData call per series, one thread), which is how cloudwatch_exporter
(Java, single-threaded, one request per series) reads; its users report 25 s for 100 metrics on AWS.

Run: .venv/bin/python benchmarks/bench_exporter.py [--repeat N] [--workers N] [--quick] [--endpoint-url URL]
It starts its own LocalStack on a free port (state in a temporary folder) and stops it at the end, unless
--endpoint-url names a running one. --quick: 10 and 50 series, one scrape each (a smoke run).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
from _common import add_common_arguments, local_cloud
from botocore.config import Config
from cloudwatch_to_prometheus.collector import CloudWatchCollector
from cloudwatch_to_prometheus.config import parse_config
from cloudwatch_to_prometheus.source import CloudWatchReader
from prometheus_client import CollectorRegistry, generate_latest

NAMESPACE = "Bench"
STATISTICS = {"aws_statistics": ["Sum", "Maximum"], "aws_extended_statistics": ["p99"]}


def publish(client, series: int) -> None:
    """Three datapoints per series in the last minutes (PutMetricData takes 1,000 data per call)."""
    now = datetime.now(UTC)
    data = [
        {
            "MetricName": "Latency",
            "Value": float(i % 97 + k),
            "Unit": "Milliseconds",
            "Timestamp": now - timedelta(seconds=20 * k + 5),
            "Dimensions": [{"Name": "Series", "Value": f"s{i:03d}"}],
        }
        for i in range(series)
        for k in range(3)
    ]
    for first in range(0, len(data), 1000):
        client.put_metric_data(Namespace=NAMESPACE, MetricData=data[first : first + 1000])


def config(series: int, published: int):
    rule = {
        "aws_namespace": NAMESPACE,
        "aws_metric_name": "Latency",
        "aws_dimensions": ["Series"],
        **STATISTICS,
    }
    if series < published:  # s000..s049 of the 500 published (a multiple of 10 under 100)
        rule["aws_dimension_select_regex"] = {"Series": [rf"s0[0-{series // 10 - 1}]\d"]}
    return parse_config(
        {
            "region": "us-east-1",
            "delay_seconds": 0,
            "period_seconds": 60,
            "range_seconds": 600,
            "set_timestamp": False,
            "metrics": [rule],
        }
    )


def scrape_times(
    client, series: int, published: int, repeat: int, batch_size: int, workers: int
) -> tuple[list[float], int]:
    """Seconds per full scrape (collect + exposition) and the number of series it gave."""
    registry = CollectorRegistry(auto_describe=False)
    reader = CloudWatchReader(client, max_workers=workers, batch_size=batch_size)
    registry.register(CloudWatchCollector(config(series, published), reader))
    times, found = [], 0
    for _ in range(repeat):
        began = time.perf_counter()
        text = generate_latest(registry).decode()
        times.append(time.perf_counter() - began)
        found = sum(1 for line in text.splitlines() if line.startswith("bench_latency_p99{"))
        assert "cloudwatch_exporter_scrape_error 0.0" in text, "the scrape failed: see the log above"
    return times, found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--workers", type=int, default=8)
    add_common_arguments(parser, cloud=True)
    args = parser.parse_args()
    sizes = (10, 50) if args.quick else (50, 500)
    repeat = 1 if args.quick else args.repeat
    with tempfile.TemporaryDirectory() as workdir, local_cloud(args.endpoint_url, Path(workdir)) as cloud:
        client = boto3.client(
            "cloudwatch",
            endpoint_url=cloud.endpoint_url,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
            config=Config(max_pool_connections=max(10, args.workers)),
        )
        publish(client, sizes[-1])
        stats = len(STATISTICS["aws_statistics"]) + len(STATISTICS["aws_extended_statistics"])
        print(f"{stats} statistics per series; median of {repeat} scrapes each\n")
        print(f"{'series':>6} {'queries':>7} {'exporter s':>11} {'sequential s':>13} {'speedup':>8}")
        medians = {}
        for series in sizes:
            fast, found = scrape_times(client, series, sizes[-1], repeat, 500, args.workers)
            slow, found_slow = scrape_times(client, series, sizes[-1], max(1, repeat // 2), stats, 1)
            assert found == found_slow == series, (found, found_slow, series)
            medians[series] = statistics.median(fast)
            slow_median = statistics.median(slow)
            print(
                f"{series:>6} {series * stats:>7} {medians[series]:>11.3f} {slow_median:>13.3f} "
                f"{slow_median / medians[series]:>7.1f}x"
            )
        small, large = sizes
        print(
            f"\nscrape time {large} / {small} series: {medians[large] / medians[small]:.1f}x "
            f"(for {large // small}x the series; {args.workers} workers, batches of 500 queries)"
        )


if __name__ == "__main__":
    main()
