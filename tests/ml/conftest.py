"""Shared fixtures of the ML core tests: small real data, isolated settings, PostgreSQL databases."""

from __future__ import annotations

import uuid
from pathlib import Path

import pandas as pd
import pytest

from review_sentiment.config import Settings, Thresholds
from review_sentiment.data.datasets import binary_splits, load_shipped

FIXTURES = Path(__file__).parent / "fixtures"
POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


@pytest.fixture(scope="session")
def shipped() -> pd.DataFrame:
    return load_shipped()


@pytest.fixture(scope="session")
def small_frame(shipped) -> pd.DataFrame:
    """The reviews of 90 source reviews (about 1,100 real sentences): enough to learn, quick to fit."""
    keep = sorted(shipped["asin"].unique())[:90]
    return shipped[shipped["asin"].isin(keep)].reset_index(drop=True)


@pytest.fixture(scope="session")
def small_splits(small_frame):
    return binary_splits(small_frame, seed=7)


def make_settings(state_dir: Path, **overrides) -> Settings:
    """Settings isolated from the developer's environment and from other tests; a threshold's name
    (latency_budget_ms, min_mft_pass_rate, ...) sets that field of the settings' Thresholds."""
    values = {
        "state_dir": state_dir,
        "trials_per_kind": 2,
        "latency_rows": 30,
        "latency_budget_ms": 1000.0,  # these tests check behaviour, not speed
        "mlflow_experiment": f"test-{uuid.uuid4().hex[:8]}",
    }
    values.update(overrides)
    thresholds = Thresholds(**{name: values.pop(name) for name in Thresholds.model_fields if name in values})
    return Settings.from_env(environ={}, thresholds=thresholds, **values)


@pytest.fixture
def settings(tmp_path) -> Settings:
    return make_settings(tmp_path / "state")


@pytest.fixture(scope="module")
def postgres_database():
    """A fresh PostgreSQL database of our own (dropped afterwards). No server is a failure, not a skip:
    `make test` starts PostgreSQL (`make postgres`: Debian's package, trust on 127.0.0.1)."""
    import psycopg2

    try:
        admin = psycopg2.connect(POSTGRES_ADMIN_URL, connect_timeout=10)
    except psycopg2.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL does not answer at {POSTGRES_ADMIN_URL} ({str(exc).strip()}): "
            "`make postgres` installs and starts it",
            pytrace=False,
        )
    admin.autocommit = True
    name = f"review_sentiment_ml_test_{uuid.uuid4().hex[:10]}"
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
