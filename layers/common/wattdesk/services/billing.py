"""Billing runs: which contracts are due, issuing one advance invoice per contract and period,
and sending it with its PDF. Each step is idempotent per contract x period."""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, is_dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from wattdesk import clock
from wattdesk.adapters import documents, invoice_pdf
from wattdesk.adapters.aws import client
from wattdesk.adapters.mail import Attachment, Mail
from wattdesk.adapters.mail_texts import render
from wattdesk.domain import invoice as invoice_rules
from wattdesk.domain.advance import vat_rate
from wattdesk.settings import get_settings
from wattdesk.stores import enrollments as contracts_store
from wattdesk.errors import TransientError
from wattdesk.stores import credits as credits_store
from wattdesk.stores import invoices as store
from wattdesk.stores import sent_mail
from wattdesk.stores.base import plain

MONTHS_PER_PERIOD = {"monthly": 1, "bimonthly": 2, "quarterly": 3}
BILLABLE_STATUSES = ("CONFIRMED", "ACTIVE")


def period_of(billing_date: date) -> str:
    return f"{billing_date.year:04d}-{billing_date.month:02d}"


def run_id_for(billing_date: date, manual: bool) -> str:
    """A readable execution name for a run started by ops; scheduled runs use the Scheduler's."""
    base = f"advance-{period_of(billing_date)}"
    return f"{base}-manual-{uuid.uuid4().hex[:6]}" if manual else base


def _months_between(start: date, billing_date: date) -> int:
    return (billing_date.year - start.year) * 12 + billing_date.month - start.month


def due_reason(contract: contracts_store.ContractRecord, billing_date: date) -> str | None:
    """None when an advance is due for the month of billing_date; otherwise why not (skipped)."""
    start = date.fromisoformat(contract.start_date)
    if contract.status not in BILLABLE_STATUSES:
        return f"contract {contract.status.lower()}"
    if contract.ended_on and date.fromisoformat(contract.ended_on) <= billing_date:
        return "contract ended"
    # The month's advance is billed on its 1st for supply running on that day; a contract that
    # starts later in the month gets its first advance on the next billing date of its rhythm.
    if start > billing_date:
        return "starts later than the period"
    return None


def is_in_rhythm(contract: contracts_store.ContractRecord, billing_date: date) -> bool:
    start = date.fromisoformat(contract.start_date)
    first_billed = start if start.day == 1 else (start.replace(day=1) + timedelta(days=32)).replace(day=1)
    step = MONTHS_PER_PERIOD[contract.billing_frequency]
    return billing_date >= first_billed and _months_between(first_billed, billing_date) % step == 0


def _contracts_to_consider(redrive_of: str | None):
    if redrive_of is None:
        yield from contracts_store.all_contracts()
        return
    # A re-drive takes only the items that failed or were held (a missing index) in that run;
    # the rest were issued or skipped.
    for item in store.run_items(redrive_of):
        if item.outcome in ("failed", "held"):
            yield contracts_store.get_contract(item.customer_id, item.contract_id)


def prepare_run(billing_date: date, run_id: str, redrive_of: str | None = None) -> dict[str, Any]:
    now = clock.now()
    period = period_of(billing_date)
    store.start_run(run_id, billing_date.isoformat(), period, now)
    items = []
    for contract in _contracts_to_consider(redrive_of):
        customer_id = contract.PK.removeprefix("CUSTOMER#")
        reason = due_reason(contract, billing_date)
        if reason is None and not is_in_rhythm(contract, billing_date):
            continue  # bimonthly/quarterly: not this month
        if reason is not None:
            store.record_item(run_id, contract.contract_id, customer_id, "skipped", now, reason=reason)
            continue
        items.append({"contract_id": contract.contract_id, "customer_id": customer_id})
    key = f"billing-runs/{run_id}/items.json"
    client("s3").put_object(Bucket=get_settings().documents_bucket, Key=key, Body=json.dumps(items).encode(), ContentType="application/json", ServerSideEncryption="aws:kms")
    store.set_run_items(run_id, len(items), key)
    return {"run_id": run_id, "period": period, "billing_date": billing_date.isoformat(), "bucket": get_settings().documents_bucket, "key": key, "count": len(items)}


def json_ready(value: Any) -> Any:
    if is_dataclass(value):
        return {key: json_ready(item) for key, item in asdict(value).items()}
    if isinstance(value, dict):
        return {key: json_ready(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(item) for item in value]
    if isinstance(value, (Decimal, date)):
        return str(value) if isinstance(value, Decimal) else value.isoformat()
    return value


def issue_advance(run_id: str, period: str, billing_date: date, contract_id: str, customer_id: str) -> dict[str, Any]:
    now = clock.now()
    contract = contracts_store.get_contract(customer_id, contract_id)
    customer = contracts_store.get_customer(customer_id)
    # A variable product's month without an index value: hold, alert ops once, never guess.
    missing = missing_indexes(contract, billing_date)
    if missing and store.issued_number(contract_id, f"advance#{period}") is None:
        return hold_for_missing_index(run_id, contract_id, customer_id, missing, now)
    amount = Decimal(contract.advance_amount or contract.first_advance)
    rate = vat_rate(customer.customer_type, billing_date)
    for _attempt in range(3):
        try:
            return _issue_advance_once(run_id, period, billing_date, contract, customer, amount, rate, now)
        except store.CreditsTaken:
            continue  # another invoice of this customer booked a credit first: read them again
    raise TransientError(f"account credits of contract {contract_id} kept changing")


def _issue_advance_once(run_id, period, billing_date, contract, customer, amount, rate, now) -> dict[str, Any]:
    contract_id, customer_id = contract.contract_id, customer.PK.removeprefix("CUSTOMER#")
    # Referral and welcome credits are booked once, on the customer's next invoice.
    pending = credits_store.pending_credits(customer_id)
    lines, used = invoice_rules.lines_with_credits(
        invoice_rules.advance_invoice_lines(amount, rate, {"month": period}),
        [(credit.reason, credit.params, Decimal(credit.amount)) for credit in pending],
        rate,
    )
    totals = invoice_rules.totals(lines)
    series = invoice_rules.SERIES[invoice_rules.InvoiceKind.ADVANCE]
    year = billing_date.year
    new = store.NewInvoice(
        kind="advance",
        series=series,
        year=year,
        customer_id=customer_id,
        contract_id=contract_id,
        period=period,
        issue_date=billing_date.isoformat(),
        due_date=invoice_rules.due_date(billing_date).isoformat(),
        language=customer.language,
        lines=json_ready(lines),
        totals=json_ready(totals),
        run_id=run_id,
    )
    try:
        invoice = issue_numbered(new, now, credits=tuple(pending[i] for i in used))
    except store.AlreadyIssued as exc:
        existing = store.find_by_number(exc.number) if exc.number else None
        if existing is not None and existing.run_id == run_id:
            # This run issued it and the step is retried (its result was lost after the write):
            # still "issued", so the definition goes on to send it (mails are sent once per key).
            store.record_item(run_id, contract_id, customer_id, "issued", now, number=exc.number)
            return {"outcome": "issued", "number": exc.number}
        # Issued by an earlier run whose step then failed or timed out before the mail: this
        # run sends it (once per invoice), or the customer would never get the invoice.
        if exc.number is not None and not sent_mail.was_sent(f"INVOICE#{exc.number}", "issued"):
            store.record_item(run_id, contract_id, customer_id, "skipped", now, reason="already issued, not yet mailed: mailed now", number=exc.number)
            return {"outcome": "already_issued_unsent", "number": exc.number}
        store.record_item(run_id, contract_id, customer_id, "skipped", now, reason="already issued", number=exc.number)
        return {"outcome": "already_issued", "number": exc.number}
    store.record_item(run_id, contract_id, customer_id, "issued", now, number=invoice.number)
    return {"outcome": "issued", "number": invoice.number}


def issue_numbered(new: store.NewInvoice, at, credits: tuple = ()) -> store.InvoiceRecord:
    """Stores `new` under the next gapless number of its series and year, with its OGM; raises
    store.AlreadyIssued when its once-only marker exists."""
    return store.issue(
        new,
        number_for=lambda sequence: invoice_rules.format_number(new.series, new.year, sequence),
        ogm_for=lambda sequence: invoice_rules.ogm_for(new.series, new.year, sequence),
        at=at,
        credits=credits,
    )


def line_from_json(row: dict[str, Any]) -> invoice_rules.InvoiceLine:
    """A stored invoice line (as json_ready wrote it) back as the domain's InvoiceLine."""
    return invoice_rules.InvoiceLine(
        row["description_key"], dict(row["parameters"]), Decimal(row["quantity"]), row["unit"], Decimal(row["unit_price"]),
        Decimal(row["amount"]), Decimal(row["vat_rate"]), Decimal(row["vat_amount"]),
    )


def _document(invoice: store.InvoiceRecord, customer: contracts_store.CustomerRecord, contract: contracts_store.ContractRecord) -> invoice_pdf.InvoiceDocument:
    from types import SimpleNamespace

    totals = invoice.totals
    address = plain(contract.supply_address)
    return invoice_pdf.InvoiceDocument(
        number=invoice.number,
        kind=invoice.kind,
        language=invoice.language,
        issue_date=date.fromisoformat(invoice.issue_date),
        due_date=date.fromisoformat(invoice.due_date) if invoice.due_date else None,
        ogm=invoice.ogm,
        customer_name=customer.company_name or f"{customer.first_name} {customer.last_name}",
        customer_address=[f"{address['street']} {address['number']}", f"{address['postcode']} {address['city']}"],
        customer_number=customer.PK.removeprefix("CUSTOMER#")[:8].upper(),
        vat_number=customer.vat_number,
        delivery_points=[(p["ean"], p["energy"], f"{address['street']} {address['number']}, {address['postcode']} {address['city']}") for p in plain(list(contract.delivery_points))],
        period=None,
        lines=[line_from_json(row) for row in invoice.lines],
        totals=SimpleNamespace(
            excl_vat=Decimal(totals["excl_vat"]),
            vat=Decimal(totals["vat"]),
            incl_vat=Decimal(totals["incl_vat"]),
            vat_summary=[tuple(Decimal(str(part)) for part in row) if isinstance(row, (list, tuple)) else (Decimal(row["rate"]), Decimal(row["base"]), Decimal(row["vat"])) for row in totals["vat_summary"]],
        ),
        corrects=invoice.corrects,
        notes=[],
        # Collected by direct debit: no payment QR, or the customer might pay twice.
        direct_debit=plain(contract.payment).get("method") == "direct_debit",
    )


def send_invoice(customer_id: str, number: str) -> dict[str, Any]:
    invoice = store.get_by_number(number)
    customer = contracts_store.get_customer(customer_id)
    contract = contracts_store.get_contract(customer_id, invoice.contract_id)
    pdf = documents.read_document(invoice.document_key) if invoice.document_key else invoice_pdf.render_invoice(_document(invoice, customer, contract))
    if not invoice.document_key:
        key = documents.store_document("invoices", f"invoice-{number}.pdf", pdf)
        store.attach_document(invoice, key)
    language = invoice.language
    if invoice.kind == "credit_note":
        subject, text = render(
            "credit_note_issued", language, first_name=customer.first_name, number=number, corrects=invoice.corrects,
            amount=documents.money(-Decimal(invoice.totals["incl_vat"]), language),
        )
        sent = sent_mail.send_once(f"INVOICE#{number}", "issued", Mail(to=customer.email, subject=subject, text=text, language=language, attachments=(Attachment(f"credit-note-{number}.pdf", pdf),)))
        return {"number": number, "mailed": sent}
    subject, text = render(
        "invoice_issued",
        language,
        first_name=customer.first_name,
        number=number,
        amount=documents.money(Decimal(invoice.totals["incl_vat"]), language),
        due_date=documents.long_date(date.fromisoformat(invoice.due_date), language),
        ogm=invoice.ogm,
        direct_debit=plain(contract.payment).get("method") == "direct_debit",
    )
    sent = sent_mail.send_once(f"INVOICE#{number}", "issued", Mail(to=customer.email, subject=subject, text=text, language=language, attachments=(Attachment(f"invoice-{number}.pdf", pdf),)))
    return {"number": number, "mailed": sent}


def record_item_failure(run_id: str, contract_id: str, customer_id: str, error: str, cause: str | None = None) -> None:
    # The error name says what went wrong; the cause's first line, why (for the ops summary).
    detail = _cause_summary(cause)
    store.record_item(run_id, contract_id, customer_id, "failed", clock.now(), reason=f"{error}: {detail}" if detail else error)


def _cause_summary(cause: str | None) -> str:
    if not cause:
        return ""
    try:
        parsed = json.loads(cause)
        cause = parsed.get("errorMessage") or cause if isinstance(parsed, dict) else cause
    except ValueError:
        pass
    return str(cause).strip().splitlines()[0][:300] if str(cause).strip() else ""


def finish_run(run_id: str) -> dict[str, Any]:
    run = store.finish_run(run_id, clock.now())
    return run_view(run)


def run_view(run: store.BillingRun) -> dict[str, Any]:
    items = store.run_items(run.PK.removeprefix("BILLINGRUN#"))
    return {
        "run_id": run.PK.removeprefix("BILLINGRUN#"),
        "billing_date": run.billing_date,
        "period": run.period,
        "status": run.status,
        "items": int(run.items),
        "issued": int(run.issued),
        "skipped": int(run.skipped),
        "failed": int(run.failed),
        "held": int(run.held or 0),
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "skipped_items": [{"contract_id": i.contract_id, "reason": i.reason, "number": i.number} for i in items if i.outcome == "skipped"],
        "failed_items": [{"contract_id": i.contract_id, "reason": i.reason} for i in items if i.outcome == "failed"],
        "held_items": [{"contract_id": i.contract_id, "reason": i.reason} for i in items if i.outcome == "held"],
    }


def billing_date_of(as_of: str) -> date:
    return clock.parse_instant(as_of).astimezone(clock.BRUSSELS).date()



# ------------------------------------------------------------------ corrections (issue 6)
def invoice_pdf_of(number: str, notes: tuple[str, ...] = ()) -> tuple[store.InvoiceRecord, bytes]:
    """The invoice and its PDF: the stored one, or rendered now (with ``notes``, ready-made text
    in the invoice's language), stored under a random key and attached to the invoice."""
    from dataclasses import replace

    invoice = store.get_by_number(number)
    if invoice.document_key:
        return invoice, documents.read_document(invoice.document_key)
    customer = contracts_store.get_customer(invoice.customer_id)
    contract = contracts_store.get_contract(invoice.customer_id, invoice.contract_id)
    document = _document(invoice, customer, contract)
    if notes:
        document = replace(document, notes=list(notes))
    pdf = invoice_pdf.render_invoice(document)
    key = documents.store_document("invoices", f"invoice-{number}.pdf", pdf)
    try:
        store.attach_document(invoice, key)
    except Exception:  # noqa: BLE001 - a concurrent render attached its copy first: use that one
        invoice = store.get_by_number(number)
        return invoice, documents.read_document(invoice.document_key)
    return store.get_by_number(number), pdf


# ------------------------------------------------------------------ missing index (issue 5)
def _product_codes(contract: contracts_store.ContractRecord) -> list[str]:
    codes = {contract.product_code}
    codes |= {point["product_code"] for point in plain(list(contract.delivery_points or [])) if point.get("product_code")}
    return sorted(code for code in codes if code)


def missing_indexes(contract: contracts_store.ContractRecord, billing_date: date) -> list[tuple[str, str]]:
    """(index, month) values the contract's advance of this billing date waits for.

    Rule (docs/billing.md): an advance of a variable product is issued only once the price of the
    month it is billed for is known: the value of each index its price formulas use, for the
    month of the billing date (a month-ahead index, published before the month starts). Prices
    come from the periods ops stored (stores/products.py)."""
    from wattdesk.domain.products import variable_indexes
    from wattdesk.stores import prices as index_store
    from wattdesk.stores import products as products_store

    month = billing_date.replace(day=1)
    following = (month + timedelta(days=32)).replace(day=1)
    needed = {pair for code in _product_codes(contract) for pair in variable_indexes(products_store.periods_of(code), month, following)}
    return sorted((name, month_text) for name, month_text in needed if index_store.get_index(name, month_text) is None)


def hold_for_missing_index(run_id: str, contract_id: str, customer_id: str, missing: list[tuple[str, str]], now) -> dict[str, Any]:
    """The item is held (not issued, listed in the run summary) and ops are alerted once per
    index and month; re-driving the run after the value is loaded issues the invoice."""
    from wattdesk.observability import logger
    from wattdesk.stores import prices as index_store

    for name, month in missing:
        if index_store.raise_index_missing(name, month, run_id, contract_id, now):
            logger().warning("index missing: billing held", extra={"index": name, "month": month, "run_id": run_id})
    reason = "index_missing: " + ", ".join(f"{name} {month}" for name, month in missing)
    store.record_item(run_id, contract_id, customer_id, "held", now, reason=reason)
    return {"outcome": "held", "number": None, "reason": reason}
