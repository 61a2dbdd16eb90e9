"""The metrics side of the local stack: the CloudWatch exporter and, where installed, Prometheus.

`start_metrics(cloud)` starts the exporter (observability/, config observability/review-sentiment.yml)
against the local cloud's CloudWatch and, when a `prometheus` binary is on PATH (Debian's package:
`make prometheus`), a Prometheus that scrapes it with the alert rules of dashboards/rules. Both run in
the background (pid files under .state/metrics/) until `stop_metrics()` (`make down`). Already running
ones are reused. Ports: METRICS_EXPORTER_PORT (9106), PROMETHEUS_PORT (9090).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import yaml

from stack.settings import REPO_ROOT

EXPORTER_CONFIG = REPO_ROOT / "observability" / "review-sentiment.yml"
PROMETHEUS_CONFIG = REPO_ROOT / "dashboards" / "prometheus.yml"
RULES_DIR = REPO_ROOT / "dashboards" / "rules"
STATE_DIR = REPO_ROOT / ".state" / "metrics"
ENV_EXPORTER_PORT = "METRICS_EXPORTER_PORT"
ENV_PROMETHEUS_PORT = "PROMETHEUS_PORT"


class MetricsError(RuntimeError):
    """The exporter or Prometheus did not come up; the message says why and where its log is."""


@dataclass(frozen=True)
class MetricsEndpoints:
    exporter_url: str
    prometheus_url: str | None  # None: no prometheus binary here


def _alive(pid_file: Path) -> int | None:
    try:
        pid = int(pid_file.read_text())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


def _listening(url: str) -> bool:
    """Whether something accepts connections at the URL's host and port (a scrape of the exporter would
    read all of CloudWatch: too slow for a readiness probe)."""
    parsed = urllib.parse.urlsplit(url)
    try:
        with socket.create_connection((parsed.hostname, parsed.port), timeout=2):
            return True
    except OSError:
        return False


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def _start(
    name: str,
    command: list[str],
    env: dict[str, str],
    ready,
    state_dir: Path,
    timeout_s: float = 60.0,
) -> None:
    log = state_dir / f"{name}.log"
    with log.open("ab") as out:
        process = subprocess.Popen(
            command,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    (state_dir / f"{name}.pid").write_text(str(process.pid))
    deadline = time.monotonic() + timeout_s
    while not ready():
        if process.poll() is not None:
            raise MetricsError(f"{name} exited with status {process.returncode}; see {log}")
        if time.monotonic() > deadline:
            stop_process(state_dir / f"{name}.pid")
            raise MetricsError(f"{name} was not ready within {timeout_s:.0f} s; see {log}")
        time.sleep(0.2)


def prometheus_config(exporter_address: str, scrape_interval: str | None = None) -> dict:
    """dashboards/prometheus.yml with the exporter's address and the rules' absolute path."""
    config = yaml.safe_load(PROMETHEUS_CONFIG.read_text())
    config["rule_files"] = [str(RULES_DIR / "*.yml")]
    for job in config["scrape_configs"]:
        if job["job_name"] == "cloudwatch":
            job["static_configs"] = [{"targets": [exporter_address]}]
    config["scrape_configs"] = [j for j in config["scrape_configs"] if j["job_name"] != "prometheus"]
    if scrape_interval:
        config["global"]["scrape_interval"] = config["global"]["evaluation_interval"] = scrape_interval
        for job in config["scrape_configs"]:
            job.pop("scrape_timeout", None)  # the default (10 s, or the interval if shorter) fits
    return config


def start_metrics(
    client_env: dict[str, str],
    state_dir: Path = STATE_DIR,
    exporter_port: int | None = None,
    prometheus_port: int | None = None,
    scrape_interval: str | None = None,
) -> MetricsEndpoints:
    """Start (or reuse) the exporter and, if installed, Prometheus; raise MetricsError if one fails."""
    exporter_port = exporter_port or int(os.environ.get(ENV_EXPORTER_PORT, "9106"))
    prometheus_port = prometheus_port or int(os.environ.get(ENV_PROMETHEUS_PORT, "9090"))
    state_dir.mkdir(parents=True, exist_ok=True)
    exporter_url = f"http://127.0.0.1:{exporter_port}"
    if not (_alive(state_dir / "exporter.pid") and _listening(exporter_url)):
        env = {**os.environ, **client_env}
        command = [
            sys.executable,
            "-m",
            "cloudwatch_to_prometheus",
            "--config",
            str(EXPORTER_CONFIG),
            "--host",
            "127.0.0.1",
            "--port",
            str(exporter_port),
        ]
        _start("exporter", command, env, lambda: _listening(exporter_url), state_dir)
    binary = shutil.which("prometheus")
    if binary is None:
        return MetricsEndpoints(exporter_url, None)
    prometheus_url = f"http://127.0.0.1:{prometheus_port}"
    if not (_alive(state_dir / "prometheus.pid") and _answers(f"{prometheus_url}/-/ready")):
        config_file = state_dir / "prometheus.yml"
        config = prometheus_config(f"127.0.0.1:{exporter_port}", scrape_interval)
        config_file.write_text(yaml.safe_dump(config, sort_keys=False))
        command = [
            binary,
            f"--config.file={config_file}",
            f"--storage.tsdb.path={state_dir / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{prometheus_port}",
            "--storage.tsdb.retention.time=7d",
        ]
        _start(
            "prometheus", command, dict(os.environ), lambda: _answers(f"{prometheus_url}/-/ready"), state_dir
        )
    return MetricsEndpoints(exporter_url, prometheus_url)


def stop_process(pid_file: Path, timeout_s: float = 10.0) -> bool:
    """Stop the process group in that pid file (SIGTERM, then SIGKILL); whether one was running."""
    pid = _alive(pid_file)
    pid_file.unlink(missing_ok=True)
    if pid is None:
        return False
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
    return True


def stop_metrics(state_dir: Path = STATE_DIR) -> list[str]:
    """Stop Prometheus and the exporter started by start_metrics; the names of those that ran."""
    return [name for name in ("prometheus", "exporter") if stop_process(state_dir / f"{name}.pid")]
