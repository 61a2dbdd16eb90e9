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
    if not template.exists():
        pytest.skip(f"{template.name} is not written yet")
    validate(template, lint=True)  # raises LocalCloudError with sam's output above


def test_every_function_of_the_template_has_an_event():
    if not ROOT_TEMPLATE.exists():
        pytest.skip("template.yaml is not written yet")
    events = settings.REPO_ROOT / "events"
    for function in _functions(ROOT_TEMPLATE):
        matches = sorted(events.glob(f"{_snake(function)}*.json"))
        assert matches, f"no events/{_snake(function)}*.json for {function}"
        for path in matches:
            assert isinstance(json.loads(path.read_text()), dict), path
