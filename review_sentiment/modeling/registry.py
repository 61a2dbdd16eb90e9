"""The MLflow Model Registry as promotion (modeling.promotion) uses it: point MLflow at the tracking store,
register a logged model as a new version, read and move the `champion`/`challenger` aliases.

Needs only `mlflow-skinny` (the client; plus SQLAlchemy/alembic for a `sqlite:///` store): it imports
no ONNX, Optuna or scikit-learn, so the Promote Lambda stays small. On AWS the tracking URI is an
MLflow tracking server's `https://` URL; locally it is the stack's SQLite file.
"""

from __future__ import annotations

import contextlib
import logging
import os

import mlflow
from mlflow import MlflowClient
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException

from review_sentiment.config import Settings

CHAMPION, CHALLENGER = "champion", "challenger"


def configure(settings: Settings) -> str:
    """Sets the tracking URI and experiment; returns the experiment id."""
    if settings.mlflow_tracking_uri == "":
        settings.ensure_state_dir()
    # MLflow's alembic migrations log at INFO on every new SQLite/PostgreSQL store; keep the console clean.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    os.environ.setdefault("MLFLOW_ENABLE_ASYNC_LOGGING", "false")
    mlflow.set_tracking_uri(settings.resolved_mlflow_tracking_uri)
    mlflow.set_registry_uri(settings.resolved_mlflow_tracking_uri)
    # Without an explicit artifact location MLflow writes ./mlruns in the current directory.
    if mlflow.get_experiment_by_name(settings.mlflow_experiment) is None:
        mlflow.create_experiment(
            settings.mlflow_experiment, artifact_location=settings.resolved_mlflow_artifact_root
        )
    return mlflow.set_experiment(settings.mlflow_experiment).experiment_id


def register(model_uri: str, name: str, tags: dict | None = None) -> str:
    """Registers `model_uri` as a new version of `name`; returns the version."""
    version = mlflow.register_model(model_uri, name, tags=tags)
    return str(version.version)


def version_by_alias(name: str, alias: str) -> ModelVersion | None:
    """The model version `alias` points to (with its tags), or None when the alias (or the model) does
    not exist."""
    try:
        return MlflowClient().get_model_version_by_alias(name, alias)
    except MlflowException:
        return None


def alias_version(name: str, alias: str) -> str | None:
    """The version number `alias` points to, or None when the alias (or the model) does not exist."""
    version = version_by_alias(name, alias)
    return None if version is None else str(version.version)


def set_alias(name: str, alias: str, version: str) -> None:
    """Points `alias` of registered model `name` at `version` (raises MlflowException if it is absent)."""
    MlflowClient().set_registered_model_alias(name, alias, version)


def delete_alias(name: str, alias: str) -> None:
    """Removes `alias` from `name`; nothing happens when it is not set."""
    with contextlib.suppress(MlflowException):
        MlflowClient().delete_registered_model_alias(name, alias)
