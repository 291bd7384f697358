"""template.yaml is hardened (issue 12, "Privacy and security"): least privilege per function and state
machine, encryption at rest, point-in-time recovery, dead-letter queues on every asynchronous invocation
and alarms on DLQ depth and on failed executions. docs/security.md explains each rule and its exceptions."""

from __future__ import annotations

from typing import Any

import pytest

from support import ROOT
from wattdesk_local.template import load_template

pytestmark = pytest.mark.integration

TEMPLATE = load_template(ROOT / "template.yaml")
RESOURCES: dict[str, dict[str, Any]] = TEMPLATE["Resources"]


def _of(kind: str) -> dict[str, dict[str, Any]]:
    return {name: res for name, res in RESOURCES.items() if res["Type"] == kind}


FUNCTIONS = _of("AWS::Serverless::Function")
STATE_MACHINES = _of("AWS::Serverless::StateMachine")
QUEUES = _of("AWS::SQS::Queue")
ALARMS = _of("AWS::CloudWatch::Alarm")

DATA_SERVICES = {"dynamodb", "s3", "ses", "states"}
# IAM has no resource type for these: the task token is the authorisation, so the Resource is "*".
TOKEN_ACTIONS = {"states:SendTaskSuccess", "states:SendTaskFailure", "states:SendTaskHeartbeat"}
# SAM policy templates allowed, each scoped by the parameter named here (never "*").
SCOPED_TEMPLATES = {
    "DynamoDBCrudPolicy": "TableName",
    "DynamoDBReadPolicy": "TableName",
    "DynamoDBWritePolicy": "TableName",
    "S3CrudPolicy": "BucketName",
    "S3ReadPolicy": "BucketName",
    "S3WritePolicy": "BucketName",
    "SESCrudPolicy": "IdentityName",
    "SESSendBouncePolicy": "IdentityName",
    "StepFunctionsExecutionPolicy": "StateMachineName",
    "LambdaInvokePolicy": "FunctionName",
    "SQSSendMessagePolicy": "QueueName",
}
ASYNC_EVENT_TYPES = {"S3", "Schedule", "ScheduleV2", "SNS", "EventBridgeRule", "CloudWatchEvent"}


def _listify(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _statements(policies: Any):
    for policy in _listify(policies or []):
        if isinstance(policy, dict) and "Statement" in policy:
            yield from _listify(policy["Statement"])


def _policy_owners():
    for name, res in {**FUNCTIONS, **STATE_MACHINES}.items():
        yield name, res["Properties"].get("Policies")
    for name, res in _of("AWS::IAM::Policy").items():
        yield name, [res["Properties"]["PolicyDocument"]]


def wildcard_problems(owner: str, policies: Any) -> list[str]:
    problems = []
    for policy in _listify(policies or []):
        if isinstance(policy, str):
            problems.append(f"{owner}: managed policy {policy} (not scoped to our resources)")
        elif isinstance(policy, dict) and "Statement" not in policy:
            ((template, params),) = policy.items()
            if template not in SCOPED_TEMPLATES:
                problems.append(f"{owner}: policy template {template} is not in the reviewed list")
            elif (params or {}).get(SCOPED_TEMPLATES[template]) in (None, "*"):
                problems.append(f"{owner}: {template} without a {SCOPED_TEMPLATES[template]}")
    for statement in _statements(policies):
        if statement.get("Effect") != "Allow":
            continue
        actions = [a for a in _listify(statement.get("Action", [])) if isinstance(a, str)]
        resources = _listify(statement.get("Resource", []))
        for action in actions:
            service = action.split(":")[0]
            if action == "*" or (service in DATA_SERVICES and "*" in action.split(":", 1)[1]):
                problems.append(f"{owner}: wildcard action {action}")
            if service in DATA_SERVICES and "*" in resources and action not in TOKEN_ACTIONS:
                problems.append(f"{owner}: {action} on Resource '*'")
    return problems


def test_no_policy_grants_wildcard_actions_or_wildcard_resources_on_data():
    problems = [p for owner, policies in _policy_owners() for p in wildcard_problems(owner, policies)]
    assert problems == []


def test_the_wildcard_check_catches_what_it_should():
    # The check above is only worth something if it rejects the usual mistakes.
    assert wildcard_problems("F", [{"Statement": [{"Effect": "Allow", "Action": "dynamodb:*", "Resource": "arn"}]}])
    assert wildcard_problems("F", [{"Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*"}]}])
    assert wildcard_problems("F", [{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "arn"}]}])
    assert wildcard_problems("F", ["AmazonDynamoDBFullAccess"])
    assert wildcard_problems("F", [{"DynamoDBCrudPolicy": {}}])
    assert not wildcard_problems("F", [{"Statement": [{"Effect": "Allow", "Action": ["states:SendTaskSuccess"], "Resource": "*"}]}])


def test_data_is_encrypted_at_rest():
    for name, table in _of("AWS::DynamoDB::Table").items():
        assert table["Properties"].get("SSESpecification", {}).get("SSEEnabled") is True, name
    for name, bucket in _of("AWS::S3::Bucket").items():
        rules = bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        assert all(rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in {"aws:kms", "AES256"} for rule in rules), name
        assert all(bucket["Properties"]["PublicAccessBlockConfiguration"].values()), name
    for name, queue in QUEUES.items():
        props = queue["Properties"]
        assert props.get("SqsManagedSseEnabled") is True or "KmsMasterKeyId" in props, name


def test_every_table_has_point_in_time_recovery():
    tables = _of("AWS::DynamoDB::Table")
    assert tables
    for name, table in tables.items():
        assert table["Properties"]["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True, name


def _dlq_arns() -> set[str]:
    return {name for name in QUEUES}


def _target(ref: Any) -> str | None:
    if isinstance(ref, dict) and "Fn::GetAtt" in ref:
        target = ref["Fn::GetAtt"]
        return (target.split(".") if isinstance(target, str) else target)[0]
    return None


def test_asynchronously_invoked_functions_have_a_dead_letter_queue():
    # S3 notifications and scheduler deliveries invoke Lambda asynchronously: after Lambda's own two
    # retries a failed event would vanish without a DLQ (or an on-failure destination).
    missing = []
    for name, function in FUNCTIONS.items():
        events = (function["Properties"].get("Events") or {}).values()
        if not any(event["Type"] in ASYNC_EVENT_TYPES for event in events):
            continue
        dlq = function["Properties"].get("DeadLetterQueue") or {}
        on_failure = ((function["Properties"].get("EventInvokeConfig") or {}).get("DestinationConfig") or {}).get("OnFailure")
        if not (dlq.get("Type") == "SQS" and _target(dlq.get("TargetArn")) in _dlq_arns()) and not on_failure:
            missing.append(name)
    assert missing == []


def test_every_schedule_has_retries_and_a_dead_letter_queue():
    missing = []
    for name, res in {**FUNCTIONS, **STATE_MACHINES}.items():
        for event_name, event in (res["Properties"].get("Events") or {}).items():
            if event["Type"] != "ScheduleV2":
                continue
            props = event["Properties"]
            if _target((props.get("DeadLetterConfig") or {}).get("Arn")) not in _dlq_arns() or "RetryPolicy" not in props:
                missing.append(f"{name}.{event_name}")
    assert missing == []


def _alarm_dimension(alarm: dict[str, Any], dimension: str) -> Any:
    for item in alarm["Properties"].get("Dimensions", []):
        if item["Name"] == dimension:
            return item["Value"]
    return None


def test_every_dead_letter_queue_has_a_depth_alarm():
    watched = {
        _target(_alarm_dimension(alarm, "QueueName"))
        for alarm in ALARMS.values()
        if alarm["Properties"].get("Namespace") == "AWS/SQS" and alarm["Properties"]["MetricName"] == "ApproximateNumberOfMessagesVisible"
    }
    used_as_dlq = {_target((f["Properties"].get("DeadLetterQueue") or {}).get("TargetArn")) for f in FUNCTIONS.values()} - {None}
    assert used_as_dlq
    assert used_as_dlq <= watched


def test_every_state_machine_has_a_failed_executions_alarm():
    watched = set()
    for alarm in ALARMS.values():
        props = alarm["Properties"]
        if props.get("Namespace") == "AWS/States" and props["MetricName"] in {"ExecutionsFailed", "ExecutionsTimedOut"}:
            ref = _alarm_dimension(alarm, "StateMachineArn")
            if isinstance(ref, dict) and "Ref" in ref and props["Threshold"] == 0:
                watched.add(ref["Ref"])
    assert sorted(set(STATE_MACHINES) - watched) == []


def test_every_api_writes_an_access_log_without_bodies_or_query_strings():
    """Who called what and with which outcome is kept (90 days); request bodies and query strings,
    which can carry IBANs or e-mail addresses, are not part of the line."""
    apis = _of("AWS::Serverless::Api")
    assert apis
    for name, api in apis.items():
        setting = api["Properties"]["AccessLogSetting"]
        group = RESOURCES[setting["DestinationArn"]["Fn::GetAtt"][0]]
        assert group["Type"] == "AWS::Logs::LogGroup" and group["Properties"]["RetentionInDays"] == 90, name
        fields = setting["Format"]
        assert "$context.requestId" in fields and "$context.status" in fields and "$context.authorizer.claims.sub" in fields
        assert "$input" not in fields and "querystring" not in fields.lower() and "$context.path" not in fields
    accounts = _of("AWS::ApiGateway::Account")
    assert len(accounts) == 1  # API Gateway can write logs only with the account-level role
