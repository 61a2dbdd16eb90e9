"""stack.uis: the console, the MLflow UI and optuna-dashboard as `make ui`, `make mlflow-ui`,
`make optuna-dashboard` start them, and `make down` stops them."""

from __future__ import annotations

import urllib.request
from pathlib import Path

import pytest

from local_cloud.controller import free_port
from stack import uis
from stack.settings import REPO_ROOT, StackSettings


@pytest.fixture
def plan(tmp_path) -> uis.UiPlan:
    return uis.UiPlan(
        StackSettings(stack_name="rs-ui", state_dir=tmp_path / "stack"),
        f"sqlite:///{tmp_path / 'optuna.db'}",
        {"AWS_ENDPOINT_URL": "http://127.0.0.1:4600", "AWS_ACCESS_KEY_ID": "test"},
        "http://127.0.0.1:9190",
    )


def test_each_ui_serves_on_its_port_on_loopback_only(plan, monkeypatch):
    monkeypatch.setenv("CONSOLE_PORT", "8601")
    monkeypatch.setenv("MLFLOW_UI_PORT", "5100")
    monkeypatch.delenv("OPTUNA_DASHBOARD_PORT", raising=False)
    console = uis.command("console", plan)
    assert console[1:4] == ["-m", "streamlit", "run"] and console[4] == str(REPO_ROOT / "console" / "app.py")
    assert "--server.port=8601" in console and "--server.address=127.0.0.1" in console
    mlflow = uis.command("mlflow", plan)
    assert mlflow[mlflow.index("--backend-store-uri") + 1] == plan.stack.mlflow_tracking_uri
    assert mlflow[mlflow.index("--port") + 1] == "5100" and mlflow[mlflow.index("--host") + 1] == "127.0.0.1"
    optuna = uis.command("optuna", plan)
    assert Path(optuna[0]).name == "optuna-dashboard" and optuna[1] == plan.optuna_storage_url
    assert optuna[optuna.index("--port") + 1] == "8080"
    assert uis.url("console") == "http://127.0.0.1:8601"


def test_the_console_is_told_where_the_stack_and_the_other_uis_are(plan):
    env = uis.environment("console", plan)
    assert env["STACK_NAME"] == "rs-ui" and env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:4600"
    assert env["CONSOLE_PROMETHEUS_URL"] == "http://127.0.0.1:9190"
    assert env["CONSOLE_MLFLOW_UI_URL"] == uis.url("mlflow")
    assert env["PYTHONPATH"].split(":")[0] == str(REPO_ROOT)


def test_a_wrong_name_or_port_is_a_clear_error(plan, monkeypatch):
    with pytest.raises(uis.UiError, match="unknown UI 'grafana'"):
        uis.command("grafana", plan)
    monkeypatch.setenv("MLFLOW_UI_PORT", "five thousand")
    with pytest.raises(uis.UiError, match="MLFLOW_UI_PORT='five thousand' is not a port number"):
        uis.url("mlflow")


def test_a_study_storage_that_cannot_be_opened_is_one_clear_error(plan, tmp_path):
    bad = uis.UiPlan(plan.stack, "postgresql://nobody@127.0.0.1:1/none", plan.client_env, None)
    with pytest.raises(
        uis.UiError, match=r"Optuna dashboard: the study storage postgresql://.* cannot be opened"
    ):
        uis.start_ui("optuna", bad, state_dir=tmp_path / "uis")
    assert uis.start_uis(bad, names=("optuna",), state_dir=tmp_path / "uis")["optuna"].startswith(
        "not started"
    )


@pytest.mark.slow
def test_the_three_uis_start_answer_are_reused_and_stop(plan, tmp_path, monkeypatch):
    for variable in uis.PORT_VARIABLES.values():
        monkeypatch.setenv(variable, str(free_port()))
    state = tmp_path / "uis"
    try:
        started = uis.start_uis(plan, state_dir=state)
        assert started == {name: uis.url(name) for name in uis.UIS}, started
        for name in uis.UIS:
            with urllib.request.urlopen(uis.url(name) + uis.READY_PATHS[name], timeout=10) as response:
                assert response.status == 200, name
        pid = (state / "console.pid").read_text()
        assert uis.start_ui("console", plan, state_dir=state) == uis.url("console")
        assert (state / "console.pid").read_text() == pid  # the running one is reused
        assert "Console: http://127.0.0.1:" in uis.url_lines(started)
    finally:
        stopped = uis.stop_uis(state)
    assert stopped == list(uis.UIS)
    assert not any((state / f"{name}.pid").exists() for name in uis.UIS)
