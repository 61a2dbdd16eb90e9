"""The Glue scripts' shared runtime: Glue-style arguments and S3 staging (moto S3, no Spark)."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from glue_jobs._runtime import JobArgumentError, JobStorage, float_arg, origin_of, resolve_args

ARGV = [
    "script.py",
    "--JOB_NAME",
    "validate",
    "--JOB_RUN_ID",
    "jr_1",
    "--job-language",
    "python",
    "--input_path",
    "s3://raw/in/",
    "--max_bad_fraction=0.2",
]


def test_arguments_are_resolved_glue_style_and_unknown_ones_ignored():
    args = resolve_args(ARGV, ["input_path"], {"max_bad_fraction": "0.05", "seed": "42"})
    assert args["input_path"] == "s3://raw/in/"
    assert args["max_bad_fraction"] == "0.2"  # --k=v form, as Glue also accepts
    assert args["seed"] == "42"  # optional default
    assert "job-language" not in args and "JOB_RUN_ID" not in args


def test_a_missing_required_argument_is_named():
    with pytest.raises(JobArgumentError, match="--report_path"):
        resolve_args(ARGV, ["input_path", "report_path"])


@pytest.mark.parametrize("raw", ["abc", "1.5", "-0.1"])
def test_a_bad_fraction_says_what_is_expected(raw):
    with pytest.raises(JobArgumentError, match="max_bad_fraction"):
        float_arg({"max_bad_fraction": raw}, "max_bad_fraction", 0.0, 1.0)


@pytest.fixture
def s3(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="raw")
        yield client


def test_staging_downloads_the_prefix_only_and_skips_housekeeping_files(s3, tmp_path):
    s3.put_object(Bucket="raw", Key="in/a.jsonl", Body=b"{}\n")
    s3.put_object(Bucket="raw", Key="in/part/b.csv", Body=b"x\n")
    s3.put_object(Bucket="raw", Key="in/_SUCCESS", Body=b"")
    s3.put_object(Bucket="raw", Key="in/.hidden", Body=b"x")
    s3.put_object(Bucket="raw", Key="in-old/c.jsonl", Body=b"{}\n")  # a sibling prefix, not under in/
    storage = JobStorage(staged=True, workdir=tmp_path, s3=s3)
    files = storage.input_files("s3://raw/in")
    assert [f.split("/")[-1] for f in files] == ["a.jsonl", "b.csv"]
    assert files[1].endswith("/part/b.csv")  # the prefix's layout is kept
    assert all(f.startswith(str(tmp_path)) for f in files)
    with open(files[0]) as handle:
        assert handle.read() == "{}\n"
    # quarantine and reports name the S3 object, not the staged copy (Spark names it file:/...)
    assert origin_of(f"file:{files[1]}", storage.origins) == "s3://raw/in/part/b.csv"
    assert origin_of("/elsewhere/c.jsonl", storage.origins) == "/elsewhere/c.jsonl"


def test_staged_output_replaces_the_prefix_and_json_lands_on_s3(s3, tmp_path):
    s3.put_object(Bucket="raw", Key="out/stale.parquet", Body=b"old")
    storage = JobStorage(staged=True, workdir=tmp_path, s3=s3)
    with storage.output_dir("s3://raw/out/") as local:
        folder = Path(local) / "split=train"
        folder.mkdir(parents=True)
        (folder / "part-0.parquet").write_bytes(b"new")
        (folder / ".part-0.parquet.crc").write_bytes(b"crc")
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket="raw", Prefix="out/")["Contents"])
    assert keys == ["out/split=train/part-0.parquet"]
    storage.write_json("s3://raw/reports/r.json", {"rows": 3})
    assert json.loads(s3.get_object(Bucket="raw", Key="reports/r.json")["Body"].read()) == {"rows": 3}
