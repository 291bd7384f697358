"""Enrollment from the web form or a phone agent to a confirmed contract, on the local runtime."""

from __future__ import annotations

from datetime import UTC, datetime

import io
import json

import pytest
from pypdf import PdfReader

from enrollment_support import ean, enrollment, execution_arn, next_dso_sweep, status, submit
from invariants import check_invariants

pytestmark = pytest.mark.workflow

MONDAY = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)


@pytest.fixture
def rt(runtime):
    runtime.reset(MONDAY)  # straight to Monday morning, no schedule fired on the way
    return runtime


def accepted(rt, body, key=None):
    response = submit(rt, body, key)
    assert response.status == 202, response.body
    rt.wait_until_settled()
    return response.json()


def test_clean_enrollment_is_confirmed_with_two_mails_and_the_contract(rt):
    body = enrollment(rt, language="fr")
    created = accepted(rt, body)
    assert created["status"] == "RECEIVED"
    assert status(rt, created["status_url"])["status"] == "AWAITING_DSO"
    received = rt.outbox(body["customer"]["email"])
    assert [m["language"] for m in received] == ["fr"]
    assert "pas encore un contrat" in received[0]["text"]
    enrollment_id, token = created["enrollment_id"], created["status_url"].split("token=")[1]
    assert f"http://127.0.0.1:3000/enroll/status.html?id={enrollment_id}&token={token}" in received[0]["text"]

    next_dso_sweep(rt)
    view = status(rt, created["status_url"])
    assert view["status"] == "CONFIRMED"
    assert [h["status"] for h in view["history"]] == ["RECEIVED", "VALIDATING", "AWAITING_DSO", "CONFIRMED"]
    mails = rt.outbox(body["customer"]["email"])
    assert len(mails) == 3  # received, contract confirmed, portal invitation
    confirmation = mails[1]
    assert confirmation["subject"].startswith("Votre contrat est confirmé")
    assert "/portal/" in mails[2]["text"]
    assert confirmation["attachments"] and confirmation["attachments"][0].endswith(".pdf")
    assert f"http://127.0.0.1:3000/enrollments/{enrollment_id}/contract?token={token}" in confirmation["text"]
    pdf = rt.handle_api("GET", created["status_url"].replace("?token=", "/contract?token="))
    assert pdf.status == 200 and pdf.headers["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.body)).pages)
    assert "Contrat de fourniture" in text
    assert body["delivery_points"][0]["ean"] in text
    assert "Camille Dubois" in text
    check_invariants(rt)  # issue 12
    assert rt.wait_for_execution(execution_arn(rt, created["enrollment_id"]))["status"] == "SUCCEEDED"


def test_identifiers_are_stored_in_their_canonical_form(rt, operator):
    body = enrollment(rt, email="Camille.Dubois@Example.ORG")
    body["customer"]["phone"] = "0470 12 34 56"
    body["payment"]["iban"] = "be71 0961 2345 6769"
    created = accepted(rt, body)
    stored = rt.handle_api("GET", f"/ops/enrollments/{created['enrollment_id']}", operator).json()["request"]
    assert stored["customer"]["phone"] == "+32470123456"
    assert stored["customer"]["email"] == "Camille.Dubois@example.org"  # the domain is case-insensitive, the local part may not be
    assert stored["payment"]["iban"] == "BE71096123456769"


def test_invalid_enrollment_lists_every_error_and_stores_nothing(rt):
    body = enrollment(rt, point_ean="541414930000123455")
    body["payment"]["iban"] = "BE71096123456760"
    body["supply_address"]["postcode"] = "1001"
    response = submit(rt, body)
    assert response.status == 400
    fields = {error["field"]: error["code"] for error in response.json()["errors"]}
    assert fields == {"delivery_points[0].ean": "ean.check_digit", "payment.iban": fields["payment.iban"], "supply_address.postcode": "postcode.unknown"}
    assert fields["payment.iban"].startswith("iban.")
    items = rt.client("dynamodb").scan(TableName="wattdesk-WattDeskTable")["Items"]
    assert items == []
    assert rt.executions() == []


def test_same_idempotency_key_returns_the_same_answer_and_another_body_is_a_conflict(rt):
    body = enrollment(rt)
    first = accepted(rt, body, key="form-session-1")
    again = submit(rt, body, key="form-session-1")
    assert again.status == 202 and again.json() == first
    assert len(rt.executions()) == 1
    other = enrollment(rt)
    conflict = submit(rt, other, key="form-session-1")
    assert conflict.status == 409
    assert conflict.json()["errors"][0]["code"] == "idempotency.key_reused"


def test_second_enrollment_for_the_same_ean_is_blocked_for_an_operator(rt, operator):
    shared_ean = ean()
    accepted(rt, enrollment(rt, point_ean=shared_ean))
    second = accepted(rt, enrollment(rt, point_ean=shared_ean))
    assert status(rt, second["status_url"])["status"] == "BLOCKED"
    queue = rt.handle_api("GET", "/ops/enrollments?status=BLOCKED", operator).json()["items"]
    assert [(item["enrollment_id"], [r["code"] for r in item["block_reasons"]]) for item in queue] == [(second["enrollment_id"], ["ean.open_enrollment"])]


def test_blocked_enrollment_corrected_by_an_operator_is_confirmed(rt, operator):
    body = enrollment(rt, point_ean=ean("997"))  # the DSO register holds another address
    created = accepted(rt, body)
    assert status(rt, created["status_url"])["status"] == "BLOCKED"
    enrollment_id = created["enrollment_id"]
    detail = rt.handle_api("GET", f"/ops/enrollments/{enrollment_id}", operator).json()
    assert "dso.address_mismatch" in [r["code"] for r in detail["block_reasons"]]

    bad = rt.handle_api("POST", f"/ops/enrollments/{enrollment_id}/corrections", operator, {"changes": {"supply_address.postcode": "9993"}})
    assert bad.status == 400 and bad.json()["errors"][0]["field"] == "supply_address.postcode"
    fix = {"supply_address.street": "Wetstraat", "supply_address.number": "16", "supply_address.box": None, "supply_address.postcode": "1000", "supply_address.city": "Brussel", "customer.last_name": "Janssens"}
    response = rt.handle_api("POST", f"/ops/enrollments/{enrollment_id}/corrections", operator, {"changes": fix, "note": "address checked by phone"})
    assert response.status == 200, response.body
    rt.wait_until_settled()
    assert status(rt, created["status_url"])["status"] == "AWAITING_DSO"
    next_dso_sweep(rt)
    assert status(rt, created["status_url"])["status"] == "CONFIRMED"
    audit = rt.handle_api("GET", f"/ops/enrollments/{enrollment_id}", operator).json()["audit"]
    assert [(a["actor"], a["action"]) for a in audit] == [("an.operator@wattdesk.example", "correction")]


def test_blocked_enrollment_fixed_by_the_customer_through_the_link(rt, operator):
    body = enrollment(rt)
    body["delivery_points"][0].update(situation="move_in", ean=None)
    body["start_date"] = rt.now().date().isoformat()
    created = accepted(rt, body)
    enrollment_id = created["enrollment_id"]
    assert status(rt, created["status_url"])["status"] == "BLOCKED"
    asked = rt.handle_api("POST", f"/ops/enrollments/{enrollment_id}/customer-request", operator, {"fields": ["delivery_points[0].ean"], "message": "Zie uw meter."})
    assert asked.status == 200
    mail = rt.outbox(body["customer"]["email"])[-1]
    link = next(word for word in mail["text"].split() if "/enroll/fix.html" in word)
    token = link.split("token=")[1]
    assert status(rt, created["status_url"])["status"] == "AWAITING_CUSTOMER"
    asked = rt.handle_api("GET", f"/enrollments/{enrollment_id}/answer?token={token}").json()
    assert asked["fields"] == {"delivery_points[0].ean": None}
    assert rt.handle_api("GET", f"/enrollments/{enrollment_id}/answer?token=wrong").status == 404
    not_asked = rt.handle_api("POST", f"/enrollments/{enrollment_id}/answer?token={token}", {}, {"changes": {"payment.iban": "BE68539007547034"}})
    assert not_asked.status == 400
    answer = rt.handle_api("POST", f"/enrollments/{enrollment_id}/answer?token={token}", {}, {"changes": {"delivery_points[0].ean": ean()}})
    assert answer.status == 200, answer.body
    rt.wait_until_settled()
    assert status(rt, created["status_url"])["status"] == "AWAITING_DSO"
    next_dso_sweep(rt)
    assert status(rt, created["status_url"])["status"] == "CONFIRMED"


def test_rejected_by_the_operator_with_a_mail_in_the_customers_language(rt, operator):
    body = enrollment(rt, language="nl", point_ean=ean("997"))
    created = accepted(rt, body)
    missing_reason = rt.handle_api("POST", f"/ops/enrollments/{created['enrollment_id']}/decision", operator, {"decision": "reject"})
    assert missing_reason.status == 400
    response = rt.handle_api("POST", f"/ops/enrollments/{created['enrollment_id']}/decision", operator, {"decision": "reject", "reason": "Adres onbekend bij de netbeheerder."})
    assert response.status == 200
    rt.wait_until_settled()
    assert status(rt, created["status_url"])["status"] == "REJECTED"
    mail = rt.outbox(body["customer"]["email"])[-1]
    assert mail["language"] == "nl" and "Adres onbekend bij de netbeheerder." in mail["text"]
    assert rt.wait_for_execution(execution_arn(rt, created["enrollment_id"]))["status"] == "SUCCEEDED"


def test_dso_rejection_sends_the_enrollment_back_to_the_queue(rt, operator):
    created = accepted(rt, enrollment(rt, point_ean=ean("998")))
    next_dso_sweep(rt)
    assert status(rt, created["status_url"])["status"] == "BLOCKED"
    item = rt.handle_api("GET", f"/ops/enrollments/{created['enrollment_id']}", operator).json()
    assert [r["code"] for r in item["block_reasons"]] == ["dso.ean_other_address"]


def test_customer_cancels_before_confirmation(rt):
    body = enrollment(rt)
    created = accepted(rt, body)
    response = rt.handle_api("POST", created["status_url"], {}, {"action": "cancel"})
    assert response.status == 200
    rt.wait_until_settled()
    assert status(rt, created["status_url"])["status"] == "CANCELLED"
    assert next_dso_sweep(rt)  # the sweep runs but has nothing to answer
    assert status(rt, created["status_url"])["status"] == "CANCELLED"
    assert "annulée" in rt.outbox(body["customer"]["email"])[-1]["subject"]
    forged = rt.handle_api("GET", created["status_url"].split("?")[0] + "?token=guess")
    assert forged.status == 404


def test_a_cancellation_during_validation_is_not_lost(rt):
    # The cancel arrives while the workflow runs (not parked yet); it ends CANCELLED, not AWAITING_DSO.
    body = enrollment(rt)
    response = submit(rt, body)
    created = response.json()
    cancel = rt.handle_api("POST", created["status_url"], {}, {"action": "cancel"})
    assert cancel.status == 200
    rt.wait_until_settled()
    assert status(rt, created["status_url"])["status"] == "CANCELLED"
    rt.advance(days=1)  # the DSO sweep has nothing left to answer
    assert status(rt, created["status_url"])["status"] == "CANCELLED"


def test_withdrawal_within_14_days_after_confirmation(rt):
    created = accepted(rt, enrollment(rt))
    next_dso_sweep(rt)
    assert status(rt, created["status_url"])["status"] == "CONFIRMED"
    rt.advance(days=5)
    response = rt.handle_api("POST", created["status_url"], {}, {"action": "cancel"})
    assert response.status == 200
    assert status(rt, created["status_url"])["status"] == "CANCELLED"


def test_a_transient_failure_twice_is_retried_and_the_enrollment_goes_on(rt):
    rt.inject_fault("EnrollmentTasksFunction", "TransientError", times=2, when={"action": "validate"})
    created = accepted(rt, enrollment(rt))
    assert status(rt, created["status_url"])["status"] == "AWAITING_DSO"
    errors = [i.error_type for i in rt.invocations if i.function == "EnrollmentTasksFunction" and i.errored]
    assert errors == ["TransientError", "TransientError"]


def test_a_step_that_keeps_failing_lands_in_the_ops_queue_not_a_silent_failure(rt, operator):
    rt.inject_fault("EnrollmentTasksFunction", "TransientError", times=10, when={"action": "validate"})
    created = accepted(rt, enrollment(rt))
    assert status(rt, created["status_url"])["status"] == "BLOCKED"
    item = rt.handle_api("GET", f"/ops/enrollments/{created['enrollment_id']}", operator).json()
    assert item["failure"]["error"] == "TransientError"
    assert [r["code"] for r in item["block_reasons"]] == ["workflow.failed"]


def test_phone_agents_need_an_operator_token(rt, operator, customer):
    body = enrollment(rt, channel="phone")
    assert rt.handle_api("POST", "/ops/enrollments", {}, body).status == 401
    assert rt.handle_api("POST", "/ops/enrollments", customer, body).status == 403
    assert submit(rt, body).status == 400  # the public form takes web enrollments only
    response = rt.handle_api("POST", "/ops/enrollments", operator, body)
    assert response.status == 202


def test_untouched_blocked_enrollment_is_escalated_after_ten_working_days(rt, operator):
    blocked = accepted(rt, enrollment(rt, point_ean=ean("997")))
    rt.advance(days=13)  # Monday + 13 days: 9 working days
    queue = rt.handle_api("GET", "/ops/enrollments?status=BLOCKED", operator).json()["items"]
    assert [item["escalated"] for item in queue] == [False]
    rt.advance(days=2)
    queue = rt.handle_api("GET", "/ops/enrollments?status=BLOCKED", operator).json()["items"]
    assert [(item["enrollment_id"], item["escalated"]) for item in queue] == [(blocked["enrollment_id"], True)]


def test_the_grid_operator_can_answer_explicitly(rt, operator):
    from wattdesk_local.server import LocalTools

    point = ean()
    created = accepted(rt, enrollment(rt, point_ean=point))
    status_code, result = LocalTools(rt).handle("POST", "/_local/dso/answers", {}, json.dumps([{"ean": point, "outcome": "reject", "reason": "dso.ean_unknown", "message": "Unknown EAN."}]).encode())
    assert (status_code, result) == (200, {"answered": 1})
    assert status(rt, created["status_url"])["status"] == "BLOCKED"
    item = rt.handle_api("GET", f"/ops/enrollments/{created['enrollment_id']}", operator).json()
    assert [(r["code"], r["message"]) for r in item["block_reasons"]] == [("dso.ean_unknown", "Unknown EAN.")]


def test_the_explicit_estimate_becomes_the_contract_and_the_advance(rt):
    from wattdesk_local.server import LocalTools

    point = ean()
    created = accepted(rt, enrollment(rt, point_ean=point))
    LocalTools(rt).handle("POST", "/_local/dso/answers", {}, json.dumps([{"ean": point, "outcome": "accept", "eav_kwh": 3500}]).encode())
    assert status(rt, created["status_url"])["status"] == "CONFIRMED"
    mail = next(m for m in reversed(rt.outbox()) if m["attachments"])  # the confirmation, before the portal invitation
    # 3,500 kWh on a dual meter, ELEC-FIX-1Y, residential, monthly: 86.00 (tests/unit/test_advance.py)
    assert "86,00" in mail["text"]


def test_a_replayed_creation_step_creates_nothing_twice(rt):
    created = accepted(rt, enrollment(rt))
    next_dso_sweep(rt)
    before = rt.client("dynamodb").scan(TableName="wattdesk-WattDeskTable")["Count"]
    record = rt.handle_api("GET", created["status_url"]).json()
    assert record["status"] == "CONFIRMED"
    for action in ("create_contract", "render_contract", "confirm"):
        event = {"action": action, "enrollment_id": created["enrollment_id"], "eav_kwh": {}, "status_url": created["status_url"]}
        payload, errored, _ = rt.invoke("EnrollmentTasksFunction", {k: v for k, v in event.items() if k in {"action", "enrollment_id"} or (k == "eav_kwh" and action == "create_contract") or (k == "status_url" and action == "confirm")})
        assert not errored, payload
    assert rt.client("dynamodb").scan(TableName="wattdesk-WattDeskTable")["Count"] == before
    assert len(rt.outbox(rt.outbox()[-1]["to"][0])) == 3  # received, confirmed, portal invitation


def test_electricity_and_gas_in_one_enrollment(rt):
    body = enrollment(rt, language="de")
    gas_ean = ean()
    body["delivery_points"].append({"energy": "gas", "ean": gas_ean, "meter_type": "single", "situation": "switch", "known_annual_kwh": None, "product_code": "GAS-FIX-1Y"})
    created = accepted(rt, body)
    next_dso_sweep(rt)
    assert status(rt, created["status_url"])["status"] == "CONFIRMED"
    pdf = rt.handle_api("GET", created["status_url"].replace("?token=", "/contract?token="))
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.body)).pages)
    assert "Liefervertrag" in text
    assert body["delivery_points"][0]["ean"] in text and gas_ean in text


def test_readings_and_supply_history_of_a_former_customer_do_not_block_the_next_enrollment(rt):
    """The EAN's partition also holds its meter readings and the supply history of earlier
    contracts (a home we supplied before): they are not an open enrollment holding the EAN."""
    from support import table_environment
    from wattdesk.stores import readings as readings_store

    home = ean()
    with table_environment():
        readings_store.register_supply(home, "former-contract", "former-customer", "2025-01-01", "2026-12-31")
        readings_store.save(readings_store.new_record(
            reading_id="R-FORMER", ean=home, contract_id="former-contract", customer_id="former-customer", reading_date="2026-12-31",
            values={"single": 12345}, source="dso", kind="closing", status="ACCEPTED", created_by="dso", at=MONDAY,
        ))
    created = accepted(rt, enrollment(rt, point_ean=home))
    assert status(rt, created["status_url"])["status"] == "AWAITING_DSO"
    next_dso_sweep(rt)
    assert status(rt, created["status_url"])["status"] == "CONFIRMED"
