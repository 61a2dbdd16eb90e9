"""What the benchmarks share: the `--quick` smoke mode and the local cloud they measure against.

`--quick` runs every step of a benchmark once on the smallest inputs, so that `make test` sees the day a
change breaks one (tests/test_benchmarks.py); its figures mean nothing. `--endpoint-url` points a
benchmark that needs a local cloud at one that is already running (the test session's), instead of
starting its own on a free port and stopping it at the end.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))  # run as a script from anywhere: local_cloud, stack

from local_cloud.controller import LocalCloud, free_port  # noqa: E402

QUICK_HELP = "smoke run: every step once on the smallest inputs (what `make test` runs); figures mean nothing"


def add_common_arguments(parser: argparse.ArgumentParser, cloud: bool = False) -> None:
    """--quick, and --endpoint-url for a benchmark that runs against a local cloud."""
    parser.add_argument("--quick", action="store_true", help=QUICK_HELP)
    if cloud:
        parser.add_argument(
            "--endpoint-url",
            help="a running local cloud to use (default: start one on a free port, stop it at the end)",
        )


@contextmanager
def local_cloud(endpoint_url: str | None, state_dir: Path) -> Iterator[LocalCloud]:
    """The local cloud at `endpoint_url` (left running), or a new one on a free port (stopped after)."""
    if endpoint_url:
        parts = urlsplit(endpoint_url)
        if parts.hostname not in ("127.0.0.1", "localhost") or not parts.port:
            raise SystemExit(f"error: --endpoint-url {endpoint_url}: expected http://127.0.0.1:<port>")
        cloud = LocalCloud(port=parts.port, state_dir=state_dir)
        if not cloud.is_healthy():
            raise SystemExit(f"error: no local cloud answers at {endpoint_url}")
        yield cloud
        return
    cloud = LocalCloud(port=free_port(), state_dir=state_dir)
    print(f"starting LocalStack on {cloud.endpoint_url} ...", flush=True)
    cloud.start()
    try:
        yield cloud
    finally:
        cloud.stop()
