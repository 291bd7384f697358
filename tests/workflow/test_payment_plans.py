"""Instalment plans with a personal advisor, on the simulated clock: asked for in the portal,
proposed by an advisor, accepted with the agreement protocol; a kept plan stops the reminders and
closes itself, a broken one lets collection of the rest resume."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from collection_support import camt053, credit_entry, xml_upload
from dunning_support import JANUARY, at, invoices_of, ledger_of, login, login_customer, mails, make_customer, pay, pdf_text

pytestmark = pytest.mark.workflow

REQUEST = json.loads((Path("/work/shared/api-examples/payment-plan-request.json")).read_text()) if Path("/work/shared/api-examples/payment-plan-request.json").exists() else {
    "invoice_numbers": [], "preferred_instalments": 4, "advisor_contact": True, "contact_phone": "+32 470 12 34 56", "note": "Na de winter kan ik niet alles in één keer betalen.",
}


def plan_for(runtime, debtor: dict, invoice_number: str, instalments: int = 3) -> dict:
    """Asked on 23 February, proposed on 24, accepted on 25 (after the free reminder of 22 February)."""
    runtime.advance(to=at("2027-02-23", 9))
    me = login_customer(runtime, debtor)
    asked = runtime.handle_api("POST", "/me/payment-plans", me, {**REQUEST, "invoice_numbers": [invoice_number], "preferred_instalments": instalments})
    assert asked.status == 201, asked.json()
    plan = asked.json()
    assert plan["status"] == "REQUESTED" and plan["contact_deadline"] == "2027-03-02"  # 5 working days
    advisor = login(runtime, "an.advisor@wattdesk.example", ["advisors"])
    assert plan["plan_id"] in [item["plan_id"] for item in runtime.handle_api("GET", "/ops/advisor-queue", advisor).json()["items"]]

    runtime.advance(to=at("2027-02-24", 9))
    advisor = login(runtime, "an.advisor@wattdesk.example", ["advisors"])
    proposed = runtime.handle_api("POST", f"/ops/payment-plans/{plan['plan_id']}/proposal", advisor, {"invoice_numbers": [invoice_number], "instalments": instalments})
    assert proposed.status == 200, proposed.json()
    assert proposed.json()["status"] == "PROPOSED" and proposed.json()["contacted_by"] == "an.advisor@wattdesk.example"

    runtime.advance(to=at("2027-02-25", 9))
    me = login_customer(runtime, debtor)
    accepted = runtime.handle_api("POST", f"/me/payment-plans/{plan['plan_id']}/acceptance", me)
    assert accepted.status == 200, accepted.json()
    return accepted.json()


def test_a_plan_accepted_and_kept_stops_reminders_and_closes_itself(runtime):
    runtime.reset(JANUARY)
    debtor = make_customer(11, "9000", "nl", advance="240.00")
    runtime.advance(to=at("2027-02-22"))
    (invoice,) = invoices_of(debtor["customer_id"])
    assert len(mails(runtime, debtor, "Herinnering")) == 1

    plan = plan_for(runtime, debtor, invoice.number)
    assert plan["status"] == "ACTIVE" and plan["debt"] == "240.00"
    # Three instalments of 80.00, the first 15 days after acceptance, then monthly, each with its own OGM.
    assert [(i["number"], i["amount"], i["due_date"]) for i in plan["instalments"]] == [(1, "80.00", "2027-03-12"), (2, "80.00", "2027-04-12"), (3, "80.00", "2027-05-12")]
    references = [i["ogm"] for i in plan["instalments"]]
    assert len(set(references)) == 3 and invoice.ogm not in references
    assert sum(Decimal(i["amount"]) for i in plan["instalments"]) == Decimal("240.00")

    # The agreement protocol: mailed and downloadable, naming every instalment and its reference.
    (agreement_mail,) = mails(runtime, debtor, "betalingsplan is van kracht")
    assert agreement_mail["attachments"] == [f"payment-plan-{plan['plan_id']}.pdf"]
    protocol = pdf_text(runtime, agreement_mail, f"payment-plan-{plan['plan_id']}.pdf")
    assert "Afbetalingsprotocol" in protocol and all(reference in protocol for reference in references) and "12 maart 2027" in protocol
    me = login_customer(runtime, debtor)
    download = runtime.handle_api("GET", plan["agreement_url"], me)
    assert download.status == 200 and download.body.startswith(b"%PDF")
    assert [m["subject"] for m in mails(runtime, debtor, "betalingsplan")][:1] == ["We hebben uw vraag naar een betalingsplan ontvangen"]

    # Each instalment paid on its due date.
    operator = login(runtime, "an.operator@wattdesk.example", ["operators"])
    for number, due in ((1, "2027-03-12"), (2, "2027-04-12"), (3, "2027-05-12")):
        runtime.advance(to=at(due, 10))
        operator = login(runtime, "an.operator@wattdesk.example", ["operators"])
        pay(runtime, operator, debtor["customer_id"], invoice.number, "80.00", date.fromisoformat(due), f"PLAN-{plan['plan_id']}-{number}")
    runtime.advance(to=at("2027-05-20"))

    # Kept: no formal notice (due on 11 March without the plan), no instalment reminder; closed by itself.
    assert mails(runtime, debtor, "Ingebrekestelling") == []
    assert mails(runtime, debtor, "Herinnering: afbetaling") == []
    assert len(mails(runtime, debtor, "Herinnering")) == 1
    (completed,) = mails(runtime, debtor, "volledig betaald")
    assert "240,00" in completed["text"]
    me = login_customer(runtime, debtor)
    final = runtime.handle_api("GET", f"/me/payment-plans/{plan['plan_id']}", me).json()
    assert final["status"] == "COMPLETED" and final["end_reason"] == "paid"
    operator = login(runtime, "an.operator@wattdesk.example", ["operators"])
    case = runtime.handle_api("GET", f"/ops/dunning/cases/{invoice.number}", operator).json()
    assert case["status"] == "CLOSED" and [s["kind"] for s in case["steps"]] == ["reminder"]
    assert ("SUSPENDED", "suspended: payment_plan " + plan["plan_id"] + ": payment plan requested") in [(h["status"], h["reason"]) for h in case["history"]]


def test_a_plan_kept_through_bank_statements_with_the_instalment_references(runtime):
    """Each instalment paid by transfer with its own OGM, imported from the bank's camt.053: every
    payment lands on the plan's invoice (never in suspense), no reminder follows, the plan closes
    itself the morning after the last instalment, and the account is square."""
    runtime.reset(JANUARY)
    debtor = make_customer(16, "9000", "nl", advance="240.00")
    runtime.advance(to=at("2027-02-22"))
    (invoice,) = invoices_of(debtor["customer_id"])
    assert len(mails(runtime, debtor, "Herinnering")) == 1
    plan = plan_for(runtime, debtor, invoice.number)
    references = [i["ogm"] for i in plan["instalments"]]
    me = login_customer(runtime, debtor)

    # 1 and 3 in the bank's structured field (as the bank prints it, and as bare digits); 2 typed by
    # the customer in the free message instead. Each on its due date, from the customer's account.
    how = {1: {"structured": references[0]}, 2: {"text": f"afbetaling {references[1]} Debtor16"}, 3: {"structured": "".join(ch for ch in references[2] if ch.isdigit())}}
    for number, due in ((1, "2027-03-12"), (2, "2027-04-12"), (3, "2027-05-12")):
        runtime.advance(to=at(due, 18))
        day = date.fromisoformat(due)
        operator = login(runtime, "an.operator@wattdesk.example", ["operators"])
        entry = credit_entry(f"{day:%Y%m%d}-PL{number}", "80.00", day, "Debtor16 Test", "BE71096123456769", **how[number])
        imported = xml_upload(runtime, "/ops/bank-statements", operator, camt053(f"2027-{day:%j}", day, entry))
        assert imported.status == 200, imported.body
        assert (imported.json()["counts"]["booked"], imported.json()["counts"]["suspense"]) == (1, 0)
        (payment,) = imported.json()["payments"]
        assert payment["status"] == "BOOKED" and payment["customer_id"] == debtor["customer_id"]
        assert payment["allocations"] == [{"invoice_number": invoice.number, "amount": "80.00"}]
        assert payment["note"] == f"instalment {number} of payment plan {plan['plan_id']}"
        assert payment["reasons"][0] == ("instalment_reference" if number != 2 else "instalment_ogm_in_text")
        # Importing the same statement again books nothing twice.
        again = xml_upload(runtime, "/ops/bank-statements", operator, camt053(f"2027-{day:%j}", day, entry))
        assert again.json()["counts"]["duplicates"] == 1 and again.json()["counts"]["booked"] == 0
        me = login_customer(runtime, debtor)
        seen = runtime.handle_api("GET", f"/me/payment-plans/{plan['plan_id']}", me).json()
        assert [i["status"] for i in seen["instalments"]][:number] == ["paid"] * number
        assert seen["paid"] == f"{80 * number}.00"

    # The morning after the last instalment the plan closes itself; nothing else was ever sent.
    runtime.advance(to=at("2027-05-13"))
    me = login_customer(runtime, debtor)
    final = runtime.handle_api("GET", f"/me/payment-plans/{plan['plan_id']}", me).json()
    assert (final["status"], final["end_reason"], final["ended_at"][:10]) == ("COMPLETED", "paid", "2027-05-13")
    (completed,) = mails(runtime, debtor, "volledig betaald")
    assert "240,00" in completed["text"]
    runtime.advance(to=at("2027-05-20"))
    assert mails(runtime, debtor, "Ingebrekestelling") == [] and mails(runtime, debtor, "Herinnering: afbetaling") == []
    assert len(mails(runtime, debtor, "Herinnering")) == 1  # the reminder of 22 February, before the plan
    operator = login(runtime, "an.operator@wattdesk.example", ["operators"])
    assert runtime.handle_api("GET", f"/ops/dunning/cases/{invoice.number}", operator).json()["status"] == "CLOSED"
    assert runtime.handle_api("GET", "/ops/payments/suspense", operator).json()["items"] == []
    balance, entries = ledger_of(debtor["customer_id"])
    assert balance == sum((Decimal(e.amount) for e in entries), Decimal("0.00")) == Decimal("0.00")
    assert sorted((e.kind, e.amount) for e in entries) == [("invoice", "240.00"), ("payment", "-80.00"), ("payment", "-80.00"), ("payment", "-80.00")]
    assert invoices_of(debtor["customer_id"])[0].status == "PAID"


def test_a_broken_plan_resumes_collection_of_the_rest(runtime):
    runtime.reset(JANUARY)
    debtor = make_customer(12, "9000", "nl", advance="240.00")
    runtime.advance(to=at("2027-02-22"))
    (invoice,) = invoices_of(debtor["customer_id"])
    plan = plan_for(runtime, debtor, invoice.number)

    runtime.advance(to=at("2027-03-12", 10))
    pay(runtime, login(runtime, "an.operator@wattdesk.example", ["operators"]), debtor["customer_id"], invoice.number, "80.00", date(2027, 3, 12), "PLAN-BROKEN-1")

    # Instalment 2 (due 12 April) is missed: one reminder once the 3 days of grace are over (16 April).
    runtime.advance(to=at("2027-04-15", 20))
    assert mails(runtime, debtor, "afbetaling 2") == []
    runtime.advance(to=at("2027-04-16"))
    (reminder,) = mails(runtime, debtor, "afbetaling 2")
    assert "1 mei 2027" in reminder["text"] and plan["instalments"][1]["ogm"] in reminder["text"] and "80,00" in reminder["text"]

    # Still missed after 1 May: broken on 2 May, the customer is told, collection of the 160.00 resumes.
    runtime.advance(to=at("2027-05-01", 20))
    assert mails(runtime, debtor, "beëindigd") == []
    runtime.advance(to=at("2027-05-02"))
    (broken,) = mails(runtime, debtor, "beëindigd")
    assert "160,00" in broken["text"] and invoice.number in broken["text"]
    me = login_customer(runtime, debtor)
    assert runtime.handle_api("GET", f"/me/payment-plans/{plan['plan_id']}", me).json()["status"] == "BROKEN"
    assert len(mails(runtime, debtor, "Herinnering: afbetaling")) == 1  # one reminder only

    # The reminder of 22 February was sent: next is the formal notice, after a fresh 15-day term
    # (17 May is Whit Monday, so Tuesday 18 May), for the rest of the invoice plus its fee.
    runtime.advance(to=at("2027-05-17", 20))
    assert mails(runtime, debtor, "Ingebrekestelling") == []
    runtime.advance(to=at("2027-05-18"))
    (notice,) = mails(runtime, debtor, "Ingebrekestelling")
    assert "176,20" in notice["text"]  # 160.00 open + 7.50 + 8.70 postage
    operator = login(runtime, "an.operator@wattdesk.example", ["operators"])
    case = runtime.handle_api("GET", f"/ops/dunning/cases/{invoice.number}", operator).json()
    assert [(s["kind"], s["on"], s["open"], s["fee_total"]) for s in case["steps"]] == [("reminder", "2027-02-22", "240.00", "0.00"), ("formal_notice", "2027-05-18", "160.00", "16.20")]


def test_more_than_six_instalments_need_a_supervisor_and_late_requests_escalate(runtime):
    runtime.reset(JANUARY)
    debtor = make_customer(13, "4000", "fr", advance="600.00")
    runtime.advance(to=at("2027-02-23", 9))
    (invoice,) = invoices_of(debtor["customer_id"])
    operator = login(runtime, "a.counter.agent@wattdesk.example", ["operators"])
    # At the counter, for a customer who does not use the portal.
    asked = runtime.handle_api("POST", f"/ops/customers/{debtor['customer_id']}/payment-plans", operator, {"invoice_numbers": [invoice.number], "preferred_instalments": 10, "advisor_contact": True})
    assert asked.status == 201 and asked.json()["channel"] == "counter"
    plan_id = asked.json()["plan_id"]
    assert len(mails(runtime, debtor, "demande de plan")) == 1

    # Nobody called within 5 working days (deadline 2 March): escalated on 3 March.
    runtime.advance(to=at("2027-03-02", 20))
    advisor = login(runtime, "an.advisor@wattdesk.example", ["advisors"])
    assert runtime.handle_api("GET", f"/ops/payment-plans/{plan_id}", advisor).json()["escalated_at"] is None
    runtime.advance(to=at("2027-03-03"))
    advisor = login(runtime, "an.advisor@wattdesk.example", ["advisors"])
    queue = runtime.handle_api("GET", "/ops/advisor-queue", advisor).json()["items"]
    assert queue[0]["plan_id"] == plan_id and queue[0]["escalated_at"]

    # Ten instalments: not without a reason, then only with a supervisor (not the advisor).
    body = {"invoice_numbers": [invoice.number], "instalments": 10}
    refused = runtime.handle_api("POST", f"/ops/payment-plans/{plan_id}/proposal", advisor, body)
    assert refused.status == 400 and refused.json()["errors"][0]["code"] == "plan.reason_required"
    proposed = runtime.handle_api("POST", f"/ops/payment-plans/{plan_id}/proposal", advisor, {**body, "reason": "Invalidité, revenus réduits jusqu'en décembre"})
    assert proposed.json()["status"] == "AWAITING_APPROVAL"
    assert mails(runtime, debtor, "Votre proposition") == []
    assert runtime.handle_api("POST", f"/ops/payment-plans/{plan_id}/approval", advisor, {"approved": True}).status == 403
    supervisor = login(runtime, "a.supervisor@wattdesk.example", ["supervisors"])
    assert [item["plan_id"] for item in runtime.handle_api("GET", "/ops/approval-queue", supervisor).json()["items"]] == [plan_id]
    approved = runtime.handle_api("POST", f"/ops/payment-plans/{plan_id}/approval", supervisor, {"approved": True, "note": "ok"})
    assert approved.json()["status"] == "PROPOSED"
    (proposal_mail,) = mails(runtime, debtor, "Votre proposition")
    assert "10 mensualités" in proposal_mail["text"]

    me = login_customer(runtime, debtor)
    accepted = runtime.handle_api("PUT", f"/me/payment-plans/{plan_id}/acceptance", me).json()
    assert len(accepted["instalments"]) == 10 and {i["amount"] for i in accepted["instalments"]} == {"60.00"}
    assert runtime.handle_api("PUT", f"/me/payment-plans/{plan_id}/acceptance", me).json()["status"] == "ACTIVE"  # a double click
    (agreement,) = mails(runtime, debtor, "plan de paiement est en vigueur")
    assert "Invalidit" in pdf_text(runtime, agreement, f"payment-plan-{plan_id}.pdf")


def test_customers_only_see_and_accept_their_own_plans(runtime):
    runtime.reset(JANUARY)
    owner = make_customer(14, "9000", "nl")
    other = make_customer(15, "9000", "nl")
    runtime.advance(to=at("2027-02-17"))
    (invoice,) = invoices_of(owner["customer_id"])
    (foreign,) = invoices_of(other["customer_id"])
    me = login_customer(runtime, owner)
    refused = runtime.handle_api("POST", "/me/payment-plans", me, {**REQUEST, "invoice_numbers": [foreign.number]})
    assert refused.status == 400 and refused.json()["errors"][0]["field"] == "invoice_numbers[0]"
    plan = runtime.handle_api("POST", "/me/payment-plans", me, {**REQUEST, "invoice_numbers": [invoice.number]}).json()
    assert runtime.handle_api("POST", "/me/payment-plans", me, {**REQUEST, "invoice_numbers": [invoice.number]}).status == 409
    intruder = login_customer(runtime, other)
    assert runtime.handle_api("GET", f"/me/payment-plans/{plan['plan_id']}", intruder).status == 404
    assert runtime.handle_api("POST", f"/me/payment-plans/{plan['plan_id']}/acceptance", intruder).status == 404
    assert runtime.handle_api("GET", "/ops/advisor-queue", me).status == 403
