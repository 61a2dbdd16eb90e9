"""The operator's UIs beside the local stack: the console (Streamlit, console/app.py), the MLflow UI on
the stack's tracking store, and optuna-dashboard on the training jobs' study storage.

Each runs in the background with its pid file and log under .state/uis/, as stack.metrics runs the
exporter and Prometheus; an already running one is reused; `stop_uis()` (`make down`) stops them.
Ports: CONSOLE_PORT (8501), MLFLOW_UI_PORT (5000), OPTUNA_DASHBOARD_PORT (8080).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from stack.metrics import MetricsError, _alive, _answers, _start, stop_process
from stack.settings import REPO_ROOT, StackSettings

STATE_DIR = REPO_ROOT / ".state" / "uis"
CONSOLE_APP = REPO_ROOT / "console" / "app.py"
ENV_CONSOLE_PORT = "CONSOLE_PORT"
ENV_MLFLOW_UI_PORT = "MLFLOW_UI_PORT"
ENV_OPTUNA_DASHBOARD_PORT = "OPTUNA_DASHBOARD_PORT"
UIS = ("console", "mlflow", "optuna")
DEFAULT_PORTS = {"console": 8501, "mlflow": 5000, "optuna": 8080}
PORT_VARIABLES = {
    "console": ENV_CONSOLE_PORT,
    "mlflow": ENV_MLFLOW_UI_PORT,
    "optuna": ENV_OPTUNA_DASHBOARD_PORT,
}
TITLES = {"console": "Console", "mlflow": "MLflow UI", "optuna": "Optuna dashboard"}
READY_PATHS = {"console": "/_stcore/health", "mlflow": "/health", "optuna": "/api/meta"}
MAKE_TARGETS = {"console": "make ui", "mlflow": "make mlflow-ui", "optuna": "make optuna-dashboard"}


class UiError(MetricsError):
    """A UI did not come up; the message says why and where its log is."""


@dataclass(frozen=True)
class UiPlan:
    """What the UIs read: the stack's name and tracking store, the study storage, Prometheus, the local
    cloud's client environment (AWS_ENDPOINT_URL and credentials; empty on AWS)."""

    stack: StackSettings
    optuna_storage_url: str
    client_env: dict[str, str]
    prometheus_url: str | None = None


def port(name: str) -> int:
    """The UI's port (its environment variable, else the default); UiError for a value that is not one."""
    raw = os.environ.get(PORT_VARIABLES[name], str(DEFAULT_PORTS[name]))
    try:
        return int(raw)
    except ValueError:
        raise UiError(f"{PORT_VARIABLES[name]}={raw!r} is not a port number") from None


def url(name: str) -> str:
    """Where the UI answers: http://127.0.0.1:<port>."""
    return f"http://127.0.0.1:{port(name)}"


def command(name: str, plan: UiPlan) -> list[str]:
    """The command line that serves UI `name` on its port (127.0.0.1 only)."""
    if name == "console":
        return [
            sys.executable, "-m", "streamlit", "run", str(CONSOLE_APP),
            "--server.headless=true", "--server.address=127.0.0.1", f"--server.port={port(name)}",
            "--browser.gatherUsageStats=false", "--server.fileWatcherType=none",
            "--client.toolbarMode=viewer",
        ]  # fmt: skip
    if name == "mlflow":
        return [
            sys.executable, "-m", "mlflow", "server",
            "--backend-store-uri", plan.stack.mlflow_tracking_uri,
            "--default-artifact-root", plan.stack.mlflow_artifact_root,
            "--host", "127.0.0.1", "--port", str(port(name)), "--workers", "1",
        ]  # fmt: skip
    if name == "optuna":
        executable = Path(sys.executable).with_name("optuna-dashboard")
        return [str(executable), plan.optuna_storage_url, "--host", "127.0.0.1", "--port", str(port(name))]
    raise UiError(f"unknown UI {name!r}: choose from {', '.join(UIS)}")


def environment(name: str, plan: UiPlan) -> dict[str, str]:
    """The UI's environment: the local cloud's client settings, and for the console where the rest is."""
    env = {**os.environ, **plan.client_env}
    if name == "console":
        env.update(
            {
                "STACK_NAME": plan.stack.stack_name,
                "STACK_STATE_DIR": str(plan.stack.state_dir),
                "CONSOLE_MLFLOW_UI_URL": url("mlflow"),
                "CONSOLE_OPTUNA_DASHBOARD_URL": url("optuna"),
                "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")])),
            }
        )
        if plan.prometheus_url:
            env["CONSOLE_PROMETHEUS_URL"] = plan.prometheus_url
    return env


def prepare_study_storage(storage_url: str) -> None:
    """Create Optuna's schema in a storage no training job has used yet (as the first job would):
    optuna-dashboard opens a storage without creating tables and exits on an empty one."""
    import optuna

    if storage_url.startswith("sqlite:///"):
        Path(storage_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    optuna.storages.RDBStorage(storage_url)


def start_ui(name: str, plan: UiPlan, state_dir: Path = STATE_DIR, timeout_s: float = 90.0) -> str:
    """Start (or reuse) UI `name`; its URL. Raises UiError when it does not come up."""
    state_dir.mkdir(parents=True, exist_ok=True)
    address = url(name)
    if _alive(state_dir / f"{name}.pid") and _answers(address + READY_PATHS[name]):
        return address
    if name == "optuna":
        try:
            prepare_study_storage(plan.optuna_storage_url)
        except Exception as exc:  # SQLAlchemy or Optuna: a storage that cannot be opened
            reason = " ".join(str(exc).split())[:200]
            raise UiError(
                f"{TITLES[name]}: the study storage {plan.optuna_storage_url} cannot be opened: {reason}"
            ) from None
    try:
        _start(
            name,
            command(name, plan),
            environment(name, plan),
            lambda: _answers(address + READY_PATHS[name]),
            state_dir,
            timeout_s,
        )
    except MetricsError as exc:
        raise UiError(f"{TITLES[name]}: {exc}") from None
    return address


def start_uis(plan: UiPlan, names: tuple[str, ...] = UIS, state_dir: Path = STATE_DIR) -> dict[str, str]:
    """Start each UI; {name: URL, or `not started: <why>`}: one that fails costs only itself."""
    started = {}
    for name in names:
        try:
            started[name] = start_ui(name, plan, state_dir)
        except UiError as exc:
            started[name] = f"not started: {exc}"
    return started


def stop_uis(state_dir: Path = STATE_DIR) -> list[str]:
    """Stop every UI started by start_ui; the names of those that ran."""
    return [name for name in UIS if stop_process(state_dir / f"{name}.pid")]


def url_lines(started: dict[str, str]) -> str:
    """One line per UI: its title, URL (or why it is not running) and the command that starts it."""
    return "\n".join(f"{TITLES[n]}: {where}  (`{MAKE_TARGETS[n]}`)" for n, where in started.items())
