"""Pipeline: the training state machine's executions with status, per-state durations, the failure
record of a failed one, and the progress lines of its Glue jobs and training jobs (CloudWatch Logs)."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from console.context import Console
from console.soft import panel
from console.sources import logs, pipeline

LOG_LINES = 200


def render(ctx: Console) -> None:
    st.title("Pipeline")
    with panel("Executions (Step Functions)"):
        arn = ctx.output("TrainingPipelineStateMachineArn")
        found = pipeline.executions(ctx.client("stepfunctions"), arn, limit=50)
        st.caption(f"state machine `{arn}`")
        if not found:
            st.info("No execution yet: `make run` starts one.")
            return
        st.dataframe(pd.DataFrame([_row(e) for e in found]), hide_index=True)
        names = [e["name"] for e in found]
        wanted = st.query_params.get("execution")
        chosen = st.selectbox("Execution", names, index=names.index(wanted) if wanted in names else 0)
        execution = next(e for e in found if e["name"] == chosen)
        _detail(ctx, execution["executionArn"])


def _row(execution: dict) -> dict:
    start, stop = execution["startDate"], execution.get("stopDate")
    seconds = ((stop or datetime.now(UTC)) - start).total_seconds()
    return {
        "execution": execution["name"],
        "status": execution["status"],
        "started": start.isoformat(timespec="seconds"),
        "seconds": round(seconds, 1),
    }


def _detail(ctx: Console, execution_arn: str) -> None:
    detail = pipeline.execution_detail(ctx.client("stepfunctions"), ctx.client("s3"), execution_arn)
    st.subheader(f"{detail.name}: {detail.status}")
    outcome = detail.output or {}
    if detail.status == "SUCCEEDED" and outcome.get("summary"):
        st.success(f"decision: {outcome['summary']}")
    if detail.status not in ("SUCCEEDED", "RUNNING"):
        record = detail.failure or {}
        st.error(f"{record.get('error') or detail.error}: {record.get('cause') or detail.cause}")
        if detail.failure:
            with st.expander("Failure record", expanded=True):
                st.json(detail.failure)
    rows = pd.DataFrame(pipeline.state_rows(detail))
    if not rows.empty:
        st.markdown("**Per-state durations** (seconds)")
        st.bar_chart(rows.dropna(subset=["seconds"]), x="state", y="seconds", horizontal=True, sort=False)
        st.dataframe(rows, hide_index=True)
    with st.expander("Execution input and output"):
        st.json({"input": detail.input, "output": detail.output}, expanded=False)
    st.markdown("**Job progress lines** (CloudWatch Logs)")
    if not detail.jobs:
        st.caption("this execution started no Glue job or training job")
    for job in detail.jobs:
        with panel(f"Logs of {job.name or job.run_id}"):
            _job_logs(ctx, job)


def _job_logs(ctx: Console, job: pipeline.JobRun) -> None:
    client = ctx.client("logs")
    if job.kind == "glue":
        targets = logs.glue_run_targets(job.name, job.run_id)
    else:
        targets = [logs.batch_job_target(ctx.client("batch"), job.run_id)]
    events = logs.read_all(client, targets, limit=LOG_LINES)
    with st.expander(f"{job.state}: {job.kind} {job.name} `{job.run_id}` ({len(events)} lines)"):
        text = "\n".join(_line(e) for e in events)
        st.code(text or "(no log lines yet)", language=None)


def _line(event: dict) -> str:
    stamp = datetime.fromtimestamp(event.get("timestamp", 0) / 1000, UTC).strftime("%H:%M:%S")
    return f"{stamp} {event.get('message', '').rstrip()}"
