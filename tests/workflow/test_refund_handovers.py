"""Refunds handed over by other workflows, end to end on the simulated clock (issue 8): a mistaken
payment from the suspense queue goes back to its sender, and a complaint resolved with a
compensation paid by refund ends PAID. Both go through the APIs an operator uses, the 06:00
hand-over sweep, the 14:00 pain.001 file and the bank statement."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from collection_support import make_customer, token, xml_upload
from refund_support import ledger_view, payment_files, refund, set_bank_account, statement, transfer_out, incoming
from support import load_event

pytestmark = pytest.mark.workflow

MONDAY_FEB_1 = datetime(2027, 2, 1, 8, 0, tzinfo=UTC)
SENDER_IBAN = "BE88063554433241"


def only_refunds(runtime):
    runtime.only_schedules("RefundSweepsFunction-")


def refunds_in(runtime, operator, status: str) -> list[dict]:
    response = runtime.handle_api("GET", f"/ops/refunds?status={status}", operator)
    assert response.status == 200, response.body
    return response.json()["items"]


def file_transfers(runtime) -> dict[str, list[dict]]:
    from wattdesk.adapters import sepa_files

    files = payment_files(runtime)
    for xml in files.values():
        sepa_files.validate(xml, sepa_files.PAIN_001)
    return {key: sepa_files.read_pain001(xml) for key, xml in files.items()}


def test_a_mistaken_payment_from_the_suspense_queue_goes_back_to_its_sender(runtime, operator):
    runtime.reset(MONDAY_FEB_1)
    only_refunds(runtime)
    # Someone who is not our customer pays 75.00 with no reference we know: the suspense queue.
    day = date(2027, 2, 1)
    imported = xml_upload(runtime, "/ops/bank-statements", operator, statement("2027-031", day, incoming("75.00", "M. Vijf", SENDER_IBAN, "huur februari", day)))
    assert imported.status == 200, imported.body
    assert imported.json()["counts"]["suspense"] == 1
    (waiting,) = runtime.handle_api("GET", "/ops/payments/suspense", operator).json()["items"]
    decided = runtime.handle_api("POST", f"/ops/payments/suspense/{waiting['payment_id']}/assignment", operator, {"action": "refund", "note": "Geen klant: huur voor een verhuurder"})
    assert (decided.status, decided.json()["status"]) == (200, "MISTAKEN_TO_REFUND")
    assert refunds_in(runtime, operator, "APPROVED") == []  # handed over, not yet a refund

    # The 06:00 sweep takes the hand-over; the money goes back to the account it came from, with
    # no approver (the sender's own account was changed by nobody; 75.00 is below the threshold).
    runtime.advance(to=datetime(2027, 2, 2, 6, 0, tzinfo=UTC))
    (approved,) = refunds_in(runtime, operator, "APPROVED")
    refund_id = approved["refund_id"]
    assert (approved["source"], approved["source_id"], approved["payee_kind"], approved["amount"], approved["iban"]) == (
        "MISTAKEN_PAYMENT", waiting["payment_id"], "payer", "75.00", "BE88 **** **** 3241",
    )
    assert approved["created_by"] == "an.operator@wattdesk.example"  # who decided it in the suspense queue
    from refund_support import table_environment
    from wattdesk.stores import payments

    with table_environment():
        assert payments.get_handover(waiting["payment_id"]).status == "TAKEN"
    # The sweep the next day takes nothing twice.
    runtime.advance(to=datetime(2027, 2, 2, 12, 0, tzinfo=UTC))
    assert len(refunds_in(runtime, operator, "APPROVED")) == 1

    # The 14:00 file pays the sender back.
    runtime.advance(to=datetime(2027, 2, 2, 13, 30, tzinfo=UTC))
    (transfers,) = file_transfers(runtime).values()
    assert [(t["end_to_end_id"], t["amount"], t["iban"], t["name"]) for t in transfers] == [(refund_id, "75.00", SENDER_IBAN, "M. Vijf")]
    assert refund(runtime, operator, refund_id)["status"] == "SENT"

    # The statement shows the debit: PAID, and the sender's pseudo account is square.
    out_day = date(2027, 2, 3)
    paid = xml_upload(runtime, "/ops/bank-statements", operator, statement("2027-032", out_day, transfer_out(refund_id, "75.00", SENDER_IBAN, "M. Vijf", out_day)))
    assert paid.json()["refunds"] == {"paid": 1}
    runtime.wait_until_settled()
    view = refund(runtime, operator, refund_id)
    assert (view["status"], view["paid_on"]) == ("PAID", "2027-02-03")
    balance, entries = ledger_view(view["customer_id"])
    assert balance == Decimal("0.00")
    assert sorted(kind for kind, _amount, _number in entries) == ["mistaken_payment", "refund"]


def test_a_complaint_compensation_paid_by_refund_ends_paid(runtime, operator):
    runtime.reset(datetime(2027, 2, 2, 8, 0, tzinfo=UTC))
    only_refunds(runtime)
    customer = make_customer(3, language="fr")
    customer_id = customer["customer_id"]
    iban = "BE71096123456769"
    set_bank_account(customer_id, iban, "Betaler3 Test", datetime(2026, 11, 2, 10, 0, tzinfo=UTC))
    phoned = load_event("complaints_api/phone")
    phoned["reporter"]["customer_number"] = customer_id
    created = runtime.handle_api("POST", "/ops/complaints", operator, {**phoned, "nature": "billing"})
    assert created.status == 201, created.body
    number = created.json()["complaint_number"]
    assert runtime.handle_api("POST", f"/ops/complaints/{number}/assessment", operator, {"assessment": "admissible"}).status == 200
    resolved = runtime.handle_api("POST", f"/ops/complaints/{number}/resolutions", operator, {"kind": "compensation", "amount": "40.00", "method": "refund", "note": "Geste commercial."})
    assert resolved.status == 201, resolved.body

    # The next morning's hand-over sweep makes it a refund, which brings its own credit.
    runtime.advance(to=datetime(2027, 2, 3, 6, 0, tzinfo=UTC))
    (approved,) = refunds_in(runtime, operator, "APPROVED")
    refund_id = approved["refund_id"]
    assert (approved["source"], approved["source_id"], approved["amount"], approved["customer_id"]) == ("COMPLAINT", number, "40.00", customer_id)
    assert ledger_view(customer_id)[0] == Decimal("-40.00")

    runtime.advance(to=datetime(2027, 2, 3, 13, 30, tzinfo=UTC))
    (transfers,) = file_transfers(runtime).values()
    assert [(t["end_to_end_id"], t["amount"], t["iban"]) for t in transfers] == [(refund_id, "40.00", iban)]
    assert number in transfers[0]["remittance"]
    (sent_mail,) = [m for m in runtime.outbox(customer["email"]) if "remboursement" in m["subject"].lower()]
    assert sent_mail["language"] == "fr" and "40,00" in sent_mail["subject"] + sent_mail["text"]

    out_day = date(2027, 2, 4)
    paid = xml_upload(runtime, "/ops/bank-statements", operator, statement("2027-035", out_day, transfer_out(refund_id, "40.00", iban, "Betaler3 Test", out_day)))
    assert paid.json()["refunds"] == {"paid": 1}
    runtime.wait_until_settled()
    assert refund(runtime, operator, refund_id)["status"] == "PAID"
    balance, entries = ledger_view(customer_id)
    assert balance == Decimal("0.00")
    assert [(kind, amount) for kind, amount, _n in entries] == [("compensation", "-40.00"), ("refund", "40.00")]
    mine = runtime.handle_api("GET", "/me/refunds", token(runtime, customer)).json()["items"]
    assert [(r["refund_id"], r["status"], r["amount"], r["reason"]) for r in mine] == [(refund_id, "PAID", "40.00", "COMPLAINT")]
