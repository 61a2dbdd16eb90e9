"""Service: the API's SLO view from Prometheus (the Grafana API-SLO dashboard's panels: latency
p50/p95/p99, throughput, error rate by type, payload sizes, integration latency, predictions) and the
alerts that fire."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from console.context import Console
from console.soft import panel
from console.sources import prometheus

UNIT_FORMATS = {"ms": "{:.0f} ms", "percentunit": "{:.1%}", "reqps": "{:.2f} req/s", "bytes": "{:.0f} B"}


def render(ctx: Console) -> None:
    st.title("Service")
    url = ctx.settings.prometheus_url
    st.caption(f"Prometheus `{url}` ([graph]({url}/graph), [alerts]({url}/alerts))")
    with panel("Prometheus"):
        if not prometheus.ready(url):
            raise prometheus.PrometheusUnavailable(
                f"no Prometheus at {url}: `make run` or `python -m stack metrics` starts it"
            )
        minutes = st.select_slider(
            "Last", options=[15, 60, 180, 720], value=60, format_func=lambda m: f"{m} min"
        )
        with panel("Alerts"):
            _alerts(url)
        grid = st.columns(2)
        for index, item in enumerate(prometheus.dashboard_panels()):
            with grid[index % 2], panel(item.title):
                _panel(url, item, minutes)


def _alerts(url: str) -> None:
    active = prometheus.alerts(url)
    firing = [a for a in active if a["state"] == "firing"]
    if firing:
        st.error(f"{len(firing)} alert(s) firing: {', '.join(a['alert'] for a in firing)}")
    else:
        st.success("no alert firing")
    if active:
        st.dataframe(pd.DataFrame(active), hide_index=True)


def _panel(url: str, item: prometheus.Panel, minutes: int) -> None:
    st.subheader(item.title)
    if item.description:
        st.caption(item.description)
    now = prometheus.latest(url, item)
    if not now:
        st.caption("no data yet (no traffic in the exporter's range, or not scraped yet)")
        return
    fmt = UNIT_FORMATS.get(item.unit, "{:.3g}")
    cols = st.columns(min(len(now), 3))
    for index, (name, value) in enumerate(sorted(now.items())):
        cols[index % len(cols)].metric(name or item.title, fmt.format(value))
    points = pd.DataFrame(prometheus.panel_series(url, item, minutes=minutes, step_s=max(15, minutes)))
    if not points.empty:
        points["time"] = pd.to_datetime(points["time"], unit="s")  # UTC
        st.line_chart(points, x="time", y="value", color="series", height=220)
