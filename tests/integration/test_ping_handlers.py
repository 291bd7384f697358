"""The Ping handlers driven by the sample events in events/, as `sam local invoke` would."""

from __future__ import annotations

import json

import pytest

from support import load_event

pytestmark = pytest.mark.integration


def _respond(runtime, logical, event):
    payload, errored, _ = runtime.invoke(logical, event)
    return json.loads(payload), errored


def test_sample_start_event_creates_a_ping(runtime):
    response, errored = _respond(runtime, "PingApiFunction", load_event("ping_api/start_ping"))
    assert not errored
    assert response["statusCode"] == 202
    body = json.loads(response["body"])
    assert body["status"] == "RECEIVED"
    assert body["status_url"] == f"/pings/{body['ping_id']}"


def test_invalid_request_lists_every_bad_field_and_stores_nothing(runtime):
    def stored_keys():
        items = runtime.client("dynamodb").scan(TableName="wattdesk-WattDeskTable")["Items"]
        return {(item["PK"]["S"], item["SK"]["S"]) for item in items}

    runtime.wait_until_settled()  # an execution of an earlier test may still be writing
    before = stored_keys()
    event = load_event("ping_api/start_ping")
    event["body"] = json.dumps({"email": "not-an-address", "language": "it", "fail_times": 99})
    response, _ = _respond(runtime, "PingApiFunction", event)
    assert response["statusCode"] == 400
    errors = json.loads(response["body"])["errors"]
    assert {error["field"] for error in errors} == {"email", "language", "fail_times"}
    assert all(error["message"] for error in errors)
    assert stored_keys() - before == set()


def test_body_that_is_not_json_is_a_clear_400(runtime):
    event = load_event("ping_api/start_ping")
    event["body"] = "{not json"
    response, _ = _respond(runtime, "PingApiFunction", event)
    assert response["statusCode"] == 400
    assert json.loads(response["body"])["errors"]


def test_unknown_ping_is_404(runtime):
    response = runtime.handle_api("GET", "/pings/does-not-exist")
    assert response.status == 404
    assert response.json()["errors"][0]["code"] == "not_found"


def test_acknowledge_needs_the_operators_group(runtime):
    event = load_event("ping_api/acknowledge_ping")
    event["requestContext"]["authorizer"]["claims"]["cognito:groups"] = "customers"
    response, _ = _respond(runtime, "PingApiFunction", event)
    assert response["statusCode"] == 403


def test_acknowledge_of_a_ping_that_waits_for_nothing_is_a_conflict(runtime):
    created = runtime.handle_api("POST", "/pings", {}, {"email": "a@example.org"}).json()
    runtime.wait_until_settled()
    event = load_event("ping_api/acknowledge_ping")
    event["path"] = f"/ops/pings/{created['ping_id']}/acknowledge"
    event["pathParameters"] = {"ping_id": created["ping_id"]}
    first, _ = _respond(runtime, "PingApiFunction", event)
    second, _ = _respond(runtime, "PingApiFunction", event)
    assert first["statusCode"] == 200
    assert second["statusCode"] == 409


@pytest.mark.parametrize("name", ["ping_tasks/malformed"])
def test_malformed_task_input_raises_a_named_error(runtime, name):
    response, errored = _respond(runtime, "PingTasksFunction", load_event(name))
    assert errored
    assert response["errorType"] == "MalformedEvent"


def test_task_samples_run_against_a_stored_ping(runtime):
    created = runtime.handle_api("POST", "/pings", {}, {"email": "sample@example.org", "language": "de"}).json()
    runtime.wait_until_settled()
    for name in ("ping_tasks/check", "ping_tasks/notify"):
        event = load_event(name) | {"ping_id": created["ping_id"]}
        response, errored = _respond(runtime, "PingTasksFunction", event)
        assert not errored, response
    mail = runtime.outbox("sample@example.org")[-1]
    assert mail["language"] == "de"
    assert "operator@wattdesk.example" in mail["text"]


@pytest.mark.parametrize(
    ("function", "event"),
    [
        ("EnrollmentTasksFunction", {"action": "validate"}),
        ("EnrollmentTasksFunction", {"action": "no_such_step", "enrollment_id": "x"}),
        ("EnrollmentSweepsFunction", {"task": "escalate_blocked"}),
        ("EnrollmentSweepsFunction", ["not", "an", "object"]),
    ],
)
def test_malformed_events_to_state_machine_handlers_raise_a_named_error(runtime, function, event):
    response, errored = _respond(runtime, function, event)
    assert errored
    assert response["errorType"] == "MalformedEvent"
