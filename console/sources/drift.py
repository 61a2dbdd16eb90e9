"""The drift monitor's reports, read back from the drift-reports bucket, generically.

The monitor writes one JSON report per evaluated window under `reports/YYYY/MM/DD/<window id>/`
(review_sentiment.monitoring.monitor.report_key). This module reads whatever JSON objects lie under
`reports/` and uses only the fields a report has: the window, rows, decision and reasons, the scores
(`features.<name>.psi`, `prediction.psi`, `text.score`, `max_psi`), a live model-quality section when the
report carries one (any top-level object whose name contains "quality", e.g. accuracy and macro-F1 on
labelled traffic, or `insufficient_labels`), the retraining run a window started, and the window's
evaluations (each tick's look at the window, kept under `evaluations/`; the report shows the one that
started a run, else the newest). A field a report lacks is simply not shown, so new report sections
need no change here.

`s3` is a boto3 S3 client (injected).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

REPORTS_PREFIX = "reports/"
# Sections of a report with their own place on the page; any other object is shown as it is.
KNOWN_SECTIONS = (
    "window",
    "champion",
    "capture",
    "config",
    "features",
    "prediction",
    "text",
    "retraining",
    "evaluations",
)
SCORE_KEYS = ("psi", "score", "value")
QUALITY_FIGURES = ("accuracy", "macro_f1", "f1", "precision", "recall")


@dataclass
class WindowReport:
    """One report: its S3 key and content, with the fields the views read (None where absent)."""

    key: str
    report: dict = field(repr=False)

    @property
    def window_id(self) -> str:
        return str((self.report.get("window") or {}).get("id") or self.key.rsplit("/", 2)[-2])

    @property
    def start(self) -> str | None:
        return (self.report.get("window") or {}).get("start")

    @property
    def decision(self) -> str:
        return str(self.report.get("decision", "unknown"))

    @property
    def reasons(self) -> list[str]:
        reasons = self.report.get("reasons") or []
        return [str(r) for r in reasons] if isinstance(reasons, list) else [str(reasons)]

    @property
    def rows(self) -> int | None:
        return self.report.get("rows")

    @property
    def quality(self) -> dict | None:
        """The live model-quality section (the first top-level object named like `*quality*`)."""
        for name, value in self.report.items():
            if "quality" in name.lower() and isinstance(value, dict):
                return value
        return None

    @property
    def retraining_run(self) -> dict | None:
        """The execution this window started (`retraining_started`, or `retraining` when it started one)."""
        started = self.report.get("retraining_started")
        if isinstance(started, dict) and started.get("execution_arn"):
            return started
        retraining = self.report.get("retraining")
        if isinstance(retraining, dict) and retraining.get("started"):
            return retraining
        return None

    @property
    def evaluations(self) -> list[dict]:
        """The window's evaluations as the report lists them (`evaluations.listed`, oldest first; each with
        `evaluated_at`, `decision`, `rows`, `retraining` reason, `uri`), [] for a report without them."""
        listed = self._record.get("listed")
        return [e for e in listed if isinstance(e, dict)] if isinstance(listed, list) else []

    @property
    def evaluation_count(self) -> int:
        """How many times the window was evaluated (1 for a report that does not say)."""
        count = self._record.get("count")
        return count if isinstance(count, int) and count > 0 else 1

    @property
    def shown_evaluation(self) -> str:
        """Which evaluation the report shows: "the one that started the run", "the newest" or ""."""
        because = self._record.get("shown_because")
        return {"started_retraining": "the one that started the run", "newest": "the newest"}.get(because, "")

    @property
    def _record(self) -> dict:
        record = self.report.get("evaluations")
        return record if isinstance(record, dict) else {}

    def scores(self) -> dict[str, float]:
        """Every scored quantity of the window: `<feature> PSI`, `prediction PSI`, `text JS`, `max PSI`
        and the quality section's figures (`quality accuracy`, ...); unscored ones are left out."""
        found: dict[str, float] = {}
        for name, entry in (self.report.get("features") or {}).items():
            if (value := _score(entry)) is not None:
                found[f"{name} PSI"] = value
        if (value := _score(self.report.get("prediction"))) is not None:
            found["prediction PSI"] = value
        if (value := _score(self.report.get("text"))) is not None:
            found["text JS"] = value
        if _number(self.report.get("max_psi")):
            found["max PSI"] = float(self.report["max_psi"])
        for name, value in (self.quality or {}).items():
            # the live figures by their names only: `reference_macro_f1` is the champion's, not the window's
            if _number(value) and name.lower() in QUALITY_FIGURES:
                found[f"quality {name}"] = float(value)
        return found

    def other_sections(self) -> dict[str, object]:
        """Top-level objects this module has no view for (shown as they are, so nothing is hidden)."""
        quality = self.quality
        return {
            name: value
            for name, value in self.report.items()
            if isinstance(value, dict)
            and name not in KNOWN_SECTIONS
            and value is not quality
            and name != "retraining_started"
        }


def _number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value == value  # not NaN


def _score(entry) -> float | None:
    if not isinstance(entry, dict):
        return None
    for key in SCORE_KEYS:
        if _number(entry.get(key)):
            return float(entry[key])
    return None


def report_keys(s3, bucket: str, prefix: str = REPORTS_PREFIX) -> list[str]:
    """Every JSON report key under `prefix`, oldest first (keys sort by date and window id)."""
    keys: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys += [o["Key"] for o in page.get("Contents", []) if o["Key"].endswith(".json")]
    return sorted(keys)


def recent_report_keys(s3, bucket: str, limit: int, today: date | None = None, days: int = 31) -> list[str]:
    """The newest `limit` report keys, oldest first: day folders are read from `today` backwards (a
    15-minute schedule writes 96 a day, the local one 1,440), then the whole prefix if none was found."""
    today = today or datetime.now(UTC).date()
    keys: list[str] = []
    for back in range(days):
        day = today - timedelta(days=back)
        keys = report_keys(s3, bucket, f"{REPORTS_PREFIX}{day:%Y/%m/%d}/") + keys
        if len(keys) >= limit:
            return keys[-limit:]
    return keys[-limit:] if keys else report_keys(s3, bucket)[-limit:]


def last_reports(s3, bucket: str, limit: int = 30) -> list[WindowReport]:
    """The reports of the newest `limit` keys, oldest first; one that is not a JSON object is left out."""
    reports = []
    for key in recent_report_keys(s3, bucket, limit):
        try:
            content = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
        except ValueError:
            continue
        if isinstance(content, dict):
            reports.append(WindowReport(key, content))
    return reports


def summary_rows(reports: list[WindowReport], top: int = 3) -> list[dict]:
    """One row per window, newest first: window, rows, decision, the `top` highest drift scores, the live
    model-quality figures (when the report has them), the run it started, how many times it was
    evaluated (`evaluations`, int) and which evaluation the row shows, and why."""
    rows = []
    for item in reversed(reports):
        scores = item.scores()
        drift_scores = sorted(
            ((n, v) for n, v in scores.items() if not n.startswith("quality ") and n != "max PSI"),
            key=lambda kv: -kv[1],
        )
        quality = [(n.removeprefix("quality "), v) for n, v in scores.items() if n.startswith("quality ")]
        quality_text = ", ".join(f"{name} {value:.3f}" for name, value in quality)
        if not quality_text and item.quality is not None:  # e.g. insufficient_labels: a status, no figures
            quality_text = str(item.quality.get("status") or item.quality.get("decision") or "")
        run = item.retraining_run
        rows.append(
            {
                "window": item.window_id,
                "rows": item.rows,
                "decision": item.decision,
                "top scores": ", ".join(f"{name} {value:.3f}" for name, value in drift_scores[:top]),
                "quality": quality_text,
                "run started": (run or {}).get("execution_name") or "",
                "evaluations": item.evaluation_count,
                "shown": item.shown_evaluation,
                "why": "; ".join(item.reasons),
            }
        )
    return rows


def score_series(reports: list[WindowReport]) -> list[dict]:
    """Long-format rows for charts over time: {window start, quantity, value}, one per score per window."""
    return [
        {"window_start": item.start or item.window_id, "quantity": name, "value": value}
        for item in reports
        for name, value in item.scores().items()
    ]
