"""Loaders, label mapping, shipped data and splits."""

from __future__ import annotations

import importlib.util

import pytest

from review_sentiment.config import REPO_ROOT, Settings, SettingsError
from review_sentiment.data import datasets
from review_sentiment.data.schema import CANONICAL_COLUMNS, label_from_rating
from review_sentiment.data.validation import validate
from review_sentiment.modeling.families import MODEL_KINDS, check_kinds

from ..conftest import FIXTURES


def _build_script():
    spec = importlib.util.spec_from_file_location("build_dataset", REPO_ROOT / "data" / "build_dataset.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("overall", "label"), [(1, 0), (2, 0), (2.0, 0), (3, None), (4, 1), (5, 1), (None, None)]
)
def test_label_mapping_is_binary_with_neutral_excluded(overall, label):
    assert label_from_rating(overall) == label


def test_mcauley_json_lines_load_into_the_canonical_schema():
    frame = datasets.load_reviews(FIXTURES / "kindle_mcauley_sample.json")
    assert list(frame.columns[: len(CANONICAL_COLUMNS)]) == list(CANONICAL_COLUMNS)
    assert frame["review_id"].tolist()[0] == "A1F6404F1VG29J/B000F83SZQ"
    assert frame["overall"].tolist() == [5, 3, 1, 4]
    assert frame["helpful"].tolist()[2] == [1, 3]
    assert frame["summary"].tolist()[3] == ""
    assert "reviewerName" in frame  # extra source columns are kept, not dropped
    assert validate(frame, max_bad_fraction=0.0).report["valid"] == 4


def test_kaggle_csv_loads_into_the_canonical_schema():
    frame = datasets.load_reviews(FIXTURES / "kindle_kaggle_sample.csv")
    assert list(frame.columns[: len(CANONICAL_COLUMNS)]) == list(CANONICAL_COLUMNS)
    assert not any(c.startswith("Unnamed") for c in frame.columns)
    assert frame["overall"].tolist() == [5, 2, 3, 4]  # Kaggle's `rating` becomes `overall`
    assert frame["helpful"].tolist() == [[0, 0], [2, 2], [1, 3], [0, 1]]  # parsed from "[up, total]"
    assert frame["reviewText"].tolist()[3] == 'Loved the characters, "highly" recommend'
    assert frame["unixReviewTime"].tolist()[0] == 1399248000
    assert validate(frame, max_bad_fraction=0.0).report["valid"] == 4


def test_neutral_rows_are_counted_not_hidden():
    frame = datasets.load_reviews(FIXTURES / "kindle_kaggle_sample.csv")
    splits = datasets.binary_splits(frame, seed=1)
    counts = splits.counts()
    assert sum(c["neutral_excluded"] for c in counts.values()) == 1
    assert sum(c["rows"] for c in counts.values()) == 3


def test_unknown_file_type_is_a_clear_error(tmp_path):
    path = tmp_path / "reviews.xml"
    path.write_text("<reviews/>")
    with pytest.raises(datasets.DatasetError, match="unknown format"):
        datasets.load_reviews(path)


def test_shipped_data_keeps_the_source_score_and_maps_it_as_documented(shipped):
    build = _build_script()
    assert len(shipped) == 3708
    assert shipped["review_id"].is_unique
    assert validate(shipped, max_bad_fraction=0.0).report["quarantined"] == 0
    expected = shipped["source_score"].map(build.overall_from_score)
    assert (shipped["overall"] == expected).all()
    assert set(shipped.loc[shipped["source_score"].abs() <= 0.5, "overall"]) == {3}
    assert shipped["overall"].value_counts().sort_index().tolist() == [283, 935, 765, 938, 787]


def test_conversion_of_a_source_row_is_deterministic():
    build = _build_script()
    row = build.to_kindle_row("12_3", -2.4, 0.8, "Worst purchase ever.")
    assert row == build.to_kindle_row("12_3", -2.4, 0.8, "Worst purchase ever.")
    assert row["overall"] == 1 and row["source_score"] == -2.4
    up, total = row["helpful"]
    assert 0 <= up <= total


def test_splits_are_deterministic_grouped_and_disjoint(shipped):
    first = datasets.binary_splits(shipped, seed=42)
    again = datasets.binary_splits(shipped, seed=42)
    other = datasets.binary_splits(shipped, seed=43)
    assert first.test["review_id"].tolist() == again.test["review_id"].tolist()
    assert first.test["review_id"].tolist() != other.test["review_id"].tolist()
    asins = [set(part["asin"]) for part in (first.train, first.validation, first.test)]
    assert not (asins[0] & asins[1] or asins[0] & asins[2] or asins[1] & asins[2])
    assert 0.6 < len(first.train) / (len(first.train) + len(first.validation) + len(first.test)) < 0.8


def test_data_hash_ignores_row_order_but_not_content(small_frame):
    digest = datasets.data_hash(small_frame)
    assert datasets.data_hash(small_frame.sample(frac=1.0, random_state=0)) == digest
    changed = small_frame.copy()
    changed.loc[0, "reviewText"] = "changed"
    assert datasets.data_hash(changed) != digest


def test_synthetic_reviews_are_marked_and_keep_the_contract():
    frame = datasets.generate_synthetic_reviews(500, seed=3)
    assert frame["synthetic"].all()
    assert validate(frame, max_bad_fraction=0.0).report["valid"] == 500
    assert frame.equals(datasets.generate_synthetic_reviews(500, seed=3))


def test_settings_come_from_prefixed_env_without_side_effects(tmp_path):
    state = tmp_path / "state"
    settings = Settings.from_env(
        {
            "SENTIMENT_STATE_DIR": str(state),
            "SENTIMENT_TRIALS_PER_KIND": "3",
            "SENTIMENT_MODEL_KINDS": "logreg, mlp",
        }
    )
    assert settings.trials_per_kind == 3 and settings.model_kinds == ("logreg", "mlp")
    assert settings.resolved_optuna_storage_url == f"sqlite:///{state / 'optuna.db'}"
    assert settings.resolved_mlflow_tracking_uri == f"sqlite:///{state / 'mlflow.db'}"
    assert not state.exists()
    url = "postgresql://postgres@127.0.0.1:5432/x"
    resolved = Settings.from_env({"SENTIMENT_OPTUNA_STORAGE_URL": url}).resolved_optuna_storage_url
    assert resolved == "postgresql+psycopg2://postgres@127.0.0.1:5432/x"  # psycopg2 is the installed driver
    with pytest.raises(SettingsError, match="TRIALS_PER_KIND"):
        Settings.from_env({"SENTIMENT_TRIALS_PER_KIND": "many"})
    with pytest.raises(SettingsError, match="SENTIMENT_MIN_MACRO_F1"):
        Settings.from_env({"SENTIMENT_MIN_MACRO_F1": "1.5"})
    thresholds = Settings.from_env({"SENTIMENT_LATENCY_BUDGET_MS": "80", "SENTIMENT_MIN_MFT_PASS_RATE": "0"})
    assert (thresholds.thresholds.latency_budget_ms, thresholds.thresholds.min_mft_pass_rate) == (80.0, 0.0)
    # the kinds are checked where they are defined, before any work (modeling.families)
    with pytest.raises(ValueError, match="unknown model kind"):
        check_kinds(Settings.from_env({"SENTIMENT_MODEL_KINDS": "svm"}).model_kinds)
    assert check_kinds(Settings.from_env({}).model_kinds) == MODEL_KINDS  # none named: every kind
