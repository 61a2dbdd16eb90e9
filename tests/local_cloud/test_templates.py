"""Templates pass `sam validate --lint` (offline), and events/ has an event for each function of
template.yaml (what `sam local invoke -e` and `python -m local_cloud invoke -e` take)."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from local_cloud import settings
from local_cloud.deploy import validate
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


def _aws_overrides() -> dict[str, str]:
    import tomllib

    config = tomllib.loads((settings.REPO_ROOT / "samconfig.toml").read_text())
    overrides = config["aws"]["deploy"]["parameters"]["parameter_overrides"]
    return dict(item.split("=", 1) for item in overrides)


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
        if str(spec.get("Default", "")) == ""
        or "00000000" in str(spec.get("Default"))
        or ":latest" in str(spec.get("Default"))
    }
    assert local_only | {"Stage", "LambdaRuntime"} <= set(overrides), local_only - set(overrides)
    assert overrides["Stage"] != "local"
    assert overrides["LambdaRuntime"] == parameters["LambdaRuntime"]["Default"]
    # the Lambdas reach MLflow over HTTPS, not a database URL that would need a VPC
    assert overrides["MlflowTrackingUri"].strip("<>").startswith("https://")
