"""Templates pass `sam validate --lint` (offline), and events/ has an event for each function of
template.yaml (what `sam local invoke -e` and `python -m local_cloud invoke -e` take)."""

from __future__ import annotations

import json
import re
import subprocess
import tomllib

import pytest
import yaml

from local_cloud import settings
from local_cloud.deploy import sam_executable, validate
from tests.local_cloud.conftest import PROBE_TEMPLATE

ROOT_TEMPLATE = settings.REPO_ROOT / "template.yaml"


class _CfnLoader(yaml.SafeLoader):
    """Reads CloudFormation short-form tags (!Ref, !Sub, ...) as plain values."""


_CfnLoader.add_multi_constructor("!", lambda loader, suffix, node: None)


def _functions(template) -> list[str]:
    resources = yaml.load(template.read_text(), Loader=_CfnLoader)["Resources"]
    return [name for name, res in resources.items() if res["Type"] == "AWS::Serverless::Function"]


def _snake(logical_id: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", logical_id.removesuffix("Function")).lower()


@pytest.mark.slow
@pytest.mark.parametrize("template", [PROBE_TEMPLATE, ROOT_TEMPLATE], ids=["probe", "template.yaml"])
def test_sam_validate_lint_passes(template):
    validate(template, lint=True)  # raises LocalCloudError with sam's output above


def test_every_function_of_the_template_has_an_event():
    events = settings.REPO_ROOT / "events"
    for function in _functions(ROOT_TEMPLATE):
        matches = sorted(events.glob(f"{_snake(function)}*.json"))
        assert matches, f"no events/{_snake(function)}*.json for {function}"
        for path in matches:
            assert isinstance(json.loads(path.read_text()), dict), path


SAMCONFIG = settings.REPO_ROOT / "samconfig.toml"
# Parameters whose empty default means "derived at deploy time" or "not wanted" (not "fill me in"):
# MlflowArtifactRoot (s3://<models bucket>/mlflow), DriftSchedule (the stage's rate), AlarmEmail (no
# email subscription to the alarm topic).
DERIVED_WHEN_EMPTY = {"MlflowArtifactRoot", "DriftSchedule", "AlarmEmail"}


def _aws_overrides() -> dict[str, str]:
    """samconfig.toml's `aws` overrides as SAM CLI's own config reader resolves them (its interpreter)."""
    sam_python = sam_executable().parent / "python"
    reader = settings.REPO_ROOT / "tests" / "support" / "samconfig_overrides.py"
    done = subprocess.run([sam_python, reader, SAMCONFIG, "aws"], capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"SAM CLI refuses samconfig.toml's aws overrides:\n{done.stderr[-1500:]}"
    return json.loads(done.stdout)


def test_every_aws_override_reaches_the_template_whole():
    # GIVEN the overrides as written in samconfig.toml and as SAM CLI resolves them
    written = tomllib.loads(SAMCONFIG.read_text())["aws"]["deploy"]["parameters"]["parameter_overrides"]
    resolved = _aws_overrides()
    # THEN each written KEY=value arrives with its full value (spaces included), and none is empty
    for item in written:
        name, value = item.split("=", 1)
        assert resolved.get(name) == value.strip('"'), (item, resolved.get(name))
        assert resolved[name].strip(), f"{name} is empty: SAM CLI aborts on `{name}=`"


def test_the_aws_environment_names_every_parameter_a_real_deploy_needs():
    # GIVEN the template's parameters and samconfig.toml's `aws` environment
    parameters = yaml.load(ROOT_TEMPLATE.read_text(), Loader=_CfnLoader)["Parameters"]
    overrides = _aws_overrides()
    # THEN it names only real parameters, and every one whose default fits only the local cloud: an empty
    # default, a placeholder network, a local image tag, or the local stage
    assert set(overrides) <= set(parameters), set(overrides) - set(parameters)
    local_only = {
        name
        for name, spec in parameters.items()
        if (str(spec.get("Default", "")) == "" and name not in DERIVED_WHEN_EMPTY)
        or "00000000" in str(spec.get("Default"))
        or ":latest" in str(spec.get("Default"))
    }
    assert local_only | {"Stage", "LambdaRuntime"} <= set(overrides), local_only - set(overrides)
    assert overrides["Stage"] != "local"
    assert overrides["LambdaRuntime"] == parameters["LambdaRuntime"]["Default"]
    # the Lambdas reach MLflow over HTTPS, not a database URL that would need a VPC
    assert overrides["MlflowTrackingUri"].strip("<>").startswith("https://")
