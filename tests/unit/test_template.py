"""The local runtime reads template.yaml the way CloudFormation and SAM do."""

from pathlib import Path

import pytest

from support import ROOT
from wattdesk_local.template import ACCOUNT_ID, REGION, Template, TemplateError, load_template

pytestmark = pytest.mark.unit


def test_short_form_tags_become_intrinsic_functions(tmp_path: Path):
    path = tmp_path / "template.yaml"
    path.write_text(
        "Resources:\n"
        "  T:\n    Type: AWS::DynamoDB::Table\n    Properties: {}\n"
        "  Q:\n    Type: AWS::SQS::Queue\n    Properties:\n"
        "      Tags:\n        - {Key: a, Value: !Ref T}\n        - {Key: b, Value: !GetAtt T.Arn}\n        - {Key: c, Value: !Sub '${AWS::StackName}-x'}\n"
    )
    tags = load_template(path)["Resources"]["Q"]["Properties"]["Tags"]
    assert [tag["Value"] for tag in tags] == [{"Ref": "T"}, {"Fn::GetAtt": ["T", "Arn"]}, {"Fn::Sub": "${AWS::StackName}-x"}]


def test_project_template_resolves_every_reference():
    template = Template(ROOT / "template.yaml")
    props = template.properties("PingStateMachine")
    substitutions = template.resolve(props["DefinitionSubstitutions"])
    assert substitutions["TableName"] == "wattdesk-WattDeskTable"
    assert substitutions["PingTasksFunctionArn"] == f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:wattdesk-PingTasksFunction"
    assert template.resolve(props["Name"]) == "wattdesk-Ping"


def test_functions_get_the_globals_merged_with_their_own_settings():
    template = Template(ROOT / "template.yaml")
    props = template.properties("PingApiFunction")
    variables = template.resolve(props["Environment"]["Variables"])
    assert variables["TABLE_NAME"] == "wattdesk-WattDeskTable"  # from Globals
    assert variables["PING_STATE_MACHINE_ARN"].endswith(":stateMachine:wattdesk-Ping")  # its own
    assert props["Runtime"] == "python3.12" and props["Architectures"] == ["arm64"]


def test_parameter_overrides_win_over_defaults():
    template = Template(ROOT / "template.yaml", {"SenderAddress": "billing@supplier.example"})
    variables = template.resolve(template.properties("PingTasksFunction")["Environment"]["Variables"])
    assert variables["SENDER_ADDRESS"] == "billing@supplier.example"


def test_unknown_reference_is_an_error():
    template = Template(ROOT / "template.yaml")
    with pytest.raises(TemplateError, match="NoSuchThing"):
        template.resolve({"Ref": "NoSuchThing"})
