"""Reminders and formal notices: the daily run (which customers, each invoice's next step, letters),
collection suspensions, protected customers and the ops view of the cases.

Every step is idempotent: the case records a step in one conditional transaction with its fee, the
letter is mailed once per (invoice, round, step), and a second run on the same day finds nothing due.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from wattdesk import clock
from wattdesk.adapters import documents, letters_pdf
from wattdesk.adapters.aws import client
from wattdesk.adapters.dunning_texts import render
from wattdesk.adapters.mail import Attachment, Mail
from wattdesk.domain import dunning as rules
from wattdesk.domain.money import ZERO, format_amount
from wattdesk.domain.postcodes import municipality_of
from wattdesk.observability import logger
from wattdesk.settings import get_settings
from wattdesk.stores import dunning as store
from wattdesk.stores import enrollments as customers
from wattdesk.stores import invoices, ledger, sent_mail
from wattdesk.stores.base import plain

LETTER_STEPS = ("reminder", "formal_notice", "plan_offer")


# ------------------------------------------------------------------ suspension
def reminder_reference(number: str, round_: int) -> str:
    """The reference printed on a case's letters; a complaint may name it instead of the invoice."""
    return f"{number}-R{round_}"


def _open_complaint(number: str, round_: int | None) -> bool:
    """The complaints module decides; without it, no invoice is under complaint."""
    try:
        from wattdesk.stores import complaints
    except ImportError:
        return False
    if complaints.open_complaint_about(number):
        return True
    return round_ is not None and complaints.open_complaint_about_reminder(reminder_reference(number, round_))


def _open_refund(customer_id: str) -> rules.RefundFacts | None:
    """The customer's refund under way (stores.refunds, read only), if any: domain.dunning.suspending_refund."""
    try:
        from wattdesk.stores import refunds
    except ImportError:
        return None
    facts = [
        rules.RefundFacts(r.refund_id, r.status, Decimal(r.amount or r.requested_amount), r.created_at)
        for r in refunds.of_customer(customer_id)
    ]
    return rules.suspending_refund(facts)


def _open_correction(number: str) -> str | None:
    """A detail when the invoice is being corrected: an estimated annual settlement disputed with an
    actual reading that waits for an operator's check (domain.dunning.open_settlement_correction).
    Credit notes and cancel-and-reissue are one transaction (services.corrections): the invoice has
    nothing open afterwards and its case closes; ops mark any other correction under way with
    POST /ops/dunning/suspensions (reason ``correction``)."""
    try:
        invoice = invoices.get_by_number(number)
    except (invoices.InvoiceIndex.DoesNotExist, invoices.InvoiceRecord.DoesNotExist):
        return None
    if invoice.kind != "settlement" or not invoice.contract_id:
        return None
    try:
        from wattdesk.stores import readings as reading_store
        from wattdesk.stores import settlements
    except ImportError:
        return None
    record = next((r for r in settlements.of_contract(invoice.contract_id) if r.kind == "annual" and r.number == number), None)
    if record is None:
        return None
    waiting: list[date] = []
    for ean in json.loads(record.closing_json or "{}"):
        waiting += [
            date.fromisoformat(r.reading_date) for r in reading_store.of_contract(ean, invoice.contract_id)
            if r.status == "IMPLAUSIBLE" and not r.estimated and r.source in ("customer", "operator")
        ]
    facts = rules.SettlementFacts(date.fromisoformat(record.settlement_date), bool(record.estimated), bool(record.reissued_as), tuple(waiting))
    if rules.open_settlement_correction(facts):
        return f"correction: settlement {number} disputed with an actual reading that waits for an operator's check"
    return None


def suspension_of(customer_id: str, number: str, round_: int | None = None) -> tuple[str, str] | None:
    """(reason, detail) when collection of this invoice is suspended, else None.

    Reasons, in this order: an open complaint about the invoice (or about one of its letters); a
    suspension record (a payment plan asked for or kept, or one opened by ops or another workflow
    through POST /ops/dunning/suspensions); a refund of the customer under way (stores.refunds); an
    estimated settlement being corrected (a dispute waiting for an operator). docs/dunning.md."""
    if _open_complaint(number, round_):
        return "complaint", "open complaint about the invoice or its reminder"
    for item in sorted(store.open_suspensions(customer_id, number), key=lambda s: s.opened_at):
        return item.reason, f"{item.reason} {item.reference}" + (f": {item.note}" if item.note else "")
    refund = _open_refund(customer_id)
    if refund is not None:
        return "refund", rules.refund_detail(refund)
    correction = _open_correction(number)
    if correction is not None:
        return "correction", correction
    return None


def suspend(customer_id: str, number: str, reason: str, reference: str, by: str, note: str | None = None) -> bool:
    if reason not in rules.SUSPENSION_REASONS:
        raise rules.DomainError("dunning.suspension_reason", f"reason must be one of {', '.join(rules.SUSPENSION_REASONS)}", "reason")
    return store.suspend(customer_id, number, reason, reference, by, clock.now(), note)


def lift(customer_id: str, number: str, reason: str, reference: str, by: str) -> bool:
    return store.lift(customer_id, number, reason, reference, by, clock.now())


# ------------------------------------------------------------------ the run
def as_of_date(as_of: str) -> date:
    return clock.parse_instant(as_of).astimezone(clock.BRUSSELS).date()


def _customers_to_look_at(as_of: date) -> list[str]:
    """Customers with something to do today: an invoice overdue without a followed case, a case
    whose next date has come, or a case that is suspended or with ops (to resume or close it).
    A case waiting for a later date is left alone until then: its step re-checks payment and
    suspension on that day, so waiting costs nothing and nothing goes out wrongly."""
    found: set[str] = set()
    followed: set[tuple[str, str]] = set()
    for status in store.ACTIVE_STATUSES:
        for case in store.queue(status):
            followed.add((case.customer_id, case.invoice_number))
            if status != "OPEN" or not case.next_on or case.next_on <= as_of.isoformat():
                found.add(case.customer_id)
    for contract in customers.all_contracts():
        customer_id = contract.PK.removeprefix("CUSTOMER#")
        if customer_id in found:
            continue
        for number in ledger.open_items(customer_id):
            if (customer_id, number) in followed:
                continue
            try:
                invoice = invoices.get_by_number(number)
            except (invoices.InvoiceIndex.DoesNotExist, invoices.InvoiceRecord.DoesNotExist):
                continue
            if invoice.due_date and invoice.due_date < as_of.isoformat():
                found.add(customer_id)
                break
    return sorted(found)


def prepare_run(as_of: date, run_id: str) -> dict[str, Any]:
    now = clock.now()
    store.start_run(run_id, as_of, now)
    items = [{"customer_id": customer_id} for customer_id in _customers_to_look_at(as_of)]
    key = f"dunning-runs/{run_id}/items.json"
    client("s3").put_object(Bucket=get_settings().documents_bucket, Key=key, Body=json.dumps(items).encode(), ContentType="application/json", ServerSideEncryption="aws:kms")
    store.set_run_items(run_id, len(items), key)
    return {"run_id": run_id, "as_of_date": as_of.isoformat(), "bucket": get_settings().documents_bucket, "key": key, "count": len(items)}


def _region_and_address(invoice: invoices.InvoiceRecord) -> tuple[str, dict[str, Any]]:
    contract = customers.get_contract(invoice.customer_id, invoice.contract_id)
    address = plain(contract.supply_address)
    return rules.region_of_postcode(address["postcode"]), address


def _facts(case: store.DunningCase, protected: bool, first_reminders_this_year: int) -> rules.CaseFacts:
    taken = tuple(
        rules.TakenStep(step["kind"], date.fromisoformat(step["on"]), date.fromisoformat(step["deadline"]) if step.get("deadline") else None, Decimal(step["fee_total"]))
        for step in case.step_list
    )
    return rules.CaseFacts(
        region=case.region, due_date=date.fromisoformat(case.due_date), taken=taken, protected=protected,
        first_reminders_this_year=first_reminders_this_year,
        resume_not_before=date.fromisoformat(case.resume_not_before) if case.resume_not_before else None,
    )


def _first_reminders_in(cases: list[store.DunningCase], year: int) -> int:
    return sum(1 for case in cases for step in case.all_steps if step["kind"] == "reminder" and step["on"].startswith(f"{year:04d}-"))


def process_customer(run_id: str, customer_id: str, as_of: date) -> dict[str, Any]:
    """Every open invoice and followed case of one customer, oldest invoice first."""
    now = clock.now()
    open_items = ledger.open_items(customer_id)
    cases = {case.invoice_number: case for case in store.cases_of(customer_id)}
    protected = store.is_protected(customer_id)
    reminders_this_year = _first_reminders_in(list(cases.values()), as_of.year)
    outcomes: Counter[str] = Counter()
    for number in sorted(set(open_items) | {n for n, c in cases.items() if c.status in store.ACTIVE_STATUSES}):
        outcome = _process_invoice(customer_id, number, open_items.get(number, ZERO), cases.get(number), as_of, now, protected, reminders_this_year)
        if outcome:
            outcomes[outcome] += 1
            if outcome == "reminder":
                reminders_this_year += 1
    result = dict(sorted(outcomes.items()))
    store.record_item(run_id, customer_id, "done", result, now)
    return {"customer_id": customer_id, **result}


def _process_invoice(customer_id: str, number: str, open_amount: Decimal, case: store.DunningCase | None, as_of: date, now: datetime, protected: bool, reminders_this_year: int) -> str | None:
    fees = Decimal(case.fees_booked) if case else ZERO
    if case is not None and case.status in store.ACTIVE_STATUSES:
        _send_pending_letters(case)
        if not rules.should_chase(open_amount, fees):
            store.set_status(case, "CLOSED", as_of.isoformat(), "paid" if open_amount <= fees else "below the minimum amount", now, closed_reason="paid", closed_on=as_of.isoformat(), next_on=None, next_step=None)
            return "closed"
    else:
        if not rules.should_chase(open_amount, fees):
            return None
        invoice = invoices.get_by_number(number)
        if invoice.kind == "credit_note" or not invoice.due_date:
            return None
        due = date.fromisoformat(invoice.due_date)
        if as_of <= due:
            return None
        if case is None:
            region, _address = _region_and_address(invoice)
            case = store.open_case(customer_id, number, region, invoice.language, invoice.due_date, as_of, now)
        else:
            store.reopen(case, as_of, now)
            case = store.get_case(customer_id, number)
    assert case is not None
    if case.status in ("OPS_QUEUE", "DECIDED"):
        return None  # with ops: the next legal step is their decision, never automatic

    suspended = suspension_of(customer_id, number, int(case.round))
    if suspended:
        reason, detail = suspended
        if case.status != "SUSPENDED" or case.suspension != reason:
            store.set_status(case, "SUSPENDED", as_of.isoformat(), f"suspended: {detail}", now, suspension=reason, suspension_detail=detail, suspended_since=as_of.isoformat(), next_on=None, next_step=None)
        elif case.suspension_detail != detail:  # the same reason moved on (e.g. a refund from awaiting IBAN to approved)
            store.set_status(case, "SUSPENDED", case.GSI1SK.split("#")[0] if case.GSI1SK else as_of.isoformat(), f"suspended: {detail}", now, suspension_detail=detail)
        return "suspended"
    if case.status == "SUSPENDED":
        resume = rules.resume_date(as_of)
        store.set_status(case, "OPEN", as_of.isoformat(), f"suspension ({case.suspension}) ended", now, suspension=None, suspension_detail=None, suspended_since=None, resume_not_before=resume.isoformat())
        case = store.get_case(customer_id, number)
        assert case is not None

    action = rules.decide(_facts(case, protected, reminders_this_year), as_of)
    if isinstance(action, rules.Wait):
        store.set_next(case, action.until, action.step, now)
        return "waiting"
    if isinstance(action, rules.Finished):
        return None
    step = {
        "kind": action.rule.kind, "on": action.on.isoformat(), "deadline": action.deadline.isoformat() if action.deadline else None,
        "channel": action.rule.channel, "fee": format_amount(action.fee.amount), "postage": format_amount(action.fee.postage),
        "fee_total": format_amount(action.fee.total), "fee_reason": action.fee.reason, "open": format_amount(open_amount),
        "source": action.rule.source, "at": now.isoformat(), "mailed": action.rule.kind not in LETTER_STEPS,
    }
    status = "OPS_QUEUE" if action.rule.kind == "ops_queue" else "OPEN"
    try:
        store.record_step(case, step, status, now)
    except store.StaleCase:
        logger().info("dunning step already taken", extra={"invoice": number, "step": action.rule.kind})
        return None
    case = store.get_case(customer_id, number)
    assert case is not None
    _send_pending_letters(case)
    return action.rule.kind


# ------------------------------------------------------------------ letters
def _customer_name(customer: customers.CustomerRecord) -> str:
    return customer.company_name or f"{customer.first_name} {customer.last_name}"


def _address_lines(customer: customers.CustomerRecord, supply: dict[str, Any]) -> tuple[list[str], str]:
    address = plain(customer.correspondence_address) if customer.correspondence_address else supply
    box = f" bus {address['box']}" if address.get("box") else ""
    return [f"{address['street']} {address['number']}{box}", f"{address['postcode']} {address['city']}"], supply["postcode"]


def _send_pending_letters(case: store.DunningCase) -> None:
    for index, step in enumerate(case.step_list):
        if not step.get("mailed"):
            _send_letter(case, index, step)
            refreshed = store.get_case(case.customer_id, case.invoice_number)
            if refreshed is not None:
                case = refreshed


def _send_letter(case: store.DunningCase, index: int, step: dict[str, Any]) -> None:
    invoice = invoices.get_by_number(case.invoice_number)
    customer = customers.get_customer(case.customer_id)
    _region, supply = _region_and_address(invoice)
    lines, postcode = _address_lines(customer, supply)
    language = case.language
    fee = Decimal(step["fee_total"])
    open_before = Decimal(step["open"])
    reminder = next((s for s in case.step_list if s["kind"] == "reminder"), None)
    try:
        municipality = municipality_of(postcode)
    except rules.DomainError:
        municipality = supply.get("city", "")
    values = {
        "first_name": customer.first_name, "number": case.invoice_number, "total": documents.money(open_before + fee, language),
        "fee": documents.money(fee, language) if fee else "", "ogm": invoice.ogm,
        "due_date": documents.long_date(date.fromisoformat(invoice.due_date), language),
        "plans_link": f"{get_settings().public_base_url}/me/payment-plans", "advisor_phone": letters_pdf.ADVISOR["phone"], "advisor_email": letters_pdf.ADVISOR["email"],
        "municipality": municipality,
    }
    attachments: tuple[Attachment, ...] = ()
    key = None
    if step["kind"] in ("reminder", "formal_notice"):
        values["deadline"] = documents.long_date(date.fromisoformat(step["deadline"]), language)
        values["reminder_date"] = documents.long_date(date.fromisoformat(reminder["on"]), language) if reminder else ""
        pdf = letters_pdf.render_letter(
            letters_pdf.CollectionLetter(
                kind=step["kind"], language=language, letter_date=date.fromisoformat(step["on"]), customer_name=_customer_name(customer), customer_address=lines,
                customer_number=case.customer_id[:8].upper(), invoice_number=case.invoice_number, invoice_amount=Decimal(invoice.totals["incl_vat"]),
                due_date=date.fromisoformat(invoice.due_date), open_before_fee=open_before, fee=fee, fee_reason=step["fee_reason"],
                deadline=date.fromisoformat(step["deadline"]), ogm=invoice.ogm, municipality=municipality, registered=step["channel"] == "registered",
                reference=reminder_reference(case.invoice_number, int(case.round)),
            )
        )
        filename = f"{step['kind'].replace('_', '-')}-{case.invoice_number}.pdf"
        key = documents.store_document("letters", filename, pdf)
        attachments = (Attachment(filename, pdf),)
    subject, text = render(f"dunning_{step['kind']}", language, **values)
    sent_mail.send_once(f"DUNNING#{case.invoice_number}", f"{int(case.round)}#{step['kind']}", Mail(to=customer.email, subject=subject, text=text, language=language, attachments=attachments))
    store.mark_step_mailed(case, index, key)


def record_item_failure(run_id: str, customer_id: str, error: str) -> None:
    store.record_item(run_id, customer_id, "failed", {"error": error}, clock.now())


def finish_run(run_id: str) -> dict[str, Any]:
    items = store.run_items(run_id)
    totals: Counter[str] = Counter()
    for item in items:
        if item.outcome == "done":
            totals.update({key: int(value) for key, value in json.loads(item.result_json).items()})
    failed = [item for item in items if item.outcome == "failed"]
    summary = {**dict(sorted(totals.items())), "failed": len(failed)}
    return run_view(store.finish_run(run_id, summary, bool(failed), clock.now()))


def run_view(run: store.DunningRun) -> dict[str, Any]:
    run_id = run.PK.removeprefix("DUNNINGRUN#")
    failed = [{"customer_id": item.customer_id, "error": json.loads(item.result_json).get("error")} for item in store.run_items(run_id) if item.outcome == "failed"]
    return {
        "run_id": run_id, "as_of_date": run.as_of_date, "status": run.status, "customers": int(run.customers), "started_at": run.started_at,
        "finished_at": run.finished_at, "summary": json.loads(run.summary_json), "failed_items": failed,
    }


# ------------------------------------------------------------------ ops
def case_view(case: store.DunningCase) -> dict[str, Any]:
    sequence = rules.sequence_for(case.region)
    return {
        "invoice_number": case.invoice_number, "customer_id": case.customer_id, "region": case.region, "status": case.status, "round": int(case.round),
        "reference": reminder_reference(case.invoice_number, int(case.round)),
        "due_date": case.due_date, "next_step": case.next_step, "next_on": case.next_on,
        "suspension": {"reason": case.suspension, "detail": case.suspension_detail, "since": case.suspended_since} if case.suspension else None,
        "resume_not_before": case.resume_not_before, "fees_booked": case.fees_booked, "closed_reason": case.closed_reason,
        "steps": [{key: step.get(key) for key in ("kind", "on", "deadline", "channel", "fee", "postage", "fee_total", "fee_reason", "open", "mailed", "source")} for step in case.step_list],
        "past_steps": [plain(step) for step in case.past_steps],
        "decision": plain(case.decision) if case.decision is not None else None,
        "possible_decisions": list(sequence.ops_decisions) if case.status == "OPS_QUEUE" else [],
        "history": [plain(entry) for entry in case.history],
    }


def find_case(number: str) -> store.DunningCase | None:
    try:
        invoice = invoices.get_by_number(number)
    except (invoices.InvoiceIndex.DoesNotExist, invoices.InvoiceRecord.DoesNotExist):
        return None
    return store.get_case(invoice.customer_id, number)


def record_decision(case: store.DunningCase, decision: str, note: str, by: str) -> store.DunningCase:
    allowed = rules.sequence_for(case.region).ops_decisions
    if decision not in allowed:
        raise rules.DomainError("dunning.decision", f"decision must be one of {', '.join(allowed)}", "decision")
    store.decide(case, {"decision": decision, "note": note, "by": by, "at": clock.now().isoformat()}, clock.now())
    return store.get_case(case.customer_id, case.invoice_number)  # type: ignore[return-value]


def set_protected(customer_id: str, protected: bool, source: str | None, by: str) -> dict[str, Any]:
    item = store.set_protected(customer_id, protected, source, by, clock.now())
    return {"customer_id": customer_id, "protected": item.protected, "source": item.source, "set_by": item.set_by, "set_at": item.set_at, "history": [plain(h) for h in item.history]}
