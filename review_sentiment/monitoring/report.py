"""One window's drift report: every score with its bins and counts, the decision and why, as JSON and CSV.

Decision: the worst severity (`none`, `warn` or `act`) over the signals that have a verdict: the
features' PSI, the prediction PSI and the text JS distance when the window holds at least
`min_window_rows` records, and live model quality (monitoring.quality) when it holds at least
`min_labelled_rows` rated requests. With neither, `insufficient_data`: nothing decided. Scores that are
not scored (constant reference, no reference) take no part. Stdlib + numpy only.
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
