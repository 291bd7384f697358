"""Payments and direct debit: bank statements in, matching and booking, the suspense queue,
mandates, the daily direct-debit sweep (pre-notification, pain.008, settlement) and R-transactions.

Every booking is a ledger entry (stores/ledger.py) written in one transaction with the account's
version and the payment's status; every step can run again without booking anything twice.
Dunning (reminders, formal notices) lives elsewhere and reads the same ledger.
"""

from __future__ import annotations

import csv
import hashlib
import io
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from wattdesk import clock
from wattdesk.adapters import camt, documents, sepa_files
from wattdesk.adapters.aws import client
from wattdesk.adapters.mail import Mail
from wattdesk.adapters.mail_texts import render
from wattdesk.domain import direct_debit as dd
from wattdesk.domain import payments as rules
from wattdesk.domain.errors import DomainError
from wattdesk.domain.iban import mask_iban, validate_iban
from wattdesk.domain.money import ZERO, format_amount, to_cents
from wattdesk.domain.ogm import validate_ogm
from wattdesk.observability import logger
from wattdesk.settings import get_settings
from wattdesk.stores import enrollments as customers_store
from wattdesk.stores import invoices as invoices_store
from wattdesk.stores import ledger
from wattdesk.stores import mandates as mandates_store
from wattdesk.stores import payments as store
from wattdesk.stores import sent_mail

MAX_BOOKING_ATTEMPTS = 8
DIRECT_DEBIT_STATUSES = ("CONFIRMED", "ACTIVE")


class NotFound(LookupError):
    def __init__(self, what: str):
        super().__init__(what)
        self.what = what


class Conflict(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


# ================================================================== reading the account
def _due_dates(customer_id: str) -> dict[str, Any]:
    return {invoice.number: invoice for invoice in invoices_store.of_customer(customer_id)}


def open_invoices(customer_id: str, found: list[ledger.LedgerEntry] | None = None) -> list[rules.OpenInvoice]:
    """The customer's invoices with something still to pay, oldest due first."""
    found = found if found is not None else ledger.entries(customer_id)
    per_invoice: dict[str, Decimal] = {}
    for entry in found:
        if entry.invoice_number:
            per_invoice[entry.invoice_number] = per_invoice.get(entry.invoice_number, ZERO) + Decimal(entry.amount)
    records = _due_dates(customer_id) if any(amount > 0 for amount in per_invoice.values()) else {}
    result = []
    for number, amount in per_invoice.items():
        if amount <= 0:
            continue
        record = records.get(number)
        due = date.fromisoformat(record.due_date) if record is not None and record.due_date else None
        ogm = "".join(ch for ch in record.ogm if ch.isdigit()) if record is not None else ""
        result.append(rules.OpenInvoice(number, customer_id, ogm, to_cents(amount), due))
    return sorted(result, key=lambda invoice: (invoice.due_date or date.max, invoice.number))


def _as_open_invoice(record: invoices_store.InvoiceRecord) -> rules.OpenInvoice:
    open_amount = ledger.open_amount(record.customer_id, record.number)
    return rules.OpenInvoice(record.number, record.customer_id, "".join(ch for ch in record.ogm if ch.isdigit()), max(open_amount, ZERO), date.fromisoformat(record.due_date) if record.due_date else None)


def account_view(customer_id: str) -> dict[str, Any]:
    found = ledger.entries(customer_id)
    records = _due_dates(customer_id)
    items = []
    for item in open_invoices(customer_id, found):
        record = records.get(item.number)
        items.append({
            "invoice_number": item.number,
            "open_amount": format_amount(item.open_amount),
            "due_date": item.due_date.isoformat() if item.due_date else None,
            "ogm": record.ogm if record is not None else None,
            "status": record.status if record is not None else None,
            "pay_by": _transfer_due(item.number),
        })
    mandate = mandates_store.current(customer_id)
    contracts = mandates_store.contracts_of(customer_id)
    method = next((mandates_store.payment_of(c).get("method") for c in contracts if c.status in DIRECT_DEBIT_STATUSES), None) or (mandates_store.payment_of(contracts[0]).get("method") if contracts else None)
    return {
        "customer_id": customer_id,
        "balance": format_amount(ledger.balance(customer_id)),
        "credit": format_amount(ledger.unallocated_credit(customer_id, found)),
        "open_items": items,
        "entries": [
            {"booked_at": e.booked_at, "kind": e.kind, "amount": format_amount(Decimal(e.amount)), "invoice_number": e.invoice_number, "reference": e.reference}
            for e in found
        ],
        "payment_method": _method_view(method, mandate),
    }


def _method_view(method: str | None, mandate: mandates_store.MandateRecord | None) -> dict[str, Any]:
    view: dict[str, Any] = {"method": method}
    if mandate is not None:
        view["mandate"] = {
            "reference": mandate.reference,
            "status": mandate.status,
            "iban": mask_iban(mandate.iban),
            "account_holder": mandate.account_holder,
            "signed_on": mandate.signed_on,
            "creditor_id": sepa_files.creditor().creditor_id,
            "history": [dict(entry.as_dict()) if hasattr(entry, "as_dict") else dict(entry) for entry in mandate.history or []],
        }
    return view


def _transfer_due(invoice_number: str) -> str | None:
    attempts = mandates_store.attempts_of(invoice_number)
    return attempts[-1].pay_by if attempts and attempts[-1].pay_by else None


# ================================================================== booking
def _payment_reference(record: store.PaymentRecord) -> str | None:
    return record.structured_reference or record.end_to_end_id or record.entry_reference or record.payment_id


def _book(record: store.PaymentRecord, customer_id: str, targets: tuple[str, ...], from_statuses: tuple[str, ...], confidence: str | None, reasons: list[str], by: str | None = None, note: str | None = None) -> store.PaymentRecord:
    """Books the payment on the customer's account (targets first, then oldest open invoices, the
    rest as credit); retried when another booking changed the account meanwhile."""
    amount = Decimal(record.amount)
    for _attempt in range(MAX_BOOKING_ATTEMPTS):
        version = ledger.account_version(customer_id)
        found = ledger.entries(customer_id)
        allocation = rules.allocate(amount, targets, open_invoices(customer_id, found))
        credit_after = ledger.unallocated_credit(customer_id, found) + allocation.unallocated
        at = clock.now()
        source = f"PAYMENT#{record.payment_id}"
        reference = _payment_reference(record)
        new = [ledger.new_entry(customer_id, at, source, n, "payment", -paid, number, reference, record.payment_id) for n, (number, paid) in enumerate(allocation.lines)]
        if allocation.unallocated > 0:
            new.append(ledger.new_entry(customer_id, at, source, len(new), "payment", -allocation.unallocated, None, reference, record.payment_id))
        allocations = [{"invoice_number": number, "amount": format_amount(paid)} for number, paid in allocation.lines]
        try:
            ledger.book(customer_id, version, new, credit_after, at, also=[store.booked_transition(record.payment_id, from_statuses, customer_id, allocations, format_amount(allocation.unallocated), at, confidence, reasons, by, note)])
        except ledger.AccountChanged:
            current = store.get(record.payment_id)
            if current.status not in from_statuses:
                raise Conflict("payment.already_decided", f"this payment is {current.status} already") from None
            continue
        for number, _paid in allocation.lines:
            _refresh_invoice_status(customer_id, number)
        if record.debtor_iban:
            store.remember_iban(record.debtor_iban, customer_id, "payment", at)
        return store.get(record.payment_id)
    raise RuntimeError(f"account {customer_id} kept changing while booking {record.payment_id}")


def _refresh_invoice_status(customer_id: str, number: str) -> None:
    """The invoice's status and its place on the unpaid work list follow what is open on it."""
    status = "PAID" if ledger.open_amount(customer_id, number) <= 0 else "OPEN"
    try:
        invoices_store.mark_status(customer_id, number, status)
        invoice = invoices_store.find_by_number(number)
        if invoice is not None and invoice.kind != "credit_note":
            ledger.set_unpaid_listing(customer_id, number, invoice.issued_at, invoice.due_date, unpaid=status == "OPEN")
    except Exception:  # noqa: BLE001 - the status is a view; the ledger is the truth
        logger().warning("invoice status not updated", extra={"invoice": number})


def apply_credit(customer_id: str) -> Decimal:
    """Credit held on the account moves onto open invoices, oldest due first; returns the amount
    applied. Pairs of entries (+ naming no invoice, - naming the invoice) sum to zero."""
    for _attempt in range(MAX_BOOKING_ATTEMPTS):
        version = ledger.account_version(customer_id)
        found = ledger.entries(customer_id)
        credit = ledger.unallocated_credit(customer_id, found)
        allocation = rules.apply_credit(credit, open_invoices(customer_id, found))
        if not allocation.lines:
            return ZERO
        at = clock.now()
        source = f"CREDIT#v{version + 1}"
        new = []
        for number, amount in allocation.lines:
            new.append(ledger.new_entry(customer_id, at, source, len(new), "credit_applied", amount, None, number, None))
            new.append(ledger.new_entry(customer_id, at, source, len(new), "credit_applied", -amount, number, "credit", None))
        applied = sum((amount for _n, amount in allocation.lines), ZERO)
        try:
            ledger.book(customer_id, version, new, credit - applied, at)
        except ledger.AccountChanged:
            continue
        for number, _amount in allocation.lines:
            _refresh_invoice_status(customer_id, number)
        return applied
    return ZERO


def _reverse(payment_id: str, reason: str) -> list[str]:
    """Takes a booked payment back (a direct-debit return); the invoices it paid reopen."""
    record = store.get(payment_id)
    customer_id = record.customer_id
    for _attempt in range(MAX_BOOKING_ATTEMPTS):
        version = ledger.account_version(customer_id)
        found = ledger.entries(customer_id)
        originals = [e for e in found if e.payment_id == payment_id and e.kind == "payment"]
        at = clock.now()
        new = [ledger.new_entry(customer_id, at, f"REVERSAL#{payment_id}", n, "payment_reversal", -Decimal(e.amount), e.invoice_number, reason, payment_id) for n, e in enumerate(originals)]
        credit_after = ledger.unallocated_credit(customer_id, [*found, *new])
        try:
            ledger.book(customer_id, version, new, credit_after, at, also=[store.reversed_transition(payment_id, reason, at)])
        except ledger.AccountChanged:
            if store.get(payment_id).status != "BOOKED":
                return []
            continue
        reopened = sorted({e.invoice_number for e in originals if e.invoice_number})
        for number in reopened:
            _refresh_invoice_status(customer_id, number)
        return reopened
    raise RuntimeError(f"account {customer_id} kept changing while reversing {payment_id}")


# ================================================================== matching
def _incoming(record: store.PaymentRecord) -> rules.IncomingPayment:
    return rules.IncomingPayment(Decimal(record.amount), record.structured_reference, record.free_text, record.debtor_iban)


def match(record: store.PaymentRecord) -> rules.Match:
    payment = _incoming(record)
    refs = rules.references_in(payment)
    by_ogm: dict[str, rules.OpenInvoice] = {}
    for digits in {d for d in (refs.structured_ogm, *refs.ogms) if d}:
        invoice = invoices_store.find_by_ogm(digits)
        if invoice is not None and invoice.kind != "credit_note":
            by_ogm[digits] = _as_open_invoice(invoice)
    by_number: dict[str, rules.OpenInvoice] = {}
    for number in refs.invoice_numbers:
        invoice = invoices_store.find_by_number(number)
        if invoice is not None and invoice.kind != "credit_note":
            by_number[number] = _as_open_invoice(invoice)
    known = store.customers_of_iban(record.debtor_iban) if record.debtor_iban else []
    open_of = {customer_id: open_invoices(customer_id) for customer_id in set(known)}
    instalments = {digits: found for digits in {d for d in (refs.structured_ogm, *refs.ogms) if d and d not in by_ogm} if (found := _instalment(digits)) is not None}
    return rules.match_payment(payment, by_ogm, by_number, known, open_of, instalments_by_ogm=instalments)


def _instalment(digits: str) -> rules.PlanInstalment | None:
    """The payment-plan instalment an OGM belongs to (issue 7: each instalment has its own OGM),
    with the plan's invoices oldest first as the matching rule needs them."""
    from wattdesk.services import payment_plans  # the plans module imports mail/PDF adapters: only when needed

    found = payment_plans.instalment_of(digits)
    if found is None:
        return None
    records = [invoices_store.find_by_number(number) for number in found["invoice_numbers"]]
    invoices = tuple(_as_open_invoice(record) for record in records if record is not None)
    return rules.PlanInstalment(found["customer_id"], found["plan_id"], found["number"], invoices)


def process(record: store.PaymentRecord) -> store.PaymentRecord:
    """A RECEIVED payment is booked (matched) or put in the suspense queue."""
    if record.status != "RECEIVED":
        return record
    found = match(record)
    if found.outcome == "invoice":
        note = f"instalment {found.instalment[1]} of payment plan {found.instalment[0]}" if found.instalment else None
        try:
            return _book(record, found.customer_id, found.invoice_numbers, ("RECEIVED",), found.confidence, list(found.reasons), note=note)
        except Conflict:
            return store.get(record.payment_id)
    try:
        store.to_suspense(record.payment_id, found.confidence, list(found.reasons), found.suggestion, clock.now(), record.received_on)
    except Exception as exc:  # noqa: BLE001 - another run moved it first
        logger().info("payment already processed", extra={"payment_id": record.payment_id, "error": type(exc).__name__})
    return store.get(record.payment_id)


def payment_view(record: store.PaymentRecord) -> dict[str, Any]:
    return {
        "payment_id": record.payment_id,
        "source": record.source,
        "status": record.status,
        "amount": record.amount,
        "received_on": record.received_on,
        "debtor_name": record.debtor_name,
        "debtor_iban": mask_iban(record.debtor_iban) if record.debtor_iban else None,
        "structured_reference": record.structured_reference,
        "free_text": record.free_text,
        "customer_id": record.customer_id,
        "allocations": record.allocations,
        "unallocated": record.unallocated,
        "confidence": record.confidence,
        "reasons": list(record.reasons or []),
        "suggestion": record.suggestion,
        "decided_by": record.decided_by,
        "note": record.note,
    }


# ================================================================== statements
def import_statement(raw: bytes, by: str) -> dict[str, Any]:
    """A camt.053 file: every credit stored once and matched; direct-debit returns in it handled;
    our own direct-debit batch credits recognised (their items are booked one by one)."""
    statement = camt.parse(raw)
    at = clock.now()
    counts = {"entries": len(statement.entries), "new": 0, "duplicates": 0, "booked": 0, "suspense": 0, "direct_debit_settlements": 0, "returns": 0, "not_booked_by_bank": 0, "other_debits": 0}
    refund_counts: dict[str, int] = {}
    results = []
    for entry in statement.entries:
        if entry.status != "BOOK":
            counts["not_booked_by_bank"] += 1
            continue
        if not entry.credit:
            if _refund_entry(entry, refund_counts):  # refunds (issue 8): our own credit transfer out
                continue
            returns = [tx for tx in entry.transactions if tx.return_reason and tx.end_to_end_id]
            for tx in returns:
                outcome = handle_return(tx.end_to_end_id, tx.return_reason, tx.amount, entry.booking_date or at.date(), "camt053")
                counts["returns"] += 1 if outcome["outcome"] != "duplicate" else 0
            if not returns:
                counts["other_debits"] += 1
            continue
        if _refund_entry(entry, refund_counts):  # refunds (issue 8): one of our transfers came back
            continue
        for index, tx in enumerate(entry.transactions):
            payment_id = store.statement_payment_id(statement.account_iban, statement.statement_id, entry.reference, index if len(entry.transactions) > 1 else None)
            batch = mandates_store.batch_of_payment_info(tx.payment_info_id) if tx.payment_info_id else None
            record, created = store.record(store.new_payment(
                payment_id, at, source="camt053", status="RECEIVED", amount=format_amount(tx.amount), received_on=(entry.booking_date or at.date()).isoformat(),
                value_date=entry.value_date.isoformat() if entry.value_date else None, account_iban=statement.account_iban, statement_id=statement.statement_id,
                entry_reference=entry.reference, debtor_name=tx.debtor_name, debtor_iban=(tx.debtor_iban or "").replace(" ", "").upper() or None,
                structured_reference=tx.structured_reference, free_text=tx.unstructured, end_to_end_id=tx.end_to_end_id,
            ))
            if not created and record.status != "RECEIVED":
                counts["duplicates"] += 1
                continue
            counts["new"] += 1 if created else 0
            if batch is not None:
                store.mark_ignored(payment_id, f"direct_debit_batch:{batch}", at)
                counts["direct_debit_settlements"] += 1
                continue
            outcome = process(record)
            counts["booked" if outcome.status == "BOOKED" else "suspense"] += 1
            results.append(payment_view(outcome))
    store.record_import(statement.account_iban, statement.statement_id, statement.kind, statement.message_id, by, counts, at)
    logger().info("bank statement imported", extra={"statement_id": statement.statement_id, **counts})
    result = {"kind": statement.kind, "statement_id": statement.statement_id, "account": mask_iban(statement.account_iban), "counts": counts, "payments": results}
    if refund_counts:
        result["refunds"] = refund_counts
    return result


def register_manual_payment(body: dict[str, Any], by: str) -> tuple[dict[str, Any], bool]:
    """A payment ops received outside the statements (counter, cheque, a bank's letter). With a
    customer or invoice it is booked there; otherwise it is matched like a statement line."""
    at = clock.now()
    external = body.get("external_reference")
    payment_id = ("M" + hashlib.sha256(external.encode()).hexdigest()[:31]) if external else f"M{uuid.uuid4().hex}"
    structured = body.get("structured_reference")
    if structured:
        structured = _field(validate_ogm, structured, "structured_reference")
    iban = _field(validate_iban, body["debtor_iban"], "debtor_iban") if body.get("debtor_iban") else None
    invoice_number = body.get("invoice_number")
    customer_id = body.get("customer_id")
    if invoice_number:
        invoice = invoices_store.find_by_number(invoice_number)
        if invoice is None:
            raise NotFound("This invoice")
        if customer_id and customer_id != invoice.customer_id:
            raise DomainError("payment.invoice_of_other_customer", "the invoice belongs to another customer", "invoice_number")
        customer_id = invoice.customer_id
    if customer_id:
        _customer(customer_id)
    record, created = store.record(store.new_payment(
        payment_id, at, source="manual", status="RECEIVED", amount=format_amount(body["amount"]), received_on=body["received_on"].isoformat(),
        debtor_name=body.get("debtor_name"), debtor_iban=iban, structured_reference=structured, free_text=body.get("free_text"),
        entry_reference=external, note=body.get("note"), decided_by=by,
    ))
    if not created:
        return payment_view(record), False
    if customer_id:
        booked = _book(record, customer_id, (invoice_number,) if invoice_number else (), ("RECEIVED",), "operator", ["entered_by_operator"], by=by, note=body.get("note"))
        return payment_view(booked), True
    return payment_view(process(record)), True


def _field(validate, value: str, field: str) -> str:
    try:
        return validate(value)
    except DomainError as exc:
        raise exc.with_field(field) from exc


def _customer(customer_id: str) -> customers_store.CustomerRecord:
    try:
        return customers_store.get_customer(customer_id)
    except customers_store.CustomerRecord.DoesNotExist as exc:
        raise NotFound("This customer") from exc


def suspense_view() -> list[dict[str, Any]]:
    return [payment_view(record) for record in store.suspense()]


def decide_suspense(payment_id: str, action: str, by: str, customer_id: str | None = None, invoice_number: str | None = None, note: str | None = None) -> dict[str, Any]:
    record = store.find(payment_id)
    if record is None:
        raise NotFound("This payment")
    if record.status != "SUSPENSE":
        raise Conflict("payment.not_in_suspense", f"this payment is {record.status}, not in the suspense queue")
    if action == "refund":
        try:
            handover = store.hand_over_for_refund(record, by, note, clock.now())
        except store.AlreadyDecided as exc:
            raise Conflict("payment.already_decided", "someone decided on this payment first") from exc
        view = payment_view(store.get(payment_id))
        view["refund_handover"] = {"status": handover.status, "reason": handover.reason, "amount": handover.amount, "requested_by": handover.requested_by, "requested_at": handover.requested_at}
        return view
    if invoice_number:
        invoice = invoices_store.find_by_number(invoice_number)
        if invoice is None:
            raise NotFound("This invoice")
        if customer_id and customer_id != invoice.customer_id:
            raise DomainError("payment.invoice_of_other_customer", "the invoice belongs to another customer", "invoice_number")
        customer_id = invoice.customer_id
    if not customer_id:
        raise DomainError("payment.customer_required", "name the customer or the invoice the payment belongs to", "customer_id")
    _customer(customer_id)
    booked = _book(record, customer_id, (invoice_number,) if invoice_number else (), ("SUSPENSE",), "operator", ["assigned_by_operator"], by=by, note=note)
    return payment_view(booked)


# ================================================================== mandates and payment method
def _today() -> date:
    return clock.today_in_brussels()


def ensure_mandate(customer_id: str) -> mandates_store.MandateRecord | None:
    """The customer's mandate, created from the enrollment's payment details when first needed."""
    existing = mandates_store.current(customer_id)
    if existing is not None:
        return existing
    if any(m.status == "REVOKED" for m in mandates_store.mandates_of(customer_id)):
        return None  # revoked: a new mandate needs a new signature (portal)
    for contract in mandates_store.contracts_of(customer_id):
        payment = mandates_store.payment_of(contract)
        if payment.get("method") == "direct_debit" and payment.get("iban") and contract.status in DIRECT_DEBIT_STATUSES:
            signed_on = datetime.fromisoformat(contract.created_at).astimezone(clock.BRUSSELS).date()
            return _create_mandate(customer_id, payment["iban"], payment.get("account_holder") or "", signed_on, "enrollment", "enrollment")
    return None


def _create_mandate(customer_id: str, iban: str, holder: str, signed_on: date, source: str, by: str) -> mandates_store.MandateRecord:
    sequence = len(mandates_store.mandates_of(customer_id)) + 1
    for _attempt in range(5):
        reference = dd.mandate_reference(customer_id, sequence)
        try:
            mandate = mandates_store.create(customer_id, reference, validate_iban(iban), holder, signed_on, source, by, clock.now())
        except mandates_store.ReferenceTaken:
            sequence += 1
            continue
        store.remember_iban(mandate.iban, customer_id, "mandate", clock.now())
        return mandate
    raise RuntimeError("no free mandate reference")


def change_payment_method(customer_id: str, method: str, iban: str | None, holder: str | None, accepted: bool, by: str) -> dict[str, Any]:
    customer = _customer(customer_id)
    if not mandates_store.contracts_of(customer_id):
        raise NotFound("A contract of this customer")
    current = mandates_store.current(customer_id)
    changed = True
    if method == "direct_debit":
        if not iban:
            raise DomainError("iban.required", "an IBAN is needed for direct debit", "iban")
        compact = _field(validate_iban, iban, "iban")
        if not holder or not holder.strip():
            raise DomainError("account_holder.required", "the account holder is needed for direct debit", "account_holder")
        if not accepted:
            raise DomainError("mandate.not_accepted", "accept the SEPA direct-debit mandate to pay by direct debit", "mandate_accepted")
        if current is not None and current.status == "ACTIVE":
            if current.iban == compact and current.account_holder == holder.strip():
                changed = False
            else:
                mandates_store.amend(current, compact, holder.strip(), by, clock.now())
                store.remember_iban(compact, customer_id, "mandate", clock.now())
            mandate = mandates_store.get_mandate(customer_id, current.reference)
        else:
            if current is not None:  # suspended after failures: a new signature, a new mandate
                mandates_store.set_status(current, "REVOKED", "replaced", by, clock.now(), reason="new mandate signed")
            mandate = _create_mandate(customer_id, compact, holder.strip(), _today(), "portal" if by == customer.email else "ops", by)
        mandates_store.set_payment_method(customer_id, "direct_debit", compact, holder.strip())
    else:
        mandate = None
        if current is not None and current.status in ("ACTIVE", "SUSPENDED"):
            mandate = mandates_store.set_status(current, "REVOKED", "revoked", by, clock.now(), reason="customer chose transfer")
        elif not any(mandates_store.payment_of(c).get("method") == "direct_debit" for c in mandates_store.contracts_of(customer_id)):
            changed = False
        mandates_store.set_payment_method(customer_id, "transfer", None, None)
    if changed:
        language = customer.language
        subject, text = render(
            "payment_method_changed", language, first_name=customer.first_name, method=method,
            iban=mask_iban(mandate.iban) if mandate else "", account_holder=mandate.account_holder if mandate else "",
            mandate_reference=mandate.reference if mandate else "", signed_on=documents.long_date(date.fromisoformat(mandate.signed_on), language) if mandate else "",
            creditor_id=sepa_files.creditor().creditor_id,
        )
        key = f"payment-method#{clock.now().isoformat()}"
        sent_mail.send_once(f"CUSTOMER#{customer_id}", key, Mail(to=customer.email, subject=subject, text=text, language=language))
    view = _method_view(method, mandates_store.current(customer_id) or mandate)
    view["changed"] = changed
    return view


# ================================================================== the direct-debit sweep
@dataclass
class SweepCounts:
    mandates_created: int = 0
    credit_applied: str = "0.00"
    prenotified: int = 0
    submitted: int = 0
    cancelled: int = 0
    collected: int = 0
    files: int = 0

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


CATCH_UP_DAYS = 35  # unpaid invoices due this long ago are still collected (re-presentations, missed days)


def _needs_attempt(number: str, due: date, as_of: date) -> int | None:
    """The number of the presentation this unpaid invoice needs today, or None."""
    attempts = mandates_store.attempts_of(number)
    if not attempts:
        return 1 if as_of >= dd.notification_date(due) else None
    last = attempts[-1]
    if last.status in ("RETURNED", "REJECTED") and last.represent and len(attempts) < dd.MAX_ATTEMPTS_PER_INVOICE:
        return len(attempts) + 1
    return None


def _to_prenotify(as_of: date) -> dict[str, dict[str, int]]:
    """Customer -> {invoice number: presentation number} for the unpaid invoices due in the
    sweep's window that need a presentation: the work is proportional to what is to collect,
    not to the portfolio (one look-up per unpaid invoice in the window)."""
    window = (as_of - timedelta(days=CATCH_UP_DAYS)).isoformat(), (as_of + timedelta(days=dd.PRE_NOTIFICATION_DAYS + 3)).isoformat()
    found: dict[str, dict[str, int]] = {}
    for due, customer_id, number in ledger.unpaid_due_between(*window):
        attempt = _needs_attempt(number, date.fromisoformat(due), as_of)
        if attempt is not None and _collection_suspended(customer_id, number) is None:
            found.setdefault(customer_id, {})[number] = attempt
    return found


def _collection_suspended(customer_id: str, number: str) -> str | None:
    """Why this invoice may not be collected now (an open complaint about it, a kept payment plan,
    a refund or correction under way: the same rule as reminders, services.dunning), or None."""
    from wattdesk.services import dunning  # late: it loads the letter adapters, which only sweeps need

    found = dunning.suspension_of(customer_id, number)
    return None if found is None else f"suspended: {found[0]}"


def direct_debit_sweep(as_of: date) -> dict[str, Any]:
    """The daily run: settle what was collected, apply credits, pre-notify due invoices, and
    write today's pain.008 file. Running it twice for the same day changes nothing."""
    counts = SweepCounts()
    _settle(as_of, counts)
    applied = ZERO
    for customer_id in ledger.customers_with_credit():
        applied += apply_credit(customer_id)
    counts.credit_applied = format_amount(applied)
    for customer_id, wanted in _to_prenotify(as_of).items():
        if not any(c.status in DIRECT_DEBIT_STATUSES and mandates_store.payment_of(c).get("method") == "direct_debit" for c in mandates_store.contracts_of(customer_id)):
            continue  # pays by transfer: dunning's business
        had = mandates_store.current(customer_id) is not None
        mandate = ensure_mandate(customer_id)
        counts.mandates_created += 1 if mandate is not None and not had else 0
        if mandate is None or mandate.status != "ACTIVE":
            continue
        _prenotify(customer_id, mandate, wanted, as_of, counts)
    _submit(as_of, counts)
    result = counts.as_dict()
    logger().info("direct-debit sweep", extra={"as_of": as_of.isoformat(), **result})
    return {"as_of": as_of.isoformat(), **result}


def _prenotify(customer_id: str, mandate: mandates_store.MandateRecord, wanted: dict[str, int], as_of: date, counts: SweepCounts) -> None:
    customer = None
    for item in open_invoices(customer_id):
        number = wanted.get(item.number)
        if number is None or item.due_date is None:
            continue
        due = item.due_date if number == 1 else as_of  # a re-presentation: as soon as the notice allows
        collection = dd.collection_date(due, as_of)
        e2e = dd.end_to_end_id(item.number, number)
        attempt = mandates_store.new_attempt(item.number, customer_id, number, e2e, item.open_amount, item.due_date, as_of, collection, dd.submission_date(collection), mandate.reference, clock.now())
        if attempt is None:
            continue
        customer = customer or customers_store.get_customer(customer_id)
        language = customer.language
        subject, text = render(
            "dd_prenotification", language, first_name=customer.first_name, amount=documents.money(item.open_amount, language),
            collection_date=documents.long_date(collection, language), number=item.number, iban=mask_iban(mandate.iban),
            mandate_reference=mandate.reference, creditor_id=sepa_files.creditor().creditor_id,
        )
        sent_mail.send_once(f"CUSTOMER#{customer_id}", f"dd-prenotification#{e2e}", Mail(to=customer.email, subject=subject, text=text, language=language))
        counts.prenotified += 1


def _submit(as_of: date, counts: SweepCounts) -> None:
    due = mandates_store.attempts_in("PRENOTIFIED", as_of)
    if not due:
        return
    message_id = f"WD-DD-{as_of:%Y%m%d}-{len(mandates_store.batches_on(as_of)) + 1}"
    at = clock.now()
    claimed: list[tuple[mandates_store.CollectionAttempt, sepa_files.Collection]] = []
    for attempt in due:
        mandate = mandates_store.get_mandate(attempt.customer_id, attempt.mandate_reference)
        open_now = ledger.open_amount(attempt.customer_id, attempt.invoice_number)
        reason = None
        if mandate.status != "ACTIVE":
            reason = f"mandate {mandate.status.lower()}"
        elif open_now <= 0:
            reason = "invoice paid"
        elif dd.mandate_expired(date.fromisoformat(mandate.signed_on), date.fromisoformat(mandate.last_collected_on) if mandate.last_collected_on else None, as_of):
            reason = "mandate expired"
        else:
            reason = _collection_suspended(attempt.customer_id, attempt.invoice_number)
        if reason:
            if mandates_store.move(attempt, "PRENOTIFIED", "CANCELLED", at, cancel_reason=reason):
                counts.cancelled += 1
            continue
        collection = date.fromisoformat(attempt.collection_date)
        if collection <= as_of:  # the submission day was missed: the next possible date
            collection = dd.next_target_day(as_of + timedelta(days=1))
        amount = min(Decimal(attempt.amount), open_now)  # never more than pre-notified
        sequence = dd.sequence_type(int(mandate.settled_collections))
        if not mandates_store.move(attempt, "PRENOTIFIED", "SUBMITTED", at, work_date=collection.isoformat(), sequence_type=sequence, collected_amount=format_amount(amount), batch_id=message_id, collection_date=collection.isoformat()):
            continue
        invoice = invoices_store.find_by_number(attempt.invoice_number)
        claimed.append((attempt, sepa_files.Collection(
            end_to_end_id=attempt.end_to_end_id, amount=amount, sequence_type=sequence, collection_date=collection, mandate_reference=mandate.reference,
            mandate_signed_on=date.fromisoformat(mandate.signed_on), debtor_name=mandate.account_holder or "Customer", debtor_iban=mandate.iban,
            remittance=f"WattDesk {attempt.invoice_number} {invoice.ogm if invoice else ''}".strip(),
        )))
    if not claimed:
        return
    collections = [collection for _attempt, collection in claimed]
    xml = sepa_files.pain008(message_id, at.astimezone(clock.BRUSSELS), collections)
    key = f"sepa/pain.008/{as_of.isoformat()}/{message_id}.xml"
    client("s3").put_object(Bucket=get_settings().documents_bucket, Key=key, Body=xml, ContentType="application/xml", ServerSideEncryption="aws:kms")
    pmtinf = sorted({sepa_files.payment_info_id(message_id, c.sequence_type, c.collection_date.strftime("%Y%m%d")) for c in collections})
    mandates_store.save_batch(message_id, as_of, key, [c.end_to_end_id for c in collections], sum((c.amount for c in collections), ZERO), pmtinf, at)
    counts.submitted += len(claimed)
    counts.files += 1


def _settle(as_of: date, counts: SweepCounts) -> None:
    """Submitted collections whose date has come are booked as paid (the bank settles them on
    that day; an R-transaction later takes them back)."""
    for attempt in mandates_store.attempts_in("SUBMITTED", as_of):
        mandate = mandates_store.get_mandate(attempt.customer_id, attempt.mandate_reference)
        payment_id = f"D{attempt.end_to_end_id}"
        at = clock.now()
        record, _created = store.record(store.new_payment(
            payment_id, at, source="direct_debit", status="RECEIVED", amount=attempt.collected_amount or attempt.amount, received_on=attempt.collection_date,
            debtor_name=mandate.account_holder, debtor_iban=mandate.iban, end_to_end_id=attempt.end_to_end_id, entry_reference=attempt.batch_id,
        ))
        if record.status == "RECEIVED":
            _book(record, attempt.customer_id, (attempt.invoice_number,), ("RECEIVED",), "exact", ["direct_debit"])
        if mandates_store.move(attempt, "SUBMITTED", "COLLECTED", at, payment_id=payment_id):
            mandates_store.record_collected(mandate, date.fromisoformat(attempt.collection_date), attempt.end_to_end_id, at)
            counts.collected += 1


# ================================================================== R-transactions
def handle_return(end_to_end_id: str, code: str, amount: Decimal, returned_on: date, source: str) -> dict[str, Any]:
    """A reject/return/refund of one of our collections: the payment is reversed, the invoice
    reopens, the customer is told; two failures in a row switch the customer to transfer."""
    at = clock.now()
    claim = mandates_store.claim_return(end_to_end_id, code, amount, returned_on, source, at)
    if claim is None:
        return {"end_to_end_id": end_to_end_id, "outcome": "duplicate"}
    attempt = mandates_store.attempt_by_end_to_end(end_to_end_id)
    if attempt is None:
        outcome = {"end_to_end_id": end_to_end_id, "outcome": "unknown_collection"}
        mandates_store.set_return_outcome(claim, outcome)
        return outcome
    meaning = dd.reason(code)
    mandate = mandates_store.get_mandate(attempt.customer_id, attempt.mandate_reference)
    if attempt.status == "COLLECTED" and attempt.payment_id:
        _reverse(attempt.payment_id, f"direct debit {meaning.kind} {meaning.code}")
        status = "RETURNED"
        from_status = "COLLECTED"
    elif attempt.status == "SUBMITTED":
        status, from_status = "REJECTED", "SUBMITTED"
    else:
        outcome = {"end_to_end_id": end_to_end_id, "outcome": f"ignored_{attempt.status.lower()}"}
        mandates_store.set_return_outcome(claim, outcome)
        return outcome
    attempts = mandates_store.attempts_of(attempt.invoice_number)
    history = mandates_store.record_failure(mandate, date.fromisoformat(attempt.collection_date), end_to_end_id, dd.outcome_of(meaning.code), at, meaning.code)
    after = dd.after_failure(dd.consecutive_failures(history), meaning.code, len(attempts))
    mandates_store.set_failures(mandate, after.consecutive_failures)
    pay_by = None if after.represent else dd.transfer_due_date(returned_on).isoformat()
    mandates_store.move(attempt, from_status, status, at, return_reason=meaning.code, returned_on=returned_on.isoformat(), represent=after.represent, pay_by=pay_by)
    customer = customers_store.get_customer(attempt.customer_id)
    invoice = invoices_store.find_by_number(attempt.invoice_number)
    language = customer.language
    subject, text = render(
        "dd_failed", language, first_name=customer.first_name, number=attempt.invoice_number, amount=documents.money(Decimal(attempt.collected_amount or attempt.amount), language),
        reason=meaning.text[language], represent=after.represent, creditor_iban=sepa_files.creditor().iban, ogm=invoice.ogm if invoice else "",
        pay_by=documents.long_date(date.fromisoformat(pay_by), language) if pay_by else "",
    )
    sent_mail.send_once(f"CUSTOMER#{attempt.customer_id}", f"dd-failed#{end_to_end_id}", Mail(to=customer.email, subject=subject, text=text, language=language))
    if after.switch_to_transfer:
        _switch_to_transfer(attempt.customer_id, mandate, customer, at)
    outcome = {"end_to_end_id": end_to_end_id, "outcome": status.lower(), "reason": meaning.code, "invoice_number": attempt.invoice_number, "represent": after.represent, "switched_to_transfer": after.switch_to_transfer, "pay_by": pay_by}
    mandates_store.set_return_outcome(claim, outcome)
    return outcome


def _switch_to_transfer(customer_id: str, mandate: mandates_store.MandateRecord, customer, at: datetime) -> None:
    mandates_store.set_status(mandates_store.get_mandate(customer_id, mandate.reference), "SUSPENDED", "suspended", "system", at, reason=f"{dd.MAX_CONSECUTIVE_FAILURES} consecutive failed collections")
    mandates_store.set_payment_method(customer_id, "transfer", None, None)
    subject, text = render("dd_switched_to_transfer", customer.language, first_name=customer.first_name, mandate_reference=mandate.reference)
    sent_mail.send_once(f"CUSTOMER#{customer_id}", f"dd-switched#{mandate.reference}", Mail(to=customer.email, subject=subject, text=text, language=customer.language))


def import_returns(raw: bytes, content_type: str) -> dict[str, Any]:
    """R-transactions from a camt.054 notification (or a camt.053) or a CSV file."""
    items: list[tuple[str, str, Decimal, date]] = []
    text_like = raw.lstrip()[:1] != b"<"
    if text_like or "csv" in (content_type or ""):
        items, source = _returns_from_csv(raw), "csv"
    else:
        statement = camt.parse(raw)
        source = statement.kind.replace(".", "")
        for entry in statement.entries:
            for tx in entry.transactions:
                if tx.end_to_end_id and tx.return_reason:
                    items.append((tx.end_to_end_id, tx.return_reason, tx.amount, entry.booking_date or _today()))
    outcomes = [handle_return(e2e, code, amount, day, source) for e2e, code, amount, day in items]
    counts: dict[str, int] = {}
    for outcome in outcomes:
        counts[outcome["outcome"]] = counts.get(outcome["outcome"], 0) + 1
    return {"source": source, "counts": counts, "returns": outcomes}


CSV_COLUMNS = ("end_to_end_id", "reason_code", "amount", "return_date")


def _returns_from_csv(raw: bytes) -> list[tuple[str, str, Decimal, date]]:
    """Header ``end_to_end_id;reason_code;amount;return_date`` (``;`` or ``,``), amounts with a
    dot or a Belgian decimal comma, dates ISO or DD/MM/YYYY. Every bad line reported at once."""
    if len(raw) > camt.MAX_BYTES:
        raise camt.CamtError([{"line": 0, "path": None, "code": "csv.too_large", "message": "the file is too large"}])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise camt.CamtError([{"line": 0, "path": None, "code": "csv.encoding", "message": "the file must be UTF-8"}]) from exc
    first = text.splitlines()[0] if text.strip() else ""
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    missing = [column for column in CSV_COLUMNS[:3] if column not in (reader.fieldnames or [])]
    if missing:
        raise camt.CamtError([{"line": 1, "path": None, "code": "csv.header", "message": f"missing columns: {', '.join(missing)} (expected {';'.join(CSV_COLUMNS)})"}])
    items, problems = [], []
    for row in reader:
        line = reader.line_num
        try:
            amount = Decimal((row.get("amount") or "").strip().replace(",", "."))
            raw_date = (row.get("return_date") or "").strip()
            day = (datetime.strptime(raw_date, "%d/%m/%Y").date() if "/" in raw_date else date.fromisoformat(raw_date)) if raw_date else _today()
            e2e, code = (row.get("end_to_end_id") or "").strip(), (row.get("reason_code") or "").strip().upper()
            if not e2e or not code:
                raise ValueError("end_to_end_id and reason_code are required")
            items.append((e2e, code, amount, day))
        except (InvalidOperation, ValueError) as exc:
            problems.append({"line": line, "path": None, "code": "csv.row", "message": str(exc) or "unreadable row"})
    if problems:
        raise camt.CamtError(problems)
    return items


def sweep_view() -> list[dict[str, Any]]:
    return [{"message_id": b.message_id, "submission_date": b.submission_date, "count": int(b.count), "total": b.total, "document_key": b.document_key} for b in mandates_store.batches()]


def payable_by(invoice_number: str) -> str | None:
    """For dunning: a reopened direct-debit invoice's new transfer due date (None: the invoice's own)."""
    return _transfer_due(invoice_number)


def direct_debit_status(invoice_number: str) -> dict[str, Any] | None:
    """For dunning and ops: the invoice's last presentation. ``collecting`` is True while a
    collection is announced or at the bank (or will be presented again): no reminder then."""
    attempts = mandates_store.attempts_of(invoice_number)
    if not attempts:
        return None
    last = attempts[-1]
    collecting = last.status in ("PRENOTIFIED", "SUBMITTED") or (last.status in ("RETURNED", "REJECTED") and bool(last.represent))
    return {"attempt": int(last.attempt), "status": last.status, "collection_date": last.collection_date, "pay_by": last.pay_by, "return_reason": last.return_reason, "collecting": collecting}



# ================================================================== refunds (issue 8)
def _refund_entry(entry, refund_counts: dict[str, int]) -> bool:
    """A statement entry about one of our refund transfers (end-to-end id = refund id): a debit is
    the transfer going out (the refund becomes PAID), a credit with a return reason is the transfer
    coming back (RETURNED; the customer is asked for another IBAN). True when the entry was a
    refund's, so that the import neither books it as a payment nor counts it as another debit."""
    from wattdesk.services import refunds

    handled = False
    for tx in entry.transactions:
        if entry.credit and not tx.return_reason:
            continue
        if entry.credit:
            outcome = refunds.transfer_returned(tx.end_to_end_id, tx.return_reason, entry.booking_date)
        else:
            outcome = refunds.outgoing_transfer_booked(tx.end_to_end_id, entry.booking_date, tx.payment_info_id)
        if outcome is not None:
            handled = True
            refund_counts[outcome] = refund_counts.get(outcome, 0) + 1
    return handled
