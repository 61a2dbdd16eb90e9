"""The console's pages run headless (Streamlit's AppTest) against a stack in moto (CloudFormation outputs,
SSM pointer, drift reports, executions), a real MLflow store in a temporary folder, and local stand-ins
for the API and Prometheus; then with every part down, where each page must fail soft: one line per
panel, never an exception."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from console.context import Console, ConsoleSettings
from local_cloud.controller import free_port
from tests.support.console import fake_api, fake_prometheus

CHAMPION_PARAMETER = "/rs/test/champion"
ASSUME_ROLE = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}
TEMPLATE = {
    "Parameters": {"MlflowTrackingUri": {"Type": "String", "NoEcho": True}},
    "Resources": {
        "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "models"}},
        "PromoteRole": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": ASSUME_ROLE}},
        # the console finds the tracking store where the Promote function writes (the parameter is NoEcho)
        "PromoteFunction": {
            "Type": "AWS::Lambda::Function",
            "Properties": {
                "Runtime": "python3.12",
                "Handler": "app.lambda_handler",
                "Role": {"Fn::GetAtt": ["PromoteRole", "Arn"]},
                "Code": {"ZipFile": "def lambda_handler(event, context):\n    return event\n"},
                "Environment": {"Variables": {"SENTIMENT_MLFLOW_TRACKING_URI": {"Ref": "MlflowTrackingUri"}}},
            },
        },
    },
    "Outputs": {
        "ChampionParameterName": {"Value": CHAMPION_PARAMETER},
        "ModelsBucketName": {"Value": "models"},
        "DriftReportsBucketName": {"Value": "reports"},
        "TrainingPipelineStateMachineArn": {
            "Value": "arn:aws:states:us-east-1:123456789012:stateMachine:rs-sm"
        },
        "InferenceApiId": {"Value": "api1"},
        "StageName": {"Value": "stage"},
    },
}


def run_page(page: str, ctx) -> None:
    """The AppTest script: one page of the console, rendered with the given Console."""
    import importlib

    importlib.import_module(f"console.views.{page}").render(ctx)


def app(page: str, ctx: Console) -> AppTest:
    return AppTest.from_function(run_page, args=(page, ctx), default_timeout=60).run()


def mlflow_store(uri: str, artifacts: Path) -> str:
    """A registry with version 1 (the champion) made by a run with metrics and hyperparameters."""
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    experiment = client.create_experiment("review-sentiment", artifact_location=artifacts.as_uri())
    run = client.create_run(experiment)
    client.log_metric(run.info.run_id, "test_macro_f1", 0.81)
    client.log_param(run.info.run_id, "final.C", "3.0")
    client.log_text(run.info.run_id, "# Model card: review sentiment, logreg", "model_card.md")
    client.create_registered_model("review-sentiment")
    client.create_model_version(
        "review-sentiment",
        "file:///tmp/model",
        run.info.run_id,
        tags={"model_kind": "logreg", "run_id": "run-1"},
    )
    client.set_registered_model_alias("review-sentiment", "champion", "1")
    return run.info.run_id


@pytest.fixture(scope="module")
def mlflow_uri(tmp_path_factory) -> tuple[str, str]:
    """(tracking URI, MLflow run id of version 1): made once, read by every page test."""
    folder = tmp_path_factory.mktemp("mlflow")
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    return uri, mlflow_store(uri, folder / "artifacts")


@pytest.fixture
def deployed(moto_aws, mlflow_uri, json_server):
    """A Console on the moto stack, with the API and Prometheus stand-ins and a real MLflow store."""
    uri, mlflow_run = mlflow_uri
    moto_aws("cloudformation").create_stack(
        StackName="rs",
        TemplateBody=json.dumps(TEMPLATE),
        Parameters=[{"ParameterKey": "MlflowTrackingUri", "ParameterValue": uri}],
    )
    s3 = moto_aws("s3")
    s3.create_bucket(Bucket="reports")
    pointer = {
        "model_name": "review-sentiment",
        "version": "1",
        "model_kind": "logreg",
        "test_macro_f1": 0.81,
        "run_id": "run-1",
        "mlflow_run_id": mlflow_run,
        "promoted_at": "2026-12-04T08:00:00+00:00",
        "metrics": {"test_macro_f1": 0.81, "test_accuracy": 0.84},
        "previous": None,
    }
    moto_aws("ssm").put_parameter(Name=CHAMPION_PARAMETER, Value=json.dumps(pointer), Type="String")
    report = {
        "window": {"id": "20261204T0800Z-2m", "start": "2026-12-04T08:00:00+00:00"},
        "rows": 600,
        "decision": "warn",
        "reasons": ["text_len PSI 0.120"],
        "max_psi": 0.12,
        "features": {"text_len": {"status": "scored", "psi": 0.12}},
        "prediction": {"status": "scored", "psi": 0.03},
        "text": {"status": "scored", "score": 0.1},
        "evaluations": {
            "count": 2,
            "shown_because": "newest",
            "listed": [
                {
                    "evaluated_at": "2026-12-04T08:03:00+00:00",
                    "decision": "none",
                    "retraining": "not_drifted",
                },
                {
                    "evaluated_at": "2026-12-04T08:04:00+00:00",
                    "decision": "warn",
                    "retraining": "not_drifted",
                },
            ],
        },
    }
    s3.put_object(
        Bucket="reports",
        Key="reports/2026/12/04/20261204T0800Z-2m/drift_report.json",
        Body=json.dumps(report),
    )
    api = json_server(fake_api(version="1"))
    prom = json_server(fake_prometheus)
    settings = ConsoleSettings(
        stack_name="rs", model_name="review-sentiment", prometheus_url=prom.url, api_url=api.url + "/stage"
    )
    return Console(settings, client=moto_aws)


def warnings_of(at: AppTest) -> list[str]:
    return [w.value for w in at.warning]


def test_predict_shows_the_answer_the_model_version_and_the_curl(deployed):
    at = app("predict", deployed)
    at.text_area[0].input("A good book")
    at.selectbox[0].select(5)
    at.button[0].click().run()
    assert not at.exception and not warnings_of(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Label"] == "positive" and metrics["Model version"] == "1"
    assert any("review-sentiment version 1" in m.value for m in at.markdown)
    assert '"overall": 5.0' in at.code[0].value and "/stage/predict" in at.code[0].value


def test_model_shows_the_pointer_the_registry_and_its_card(deployed):
    at = app("model", deployed)
    assert not at.exception and not warnings_of(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Champion version"] == "1" and metrics["Previous version"] == "none"
    assert any("Aliases: champion → version 1" in m.value for m in at.markdown)
    assert any("the API serves version **1**" in m.value for m in at.markdown)
    assert any("Model card: review sentiment, logreg" in m.value for m in at.markdown)
    assert any("Nothing to roll back to" in c.value for c in at.caption)


def test_drift_shows_the_latest_window_and_its_scores(deployed):
    at = app("drift", deployed)
    assert not at.exception and not warnings_of(at)
    assert any(s.value == "Latest window 20261204T0800Z-2m" for s in at.subheader)
    assert {m.label: m.value for m in at.metric}["Decision"] == "warn"
    assert any("carry no model-quality section" in c.value for c in at.caption)
    assert [e.label for e in at.expander] == ["Evaluations of this window (2; shown: the newest)"]


def test_pipeline_without_executions_says_how_to_start_one(deployed, moto_aws):
    definition = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}})
    moto_aws("stepfunctions").create_state_machine(
        name="rs-sm", definition=definition, roleArn="arn:aws:iam::123456789012:role/r"
    )
    at = app("pipeline", deployed)
    assert not at.exception and not warnings_of(at)
    assert any("`make run` starts one" in i.value for i in at.info)


def test_service_shows_the_slo_panels_and_the_alerts(deployed):
    at = app("service", deployed)
    assert not at.exception and not warnings_of(at)
    assert {m.label: m.value for m in at.metric}["p99 rs-api"] == "48 ms"
    assert any("ApiLatencyP99High" in e.value for e in at.error)


@pytest.mark.parametrize("page", ["predict", "model", "drift", "pipeline", "service"])
def test_with_every_part_down_each_page_says_so_in_one_line_per_panel(page, moto_aws):
    closed = f"http://127.0.0.1:{free_port()}"
    settings = ConsoleSettings(stack_name="rs", model_name="review-sentiment", prometheus_url=closed)
    at = app(page, Console(settings, client=moto_aws))  # no stack deployed, nothing listening
    assert not at.exception
    lines = warnings_of(at)
    assert lines and all(": unavailable: " in line and "\n" not in line for line in lines), lines
    assert any("make run" in line for line in lines), lines
