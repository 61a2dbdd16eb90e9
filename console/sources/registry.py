"""The model registry (MLflow), the champion pointer (SSM) and each version's pipeline record (S3).

- `model_versions`: every registered version with its aliases (champion/challenger), tags (model kind,
  the pipeline run that made it, test macro-F1), and the metrics and hyperparameters of the MLflow run
  that logged it.
- `model_card`: the `model_card.md` artifact of a run.
- `champion_pointer`: the JSON the serving path reads (`/<prefix>/<stage>/champion`), as it is.
- `run_outcome`: `runs/<run id>/outcome.json` of the models bucket (gate, behavioural test results).

`mlflow_client` is an `mlflow.MlflowClient` on the stack's tracking store; `ssm`, `s3` boto3 clients.
"""

from __future__ import annotations

import json
import tempfile
from datetime import UTC, datetime
from pathlib import Path

MODEL_CARD = "model_card.md"


def champion_pointer(ssm, parameter_name: str) -> dict | None:
    """The champion pointer's JSON (None when nothing was promoted yet)."""
    try:
        value = ssm.get_parameter(Name=parameter_name)["Parameter"]["Value"]
    except ssm.exceptions.ParameterNotFound:
        return None
    pointer = json.loads(value)
    return pointer if isinstance(pointer, dict) else None


def _when(ms) -> str | None:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="seconds") if ms else None


def model_versions(mlflow_client, model_name: str) -> list[dict]:
    """Every version of `model_name`, newest first: version, aliases, status, created, tags, the MLflow
    run (id, metrics, params). An empty list when the model is not registered yet."""
    from mlflow.exceptions import MlflowException

    try:
        model = mlflow_client.get_registered_model(model_name)
    except MlflowException:
        return []
    aliases_of: dict[str, list[str]] = {}
    for alias, version in (model.aliases or {}).items():
        aliases_of.setdefault(str(version), []).append(alias)
    rows = []
    for version in mlflow_client.search_model_versions(f"name='{model_name}'"):
        metrics, params = {}, {}
        if version.run_id:
            try:
                run = mlflow_client.get_run(version.run_id)
                metrics, params = dict(run.data.metrics), dict(run.data.params)
            except MlflowException:
                pass  # the run was deleted: the version still shows
        rows.append(
            {
                "version": str(version.version),
                "aliases": sorted(aliases_of.get(str(version.version), [])),
                "status": version.status,
                "created": _when(version.creation_timestamp),
                "tags": dict(version.tags or {}),
                "mlflow_run_id": version.run_id or "",
                "metrics": metrics,
                "params": params,
            }
        )
    rows.sort(key=lambda r: int(r["version"]) if r["version"].isdigit() else 0, reverse=True)
    return rows


def model_card(mlflow_client, run_id: str) -> str | None:
    """The run's model card (markdown), or None when the run has none."""
    if not run_id:
        return None
    with tempfile.TemporaryDirectory() as folder:
        try:
            path = mlflow_client.download_artifacts(run_id, MODEL_CARD, folder)
        except Exception:  # MlflowException or OSError: no card for this run
            return None
        return Path(path).read_text()


def run_outcome(s3, models_bucket: str, run_id: str) -> dict | None:
    """The pipeline run's record (`runs/<run id>/outcome.json`), or None when it has none."""
    if not run_id:
        return None
    try:
        body = s3.get_object(Bucket=models_bucket, Key=f"runs/{run_id}/outcome.json")["Body"].read()
    except s3.exceptions.NoSuchKey:
        return None
    record = json.loads(body)
    return record if isinstance(record, dict) else None


def behaviour_rows(outcome: dict | None) -> list[dict]:
    """The behavioural test results of a run record: one row per test type (pass rate), as recorded."""
    gate = (outcome or {}).get("gate") or {}
    rates = gate.get("behaviour_pass_rates") or {}
    minimum = gate.get("min_behaviour_pass_rates") or {}
    return [{"test": name, "pass rate": rate, "required": minimum.get(name)} for name, rate in rates.items()]
