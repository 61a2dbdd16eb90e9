"""One window's drift report: every score with its bins and counts, the decision and why, as JSON and CSV.

Decision: the worst severity (`none`, `warn` or `act`) over the signals that have a verdict: the
features' PSI, the prediction PSI and the text JS distance when the window holds at least
`min_window_rows` records, and live model quality (monitoring.quality) when it holds at least
`min_labelled_rows` rated requests. With neither, `insufficient_data`: nothing decided. Scores that are
not scored (constant reference, no reference) take no part. Stdlib + numpy only.

A window is evaluated on more than one tick (every tick until the next window is complete). Each
evaluation is kept as it is (monitoring.monitor writes it once, never replaces it); the window's summary
report folds them together with `merge_evaluation`: it shows the newest evaluation that started a
retraining run, or while none has, the newest evaluation, and lists every evaluation of the window.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from datetime import UTC, datetime

import numpy as np

from review_sentiment.monitoring.capture import CapturedWindow
from review_sentiment.monitoring.config import DriftConfig
from review_sentiment.monitoring.drift import (
    BinnedReference,
    PsiResult,
    Status,
    feature_scores,
    score,
    severity,
)
from review_sentiment.monitoring.quality import SCORED, model_quality
from review_sentiment.monitoring.text_drift import score_text, window_bucket_counts

INSUFFICIENT = "insufficient_data"
NO_CHAMPION = "no_champion"
DECISIONS = ("none", "warn", "act")
# The DriftDecision metric's value per decision (0 none or not decided, 1 warn, 2 act).
DECISION_LEVEL = {NO_CHAMPION: 0, INSUFFICIENT: 0, "none": 0, "warn": 1, "act": 2}
# The summary's record of a window's evaluations; the newest this many are listed (all are counted).
EVALUATIONS = "evaluations"
LISTED_EVALUATIONS = 100
SHOWN_STARTED = "started_retraining"
SHOWN_NEWEST = "newest"
CSV_COLUMNS = (
    "window",
    "quantity",
    "measure",
    "status",
    "value",
    "severity",
    "rows",
    "non_finite",
    "edges",
    "expected",
    "counts",
    "decision",
    "note",
)


def _with_severity(result: PsiResult, config: DriftConfig) -> dict:
    return {**result.to_dict(), "severity": severity(result.psi, config.warn, config.act)}


def prediction_result(
    captured: CapturedWindow, prediction_profile: Mapping | None, config: DriftConfig
) -> PsiResult:
    """PSI of the served P(positive) against the champion's outputs on its own test split."""
    if not prediction_profile:
        return PsiResult(
            "prediction",
            Status.NO_REFERENCE,
            None,
            rows=captured.rows,
            note="the champion has no prediction profile (promoted before outputs were profiled)",
        )
    reference = BinnedReference.from_profile(prediction_profile, "prediction")
    return score(
        "prediction", reference, captured.positive_probability, config.min_window_rows, config.epsilon
    )


def evaluate(
    captured: CapturedWindow,
    feature_profile: Mapping,
    prediction_profile: Mapping | None,
    text_reference: np.ndarray,
    config: DriftConfig,
    champion: Mapping | None = None,
    now: datetime | None = None,
    reference_macro_f1: float | None = None,
) -> dict:
    """The report of one window (JSON-able dict); see the module doc for the decision rule.
    `reference_macro_f1`: the champion's test macro-F1, what live model quality is compared with."""
    features = feature_scores(feature_profile, captured.features, config.min_window_rows, config.epsilon)
    prediction = prediction_result(captured, prediction_profile, config)
    text = score_text(
        text_reference, window_bucket_counts(captured.sketches), captured.rows, config.min_window_rows
    )
    text_severity = severity(text.score, config.text_warn, config.text_act)
    scored = [r for r in (*features.values(), prediction) if r.psi is not None]
    max_psi = max((r.psi for r in scored), default=None)
    quality = model_quality(captured.ratings, captured.predicted, reference_macro_f1, config)
    severities = []  # (severity, why) of every signal that has a verdict
    if captured.rows >= config.min_window_rows:
        severities = [(severity(r.psi, config.warn, config.act), f"{r.name} PSI {r.psi:.3f}") for r in scored]
        if text.score is not None:
            severities.append((text_severity, f"text JS distance {text.score:.3f}"))
    if quality["status"] == SCORED:
        severities.append((quality["severity"], quality["note"]))
    if not severities:
        decision = INSUFFICIENT
        reasons = [
            f"not enough data: {captured.rows} records in the window, the minimum is "
            f"{config.min_window_rows}; nothing scored or decided"
        ]
    else:
        decision = max((s for s, _ in severities), key=DECISIONS.index, default="none")
        reasons = [why for s, why in severities if s == decision and s != "none"] or [
            "every score below its warn threshold"
        ]
        if captured.rows < config.min_window_rows:
            reasons.append(
                f"drift not scored: {captured.rows} records, the minimum is {config.min_window_rows}; "
                "decided on live model quality alone"
            )
    return {
        "window": {
            "id": captured.window.id,
            "start": captured.window.start.isoformat(),
            "end": captured.window.end.isoformat(),
        },
        "evaluated_at": (now or datetime.now(UTC)).isoformat(timespec="seconds"),
        "champion": dict(champion or {}),
        "rows": captured.rows,
        "capture": {
            "objects_read": captured.objects_read,
            "lines_read": captured.lines_read,
            "skipped_lines": dict(captured.skipped),
            "outside_window": captured.outside_window,
            "model_versions": dict(captured.model_versions),
            "predicted_labels": dict(captured.labels),
        },
        "config": config.model_dump(),
        "decision": decision,
        "decision_level": DECISION_LEVEL[decision],
        "reasons": reasons,
        "max_psi": max_psi,
        "features": {name: _with_severity(r, config) for name, r in features.items()},
        "prediction": _with_severity(prediction, config),
        "text": {**text.to_dict(), "measure": "jensen_shannon_distance", "severity": text_severity},
        "model_quality": quality,
    }


def no_champion_report(window_id: str, start: str, end: str, now: datetime | None = None) -> dict:
    """The answer of a tick when nothing serves yet: nothing to compare against, nothing decided."""
    return {
        "window": {"id": window_id, "start": start, "end": end},
        "evaluated_at": (now or datetime.now(UTC)).isoformat(timespec="seconds"),
        "decision": NO_CHAMPION,
        "decision_level": 0,
        "rows": 0,
        "max_psi": None,
        "reasons": ["no champion has been promoted: no reference to compare traffic against"],
        "features": {},
        "prediction": None,
        "text": None,
    }


def started_retraining(report: Mapping) -> bool:
    """Whether this evaluation (or the evaluation a summary shows) started a retraining run."""
    return bool((report.get("retraining") or {}).get("started"))


def evaluation_entry(evaluation: Mapping, uri: str) -> dict:
    """One line of a summary's `evaluations.listed`: when, where it is kept (`uri`, s3://), what it decided
    and what it did about retraining (`retraining` is a monitoring.retraining reason, "" when absent)."""
    retraining = evaluation.get("retraining") or {}
    return {
        "evaluated_at": evaluation.get("evaluated_at"),
        "tick": evaluation.get("tick"),
        "uri": uri,
        "decision": evaluation.get("decision"),
        "rows": evaluation.get("rows"),
        "max_psi": evaluation.get("max_psi"),
        "retraining": retraining.get("reason", ""),
        "started": bool(retraining.get("started")),
        "execution_name": retraining.get("execution_name", ""),
    }


def merge_evaluation(summary: Mapping | None, evaluation: Mapping, evaluation_uri: str) -> dict:
    """The window's summary report once `evaluation` (kept at `evaluation_uri`) is added to `summary`.

    `summary` is the window's summary so far (None for the window's first evaluation); `evaluation` is a
    report of `evaluate` or `no_champion_report` with its `retraining` outcome. The summary is the
    content of one evaluation, the one it shows: the newest evaluation that started a retraining run, so
    a later look at the window ("run in progress", "cooldown", another decision on late records) never
    replaces the decision that started the run; while none has started one, the newest evaluation. Added:
    `retraining_started` (the shown evaluation's outcome, when it started a run) and `evaluations`:
    `count` (every evaluation of the window), `shown` (the shown one's entry, see `evaluation_entry`),
    `shown_because` ("started_retraining" or "newest"), `later` (evaluations after the shown one) and
    `listed` (the newest LISTED_EVALUATIONS entries, oldest first). A summary written before evaluations
    were recorded counts as one evaluation without a URI. Neither argument is modified.
    """
    summary = dict(summary) if summary else None
    entry = evaluation_entry(evaluation, evaluation_uri)
    if summary is None:
        record: dict = {"count": 0, "listed": []}
    else:
        record = dict(summary.pop(EVALUATIONS, None) or {})
        if not record.get("count"):  # written before evaluations were recorded: one evaluation, no URI
            record = {"count": 1, "listed": [evaluation_entry(summary, "")], "later": 0}
            record["shown"] = record["listed"][0]
    listed = [*(record.get("listed") or []), entry][-LISTED_EVALUATIONS:]
    count = int(record["count"]) + 1
    if summary is not None and started_retraining(summary) and not started_retraining(evaluation):
        shown, because, later = summary, SHOWN_STARTED, int(record.get("later") or 0) + 1
        shown_entry = record.get("shown") or entry
    else:
        shown = {key: value for key, value in evaluation.items() if key != EVALUATIONS}
        because = SHOWN_STARTED if started_retraining(evaluation) else SHOWN_NEWEST
        shown_entry, later = entry, 0
        if started_retraining(evaluation):
            shown["retraining_started"] = dict(evaluation["retraining"])
        elif summary is not None and summary.get("retraining_started"):
            shown["retraining_started"] = summary["retraining_started"]  # recorded by an older summary
    return {
        **shown,
        EVALUATIONS: {
            "count": count,
            "shown": shown_entry,
            "shown_because": because,
            "later": later,
            "listed": listed,
        },
    }


def _joined(values) -> str:
    return ";".join(f"{v:g}" if isinstance(v, float) else str(v) for v in values or [])


def to_csv(report: Mapping) -> str:
    """One row per score (each feature, the prediction, the text, live model quality) with bins, counts
    and the decision; the quality row's `edges` hold its macro-F1 interval, `expected` the champion's
    test macro-F1."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    window, decision = report["window"]["id"], report["decision"]
    rows = [(f"feature:{name}", "psi", entry) for name, entry in (report.get("features") or {}).items()]
    if report.get("prediction"):
        rows.append(("prediction:positive_probability", "psi", report["prediction"]))
    for quantity, measure, entry in rows:
        writer.writerow(
            {
                "window": window,
                "quantity": quantity,
                "measure": measure,
                "status": entry["status"],
                "value": "" if entry["psi"] is None else f"{entry['psi']:.6f}",
                "severity": entry["severity"],
                "rows": entry["rows"],
                "non_finite": entry["non_finite"],
                "edges": _joined(entry["edges"]),
                "expected": _joined(entry["expected"]),
                "counts": _joined(entry["counts"]),
                "decision": decision,
                "note": entry.get("note", ""),
            }
        )
    if text := report.get("text"):
        writer.writerow(
            {
                "window": window,
                "quantity": "text:token_buckets",
                "measure": text["measure"],
                "status": text["status"],
                "value": "" if text["score"] is None else f"{text['score']:.6f}",
                "severity": text["severity"],
                "rows": text["rows"],
                "non_finite": 0,
                "edges": "",
                "expected": "",
                "counts": text["tokens"],
                "decision": decision,
                "note": text.get("note", ""),
            }
        )
    if quality := report.get("model_quality"):
        writer.writerow(
            {
                "window": window,
                "quantity": "quality:labelled_requests",
                "measure": "macro_f1",
                "status": quality["status"],
                "value": "" if quality["macro_f1"] is None else f"{quality['macro_f1']:.6f}",
                "severity": quality["severity"],
                "rows": quality["labelled_rows"],
                "non_finite": 0,
                "edges": _joined(quality["macro_f1_interval"]),
                "expected": ""
                if quality["reference_macro_f1"] is None
                else f"{quality['reference_macro_f1']:g}",
                "counts": "",
                "decision": decision,
                "note": quality.get("note", ""),
            }
        )
    return buffer.getvalue()
