"""Ops console backend (issue 10): one queue over all work with filters, customer search by every
identifier (IBAN masked), customer detail with the audit trail."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

import pytest

from enrollment_support import enrollment, submit
from portal_support import bill, stored_customer, token_of
from support import load_event

pytestmark = pytest.mark.workflow

MONDAY = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)


@pytest.fixture
def rt(runtime):
    runtime.reset(MONDAY)
    runtime.only_schedules("nothing")
    return runtime


def blocked_enrollment(rt) -> str:
    body = enrollment(rt, language="nl")
    body["delivery_points"][0].update(situation="move_in", ean=None)
    body["start_date"] = rt.now().date().isoformat()
    response = submit(rt, body)
    assert response.status == 202, response.body
    rt.wait_until_settled()
    return response.json()["enrollment_id"]


def test_one_queue_lists_all_kinds_of_work_with_kind_age_and_sla_filters(rt, operator):
    enrollment_id = blocked_enrollment(rt)
    customer = stored_customer(21, start=datetime(2027, 1, 1).date())
    bill(rt, operator, "2027-01-01")
    headers = token_of(rt, customer)
    request = rt.handle_api("POST", "/me/requests", headers, {"kind": "interim_invoice", "contract_id": customer["contract_id"], "message": "Tussentijdse factuur"}).json()
    invoice = rt.handle_api("GET", "/me/invoices", headers).json()["items"][0]["number"]
    plan = rt.handle_api("POST", "/me/payment-plans", headers, {"invoice_numbers": [invoice], "advisor_contact": True, "contact_phone": "+32 470 12 34 56"})
    assert plan.status == 201, plan.body
    complaint = copy.deepcopy(load_event("complaints_api/web_form"))
    complaint["reported_on"] = rt.now().date().isoformat()
    assert rt.handle_api("POST", "/complaints", body=complaint).status in (200, 201, 202)
    payment = rt.handle_api("POST", "/ops/payments", operator, {"amount": "12.34", "received_on": "2027-01-04", "free_text": "no idea", "external_reference": "UNKNOWN-1"})
    assert payment.status in (200, 201, 202), payment.body

    everything = rt.handle_api("GET", "/ops/queue", operator).json()
    kinds = {item["kind"] for item in everything["items"]}
    assert {"blocked_enrollment", "staff_request", "advisor_request", "complaint", "suspense_payment"} <= kinds
    assert everything["unavailable"] == []
    assert set(everything["counts"]) == {"blocked_enrollment", "reading_review", "suspense_payment", "refund_approval", "advisor_request", "complaint", "staff_request"}
    blocked = next(item for item in everything["items"] if item["kind"] == "blocked_enrollment")
    assert blocked["id"] == enrollment_id and blocked["link"] == f"/ops/enrollments/{enrollment_id}" and blocked["age_days"] == 0 and blocked["sla_breached"] is False
    staff = next(item for item in everything["items"] if item["kind"] == "staff_request")
    assert (staff["id"], staff["customer_id"], staff["sla_due"]) == (request["request_id"], customer["customer_id"], "2027-01-07")

    only = rt.handle_api("GET", "/ops/queue?kind=staff_request,blocked_enrollment", operator).json()
    assert {item["kind"] for item in only["items"]} == {"staff_request", "blocked_enrollment"}
    assert rt.handle_api("GET", "/ops/queue?kind=nonsense", operator).status == 400
    assert rt.handle_api("GET", "/ops/queue?min_age_days=1", operator).json()["items"] == []

    rt.advance(to=MONDAY + timedelta(days=7))
    late = rt.handle_api("GET", "/ops/queue?sla=breached", operator).json()["items"]
    assert {"staff_request"} <= {item["kind"] for item in late}
    assert all(item["sla_breached"] for item in late)
    assert all(item["age_days"] >= 1 for item in rt.handle_api("GET", "/ops/queue?min_age_days=7", operator).json()["items"])
    assert rt.handle_api("GET", "/ops/queue?kind=blocked_enrollment&sla=ok", operator).json()["items"][0]["id"] == enrollment_id


def test_customers_are_found_by_name_number_ean_invoice_ogm_and_iban_with_the_iban_masked(rt, operator):
    target = stored_customer(22, first_name="Émilie", last_name="Van den Broeck", payment="direct_debit")
    stored_customer(23, first_name="Emile", last_name="Peeters")
    bill(rt, operator, "2027-02-01")
    detail = rt.handle_api("GET", f"/ops/customers/{target['customer_id']}", operator).json()
    invoice = detail["invoices"][0]
    number = target["customer_id"].replace("-", "")[:8].upper()

    def found(q: str) -> list[tuple[str, str]]:
        response = rt.handle_api("GET", f"/ops/customers?q={q}", operator)
        assert response.status == 200, response.body
        return [(item["customer_id"], item["matched_on"]) for item in response.json()["items"]]

    me = target["customer_id"]
    assert found("emilie%20van%20den%20broeck") == [(me, "name")]
    assert found("BROECK") == [(me, "name")]
    assert found(number.lower()) == [(me, "customer_number")]
    assert found(target["ean"]) == [(me, "ean")]
    assert found(invoice["number"]) == [(me, "invoice_number")]
    assert found(invoice["ogm"].replace("+", "%2B")) == [(me, "ogm")]
    assert found("BE71%200961%202345%206769") == [(me, "iban")]
    hit = rt.handle_api("GET", "/ops/customers?q=BE71096123456769", operator).json()["items"][0]
    assert hit["iban"] == "BE71 **** **** 6769" and hit["name"] == "Émilie Van den Broeck" and hit["postcode"] == "9000"
    assert found("Nobody%20Here") == []
    assert rt.handle_api("GET", "/ops/customers?q=x", operator).status == 400


def test_the_customer_detail_shows_contracts_invoices_work_and_the_full_audit_trail(rt, operator):
    customer = stored_customer(24)
    headers = token_of(rt, customer)
    rt.advance(hours=1)
    assert rt.handle_api("PUT", "/me/contact", headers, {"language": "fr"}).status == 200
    rt.advance(hours=1)
    assert rt.handle_api("PUT", f"/me/contracts/{customer['contract_id']}/advance", headers, {"amount": "85.00"}).status == 200
    rt.advance(hours=1)
    rt.handle_api("POST", "/me/requests", headers, {"kind": "callback", "message": "Bel me"})
    rt.advance(hours=1)
    assert rt.handle_api("PUT", f"/ops/customers/{customer['customer_id']}/contracts/{customer['contract_id']}/advance", operator, {"amount": "90.00", "reason": "klant belde"}).status == 200

    detail = rt.handle_api("GET", f"/ops/customers/{customer['customer_id']}", operator)
    assert detail.status == 200, detail.body
    view = detail.json()
    assert view["customer_number"] == customer["customer_id"].replace("-", "")[:8].upper() and view["language"] == "fr"
    assert view["contracts"][0]["advance"] == "90.00" and view["contracts"][0]["delivery_points"][0]["ean"] == customer["ean"]
    assert view["portal"]["status"] == "INVITED"
    assert [item["kind"] for item in view["work"]] == ["staff_request"]
    trail = [(entry["action"], entry["actor"]) for entry in view["audit"]]
    assert trail[:5] == [
        ("advance_changed", "an.operator@wattdesk.example"), ("request_created", customer["email"]), ("advance_changed", customer["email"]),
        ("contact_changed", customer["email"]), ("portal_invited", "workflow"),
    ]
    assert all(entry["at"] for entry in view["audit"])
    assert rt.handle_api("GET", "/ops/customers/00000000-0000-0000-0000-000000000000", operator).status == 404
