"""Drift: the last windows of the drift monitor's reports: decision and why, PSI per feature, prediction
PSI, text drift, live model quality when the reports carry it, charts over time, and each retraining
run a window started, linked to its execution."""

from __future__ import annotations

import urllib.parse

import pandas as pd
import streamlit as st

from console.context import Console
from console.soft import panel
from console.sources import drift
from console.sources.pipeline import console_link


@st.cache_data(ttl=10, show_spinner=False)
def _reports(_ctx: Console, bucket: str, limit: int) -> list[drift.WindowReport]:
    return drift.last_reports(_ctx.client("s3"), bucket, limit)


def render(ctx: Console) -> None:
    st.title("Drift")
    with panel("Drift reports (S3)"):
        bucket = ctx.output("DriftReportsBucketName")
        limit = st.slider("Windows", min_value=5, max_value=200, value=30, step=5)
        reports = _reports(ctx, bucket, limit)
        st.caption(f"the newest {len(reports)} reports in `s3://{bucket}/{drift.REPORTS_PREFIX}`")
        if not reports:
            st.info("No drift report yet: the monitor writes one per window once it runs (DriftSchedule).")
            return
        _latest(reports[-1])
        _over_time(reports)
        _quality(reports)
        _runs(ctx, reports)
        st.subheader("Last windows")
        st.dataframe(pd.DataFrame(drift.summary_rows(reports)), hide_index=True)


def _latest(item: drift.WindowReport) -> None:
    st.subheader(f"Latest window {item.window_id}")
    cols = st.columns([2, 1, 1, 1])
    cols[0].metric("Decision", item.decision)
    cols[1].metric("Rows", "?" if item.rows is None else f"{item.rows:,}")
    max_psi = item.report.get("max_psi")
    cols[2].metric("Max PSI", "-" if max_psi is None else f"{max_psi:.3f}")
    text = (item.report.get("text") or {}).get("score")
    cols[3].metric("Text JS distance", "-" if text is None else f"{text:.3f}")
    for reason in item.reasons:
        st.write(f"- {reason}")
    scores = item.scores()
    if scores:
        st.dataframe(
            pd.DataFrame([{"quantity": k, "value": round(v, 4)} for k, v in scores.items()]), hide_index=True
        )
    if len(item.evaluations) > 1:
        with st.expander(
            f"Evaluations of this window ({item.evaluation_count}; shown: {item.shown_evaluation})"
        ):
            st.dataframe(pd.DataFrame(item.evaluations), hide_index=True)
    for name, section in item.other_sections().items():
        with st.expander(f"{name}"):
            st.json(section, expanded=False)


def _over_time(reports: list[drift.WindowReport]) -> None:
    points = pd.DataFrame(drift.score_series(reports))
    st.subheader("Scores over time")
    if points.empty:
        st.caption("no window was scored yet (each had too little traffic: `insufficient_data`)")
    else:
        psi = points[~points["quantity"].str.startswith("quality ")]
        st.line_chart(psi, x="window_start", y="value", color="quantity")
        st.caption("PSI warns at 0.1 and acts at 0.25; text JS distance warns at 0.18 and acts at 0.25")
    rows = pd.DataFrame(
        [
            {"window_start": r.start or r.window_id, "rows": r.rows or 0, "decision": r.decision}
            for r in reports
        ]
    )
    st.bar_chart(rows, x="window_start", y="rows", color="decision", height=220)


def _quality(reports: list[drift.WindowReport]) -> None:
    with_quality = [r for r in reports if r.quality is not None]
    st.subheader("Live model quality")
    if not with_quality:
        st.caption("these reports carry no model-quality section (it needs labelled traffic)")
        return
    latest = with_quality[-1].quality
    st.json(latest, expanded=False)
    points = pd.DataFrame(drift.score_series(with_quality))
    points = points[points["quantity"].str.startswith("quality ")] if not points.empty else points
    if not points.empty:
        st.line_chart(points, x="window_start", y="value", color="quantity")


def _runs(ctx: Console, reports: list[drift.WindowReport]) -> None:
    started = [(r, r.retraining_run) for r in reports if r.retraining_run]
    st.subheader("Retraining runs started")
    if not started:
        st.caption("no window in this range started a retraining run")
        return
    for item, run in started:
        arn = run.get("execution_arn", "")
        name = run.get("execution_name") or arn.rsplit(":", 1)[-1]
        if ctx.settings.endpoint_url:
            link = f"./pipeline?{urllib.parse.urlencode({'execution': name})}"
        else:
            link = console_link(ctx.settings.region, arn)
        st.markdown(f"- window `{item.window_id}` ({item.decision}): [{name}]({link})")
