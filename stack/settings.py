"""Where the stack's local state lives and the template parameters a local deploy sets."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = REPO_ROOT / "template.yaml"
SHIPPED_REVIEWS = REPO_ROOT / "data" / "hutto_amazon_kindle_schema.jsonl.gz"
GLUE_SCRIPTS = REPO_ROOT / "glue_jobs"
DOMAIN_PACKAGE = REPO_ROOT / "review_sentiment"

ENV_STATE_DIR = "STACK_STATE_DIR"  # MLflow store of the local stack (default .state/stack)
ENV_STACK_NAME = "STACK_NAME"


@dataclass(frozen=True)
class StackSettings:
    stack_name: str = "review-sentiment"
    state_dir: Path = REPO_ROOT / ".state" / "stack"
    resource_prefix: str = "review-sentiment"
    stage: str = "local"

    @classmethod
    def from_env(cls, **overrides) -> StackSettings:
        values = {}
        if raw := os.environ.get(ENV_STATE_DIR):
            values["state_dir"] = Path(raw).resolve()
        if raw := os.environ.get(ENV_STACK_NAME):
            values["stack_name"] = raw
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    @property
    def mlflow_tracking_uri(self) -> str:
        # Absolute path: the Lambdas and training jobs run in other working directories.
        return f"sqlite:///{self.state_dir / 'mlflow.db'}"

    @property
    def mlflow_artifact_root(self) -> str:
        return (self.state_dir / "mlflow-artifacts").as_uri()

    def parameter_overrides(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {
            "ResourcePrefix": self.resource_prefix,
            "Stage": self.stage,
            "MlflowTrackingUri": self.mlflow_tracking_uri,
            "MlflowArtifactRoot": self.mlflow_artifact_root,
            **(extra or {}),
        }
