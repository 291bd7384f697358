"""Incoming payments on the simulated clock: a camt.053 statement imported (twice), partial and
overpayments on the account, a wrong reference in the suspense queue assigned by an operator,
a mistaken payment handed to the refund workflow, and the customer's view of the account."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from collection_support import BANK, MID_JANUARY, invoices, make_customer, table_environment, token, xml_upload

pytestmark = pytest.mark.workflow

FEBRUARY = (BANK / "camt053_february.xml").read_bytes()


@pytest.fixture
def billed(runtime):
    """Five transfer customers, each with a February advance invoice of 75.00 (2027-A-000001..5)."""
    runtime.reset(MID_JANUARY)
    customers = [make_customer(i, language=["nl", "fr", "de", "en", "nl"][i]) for i in range(5)]
    runtime.advance(to=datetime(2027, 2, 1, 8, 0, tzinfo=UTC))
    issued = invoices(runtime)
    assert sorted(issued) == [f"2027-A-{n:06d}" for n in range(1, 6)]
    by_id = {c["customer_id"]: c for c in customers}
    return {number: by_id[invoice["customer_id"]] for number, invoice in issued.items()}


def account(runtime, operator, customer) -> dict:
    response = runtime.handle_api("GET", f"/ops/customers/{customer['customer_id']}/account", operator)
    assert response.status == 200
    return response.json()


def test_a_statement_imported_twice_books_once_and_a_wrong_reference_is_assigned_from_suspense(runtime, billed, operator, customer):
    runtime.advance(to=datetime(2027, 2, 18, 8, 0, tzinfo=UTC))
    first = xml_upload(runtime, "/ops/bank-statements", operator, FEBRUARY)
    assert first.status == 200, first.body
    assert first.json()["counts"] == {
        "entries": 7, "new": 5, "duplicates": 0, "booked": 4, "suspense": 1, "direct_debit_settlements": 0, "returns": 0, "not_booked_by_bank": 1, "other_debits": 1,
    }
    assert first.json()["account"] == "BE21 **** **** 7803"

    def open_and_balance(number):
        view = account(runtime, operator, billed[number])
        return {item["invoice_number"]: item["open_amount"] for item in view["open_items"]}, view["balance"], view["credit"]

    assert open_and_balance("2027-A-000001") == ({}, "0.00", "0.00")  # exact OGM, full amount
    assert open_and_balance("2027-A-000002") == ({"2027-A-000002": "45.00"}, "45.00", "0.00")  # partial
    assert open_and_balance("2027-A-000003") == ({}, "-25.00", "25.00")  # overpaid: credit on the account
    assert open_and_balance("2027-A-000004") == ({}, "0.00", "0.00")  # invoice number in the text + amount
    assert open_and_balance("2027-A-000005") == ({"2027-A-000005": "75.00"}, "75.00", "0.00")  # typo: not paid
    statuses = {number: invoice["status"] for number, invoice in invoices(runtime).items()}
    assert statuses == {"2027-A-000001": "PAID", "2027-A-000002": "OPEN", "2027-A-000003": "PAID", "2027-A-000004": "PAID", "2027-A-000005": "OPEN"}

    # The same file again (the bank resent it, or an operator uploaded it twice): nothing booked twice.
    entries_before = {n: len(account(runtime, operator, c)["entries"]) for n, c in billed.items()}
    second = xml_upload(runtime, "/ops/bank-statements", operator, FEBRUARY)
    assert second.status == 200
    assert (second.json()["counts"]["new"], second.json()["counts"]["duplicates"], second.json()["counts"]["booked"], second.json()["counts"]["suspense"]) == (0, 5, 0, 0)
    assert {n: len(account(runtime, operator, c)["entries"]) for n, c in billed.items()} == entries_before
    assert open_and_balance("2027-A-000002")[1] == "45.00"

    # The wrong reference waits in the suspense queue, with what the bank told us (IBAN masked).
    queue = runtime.handle_api("GET", "/ops/payments/suspense", operator).json()["items"]
    assert len(queue) == 1
    waiting = queue[0]
    assert (waiting["amount"], waiting["debtor_name"], waiting["free_text"], waiting["debtor_iban"], waiting["status"]) == ("75.00", "M. Vijf", "+++027/1000/00574+++ voorschot", "BE88 **** **** 3241", "SUSPENSE")
    assert runtime.handle_api("GET", "/ops/payments/suspense", customer).status == 403

    url = f"/ops/payments/suspense/{waiting['payment_id']}/assignment"
    assert runtime.handle_api("POST", url, operator, {"action": "assign"}).json()["errors"][0]["code"] == "payment.customer_required"
    assigned = runtime.handle_api("POST", url, operator, {"action": "assign", "invoice_number": "2027-A-000005", "note": "Klant belde: typfout in de OGM"})
    assert assigned.status == 200, assigned.body
    assert (assigned.json()["status"], assigned.json()["decided_by"], assigned.json()["allocations"]) == ("BOOKED", "an.operator@wattdesk.example", [{"invoice_number": "2027-A-000005", "amount": "75.00"}])
    assert runtime.handle_api("GET", "/ops/payments/suspense", operator).json()["items"] == []
    assert open_and_balance("2027-A-000005") == ({}, "0.00", "0.00")
    assert invoices(runtime)["2027-A-000005"]["status"] == "PAID"
    again = runtime.handle_api("POST", url, operator, {"action": "assign", "invoice_number": "2027-A-000001"})
    assert again.status == 409 and again.json()["errors"][0]["code"] == "payment.not_in_suspense"

    # The customer reads the account: the balance is the sum of the entries.
    mine = runtime.handle_api("GET", "/me/account", token(runtime, billed["2027-A-000002"])).json()
    assert [(e["kind"], e["amount"], e["invoice_number"]) for e in mine["entries"]] == [("invoice", "75.00", "2027-A-000002"), ("payment", "-30.00", "2027-A-000002")]
    assert mine["balance"] == str(sum(Decimal(e["amount"]) for e in mine["entries"])) == "45.00"
    assert mine["open_items"][0]["ogm"] == "+++027/1000/00244+++" and mine["open_items"][0]["due_date"] == "2027-02-16"

    # A counter payment for the rest, registered twice with the same receipt number: booked once.
    body = {"amount": "45.00", "received_on": "2027-02-19", "invoice_number": "2027-A-000002", "external_reference": "KASSA-2027-0042"}
    registered = runtime.handle_api("POST", "/ops/payments", operator, body)
    assert registered.status == 201 and registered.json()["status"] == "BOOKED"
    assert runtime.handle_api("POST", "/ops/payments", operator, body).status == 200
    assert open_and_balance("2027-A-000002") == ({}, "0.00", "0.00")

    # The overpayment's credit pays the next invoice: March's advance of customer 3 is 50.00 open.
    runtime.advance(to=datetime(2027, 3, 1, 9, 0, tzinfo=UTC))
    march = next(n for n, i in invoices(runtime).items() if i["customer_id"] == billed["2027-A-000003"]["customer_id"] and n != "2027-A-000003")
    assert open_and_balance("2027-A-000003") == ({march: "50.00"}, "50.00", "0.00")


def test_a_mistaken_payment_is_handed_to_the_refund_workflow(runtime, billed, operator):
    statement = FEBRUARY.replace(b"<Id>2027-033</Id>", b"<Id>2027-034</Id>")
    assert xml_upload(runtime, "/ops/bank-statements", operator, statement).json()["counts"]["suspense"] == 1
    waiting = runtime.handle_api("GET", "/ops/payments/suspense", operator).json()["items"][0]
    url = f"/ops/payments/suspense/{waiting['payment_id']}/assignment"
    decided = runtime.handle_api("POST", url, operator, {"action": "refund", "note": "Geen klant: storting voor een andere leverancier"})
    assert decided.status == 200
    assert decided.json()["status"] == "MISTAKEN_TO_REFUND"
    assert decided.json()["refund_handover"] == {"status": "PENDING", "reason": "mistaken_payment", "amount": "75.00", "requested_by": "an.operator@wattdesk.example", "requested_at": decided.json()["refund_handover"]["requested_at"]}
    assert runtime.handle_api("GET", "/ops/payments/suspense", operator).json()["items"] == []
    with table_environment():
        from wattdesk.stores import payments

        handover = payments.handovers()
    assert [(h.payment_id, h.amount, h.counterparty_iban, h.counterparty_name, h.status) for h in handover] == [(waiting["payment_id"], "75.00", "BE88063554433241", "M. Vijf", "PENDING")]
    # Nobody's account moved.
    assert account(runtime, operator, billed["2027-A-000005"])["balance"] == "75.00"


def test_a_broken_statement_is_refused_with_every_problem_and_its_line(runtime, operator, customer):
    broken = FEBRUARY.replace(b'<Amt Ccy="EUR">30.00</Amt>', b'<Amt Ccy="EUR">30,00</Amt>').replace(b"<CdtDbtInd>DBIT</CdtDbtInd>", b"<CdtDbtInd>DEBIT</CdtDbtInd>")
    response = xml_upload(runtime, "/ops/bank-statements", operator, broken)
    assert response.status == 400
    amount_line = broken.split(b"30,00")[0].count(b"\n") + 1
    indicator_line = broken.split(b"<CdtDbtInd>DEBIT")[0].count(b"\n") + 1
    assert [(e["code"], e["line"]) for e in response.json()["errors"]] == [("camt.amount", amount_line), ("camt.indicator", indicator_line)]
    hostile = b'<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<Document>&x;</Document>'
    assert xml_upload(runtime, "/ops/bank-statements", operator, hostile).json()["errors"][0]["code"] == "camt.forbidden_construct"
    assert xml_upload(runtime, "/ops/bank-statements", customer, FEBRUARY).status == 403
    # As JSON too (the ops console sends the file's text).
    as_json = runtime.handle_api("POST", "/ops/bank-statements", operator, {"content": broken.decode()})
    assert as_json.status == 400 and as_json.json()["errors"][0]["line"] == amount_line
