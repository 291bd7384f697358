"""A resource added to template.yaml is created and run by the local runtime with no change to the
runtime: it knows nothing about WattDesk's resources except what the template says."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap

import pytest
import yaml

from support import ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("server")]

EXTRA_RESOURCES = """
  ExtraTable:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
  ExtraQueue:
    Type: AWS::SQS::Queue
  HelloFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/hello/
      Handler: app.handler
      Environment:
        Variables:
          EXTRA_TABLE: !Ref ExtraTable
      Events:
        Hello:
          Type: Api
          Properties: {RestApiId: !Ref WattDeskApi, Path: "/hello/{name}", Method: get}
  HelloStateMachine:
    Type: AWS::Serverless::StateMachine
    Properties:
      DefinitionUri: statemachines/hello.asl.json
      DefinitionSubstitutions:
        HelloFunctionArn: !GetAtt HelloFunction.Arn
      Events:
        Daily:
          Type: ScheduleV2
          Properties:
            ScheduleExpression: cron(30 7 * * ? *)
            ScheduleExpressionTimezone: Europe/Brussels
            Input: '{"as_of": "<aws.scheduler.scheduled-time>"}'
"""

HELLO_HANDLER = '''
import json, os
import boto3

def handler(event, context):
    if "httpMethod" in event:
        return {"statusCode": 200, "body": json.dumps({"hello": event["pathParameters"]["name"], "function": context.function_name})}
    boto3.client("dynamodb").put_item(TableName=os.environ["EXTRA_TABLE"], Item={"id": {"S": event["as_of"]}})
    return {"stored": event["as_of"]}
'''

HELLO_DEFINITION = {
    "StartAt": "Store",
    "States": {
        "Store": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "${HelloFunctionArn}", "Payload.$": "$"},
            "TimeoutSeconds": 10,
            "End": True,
        }
    },
}

PROBE = textwrap.dedent(
    """
    import json, sys
    from datetime import datetime, UTC
    from pathlib import Path
    from wattdesk_local.runtime import LocalRuntime, RuntimeOptions

    runtime = LocalRuntime(RuntimeOptions(project_root=Path(sys.argv[1]), start_time=datetime(2027, 1, 1, 8, tzinfo=UTC))).start()
    result = {
        "tables": runtime.client("dynamodb").list_tables()["TableNames"],
        "queues": runtime.client("sqs").list_queues()["QueueUrls"],
        "hello": runtime.handle_api("GET", "/hello/camille").json(),
        "ping": runtime.handle_api("POST", "/pings", {}, {"email": "a@example.org"}).status,
        "fired": [f.schedule for f in runtime.advance(days=1)],
    }
    runtime.wait_until_settled()
    result["stored"] = runtime.client("dynamodb").scan(TableName="wattdesk-ExtraTable")["Items"]
    result["statuses"] = sorted({(e["stateMachine"], e["status"]) for e in runtime.executions()})
    runtime.stop()
    print(json.dumps(result))
    """
)


def test_resources_added_to_the_template_are_created_and_run(tmp_path):
    project = tmp_path / "project"
    for part in ("functions", "statemachines", "layers"):
        shutil.copytree(ROOT / part, project / part, ignore=shutil.ignore_patterns("__pycache__"))
    template_text = (ROOT / "template.yaml").read_text().replace("\nOutputs:", EXTRA_RESOURCES + "\nOutputs:", 1)
    (project / "template.yaml").write_text(template_text)
    (project / "functions" / "hello").mkdir()
    (project / "functions" / "hello" / "app.py").write_text(HELLO_HANDLER)
    (project / "statemachines" / "hello.asl.json").write_text(json.dumps(HELLO_DEFINITION))
    assert "HelloFunction" in yaml.safe_load(template_text.replace("!", ""))["Resources"]

    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'layers' / 'common'}:{ROOT / 'local'}"}
    completed = subprocess.run([sys.executable, "-c", PROBE, str(project)], capture_output=True, text=True, env=env, timeout=180, check=False)
    assert completed.returncode == 0, completed.stderr[-3000:]
    result = json.loads(completed.stdout.strip().splitlines()[-1])

    assert "wattdesk-ExtraTable" in result["tables"]
    assert any(url.endswith("/wattdesk-ExtraQueue") for url in result["queues"])
    # Two handlers both called app.py, each loaded as its own module.
    assert result["hello"] == {"hello": "camille", "function": "wattdesk-HelloFunction"}
    assert result["ping"] == 202
    assert "HelloStateMachine-Daily" in result["fired"]
    assert result["stored"] == [{"id": {"S": "2027-01-02T06:30:00Z"}}]
    assert ["HelloStateMachine", "SUCCEEDED"] in result["statuses"]
