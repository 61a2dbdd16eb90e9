"""Optuna HPO: multi-objective studies land in the storage the settings name (SQLite, PostgreSQL)."""

from __future__ import annotations

import io

import optuna
import pytest

from review_sentiment.config import sqlalchemy_url
from review_sentiment.modeling.families import MODEL_KINDS, ModelFamily, family
from review_sentiment.modeling.tuning import DIRECTIONS, OBJECTIVES, pareto_front, study_name, tune
from review_sentiment.progress import Progress

from ..conftest import make_settings

pytestmark = pytest.mark.filterwarnings("ignore:Field onnx.AttributeProto.ints:DeprecationWarning")


def run_tune(settings, splits, kind="logreg", n_trials=2):
    stream = io.StringIO()
    result = tune(
        kind, splits, settings, data_hash="0123456789abcdef", n_trials=n_trials, progress=Progress(stream)
    )
    return result, stream.getvalue()


def assert_study_in(storage_url: str, kind: str, n_trials: int):
    study = optuna.load_study(
        study_name=study_name(kind, "0123456789abcdef"), storage=sqlalchemy_url(storage_url)
    )
    complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    assert len(complete) == n_trials
    assert [d.name.lower() for d in study.directions] == list(DIRECTIONS)
    for trial in complete:
        assert {"val_macro_f1", "onnx_p99_ms", "onnx_size_kb", "val_parity_label_agreement"} <= set(
            trial.user_attrs
        )
        f1, p50, size_kb = trial.values
        assert 0.0 <= f1 <= 1.0 and p50 > 0 and size_kb > 0
    return study


def test_study_goes_to_the_configured_sqlite_url(tmp_path, small_splits):
    url = f"sqlite:///{tmp_path / 'elsewhere' / 'custom-optuna.db'}"
    (tmp_path / "elsewhere").mkdir()
    settings = make_settings(tmp_path / "state", optuna_storage_url=url)
    result, log = run_tune(settings, small_splits)
    assert_study_in(url, "logreg", 2)
    assert not (tmp_path / "state" / "optuna.db").exists()
    assert "logreg: trial 1/2 macro-F1" in log and "logreg: trial 2/2" in log and "s] " in log
    front = pareto_front(result.study)
    assert front and set(OBJECTIVES) <= set(front[0])


def test_default_storage_is_sqlite_under_the_state_dir_and_studies_resume(tmp_path, small_splits):
    settings = make_settings(tmp_path / "state")
    run_tune(settings, small_splits, kind="mlp", n_trials=1)
    default_url = f"sqlite:///{tmp_path / 'state' / 'optuna.db'}"
    assert_study_in(default_url, "mlp", 1)
    _, log = run_tune(settings, small_splits, kind="mlp", n_trials=1)
    assert "resuming study" in log
    assert_study_in(default_url, "mlp", 2)


@pytest.mark.postgres
def test_study_goes_to_the_configured_postgresql_url(tmp_path, small_splits, postgres_database):
    settings = make_settings(tmp_path / "state", optuna_storage_url=postgres_database)
    run_tune(settings, small_splits, kind="logreg", n_trials=2)
    assert_study_in(postgres_database, "logreg", 2)
    assert not (tmp_path / "state" / "optuna.db").exists()


def test_every_kind_has_one_family_whose_default_trial_is_in_its_search_space():
    for kind in MODEL_KINDS:
        model_family = family(kind)
        assert isinstance(model_family, ModelFamily) and model_family.kind == kind
        # the default trial, replayed through the search space, gives back the same configuration
        trial = optuna.trial.FixedTrial(model_family.default_params)
        assert model_family.search_space(trial) == model_family.default_params
    with pytest.raises(ValueError, match=r"unknown model kind\(s\) \['svm'\]; choose from \['logreg'"):
        family("svm")
