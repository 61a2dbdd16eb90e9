"""console.sources.drift: the monitor's reports read back generically (moto S3)."""

from __future__ import annotations

import json
from datetime import date

import pytest

from console.sources import drift
from review_sentiment.monitoring.config import DriftConfig
from review_sentiment.monitoring.quality import model_quality
from review_sentiment.monitoring.report import no_champion_report

BUCKET = "drift-reports"


def scored(window: str, decision: str, feature_psi: dict, prediction: float, text: float, **extra) -> dict:
    """A report in the monitor's format (review_sentiment.monitoring.report.evaluate)."""
    return {
        "window": {
            "id": window,
            "start": f"{window[:4]}-{window[4:6]}-{window[6:8]}T{window[9:11]}:{window[11:13]}:00",
        },
        "rows": 600,
        "decision": decision,
        "reasons": [f"{decision} because"],
        "max_psi": max([*feature_psi.values(), prediction]),
        "features": {name: {"status": "scored", "psi": psi} for name, psi in feature_psi.items()},
        "prediction": {"status": "scored", "psi": prediction},
        "text": {"status": "scored", "score": text, "measure": "jensen_shannon_distance"},
        "retraining": {"started": False, "reason": "not_drifted"},
        **extra,
    }


def put(s3, window: str, report: dict, day: str = "2026/12/04") -> None:
    key = f"reports/{day}/{window}/drift_report"
    s3.put_object(Bucket=BUCKET, Key=f"{key}.json", Body=json.dumps(report).encode())
    s3.put_object(Bucket=BUCKET, Key=f"{key}.csv", Body=b"window,quantity\n")


@pytest.fixture
def s3(moto_aws):
    client = moto_aws("s3")
    client.create_bucket(Bucket=BUCKET)
    put(
        client,
        "20261204T0800Z-2m",
        no_champion_report("20261204T0800Z-2m", "2026-12-04T08:00:00", "2026-12-04T08:02:00"),
    )
    put(
        client,
        "20261204T0802Z-2m",
        scored(
            "20261204T0802Z-2m", "none", {"text_len": 0.02, "word_count": 0.05}, 0.04, 0.1,
            # the monitor's own section: no figures, but the champion's reference figure beside them
            model_quality=model_quality([5.0, 1.0, 4.0], ["positive"] * 3, 0.754, DriftConfig()),
        ),
    )  # fmt: skip
    started = {
        "started": True,
        "reason": "started",
        "execution_name": "drift-v1-20261204T0804Z-2m",
        "execution_arn": "arn:aws:states:us-east-1:1:execution:sm:drift-v1-20261204T0804Z-2m",
    }
    put(
        client,
        "20261204T0804Z-2m",
        scored(
            "20261204T0804Z-2m", "act", {"text_len": 0.4, "word_count": 0.3}, 0.2, 0.3,
            retraining=started, retraining_started=started,
            evaluations={
                "count": 3, "shown_because": "started_retraining", "later": 2,
                "listed": [
                    {"evaluated_at": "2026-12-04T08:07:00+00:00", "retraining": "started"},
                    {"evaluated_at": "2026-12-04T08:08:00+00:00", "retraining": "run_in_progress"},
                    "not an entry",
                ],
            },
            model_quality={"status": "scored", "accuracy": 0.71, "macro_f1": 0.66, "labelled_rows": 240},
            labels={"source": "overall"},
        ),
    )  # fmt: skip
    return client


def test_the_newest_windows_come_back_oldest_first_without_the_csvs(s3):
    reports = drift.last_reports(s3, BUCKET, limit=2)
    assert [r.window_id for r in reports] == ["20261204T0802Z-2m", "20261204T0804Z-2m"]
    assert [r.decision for r in drift.last_reports(s3, BUCKET, limit=10)] == ["no_champion", "none", "act"]


def test_the_summary_is_newest_first_with_the_top_scores_and_the_run_started(s3):
    rows = drift.summary_rows(drift.last_reports(s3, BUCKET), top=2)
    assert [r["window"] for r in rows] == ["20261204T0804Z-2m", "20261204T0802Z-2m", "20261204T0800Z-2m"]
    assert rows[0]["top scores"] == "text_len PSI 0.400, word_count PSI 0.300"
    assert rows[0]["quality"] == "accuracy 0.710, macro_f1 0.660"
    assert rows[0]["run started"] == "drift-v1-20261204T0804Z-2m"
    assert rows[1]["top scores"] == "text JS 0.100, word_count PSI 0.050" and rows[1]["run started"] == ""
    assert rows[1]["quality"] == "insufficient_labels" and rows[2]["quality"] == ""
    assert rows[2]["top scores"] == "" and "no champion" in rows[2]["why"]
    assert [(r["evaluations"], r["shown"]) for r in rows] == [
        (3, "the one that started the run"),
        (1, ""),
        (1, ""),
    ]


def test_every_scored_quantity_is_charted_and_unscored_ones_are_left_out(s3):
    points = drift.score_series(drift.last_reports(s3, BUCKET))
    latest = {p["quantity"]: p["value"] for p in points if p["window_start"] == "2026-12-04T08:04:00"}
    assert latest == {
        "text_len PSI": 0.4,
        "word_count PSI": 0.3,
        "prediction PSI": 0.2,
        "text JS": 0.3,
        "max PSI": 0.4,
        "quality accuracy": 0.71,
        "quality macro_f1": 0.66,
    }
    assert not [p for p in points if p["window_start"] == "2026-12-04T08:00:00"]


def test_a_section_the_console_does_not_know_is_kept_and_quality_is_found_by_name(s3):
    latest = drift.last_reports(s3, BUCKET)[-1]
    assert latest.quality["labelled_rows"] == 240
    assert latest.other_sections() == {"labels": {"source": "overall"}}
    assert latest.retraining_run["execution_arn"].endswith("drift-v1-20261204T0804Z-2m")
    assert [e["retraining"] for e in latest.evaluations] == ["started", "run_in_progress"]


def test_recent_days_are_read_first_and_older_ones_only_when_needed(s3):
    put(
        s3,
        "20261130T2358Z-2m",
        scored("20261130T2358Z-2m", "warn", {"text_len": 0.12}, 0.01, 0.01),
        day="2026/11/30",
    )
    keys = drift.recent_report_keys(s3, BUCKET, limit=2, today=date(2026, 12, 4))
    assert [k.split("/")[-2] for k in keys] == ["20261204T0802Z-2m", "20261204T0804Z-2m"]
    keys = drift.recent_report_keys(s3, BUCKET, limit=4, today=date(2026, 12, 4))
    assert keys[0].split("/")[-2] == "20261130T2358Z-2m" and len(keys) == 4


def test_a_report_that_is_not_a_json_object_is_skipped(s3):
    s3.put_object(Bucket=BUCKET, Key="reports/2026/12/04/20261204T0806Z-2m/drift_report.json", Body=b"[1, 2]")
    s3.put_object(Bucket=BUCKET, Key="reports/2026/12/04/20261204T0808Z-2m/drift_report.json", Body=b"{oops")
    assert [r.window_id for r in drift.last_reports(s3, BUCKET, limit=3)] == ["20261204T0804Z-2m"]


def test_an_empty_bucket_has_no_windows(moto_aws):
    moto_aws("s3").create_bucket(Bucket="empty")
    assert drift.last_reports(moto_aws("s3"), "empty") == []
