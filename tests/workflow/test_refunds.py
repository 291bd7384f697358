"""Refunds on the simulated clock (issue 8): a settlement credit partly offset and the rest paid
through the day's pain.001 file and marked paid by the statement; four eyes; the IBAN link; two
refunds racing for one credit; the payout sweep twice on one day; a returned transfer; a
mistaken payment from suspense; a complaint compensation paid by refund."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from collection_support import invoices, make_customer, xml_upload
from refund_support import (
    APPROVER_A, APPROVER_B, approver, book_credit, call, ledger_view, payment_files, refund, set_bank_account, statement, transfer_back, transfer_out,
)

pytestmark = pytest.mark.workflow

JAN_15 = datetime(2027, 1, 15, 9, 0, tzinfo=UTC)
IBAN = "BE71096123456769"


def only_refunds(runtime):
    runtime.only_schedules("BillingRunStateMachine-", "RefundSweepsFunction-")


def request(runtime, **kwargs) -> dict:
    from wattdesk import clock
    from wattdesk.services import refunds

    return call(runtime, refunds.request_refund, at=clock.now(), **kwargs)


def execution_status(runtime, refund_id: str) -> str:
    found = [e for e in runtime.executions() if e.get("name") == refund_id]
    assert len(found) == 1, found
    failures = [
        (e["type"], details.get("error"), details.get("cause"))
        for e in runtime.history(found[0]["executionArn"])
        for details in [next((v for k, v in e.items() if k.endswith("EventDetails") and isinstance(v, dict) and "error" in v), {})]
        if details
    ]
    assert found[0]["status"] != "FAILED", failures  # the step that failed and why, when one did
    return found[0]["status"]


@pytest.fixture
def billed_customer(runtime):
    """A Dutch-speaking customer with a bank account on file since November and the February
    advance invoice (75.00) open."""
    runtime.reset(JAN_15)
    only_refunds(runtime)
    customer = make_customer(1, advance="75.00", language="nl")
    set_bank_account(customer["customer_id"], IBAN, "Betaler1 Test", datetime(2026, 11, 2, 10, 0, tzinfo=UTC))
    runtime.advance(to=datetime(2027, 2, 2, 8, 0, tzinfo=UTC))
    assert [i["status"] for i in invoices(runtime).values()] == ["OPEN"]
    return customer


def test_a_settlement_credit_is_offset_against_the_open_invoice_and_the_rest_paid_in_the_days_file(runtime, billed_customer, operator):
    customer_id = billed_customer["customer_id"]
    (number,) = invoices(runtime)
    book_credit(customer_id, "120.00", datetime(2027, 2, 2, 8, 0, tzinfo=UTC), invoice_number="2027-S-000001", kind="invoice")
    made = request(runtime, customer_id=customer_id, amount=Decimal("120.00"), source="SETTLEMENT", source_id="2027-S-000001", reason="settlement credit")
    assert request(runtime, customer_id=customer_id, amount=Decimal("120.00"), source="SETTLEMENT", source_id="2027-S-000001", reason="again")["refund_id"] == made["refund_id"]
    refund_id = made["refund_id"]
    view = refund(runtime, operator, refund_id)
    # 75.00 absorbed by the open February invoice (oldest first), 45.00 to pay, no approver needed.
    assert (view["status"], view["amount"], view["offsets"]) == ("APPROVED", "45.00", [{"invoice_number": number, "amount": "75.00"}])
    assert invoices(runtime)[number]["status"] == "PAID"
    balance, entries = ledger_view(customer_id)
    assert balance == Decimal("-45.00")
    assert [(k, a, n) for k, a, n in entries if k == "refund_offset"] == [("refund_offset", "75.00", None), ("refund_offset", "-75.00", number)]

    # The payout sweep at 14:00 in Brussels writes the day's file.
    runtime.advance(to=datetime(2027, 2, 2, 13, 30, tzinfo=UTC))
    files = payment_files(runtime)
    assert list(files) == ["sepa/pain.001/2027-02-02/WD-RF-20270202.xml"]
    from wattdesk.adapters import sepa_files

    xml = files["sepa/pain.001/2027-02-02/WD-RF-20270202.xml"]
    sepa_files.validate(xml, sepa_files.PAIN_001)
    (transfer,) = sepa_files.read_pain001(xml)
    assert (transfer["end_to_end_id"], transfer["amount"], transfer["iban"]) == (refund_id, "45.00", IBAN)
    assert "2027-S-000001" in transfer["remittance"]
    assert refund(runtime, operator, refund_id)["status"] == "SENT"
    assert ledger_view(customer_id)[0] == Decimal("0.00")
    mails = [m for m in runtime.outbox(billed_customer["email"]) if "terugbetaling" in m["subject"]]
    assert len(mails) == 1 and "45,00" in mails[0]["subject"] and "2 februari 2027" in mails[0]["text"]

    # The bank statement shows the debit: PAID, and the execution is done at once (the collection
    # function answers the parked token; no sweep runs in between: the clock does not move).
    day = date(2027, 2, 3)
    imported = xml_upload(runtime, "/ops/bank-statements", operator, statement("2027-034", day, transfer_out(refund_id, "45.00", IBAN, "Betaler1 Test", day)))
    assert imported.status == 200, imported.body
    assert imported.json()["refunds"] == {"paid": 1}
    assert imported.json()["counts"]["other_debits"] == 0
    runtime.wait_until_settled()
    assert refund(runtime, operator, refund_id)["status"] == "PAID"
    assert execution_status(runtime, refund_id) == "SUCCEEDED"
    again = xml_upload(runtime, "/ops/bank-statements", operator, statement("2027-034", day, transfer_out(refund_id, "45.00", IBAN, "Betaler1 Test", day)))
    assert again.json()["refunds"] == {"duplicate": 1}
    mine = runtime.handle_api("GET", "/me/refunds", {"Authorization": runtime.login(billed_customer["email"], ["customers"], {"custom:customer_id": customer_id})["id_token"]}).json()["items"]
    assert [(r["refund_id"], r["status"], r["amount"]) for r in mine] == [(refund_id, "PAID", "45.00")]


def test_a_refund_above_the_threshold_needs_a_second_operator(runtime, billed_customer):
    customer_id = billed_customer["customer_id"]
    book_credit(customer_id, "675.00", datetime(2027, 2, 2, 8, 0, tzinfo=UTC))  # an overpayment
    ann, bob = approver(runtime, APPROVER_A), approver(runtime, APPROVER_B)
    created = runtime.handle_api("POST", "/ops/refunds", ann, {"customer_id": customer_id, "amount": "675.00", "reason": "overpaid twice", "request_id": "call-0815"})
    assert created.status == 201, created.body
    refund_id = created.json()["refund_id"]
    runtime.wait_until_settled()
    view = refund(runtime, ann, refund_id)
    assert (view["status"], view["amount"], view["approval_reasons"]) == ("AWAITING_APPROVAL", "600.00", ["amount_above_threshold"])
    refused = runtime.handle_api("POST", f"/ops/refunds/{refund_id}/approval", ann, {"decision": "approve"})
    assert (refused.status, refused.json()["errors"][0]["code"]) == (400, "refund.four_eyes")
    above_credit = runtime.handle_api("POST", "/ops/refunds", ann, {"customer_id": customer_id, "amount": "700.00", "reason": "too much"})
    assert above_credit.json()["errors"][0]["code"] == "refund.above_credit"
    approved = runtime.handle_api("POST", f"/ops/refunds/{refund_id}/approval", bob, {"decision": "approve", "reason": "checked the statement"})
    assert approved.status == 200, approved.body
    runtime.wait_until_settled()
    assert refund(runtime, bob, refund_id)["status"] == "APPROVED"
    runtime.advance(to=datetime(2027, 2, 2, 13, 30, tzinfo=UTC))
    assert refund(runtime, bob, refund_id)["status"] == "SENT"


def test_a_customer_without_iban_adds_it_through_the_link(runtime, operator):
    runtime.reset(JAN_15)
    only_refunds(runtime)
    customer = make_customer(2, language="fr")
    book_credit(customer["customer_id"], "30.00", JAN_15)
    refund_id = request(runtime, customer_id=customer["customer_id"], amount=Decimal("30.00"), source="OVERPAYMENT", source_id="S-overpaid-1", reason="overpayment")["refund_id"]
    assert refund(runtime, operator, refund_id)["status"] == "AWAITING_IBAN"
    (asked,) = [m for m in runtime.outbox(customer["email"]) if "numéro de compte" in m["subject"]]
    assert asked["language"] == "fr"
    link = next(line for line in asked["text"].splitlines() if "/refund/?" in line)
    token = link.split("&t=")[1]
    # Reminded after 10 working days (Friday 15 January + 10 = Friday 29 January).
    runtime.advance(to=datetime(2027, 1, 29, 8, 0, tzinfo=UTC))
    reminders = [m for m in runtime.outbox(customer["email"]) if m["subject"].startswith("Rappel")]
    assert len(reminders) == 1
    token = next(line for line in reminders[0]["text"].splitlines() if "/refund/?" in line).split("&t=")[1]
    page = runtime.handle_api("GET", f"/refund-requests/{refund_id}?token={token}")
    assert (page.status, page.json()["amount"], page.json()["waiting_for_iban"]) == (200, "30.00", True)
    assert runtime.handle_api("GET", f"/refund-requests/{refund_id}?token=wrong-token-123").status == 404
    bad = runtime.handle_api("POST", f"/refund-requests/{refund_id}/iban", {}, {"token": token, "iban": "BE98096123456768", "account_holder": "Betaler2 Test"})
    assert bad.json()["errors"][0]["code"] == "iban.be_national_check"
    answered = runtime.handle_api("POST", f"/refund-requests/{refund_id}/iban", {}, {"token": token, "iban": "BE71 0961 2345 6769", "account_holder": "Betaler2 Test"})
    assert answered.status == 200, answered.body
    runtime.wait_until_settled()
    # A new account is a changed account: a second person approves.
    view = refund(runtime, operator, refund_id)
    assert (view["status"], view["approval_reasons"], view["iban"]) == ("AWAITING_APPROVAL", ["iban_changed_recently"], "BE71 **** **** 6769")
    runtime.handle_api("POST", f"/ops/refunds/{refund_id}/approval", approver(runtime, APPROVER_B), {"decision": "approve"})
    runtime.advance(to=datetime(2027, 2, 1, 13, 30, tzinfo=UTC))
    assert refund(runtime, operator, refund_id)["status"] == "SENT"
    audit = [a for a in _customer_audit(customer["customer_id"]) if a.action == "bank_account_changed"]
    assert len(audit) == 1 and "6769" in audit[0].details and IBAN not in audit[0].details


def _customer_audit(customer_id: str):
    from refund_support import table_environment
    from wattdesk.stores import enrollments

    with table_environment():
        return enrollments.customer_audit(customer_id)


def test_two_refunds_racing_for_one_credit_pay_it_once_and_a_second_sweep_the_same_day_adds_nothing(runtime, billed_customer, operator):
    customer_id = billed_customer["customer_id"]
    # 175.00 credit: 75.00 goes to the open invoice first, 100.00 stays.
    book_credit(customer_id, "175.00", datetime(2027, 2, 2, 8, 0, tzinfo=UTC))
    first = request(runtime, customer_id=customer_id, amount=Decimal("100.00"), source="OVERPAYMENT", source_id="P-1", reason="overpayment")["refund_id"]
    second = request(runtime, customer_id=customer_id, amount=Decimal("100.00"), source="FINAL", source_id="2027-F-000001", reason="final invoice credit")["refund_id"]
    assert (refund(runtime, operator, first)["amount"], refund(runtime, operator, second)["amount"]) == ("25.00", "100.00")

    # The conditional write: both read the account, the first takes the credit, the second's write fails.
    from wattdesk import clock
    from wattdesk.services import refunds as service
    from wattdesk.stores import ledger
    from refund_support import service_environment

    with service_environment(runtime):
        racing = [service.prepare_reservation(first), service.prepare_reservation(second)]
        assert service.commit_reservation(racing[1], "WD-RF-20270202", date(2027, 2, 2), clock.now()) == "reserved"
        with pytest.raises(ledger.AccountChanged):
            service.commit_reservation(racing[0], "WD-RF-20270202", date(2027, 2, 2), clock.now())
    assert (refund(runtime, operator, second)["status"], refund(runtime, operator, first)["status"]) == ("SENT", "APPROVED")
    # (the second is reserved for today's file, which the 14:00 sweep writes)
    # Both were planned on the same credit: re-checked in the day's sweep, the first is not paid.
    runtime.advance(to=datetime(2027, 2, 2, 13, 30, tzinfo=UTC))
    lost = refund(runtime, operator, first)
    assert (lost["status"], lost["status_reason"]) == ("CANCELLED", "credit_gone")
    assert ledger_view(customer_id)[0] == Decimal("0.00")

    # A third refund approved after today's file, and the sweep run again on the same day.
    book_credit(customer_id, "40.00", datetime(2027, 2, 2, 14, 0, tzinfo=UTC))
    third = request(runtime, customer_id=customer_id, amount=Decimal("40.00"), source="OVERPAYMENT", source_id="P-3", reason="overpayment")["refund_id"]
    assert refund(runtime, operator, third)["status"] == "APPROVED"
    again = runtime.invoke("RefundSweepsFunction", {"task": "payout", "as_of": "2027-02-02T13:00:00Z"})
    assert json.loads(again[0])["result"]["already_written"] is True
    files = payment_files(runtime)
    assert sorted(files) == ["sepa/pain.001/2027-02-02/WD-RF-20270202.xml"]
    runtime.advance(to=datetime(2027, 2, 3, 13, 30, tzinfo=UTC))
    files = payment_files(runtime)
    from wattdesk.adapters import sepa_files

    in_files = {key: [t["end_to_end_id"] for t in sepa_files.read_pain001(xml)] for key, xml in files.items()}
    assert in_files["sepa/pain.001/2027-02-03/WD-RF-20270203.xml"] == [third]
    every = [e2e for ids in in_files.values() for e2e in ids]
    assert len(every) == len(set(every))  # no refund in two files
    # A refund above the credit left is never paid: a fourth one for money already refunded.
    fourth = request(runtime, customer_id=customer_id, amount=Decimal("50.00"), source="OVERPAYMENT", source_id="P-4", reason="again")["refund_id"]
    assert refund(runtime, operator, fourth)["status"] == "CANCELLED"
    assert ledger_view(customer_id)[0] == Decimal("0.00")


def test_a_returned_transfer_reopens_the_credit_and_asks_for_a_new_iban(runtime, billed_customer, operator):
    customer_id = billed_customer["customer_id"]
    book_credit(customer_id, "135.00", datetime(2027, 2, 2, 8, 0, tzinfo=UTC))
    refund_id = request(runtime, customer_id=customer_id, amount=Decimal("135.00"), source="OVERPAYMENT", source_id="P-9", reason="overpayment")["refund_id"]
    runtime.advance(to=datetime(2027, 2, 2, 13, 30, tzinfo=UTC))
    assert refund(runtime, operator, refund_id)["status"] == "SENT"
    day = date(2027, 2, 4)
    back = xml_upload(runtime, "/ops/bank-statements", operator, statement("2027-035", day, transfer_back(refund_id, "60.00", "AC04", day)))
    assert back.json()["refunds"] == {"returned": 1}
    assert back.json()["counts"]["new"] == 0  # not booked as an incoming payment
    runtime.wait_until_settled()
    returned = refund(runtime, operator, refund_id)
    assert returned["status"] == "RETURNED" and returned["follow_up_id"]
    assert ledger_view(customer_id)[0] == Decimal("-60.00")  # the money is back on the account
    # The statement import (the collection function, wired to the Refund state machine) starts the
    # follow-up at once, with no sweep: it cannot use the account the money came back from.
    assert execution_status(runtime, refund_id) == "SUCCEEDED"
    assert execution_status(runtime, returned["follow_up_id"]) == "RUNNING"
    follow_up = refund(runtime, operator, returned["follow_up_id"])
    assert (follow_up["status"], follow_up["amount"], follow_up["iban"]) == ("AWAITING_IBAN", "60.00", None)
    assert [m for m in runtime.outbox(billed_customer["email"]) if "rekeningnummer" in m["subject"]]
