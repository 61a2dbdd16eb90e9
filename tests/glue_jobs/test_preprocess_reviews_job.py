"""preprocess_reviews on a real SparkSession: outputs equal the domain functions computed in pandas."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from glue_jobs import preprocess_reviews as job
from glue_jobs._runtime import JobArgumentError, NoInputData
from review_sentiment.data.cleaning import clean_text, model_texts
from review_sentiment.data.datasets import assign_split, load_shipped, with_labels
from review_sentiment.data.schema import CANONICAL_COLUMNS
from review_sentiment.features.numeric import NUMERIC_FEATURES, numeric_features
from review_sentiment.features.profile import label_distribution, text_sketch_profile, texts_profile
from review_sentiment.monitoring import drift

pytestmark = pytest.mark.slow

MARKUP_TEXT = "Great&nbsp;book!<br />Loved   it &amp; its ending"
EMPTY_TEXT = "<br/>"


@pytest.fixture(scope="module")
def valid_dir(tmp_path_factory) -> Path:
    """Valid rows as the validation job writes them: canonical columns in Parquet."""
    frame = load_shipped().iloc[:600][list(CANONICAL_COLUMNS)].reset_index(drop=True)
    frame.loc[0, "reviewText"] = MARKUP_TEXT
    frame.loc[1, "reviewText"] = EMPTY_TEXT
    folder = tmp_path_factory.mktemp("valid")
    frame.to_parquet(folder / "part-0.parquet")
    return folder


def _run(spark, valid_dir: Path, out: Path, seed: str = "42") -> dict:
    argv = [
        "preprocess_reviews.py",
        "--JOB_NAME",
        "preprocess",
        "--input_path",
        str(valid_dir),
        "--output_path",
        str(out / "processed"),
        "--profile_path",
        str(out / "profile.json"),
        "--seed",
        seed,
    ]
    return job.main(argv, spark=spark)


@pytest.fixture(scope="module")
def processed(spark, valid_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("processed")
    profile = _run(spark, valid_dir, out)
    return out, profile


def _read(out: Path) -> pd.DataFrame:
    frame = pd.read_parquet(out / "processed")
    frame["split"] = frame["split"].astype(str)
    return frame.sort_values("review_id").reset_index(drop=True)


def test_output_is_partitioned_by_split(processed):
    out, profile = processed
    assert sorted(p.name for p in (out / "processed").glob("split=*")) == [
        "split=test",
        "split=train",
        "split=validation",
    ]
    frame = _read(out)
    for split, counts in profile["counts"].items():
        assert (frame["split"] == split).sum() == counts["rows"]


def test_features_labels_and_splits_are_the_domain_ones(processed, valid_dir):
    out, _ = processed
    frame = _read(out)
    source = pd.read_parquet(valid_dir).set_index("review_id").loc[frame["review_id"]].reset_index()
    texts = [clean_text(t) for t in source["reviewText"]]
    assert frame["reviewText"].tolist() == texts
    # the features of the model texts, float64 as data capture stores a served review's
    expected = numeric_features(model_texts(texts))
    np.testing.assert_array_equal(frame[list(NUMERIC_FEATURES)].to_numpy(), expected)
    expected_labels = with_labels(source)["label"]
    assert frame["label"].isna().tolist() == expected_labels.isna().tolist()  # 3 stars: no label, kept
    assert (frame["label"].dropna().astype(int) == expected_labels.dropna().astype(int).to_numpy()).all()
    assert frame["split"].tolist() == assign_split(source, seed=42).tolist()


def test_text_is_cleaned_and_rows_left_empty_are_counted_not_kept(processed):
    out, profile = processed
    frame = _read(out)
    assert "Great book! Loved it & its ending" in frame["reviewText"].tolist()
    assert not (frame["reviewText"] == "").any()
    assert sum(c["empty_after_cleaning"] for c in profile["counts"].values()) == 1
    assert sum(c["rows"] for c in profile["counts"].values()) == 599


def test_the_profile_is_the_drift_modules_reference_of_the_training_split(processed):
    out, profile = processed
    written = json.loads((out / "profile.json").read_text())
    assert written == json.loads(json.dumps(profile))
    train = _read(out).query("split == 'train'")
    expected = texts_profile(train["reviewText"].tolist())  # the reference of served reviews' features
    for name in NUMERIC_FEATURES:
        assert written[name]["edges"] == expected[name]["edges"]
        assert written[name]["expected"] == pytest.approx(expected[name]["expected"])
        assert sum(written[name]["expected"]) == pytest.approx(1.0)
    # the monitor reads the job's JSON as it is; features constant in the training rows are answered,
    # not scored (None)
    psi = drift.feature_psi(written, train["reviewText"].tolist())
    scored = {name: value for name, value in psi.items() if value is not None}
    assert len(scored) >= 5 and scored == pytest.approx(dict.fromkeys(scored, 0.0), abs=1e-9)
    labels = [None if pd.isna(v) else int(v) for v in train["label"]]
    assert written["labels"] == label_distribution(labels)
    assert written["labels"]["counts"]["neutral"] == profile["counts"]["train"]["neutral"]
    assert written["rows"] == len(train)
    # the reference of text drift: the training texts' token-bucket shares
    sketch = text_sketch_profile(train["reviewText"].tolist())
    assert written["text_sketch"]["tokens"] == sketch["tokens"] and sketch["rows"] == len(train)
    assert written["text_sketch"]["shares"] == pytest.approx(sketch["shares"])
    assert sum(written["text_sketch"]["shares"]) == pytest.approx(1.0)


def test_splits_are_deterministic_and_follow_the_seed(spark, processed, valid_dir, tmp_path):
    """The split is a pure function of (seed, product): the domain's hash, so every run agrees; another
    seed moves products between splits."""
    out, _ = processed
    first = _read(out).set_index("review_id")["split"]
    _run(spark, valid_dir, tmp_path / "other", seed="7")
    other = _read(tmp_path / "other")
    source = pd.read_parquet(valid_dir).set_index("review_id").loc[other["review_id"]].reset_index()
    assert other["split"].tolist() == assign_split(source, seed=7).tolist()
    assert not other.set_index("review_id")["split"].equals(first)


def test_missing_input_and_bad_fractions_fail_clearly(spark, tmp_path):
    (tmp_path / "nothing").mkdir()
    with pytest.raises(NoInputData, match="run the validate_reviews job first"):
        _run(spark, tmp_path / "nothing", tmp_path)
    with pytest.raises(JobArgumentError, match="split_fractions"):
        job.parse_fractions("0.5,0.5,0.5")
