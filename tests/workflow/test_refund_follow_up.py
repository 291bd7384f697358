"""Refunds that wait for an account number, on the simulated clock (issue 8): reminded after 10
working days and handed to ops after 30; ops enter or correct the IBAN (a change: a second person
approves) or cancel the refund; a mistaken payment whose sender's account is unknown goes to ops
at once. The sample events of the refund functions are refused by name when malformed."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from collection_support import make_customer, token, xml_upload
from refund_support import (
    APPROVER_A, APPROVER_B, approver, book_credit, call, ledger_view, payment_files, refund, statement,
)
from support import load_event

pytestmark = pytest.mark.workflow

FRIDAY_JAN_15 = datetime(2027, 1, 15, 9, 0, tzinfo=UTC)
NEW_IBAN = "BE68539007547034"


def waiting_for_iban(runtime, index: int, amount: str, language: str) -> tuple[dict, str, str]:
    """A customer with no account on file and a credit to refund: (customer, refund id, link token)."""
    from wattdesk import clock
    from wattdesk.services import refunds

    customer = make_customer(index, language=language)
    book_credit(customer["customer_id"], amount, clock.now())
    made = call(runtime, refunds.request_refund, customer_id=customer["customer_id"], amount=Decimal(amount), source="OVERPAYMENT", source_id=f"P-{index}", reason="overpayment", at=clock.now())
    (asked,) = runtime.outbox(customer["email"])
    link = next(line for line in asked["text"].splitlines() if "/refund/?" in line)
    return customer, made["refund_id"], link.split("&t=")[1]


def execution_status(runtime, refund_id: str) -> str:
    (found,) = [e for e in runtime.executions() if e.get("name") == refund_id]
    return found["status"]


def test_no_iban_after_30_working_days_goes_to_ops_who_enter_one_and_a_second_approver_releases_it(runtime, operator):
    runtime.reset(FRIDAY_JAN_15)
    runtime.only_schedules("RefundSweepsFunction-")
    customer, refund_id, link_token = waiting_for_iban(runtime, 4, "80.00", "de")
    assert refund(runtime, operator, refund_id)["status"] == "AWAITING_IBAN"

    # 29 working days later: reminded once (after 10), not yet with ops.
    runtime.advance(to=datetime(2027, 2, 25, 8, 0, tzinfo=UTC))
    view = refund(runtime, operator, refund_id)
    assert (view["status"], view["escalated"]) == ("AWAITING_IBAN", False)
    assert len([m for m in runtime.outbox(customer["email"]) if m["subject"].startswith("Erinnerung")]) == 1
    # The 30th working day (Friday 26 February): ops see it first in their list, flagged.
    runtime.advance(to=datetime(2027, 2, 26, 8, 0, tzinfo=UTC))
    listed = runtime.handle_api("GET", "/ops/refunds", operator).json()["items"]
    assert (listed[0]["refund_id"], listed[0]["escalated"], listed[0]["status_reason"]) == (refund_id, True, "no IBAN after 30 working days")
    assert len(runtime.outbox(customer["email"])) == 2  # the request and one reminder: ops call now

    # Ops enter the account the customer gave on the phone: checked like any IBAN.
    ann = approver(runtime, APPROVER_A)
    wrong = runtime.handle_api("PUT", f"/ops/refunds/{refund_id}/iban", ann, {"iban": "BE98096123456768", "account_holder": "Betaler4 Test"})
    assert (wrong.status, wrong.json()["errors"][0]["code"]) == (400, "iban.be_national_check")
    entered = runtime.handle_api("PUT", f"/ops/refunds/{refund_id}/iban", ann, {"iban": "BE68 5390 0754 7034", "account_holder": "Betaler4 Test"})
    assert entered.status == 200, entered.body
    runtime.wait_until_settled()
    view = refund(runtime, ann, refund_id)
    assert (view["status"], view["approval_reasons"], view["iban"]) == ("AWAITING_APPROVAL", ["iban_changed_recently"], "BE68 **** **** 7034")
    # The mailed link is spent: the account is set.
    assert runtime.handle_api("GET", f"/refund-requests/{refund_id}?token={link_token}").status == 404
    # Who entered the account cannot release the money to it.
    refused = runtime.handle_api("POST", f"/ops/refunds/{refund_id}/approval", ann, {"decision": "approve"})
    assert (refused.status, refused.json()["errors"][0]["code"]) == (400, "refund.four_eyes")
    approved = runtime.handle_api("POST", f"/ops/refunds/{refund_id}/approval", approver(runtime, APPROVER_B), {"decision": "approve", "reason": "called the customer back"})
    assert approved.status == 200, approved.body
    runtime.advance(to=datetime(2027, 2, 26, 13, 30, tzinfo=UTC))
    from wattdesk.adapters import sepa_files

    (xml,) = payment_files(runtime).values()
    assert [(t["end_to_end_id"], t["iban"], t["amount"]) for t in sepa_files.read_pain001(xml)] == [(refund_id, NEW_IBAN, "80.00")]
    assert refund(runtime, operator, refund_id)["status"] == "SENT"


def test_ops_cancel_a_waiting_refund_and_the_credit_stays_on_the_account(runtime, operator, customer):
    runtime.reset(FRIDAY_JAN_15)
    runtime.only_schedules("RefundSweepsFunction-")
    payer, refund_id, link_token = waiting_for_iban(runtime, 5, "30.00", "en")
    body = {"reason": "customer asked to keep the credit for the next invoice"}
    assert runtime.handle_api("POST", f"/ops/refunds/{refund_id}/cancel", customer, body).status == 403
    assert runtime.handle_api("POST", f"/ops/refunds/{refund_id}/cancel", operator, {"reason": ""}).status == 400  # a reason is required
    cancelled = runtime.handle_api("POST", f"/ops/refunds/{refund_id}/cancel", operator, body)
    assert cancelled.status == 200, cancelled.body
    runtime.wait_until_settled()
    view = refund(runtime, operator, refund_id)
    assert (view["status"], view["status_reason"]) == ("CANCELLED", "cancelled_by_ops")
    assert view["history"][-1]["by"] == "an.operator@wattdesk.example" and view["history"][-1]["note"] == body["reason"]
    assert execution_status(runtime, refund_id) == "SUCCEEDED"
    assert ledger_view(payer["customer_id"])[0] == Decimal("-30.00")  # nothing left the account
    again = runtime.handle_api("POST", f"/ops/refunds/{refund_id}/cancel", operator, body)
    assert (again.status, again.json()["errors"][0]["code"]) == (409, "refund.not_cancellable")
    # The link in the customer's mail no longer takes an account.
    page = runtime.handle_api("GET", f"/refund-requests/{refund_id}?token={link_token}").json()
    assert (page["status"], page["waiting_for_iban"]) == ("CANCELLED", False)
    late = runtime.handle_api("POST", f"/refund-requests/{refund_id}/iban", {}, {"token": link_token, "iban": NEW_IBAN, "account_holder": "Betaler5 Test"})
    assert (late.status, late.json()["errors"][0]["code"]) == (409, "refund.not_waiting_for_iban")
    mine = runtime.handle_api("GET", "/me/refunds", token(runtime, payer)).json()["items"]
    assert [(r["refund_id"], r["status"]) for r in mine] == [(refund_id, "CANCELLED")]


def test_a_mistaken_payment_without_the_senders_account_goes_to_ops_at_once(runtime, operator):
    from refund_support import _entry

    runtime.reset(datetime(2027, 2, 1, 8, 0, tzinfo=UTC))
    runtime.only_schedules("RefundSweepsFunction-")
    day = date(2027, 2, 1)
    cash = _entry("20270201-IN0001", "50.00", True, day, """
          <AmtDtls><TxAmt><Amt Ccy="EUR">50.00</Amt></TxAmt></AmtDtls>
          <RltdPties><Dbtr><Nm>J. Zes</Nm></Dbtr></RltdPties>
          <RmtInf><Ustrd>cash deposit</Ustrd></RmtInf>""")
    assert xml_upload(runtime, "/ops/bank-statements", operator, statement("2027-031", day, cash)).json()["counts"]["suspense"] == 1
    (waiting,) = runtime.handle_api("GET", "/ops/payments/suspense", operator).json()["items"]
    runtime.handle_api("POST", f"/ops/payments/suspense/{waiting['payment_id']}/assignment", operator, {"action": "refund", "note": "not ours"})
    runtime.advance(to=datetime(2027, 2, 2, 6, 0, tzinfo=UTC))
    (found,) = runtime.handle_api("GET", "/ops/refunds?status=AWAITING_IBAN", operator).json()["items"]
    assert (found["source_id"], found["escalated"], found["status_reason"]) == (waiting["payment_id"], True, "no IBAN and no way to ask the payee")
    refund_id = found["refund_id"]
    # The bank gave the sender's account on request: ops enter it, a second approver releases it.
    ann = approver(runtime, APPROVER_A)
    assert runtime.handle_api("PUT", f"/ops/refunds/{refund_id}/iban", ann, {"iban": NEW_IBAN, "account_holder": "J. Zes"}).status == 200
    runtime.wait_until_settled()
    assert refund(runtime, ann, refund_id)["status"] == "AWAITING_APPROVAL"
    assert runtime.handle_api("POST", f"/ops/refunds/{refund_id}/approval", approver(runtime, APPROVER_B), {"decision": "approve"}).status == 200
    runtime.wait_until_settled()
    assert refund(runtime, ann, refund_id)["status"] == "APPROVED"


def test_the_sample_events_run_and_malformed_ones_are_refused_by_name(runtime, operator):
    runtime.reset(datetime(2027, 2, 2, 8, 0, tzinfo=UTC))
    payload, errored, _ = runtime.invoke("RefundTasksFunction", load_event("refunds_tasks/malformed"))
    assert errored and json.loads(payload)["errorType"] == "MalformedEvent"
    payload, errored, _ = runtime.invoke("RefundTasksFunction", load_event("refunds_tasks/plan"))
    assert errored and json.loads(payload)["errorType"] == "NotFound"  # no such refund: caught and reported by the Refund state machine
    payload, errored, _ = runtime.invoke("RefundSweepsFunction", {"task": "payout"})
    assert errored and json.loads(payload)["errorType"] == "MalformedEvent"
    payload, errored, _ = runtime.invoke("RefundSweepsFunction", load_event("refunds_sweeps/take_handovers"))
    assert not errored and json.loads(payload)["result"]["mistaken_payments"] == 0
    payload, errored, _ = runtime.invoke("RefundSweepsFunction", load_event("refunds_sweeps/payout"))
    assert not errored and json.loads(payload)["result"] == {"as_of": "2027-02-02", "file": None, "reserved": 0, "cancelled_no_credit": 0, "no_iban": 0, "in_file": 0}
    assert runtime.handle_api("GET", "/ops/refund-files", operator).json()["items"] == []


def test_an_execution_left_parked_by_a_failed_resume_is_answered_by_the_morning_sweep(runtime, operator):
    """The statement import booked PAID but could not answer the parked token (throttled, say): the
    execution would wait for 60 days; the next 06:00 sweep answers it."""
    from wattdesk import clock
    from wattdesk.services import refunds
    from wattdesk.stores import refunds as store
    from refund_support import service_environment, set_bank_account

    runtime.reset(datetime(2027, 2, 2, 8, 0, tzinfo=UTC))
    runtime.only_schedules("RefundSweepsFunction-")
    customer = make_customer(6)
    set_bank_account(customer["customer_id"], NEW_IBAN, "Betaler6 Test", datetime(2026, 11, 2, 10, 0, tzinfo=UTC))
    book_credit(customer["customer_id"], "20.00", clock.now())
    refund_id = call(runtime, refunds.request_refund, customer_id=customer["customer_id"], amount=Decimal("20.00"), source="OVERPAYMENT", source_id="P-6", reason="overpayment", at=clock.now())["refund_id"]
    runtime.advance(to=datetime(2027, 2, 2, 13, 30, tzinfo=UTC))
    assert refund(runtime, operator, refund_id)["status"] == "SENT"
    with service_environment(runtime):  # the import's status change, without its resume
        store.transition(refund_id, ("SENT",), "PAID", clock.now(), "bank", None, paid_on="2027-02-03")
    runtime.wait_until_settled()
    assert execution_status(runtime, refund_id) == "RUNNING"
    runtime.advance(to=datetime(2027, 2, 3, 6, 0, tzinfo=UTC))
    assert execution_status(runtime, refund_id) == "SUCCEEDED"
    assert refund(runtime, operator, refund_id)["status"] == "PAID"
