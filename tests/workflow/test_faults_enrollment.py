"""Enrollments under injected faults, then with every trigger delivered twice (issue 12)."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime

import pytest
from enrollment_support import enrollment, execution_arn, next_dso_sweep, status, submit
from invariants import check_invariants, table_items

pytestmark = pytest.mark.workflow

MONDAY = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
ENROLLMENTS = 6


def submit_until_accepted(rt, body: dict, key: str, tries: int = 10):
    """A client that retries a failed POST with the same Idempotency-Key, as the web form does."""
    answers = []
    for _ in range(tries):
        response = submit(rt, body, key)
        answers.append(response.status)
        if response.status == 202:
            return response.json(), answers
    raise AssertionError(f"never accepted: {answers}")


def contracts_of(rt, email: str) -> list[dict]:
    customers = {i["PK"] for i in table_items(rt) if i.get("SK") == "CUSTOMER" and i.get("email") == email}
    return [i for i in table_items(rt) if i["PK"] in customers and str(i["SK"]).startswith("CONTRACT#")]


def assert_confirmed_once(rt, created: dict, body: dict) -> None:
    view = status(rt, created["status_url"])
    assert view["status"] == "CONFIRMED", view
    assert len(contracts_of(rt, body["customer"]["email"])) == 1  # one contract, not two
    mails = rt.outbox(body["customer"]["email"])
    assert len(mails) == 3, [m["subject"] for m in mails]  # received, confirmed, portal invitation: each once
    assert len({m["subject"] for m in mails}) == 3


def test_enrollments_with_ten_percent_faults_are_all_confirmed_once(runtime):
    rt = runtime
    rt.reset(MONDAY)
    rt.only_schedules("EnrollmentSweepsFunction-")
    # The workflow's handlers (the API's own faults are the idempotency test's business: a POST
    # whose Powertools in-progress record could not be deleted answers 409 "in progress" until the
    # function's timeout has passed in real time, which a test cannot wait for).
    for function in ("EnrollmentTasksFunction", "EnrollmentSweepsFunction"):
        for service in ("dynamodb", "ses", "s3"):
            rt.faults.inject(service=service, rate=0.1, seed=11, function=function)
    rt.faults.crash_after(function="EnrollmentTasksFunction", rate=0.1, seed=11)
    bodies = [enrollment(rt, language="nlfrdeen"[2 * (i % 4):2 * (i % 4) + 2]) for i in range(ENROLLMENTS)]
    accepted = [submit_until_accepted(rt, body, str(uuid.uuid4()))[0] for body in bodies]
    rt.wait_until_settled()
    next_dso_sweep(rt)
    injected = rt.faults.summary()
    assert rt.faults.raised > 0
    # What the faults stopped is visible: in the ops queue with a reason, never silently gone;
    # a DSO sweep that failed half-way is simply the next day's sweep's work.
    rt.faults.clear()
    next_dso_sweep(rt)
    operator = {"Authorization": rt.login("ops-faults@example.org", ["operators"])["id_token"]}
    queue = rt.handle_api("GET", "/ops/enrollments?status=BLOCKED", operator)
    blocked = {item["enrollment_id"]: item for item in (queue.json().get("items", []) if queue.status == 200 else [])}
    for created, body in zip(accepted, bodies, strict=True):
        view = status(rt, created["status_url"])
        if view["status"] != "CONFIRMED":
            execution = rt.client("stepfunctions").describe_execution(executionArn=execution_arn(rt, created["enrollment_id"]))
            assert created["enrollment_id"] in blocked or view["status"] in {"BLOCKED", "FAILED"}, (view["status"], execution["status"], execution.get("error"), execution.get("cause", "")[:300], injected)
            continue
        assert_confirmed_once(rt, created, body)
    check_invariants(rt)


def test_an_enrollment_delivered_twice_at_every_step_is_confirmed_once(runtime):
    rt = runtime
    rt.reset(MONDAY)
    rt.only_schedules("EnrollmentSweepsFunction-")
    body = enrollment(rt, language="nl")
    key = str(uuid.uuid4())
    # Every task step's first result is lost after it ran: each step runs twice.
    rule = rt.faults.crash_after(function="EnrollmentTasksFunction", first=1)
    first, _ = submit_until_accepted(rt, body, key)
    again, _ = submit_until_accepted(rt, body, key)  # the browser's retry with the same key
    assert again["enrollment_id"] == first["enrollment_id"]
    rt.wait_until_settled()
    next_dso_sweep(rt)
    # The daily DSO sweep delivered twice for the same instant.
    for schedule in (s for s in rt.schedules if s.name == "EnrollmentSweepsFunction-DsoAnswers"):
        rt._fire(schedule, rt.last_fired[schedule.name])
        rt.wait_until_settled()
    assert rule.raised >= 4
    assert_confirmed_once(rt, first, body)
    contracts = [i for i in table_items(rt) if str(i["PK"]).startswith("CUSTOMER#") and str(i["SK"]).startswith("CONTRACT#")]
    assert len(contracts) == 1 and Counter(i["SK"] for i in table_items(rt) if i["SK"] == "CUSTOMER")["CUSTOMER"] == 1  # one customer, one contract
    check_invariants(rt)
