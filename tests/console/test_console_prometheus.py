"""console.sources.prometheus: the API-SLO dashboard's panels read from its JSON and run against a
stand-in for Prometheus' HTTP API."""

from __future__ import annotations

import json

import pytest

from console.sources import prometheus
from local_cloud.controller import free_port
from tests.support.console import fake_prometheus


def test_the_panels_are_the_dashboards_own():
    dashboard = json.loads(prometheus.SLO_DASHBOARD.read_text())
    panels = prometheus.dashboard_panels()
    assert [p.title for p in panels] == [p["title"] for p in dashboard["panels"]]
    assert panels[0].unit == "ms" and len(panels[0].targets) == 3
    assert {expr for p in panels for _, expr in p.targets} == {
        t["expr"] for p in dashboard["panels"] for t in p["targets"]
    }


def test_legends_take_the_series_labels():
    assert prometheus.legend("p99 {{api_name}}", {"api_name": "rs-api"}) == "p99 rs-api"
    assert prometheus.legend("{{ function_name }}", {}) == ""


def test_latest_values_and_series_of_a_panel(json_server):
    url = json_server(fake_prometheus).url
    latency = prometheus.dashboard_panels()[0]
    assert prometheus.latest(url, latency) == {"p50 rs-api": 12.0, "p99 rs-api": 48.5}
    points = prometheus.panel_series(url, latency, minutes=15, now=1_000_000.0)
    assert {(p["series"], p["value"]) for p in points} == {("p50 rs-api", 12.0), ("p99 rs-api", 48.5)}
    assert min(p["time"] for p in points) == 1_000_000.0 - 15 * 60


def test_no_data_is_no_series_not_zero(json_server):
    url = json_server(fake_prometheus).url
    errors = next(p for p in prometheus.dashboard_panels() if p.title == "Error rate by type")
    assert prometheus.latest(url, errors) == {}
    assert prometheus.panel_series(url, errors) == []


def test_alerts_and_readiness(json_server):
    url = json_server(fake_prometheus).url
    assert prometheus.ready(url)
    [alert] = prometheus.alerts(url)
    assert (alert["alert"], alert["state"], alert["severity"]) == ("ApiLatencyP99High", "firing", "warning")


def test_a_prometheus_that_is_not_there_says_how_to_start_it():
    url = f"http://127.0.0.1:{free_port()}"
    assert not prometheus.ready(url)
    with pytest.raises(prometheus.PrometheusUnavailable, match=r"no Prometheus at .*`make run`"):
        prometheus.alerts(url)
