"""What a pipeline run leaves behind: an outcome record on success (and its comparison table, which
`python -m stack run` and the local `run` print), a one-line reason on failure (both records written
with `s3_io.write_json` next to the run's models).

Step Functions hands a caught error over as {"Error": ..., "Cause": ...}, where Cause is a Lambda
error document, a Glue job run or a Batch job as JSON, or plain text. `describe_failure` turns each
into an error name and a reason a person can act on.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from review_sentiment.modeling.selection import Promotion
from review_sentiment.pipeline.messages import Selection
from review_sentiment.pipeline.plan import RunPlan

MAX_CAUSE_CHARS = 2000  # Fail states accept 32 KiB; a readable reason is much shorter


def _as_json(text) -> dict | None:
    if isinstance(text, dict):
        return text
    if not isinstance(text, str):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def caught_state(state: object) -> tuple[dict | None, dict | None]:
    """(the planned run, the caught error) from the state RecordFailure receives, each None when absent
    or not an object: the failure path must work whatever state the failing step left."""
    state = state if isinstance(state, dict) else {}
    run, error = state.get("run"), state.get("error")
    return (run if isinstance(run, dict) else None), (error if isinstance(error, dict) else None)


def failure_uri(run: dict | None, models_bucket: str, run_id: str) -> str:
    """The run's planned failure.json, or (before PrepareRun planned the run) one named after the run id."""
    paths = (run or {}).get("paths")
    planned = paths.get("failure") if isinstance(paths, dict) else None
    if isinstance(planned, str) and planned.startswith("s3://"):
        return planned
    return f"s3://{models_bucket}/runs/{run_id}/failure.json"


def describe_failure(error: dict | None) -> tuple[str, str]:
    """(error name, one-line reason) from a Step Functions Catch result."""
    error = error if isinstance(error, dict) else {}
    name = str(error.get("Error") or "PipelineFailed")
    raw_cause = error.get("Cause") or ""
    cause = _as_json(raw_cause)
    if cause is None:
        return name, _clip(str(raw_cause) or "no cause given")
    if "errorMessage" in cause:  # a Lambda function raised
        kind = cause.get("errorType") or name
        return kind, _clip(f"{kind}: {cause['errorMessage']}")
    if "JobRunState" in cause or ("JobName" in cause and "Arguments" in cause):  # Glue job run
        job = cause.get("JobName", "Glue job")
        state = cause.get("JobRunState", "FAILED")
        message = cause.get("ErrorMessage") or "no error message"
        return "GlueJobFailed", _clip(f"Glue job {job} {state}: {message}")
    if "JobQueue" in cause or "JobDefinition" in cause or "StatusReason" in cause:  # Batch job
        job = cause.get("JobName", "Batch job")
        container = cause.get("Container") or {}
        code = container.get("ExitCode")
        reason = cause.get("StatusReason") or container.get("Reason") or "no reason given"
        exit_text = f" (exit code {code})" if code is not None else ""
        return "TrainingJobFailed", _clip(
            f"Batch job {job} {cause.get('Status', 'FAILED')}{exit_text}: {reason}"
        )
    return name, _clip(json.dumps(cause, default=str))


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_CAUSE_CHARS else text[: MAX_CAUSE_CHARS - 3] + "..."


def failure_record(error_name: str, cause: str, run: dict | None, execution_name: str) -> dict:
    return {
        "status": "FAILED",
        "execution_name": execution_name,
        "run_id": (run or {}).get("run_id"),
        "error": error_name,
        "cause": cause,
        "recorded_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def outcome_record(
    decision: str,
    run: RunPlan,
    selection: Selection,
    promotion: Promotion | None = None,
    registration: Promotion | None = None,
) -> dict:
    """What the execution returns and what is stored next to the run's models (JSON-ready)."""
    best, champion, gate = selection.best, selection.champion, selection.gate
    if decision == "promoted":
        summary = (
            f"promoted {best.model_kind} as version {promotion.version} "
            f"(test macro-F1 {best.test_macro_f1:.4f})"
        )
        serving = {"version": promotion.version, "model_kind": best.model_kind}
    else:
        serving = {"version": champion.version, "model_kind": champion.model_kind} if champion else None
        kept = f"champion version {champion.version} kept" if champion else "no champion: nothing serves"
        summary = f"{kept}: {'; '.join(gate.reasons)}"
    record = selection.model_dump(
        mode="json", include={"candidates", "failed_kinds", "baseline", "behaviour"}
    )
    return {
        "status": "SUCCEEDED",
        "decision": decision,
        "summary": summary,
        "run_id": run.run_id,
        "trigger": run.trigger,
        "serving": serving,
        "challenger": {
            **best.model_dump(include={"model_kind", "test_macro_f1", "val_macro_f1", "onnx_p99_ms"}),
            "registered_version": registration.version if registration else None,
        },
        "promotion": promotion.model_dump(mode="json") if promotion else None,
        "champion_before": champion.model_dump(mode="json") if champion else None,
        "gate": gate.model_dump(mode="json"),
        **record,
        "outcome_uri": run.paths.outcome,
        "recorded_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


TABLE_HEADER = (
    "model kind",
    "val F1",
    "test F1",
    "test acc",
    "p50 ms",
    "p99 ms",
    "ONNX KB",
    "parity agree",
    "max |dp|",
    "",
)


def comparison_table(
    candidates: list[dict], failed: list[dict], chosen: str | None, baseline: dict | None
) -> str:
    """Plain text, one row per candidate (Candidate fields: macro-F1 and accuracy, ONNX single-row p50/p99
    in ms, size in KB, parity label agreement, with ! when it failed, and max probability difference),
    one per kind that produced no model (FailedKind fields), then VADER on the same test rows."""
    rows = [
        (
            c["model_kind"],
            f"{c['val_macro_f1']:.3f}",
            f"{c['test_macro_f1']:.3f}",
            f"{c['test_accuracy']:.3f}",
            f"{c['onnx_p50_ms']:.2f}",
            f"{c['onnx_p99_ms']:.2f}",
            f"{c['onnx_size_bytes'] / 1024:,.0f}",
            f"{c['parity_label_agreement']:.4f}" + ("" if c["parity_passed"] else "!"),
            f"{c['parity_max_prob_diff']:.1e}",
            "<- chosen" if c["model_kind"] == chosen else "",
        )
        for c in candidates
    ]
    rows += [(f["model_kind"], *["-"] * 8, f"FAILED: {_clip(f['cause'] or f['error'])[:80]}") for f in failed]
    if baseline:
        scores = (f"{baseline['test_macro_f1']:.3f}", f"{baseline['test_accuracy']:.3f}")
        rows.append(("VADER (lexicon)", "-", *scores, *["-"] * 5, "baseline"))
    widths = [max(len(row[i]) for row in [TABLE_HEADER, *rows]) for i in range(len(TABLE_HEADER))]

    def line(row) -> str:
        cells = (
            c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))
        )
        return "  ".join(cells).rstrip()

    return "\n".join([line(TABLE_HEADER), line(tuple("-" * w for w in widths)), *map(line, rows)])
