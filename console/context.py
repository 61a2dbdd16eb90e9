"""What the console reads the stack through: its settings (environment variables, read once) and the
clients, created lazily so that a part that is down costs only its own panels.

Environment variables (`make ui` sets them for the local stack):
  STACK_NAME                      the CloudFormation stack (default review-sentiment); its outputs name the
                                  buckets, parameters and the state machine
  AWS_ENDPOINT_URL                the local cloud (boto3 reads it itself; unset on AWS)
  CONSOLE_API_URL                 the inference API's base URL (default: from the stack's outputs)
  CONSOLE_PROMETHEUS_URL          Prometheus (default http://127.0.0.1:$PROMETHEUS_PORT, port 9090)
  SENTIMENT_MLFLOW_TRACKING_URI   the MLflow tracking store (default: the one the stack's Promote
                                  function writes to, read from its environment: the template's
                                  MlflowTrackingUri parameter is NoEcho, so CloudFormation masks it)
  SENTIMENT_REGISTERED_MODEL_NAME the registered model (review_sentiment.config.Settings)
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from review_sentiment import aws
from review_sentiment.config import Settings
from stack.settings import ENV_STACK_NAME, StackSettings

ENV_API_URL = "CONSOLE_API_URL"
ENV_API_KEY = "CONSOLE_API_KEY"  # else the stack's own key (InferenceApiKeyId), read with AWS credentials
ENV_PROMETHEUS_URL = "CONSOLE_PROMETHEUS_URL"
ENV_PROMETHEUS_PORT = "PROMETHEUS_PORT"  # stack.metrics starts Prometheus there
ENV_ENDPOINT_URL = "AWS_ENDPOINT_URL"
ENV_TRACKING_URI = "SENTIMENT_MLFLOW_TRACKING_URI"
PROMOTE_FUNCTION = "PromoteFunction"  # the template's function that writes the registry


class StackNotFound(LookupError):
    """The stack is not deployed where the clients point; the message says what to run."""


class TrackingStoreMissing(LookupError):
    """The MLflow tracking store does not exist yet; the message says what makes it."""


@dataclass(frozen=True)
class ConsoleSettings:
    """Where the console looks (see the module doc for the variables); `from_env` reads them once."""

    stack_name: str
    model_name: str
    prometheus_url: str
    api_url: str | None = None
    api_key: str | None = None
    endpoint_url: str | None = None  # the local cloud; None on AWS
    mlflow_tracking_uri: str | None = None  # None: the Promote function's (see tracking_uri)
    region: str = aws.DEFAULT_REGION

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> ConsoleSettings:
        env = os.environ if environ is None else environ
        port = env.get(ENV_PROMETHEUS_PORT, "9090")
        return cls(
            stack_name=env.get(ENV_STACK_NAME) or StackSettings().stack_name,
            model_name=Settings.from_env(env).registered_model_name,
            prometheus_url=env.get(ENV_PROMETHEUS_URL) or f"http://127.0.0.1:{port}",
            api_url=env.get(ENV_API_URL) or None,
            api_key=env.get(ENV_API_KEY) or None,
            endpoint_url=env.get(ENV_ENDPOINT_URL) or None,
            region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or aws.DEFAULT_REGION,
            mlflow_tracking_uri=env.get(ENV_TRACKING_URI) or None,
        )


class Console:
    """The settings plus lazily made clients. `client(service)` makes a boto3 client (default: the
    product's `review_sentiment.aws.client`); `mlflow_client()` an MLflow client on the tracking store.
    Tests pass their own."""

    def __init__(
        self,
        settings: ConsoleSettings,
        client: Callable[[str], object] = aws.client,
        mlflow_client: Callable[[], object] | None = None,
    ) -> None:
        self.settings = settings
        self.client = client
        self._mlflow_client = mlflow_client
        self._stack: dict | None = None
        self._tracking_uri: str | None = None

    def _description(self) -> dict:
        """The stack's DescribeStacks entry (read once; until the stack exists, every call asks again)."""
        if self._stack is None:
            cfn = self.client("cloudformation")
            try:
                self._stack = cfn.describe_stacks(StackName=self.settings.stack_name)["Stacks"][0]
            except cfn.exceptions.ClientError as exc:
                where = self.settings.endpoint_url or "AWS"
                raise StackNotFound(
                    f"stack {self.settings.stack_name} is not deployed at {where} "
                    f"({exc.response['Error'].get('Message', exc)}): run `make run`"
                ) from None
        return self._stack

    def outputs(self) -> dict[str, str]:
        """The stack's outputs (bucket names, parameter names, the state machine, the API)."""
        return {o["OutputKey"]: o["OutputValue"] for o in self._description().get("Outputs", [])}

    def tracking_uri(self) -> str:
        """The MLflow tracking store: SENTIMENT_MLFLOW_TRACKING_URI, else the one the stack's Promote function
        registers models in (its SENTIMENT_MLFLOW_TRACKING_URI; Lambda GetFunctionConfiguration)."""
        if self.settings.mlflow_tracking_uri:
            return self.settings.mlflow_tracking_uri
        if self._tracking_uri is None:
            cfn = self.client("cloudformation")
            try:
                function = cfn.describe_stack_resource(
                    StackName=self.settings.stack_name, LogicalResourceId=PROMOTE_FUNCTION
                )["StackResourceDetail"]["PhysicalResourceId"]
            except cfn.exceptions.ClientError as exc:
                raise StackNotFound(
                    f"no {PROMOTE_FUNCTION} in stack {self.settings.stack_name} "
                    f"({exc.response['Error'].get('Message', exc)}): run `make run`"
                ) from None
            configuration = self.client("lambda").get_function_configuration(FunctionName=function)
            uri = ((configuration.get("Environment") or {}).get("Variables") or {}).get(ENV_TRACKING_URI)
            if not uri:
                raise StackNotFound(f"{function} has no {ENV_TRACKING_URI}: set it for the console")
            self._tracking_uri = uri
        return self._tracking_uri

    def output(self, key: str) -> str:
        """One output of the stack; StackNotFound (saying what to run) when the stack or output is missing."""
        outputs = self.outputs()
        if key not in outputs:
            raise StackNotFound(
                f"stack {self.settings.stack_name} has no output {key}: redeploy it (`make run`)"
            )
        return outputs[key]

    @property
    def api_url(self) -> str:
        """The API's base URL: CONSOLE_API_URL, else the local cloud's form of the stack's API, else the
        InferenceApiUrl output (AWS)."""
        if self.settings.api_url:
            return self.settings.api_url.rstrip("/")
        if self.settings.endpoint_url:
            from stack.deployment import DeployedStack

            return DeployedStack(self.outputs(), self.settings.endpoint_url.rstrip("/")).api_base_url
        return self.output("InferenceApiUrl").rstrip("/")

    @property
    def api_key(self) -> str | None:
        """The x-api-key the console sends: CONSOLE_API_KEY, else the stack's API key (None for a stack
        that has none, or a CONSOLE_API_URL of an API outside the stack)."""
        if self.settings.api_key or self.settings.api_url:
            return self.settings.api_key
        key_id = self.outputs().get("InferenceApiKeyId")
        if not key_id:
            return None
        return aws.client("apigateway").get_api_key(apiKey=key_id, includeValue=True)["value"]

    def mlflow(self):
        """An MLflow client on the tracking store. Raises TrackingStoreMissing for a SQLite store whose
        file does not exist (opening it would create an empty store)."""
        if self._mlflow_client is None:
            from mlflow import MlflowClient

            uri = self.tracking_uri()
            if uri.startswith("sqlite:///") and not Path(uri.removeprefix("sqlite:///")).exists():
                raise TrackingStoreMissing(
                    f"no MLflow tracking store at {uri.removeprefix('sqlite:///')} yet: `make run` makes it"
                )
            client = MlflowClient(tracking_uri=uri, registry_uri=uri)
            self._mlflow_client = lambda: client
        return self._mlflow_client()
