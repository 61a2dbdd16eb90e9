"""Every kind of bad argument to the two Glue jobs: refused with a message naming it, before Spark starts
(no SparkSession is given and none is started), and as one line from the script run as a process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from glue_jobs import preprocess_reviews, validate_reviews
from glue_jobs._runtime import JobArgumentError, NoInputData

REPO = Path(__file__).resolve().parents[2]


def _validate_args(tmp_path: Path, **changes) -> list[str]:
    raw = tmp_path / "raw"
    raw.mkdir(exist_ok=True)
    (raw / "a.jsonl").write_text('{"reviewerID": "A1"}\n')
    args = {
        "input_path": str(raw),
        "valid_output_path": str(tmp_path / "v"),
        "quarantine_output_path": str(tmp_path / "q"),
        "report_path": str(tmp_path / "r.json"),
    }
    return ["validate_reviews.py", *_flags({**args, **changes})]


def _preprocess_args(tmp_path: Path, **changes) -> list[str]:
    valid = tmp_path / "valid"
    valid.mkdir(exist_ok=True)
    (valid / "part-0.parquet").write_bytes(b"placeholder")  # never read: the arguments fail first
    args = {
        "input_path": str(valid),
        "output_path": str(tmp_path / "p"),
        "profile_path": str(tmp_path / "p.json"),
    }
    return ["preprocess_reviews.py", *_flags({**args, **changes})]


def _flags(args: dict) -> list[str]:
    return [part for name, value in args.items() if value is not None for part in (f"--{name}", value)]


VALIDATE_CASES = {
    "missing input": ({"input_path": None}, JobArgumentError, "missing job argument(s): --input_path"),
    "missing report": ({"report_path": None}, JobArgumentError, "--report_path"),
    "blank input": ({"input_path": " "}, JobArgumentError, "without a value: --input_path"),
    "fraction not a number": ({"max_bad_fraction": "lots"}, JobArgumentError, "must be a number"),
    "fraction above 1": ({"max_bad_fraction": "1.5"}, JobArgumentError, "within 0.0..1.0"),
    "fraction below 0": ({"max_bad_fraction": "-0.1"}, JobArgumentError, "within 0.0..1.0"),
    "text limit not an integer": ({"max_text_chars": "big"}, JobArgumentError, "must be an integer"),
    "text limit zero": ({"max_text_chars": "0"}, JobArgumentError, "--max_text_chars must be at least 1"),
    "malformed S3 input": ({"input_path": "s3://"}, ValueError, "is not an S3 URI"),
    "input without reviews": ({"input_path": "/nonexistent/raw/"}, NoInputData, "no review files under"),
}
PREPROCESS_CASES = {
    "missing output": ({"output_path": None}, JobArgumentError, "--output_path"),
    "seed not an integer": ({"seed": "x"}, JobArgumentError, "--seed must be an integer"),
    "two fractions": ({"split_fractions": "0.5,0.5"}, JobArgumentError, "three numbers summing to 1"),
    "fractions not summing to 1": ({"split_fractions": "0.5,0.5,0.5"}, JobArgumentError, "summing to 1"),
    "negative fraction": ({"split_fractions": "1.2,-0.1,-0.1"}, JobArgumentError, "summing to 1"),
    "one bin": ({"profile_bins": "1"}, JobArgumentError, "--profile_bins must be at least 2"),
    "input without Parquet": ({"input_path": "/nonexistent/valid/"}, NoInputData, "run the validate_reviews"),
}


@pytest.mark.parametrize("case", VALIDATE_CASES)
def test_validate_job_refuses_bad_arguments_before_spark(tmp_path, case):
    changes, error, expected = VALIDATE_CASES[case]
    with pytest.raises(error) as refused:
        validate_reviews.main(_validate_args(tmp_path, **changes))  # no spark: one would start on use
    assert expected in str(refused.value) and "\n" not in str(refused.value)


@pytest.mark.parametrize("case", PREPROCESS_CASES)
def test_preprocess_job_refuses_bad_arguments_before_spark(tmp_path, case):
    changes, error, expected = PREPROCESS_CASES[case]
    with pytest.raises(error) as refused:
        preprocess_reviews.main(_preprocess_args(tmp_path, **changes))
    assert expected in str(refused.value) and "\n" not in str(refused.value)


@pytest.mark.parametrize("script", ["validate_reviews.py", "preprocess_reviews.py"])
def test_a_script_run_with_a_bad_argument_prints_one_line(tmp_path, script):
    run = subprocess.run(
        [sys.executable, str(REPO / "glue_jobs" / script), "--input_path"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert run.returncode == 1
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("JobArgumentError: missing job argument(s)"), lines
