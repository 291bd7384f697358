"""Reminders and formal notices on the simulated clock: the daily Dunning run takes each legal
step on its date, with its fee, once; a complaint or a suspension stops it; ops decide the rest."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from dunning_support import JANUARY, at, invoices_of, ledger_of, login, mails, make_customer, pay, pdf_text

pytestmark = pytest.mark.workflow


def case(runtime, operator, number: str) -> dict:
    response = runtime.handle_api("GET", f"/ops/dunning/cases/{number}", operator)
    assert response.status == 200, response.json()
    return response.json()


def queue(runtime, operator, status: str) -> list[str]:
    return [item["invoice_number"] for item in runtime.handle_api("GET", f"/ops/dunning/cases?status={status}", operator).json()["items"]]


def test_unpaid_invoice_reminder_formal_notice_ops_queue(runtime):
    runtime.reset(JANUARY)
    debtor = make_customer(1, "9000", "nl")  # Gent: Flemish rules
    payer = make_customer(2, "9000", "nl")
    runtime.advance(to=at("2027-02-01"))
    (invoice,) = invoices_of(debtor["customer_id"])
    (paid_invoice,) = invoices_of(payer["customer_id"])
    assert (invoice.due_date, invoice.totals["incl_vat"]) == ("2027-02-16", "70.00")

    # Nothing before the due date + grace: 21 February (Sunday) still no reminder.
    runtime.advance(to=at("2027-02-21", 20))
    assert mails(runtime, debtor, "Herinnering") == []
    operator = login(runtime, "an.operator@wattdesk.example", ["operators"])
    assert case(runtime, operator, invoice.number)["next_on"] == "2027-02-22"

    # Monday 22 February: the free first reminder, by mail with the letter in Dutch.
    runtime.advance(to=at("2027-02-22"))
    (reminder,) = mails(runtime, debtor, "Herinnering")
    assert reminder["language"] == "nl" and reminder["subject"] == f"Herinnering: factuur {invoice.number} is nog niet betaald"
    assert reminder["attachments"] == [f"reminder-{invoice.number}.pdf"]
    assert "vóór 10 maart 2027" in reminder["text"] and invoice.ogm in reminder["text"]
    assert "Kosten" not in reminder["text"]  # the first reminder is free
    for mention in ("betalingsplan", "OCMW", "adviseur"):
        assert mention in reminder["text"]
    letter = pdf_text(runtime, reminder, f"reminder-{invoice.number}.pdf")
    assert "Herinnering" in letter and "10 maart 2027" in letter and "OCMW" in letter and "Gent" in letter
    operator = login(runtime, "an.operator@wattdesk.example", ["operators"])
    steps = case(runtime, operator, invoice.number)["steps"]
    assert [(s["kind"], s["on"], s["deadline"], s["fee_total"]) for s in steps] == [("reminder", "2027-02-22", "2027-03-10", "0.00")]
    assert ledger_of(debtor["customer_id"])[0] == Decimal("70.00")
    assert len(mails(runtime, payer, "Herinnering")) == 1

    # Re-running the run of the same day sends nothing twice.
    rerun = runtime.handle_api("POST", "/ops/dunning-runs", operator, {"as_of_date": "2027-02-22"})
    assert rerun.status == 202
    runtime.wait_until_settled()
    summary = runtime.handle_api("GET", rerun.json()["status_url"], operator).json()
    assert summary["status"] == "COMPLETED" and "reminder" not in summary["summary"]
    assert len(mails(runtime, debtor, "Herinnering")) == 1

    # The other customer pays after the reminder: the case closes, no formal notice.
    pay(runtime, operator, payer["customer_id"], paid_invoice.number, "70.00", date(2027, 2, 25), "RCPT-PAYER-1")

    # 10 March is the reminder's last day: nothing yet.
    runtime.advance(to=at("2027-03-10", 20))
    assert mails(runtime, debtor, "Ingebrekestelling") == []

    # Thursday 11 March: the formal notice, registered, EUR 7.50 + postage 8.70 booked on the account.
    runtime.advance(to=at("2027-03-11"))
    (notice,) = mails(runtime, debtor, "Ingebrekestelling")
    assert notice["subject"] == f"Ingebrekestelling: factuur {invoice.number}"
    assert "aangetekend" in notice["text"] and "86,20" in notice["text"] and "31 maart 2027" in notice["text"] and "16,20" in notice["text"]
    letter = pdf_text(runtime, notice, f"formal-notice-{invoice.number}.pdf")
    assert "Aangetekend verzonden" in letter and "16,20" in letter and "WER art. XIX.4" in letter
    balance, entries = ledger_of(debtor["customer_id"])
    assert balance == Decimal("86.20")
    fees = [(e.kind, e.amount, e.invoice_number) for e in entries if e.kind == "fee"]
    assert fees == [("fee", "16.20", invoice.number)]
    operator = login(runtime, "an.operator@wattdesk.example", ["operators"])
    steps = case(runtime, operator, invoice.number)["steps"]
    assert [(s["kind"], s["on"], s["deadline"], s["channel"], s["fee"], s["postage"]) for s in steps][1] == ("formal_notice", "2027-03-11", "2027-03-31", "registered", "7.50", "8.70")
    assert mails(runtime, payer, "Ingebrekestelling") == []
    assert case(runtime, operator, paid_invoice.number)["status"] == "CLOSED"

    # Without reaction after the notice's term (31 March): the ops queue on 1 April, nothing automatic.
    runtime.advance(to=at("2027-03-31", 20))
    operator = login(runtime, "an.operator@wattdesk.example", ["operators"])
    assert invoice.number not in queue(runtime, operator, "OPS_QUEUE")
    runtime.advance(to=at("2027-04-01"))
    operator = login(runtime, "an.operator@wattdesk.example", ["operators"])
    assert queue(runtime, operator, "OPS_QUEUE") == [invoice.number]
    waiting = case(runtime, operator, invoice.number)
    assert waiting["steps"][-1]["kind"] == "ops_queue" and waiting["steps"][-1]["on"] == "2027-04-01"
    assert waiting["possible_decisions"] == ["request_dso_lac", "extend_term", "close_uncollectable", "hold"]
    assert len(runtime.outbox(debtor["email"])) == 3  # invoice, reminder, formal notice: nothing more
    assert ledger_of(debtor["customer_id"])[0] == Decimal("86.20")

    # The next legal step is an ops decision, recorded once.
    decided = runtime.handle_api("POST", f"/ops/dunning/cases/{invoice.number}/decision", operator, {"decision": "request_dso_lac", "note": "No reaction; file to the LAC of Gent."})
    assert decided.status == 200 and decided.json()["status"] == "DECIDED"
    assert decided.json()["decision"]["by"] == "an.operator@wattdesk.example"
    again = runtime.handle_api("POST", f"/ops/dunning/cases/{invoice.number}/decision", operator, {"decision": "hold", "note": "twice"})
    assert again.status == 409
    runtime.advance(to=at("2027-04-20"))
    assert len(runtime.outbox(debtor["email"])) == 3


def test_a_complaint_about_the_invoice_stops_the_sequence(runtime):
    runtime.reset(JANUARY)
    debtor = make_customer(3, "9000", "nl")
    runtime.advance(to=at("2027-02-22"))
    (invoice,) = invoices_of(debtor["customer_id"])
    assert len(mails(runtime, debtor, "Herinnering")) == 1

    operator = login(runtime, "an.operator@wattdesk.example", ["operators"])
    complaint = runtime.handle_api("POST", "/ops/complaints", operator, {
        "channel": "phone", "reporter": {"name": "Debtor3 Test", "street": "Kerkstraat 3", "postcode": "9000", "city": "Gent", "phone": "+32 9 123 45 67",
                                         "email": debtor["email"], "language": "nl", "customer_number": None},
        "reported_on": "2027-02-22", "nature": "billing", "description": "Het voorschot klopt niet met mijn contract.",
        "related": {"invoice_number": invoice.number}, "contact_preference": "email",
    })
    assert complaint.status == 201, complaint.json()

    runtime.advance(to=at("2027-03-15"))
    assert mails(runtime, debtor, "Ingebrekestelling") == []
    operator = login(runtime, "an.operator@wattdesk.example", ["operators"])
    suspended = case(runtime, operator, invoice.number)
    assert suspended["status"] == "SUSPENDED" and suspended["suspension"]["reason"] == "complaint"
    assert invoice.number in queue(runtime, operator, "SUSPENDED")
    assert [s["kind"] for s in suspended["steps"]] == ["reminder"]
    assert ledger_of(debtor["customer_id"])[0] == Decimal("70.00")


def test_a_refund_suspends_and_lifting_it_gives_a_fresh_term(runtime):
    runtime.reset(JANUARY)
    debtor = make_customer(4, "9000", "nl")
    runtime.advance(to=at("2027-02-23"))
    (invoice,) = invoices_of(debtor["customer_id"])
    operator = login(runtime, "an.operator@wattdesk.example", ["operators"])
    opened = runtime.handle_api("POST", "/ops/dunning/suspensions", operator, {"invoice_number": invoice.number, "reason": "refund", "reference": "RF-77", "note": "double debit being refunded"})
    assert opened.status == 201

    runtime.advance(to=at("2027-03-15", 10))
    operator = login(runtime, "an.operator@wattdesk.example", ["operators"])
    assert mails(runtime, debtor, "Ingebrekestelling") == []
    held = case(runtime, operator, invoice.number)
    assert held["status"] == "SUSPENDED" and held["suspension"]["detail"] == "refund RF-77: double debit being refunded"
    assert runtime.handle_api("POST", "/ops/dunning/suspensions/lift", operator, {"invoice_number": invoice.number, "reason": "refund", "reference": "RF-77"}).status == 200

    # Next run (16 March) resumes with 15 days: the formal notice on Wednesday 31 March, not at once.
    runtime.advance(to=at("2027-03-30", 20))
    assert mails(runtime, debtor, "Ingebrekestelling") == []
    operator = login(runtime, "an.operator@wattdesk.example", ["operators"])
    assert case(runtime, operator, invoice.number)["resume_not_before"] == "2027-03-31"
    runtime.advance(to=at("2027-03-31"))
    assert len(mails(runtime, debtor, "Ingebrekestelling")) == 1


def test_an_open_refund_of_the_customer_holds_the_reminder_until_it_ends(runtime):
    """A customer who paid 30.00 before their first invoice asks it back; the refund waits for their
    IBAN. Their February advance (70.00, due 16 February) gets no reminder while the refund is under
    way, ops see why, and once the refund ends the reminder follows after a fresh 15-day term."""
    runtime.reset(JANUARY)
    debtor = make_customer(5, "9000", "nl")
    operator = login(runtime, "an.operator@wattdesk.example", ["operators"])
    paid = runtime.handle_api("POST", "/ops/payments", operator, {"amount": "30.00", "received_on": "2027-01-15", "customer_id": debtor["customer_id"], "external_reference": "KASSA-5", "note": "paid at the counter"})
    assert paid.status == 201, paid.json()
    asked = runtime.handle_api("POST", "/ops/refunds", operator, {"customer_id": debtor["customer_id"], "amount": "30.00", "reason": "paid before the first invoice, asks it back", "request_id": "debtor5-counter"})
    assert asked.status == 201, asked.json()
    refund_id = asked.json()["refund_id"]
    runtime.wait_until_settled()
    assert runtime.handle_api("GET", f"/ops/refunds/{refund_id}", operator).json()["status"] == "AWAITING_IBAN"  # no bank account on file

    runtime.advance(to=at("2027-02-22"))
    (invoice,) = invoices_of(debtor["customer_id"])
    assert (invoice.due_date, invoice.totals["incl_vat"]) == ("2027-02-16", "70.00")
    assert ledger_of(debtor["customer_id"])[0] == Decimal("40.00")  # the daily collection sweep applied the 30.00 credit
    assert mails(runtime, debtor, "Herinnering: factuur") == []  # 22 February: the reminder day, but a refund is under way
    operator = login(runtime, "an.operator@wattdesk.example", ["operators"])
    assert invoice.number in queue(runtime, operator, "SUSPENDED")
    held = case(runtime, operator, invoice.number)
    assert held["status"] == "SUSPENDED" and held["steps"] == []
    assert held["suspension"] == {"reason": "refund", "detail": f"refund {refund_id} awaiting iban (30.00 EUR)", "since": "2027-02-17"}  # the day after the due date
    assert held["suspended_now"] == {"reason": "refund", "detail": f"refund {refund_id} awaiting iban (30.00 EUR)"}

    # Tuesday 23 February ops cancel the refund: the credit went to the advance. The run of 24
    # February resumes the case with 15 days: the free first reminder on Thursday 11 March.
    runtime.advance(to=at("2027-02-23", 10))
    operator = login(runtime, "an.operator@wattdesk.example", ["operators"])
    cancelled = runtime.handle_api("POST", f"/ops/refunds/{refund_id}/cancel", operator, {"reason": "the credit paid part of the February advance"})
    assert cancelled.status == 200 and cancelled.json()["status"] == "CANCELLED"
    runtime.advance(to=at("2027-03-10", 20))
    assert mails(runtime, debtor, "Herinnering: factuur") == []
    operator = login(runtime, "an.operator@wattdesk.example", ["operators"])
    resumed = case(runtime, operator, invoice.number)
    assert (resumed["status"], resumed["resume_not_before"], resumed["suspended_now"]) == ("OPEN", "2027-03-11", None)
    assert ("OPEN", "suspension (refund) ended") in [(h["status"], h["reason"]) for h in resumed["history"]]
    runtime.advance(to=at("2027-03-11"))
    (reminder,) = mails(runtime, debtor, "Herinnering: factuur")
    assert "40,00" in reminder["text"] and "Kosten" not in reminder["text"]
    steps = case(runtime, operator, invoice.number)["steps"]
    assert [(s["kind"], s["on"], s["open"], s["fee_total"]) for s in steps] == [("reminder", "2027-03-11", "40.00", "0.00")]


def test_a_disputed_estimated_settlement_waits_while_its_reading_is_checked(runtime, operator):
    """An estimated annual settlement disputed with an actual reading that waits for an operator's
    check is an open correction: no reminder for it (the advance of the same month is reminded as
    usual); once ops reject the reading, the settlement's reminder follows after a fresh term."""
    from datetime import UTC, datetime

    from settlement_support import dso_reading, login as settlement_login, make_contract, registers

    runtime.reset(datetime(2028, 1, 31, 8, 0, tzinfo=UTC))
    runtime.only_schedules("BillingRunStateMachine-", "SettlementSweepsFunction-", "DunningStateMachine-")
    contract = make_contract(advance="40.00", language="nl")  # a year supplied from 1 February 2027
    assert dso_reading(runtime, contract["ean"], date(2027, 2, 1), {"single": 20000}, kind="opening")["stored"] == 1
    runtime.advance(to=at("2028-02-01", 9))
    issued = invoices_of(contract["customer_id"])
    (settlement,) = [i for i in issued if i.kind == "settlement"]
    (advance,) = [i for i in issued if i.kind == "advance"]
    assert settlement.due_date == advance.due_date == "2028-02-16" and Decimal(settlement.totals["incl_vat"]) > 0

    # 3 February: the customer disputes the estimate with a reading that looks far too high.
    runtime.advance(to=at("2028-02-03", 9))
    disputed = runtime.handle_api("POST", f"/me/settlements/{settlement.number}/actual-readings", settlement_login(runtime, contract),
                                  {"readings": [{"ean": contract["ean"], "reading_date": "2028-02-01", "registers": registers({"single": 99000})}]})
    assert disputed.status == 200 and disputed.json()["status"] == "IMPLAUSIBLE"
    reading_id = disputed.json()["reading"]["reading_id"]

    # Monday 21 February (due 16 + 5 days of grace): the advance is reminded, the settlement is not.
    runtime.advance(to=at("2028-02-21"))
    subjects = [m["subject"] for m in runtime.outbox(contract["email"]) if m["subject"].startswith("Herinnering: factuur")]
    assert subjects == [f"Herinnering: factuur {advance.number} is nog niet betaald"]
    held = case(runtime, operator, settlement.number)
    assert (held["status"], held["steps"], held["suspension"]["reason"]) == ("SUSPENDED", [], "correction")
    assert held["suspension"]["detail"] == f"correction: settlement {settlement.number} disputed with an actual reading that waits for an operator's check"
    assert settlement.number in queue(runtime, operator, "SUSPENDED")

    # Tuesday 22 February ops reject the reading (a typo): the run of 23 February resumes the case
    # with 15 days, the free reminder of the settlement on Thursday 9 March.
    runtime.advance(to=at("2028-02-22", 10))
    rejected = runtime.handle_api("POST", f"/ops/readings/{reading_id}/decision", operator, {"decision": "reject", "reason": "typo: one digit too many (customer called)"})
    assert rejected.status == 200 and rejected.json()["status"] == "REJECTED"
    runtime.advance(to=at("2028-03-08", 20))
    assert case(runtime, operator, settlement.number)["resume_not_before"] == "2028-03-09"
    assert not [m for m in runtime.outbox(contract["email"]) if m["subject"] == f"Herinnering: factuur {settlement.number} is nog niet betaald"]
    runtime.advance(to=at("2028-03-09"))
    assert [s["kind"] for s in case(runtime, operator, settlement.number)["steps"]] == ["reminder"]
    assert len([m for m in runtime.outbox(contract["email"]) if m["subject"] == f"Herinnering: factuur {settlement.number} is nog niet betaald"]) == 1


def test_brussels_protected_customer_gets_a_plan_offer_and_pays_no_fee(runtime):
    runtime.reset(JANUARY)
    debtor = make_customer(5, "1000", "fr")
    operator = login(runtime, "an.operator@wattdesk.example", ["operators"])
    flagged = runtime.handle_api("PUT", f"/ops/customers/{debtor['customer_id']}/social-tariff", operator, {"protected": True, "source": "FOD Economie automatic application 2027-Q1"})
    assert flagged.status == 200 and flagged.json()["protected"] is True

    runtime.advance(to=at("2027-03-11"))
    (invoice,) = invoices_of(debtor["customer_id"])
    (reminder,) = mails(runtime, debtor, "Rappel")
    assert reminder["language"] == "fr" and "CPAS" in reminder["text"]
    (notice,) = mails(runtime, debtor, "Mise en demeure")
    assert "Frais" not in notice["text"] and "70,00" in notice["text"]
    assert ledger_of(debtor["customer_id"])[0] == Decimal("70.00")

    # Brussels: a payment plan offered 7 days after the formal notice (18 March).
    runtime.advance(to=at("2027-03-17", 20))
    assert mails(runtime, debtor, "plan de paiement") == []
    runtime.advance(to=at("2027-03-18"))
    (offer,) = mails(runtime, debtor, "plan de paiement")
    assert offer["subject"] == f"Un plan de paiement pour la facture {invoice.number}" and "/me/payment-plans" in offer["text"]

    runtime.advance(to=at("2027-04-01"))
    operator = login(runtime, "an.operator@wattdesk.example", ["operators"])
    done = case(runtime, operator, invoice.number)
    assert [(s["kind"], s["on"], s["fee_total"]) for s in done["steps"]] == [
        ("reminder", "2027-02-22", "0.00"), ("formal_notice", "2027-03-11", "0.00"), ("plan_offer", "2027-03-18", "0.00"), ("ops_queue", "2027-04-01", "0.00"),
    ]
    assert "social tariff" in done["steps"][1]["fee_reason"]
    assert done["possible_decisions"][0] == "justice_of_the_peace"


def test_task_handlers_take_the_sample_events_and_refuse_malformed_ones(runtime):
    import json

    from support import load_event

    runtime.reset(JANUARY)
    debtor = make_customer(6, "9000", "en")
    runtime.advance(to=at("2027-02-18"))
    # The sample run prepares a list in S3; the sample customer (unknown) is chased without effect.
    prepared, errored, _ = runtime.invoke("DunningTasksFunction", load_event("dunning_prepare_run"))
    assert not errored and json.loads(prepared)["count"] == 1  # the debtor's invoice is overdue since 17 February
    chased, errored, _ = runtime.invoke("DunningTasksFunction", load_event("dunning_chase_customer"))
    assert not errored and json.loads(chased) == {"customer_id": "00000000-0000-4000-8000-000000000000"}
    # Chasing the debtor with the sample's date (22 February) sends the reminder, once.
    event = {**load_event("dunning_chase_customer"), "customer": {"customer_id": debtor["customer_id"]}}
    for _ in range(2):
        result, errored, _ = runtime.invoke("DunningTasksFunction", event)
        assert not errored
    assert len(mails(runtime, debtor, "Reminder")) == 1
    payload, errored, _ = runtime.invoke("DunningTasksFunction", load_event("dunning_malformed"))
    assert errored and json.loads(payload)["errorType"] == "MalformedEvent"
    for name in ("dunning_follow_plans", "dunning_escalate_plan_requests"):
        payload, errored, _ = runtime.invoke("DunningSweepsFunction", load_event(name))
        assert not errored, payload
