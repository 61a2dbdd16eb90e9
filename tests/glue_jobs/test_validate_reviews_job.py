"""validate_reviews on a real SparkSession and local files, checked against the domain's pandas `validate`."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from glue_jobs import validate_reviews as job
from glue_jobs._runtime import NoInputData
from review_sentiment.data.datasets import load_reviews, load_shipped, write_jsonl
from review_sentiment.data.schema import CANONICAL_COLUMNS
from review_sentiment.data.validation import validate

pytestmark = pytest.mark.slow
FIXTURES = Path(__file__).parents[1] / "ml" / "fixtures"


def _bad_rows(good: pd.DataFrame) -> pd.DataFrame:
    """One row per contract rule, plus a repeat of the first review (a duplicate)."""
    base = good.iloc[0].to_dict()
    rows = [
        {**base, "review_id": "bad-empty", "reviewText": "   "},
        {**base, "review_id": "bad-rating", "overall": 7},
        {**base, "review_id": "bad-rating-text", "overall": "five"},
        {**base, "review_id": "bad-reviewer", "reviewerID": None},
        {**base, "review_id": "bad-undecodable", "reviewText": "broken \ufffd text"},
        {**base, "review_id": "bad-helpful", "helpful": [5, 2]},
        {**base, "review_id": "bad-time", "unixReviewTime": -5},
        dict(base),  # same review_id as the first good row: a duplicate
    ]
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def raw_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("raw")
    good = load_shipped().iloc[:40]
    write_jsonl(pd.concat([good, _bad_rows(good)], ignore_index=True), folder / "a_reviews.jsonl")
    shutil.copy(FIXTURES / "kindle_kaggle_sample.csv", folder / "b_kaggle.csv")
    (folder / "c_broken.jsonl").write_text('{"reviewerID": "A1", "reviewText": "cut off\n')
    (folder / "notes.txt").write_text("not reviews")
    return folder


def _expected(raw_dir: Path):
    """The domain's verdict on the same files, read by the domain loaders in file order."""
    frames = [load_reviews(raw_dir / "a_reviews.jsonl"), load_reviews(raw_dir / "b_kaggle.csv")]
    return validate(pd.concat(frames, ignore_index=True), max_bad_fraction=1.0)


@pytest.fixture(scope="module")
def accepted(spark, raw_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("validated")
    report = job.main(job.local_arguments(raw_dir, out, "0.5"), spark=spark)
    return out, report


def test_every_row_is_either_valid_or_quarantined_with_the_domain_reason(accepted, raw_dir):
    out, report = accepted
    expected = _expected(raw_dir)
    quarantine = pd.read_parquet(out / "quarantine")
    valid = pd.read_parquet(out / "valid")

    parsed = quarantine[quarantine["reason"] != job.UNPARSEABLE]
    assert Counter(zip(parsed["review_id"], parsed["reason"], strict=True)) == Counter(
        zip(expected.quarantine["review_id"], expected.quarantine["reason"], strict=True)
    )
    assert sorted(valid["review_id"]) == sorted(expected.valid["review_id"])
    assert len(valid) + len(quarantine) == report["rows"]
    assert report["rows"] == len(expected.valid) + len(expected.quarantine) + 1
    assert (quarantine["reason"] == job.UNPARSEABLE).sum() == 1  # the cut-off line is kept, not dropped
    assert quarantine["raw"].notna().all() and quarantine["source_file"].notna().all()
    duplicate = quarantine[quarantine["reason"] == "duplicate_review_id"]
    assert len(duplicate) >= 1
    assert json.loads(duplicate["raw"].iloc[0])["review_id"] == duplicate["review_id"].iloc[0]


def test_valid_rows_keep_the_contract_types(accepted):
    out, _ = accepted
    valid = pd.read_parquet(out / "valid")
    assert list(valid.columns) == list(CANONICAL_COLUMNS)
    assert valid["overall"].between(1, 5).all()
    assert pd.api.types.is_integer_dtype(valid["overall"])
    assert pd.api.types.is_integer_dtype(valid["unixReviewTime"])
    assert all(len(h) == 2 for h in valid["helpful"] if h is not None)


def test_the_report_counts_rows_and_reasons(accepted, raw_dir):
    out, report = accepted
    written = json.loads((out / "report.json").read_text())
    assert written == json.loads(json.dumps(report))
    expected = _expected(raw_dir).report
    assert written["valid"] == expected["valid"]
    assert written["quarantined"] == expected["quarantined"] + 1
    assert written["reasons"] == {**expected["reasons"], job.UNPARSEABLE: 1}
    assert written["rejected"] is False
    assert written["input_files"] == 3 and written["skipped_files"] == ["notes.txt"]


def test_a_batch_above_the_threshold_fails_with_what_to_do(spark, raw_dir, tmp_path):
    with pytest.raises(job.ValidationRejected) as failure:
        job.main(job.local_arguments(raw_dir, tmp_path, "0.01"), spark=spark)
    message = str(failure.value)
    assert "above the allowed 1.00%" in message and "--max_bad_fraction" in message
    assert str(tmp_path / "quarantine") in message and "\n" not in message
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["rejected"] is True
    assert not (tmp_path / "valid").exists()  # nothing valid is published from a rejected batch
    assert len(pd.read_parquet(tmp_path / "quarantine")) == report["quarantined"]


def test_an_input_without_review_files_fails_clearly(spark, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "README.md").write_text("nothing here")
    with pytest.raises(NoInputData, match=r"no review files under .*upload JSON lines"):
        job.main(job.local_arguments(empty, tmp_path, "0.05"), spark=spark)


@pytest.fixture(scope="module")
def uploads(tmp_path_factory) -> tuple[Path, pd.DataFrame]:
    """incoming/ with three uploads: 40 reviews; the same 40 again with 20 new ones; a batch of 10 new
    reviews and 8 rows that break the contract (44% bad)."""
    incoming = tmp_path_factory.mktemp("incoming")
    shipped = load_shipped()
    first, second, third = shipped.iloc[:40], shipped.iloc[40:60], shipped.iloc[60:70]
    for name, frame in (
        ("20261201T000000", first),
        ("20261202T000000", pd.concat([first, second], ignore_index=True)),
        ("20261203T000000", pd.concat([third, _bad_rows(third)], ignore_index=True)),
    ):
        (incoming / name).mkdir()
        write_jsonl(frame, incoming / name / "reviews.jsonl")
    return incoming, shipped


def test_batches_are_judged_one_by_one_and_each_review_enters_once(spark, uploads, tmp_path):
    incoming, shipped = uploads
    report = job.main(job.local_arguments(incoming, tmp_path, "0.05"), spark=spark)
    batches = {b["batch"].removeprefix(f"{incoming}/").rstrip("/"): b for b in report["batches"]}
    assert report["accepted_batches"] == [f"{incoming}/20261201T000000/", f"{incoming}/20261202T000000/"]
    assert report["rejected_batches"] == [f"{incoming}/20261203T000000/"] and report["rejected"] is False
    # an upload sent again is not bad data: its repeats are counted, not quarantined
    assert (
        batches["20261202T000000"]["quarantined"] == 0 and batches["20261202T000000"]["already_curated"] == 40
    )
    assert batches["20261202T000000"]["entered"] == 20 and batches["20261201T000000"]["entered"] == 40
    assert batches["20261203T000000"]["quarantined"] == 8 and batches["20261203T000000"]["entered"] == 0
    valid = pd.read_parquet(tmp_path / "valid")
    assert report["curated_rows"] == len(valid) == 60 and valid["review_id"].is_unique
    assert set(valid["review_id"]) == set(shipped.iloc[:60]["review_id"])  # nothing of the rejected batch
    quarantine = pd.read_parquet(tmp_path / "quarantine")
    assert len(quarantine) == 8 and quarantine["source_file"].str.contains("20261203T000000").all()
    assert json.loads((tmp_path / "report.json").read_text())["batches"] == json.loads(
        json.dumps(report["batches"])
    )


def test_labelled_captures_are_a_second_input_whose_batches_come_after_the_uploads(spark, uploads, tmp_path):
    incoming, shipped = uploads
    labelled = tmp_path / "labelled"
    (labelled / "20261205T0800Z-60m").mkdir(parents=True)
    captured = shipped.iloc[55:65].assign(review_id=lambda f: "capture:" + f["review_id"].astype(str))
    # one text an upload also holds, under its upload id: the same review, kept from the upload
    captured = pd.concat([captured, shipped.iloc[[0]]], ignore_index=True)
    write_jsonl(captured, labelled / "20261205T0800Z-60m" / "reviews.jsonl")
    report = job.main(job.local_arguments(f"{incoming},{labelled}", tmp_path / "out", "0.05"), spark=spark)
    assert report["accepted_batches"][-1] == f"{labelled}/20261205T0800Z-60m/"
    capture_batch = report["batches"][-1]
    assert (
        capture_batch["rows"] == 11
        and capture_batch["already_curated"] == 1
        and capture_batch["entered"] == 10
    )
    assert report["curated_rows"] == 70 == len(pd.read_parquet(tmp_path / "out" / "valid"))


def test_when_every_batch_is_rejected_the_run_fails(spark, uploads, tmp_path):
    incoming, _ = uploads
    with pytest.raises(job.ValidationRejected):
        job.main(job.local_arguments(incoming / "20261203T000000", tmp_path, "0.05"), spark=spark)
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["rejected"] is True and report["batches"][0]["batch"] == f"{incoming}/20261203T000000/"
    assert not (tmp_path / "valid").exists()
