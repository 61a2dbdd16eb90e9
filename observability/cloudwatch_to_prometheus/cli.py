"""`cloudwatch-to-prometheus --config <yaml> [--port 9106]`: serve CloudWatch metrics on /metrics.

The CloudWatch endpoint is boto3's: AWS by default, or AWS_ENDPOINT_URL (the local cloud). Every flag
has an environment variable (CLOUDWATCH_EXPORTER_<FLAG>). A bad configuration exits with status 2 and
one line saying what to fix.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading

ENV_PREFIX = "CLOUDWATCH_EXPORTER_"


def _parser() -> argparse.ArgumentParser:
    env = os.environ.get
    parser = argparse.ArgumentParser(prog="cloudwatch-to-prometheus", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--config",
        default=env(f"{ENV_PREFIX}CONFIG"),
        help="YAML configuration in cloudwatch_exporter's format (CLOUDWATCH_EXPORTER_CONFIG)",
    )
    parser.add_argument(
        "--host",
        default=env(f"{ENV_PREFIX}HOST", "127.0.0.1"),
        help="address to listen on (CLOUDWATCH_EXPORTER_HOST, default 127.0.0.1)",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=int(env(f"{ENV_PREFIX}PORT", "9106")),
        help="port to listen on (CLOUDWATCH_EXPORTER_PORT, default 9106)",
    )
    parser.add_argument(
        "--max-workers",
        type=int,
        default=int(env(f"{ENV_PREFIX}MAX_WORKERS", "8")),
        help="concurrent CloudWatch calls (CLOUDWATCH_EXPORTER_MAX_WORKERS, default 8)",
    )
    parser.add_argument("--check", action="store_true", help="check the configuration and exit")
    return parser


def build_registry(config, client, max_workers: int = 8):
    """A CollectorRegistry with the CloudWatch collector over that boto3 CloudWatch client."""
    from prometheus_client import CollectorRegistry

    from cloudwatch_to_prometheus.collector import CloudWatchCollector
    from cloudwatch_to_prometheus.source import CloudWatchReader

    registry = CollectorRegistry(auto_describe=False)
    registry.register(CloudWatchCollector(config, CloudWatchReader(client, max_workers=max_workers)))
    return registry


def main(argv: list[str] | None = None) -> int:
    from cloudwatch_to_prometheus.config import ConfigError, load_config

    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if not args.config:
        print(
            "error: no configuration: pass --config <file.yml> or set CLOUDWATCH_EXPORTER_CONFIG",
            file=sys.stderr,
        )
        return 2
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.check:
        print(f"{args.config}: {len(config.rules)} rules, region {config.region}")
        return 0
    if args.max_workers < 1:
        print("error: --max-workers must be at least 1", file=sys.stderr)
        return 2
    import boto3
    from botocore.config import Config
    from prometheus_client import start_http_server

    client = boto3.client(
        "cloudwatch",
        region_name=config.region,
        config=Config(max_pool_connections=max(10, args.max_workers), retries={"mode": "standard"}),
    )
    registry = build_registry(config, client, args.max_workers)
    try:
        server, _ = start_http_server(args.port, addr=args.host, registry=registry)
    except OSError as exc:
        print(f"error: cannot listen on {args.host}:{args.port}: {exc.strerror}", file=sys.stderr)
        return 2
    endpoint = client.meta.endpoint_url
    logging.getLogger(__name__).info(
        "serving http://%s:%d/metrics from %s (%d rules)", args.host, args.port, endpoint, len(config.rules)
    )
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    server.shutdown()
    return 0
