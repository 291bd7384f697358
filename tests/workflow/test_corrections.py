"""Corrections on the simulated clock (issue 6): credit notes in full or in part and never above
what remains creditable, extraordinary invoices, and cancel-and-reissue (both documents or
neither, one explanation mail, reminders on the cancelled invoice stop)."""

from __future__ import annotations

import io
import os
import threading
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from pypdf import PdfReader

from dunning_support import at, make_customer, mails
from support import function_environment, table_environment
from test_billing_run import MID_JANUARY, billing_mails, make_contract

pytestmark = pytest.mark.workflow


@contextmanager
def in_function(runtime, logical: str = "CorrectionsApiFunction"):
    """The environment of one of our Lambda functions, for calling a service as a caller (helper
    S's settlement function) would: table, documents bucket, sender."""
    with function_environment(runtime, logical):
        yield


def pdf_text(runtime, mail: dict, name: str) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(runtime.mail_attachment(mail["id"], name))).pages)


def first_advance(runtime, contract: dict) -> dict:
    runtime.advance(to=datetime(2027, 2, 1, 8, 0, tzinfo=UTC))
    with table_environment():
        from wattdesk.stores import invoices as store

        (invoice,) = [i for i in store.of_customer(contract["customer_id"]) if i.kind == "advance"]
        return {"number": invoice.number, "total": invoice.totals["incl_vat"]}


def test_credit_notes_in_part_by_amount_and_by_line_never_above_the_remainder(runtime, operator, customer):
    runtime.reset(MID_JANUARY)
    runtime.only_schedules("BillingRunStateMachine-")
    contract = make_contract(80, "monthly", "80.00", "fr", date(2027, 2, 1))
    advance = first_advance(runtime, contract)
    url = f"/ops/invoices/{advance['number']}"
    view = runtime.handle_api("GET", url, operator).json()
    assert (view["kind"], view["creditable_remainder"], view["open_amount"], view["credit_notes"]) == ("advance", "80.00", "80.00", [])
    assert runtime.handle_api("GET", url, customer).status == 403

    # A partial credit note by amount: 30.00 incl. VAT, split as the invoice's VAT (6 %).
    runtime.advance(to=datetime(2027, 2, 5, 9, 0, tzinfo=UTC))
    partial = runtime.handle_api("POST", f"{url}/credit-notes", operator, {"amount": "30.00", "reason": "Geste commercial après plainte"})
    assert partial.status == 201, partial.body
    body = partial.json()
    assert (body["credit_note"], body["creditable_remainder"], body["open_amount"]) == ("2027-C-000001", "50.00", "50.00")
    assert body["credit_notes"] == [{"number": "2027-C-000001", "issue_date": "2027-02-05", "amount": "30.00", "reason": "Geste commercial après plainte", "issued_by": "an.operator@wattdesk.example"}]
    with table_environment():
        from wattdesk.stores import invoices as store

        note = store.get_by_number("2027-C-000001")
        assert (note.kind, note.corrects, note.totals["incl_vat"], note.totals["vat"]) == ("credit_note", advance["number"], "-30.00", "-1.70")
    # The customer is told what the credit note is and what is still to pay.
    mail = next(m for m in billing_mails(runtime, contract["email"]) if "2027-C-000001" in m["subject"])
    assert mail["subject"] == f"Note de crédit 2027-C-000001 sur la facture {advance['number']}"
    assert "50,00" in mail["text"] and "Geste commercial" in mail["text"]
    text = pdf_text(runtime, mail, "credit-note-2027-C-000001.pdf")
    assert "Note de crédit" in text and advance["number"] in text and "Geste commercial" in text

    # Never above what remains: 50.01 is refused with the field, nothing is issued.
    too_much = runtime.handle_api("POST", f"{url}/credit-notes", operator, {"amount": "50.01", "reason": "x"})
    assert too_much.status == 422
    assert too_much.json()["errors"][0]["code"] == "credit.above_remainder" and too_much.json()["errors"][0]["field"] == "amount"
    assert "50.00" in too_much.json()["errors"][0]["message"]
    # The advance's single line (80.00) no longer fits either.
    assert runtime.handle_api("POST", f"{url}/credit-notes", operator, {"lines": [0], "reason": "x"}).json()["errors"][0]["code"] == "credit.above_remainder"
    assert runtime.handle_api("POST", f"{url}/credit-notes", operator, {"lines": [0], "amount": "1.00", "reason": "x"}).json()["errors"][0]["code"] == "correction.selection"
    assert runtime.handle_api("POST", f"{url}/credit-notes", operator, {"amount": "1.00", "reason": " "}).json()["errors"][0]["code"] == "correction.reason"
    assert runtime.handle_api("POST", "/ops/invoices/2027-A-999999/credit-notes", operator, {"amount": "1.00", "reason": "x"}).status == 404

    # The rest, exactly: the remainder is 0 and the open item is closed.
    rest = runtime.handle_api("POST", f"{url}/credit-notes", operator, {"amount": "50.00", "reason": "Solde annulé", "request_id": "ops-ticket-4711"})
    assert rest.status == 201 and (rest.json()["credit_note"], rest.json()["creditable_remainder"], rest.json()["open_amount"]) == ("2027-C-000002", "0.00", "0.00")
    # A retried request (same request_id) answers the same credit note.
    again = runtime.handle_api("POST", f"{url}/credit-notes", operator, {"amount": "50.00", "reason": "Solde annulé", "request_id": "ops-ticket-4711"})
    assert again.status == 201 and again.json()["credit_note"] == "2027-C-000002" and len(again.json()["credit_notes"]) == 2
    assert runtime.handle_api("POST", f"{url}/credit-notes", operator, {"amount": "0.01", "reason": "x"}).json()["errors"][0]["code"] == "correction.nothing_left"
    # A credit note itself is not credited.
    assert runtime.handle_api("POST", "/ops/invoices/2027-C-000001/credit-notes", operator, {"amount": "1.00", "reason": "x"}).json()["errors"][0]["code"] == "correction.not_creditable"
    with table_environment():
        from wattdesk.services import corrections
        from wattdesk.stores import enrollments, ledger

        assert corrections.creditable_remainder(advance["number"]) == Decimal("0.00")
        assert ledger.open_amount(contract["customer_id"], advance["number"]) == Decimal("0.00")
        trail = [(entry.action, entry.actor) for entry in enrollments.customer_audit(contract["customer_id"])]
        assert trail == [("credit_note_issued", "an.operator@wattdesk.example")] * 2


def test_an_extraordinary_invoice_of_free_lines_credited_line_by_line(runtime, operator):
    runtime.reset(MID_JANUARY)
    runtime.only_schedules("BillingRunStateMachine-")
    contract = make_contract(81, "monthly", "80.00", "nl", date(2027, 2, 1))
    runtime.advance(to=datetime(2027, 2, 10, 9, 0, tzinfo=UTC))
    url = f"/ops/customers/{contract['customer_id']}/extraordinary-invoices"
    body = {
        "reason": "Meter beschadigd bij werken door de klant",
        "lines": [
            {"description": "Vervanging beschadigde meter", "quantity": "1", "unit_price": "120.00", "vat_rate": "0.21"},
            {"description": "Administratieve kost", "quantity": "1", "unit_price": "25.00", "vat_rate": "0.21"},
        ],
        "request_id": "damage-2027-0001",
    }
    bad = runtime.handle_api("POST", url, operator, {**body, "lines": [{**body["lines"][0], "vat_rate": "0.12"}]})
    assert bad.status == 422 and bad.json()["errors"][0] == {"field": "lines[0].vat_rate", "code": "extraordinary.vat_rate", "message": bad.json()["errors"][0]["message"]}
    assert runtime.handle_api("POST", url, {"Authorization": runtime.login(contract["email"], ["customers"], {"custom:customer_id": contract["customer_id"]})["id_token"]}, body).status == 403
    assert runtime.handle_api("POST", "/ops/customers/nobody/extraordinary-invoices", operator, body).status == 404

    issued = runtime.handle_api("POST", url, operator, body)
    assert issued.status == 201, issued.body
    invoice = issued.json()
    # 120.00 + 25.00 at 21 %: 145.00 + 30.45 VAT; issued on 10 February, due 15 days later.
    assert (invoice["number"], invoice["kind"], invoice["totals"]["incl_vat"], invoice["totals"]["vat"]) == ("2027-X-000001", "extraordinary", "175.45", "30.45")
    assert (invoice["issue_date"], invoice["due_date"], invoice["creditable_remainder"]) == ("2027-02-10", "2027-02-25", "175.45")
    assert invoice["ogm"] == "+++027/4000/00127+++"  # base 0274000001 (year 27, series X = 4, number 1), 274000001 mod 97 = 27
    assert runtime.handle_api("POST", url, operator, body).json()["number"] == "2027-X-000001"  # a retry issues nothing new
    (mail,) = [m for m in billing_mails(runtime, contract["email"]) if "2027-X-000001" in m["subject"]]
    assert mail["subject"] == "Uw factuur 2027-X-000001" and invoice["ogm"] in mail["text"]
    text = pdf_text(runtime, mail, "invoice-2027-X-000001.pdf")
    assert "Uitzonderlijke factuur" in text and "Vervanging beschadigde meter" in text and "Meter beschadigd" in text and "175,45" in text

    # Credit the administrative fee (line 1) only: 25.00 + 5.25 VAT.
    credit_url = f"/ops/invoices/2027-X-000001/credit-notes"
    fee = runtime.handle_api("POST", credit_url, operator, {"lines": [1], "reason": "Kost kwijtgescholden"})
    assert fee.status == 201 and (fee.json()["creditable_remainder"], fee.json()["credited_lines"]) == ("145.20", [1])
    twice = runtime.handle_api("POST", credit_url, operator, {"lines": [1], "reason": "Nog eens"})
    assert twice.status == 422 and twice.json()["errors"][0]["code"] == "credit.line_credited" and twice.json()["errors"][0]["field"] == "lines"
    assert runtime.handle_api("POST", credit_url, operator, {"lines": [2], "reason": "x"}).json()["errors"][0]["code"] == "credit.line_index"
    with table_environment():
        from wattdesk.stores import invoices as store

        note = store.get_by_number(fee.json()["credit_note"])
        assert [(row["description_key"], row["amount"], row["vat_amount"], row["parameters"]["credits_line"]) for row in note.lines] == [("extraordinary", "-25.00", "-5.25", "1")]


def test_concurrent_credit_notes_never_together_exceed_the_invoice(runtime, monkeypatch):
    """Six operators credit 30.00 each on an 80.00 invoice at the same moment: two fit."""
    import moto.dynamodb.models as dynamodb_models

    # DynamoDB runs each transaction atomically; the local runtime's cheaper TransactWriteItems
    # (wattdesk_local/patches.py) checks the conditions, then writes, without a lock, so two
    # threads could interleave there. Serialise it here as DynamoDB does, to test our conditions.
    serial = threading.Lock()
    transact = dynamodb_models.DynamoDBBackend.transact_write_items

    def atomic(self, items):
        with serial:
            return transact(self, items)

    monkeypatch.setattr(dynamodb_models.DynamoDBBackend, "transact_write_items", atomic)
    runtime.reset(MID_JANUARY)
    runtime.only_schedules("BillingRunStateMachine-")
    contract = make_contract(82, "monthly", "80.00", "en", date(2027, 2, 1))
    advance = first_advance(runtime, contract)
    outcomes: list[str] = []
    start = threading.Barrier(6)

    def credit(n: int) -> None:
        from wattdesk.domain.errors import DomainError
        from wattdesk.services import corrections

        start.wait()
        try:
            result = corrections.credit_note(advance["number"], amount=Decimal("30.00"), reason=f"race {n}", actor=f"op{n}", at=datetime(2027, 2, 2, 9, 0, tzinfo=UTC), notify=False)
            outcomes.append(result["credit_note"])
        except DomainError as exc:
            outcomes.append(exc.code)

    with table_environment():
        threads = [threading.Thread(target=credit, args=(n,)) for n in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        from wattdesk.services import corrections
        from wattdesk.stores import invoices as store

        remainder = corrections.creditable_remainder(advance["number"])
        notes = [i for i in store.of_customer(contract["customer_id"]) if i.kind == "credit_note"]
    assert sorted(o for o in outcomes if o.startswith("2027-C")) == ["2027-C-000001", "2027-C-000002"]  # gapless too
    assert sorted(o for o in outcomes if not o.startswith("2027-C")) == ["credit.above_remainder"] * 4
    assert remainder == Decimal("20.00") and sum(-Decimal(n.totals["incl_vat"]) for n in notes) == Decimal("60.00")


def _replacement_of(number: str, amount: str, today: date):
    """What helper S hands over: the corrected invoice, here an advance at another amount."""
    from wattdesk.domain import invoice as rules
    from wattdesk.services import billing
    from wattdesk.stores import invoices as store

    original = store.get_by_number(number)
    lines = rules.advance_invoice_lines(Decimal(amount), Decimal("0.06"), {"month": original.period})
    return store.NewInvoice(
        kind="advance", series="A", year=today.year, customer_id=original.customer_id, contract_id=original.contract_id, period=original.period,
        issue_date=today.isoformat(), due_date=rules.due_date(today).isoformat(), language=original.language, lines=billing.json_ready(lines),
        totals=billing.json_ready(rules.totals(lines)),
    )


def test_cancel_and_reissue_issues_both_or_neither_and_reminders_on_the_cancelled_invoice_stop(runtime, operator):
    runtime.reset(MID_JANUARY)
    runtime.only_schedules("BillingRunStateMachine-", "DunningStateMachine-")
    disputed = make_customer(90, "9000", "nl", advance="70.00", months=1)
    other = make_customer(91, "9000", "nl", advance="70.00", months=1)
    runtime.advance(to=at("2027-02-01"))
    with in_function(runtime):
        from wattdesk.stores import invoices as store

        (original,) = store.of_customer(disputed["customer_id"])
        (unpaid,) = store.of_customer(other["customer_id"])
    number = original.number

    # Neither: a failing replacement write (its number's index already taken) leaves no credit note.
    with in_function(runtime):
        from wattdesk.services import corrections
        from wattdesk.stores.invoices import Counter, InvoiceIndex, NumberContention

        blocker = InvoiceIndex("INVOICE#2027-A-000003", "INVOICE", customer_id="someone-else")
        blocker.save()
        with pytest.raises(NumberContention):
            corrections.cancel_and_reissue(original_number=number, replacement=_replacement_of(number, "55.00", date(2027, 2, 3)), reason="x", actor="ops", at=at("2027-02-03"))
        assert [i.number for i in store.of_customer(disputed["customer_id"])] == [number]
        assert corrections.creditable_remainder(number) == Decimal("70.00")
        assert store.get_by_number(number).replaced_by is None
        assert Counter.count("COUNTER#C#2027") == 0  # no credit-note number was taken
        blocker.delete()

    # Both: the estimated advance is cancelled in full and reissued at 55.00, in one step.
    runtime.advance(to=at("2027-02-03"))
    with in_function(runtime):
        result = corrections.cancel_and_reissue(
            original_number=number, replacement=_replacement_of(number, "55.00", date(2027, 2, 3)), reason="Meterstand betwist: werkelijke stand 10234", actor="s.helper", at=at("2027-02-03")
        )
        assert result == {"original": number, "credit_note": "2027-C-000001", "replacement": "2027-A-000003", "credited": "70.00", "mailed": True}
        # Idempotent on (original, reissue): the same pair, nothing new, no second mail.
        repeat = corrections.cancel_and_reissue(original_number=number, replacement=_replacement_of(number, "60.00", date(2027, 2, 3)), reason="again", actor="s.helper", at=at("2027-02-03"))
        assert {**repeat, "mailed": True} == result and repeat["mailed"] is False
        assert [(i.number, i.kind, i.totals["incl_vat"]) for i in sorted(store.of_customer(disputed["customer_id"]), key=lambda i: i.number)] == [
            (number, "advance", "70.00"), ("2027-A-000003", "advance", "55.00"), ("2027-C-000001", "credit_note", "-70.00")
        ]
        assert (store.get_by_number(number).replaced_by, store.get_by_number("2027-A-000003").replaces) == ("2027-A-000003", number)
    view = runtime.handle_api("GET", f"/ops/invoices/{number}", operator).json()
    assert (view["replaced_by"], view["creditable_remainder"], view["open_amount"], [c["number"] for c in view["credit_notes"]]) == ("2027-A-000003", "0.00", "0.00", ["2027-C-000001"])

    # One explanation mail with both documents.
    (mail,) = mails(runtime, disputed, "Correctie")
    assert mail["subject"] == f"Correctie van factuur {number}: creditnota 2027-C-000001 en nieuwe factuur 2027-A-000003"
    assert mail["attachments"] == ["credit-note-2027-C-000001.pdf", "invoice-2027-A-000003.pdf"]
    assert "werkelijke stand 10234" in mail["text"] and "55,00" in mail["text"] and "herinneringen" in mail["text"]
    assert len(runtime.outbox(disputed["email"])) == 2  # the original advance, then the correction
    assert "vervangt factuur" in pdf_text(runtime, mail, "invoice-2027-A-000003.pdf")

    # Dunning: the other customer's unpaid advance (same due date) gets its reminder on
    # 22 February; the cancelled invoice never does (its replacement is chased on its own dates).
    runtime.advance(to=at("2027-03-01"))
    assert [m["subject"] for m in mails(runtime, other, "Herinnering")] == [f"Herinnering: factuur {unpaid.number} is nog niet betaald"]
    assert all(number not in m["subject"] for m in runtime.outbox(disputed["email"]) if m["subject"].startswith("Herinnering"))
    case = runtime.handle_api("GET", f"/ops/dunning/cases/{number}", operator)
    assert case.status == 404 or case.json()["status"] == "CLOSED"


def test_cancel_and_reissue_refuses_a_second_replacement_and_foreign_replacements(runtime):
    runtime.reset(MID_JANUARY)
    runtime.only_schedules("BillingRunStateMachine-")
    contract = make_contract(83, "monthly", "80.00", "de", date(2027, 2, 1))
    stranger = make_contract(84, "monthly", "80.00", "de", date(2027, 2, 1))
    runtime.advance(to=datetime(2027, 2, 1, 8, 0, tzinfo=UTC))
    from wattdesk.domain.errors import DomainError

    with in_function(runtime):
        from wattdesk.services import corrections
        from wattdesk.stores import invoices as store

        (mine,) = store.of_customer(contract["customer_id"])
        (theirs,) = store.of_customer(stranger["customer_id"])
        foreign = replace(_replacement_of(theirs.number, "50.00", date(2027, 2, 2)))
        with pytest.raises(DomainError) as info:
            corrections.cancel_and_reissue(original_number=mine.number, replacement=foreign, reason="x", actor="ops", at=at("2027-02-02"))
        assert info.value.code == "correction.customer"
        first = corrections.cancel_and_reissue(original_number=mine.number, replacement=_replacement_of(mine.number, "50.00", date(2027, 2, 2)), reason="Stand betwist", actor="ops", at=at("2027-02-02"))
        # The replacement can itself be corrected later (cancelled and reissued again).
        second = corrections.cancel_and_reissue(
            original_number=first["replacement"], replacement=_replacement_of(first["replacement"], "45.00", date(2027, 2, 3)), reason="Nogmaals betwist", actor="ops", at=at("2027-02-03")
        )
        assert (second["original"], second["credited"]) == (first["replacement"], "50.00")
        # A credit note for the cancelled invoice: nothing remains creditable.
        with pytest.raises(DomainError) as info:
            corrections.credit_note(mine.number, amount=Decimal("1.00"), reason="x", actor="ops", at=at("2027-02-03"))
        assert info.value.code == "correction.nothing_left"
    mail_subjects = [m["subject"] for m in runtime.outbox(contract["email"])]
    assert sum("Berichtigung" in s for s in mail_subjects) == 2
