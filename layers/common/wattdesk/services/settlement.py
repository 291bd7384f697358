"""Annual settlement and final invoice: the daily sweep that starts the Settlement state machine,
its tasks (issue, send, hand a credit to refunds), and the dispute of an estimated settlement
(credit note + reissue through services.corrections). Rules in domain/settlement.py."""

from __future__ import annotations

import json
import os
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from wattdesk import clock
from wattdesk.adapters import documents
from wattdesk.adapters.aws import client
from wattdesk.adapters.mail import Attachment, Mail
from wattdesk.adapters.mail_texts import FREQUENCIES
from wattdesk.adapters.mail_texts import render
from wattdesk.domain import invoice as invoice_rules
from wattdesk.domain import readings as reading_rules
from wattdesk.domain import settlement as rules
from wattdesk.domain.errors import DomainError
from wattdesk.domain.postcodes import region_of
from wattdesk.domain.pricing import NETWORK_TARIFFS_EXAMPLE, PRICE_BOOK_EXAMPLE, IndexValues, index_names
from wattdesk.errors import TransientError
from wattdesk.services import billing
from wattdesk.services import readings
from wattdesk.stores import enrollments as contracts
from wattdesk.stores import invoices as invoice_store
from wattdesk.stores import ledger
from wattdesk.stores import prices
from wattdesk.stores import readings as reading_store
from wattdesk.stores import sent_mail
from wattdesk.stores import settlements as store
from wattdesk.stores.base import plain

ACTIVE_STATUSES = ("CONFIRMED", "ACTIVE")
SETTLED_STATUSES = ("ISSUED", "DONE")


class SettlementNotReady(Exception):
    """A reading the settlement needs is missing (named error: the state machine reports it)."""


# ------------------------------------------------------------------ the daily sweep
def execution_name(contract_id: str, kind: str, settlement_date: str) -> str:
    return f"{kind}-{contract_id}-{settlement_date}"


def _start_execution(contract_id: str, customer_id: str, kind: str, settlement_date: str, rerun: int | None = None) -> str:
    name = execution_name(contract_id, kind, settlement_date) + (f"-rerun{rerun}" if rerun else "")
    sfn = client("stepfunctions")
    try:
        sfn.start_execution(
            stateMachineArn=os.environ["SETTLEMENT_STATE_MACHINE_ARN"], name=name,
            input=json.dumps({"contract_id": contract_id, "customer_id": customer_id, "kind": kind, "settlement_date": settlement_date}),
        )
    except sfn.exceptions.ExecutionAlreadyExists:
        pass
    return name


def last_annual(contract_id: str) -> store.SettlementRecord | None:
    annual = [r for r in store.of_contract(contract_id) if r.kind == "annual"]
    return max(annual, key=lambda r: r.settlement_date) if annual else None


def next_settlement_date(contract: contracts.ContractRecord) -> date:
    last = last_annual(contract.contract_id)
    return rules.settlement_date(date.fromisoformat(contract.start_date), date.fromisoformat(last.settlement_date) if last else None)


def sweep(as_of: date) -> dict[str, Any]:
    """Starts the settlement of every active contract whose settlement date has come, once per
    contract and date, when each delivery point has its opening reading and an actual or
    estimated closing reading (estimated now when no actual reading arrived in the window)."""
    started, waiting = [], []
    # A first anniversary is at least 365 days after the start: younger contracts are not read.
    for contract in contracts.contracts_started_by(as_of - timedelta(days=365)):
        if contract.status not in ACTIVE_STATUSES:
            continue
        if rules.settlement_date(date.fromisoformat(contract.start_date), None) > as_of:
            continue  # before its first anniversary (the earliest date there is)
        readings.register_supplies(contract)
        due = next_settlement_date(contract)
        if due > as_of or (contract.ended_on and date.fromisoformat(contract.ended_on) <= due):
            continue
        customer_id = contract.PK.removeprefix("CUSTOMER#")
        try:
            for point in readings._points(contract):
                if point.get("ean"):
                    _opening(contract, point["ean"])
                    readings.closing_reading(contract, point["ean"], due, estimate_if_missing=True)
        except readings.NoOpeningReading as exc:
            waiting.append({"contract_id": contract.contract_id, "reason": str(exc)})
            continue
        if store.start(contract.contract_id, customer_id, "annual", due.isoformat(), execution_name(contract.contract_id, "annual", due.isoformat()), clock.now()):
            _start_execution(contract.contract_id, customer_id, "annual", due.isoformat())
            started.append(contract.contract_id)
    return {"as_of": as_of.isoformat(), "started": started, "waiting": waiting}


def start_final(contract: contracts.ContractRecord, ended_on: str) -> str:
    customer_id = contract.PK.removeprefix("CUSTOMER#")
    store.start(contract.contract_id, customer_id, "final", ended_on, execution_name(contract.contract_id, "final", ended_on), clock.now())
    return _start_execution(contract.contract_id, customer_id, "final", ended_on)


class NotRerunnable(Exception):
    """Only a FAILED settlement is re-run by ops (409)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


def rerun(contract_id: str, settlement_date: str, *, actor: str, reason: str | None = None) -> dict[str, Any]:
    """Ops re-run of a FAILED settlement (after its cause was fixed: a missing reading arrived, a
    price was added...): FAILED -> STARTED conditionally and a new execution
    ``<kind>-<contract>-<date>-rerun<n>``. Idempotent per contract x period: asking again while
    it runs, or after it succeeded, answers the same and starts nothing; the invoice keeps its
    once-only marker, so a settlement that had been issued before failing is not issued twice."""
    found = [r for r in store.of_contract(contract_id) if r.settlement_date == settlement_date]
    if not found:
        raise LookupError(f"{contract_id}/{settlement_date}")
    record = next((r for r in found if r.status == "FAILED"), found[0])
    attempt = store.restart(contract_id, record.kind, settlement_date, clock.now(), actor, reason) if record.status == "FAILED" else None
    if attempt is None:
        record = store.get(contract_id, record.kind, settlement_date)
        if not record.reruns:
            raise NotRerunnable("settlement.not_failed", f"This settlement is {record.status}: only a failed settlement is re-run.")
        return {**view(record), "rerun": int(record.reruns), "started": False}
    execution = _start_execution(contract_id, record.customer_id, record.kind, settlement_date, rerun=attempt)
    store.update(contract_id, record.kind, settlement_date, clock.now(), execution=execution)
    return {**view(store.get(contract_id, record.kind, settlement_date)), "rerun": attempt, "started": True, "execution": execution}


# ------------------------------------------------------------------ computing the settlement
def _previous(contract_id: str, before: str) -> store.SettlementRecord | None:
    done = [r for r in store.of_contract(contract_id) if r.status in SETTLED_STATUSES and r.settlement_date < before and r.period_end]
    return max(done, key=lambda r: r.settlement_date) if done else None


def _opening(contract: contracts.ContractRecord, ean: str, before: str | None = None) -> reading_store.ReadingRecord:
    previous = _previous(contract.contract_id, before or "9999-12-31")
    if previous is not None and previous.closing_json:
        closing_id = json.loads(previous.closing_json).get(ean)
        if closing_id:
            return reading_store.get(closing_id)
    return readings.opening_reading(contract, ean)


def _closing(contract: contracts.ContractRecord, ean: str, kind: str, settlement_date: date, chosen: dict[str, str] | None) -> reading_store.ReadingRecord:
    if chosen and ean in chosen:
        return reading_store.get(chosen[ean])
    if kind == "final":
        found = [r for r in readings.accepted(ean, contract.contract_id) if r.kind == "closing" and r.reading_date == settlement_date.isoformat()]
        if not found:
            raise SettlementNotReady(f"no closing reading for EAN {ean} on {settlement_date}")
        return found[-1]
    record = readings.closing_reading(contract, ean, settlement_date, estimate_if_missing=True)
    if record is None:
        raise SettlementNotReady(f"no closing reading for EAN {ean}")
    return record


def _timeline(contract: contracts.ContractRecord, point: dict[str, Any], start: date, end: date) -> list[tuple[str, date, date]]:
    if point.get("product_code"):
        return [(point["product_code"], start, end)]
    history = plain(list(contract.product_history or []))
    initial = history[0].get("previous", contract.product_code) if history else contract.product_code
    return rules.product_timeline(initial, [(h["product_code"], date.fromisoformat(h["from"])) for h in history], start, end)


def _indexes() -> IndexValues:
    values = {}
    for name in index_names(PRICE_BOOK_EXAMPLE):
        for item in prices.index_values(name):
            values[(name, item.SK)] = Decimal(item.value)
    return IndexValues(values)


def advances_of_period(customer_id: str, contract_id: str, start: date, end: date) -> tuple[list[invoice_rules.InvoiceLine], int]:
    """The "advance" lines of the contract's advance invoices whose month starts in ``[start, end)``,
    and of the credit notes on them (negative); and how many advances that makes."""
    invoices = [i for i in invoice_store.of_customer(customer_id) if i.contract_id == contract_id]
    advances = {
        i.number: i for i in invoices
        if i.kind == "advance" and i.period and len(i.period) == 7 and start <= date.fromisoformat(f"{i.period}-01") < end
    }
    lines, count = [], len(advances)
    for invoice in advances.values():
        lines += [billing.line_from_json(row) for row in invoice.lines if row["description_key"] == "advance"]
    for note in invoices:
        if note.kind == "credit_note" and note.corrects in advances:
            negated = [billing.line_from_json(row) for row in note.lines if row["description_key"] == "advance"]
            lines += negated
            count -= 1 if negated else 0
    return lines, count


def compute(contract: contracts.ContractRecord, kind: str, settlement_date: date, language: str, customer_type: str, chosen_closing: dict[str, str] | None = None):
    """The settlement of the contract up to ``settlement_date`` (domain result, period, closing
    reading ids, points' consumption)."""
    period_start, period_end = None, None
    points, closing_ids = [], {}
    for point in readings._points(contract):
        if not point.get("ean"):
            continue
        ean = point["ean"]
        opening = _opening(contract, ean, settlement_date.isoformat())
        closing = _closing(contract, ean, kind, settlement_date, chosen_closing)
        start, end = date.fromisoformat(opening.reading_date), date.fromisoformat(closing.reading_date)
        if end <= start:
            raise DomainError("settlement.period", f"EAN {ean}: the closing reading ({end}) is not after the opening reading ({start})")
        used = reading_rules.consumption(readings.as_reading(opening), readings.as_reading(closing), readings.meter_changes(contract, ean, start, end))
        points.append(rules.PointConsumption(ean, point["energy"], point["meter_type"], used.kwh, used.estimated, _timeline(contract, point, start, end)))
        closing_ids[ean] = closing.reading_id
        period_start = min(period_start or start, start)
        period_end = max(period_end or end, end)
    if not points:
        raise DomainError("settlement.no_points", "the contract has no delivery point with an EAN")
    region = region_of(plain(contract.supply_address)["postcode"])
    lines = rules.consumption_invoice_lines(points, PRICE_BOOK_EXAMPLE, _indexes(), NETWORK_TARIFFS_EXAMPLE, region, customer_type, language)
    advance_lines, count = advances_of_period(contract.PK.removeprefix("CUSTOMER#"), contract.contract_id, period_start, period_end)
    result = rules.settle(lines, advance_lines, count, any(p.estimated for p in points))
    return result, period_start, period_end, closing_ids, points


def _new_invoice(contract, customer, kind: str, result, period_start: date, period_end: date, today: date, once_key: str) -> invoice_store.NewInvoice:
    invoice_kind = invoice_rules.InvoiceKind(kind)
    return invoice_store.NewInvoice(
        kind=kind, series=invoice_rules.SERIES[invoice_kind], year=today.year, customer_id=customer.PK.removeprefix("CUSTOMER#"), contract_id=contract.contract_id,
        period=f"{period_start.isoformat()}/{period_end.isoformat()}", issue_date=today.isoformat(),
        due_date=invoice_rules.due_date(today).isoformat() if result.outcome == "to_pay" else None, language=customer.language,
        lines=billing.json_ready(result.lines), totals=billing.json_ready(result.totals), once_key=once_key,
    )


def _new_advance(contract, customer, points, period_start: date, period_end: date, supply_date: date) -> Decimal:
    by_ean = {p.get("ean"): p for p in readings._points(contract)}
    rows = [(point, by_ean[point.ean].get("product_code") or contract.product_code) for point in points]
    amount, _yearly = rules.next_advance(rows, period_start, period_end, customer.customer_type, contract.billing_frequency, supply_date)
    return amount


def issue(contract_id: str, customer_id: str, kind: str, settlement_date: str) -> dict[str, Any]:
    """Task: computes and issues the settlement (or final) invoice once; after an annual
    settlement the computed advance follows the actual consumption."""
    record = store.get(contract_id, kind, settlement_date)
    if record is not None and record.number:
        return _outcome(record)
    now, today = clock.now(), clock.today_in_brussels()
    contract = contracts.get_contract(customer_id, contract_id)
    customer = contracts.get_customer(customer_id)
    day = date.fromisoformat(settlement_date)
    result, period_start, period_end, closing_ids, points = compute(contract, kind, day, customer.language, customer.customer_type)
    new = _new_invoice(contract, customer, "settlement" if kind == "annual" else "final", result, period_start, period_end, today, f"{'settlement' if kind == 'annual' else 'final'}#{settlement_date}")
    try:
        number = billing.issue_numbered(new, now).number
    except invoice_store.AlreadyIssued as exc:
        number = exc.number
    new_advance = None
    if kind == "annual":
        new_advance = _new_advance(contract, customer, points, period_start, period_end, day)
        if Decimal(contract.first_advance) != new_advance or contract.advance_amount:
            contracts.set_computed_advance(customer_id, contract_id, str(new_advance), "settlement", f"settlement {number}", now)
    record = store.update(
        contract_id, kind, settlement_date, now, status="ISSUED", number=number, outcome=result.outcome, amount=f"{result.amount:.2f}", estimated=result.estimated,
        period_start=period_start.isoformat(), period_end=period_end.isoformat(), closing_json=json.dumps(closing_ids, sort_keys=True),
        new_advance=str(new_advance) if new_advance is not None else None,
    )
    return _outcome(record)


def _outcome(record: store.SettlementRecord) -> dict[str, Any]:
    return {"number": record.number, "outcome": record.outcome, "amount": record.amount, "estimated": record.estimated, "kind": record.kind}


def send(contract_id: str, customer_id: str, kind: str, settlement_date: str) -> dict[str, Any]:
    """Task: the PDF (with the "estimated reading" note when it applies) and one mail that also
    tells the new advance (annual) or that the contract ended (final)."""
    record = store.get(contract_id, kind, settlement_date)
    invoice, pdf = billing.invoice_pdf_of(record.number, notes=("estimated_reading",) if record.estimated else ())
    customer = contracts.get_customer(customer_id)
    contract = contracts.get_contract(customer_id, contract_id)
    language = invoice.language
    subject, text = render(
        "settlement_issued" if kind == "annual" else "final_invoice_issued", language, first_name=customer.first_name, number=invoice.number,
        period_start=documents.long_date(date.fromisoformat(record.period_start), language), period_end=documents.long_date(date.fromisoformat(record.period_end), language),
        outcome=record.outcome, amount=documents.money(Decimal(record.amount), language), estimated=record.estimated,
        due_date=documents.long_date(date.fromisoformat(invoice.due_date), language) if invoice.due_date else "", ogm=invoice.ogm,
        direct_debit=plain(contract.payment).get("method") == "direct_debit",
        new_advance=documents.money(Decimal(record.new_advance), language) if record.new_advance else "",
        frequency=FREQUENCIES[contract.billing_frequency][language], ended_on=documents.long_date(date.fromisoformat(settlement_date), language),
    )
    name = f"invoice-{invoice.number}.pdf"
    sent = sent_mail.send_once(f"INVOICE#{invoice.number}", "issued", Mail(to=customer.email, subject=subject, text=text, language=language, attachments=(Attachment(name, pdf),)))
    return {"number": invoice.number, "mailed": sent}


def hand_over(contract_id: str, customer_id: str, kind: str, settlement_date: str) -> dict[str, Any]:
    """Task: a credit in the customer's favour goes to the refund workflow (idempotent per
    source and invoice number there); the settlement is done."""
    record = store.get(contract_id, kind, settlement_date)
    refund_id = record.refund_id
    if record.outcome == "refund" and not refund_id:
        refund_id = _request_refund(customer_id, Decimal(record.amount), "SETTLEMENT" if kind == "annual" else "FINAL", record.number)
    store.update(contract_id, kind, settlement_date, clock.now(), status="DONE", refund_id=refund_id)
    return {"number": record.number, "refund_id": refund_id}


def _request_refund(customer_id: str, amount: Decimal, source: str, number: str) -> str:
    try:
        from wattdesk.services import refunds
    except ImportError as exc:  # the refund workflow is deployed with this layer; retried meanwhile
        raise TransientError("the refund service is not available") from exc
    answer = refunds.request_refund(customer_id=customer_id, amount=amount, source=source, source_id=number, reason=f"{source.lower()} invoice {number}", at=clock.now())
    return str(answer["refund_id"])


def record_failure(contract_id: str, kind: str, settlement_date: str, error: str, cause: str | None) -> dict[str, Any]:
    detail = billing._cause_summary(cause)
    store.update(contract_id, kind, settlement_date, clock.now(), status="FAILED", error=f"{error}: {detail}" if detail else error)
    return {"recorded": True}


def view(record: store.SettlementRecord) -> dict[str, Any]:
    return {
        "contract_id": record.contract_id, "kind": record.kind, "settlement_date": record.settlement_date, "status": record.status, "number": record.number,
        "outcome": record.outcome, "amount": record.amount, "estimated": record.estimated, "period_start": record.period_start, "period_end": record.period_end,
        "new_advance": record.new_advance, "refund_id": record.refund_id, "error": record.error, "credit_note": record.credit_note, "reissued_as": record.reissued_as,
        "carried": record.carried, "difference": record.difference, "old_refund": record.old_refund, "reruns": int(record.reruns) if record.reruns else 0,
    }


# ------------------------------------------------------------------ a disputed estimated settlement
def dispute(number: str, readings_given: list[dict[str, Any]], *, customer_id: str | None, actor: str, reason: str | None = None) -> dict[str, Any]:
    """Actual readings against a settlement made with estimated ones (the customer, or an operator
    with ``customer_id=None``): the readings are checked and stored; the settlement is cancelled by
    a credit note and reissued with them in one transaction (services.corrections), one mail with
    both documents; a credit in the customer's favour goes to refunds."""
    try:
        invoice = invoice_store.get_by_number(number)
    except (invoice_store.InvoiceIndex.DoesNotExist, invoice_store.InvoiceRecord.DoesNotExist) as exc:
        raise readings.ContractNotFound(number) from exc
    if customer_id is not None and invoice.customer_id != customer_id:
        raise readings.ContractNotFound(number)
    record = next((r for r in store.of_contract(invoice.contract_id) if r.number == number or r.reissued_as == number), None)
    if record is None or record.kind != "annual":
        raise DomainError("settlement.not_a_settlement", "Only an annual settlement can be disputed with readings.", "number")
    if record.reissued_as:
        return view(record)  # already corrected: the same answer
    if not record.estimated:
        raise DomainError("settlement.not_estimated", "This settlement is based on actual readings.", "number")
    owner = invoice.customer_id
    contract = contracts.get_contract(owner, invoice.contract_id)
    customer = contracts.get_customer(owner)
    closing = json.loads(record.closing_json or "{}")
    settlement_day = date.fromisoformat(record.settlement_date)
    chosen: dict[str, str] = {}
    for index, given in enumerate(readings_given):
        ean = str(given.get("ean", ""))
        if ean not in closing:
            raise DomainError("settlement.ean", f"EAN {ean} is not part of this settlement.", f"readings[{index}].ean")
        day = given.get("reading_date") or record.settlement_date
        if abs((date.fromisoformat(day) - settlement_day).days) > readings.CLOSING_WINDOW_DAYS:
            raise DomainError("settlement.reading_date", f"The reading must be taken within {readings.CLOSING_WINDOW_DAYS} days of {record.settlement_date}.", f"readings[{index}].reading_date")
        body = {"reading_date": day, "registers": given.get("registers") or []}
        stored = readings.submit_customer(owner, ean, body, actor=actor, operator_reason=reason if customer_id is None else None)
        if stored["status"] != "ACCEPTED":
            return {"status": "IMPLAUSIBLE", "reading": stored, "message": "The reading is implausible; an operator checks it before the settlement is corrected."}
        chosen[ean] = stored["reading_id"]
    for ean, reading_id in closing.items():
        chosen.setdefault(ean, reading_id)
    now, today = clock.now(), clock.today_in_brussels()
    result, period_start, period_end, closing_ids, points = compute(contract, "annual", settlement_day, customer.language, customer.customer_type, chosen_closing=chosen)
    replacement = _new_invoice(contract, customer, "settlement", result, period_start, period_end, today, f"settlement#{record.settlement_date}#actual")
    from wattdesk.services import corrections

    why = reason or "actual meter readings replace the estimated ones"
    # Both signs: a settlement to pay is cancelled by a credit note, one in the customer's favour by
    # its mirror image (services.corrections); both with the reissue in one transaction. The mail
    # waits until the money of the cancelled settlement is sorted out (below), then goes once.
    pair = corrections.cancel_and_reissue(original_number=number, replacement=replacement, reason=why, actor=actor, at=now, notify=False)
    for ean, reading_id in json.loads(record.closing_json or "{}").items():
        old = reading_store.get(reading_id)
        if old.estimated and chosen.get(ean) != reading_id:
            readings.supersede(old, actor, f"replaced by actual reading {chosen[ean]}", now)
    new_advance = _new_advance(contract, customer, points, period_start, period_end, settlement_day)
    contracts.set_computed_advance(owner, contract.contract_id, str(new_advance), "settlement", f"settlement {pair['replacement']}", now)
    old_refund = _stop_refund_of(number, pair["replacement"], actor)
    carried = _carry_over(owner, number, pair["replacement"], now)
    difference = ledger.open_amount(owner, pair["replacement"])
    refund_id = None
    if difference < 0:
        refund_id = _request_refund(owner, -difference, "SETTLEMENT", pair["replacement"])
    note = _difference_note(customer, number, pair["replacement"], carried, difference, today)
    pair = corrections.cancel_and_reissue(original_number=number, replacement=replacement, reason=why, actor=actor, at=now, mail_note=note)
    updated = store.update(
        contract.contract_id, "annual", record.settlement_date, now, credit_note=pair["credit_note"], reissued_as=pair["replacement"], estimated=False,
        outcome=result.outcome, amount=f"{result.amount:.2f}", period_start=period_start.isoformat(), period_end=period_end.isoformat(),
        closing_json=json.dumps(closing_ids, sort_keys=True), new_advance=str(new_advance), refund_id=refund_id,
        carried=f"{carried:.2f}", difference=f"{difference:.2f}", old_refund=old_refund,
    )
    return {**view(updated), "status": "CORRECTED", "original": number, "mailed": pair.get("mailed")}


# A disputed settlement whose earlier outcome had moved money already (issue 6, SESSION15 S2).
# Rule: what the cancelled settlement gave or took is never counted twice; the reissued one
# counts only the difference.
#   1. The refund of the cancelled settlement's credit is cancelled while no money has left
#      (REQUESTED, AWAITING_IBAN, AWAITING_APPROVAL, APPROVED). Once SENT, PAID or OFFSET, the
#      money has gone to the customer (or paid other invoices): it stays, and step 2 counts it.
#   2. After the cancellation, what is still booked on the cancelled settlement (ledger: the
#      entries naming it) is carried over: a positive rest (its credit had left through a refund
#      or an offset) is first taken from the credit still on the account (a cancelled refund's
#      released credit), the remainder moves onto the reissued settlement; a negative rest (the
#      customer had paid a settlement to pay) moves onto the reissued settlement too. The
#      cancelled settlement ends with nothing open (no reminder, nothing to refund).
#   3. The reissued settlement's balance is then the difference: < 0 goes to refunds
#      (source SETTLEMENT, the reissued number), > 0 is to pay (its due date when it is an invoice
#      to pay; a reissued settlement in the customer's favour with a difference to pay back has
#      no due date: the mail asks for it with its structured reference, reminders do not chase it,
#      the next settlement or refund sets it off).
def _stop_refund_of(number: str, replacement: str, actor: str) -> str | None:
    """Step 1: the refund of the cancelled settlement, cancelled while no money has left."""
    try:
        from wattdesk.domain import refunds as refund_rules
        from wattdesk.services import refunds
        from wattdesk.stores import refunds as refund_store
    except ImportError:  # the refund workflow is deployed with this layer
        return None
    refund_id = refund_store.refund_id_for("SETTLEMENT", number)
    found = refund_store.find(refund_id)
    if found is None:
        return None
    if found.status in refund_rules.CANCELLABLE:
        try:
            refunds.cancel(refund_id, f"settlement {number} cancelled and reissued as {replacement}", actor)
        except refunds.Conflict:
            pass  # it moved on meanwhile (e.g. into today's payment file): counted in step 2
    return f"{refund_id} {refund_store.get(refund_id).status}"


def _carry_over(customer_id: str, number: str, replacement: str, at) -> Decimal:
    """Step 2, one ledger booking (account version checked): returns what moved onto the
    reissued settlement (> 0 the customer owes it, < 0 it is the customer's)."""
    for _attempt in range(8):
        version = ledger.account_version(customer_id)
        found = ledger.entries(customer_id)
        rest = sum((Decimal(e.amount) for e in found if e.invoice_number == number), Decimal("0.00"))
        done = [e for e in found if e.kind == "settlement_carried" and e.invoice_number == replacement and e.reference == number]
        if rest == 0:
            return sum((Decimal(e.amount) for e in done), Decimal("0.00"))
        credit = ledger.unallocated_credit(customer_id, found)
        from_credit = min(rest, credit) if rest > 0 else Decimal("0.00")
        carried = rest - from_credit
        source, new = f"DISPUTE#{number}", []
        if from_credit:
            new += [ledger.new_entry(customer_id, at, source, 0, "credit_applied", from_credit, None, number, None),
                    ledger.new_entry(customer_id, at, source, 1, "credit_applied", -from_credit, number, replacement, None)]
        if carried:
            new += [ledger.new_entry(customer_id, at, source, 2, "settlement_carried", -carried, number, replacement, None),
                    ledger.new_entry(customer_id, at, source, 3, "settlement_carried", carried, replacement, number, None)]
        try:
            ledger.book(customer_id, version, new, credit - from_credit, at)
        except ledger.AccountChanged:
            continue
        for invoice_number in (number, replacement):
            _refresh_listing(customer_id, invoice_number)
        return carried
    raise TransientError(f"account {customer_id} kept changing while correcting settlement {number}")


def _refresh_listing(customer_id: str, number: str) -> None:
    invoice = invoice_store.get_by_number(number)
    if invoice.due_date:
        ledger.set_unpaid_listing(customer_id, number, invoice.issued_at, invoice.due_date, unpaid=ledger.open_amount(customer_id, number) > 0)


def _difference_note(customer, number: str, replacement: str, carried: Decimal, difference: Decimal, today: date) -> str | None:
    if not carried:
        return None
    invoice = invoice_store.get_by_number(replacement)
    language = invoice.language
    _subject, text = render(
        "dispute_difference", language, carried=carried, old_amount=documents.money(abs(carried), language), original=number, replacement=replacement,
        net=difference, net_amount=documents.money(abs(difference), language), ogm=invoice.ogm,
        due_date=documents.long_date(date.fromisoformat(invoice.due_date), language) if invoice.due_date else "",
    )
    return text
