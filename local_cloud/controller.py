"""Start, watch and stop LocalStack's own runtime on the host (no Docker, no LocalStack CLI)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from local_cloud import processes, settings

HEALTH_PATH = "/_localstack/health"


class LocalCloudError(RuntimeError):
    """A problem the user can fix; the message says how."""


@dataclass(frozen=True)
class Status:
    running: bool
    healthy: bool
    pid: int | None
    port: int
    endpoint_url: str
    state_dir: Path
    log_file: Path

    def describe(self) -> str:
        if not self.running:
            return f"local cloud: stopped (state {self.state_dir})"
        health = "healthy" if self.healthy else "not answering"
        return f"local cloud: running, {health}, pid {self.pid}, {self.endpoint_url} (log {self.log_file})"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _port_in_use(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


class LocalCloud:
    """One LocalStack on 127.0.0.1:`port`, its files, pid file and log under `state_dir`.

    `start()` launches it detached (its own process group) and waits until it is healthy; `stop()`
    stops that group, then any Lambda environment the executor plugin left behind. A second
    `LocalCloud` on the same state dir (another shell, `python -m local_cloud down`) finds it through
    the pid file.
    """

    def __init__(
        self,
        port: int | None = None,
        state_dir: Path | str | None = None,
        localstack_python: Path | str | None = None,
    ) -> None:
        self.state_dir = Path(state_dir).resolve() if state_dir else settings.state_dir()
        recorded = self._read_pid_file()
        self.port = port or (recorded or {}).get("port") or settings.port()
        self.localstack_python = Path(localstack_python or settings.localstack_python())

    # --- where things are -------------------------------------------------------------------------
    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid_file(self) -> Path:
        return self.state_dir / "localstack.pid"

    @property
    def log_file(self) -> Path:
        return self.state_dir / "localstack.log"

    def client_env(self) -> dict[str, str]:
        """Environment variables that point boto3 / the AWS CLI / SAM at this local cloud."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
        }

    # --- status -----------------------------------------------------------------------------------
    def _read_pid_file(self) -> dict | None:
        try:
            return json.loads(self.pid_file.read_text())
        except (OSError, ValueError):
            return None

    def pid(self) -> int | None:
        """The pid of the LocalStack this state dir records, if that process still runs."""
        record = self._read_pid_file()
        if not record:
            return None
        pid = int(record["pid"])
        if processes.alive(pid) and "localstack.runtime.main" in processes.cmdline(pid):
            return pid
        return None

    def health(self, timeout_s: float = 2.0) -> dict | None:
        try:
            with urllib.request.urlopen(self.endpoint_url + HEALTH_PATH, timeout=timeout_s) as resp:
                return json.loads(resp.read())
        except (OSError, ValueError):
            return None

    def is_healthy(self) -> bool:
        return self.health() is not None

    def status(self) -> Status:
        pid = self.pid()
        return Status(
            running=pid is not None,
            healthy=pid is not None and self.is_healthy(),
            pid=pid,
            port=self.port,
            endpoint_url=self.endpoint_url,
            state_dir=self.state_dir,
            log_file=self.log_file,
        )

    # --- lifecycle --------------------------------------------------------------------------------
    def _check_localstack_python(self) -> None:
        hint = (
            "run `make localstack-venv` (it needs Python 3.13 or newer: e.g. `pyenv install 3.13` "
            "or your OS package python3.13-venv)"
        )
        if not self.localstack_python.exists():
            raise LocalCloudError(f"LocalStack's environment is missing ({self.localstack_python}): {hint}")
        probe = subprocess.run(
            [str(self.localstack_python), "-c", "import sys, localstack; print(*sys.version_info[:2])"],
            capture_output=True,
            text=True,
        )
        if probe.returncode != 0:
            raise LocalCloudError(f"{self.localstack_python} cannot import localstack: {hint}")
        version = tuple(int(x) for x in probe.stdout.split())
        if version < settings.MIN_LOCALSTACK_PYTHON:
            raise LocalCloudError(
                f"{self.localstack_python} is Python {'.'.join(map(str, version))}; LocalStack needs "
                f">= 3.13: {hint}"
            )

    def localstack_env(self) -> dict[str, str]:
        """LocalStack's configuration for a host run (see FINDINGS.md for why each one is set)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PYTHON", "VIRTUAL_ENV"))}
        env.update(
            {
                "OVERRIDE_IN_DOCKER": "0",  # this host may have /.dockerenv
                "FILESYSTEM_ROOT": str(self.state_dir / "filesystem"),
                "TMPDIR": str(self.state_dir / "tmp"),  # unzipped Lambda code and layers land here
                "GATEWAY_LISTEN": f"127.0.0.1:{self.port}",
                # URLs LocalStack hands out (layer Content.Location, queue URLs) must resolve here
                "LOCALSTACK_HOST": f"localhost:{self.port}",
                "DNS_ADDRESS": "0",  # no DNS server on port 53
                "DISABLE_EVENTS": "1",
                "SKIP_SSL_CERT_DOWNLOAD": "1",
                "CFN_IGNORE_UNSUPPORTED_RESOURCE_TYPES": "1",
                "LAMBDA_RUNTIME_EXECUTOR": settings.LAMBDA_EXECUTOR_PLUGIN,
                settings.ENV_LAMBDA_RUNTIMES: json.dumps(settings.lambda_runtimes()),
                settings.ENV_STATE_DIR: str(self.state_dir),
            }
        )
        return env

    def start(self, timeout_s: float = 90.0) -> float:
        """Start LocalStack detached and wait until healthy; return the seconds it took."""
        if self.pid() is not None:
            if self.is_healthy():
                return 0.0
            raise LocalCloudError(f"LocalStack (pid {self.pid()}) runs but does not answer: run `down` first")
        if _port_in_use(self.port):
            raise LocalCloudError(
                f"port {self.port} is already in use: stop what listens there or pick another "
                f"port with {settings.ENV_PORT}=<port>"
            )
        self._check_localstack_python()
        (self.state_dir / "tmp").mkdir(parents=True, exist_ok=True)
        # a previous run that was killed may have left Lambda environments behind
        processes.sweep_lambda_environments(self.state_dir)
        if self.log_file.exists():  # keep the previous run's log for a post-mortem
            self.log_file.replace(self.log_file.with_suffix(".log.1"))
        began = time.monotonic()
        with self.log_file.open("wb") as log:
            proc = subprocess.Popen(
                [str(self.localstack_python), "-m", "localstack.runtime.main"],
                cwd=self.state_dir,
                env=self.localstack_env(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stop() takes everything it spawned
            )
        self.pid_file.write_text(json.dumps({"pid": proc.pid, "port": self.port}))
        while time.monotonic() - began < timeout_s:
            if proc.poll() is not None:
                self.pid_file.unlink(missing_ok=True)
                raise LocalCloudError(
                    f"LocalStack exited with code {proc.returncode} while starting; last lines of "
                    f"{self.log_file}:\n{self.tail(20)}"
                )
            if self.is_healthy():
                return time.monotonic() - began
            time.sleep(0.1)
        self.stop()
        raise LocalCloudError(f"LocalStack was not healthy after {timeout_s:.0f} s; see {self.log_file}")

    def ensure_running(self) -> bool:
        """Start the local cloud unless a healthy one already answers here; True if this call started it.

        For commands that need the cloud (the README's main job): they start it when none is running and
        leave a running one alone."""
        if self.is_healthy():
            return False
        self.start()
        return True

    def stop(self, grace_s: float = 5.0) -> bool:
        """Stop LocalStack and every Lambda environment it started; return whether one was running.

        SIGTERM first: LocalStack stops its services (Lambda environments included) within a second or
        two, but its web server can then wait up to 10 s for a worker thread stuck writing a response to
        a client that stopped reading. Nothing is persisted, so after `grace_s` it gets SIGKILL."""
        pid = self.pid()
        if pid is not None:
            processes.stop_group(pid, grace_s=grace_s)
        processes.sweep_lambda_environments(self.state_dir)
        self.pid_file.unlink(missing_ok=True)
        return pid is not None

    def tail(self, lines: int = 50) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def __enter__(self) -> LocalCloud:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
