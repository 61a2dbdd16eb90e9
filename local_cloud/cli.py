"""`python -m local_cloud up|down|status|logs|invoke|deploy`: the local cloud's commands."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from local_cloud import settings
from local_cloud.controller import LocalCloud, LocalCloudError

DEFAULT_TEMPLATE = settings.REPO_ROOT / "template.yaml"


def _cloud(args: argparse.Namespace) -> LocalCloud:
    return LocalCloud(port=args.port, state_dir=args.state_dir)


def cmd_up(args: argparse.Namespace) -> int:
    cloud = _cloud(args)
    if cloud.status().healthy:
        print(f"already running: {cloud.endpoint_url}")
        return 0
    print(f"starting LocalStack on {cloud.endpoint_url} (state {cloud.state_dir}) ...", flush=True)
    took = cloud.start(timeout_s=args.timeout)
    print(f"healthy after {took:.1f} s; export AWS_ENDPOINT_URL={cloud.endpoint_url}")
    return 0


def cmd_down(args: argparse.Namespace) -> int:
    cloud = _cloud(args)
    began = time.monotonic()
    was_running = cloud.stop()
    print(f"stopped in {time.monotonic() - began:.1f} s" if was_running else "not running")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    status = _cloud(args).status()
    print(status.describe())
    return 0 if status.healthy else 1


def cmd_logs(args: argparse.Namespace) -> int:
    cloud = _cloud(args)
    print(cloud.tail(args.lines))
    if args.follow:
        with cloud.log_file.open(errors="replace") as log:
            log.seek(0, 2)
            try:
                while True:
                    line = log.readline()
                    if line:
                        print(line, end="", flush=True)
                    else:
                        time.sleep(0.3)
            except KeyboardInterrupt:
                pass
    return 0


def cmd_invoke(args: argparse.Namespace) -> int:
    from local_cloud.invoke import invoke_logical_id

    cloud = _cloud(args)
    if not cloud.is_healthy():
        raise LocalCloudError(f"nothing answers on {cloud.endpoint_url}: run `python -m local_cloud up`")
    return invoke_logical_id(
        cloud, args.function, event_file=args.event, template=args.template, stack_name=args.stack_name
    )


def cmd_deploy(args: argparse.Namespace) -> int:
    from local_cloud.deploy import deploy

    cloud = _cloud(args)
    if not cloud.is_healthy():
        print("no local cloud running: starting one", flush=True)
        cloud.start()
    deploy(cloud, template=args.template, stack_name=args.stack_name, config_env=args.config_env)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m local_cloud", description=__doc__)
    parser.add_argument("--port", type=int, help=f"gateway port (env {settings.ENV_PORT}, 4566)")
    parser.add_argument(
        "--state-dir", type=Path, help=f"state folder (env {settings.ENV_STATE_DIR}, .state/localstack)"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    up = sub.add_parser("up", help="start LocalStack on the host and wait until healthy")
    up.add_argument("--timeout", type=float, default=90.0, help="seconds to wait for health")
    up.set_defaults(func=cmd_up)
    sub.add_parser("down", help="stop LocalStack and every Lambda environment").set_defaults(func=cmd_down)
    sub.add_parser("status", help="running? healthy? (exit 0 if healthy)").set_defaults(func=cmd_status)
    logs = sub.add_parser("logs", help="LocalStack's log")
    logs.add_argument("-n", "--lines", type=int, default=50)
    logs.add_argument("-f", "--follow", action="store_true")
    logs.set_defaults(func=cmd_logs)

    stack_help = "CloudFormation stack name (default: samconfig.toml's stack_name)"
    invoke = sub.add_parser("invoke", help="invoke a deployed function by its logical id (no Docker)")
    invoke.add_argument("function", help="logical id in the template, e.g. PredictFunction")
    invoke.add_argument("-e", "--event", type=Path, default=None, help="event JSON file (default: {})")
    invoke.add_argument("-t", "--template", type=Path, default=DEFAULT_TEMPLATE)
    invoke.add_argument("--stack-name", default=None, help=stack_help)
    invoke.set_defaults(func=cmd_invoke)

    deploy = sub.add_parser("deploy", help="sam build, then deploy to the local cloud")
    deploy.add_argument("-t", "--template", type=Path, default=DEFAULT_TEMPLATE)
    deploy.add_argument("--stack-name", default=None, help=stack_help)
    deploy.add_argument("--config-env", default="default", help="samconfig.toml environment")
    deploy.set_defaults(func=cmd_deploy)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except LocalCloudError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
