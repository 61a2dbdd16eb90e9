"""One contract, two readers: the local loaders and the validate Glue job reach the same verdict on the
same bytes (differential test, hypothesis, seeded), and every record is either valid or quarantined with
its line and reason: nothing is lost.

Spark cost is bounded: one SparkSession for the module; each generated example is a folder of several
files checked in one Spark job through the job's own transform (`checked_reviews`); the real entry point
(`main`) runs on the issue's case and on one mixed folder.
"""

from __future__ import annotations

import gzip
import json
import tempfile
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from contract_files import Example, review_files
from hypothesis import HealthCheck, given, seed, settings

from glue_jobs import validate_reviews as job
from glue_jobs._runtime import JobStorage
from review_sentiment.data.datasets import DatasetError, load_reviews, load_shipped, write_jsonl
from review_sentiment.data.validation import DEFAULT_MAX_TEXT_CHARS, validate

SEED = 20261129
FAST = settings(
    max_examples=100,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# Each example is one Spark job over up to 6 files (about 1-3 s each on 2 busy cores).
SPARK = settings(
    max_examples=10,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)


def _write(example: Example, folder: Path) -> None:
    for name, data in example.files.items():
        (folder / name).write_bytes(data)


def local_verdicts(folder: Path) -> dict[tuple[str, int], str]:
    """(file name, line) -> reason ("" = valid) from the local loaders and the domain's validate."""
    try:
        frame = load_reviews(folder)
    except DatasetError:
        return {}  # no record in any file
    result = validate(frame, max_bad_fraction=1.0)
    verdicts = {(Path(r.source_file).name, int(r.line)): "" for r in result.valid.itertuples()}
    for row in result.quarantine.itertuples():
        key = (Path(row.source_file).name, int(row.line))
        assert key not in verdicts, f"{key} has two verdicts"
        verdicts[key] = row.reason
    assert len(verdicts) == len(frame)  # one verdict per row: none lost, none invented
    return verdicts


def glue_verdicts(spark, folder: Path) -> dict[tuple[str, int], str]:
    """The same from the Glue job's transform on a real SparkSession (files listed as the job lists them)."""
    files = JobStorage(staged=True, workdir=folder).input_files(str(folder))
    if not files:
        return {}
    rows = job.checked_reviews(spark, files, DEFAULT_MAX_TEXT_CHARS).select("source_file", "line", "reason")
    collected = rows.collect()
    verdicts = {(Path(r["source_file"]).name, r["line"]): r["reason"] for r in collected}
    assert len(verdicts) == len(collected)
    return verdicts


# What the generated examples held, per test (printed at the end of the module with `pytest -s`).
TRIED: dict[str, Counter] = {}


def assert_each_record_has_its_reason(example: Example, verdicts: dict, test: str) -> None:
    tried = TRIED.setdefault(test, Counter())
    tried.update(["examples", *example.file_kinds, *[f"kind {r.kind}" for r in example.expected]])
    tried["records"] += len(example.expected)
    tried["lost"] += len({(r.file, r.line) for r in example.expected} - set(verdicts))
    expected = {(r.file, r.line): r for r in example.expected}
    assert set(verdicts) == set(expected), "a record was lost or invented"
    for key, record in expected.items():
        got = verdicts[key].split(";") if verdicts[key] else [""]
        assert record.reason in got, f"{record.kind} at {key}: expected {record.reason!r}, got {got}"


@seed(SEED)
@FAST
@given(example=review_files())
def test_the_local_path_keeps_every_record_with_the_reason_it_must_get(example):
    with tempfile.TemporaryDirectory() as tmp:
        _write(example, Path(tmp))
        assert_each_record_has_its_reason(example, local_verdicts(Path(tmp)), "local")


@pytest.mark.slow
@seed(SEED)
@SPARK
@given(example=review_files())
def test_the_local_path_and_the_glue_job_reach_the_same_verdicts(spark, example):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        _write(example, folder)
        local = local_verdicts(folder)
        assert glue_verdicts(spark, folder) == local
        assert_each_record_has_its_reason(example, local, "local vs Glue job")


def teardown_module():
    for test, tried in TRIED.items():
        print(f"\n{test}: " + ", ".join(f"{k} {v}" for k, v in sorted(tried.items())))


# --- the real job entry point ----------------------------------------------------------------------------


def truncated_file(folder: Path) -> Path:
    """The issue's case: two complete Kindle review lines, then a line cut off mid-record."""
    path = folder / "cut_off.jsonl"
    write_jsonl(load_shipped().iloc[:2], path)
    with path.open("a") as handle:
        handle.write('{"reviewerID": "A4TEST5", "asin": "B000TEST09", "reviewerName":')
    return path


@pytest.mark.slow
def test_a_cut_off_last_line_is_quarantined_with_its_line_by_the_job_and_the_cli(spark, tmp_path):
    from typer.testing import CliRunner

    from review_sentiment.cli import app

    source = tmp_path / "raw"
    source.mkdir()
    truncated_file(source)
    report = job.main(job.local_arguments(source, tmp_path / "job", "0.5"), spark=spark)
    assert (report["valid"], report["quarantined"], report["reasons"]) == (2, 1, {"unparseable_record": 1})
    quarantine = pd.read_parquet(tmp_path / "job" / "quarantine")
    assert quarantine[["line", "reason"]].values.tolist() == [[3, "unparseable_record"]]
    assert quarantine["raw"].item().endswith('"reviewerName":')
    assert len(pd.read_parquet(tmp_path / "job" / "valid")) == 2

    out = CliRunner().invoke(
        app,
        [
            "validate",
            "--data",
            str(source / "cut_off.jsonl"),
            "--out-dir",
            str(tmp_path / "cli"),
            "--max-bad-fraction",
            "0.5",
        ],
    )
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["reasons"] == {"unparseable_record": 1}
    cli_quarantine = pd.read_json(tmp_path / "cli" / "quarantine.jsonl", lines=True)
    assert cli_quarantine[["line", "reason"]].values.tolist() == [[3, "unparseable_record"]]
    assert len(pd.read_json(tmp_path / "cli" / "valid.jsonl", lines=True)) == 2


@pytest.mark.slow
def test_the_job_entry_point_agrees_with_the_local_loaders_on_a_mixed_folder(spark, tmp_path):
    """CSV with a BOM, CRLF and quoted line breaks, gzip JSON lines, Latin-1 bytes, a duplicate."""
    source = tmp_path / "raw"
    source.mkdir()
    good = load_shipped().iloc[:30]
    write_jsonl(good, source / "a.jsonl.gz")
    csv_text = (
        ",asin,helpful,rating,reviewText,reviewerID,summary,unixReviewTime\r\n"
        '0,B1,"[0, 1]",5,"Two lines,\r\nboth ""quoted""",A1,ok,1400000000\r\n'
        '1,B1,"[0, 1]",7,Too many stars,A2,ok,1400000001\r\n'
        '2,B2,"[0, 0]",4,Extra field,A3,ok,1400000002,surplus\r\n'
        '3,B2,"[0, 0]",4,,A4,ok,1400000003\r\n'
    )
    latin1_row = "4,B3,[],2,caf\xe9,A5,ok,1\r\n".encode("latin-1")
    (source / "b.csv").write_bytes(b"\xef\xbb\xbf" + csv_text.encode() + latin1_row)
    with gzip.open(source / "a.jsonl.gz", "ab") as handle:  # the first review again: a duplicate
        handle.write(good.iloc[:1].to_json(orient="records", lines=True).encode())
    report = job.main(job.local_arguments(source, tmp_path / "job", "0.9"), spark=spark)
    quarantine = pd.read_parquet(tmp_path / "job" / "quarantine")
    local = validate(load_reviews(source), max_bad_fraction=1.0)
    job_verdicts, local_verdicts_ = (
        Counter((Path(f).name, int(n), r) for f, n, r in frame[["source_file", "line", "reason"]].values)
        for frame in (quarantine, local.quarantine)
    )
    assert job_verdicts == local_verdicts_
    assert sorted(job_verdicts) == [
        ("a.jsonl.gz", 31, "duplicate_review_id"),
        ("b.csv", 4, "rating_out_of_range"),  # the first row spans lines 2-3 (a quoted CRLF)
        ("b.csv", 5, "wrong_field_count"),
        ("b.csv", 6, "missing_reviewText"),
        ("b.csv", 7, "undecodable_bytes"),
    ]
    assert report["valid"] == len(local.valid) == 31
    assert report["rows"] == report["valid"] + report["quarantined"] == 36
