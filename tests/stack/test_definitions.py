"""Static checks of template.yaml, the state machine definition and the shipped events."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from local_cloud.package_sizes import load_template
from review_sentiment.config import Thresholds
from review_sentiment.modeling.behaviour import DIR, INV, MFT
from review_sentiment.modeling.selection import Candidate, decide
from review_sentiment.pipeline import messages
from review_sentiment.pipeline.plan import PipelineConfig, RunRequest
from tests.support.stack import REPO_ROOT, training_result

ASL = json.loads((REPO_ROOT / "state_machine" / "training_pipeline.asl.json").read_text())
LAMBDA_RETRY = {"Lambda.ServiceException", "Lambda.TooManyRequestsException"}


class _IgnoreTags(yaml.SafeLoader):
    pass


_IgnoreTags.add_multi_constructor("!", lambda loader, suffix, node: f"!{suffix}")
TEMPLATE = yaml.load((REPO_ROOT / "template.yaml").read_text(), Loader=_IgnoreTags)


def all_states(states: dict) -> dict:
    found = dict(states)
    for state in states.values():
        if "ItemProcessor" in state:
            found.update(all_states(state["ItemProcessor"]["States"]))
    return found


def test_template_passes_cfn_lint():
    lint = subprocess.run(
        [str(Path(sys.executable).with_name("cfn-lint")), str(REPO_ROOT / "template.yaml")],
        capture_output=True,
        text=True,
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_every_substitution_in_the_definition_is_provided_and_used():
    machine = TEMPLATE["Resources"]["TrainingPipelineStateMachine"]["Properties"]
    provided = set(machine["DefinitionSubstitutions"])
    used = set(re.findall(r"\$\{(\w+)\}", json.dumps(ASL)))
    assert used == provided


def test_every_transition_targets_an_existing_state_and_names_are_pascal_case():
    for scope in [ASL["States"], ASL["States"]["TrainModels"]["ItemProcessor"]["States"]]:
        for name, state in scope.items():
            assert re.fullmatch(r"(?:[A-Z][a-z0-9]*)+", name), name
            targets = [state.get("Next"), state.get("Default")]
            targets += [c["Next"] for c in state.get("Catch", []) + state.get("Choices", [])]
            assert all(t in scope for t in targets if t), (name, targets)


def test_every_task_catches_everything_and_lambda_tasks_retry_transient_errors_with_a_timeout():
    for name, state in all_states(ASL["States"]).items():
        if state["Type"] not in ("Task", "Map"):
            continue
        catch_all = [c for c in state.get("Catch", []) if c["ErrorEquals"] == ["States.ALL"]]
        assert catch_all, f"{name} has no catch-all"
        expected = {"RecordFailure": "FailureNotRecorded", "TrainModelKind": "RecordKindFailed"}
        assert catch_all[0]["Next"] == expected.get(name, "RecordFailure"), name
        if state["Type"] == "Task":
            assert state.get("TimeoutSeconds"), f"{name} has no explicit timeout"
        if "lambda:invoke" in state.get("Resource", ""):
            retried = {e for r in state.get("Retry", []) for e in r["ErrorEquals"]}
            assert retried >= LAMBDA_RETRY, name
            assert all(
                r.get("BackoffRate", 1) >= 2 for r in state["Retry"] if "Lambda." in r["ErrorEquals"][0]
            )


def test_training_fans_out_with_bounded_concurrency_from_the_run():
    train = ASL["States"]["TrainModels"]
    assert train["MaxConcurrencyPath"] == "$.run.settings.max_concurrency"
    inner = train["ItemProcessor"]["States"]["TrainModelKind"]
    assert inner["Resource"].endswith(":states:::batch:submitJob.sync")
    for step in ("ValidateReviews", "PreprocessReviews"):
        assert ASL["States"][step]["Resource"].endswith(":states:::glue:startJobRun.sync")


def test_values_travel_typed_and_become_strings_only_where_a_service_takes_strings():
    """The run's settings are numbers in every message; Glue arguments and container environment values
    must be strings, so the state machine formats them there (no string copies in the plan)."""
    text = json.dumps(ASL)
    assert "_arg" not in text
    glue = ASL["States"]["ValidateReviews"]["Parameters"]["Arguments"]
    assert glue["--max_bad_fraction.$"] == "States.Format('{}', $.run.settings.max_bad_fraction)"
    train = ASL["States"]["TrainModels"]["ItemProcessor"]["States"]["TrainModelKind"]["Parameters"]
    [trials] = train["ContainerOverrides"]["Environment"]
    assert (trials["Name"], trials["Value.$"]) == (
        "SENTIMENT_TRIALS_PER_KIND",
        "States.Format('{}', $.trials_per_kind)",
    )
    # the gate's verdict is SelectBest's; the Choice only routes on it
    assert ASL["States"]["PromotionGate"]["Choices"][0]["Variable"] == "$.decision.selection.gate.passed"


def _resolve(document: dict, path: str):
    value = document
    for part in path.removeprefix("$.").split("."):
        value = value[part]
    return value


def _choose(state: dict, document: dict) -> str:
    """A tiny evaluator of the PromotionGate's operators, to check it agrees with the domain decision."""

    def holds(rule: dict) -> bool:
        if "And" in rule:
            return all(holds(r) for r in rule["And"])
        value = _resolve(document, rule["Variable"])
        if "BooleanEquals" in rule:
            return value is rule["BooleanEquals"]
        if "NumericGreaterThanEqualsPath" in rule:
            return value >= _resolve(document, rule["NumericGreaterThanEqualsPath"])
        raise AssertionError(f"operator not covered: {rule}")

    return next((c["Next"] for c in state["Choices"] if holds(c)), state["Default"])


@pytest.mark.parametrize(
    ("challenger_f1", "parity", "champion_f1", "expected"),
    [
        (0.80, True, None, "Promote"),  # first model
        (0.80, True, 0.75, "Promote"),  # better than the champion on the same split
        (0.75, True, 0.75, "RegisterChallenger"),  # a tie keeps the champion
        (0.70, True, 0.75, "RegisterChallenger"),  # worse
        (0.55, True, None, "RegisterChallenger"),  # under the configured minimum
        (0.80, False, None, "RegisterChallenger"),  # ONNX parity failed
        (0.90, True, None, "RegisterChallenger"),  # fails the behavioural minimum-functionality cases
    ],
)
def test_the_promotion_gate_agrees_with_the_domain_decision(challenger_f1, parity, champion_f1, expected):
    candidate = Candidate(**training_result("mlp", 0.8, challenger_f1, parity_passed=parity))
    passing = {"passed": 4, "total": 4, "pass_rate": 1.0, "failures": []}
    behaviour = {MFT: passing, INV: passing, DIR: passing}
    if challenger_f1 == 0.90:
        failures = ["'Awful.': expected negative"]
        behaviour[MFT] = {"passed": 3, "total": 4, "pass_rate": 0.75, "failures": failures}
    gate = decide(candidate, champion_f1, behaviour, Thresholds(latency_budget_ms=5.0, min_macro_f1=0.6))
    selection = {"best": candidate.model_dump(), "gate": gate.model_dump()}
    chosen = _choose(ASL["States"]["PromotionGate"], {"decision": {"selection": selection}})
    assert chosen == expected
    assert gate.passed is (expected == "Promote")


def test_the_template_configures_the_pipeline_with_its_model():
    """The SSM configuration the template writes, with each parameter's default, is a PipelineConfig."""
    template = load_template(REPO_ROOT / "template.yaml")
    text, _ = template["Resources"]["PipelineConfigParameter"]["Properties"]["Value"]["Fn::Sub"]
    defaults = {name: str(p.get("Default")) for name, p in template["Parameters"].items()}
    defaults["Kinds"] = '", "'.join(defaults["DefaultModelKinds"].split(","))
    config = PipelineConfig.model_validate_json(re.sub(r"\$\{(\w+)\}", lambda m: defaults[m.group(1)], text))
    assert config.thresholds.min_macro_f1 == float(template["Parameters"]["MinMacroF1"]["Default"])
    assert config.trials_per_kind == PipelineConfig().trials_per_kind  # one default, local and deployed


# The pipeline functions' sample events (events/, `make invoke`), each the message its step parses.
PIPELINE_EVENTS = {
    "prepare_run.json": messages.PrepareRunEvent,
    "select_best.json": messages.SelectBestEvent,
    "promote.json": messages.PromoteEvent,
    "record_outcome.json": messages.RecordOutcomeEvent,
    "record_outcome_kept.json": messages.RecordOutcomeEvent,
    "record_failure.json": messages.RecordFailureEvent,
    "record_failure_glue.json": messages.RecordFailureEvent,
}


@pytest.mark.parametrize(("name", "model"), PIPELINE_EVENTS.items(), ids=PIPELINE_EVENTS.keys())
def test_every_sample_event_is_the_message_its_step_parses(name, model):
    event = json.loads((REPO_ROOT / "events" / name).read_text())
    parsed = model.model_validate(event)
    if "run" in event.get("input", {}):  # what RecordFailure receives carries the planned run
        messages.RunPlan.model_validate(event["input"]["run"])
    assert not re.search(r'"\w+_arg"', json.dumps(event)), "no stringified copies for the state machine"
    assert _without_none(parsed.model_dump(mode="json")) == _without_none(event)  # nothing dropped


def _without_none(value):
    if isinstance(value, dict):
        return {k: _without_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_none(v) for v in value]
    return value


def test_the_documented_execution_inputs_are_valid():
    for name in ("training_pipeline_input.json", "prepare_run.json"):
        event = json.loads((REPO_ROOT / "events" / name).read_text())
        RunRequest.parse(event.get("request", event))
