"""Corrections of issued invoices (issue 6): credit notes (full or partial), cancel-and-reissue,
extraordinary invoices. Rules in domain/corrections.py; the store writes each correction in one
DynamoDB transaction with its gapless number and the conditional update of the corrected invoice
(its creditable remainder), so concurrent credit notes can never together exceed an invoice.

Interface for other topics (SESSION15): ``cancel_and_reissue`` and ``creditable_remainder``.
"""

from __future__ import annotations

import uuid
from dataclasses import fields, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from wattdesk import clock
from wattdesk.adapters import correction_mail_texts as texts
from wattdesk.adapters import documents
from wattdesk.adapters.mail import Attachment, Mail
from wattdesk.adapters.mail_texts import render
from wattdesk.domain import corrections as rules
from wattdesk.domain import invoice as invoice_rules
from wattdesk.domain.errors import DomainError
from wattdesk.services import billing
from wattdesk.stores import enrollments as contracts
from wattdesk.stores import invoices as store
from wattdesk.stores import ledger, sent_mail
from wattdesk.stores.base import plain
from wattdesk.stores.enrollments import AuditEntry

CREDIT_SERIES = invoice_rules.SERIES[invoice_rules.InvoiceKind.CREDIT_NOTE]
EXTRAORDINARY_SERIES = invoice_rules.SERIES[invoice_rules.InvoiceKind.EXTRAORDINARY]


class InvoiceNotFound(LookupError):
    pass


def _number_for(new: store.NewInvoice, sequence: int) -> str:
    return invoice_rules.format_number(new.series, new.year, sequence)


def _ogm_for(new: store.NewInvoice, sequence: int) -> str:
    return invoice_rules.ogm_for(new.series, new.year, sequence)


def _get(number: str) -> store.InvoiceRecord:
    invoice = store.find_by_number(number)
    if invoice is None:
        raise InvoiceNotFound(number)
    return invoice


def _lines(invoice: store.InvoiceRecord) -> list[invoice_rules.InvoiceLine]:
    return [billing.line_from_json(row) for row in invoice.lines]


def _remaining(invoice: store.InvoiceRecord) -> Decimal:
    """What remains creditable (a magnitude: for an invoice in the customer's favour, what its
    cancellation may still take back)."""
    if invoice.kind == "credit_note":
        return Decimal("0.00")
    total = Decimal(invoice.totals["incl_vat"])
    kept = Decimal(int(invoice.creditable_cents)) / 100 if invoice.creditable_cents is not None else None
    return rules.remainder(total, kept)


def creditable_remainder(number: str) -> Decimal:
    """What can still be credited on invoice ``number`` (incl. VAT): its total minus every credit
    note issued on it (0.00 for a credit note). InvoiceNotFound for an unknown number."""
    return _remaining(_get(number))


def _audit(customer_id: str, actor: str, action: str, at: datetime, **details: Any) -> AuditEntry:
    return contracts.customer_audit_entry(customer_id, actor, action, at, **details)


def _brussels_day(at: datetime) -> date:
    return at.astimezone(clock.BRUSSELS).date()


def _store_error(exc: Exception, field: str) -> DomainError:
    """A refusal of the store's conditional write, in the words of the domain."""
    if isinstance(exc, store.AboveRemainder):
        left = Decimal(exc.remaining_cents) / 100
        return DomainError("credit.above_remainder", f"Only {left:.2f} remains creditable on invoice {exc.number}.", field)
    if isinstance(exc, store.LineAlreadyCredited):
        return DomainError("credit.line_credited", f"Line(s) {', '.join(str(i) for i in exc.lines)} of invoice {exc.number} were credited already.", "lines")
    if isinstance(exc, store.AlreadyReplaced):
        return DomainError("correction.already_replaced", f"Invoice {exc.number} was already cancelled and replaced by {exc.replaced_by}.", "number")
    raise exc


def _close_open_item(original: store.InvoiceRecord) -> None:
    """Once nothing is left to pay on the corrected invoice, it leaves the work list of unpaid
    invoices (collection and dunning read the ledger, where the credit note closed it)."""
    if ledger.open_amount(original.customer_id, original.number) <= 0:
        ledger.set_unpaid_listing(original.customer_id, original.number, original.issued_at, original.due_date, unpaid=False)


# ------------------------------------------------------------------ credit notes
def credit_note(number: str, *, lines: list[int] | None = None, amount: Decimal | None = None, reason: str, actor: str, at: datetime, request_id: str | None = None, notify: bool = True) -> dict[str, Any]:
    """A credit note on invoice ``number``: the chosen lines, or an amount incl. VAT; never above
    the creditable remainder. ``request_id`` makes a retried request answer the same credit note."""
    why = rules.check_reason(reason)
    original = _get(number)
    once_key = f"credit-note#{number}#{request_id or uuid.uuid4().hex}"
    done = store.issued_number(original.contract_id, once_key)
    if done is None:
        selection = rules.CreditSelection(lines=tuple(lines) if lines is not None else None, amount=amount)
        credit_lines = rules.plan_credit_note(_lines(original), _remaining(original), {int(i) for i in original.credited_lines or set()}, selection, original_kind=original.kind)
        today = _brussels_day(at)
        new = store.NewInvoice(
            kind="credit_note", series=CREDIT_SERIES, year=today.year, customer_id=original.customer_id, contract_id=original.contract_id, period=original.period,
            issue_date=today.isoformat(), due_date=None, language=original.language, lines=billing.json_ready(credit_lines),
            totals=billing.json_ready(invoice_rules.totals(credit_lines)), corrects=number, once_key=once_key, reason=why, issued_by=actor,
        )
        audit = _audit(original.customer_id, actor, "credit_note_issued", at, corrects=number, lines=lines, amount=str(amount) if amount is not None else None, reason=why)
        try:
            (issued,) = store.issue_together([new], _number_for, _ogm_for, at, also=(audit,))
            done = issued.number
        except store.AlreadyIssued as exc:
            done = exc.number
        except (store.AboveRemainder, store.LineAlreadyCredited) as exc:
            raise _store_error(exc, "amount" if amount is not None else "lines") from exc
    _close_open_item(original)
    mailed = _mail_credit_note(done) if notify else False
    return {**invoice_view(number), "credit_note": done, "mailed": mailed}


def _mail_credit_note(number: str) -> bool:
    credit, pdf = billing.invoice_pdf_of(number, notes=_reason_notes(number))
    customer = contracts.get_customer(credit.customer_id)
    original = _get(credit.corrects)
    left = ledger.open_amount(original.customer_id, original.number)
    language = credit.language
    subject, text = render(
        "credit_note_partial", language, first_name=customer.first_name, number=number, corrects=original.number, reason=credit.reason or "",
        amount=documents.money(-Decimal(credit.totals["incl_vat"]), language), open_amount=documents.money(left, language) if left > 0 else "", ogm=original.ogm,
    )
    mail = Mail(to=customer.email, subject=subject, text=text, language=language, attachments=(Attachment(f"credit-note-{number}.pdf", pdf),))
    return sent_mail.send_once(f"INVOICE#{number}", "issued", mail)


def _reason_notes(number: str) -> tuple[str, ...]:
    invoice = _get(number)
    notes = []
    if invoice.replaces:
        credit = store.issued_number(invoice.contract_id, f"cancel#{invoice.replaces}")
        notes.append(texts.note("replaces", invoice.language, original=invoice.replaces, credit_note=credit or ""))
    if invoice.reason:
        notes.append(texts.note("reason", invoice.language, reason=invoice.reason))
    return tuple(notes)


# ------------------------------------------------------------------ cancel and reissue
def _as_new_invoice(replacement: Any) -> store.NewInvoice:
    if isinstance(replacement, store.NewInvoice):
        return replacement
    names = {f.name for f in fields(store.NewInvoice)}
    data = dict(replacement)
    unknown = set(data) - names
    if unknown:
        raise TypeError(f"unknown replacement fields: {', '.join(sorted(unknown))}")
    return store.NewInvoice(**data)


def _pair(original_number: str, contract_id: str) -> tuple[str | None, str | None]:
    return store.issued_number(contract_id, f"cancel#{original_number}"), store.issued_number(contract_id, f"reissue#{original_number}")


def cancel_and_reissue(*, original_number: str, replacement: Any, reason: str, actor: str, at: datetime, notify: bool = True, mail_note: str | None = None) -> dict[str, Any]:
    """Cancels invoice ``original_number`` by a credit note for everything still creditable and
    issues ``replacement`` (a stores.invoices.NewInvoice, or a dict of its fields) in ONE
    DynamoDB transaction: both or neither. Idempotent on (original_number, "reissue"): a repeated
    call answers the pair issued the first time (its replacement argument is then ignored).
    The customer gets one mail with both PDFs and the explanation (``notify``).

    Returns {"original", "credit_note", "replacement", "credited", "mailed"}.
    Raises InvoiceNotFound, DomainError (correction.reason, correction.not_creditable,
    correction.nothing_left, correction.already_replaced, correction.customer)."""
    why = rules.check_reason(reason)
    original = _get(original_number)
    credit_number, replacement_number = _pair(original_number, original.contract_id)
    if credit_number is None or replacement_number is None:
        new = _as_new_invoice(replacement)
        if new.customer_id != original.customer_id:
            raise DomainError("correction.customer", "The replacement must be for the customer of the invoice it replaces.", "replacement")
        if new.kind == "credit_note":
            raise DomainError("correction.not_creditable", "The replacement of an invoice is an invoice, not a credit note.", "replacement")
        if original.replaced_by:
            raise DomainError("correction.already_replaced", f"Invoice {original_number} was already replaced by {original.replaced_by}.", "number")
        credit_lines = rules.full_credit(_lines(original), _remaining(original), {int(i) for i in original.credited_lines or set()}, original_kind=original.kind)
        today = _brussels_day(at)
        credit = store.NewInvoice(
            kind="credit_note", series=CREDIT_SERIES, year=today.year, customer_id=original.customer_id, contract_id=original.contract_id, period=original.period,
            issue_date=today.isoformat(), due_date=None, language=original.language, lines=billing.json_ready(credit_lines),
            totals=billing.json_ready(invoice_rules.totals(credit_lines)), corrects=original_number, once_key=f"cancel#{original_number}", reason=why, issued_by=actor,
        )
        new = replace(new, once_key=f"reissue#{original_number}", replaces=original_number, reason=new.reason or why, issued_by=actor, corrects=None)
        audit = _audit(original.customer_id, actor, "invoice_cancelled_and_reissued", at, original=original_number, reason=why)
        try:
            credit_record, replacement_record = store.issue_together([credit, new], _number_for, _ogm_for, at, also=(audit,))
            credit_number, replacement_number = credit_record.number, replacement_record.number
        except store.AlreadyIssued:
            credit_number, replacement_number = _pair(original_number, original.contract_id)
        except (store.AboveRemainder, store.LineAlreadyCredited, store.AlreadyReplaced) as exc:
            raise _store_error(exc, "number") from exc
    _close_open_item(original)
    # mail_note (issue 6, settlements): a paragraph the caller adds to the one explanation mail.
    mailed = _mail_reissue(original_number, credit_number, replacement_number, note=mail_note) if notify else False
    # What the credit note takes off the original (negative when it cancels an invoice in the customer's favour).
    credit_total = -Decimal(_get(credit_number).totals["incl_vat"])
    return {"original": original_number, "credit_note": credit_number, "replacement": replacement_number, "credited": f"{credit_total:.2f}", "mailed": mailed}


def _mail_reissue(original_number: str, credit_number: str, replacement_number: str, note: str | None = None) -> bool:
    credit, credit_pdf = billing.invoice_pdf_of(credit_number, notes=_reason_notes(credit_number))
    new, new_pdf = billing.invoice_pdf_of(replacement_number, notes=_reason_notes(replacement_number))
    customer = contracts.get_customer(new.customer_id)
    contract = contracts.get_contract(new.customer_id, new.contract_id)
    language = new.language
    total = Decimal(new.totals["incl_vat"])
    subject, text = render(
        "invoice_reissued", language, first_name=customer.first_name, original=original_number, credit_note=credit_number, replacement=replacement_number,
        reason=credit.reason or "", credit_amount=documents.money(abs(Decimal(credit.totals["incl_vat"])), language), amount=documents.money(total, language),
        to_pay=total > 0, due_date=documents.long_date(date.fromisoformat(new.due_date), language) if new.due_date else "", ogm=new.ogm,
        direct_debit=plain(contract.payment).get("method") == "direct_debit",
    )
    if note:  # issue 6: the settlement's difference after a refund or payment of the cancelled invoice
        head, signature, tail = text.rpartition("\nWattDesk")
        text = f"{head}\n{note}\n{signature}{tail}" if signature else f"{text}\n\n{note}"
    mail = Mail(
        to=customer.email, subject=subject, text=text, language=language,
        attachments=(Attachment(f"credit-note-{credit_number}.pdf", credit_pdf), Attachment(f"invoice-{replacement_number}.pdf", new_pdf)),
    )
    # One mail for the pair; the two documents count as mailed (send_invoice will not mail them again).
    sent = sent_mail.send_once(f"INVOICE#{replacement_number}", "issued", mail)
    if sent:
        sent_mail.mark_sent(f"INVOICE#{credit_number}", "issued", subject)
    return sent


# ------------------------------------------------------------------ extraordinary invoices
def extraordinary_invoice(customer_id: str, *, contract_id: str | None, lines: list[rules.FreeLine], reason: str, actor: str, at: datetime, request_id: str | None = None) -> dict[str, Any]:
    """An invoice of free lines written by ops (meter damage, a fee), series X, mailed with its
    PDF like every invoice. ``request_id`` makes a retried request answer the same invoice."""
    why = rules.check_reason(reason)
    customer = contracts.get_customer(customer_id)
    contract = _contract_of(customer_id, contract_id)
    invoice_lines = rules.extraordinary_lines(lines)
    today = _brussels_day(at)
    once_key = f"extraordinary#{request_id or uuid.uuid4().hex}"
    number = store.issued_number(contract.contract_id, once_key)
    if number is None:
        new = store.NewInvoice(
            kind="extraordinary", series=EXTRAORDINARY_SERIES, year=today.year, customer_id=customer_id, contract_id=contract.contract_id, period=None,
            issue_date=today.isoformat(), due_date=invoice_rules.due_date(today).isoformat(), language=customer.language, lines=billing.json_ready(invoice_lines),
            totals=billing.json_ready(invoice_rules.totals(invoice_lines)), once_key=once_key, reason=why, issued_by=actor,
        )
        audit = _audit(customer_id, actor, "extraordinary_invoice_issued", at, reason=why, lines=len(invoice_lines))
        try:
            (issued,) = store.issue_together([new], _number_for, _ogm_for, at, also=(audit,))
            number = issued.number
        except store.AlreadyIssued as exc:
            number = exc.number
    billing.invoice_pdf_of(number, notes=_reason_notes(number))
    mailed = billing.send_invoice(customer_id, number)["mailed"]
    return {**invoice_view(number), "mailed": mailed}


def _contract_of(customer_id: str, contract_id: str | None) -> contracts.ContractRecord:
    if contract_id:
        try:
            return contracts.get_contract(customer_id, contract_id)
        except contracts.ContractRecord.DoesNotExist as exc:
            raise DomainError("extraordinary.contract", "This customer has no such contract.", "contract_id") from exc
    found = contracts.contracts_of_customer(customer_id)
    if len(found) != 1:
        raise DomainError("extraordinary.contract", "Say which contract the invoice is for (the customer has several or none).", "contract_id")
    return found[0]


# ------------------------------------------------------------------ views
def invoice_view(number: str) -> dict[str, Any]:
    """An invoice for ops: totals, lines, what remains creditable and to pay, its credit notes."""
    invoice = _get(number)
    credit_notes = [c for c in store.of_customer(invoice.customer_id) if c.kind == "credit_note" and c.corrects == number]
    return {
        "number": invoice.number,
        "kind": invoice.kind,
        "customer_id": invoice.customer_id,
        "contract_id": invoice.contract_id,
        "period": invoice.period,
        "issue_date": invoice.issue_date,
        "due_date": invoice.due_date,
        "ogm": invoice.ogm,
        "language": invoice.language,
        "totals": invoice.totals,
        "lines": [{"index": n, **row} for n, row in enumerate(invoice.lines)],
        "corrects": invoice.corrects,
        "replaces": invoice.replaces,
        "replaced_by": invoice.replaced_by,
        "reason": invoice.reason,
        "issued_by": invoice.issued_by,
        "creditable_remainder": f"{_remaining(invoice):.2f}",
        "credited_lines": sorted(int(i) for i in invoice.credited_lines or set()),
        "open_amount": f"{ledger.open_amount(invoice.customer_id, number):.2f}" if invoice.kind != "credit_note" else None,
        "credit_notes": [
            {"number": c.number, "issue_date": c.issue_date, "amount": f"{-Decimal(c.totals['incl_vat']):.2f}", "reason": c.reason, "issued_by": c.issued_by}
            for c in sorted(credit_notes, key=lambda c: c.number)
        ],
    }
