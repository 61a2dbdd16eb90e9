"""A window's summary report over its evaluations: the one that started a run is never replaced."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime

from review_sentiment import aws
from review_sentiment.monitoring.capture import Window
from review_sentiment.monitoring.monitor import record_evaluation, report_key
from review_sentiment.monitoring.report import LISTED_EVALUATIONS, merge_evaluation

WINDOW = {"id": "20261204T0800Z-2m", "start": "2026-12-04T08:00:00+00:00", "end": "2026-12-04T08:02:00+00:00"}
RUN = "drift-v1-20261204T0800Z-2m"


def evaluation(at: str, decision: str, reason: str, started: bool = False, rows: int = 600, **extra) -> dict:
    """An evaluation in the monitor's format (report.evaluate plus the tick's retraining outcome)."""
    retraining = {"started": started, "reason": reason, "message": f"{reason} message"}
    if started:
        retraining |= {"execution_name": RUN, "execution_arn": f"arn:aws:states:::execution:training:{RUN}"}
    return {
        "window": WINDOW,
        "evaluated_at": f"2026-12-04T{at}+00:00",
        "rows": rows,
        "decision": decision,
        "reasons": [f"{decision} at {at}"],
        "max_psi": 0.4 if decision == "act" else 0.02,
        "retraining": retraining,
        **extra,
    }


def uri(at: str) -> str:
    return f"s3://drift-reports/evaluations/2026/12/04/20261204T0800Z-2m/{at}.json"


def fold(*evaluations: dict) -> dict:
    summary = None
    for each in evaluations:
        summary = merge_evaluation(summary, each, uri(each["evaluated_at"][11:19]))
    return summary


def test_the_evaluation_that_started_a_run_stays_shown_after_later_looks():
    acting = evaluation("08:03:00", "act", "started", started=True)
    in_progress = evaluation("08:04:00", "act", "run_in_progress", rows=640)
    cooldown = evaluation("08:04:30", "none", "not_drifted", rows=900)  # late records changed the decision
    summary = fold(acting, in_progress, cooldown)
    assert summary["decision"] == "act" and summary["rows"] == 600
    assert summary["reasons"] == ["act at 08:03:00"]
    assert summary["retraining"]["started"] and summary["retraining"]["execution_name"] == RUN
    assert summary["retraining_started"] == acting["retraining"]
    record = summary["evaluations"]
    assert record["count"] == 3 and record["later"] == 2 and record["shown_because"] == "started_retraining"
    assert record["shown"]["uri"] == uri("08:03:00") and record["shown"]["execution_name"] == RUN
    assert [e["retraining"] for e in record["listed"]] == ["started", "run_in_progress", "not_drifted"]
    assert [e["uri"] for e in record["listed"]] == [uri("08:03:00"), uri("08:04:00"), uri("08:04:30")]
    assert [e["rows"] for e in record["listed"]] == [600, 640, 900]


def test_until_one_starts_a_run_the_newest_evaluation_is_shown():
    summary = fold(
        evaluation("08:03:00", "warn", "not_drifted"), evaluation("08:04:00", "none", "not_drifted")
    )
    assert summary["decision"] == "none" and summary["evaluations"]["shown_because"] == "newest"
    assert summary["evaluations"]["later"] == 0 and "retraining_started" not in summary
    assert summary["evaluations"]["shown"]["uri"] == uri("08:04:00")

    # a later evaluation that starts the run (the earlier one met a run in progress) is shown from then on
    summary = fold(
        evaluation("08:03:00", "act", "run_in_progress"),
        evaluation("08:04:00", "act", "started", started=True),
        evaluation("08:04:30", "act", "cooldown"),
    )
    assert summary["evaluated_at"] == "2026-12-04T08:04:00+00:00" and summary["retraining"]["started"]
    assert summary["evaluations"]["count"] == 3 and summary["evaluations"]["later"] == 1


def test_merging_changes_neither_argument():
    summary = fold(evaluation("08:03:00", "act", "started", started=True))
    before = copy.deepcopy(summary)
    later = evaluation("08:04:00", "act", "run_in_progress")
    merged = merge_evaluation(summary, later, uri("08:04:00"))
    assert summary == before and "evaluations" not in later
    assert merged["evaluations"]["count"] == 2 and len(summary["evaluations"]["listed"]) == 1


def test_a_summary_written_before_evaluations_were_recorded_counts_as_one():
    old = evaluation("08:03:00", "act", "started", started=True)
    old["retraining_started"] = old["retraining"]
    summary = merge_evaluation(old, evaluation("08:04:00", "act", "run_in_progress"), uri("08:04:00"))
    assert summary["retraining"]["reason"] == "started" and summary["evaluations"]["count"] == 2
    assert [e["uri"] for e in summary["evaluations"]["listed"]] == ["", uri("08:04:00")]

    # the overwritten kind: a later look replaced the body, only `retraining_started` remembered the run
    overwritten = evaluation("08:04:00", "act", "run_in_progress", retraining_started=old["retraining"])
    summary = merge_evaluation(overwritten, evaluation("08:05:00", "act", "cooldown"), uri("08:05:00"))
    assert summary["retraining_started"]["execution_name"] == RUN


def test_every_evaluation_is_counted_and_the_newest_are_listed():
    looks = [evaluation(f"08:{3 + n // 60:02d}:{n % 60:02d}", "act", "run_in_progress") for n in range(120)]
    summary = fold(evaluation("08:02:59", "act", "started", started=True), *looks)
    record = summary["evaluations"]
    assert record["count"] == 121 and record["later"] == 120 and len(record["listed"]) == LISTED_EVALUATIONS
    assert record["listed"][-1]["evaluated_at"] == looks[-1]["evaluated_at"]
    assert record["shown"]["evaluated_at"] == "2026-12-04T08:02:59+00:00" and summary["retraining"]["started"]


def test_two_evaluations_at_the_same_instant_are_both_kept(aws_mock):
    s3 = aws.client("s3")
    s3.create_bucket(Bucket="drift-reports")
    window = Window(datetime(2026, 12, 4, 8, 0, tzinfo=UTC), datetime(2026, 12, 4, 8, 2, tzinfo=UTC))
    at = datetime(2026, 12, 4, 8, 3, 0, 250000, tzinfo=UTC)
    acting = evaluation("08:03:00", "act", "started", started=True)
    first, _ = record_evaluation(s3, "drift-reports", window, acting, at)
    second, summary = record_evaluation(
        s3, "drift-reports", window, evaluation("08:03:00", "act", "run_in_progress"), at
    )
    prefix = "s3://drift-reports/evaluations/2026/12/04/20261204T0800Z-2m/20261204T080300.250000Z"
    assert (first, second) == (f"{prefix}.json", f"{prefix}-1.json")
    kept = s3.get_object(Bucket="drift-reports", Key=first.removeprefix("s3://drift-reports/"))["Body"].read()
    assert json.loads(kept) == acting  # not replaced by the second
    stored = json.loads(s3.get_object(Bucket="drift-reports", Key=report_key(window))["Body"].read())
    assert stored == summary and stored["retraining"]["started"] and stored["evaluations"]["count"] == 2
