"""template.yaml deploys: cfn-lint is clean, SAM translates it offline, every definition is valid ASL,
and every workflow follows the project's rules for Task states."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from cfnlint.api import lint
from samtranslator.translator.managed_policy_translator import ManagedPolicyLoader
from samtranslator.translator.transform import transform

from support import ROOT
from wattdesk_local.template import load_template

pytestmark = pytest.mark.integration

TEMPLATE = load_template(ROOT / "template.yaml")
STATE_MACHINES = {name: res for name, res in TEMPLATE["Resources"].items() if res["Type"] == "AWS::Serverless::StateMachine"}
FUNCTIONS = {name: res for name, res in TEMPLATE["Resources"].items() if res["Type"] == "AWS::Serverless::Function"}


def _definition(logical: str) -> dict[str, Any]:
    return json.loads((ROOT / STATE_MACHINES[logical]["Properties"]["DefinitionUri"]).read_text())


def _all_states(definition: dict[str, Any]):
    for name, state in definition["States"].items():
        yield name, state
        for branch in state.get("Branches", []):
            yield from _all_states(branch)
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if processor:
            yield from _all_states(processor)


def test_cfn_lint_is_clean():
    # The same rules as the `cfn-lint template.yaml` in make lint: errors and warnings.
    matches = lint((ROOT / "template.yaml").read_text())
    assert [str(match) for match in matches] == []


@pytest.mark.parametrize("logical", sorted(STATE_MACHINES))
def test_definition_is_valid_amazon_states_language(logical):
    # cfn-lint skips ASL inside SAM state machines; wrapped in a plain resource it checks it (E3601).
    substituted = json.loads(
        re.sub(r"\$\{(\w+)\}", "placeholder", (ROOT / STATE_MACHINES[logical]["Properties"]["DefinitionUri"]).read_text())
    )
    wrapper = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": {
            "Machine": {
                "Type": "AWS::StepFunctions::StateMachine",
                "Properties": {"RoleArn": "arn:aws:iam::123456789012:role/x", "Definition": substituted},
            }
        },
    }
    matches = lint(json.dumps(wrapper))
    assert [str(match) for match in matches if match.rule.id.startswith("E")] == []


def test_linting_a_wrapped_definition_does_catch_mistakes():
    broken = {"StartAt": "A", "States": {"A": {"Type": "Bogus", "End": True}}}
    wrapper = {"Resources": {"M": {"Type": "AWS::StepFunctions::StateMachine", "Properties": {"RoleArn": "arn:aws:iam::1:role/x", "Definition": broken}}}}
    assert any(match.rule.id == "E3601" for match in lint(json.dumps(wrapper)))


def test_sam_translates_the_template_offline(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    template = copy.deepcopy(TEMPLATE)
    for resource in template["Resources"].values():
        props = resource.get("Properties", {})
        for key in ("CodeUri", "ContentUri", "DefinitionUri"):
            if isinstance(props.get(key), str):
                props[key] = f"s3://bucket/{props[key].strip('/')}"
    translated = transform(template, {}, ManagedPolicyLoader(iam_client=None))
    kinds = {resource["Type"] for resource in translated["Resources"].values()}
    assert {"AWS::Lambda::Function", "AWS::StepFunctions::StateMachine", "AWS::ApiGateway::RestApi", "AWS::Scheduler::Schedule"} <= kinds
    schedule = next(r for r in translated["Resources"].values() if r["Type"] == "AWS::Scheduler::Schedule")
    assert schedule["Properties"]["ScheduleExpressionTimezone"] == "Europe/Brussels"


@pytest.mark.parametrize("logical", sorted(FUNCTIONS))
def test_every_function_has_its_handler_file(logical):
    props = FUNCTIONS[logical]["Properties"]
    module, attribute = props["Handler"].rsplit(".", 1)
    source = ROOT / props["CodeUri"] / f"{module}.py"
    assert source.is_file()
    assert f"def {attribute}(" in source.read_text()


@pytest.mark.parametrize("logical", sorted(STATE_MACHINES))
def test_substitutions_cover_every_placeholder(logical):
    text = (ROOT / STATE_MACHINES[logical]["Properties"]["DefinitionUri"]).read_text()
    placeholders = set(re.findall(r"\$\{(\w+)\}", text))
    assert placeholders == set(STATE_MACHINES[logical]["Properties"].get("DefinitionSubstitutions", {}))
    # No ARN, table or bucket name is written into a definition by hand.
    assert "arn:aws:lambda:" not in text and "arn:aws:dynamodb:" not in text


@pytest.mark.parametrize("logical", sorted(STATE_MACHINES))
def test_every_task_has_a_timeout_named_retries_and_a_catch(logical):
    definition = _definition(logical)
    catch_targets = {catch["Next"] for _, state in _all_states(definition) for catch in state.get("Catch", [])}
    for name, state in _all_states(definition):
        if state["Type"] != "Task":
            continue
        assert "TimeoutSeconds" in state, f"{name} has no TimeoutSeconds"
        assert state.get("Retry"), f"{name} has no Retry"
        # The failure-recording states are what the Catch routes lead to; everything else has a Catch.
        assert state.get("Catch") or name in catch_targets, f"{name} has no Catch"
        if "lambda:invoke" in state["Resource"] and not state["Resource"].endswith("waitForTaskToken"):
            named = {error for rule in state["Retry"] for error in rule["ErrorEquals"]}
            assert "States.ALL" not in named, f"{name} retries every error instead of named ones"


EXPRESS_MAX_SECONDS = 300


def _express_processors(definition: dict[str, Any]):
    for name, state in _all_states(definition):
        processor = state.get("ItemProcessor") or {}
        if (processor.get("ProcessorConfig") or {}).get("ExecutionType") == "EXPRESS":
            yield name, processor


@pytest.mark.parametrize(("logical", "map_name"), [("BillingRunStateMachine", "IssueInvoices"), ("DunningStateMachine", "ChaseCustomers")])
def test_billing_and_dunning_run_their_items_as_express_children(logical, map_name):
    # The cost choice of docs/performance.md: one Express request per invoice or customer chased
    # instead of 3-4 Standard transitions.
    assert [name for name, _ in _express_processors(_definition(logical))] == [map_name]


@pytest.mark.parametrize("logical", sorted(STATE_MACHINES))
def test_express_children_fit_in_five_minutes_and_wait_for_nobody(logical):
    """AWS stops an Express execution after 5 minutes and refuses callback and .sync tasks in it.
    Timeouts are not retried there (the retried errors are fast ones: throttling, Lambda service
    errors), so the slowest item, every task running to its timeout plus every retry interval,
    fits in the limit."""
    for map_name, processor in _express_processors(_definition(logical)):
        worst = 0.0
        for name, state in _all_states(processor):
            if state["Type"] != "Task":
                continue
            assert not state["Resource"].endswith((".waitForTaskToken", ".sync")), f"{map_name}/{name} waits in an Express child"
            for rule in state.get("Retry", []):
                assert not {"States.Timeout", "States.ALL"} & set(rule["ErrorEquals"]), f"{map_name}/{name} retries timeouts"
                interval, rate = rule.get("IntervalSeconds", 1), rule.get("BackoffRate", 2.0)
                worst += sum(interval * rate**attempt for attempt in range(rule.get("MaxAttempts", 3)))
            worst += state["TimeoutSeconds"]
        assert worst <= EXPRESS_MAX_SECONDS, f"{map_name}: an item can take {worst:.0f} s"


@pytest.mark.parametrize("logical", sorted(STATE_MACHINES))
def test_no_long_wait_states(logical):
    # Business time is modelled with sweeps on an as-of date, not with Wait states.
    for name, state in _all_states(_definition(logical)):
        if state["Type"] == "Wait":
            assert state.get("Seconds", 0) <= 10, f"{name} waits {state.get('Seconds')} s"
            assert not ({"Timestamp", "TimestampPath", "SecondsPath"} & state.keys()), name


def test_diagrams_in_docs_match_the_definitions():
    from wattdesk_local.diagrams import document

    for logical, resource in STATE_MACHINES.items():
        source = ROOT / resource["Properties"]["DefinitionUri"]
        name = Path(source).name.removesuffix(".asl.json")
        doc = ROOT / "docs" / "statemachines" / f"{name}.md"
        assert doc.is_file(), f"{doc} is missing: run make docs"
        assert doc.read_text() == document(name, json.loads(source.read_text())), f"{doc} is stale: run make docs"


def test_data_at_rest_is_encrypted_and_recoverable():
    resources = TEMPLATE["Resources"]
    for name, resource in resources.items():
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::DynamoDB::Table":
            assert props["SSESpecification"]["SSEEnabled"] is True, name
            assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True, name
            assert props["BillingMode"] == "PAY_PER_REQUEST", name
        if resource["Type"] == "AWS::S3::Bucket":
            assert props["BucketEncryption"], name
            assert all(props["PublicAccessBlockConfiguration"].values()), name


def test_template_is_plain_yaml_apart_from_cloudformation_tags():
    # Guards against tabs or anchors that SAM would read differently from the local runtime.
    text = (ROOT / "template.yaml").read_text()
    assert "\t" not in text
    assert not re.search(r"^\s*<<:", text, re.MULTILINE)
    assert isinstance(yaml.compose(text.replace("!", "")), yaml.MappingNode)


def test_layer_requirements_match_the_project_pins():
    import tomllib

    pinned = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    layer = [line for line in (ROOT / "layers/common/requirements.txt").read_text().splitlines() if line and not line.startswith("#")]
    assert layer == pinned
    assert all("==" in requirement for requirement in pinned)
