"""The service's SLO view from Prometheus' HTTP API: the Grafana API-SLO dashboard's content without
Grafana.

The panels and their queries are read from the dashboard itself (`dashboards/grafana/api-slo.json`: one
place for each query): latency p50/p95/p99, throughput, error rate by type (4XX, 5XX), payload sizes,
integration latency and predictions, each over the exporter's series (prometheus/cloudwatch_exporter's
names). `panel_series` runs a panel's queries over a time range, `latest` gives each query's current
value, `alerts` the pending and firing alerts. No series means no data (no traffic yet, or the exporter
has not scraped it), never zero. Raises PrometheusUnavailable when nothing answers at the URL.
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

SLO_DASHBOARD = Path(__file__).resolve().parents[2] / "dashboards" / "grafana" / "api-slo.json"
_LEGEND_LABEL = re.compile(r"{{\s*(\w+)\s*}}")


@dataclass(frozen=True)
class Panel:
    """One dashboard panel: title, unit (Grafana's, e.g. `ms`, `percentunit`), (legend, PromQL) targets."""

    title: str
    unit: str
    description: str
    targets: tuple[tuple[str, str], ...]


def dashboard_panels(path: Path = SLO_DASHBOARD) -> list[Panel]:
    """The time-series panels of a Grafana dashboard JSON, in order."""
    dashboard = json.loads(path.read_text())
    return [
        Panel(
            title=panel.get("title", ""),
            unit=((panel.get("fieldConfig") or {}).get("defaults") or {}).get("unit", ""),
            description=panel.get("description", ""),
            targets=tuple((t.get("legendFormat", t["expr"]), t["expr"]) for t in panel.get("targets", [])),
        )
        for panel in dashboard.get("panels", [])
        if panel.get("targets")
    ]


def legend(template: str, labels: dict) -> str:
    """Grafana's legend format: `p99 {{api_name}}` with the series' labels filled in."""
    return _LEGEND_LABEL.sub(lambda m: str(labels.get(m.group(1), "")), template).strip()


class PrometheusUnavailable(ConnectionError):
    """Prometheus does not answer at the URL; the message says where and how to start it."""


def _get(prometheus_url: str, path: str, params: dict | None = None, timeout_s: float = 10.0) -> dict:
    url = f"{prometheus_url.rstrip('/')}{path}"
    if params:
        url += "?" + urllib.parse.urlencode(params)
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            body = json.loads(response.read())
    except urllib.error.HTTPError as error:
        body = json.loads(error.read() or b"{}")
        raise ValueError(f"Prometheus refused the query: {body.get('error', error)}") from None
    except (urllib.error.URLError, OSError) as error:
        raise PrometheusUnavailable(
            f"no Prometheus at {prometheus_url} ({getattr(error, 'reason', error)}); `make run` or "
            "`python -m stack metrics` starts it"
        ) from None
    if body.get("status") != "success":
        raise ValueError(f"Prometheus answered {body.get('status')}: {body.get('error')}")
    return body["data"]


def latest(prometheus_url: str, panel: Panel) -> dict[str, float]:
    """{legend: value now} of every series of the panel's queries (a NaN, e.g. 0/0, is left out)."""
    values: dict[str, float] = {}
    for template, expr in panel.targets:
        for result in _get(prometheus_url, "/api/v1/query", {"query": expr})["result"]:
            value = float(result["value"][1])
            if value == value:
                values[legend(template, result.get("metric", {}))] = value
    return values


def panel_series(
    prometheus_url: str, panel: Panel, minutes: int = 60, step_s: int = 60, now: float | None = None
) -> list[dict]:
    """Long-format points of the panel's queries over the last `minutes`: {time, series, value}."""
    end = now or time.time()
    params = {"start": end - minutes * 60, "end": end, "step": step_s}
    rows: list[dict] = []
    for template, expr in panel.targets:
        data = _get(prometheus_url, "/api/v1/query_range", {"query": expr, **params})
        for result in data["result"]:
            name = legend(template, result.get("metric", {}))
            rows += [
                {"time": float(t), "series": name, "value": float(v)}
                for t, v in result["values"]
                if float(v) == float(v)
            ]
    return rows


def alerts(prometheus_url: str) -> list[dict]:
    """Pending and firing alerts: name, state, severity, summary, since."""
    found = _get(prometheus_url, "/api/v1/alerts")["alerts"]
    return [
        {
            "alert": a["labels"].get("alertname", ""),
            "state": a.get("state", ""),
            "severity": a["labels"].get("severity", ""),
            "summary": (a.get("annotations") or {}).get("summary", ""),
            "since": a.get("activeAt", ""),
        }
        for a in found
    ]


def ready(prometheus_url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{prometheus_url.rstrip('/')}/-/ready", timeout=3) as response:
            return response.status == 200
    except OSError:
        return False
