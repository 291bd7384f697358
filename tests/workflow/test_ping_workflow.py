"""The spine, end to end on the local runtime: the real Ping definition on moto's Step Functions
engine, the real handlers in-process, the simulated clock firing the template's schedule."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from wattdesk_local.runtime import ClockError

pytestmark = pytest.mark.workflow


def start_ping(runtime, **body):
    response = runtime.handle_api("POST", "/pings", body.pop("headers", {}), {"email": "jan.peeters@example.org", **body})
    assert response.status == 202, response.body
    ping_id = response.json()["ping_id"]
    arn = runtime.state_machines["PingStateMachine"].replace(":stateMachine:", ":execution:") + f":ping-{ping_id}"
    return ping_id, arn


def ping(runtime, ping_id):
    return runtime.handle_api("GET", f"/pings/{ping_id}").json()


def failed_attempts(runtime, arn):
    return [
        json.loads(event["taskFailedEventDetails"]["cause"])["errorType"]
        for event in runtime.history(arn)
        if event["type"] == "TaskFailed"
    ]


def test_handlers_run_in_process_and_the_ping_waits_for_an_operator(runtime):
    ping_id, arn = start_ping(runtime)
    described = runtime.wait_for_execution(arn)
    assert described["status"] == "RUNNING"  # parked on the task token
    # The API handler started it; the check and the token-parking steps ran the tasks handler.
    assert [i.function for i in runtime.invocations if i.function.startswith("Ping")] == ["PingApiFunction", "PingTasksFunction", "PingTasksFunction"]
    assert ping(runtime, ping_id)["status"] == "AWAITING_ACK"
    # The DynamoDB putItem service task wrote its own item, without a Lambda.
    item = runtime.client("dynamodb").get_item(TableName="wattdesk-WattDeskTable", Key={"PK": {"S": f"PING#{ping_id}"}, "SK": {"S": "CHECK"}})["Item"]
    assert item["attempts"] == {"N": "1"}
    assert item["execution"] == {"S": f"ping-{ping_id}"}


def test_a_named_transient_error_is_retried_then_the_check_passes(runtime):
    ping_id, arn = start_ping(runtime, fail_times=2)
    runtime.wait_for_execution(arn)
    assert failed_attempts(runtime, arn) == ["PingTransientError", "PingTransientError"]
    assert ping(runtime, ping_id)["attempts"] == 3
    assert ping(runtime, ping_id)["status"] == "AWAITING_ACK"


def test_retries_exhausted_are_caught_and_recorded_never_silent(runtime):
    ping_id, arn = start_ping(runtime, fail_times=5)
    described = runtime.wait_for_execution(arn)
    assert described["status"] == "FAILED"
    assert failed_attempts(runtime, arn) == ["PingTransientError"] * 3  # first try + MaxAttempts 2
    record = ping(runtime, ping_id)
    assert record["status"] == "FAILED"
    assert record["failure_error"] == "PingTransientError"
    entered = [e["stateEnteredEventDetails"]["name"] for e in runtime.history(arn) if "stateEnteredEventDetails" in e]
    assert entered[-2:] == ["RecordPingFailure", "PingFailed"]


def test_operator_acknowledgement_resumes_the_task_token_and_mails_the_customer(runtime, operator):
    ping_id, arn = start_ping(runtime, language="nl")
    runtime.wait_for_execution(arn)
    response = runtime.handle_api("POST", f"/ops/pings/{ping_id}/acknowledge", operator)
    assert response.status == 200
    assert runtime.wait_for_execution(arn)["status"] == "SUCCEEDED"
    assert ping(runtime, ping_id)["status"] == "DONE"
    assert ping(runtime, ping_id)["acknowledged_by"] == "an.operator@wattdesk.example"
    mails = runtime.outbox("jan.peeters@example.org")
    assert len(mails) == 1
    assert mails[0]["language"] == "nl"
    assert mails[0]["subject"] == f"Uw ping {ping_id} is bevestigd"
    assert "an.operator@wattdesk.example" in mails[0]["text"]


def test_a_double_click_resumes_once_and_sends_one_mail(runtime, operator):
    ping_id, arn = start_ping(runtime)
    runtime.wait_for_execution(arn)
    first = runtime.handle_api("POST", f"/ops/pings/{ping_id}/acknowledge", operator)
    second = runtime.handle_api("POST", f"/ops/pings/{ping_id}/acknowledge", operator)
    runtime.wait_for_execution(arn)
    assert (first.status, second.status) == (200, 409)
    assert len(runtime.outbox("jan.peeters@example.org")) == 1


def test_protected_route_refuses_missing_forged_and_wrong_group_tokens(runtime, customer):
    ping_id, arn = start_ping(runtime)
    runtime.wait_for_execution(arn)
    forged = runtime.login("someone@example.org", ["operators"])["id_token"][:-4] + "AAAA"
    assert runtime.handle_api("POST", f"/ops/pings/{ping_id}/acknowledge").status == 401
    assert runtime.handle_api("POST", f"/ops/pings/{ping_id}/acknowledge", {"Authorization": forged}).status == 401
    assert runtime.handle_api("POST", f"/ops/pings/{ping_id}/acknowledge", customer).status == 403
    assert runtime.wait_for_execution(arn)["status"] == "RUNNING"
    assert ping(runtime, ping_id)["status"] == "AWAITING_ACK"


def test_same_idempotency_key_starts_one_ping(runtime):
    first_id, _ = start_ping(runtime, headers={"Idempotency-Key": "form-42"})
    second_id, _ = start_ping(runtime, headers={"Idempotency-Key": "form-42"})
    runtime.wait_until_settled()
    assert first_id == second_id
    assert len([e for e in runtime.executions() if e["name"] == f"ping-{first_id}"]) == 1


def heartbeats(runtime):
    result = runtime.client("dynamodb").query(
        TableName="wattdesk-WattDeskTable", KeyConditionExpression="PK = :pk", ExpressionAttributeValues={":pk": {"S": "HEARTBEAT"}}
    )
    return [item["SK"]["S"] for item in result["Items"]]


def pings_fired(fired):
    # Other workflows' daily sweeps fire too; these tests follow the Ping heartbeat.
    return [f for f in fired if f.schedule == "PingStateMachine-WeeklyHeartbeat"]


def test_the_weekly_schedule_fires_when_the_clock_passes_it_and_only_once(runtime):
    # START is Friday 2027-01-01 08:00 UTC; the heartbeat is Monday 06:00 in Brussels = 05:00 UTC.
    assert pings_fired(runtime.advance(days=2)) == []
    fired = pings_fired(runtime.advance(days=1))
    assert [(f.schedule, f.at) for f in fired] == [("PingStateMachine-WeeklyHeartbeat", "2027-01-04T05:00:00+00:00")]
    assert runtime.wait_for_execution(fired[0].execution_arn)["status"] == "SUCCEEDED"
    assert heartbeats(runtime) == ["2027-01-04T05:00:00Z"]
    assert pings_fired(runtime.advance(hours=12)) == []
    assert pings_fired(runtime.advance(days=7))  # past the next Monday
    assert heartbeats(runtime) == ["2027-01-04T05:00:00Z", "2027-01-11T05:00:00Z"]


def test_handlers_see_the_simulated_time(runtime):
    runtime.advance(to=datetime(2027, 3, 15, 9, 30, tzinfo=UTC))
    ping_id, _ = start_ping(runtime)
    runtime.wait_until_settled()
    assert ping(runtime, ping_id)["created_at"] == "2027-03-15T09:30:00+00:00"


def test_a_schedule_delivered_twice_records_one_heartbeat(runtime):
    # EventBridge Scheduler is at-least-once: a second delivery of the same scheduled time is a no-op.
    fired = pings_fired(runtime.advance(days=3))
    sfn = runtime.client("stepfunctions")
    duplicate = sfn.start_execution(
        stateMachineArn=runtime.state_machines["PingStateMachine"], name="heartbeat-redelivered", input=json.dumps({"source": "schedule", "as_of": "2027-01-04T05:00:00Z"})
    )
    assert runtime.wait_for_execution(duplicate["executionArn"])["status"] == "SUCCEEDED"
    assert len(fired) == 1
    assert heartbeats(runtime) == ["2027-01-04T05:00:00Z"]
    entered = [e["stateEnteredEventDetails"]["name"] for e in runtime.history(duplicate["executionArn"]) if "stateEnteredEventDetails" in e]
    assert entered[-1] == "HeartbeatAlreadyRecorded"


def test_the_clock_never_goes_back(runtime):
    with pytest.raises(ClockError):
        runtime.advance(to=runtime.now() - timedelta(seconds=1))
