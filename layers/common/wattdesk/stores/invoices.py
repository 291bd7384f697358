"""Invoices, their gapless numbers, and billing runs.

Keys (docs/data-model.md):
  COUNTER#<series>#<year> / COUNTER            last number used in a series and year
  CUSTOMER#<id> / INVOICE#<number>             the invoice (immutable once issued)
  INVOICE#<number> / INVOICE                   number -> customer (look-up by number)
  CONTRACT#<id> / ISSUED#<kind>#<period>       one invoice of a kind per contract and period
  BILLINGRUN#<id> / RUN                        a billing run and its counters
  BILLINGRUN#<id> / ITEM#<contract id>         an item's outcome (issued, skipped with reason, failed)

A number is taken in the same transaction that stores the invoice and its once-only marker:
the counter moves from N to N+1 only if it still holds N and the invoice is written, so a crash
leaves neither a gap nor a duplicate, and two writers racing for N+1 cannot both win.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from pynamodb.attributes import NumberAttribute, NumberSetAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.transactions import TransactWrite

from wattdesk.stores import ledger
from wattdesk.stores.credits import AccountCredit
from wattdesk.stores.base import WattDeskItem, transaction_connection

MAX_NUMBER_ATTEMPTS = 50


class AlreadyIssued(Exception):
    """This contract already has this kind of invoice for this period."""

    def __init__(self, number: str):
        super().__init__(number)
        self.number = number


class NumberContention(RuntimeError):
    """Too many writers took the next number at the same time; retry later."""


class CreditsTaken(RuntimeError):
    """A credit meant for this invoice was booked on another invoice meanwhile: read them again."""


class Counter(WattDeskItem):
    last = NumberAttribute(default=0)


class InvoiceRecord(WattDeskItem):
    number = UnicodeAttribute()
    kind = UnicodeAttribute()
    series = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    contract_id = UnicodeAttribute()
    period = UnicodeAttribute(null=True)
    issue_date = UnicodeAttribute()
    due_date = UnicodeAttribute(null=True)
    ogm = UnicodeAttribute()
    language = UnicodeAttribute()
    lines_json = UnicodeAttribute()
    totals_json = UnicodeAttribute()
    status = UnicodeAttribute(default="OPEN")
    corrects = UnicodeAttribute(null=True)
    document_key = UnicodeAttribute(null=True)
    run_id = UnicodeAttribute(null=True)
    issued_at = UnicodeAttribute()
    # Corrections (issue 6): what can still be credited, in cents (absent: the whole total), the
    # lines credited one by one, and the cancel-and-reissue links. Written only together with the
    # credit note or the replacement that changes them (see issue_together).
    creditable_cents = NumberAttribute(null=True)
    credited_lines = NumberSetAttribute(null=True)
    replaces = UnicodeAttribute(null=True)
    replaced_by = UnicodeAttribute(null=True)
    reason = UnicodeAttribute(null=True)
    issued_by = UnicodeAttribute(null=True)

    @property
    def lines(self) -> list[dict[str, Any]]:
        return json.loads(self.lines_json)

    @property
    def totals(self) -> dict[str, Any]:
        return json.loads(self.totals_json)


class InvoiceIndex(WattDeskItem):
    customer_id = UnicodeAttribute()


class IssuedMarker(WattDeskItem):
    number = UnicodeAttribute()


class BillingRun(WattDeskItem):
    billing_date = UnicodeAttribute()
    period = UnicodeAttribute()
    status = UnicodeAttribute()
    started_at = UnicodeAttribute()
    finished_at = UnicodeAttribute(null=True)
    items = NumberAttribute(default=0)
    issued = NumberAttribute(default=0)
    skipped = NumberAttribute(default=0)
    failed = NumberAttribute(default=0)
    items_key = UnicodeAttribute(null=True)
    # Items held until a missing index value is loaded (issue 5).
    held = NumberAttribute(null=True)


class RunItem(WattDeskItem):
    contract_id = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    outcome = UnicodeAttribute()  # issued | skipped | failed | held (index missing)
    reason = UnicodeAttribute(null=True)
    number = UnicodeAttribute(null=True)
    at = UnicodeAttribute()


@dataclass(frozen=True)
class NewInvoice:
    kind: str
    series: str
    year: int
    customer_id: str
    contract_id: str
    period: str | None
    issue_date: str
    due_date: str | None
    language: str
    lines: list[dict[str, Any]]
    totals: dict[str, Any]
    corrects: str | None = None
    run_id: str | None = None
    # The once-only marker's name when it is not "<kind>#<period>" (credit notes, replacements).
    once_key: str | None = None
    # Corrections (issue 6): the invoice this one replaces (cancel and reissue), why it was
    # issued by hand (extraordinary invoices, credit notes), and who issued it.
    replaces: str | None = None
    reason: str | None = None
    issued_by: str | None = None


def _cancelled_by(exc: TransactWriteError) -> list[str | None]:
    return [reason.code if reason is not None else None for reason in exc.cancellation_reasons or []]


def issue(new: NewInvoice, number_for, ogm_for, at: datetime, credits: tuple[AccountCredit, ...] = ()) -> InvoiceRecord:
    """Stores the invoice under the next number of its series and year.

    `number_for(sequence) -> "2027-A-000001"` and `ogm_for(sequence)` come from the domain. The
    once-only marker (contract, kind, period) makes a replay raise AlreadyIssued instead of
    issuing a second invoice. ``credits`` are the account credits the invoice's lines use: each is
    marked booked on this invoice in the same transaction, only if it is still unbooked.
    A credit note (``corrects`` set) also takes its amount off the corrected invoice's creditable
    remainder in the same transaction (AboveRemainder / LineAlreadyCredited when it does not fit)."""
    (invoice,) = issue_together([new], lambda n, sequence: number_for(sequence), lambda n, sequence: ogm_for(sequence), at, credits=credits)
    return invoice


# ------------------------------------------------------------------ corrections (issue 6)
class AboveRemainder(Exception):
    """The credit note is above what remains creditable on the invoice it corrects."""

    def __init__(self, number: str, remaining_cents: int, asked_cents: int):
        super().__init__(f"{number}: {asked_cents} cents asked, {remaining_cents} creditable")
        self.number, self.remaining_cents, self.asked_cents = number, remaining_cents, asked_cents


class LineAlreadyCredited(Exception):
    """A line of the corrected invoice was already credited by an earlier credit note."""

    def __init__(self, number: str, lines: list[int]):
        super().__init__(f"{number}: line(s) {lines} already credited")
        self.number, self.lines = number, lines


class AlreadyReplaced(Exception):
    """The invoice was already cancelled and reissued (by another replacement)."""

    def __init__(self, number: str, replaced_by: str):
        super().__init__(f"{number} already replaced by {replaced_by}")
        self.number, self.replaced_by = number, replaced_by


def _cents(amount: str | Decimal) -> int:
    return int((Decimal(str(amount)) * 100).to_integral_value())


def total_cents(invoice: InvoiceRecord) -> int:
    """The invoice's total incl. VAT in cents, as a magnitude (an invoice in the customer's
    favour, e.g. a settlement to refund, is cancelled by a note of the opposite sign)."""
    return abs(_cents(invoice.totals["incl_vat"]))


def remaining_cents(invoice: InvoiceRecord) -> int:
    """What can still be credited on the invoice, in cents (the whole total until a first credit)."""
    return int(invoice.creditable_cents) if invoice.creditable_cents is not None else total_cents(invoice)


def _credited_line_indexes(new: NewInvoice) -> set[int]:
    return {int(line["parameters"]["credits_line"]) for line in new.lines if "credits_line" in (line.get("parameters") or {})}


@dataclass
class _Guard:
    """The conditional update of a corrected invoice, written in the credit note's transaction."""

    original: InvoiceRecord
    asked_cents: int
    lines: set[int]

    def check(self, fresh: InvoiceRecord) -> None:
        remaining = remaining_cents(fresh)
        if self.asked_cents > remaining:
            raise AboveRemainder(fresh.number, remaining, self.asked_cents)
        again = sorted(self.lines & {int(i) for i in (fresh.credited_lines or set())})
        if again:
            raise LineAlreadyCredited(fresh.number, again)

    def add_to(self, transaction: TransactWrite, replaced_by_number: str | None) -> None:
        record = InvoiceRecord(self.original.PK, self.original.SK)
        actions = [InvoiceRecord.creditable_cents.set((InvoiceRecord.creditable_cents | total_cents(self.original)) - self.asked_cents)]
        # DynamoDB checks the remainder itself: concurrent credit notes can never together exceed it.
        condition = InvoiceRecord.PK.exists() & ((InvoiceRecord.creditable_cents >= self.asked_cents) | InvoiceRecord.creditable_cents.does_not_exist())
        if self.lines:
            actions.append(InvoiceRecord.credited_lines.add(set(self.lines)))
            for index in sorted(self.lines):
                condition &= InvoiceRecord.credited_lines.does_not_exist() | ~InvoiceRecord.credited_lines.contains(index)
        if replaced_by_number is not None:
            actions.append(InvoiceRecord.replaced_by.set(replaced_by_number))
            condition &= InvoiceRecord.replaced_by.does_not_exist()
        transaction.update(record, actions=actions, condition=condition)


def issue_together(news: list[NewInvoice], number_for, ogm_for, at: datetime, credits: tuple[AccountCredit, ...] = (), also: tuple[WattDeskItem, ...] = ()) -> list[InvoiceRecord]:
    """Stores several invoices in ONE transaction (all or none), each under the next gapless
    number of its series and year: ``number_for(new, sequence)`` / ``ogm_for(new, sequence)``.

    Every credit note among them (``corrects`` set) takes its amount (and the lines it credits
    one by one) off the corrected invoice's remainder with a conditional update in the same
    transaction. A replacement among ``news`` (``replaces`` set) marks the invoice it supersedes
    ``replaced_by`` (once, conditionally, in the same transaction). Raises AlreadyIssued (a
    once-only marker exists), CreditsTaken, AboveRemainder, LineAlreadyCredited, AlreadyReplaced,
    NumberContention. ``also``: new items (e.g. audit entries) saved in the same transaction."""
    markers = [
        ((f"CONTRACT#{new.contract_id}", f"ISSUED#{new.once_key or f'{new.kind}#{new.period}'}") if new.period or new.once_key else None) for new in news
    ]
    # A replayed correction is answered before its remainder is checked (its credit note already
    # took its room); other invoices learn it from the transaction's failure, without a read.
    correcting = any(new.kind == "credit_note" and new.corrects for new in news)
    for marker_key in markers if correcting else ():
        if marker_key:
            try:
                raise AlreadyIssued(IssuedMarker.get(*marker_key, consistent_read=True).number)
            except DoesNotExist:
                pass
    replacement = next((new for new in news if new.replaces), None)
    replacing = replacement.replaces if replacement else None
    guards: list[_Guard] = []
    for new in news:
        if new.kind == "credit_note" and new.corrects:
            original = get_by_number(new.corrects)
            if replacing == original.number and original.replaced_by:
                raise AlreadyReplaced(original.number, original.replaced_by)
            guard = _Guard(original, abs(_cents(new.totals["incl_vat"])), _credited_line_indexes(new))
            guard.check(original)
            guards.append(guard)
    for _attempt in range(MAX_NUMBER_ATTEMPTS):
        counters: dict[tuple[str, str], int] = {}
        numbered: list[tuple[NewInvoice, int]] = []
        for new in news:
            key = (f"COUNTER#{new.series}#{new.year}", "COUNTER")
            if key not in counters:
                try:
                    counters[key] = int(Counter.get(*key, consistent_read=True).last)
                except DoesNotExist:
                    counters[key] = 0
            taken = sum(1 for other, _ in numbered if (f"COUNTER#{other.series}#{other.year}", "COUNTER") == key)
            numbered.append((new, counters[key] + taken + 1))
        invoices = [_record(new, sequence, number_for(new, sequence), ogm_for(new, sequence), at) for new, sequence in numbered]
        replacement_number = next((inv.number for inv, (new, _) in zip(invoices, numbered, strict=True) if new is replacement), None)
        try:
            with TransactWrite(connection=transaction_connection()) as transaction:
                for key, current in counters.items():
                    used = sum(1 for new, _ in numbered if (f"COUNTER#{new.series}#{new.year}", "COUNTER") == key)
                    if current:
                        transaction.update(Counter(*key), actions=[Counter.last.set(current + used)], condition=Counter.last == current)
                    else:
                        transaction.save(Counter(*key, last=used), condition=Counter.PK.does_not_exist())
                for invoice, marker_key in zip(invoices, markers, strict=True):
                    transaction.save(invoice, condition=InvoiceRecord.PK.does_not_exist())
                    transaction.save(InvoiceIndex(f"INVOICE#{invoice.number}", "INVOICE", customer_id=invoice.customer_id), condition=InvoiceIndex.PK.does_not_exist())
                    transaction.save(ledger.invoice_booked(invoice), condition=ledger.LedgerEntry.PK.does_not_exist())
                    if marker_key:
                        transaction.save(IssuedMarker(*marker_key, number=invoice.number), condition=IssuedMarker.PK.does_not_exist())
                for guard in guards:
                    guard.add_to(transaction, replacement_number if replacing and guard.original.number == replacing else None)
                for item in also:
                    transaction.save(item, condition=WattDeskItem.PK.does_not_exist())
                for credit in credits:
                    transaction.update(credit, actions=[AccountCredit.booked_on.set(invoices[0].number)], condition=AccountCredit.booked_on.does_not_exist() & AccountCredit.PK.exists())
        except TransactWriteError as exc:
            reasons = _cancelled_by(exc)
            if "ConditionalCheckFailed" not in reasons and "TransactionConflict" not in reasons:
                raise
            # Which condition failed is read back rather than taken from the reasons' positions
            # (moto lists them in another order than the request; AWS keeps the request order).
            for marker_key in markers:
                if marker_key:
                    try:
                        raise AlreadyIssued(IssuedMarker.get(*marker_key, consistent_read=True).number) from exc
                    except DoesNotExist:
                        pass
            for credit in credits:
                if AccountCredit.get(credit.PK, credit.SK, consistent_read=True).booked_on:
                    raise CreditsTaken(credit.SK) from exc
            for guard in guards:
                fresh = get_by_number(guard.original.number)
                if replacing and guard.original.number == replacing and fresh.replaced_by:
                    raise AlreadyReplaced(fresh.number, fresh.replaced_by) from exc
                guard.check(fresh)  # raises when another credit note took the room meanwhile
            continue  # another writer took a number (or touched the original): read again
        return invoices
    raise NumberContention(",".join(sorted({f"{new.series}-{new.year}" for new in news})))


def _record(new: NewInvoice, sequence: int, number: str, ogm: str, at: datetime) -> InvoiceRecord:
    return InvoiceRecord(
        f"CUSTOMER#{new.customer_id}",
        f"INVOICE#{number}",
        number=number,
        kind=new.kind,
        series=new.series,
        customer_id=new.customer_id,
        contract_id=new.contract_id,
        period=new.period,
        issue_date=new.issue_date,
        due_date=new.due_date,
        ogm=ogm,
        language=new.language,
        lines_json=json.dumps(new.lines, sort_keys=True),
        totals_json=json.dumps(new.totals, sort_keys=True),
        corrects=new.corrects,
        run_id=new.run_id,
        issued_at=at.isoformat(),
        replaces=new.replaces,
        reason=new.reason,
        issued_by=new.issued_by,
        GSI2PK=f"OGM#{''.join(ch for ch in ogm if ch.isdigit())}",
        GSI2SK=f"INVOICE#{number}",
    )


def get_by_number(number: str) -> InvoiceRecord:
    index = InvoiceIndex.get(f"INVOICE#{number}", "INVOICE", consistent_read=True)
    return InvoiceRecord.get(f"CUSTOMER#{index.customer_id}", f"INVOICE#{number}", consistent_read=True)






def issued_number(contract_id: str, once_key: str) -> str | None:
    """The invoice issued under a once-only marker (e.g. "advance#2027-03"), if any."""
    try:
        return IssuedMarker.get(f"CONTRACT#{contract_id}", f"ISSUED#{once_key}", consistent_read=True).number
    except DoesNotExist:
        return None


def attach_document(invoice: InvoiceRecord, key: str) -> None:
    """The only change an issued invoice accepts: where its PDF is."""
    invoice.update(actions=[InvoiceRecord.document_key.set(key)], condition=InvoiceRecord.document_key.does_not_exist())


# ------------------------------------------------------------------ billing runs
def start_run(run_id: str, billing_date: str, period: str, at: datetime) -> BillingRun:
    run = BillingRun(f"BILLINGRUN#{run_id}", "RUN", billing_date=billing_date, period=period, status="RUNNING", started_at=at.isoformat(), GSI1PK="BILLINGRUNS", GSI1SK=f"{billing_date}#{run_id}")
    run.save()
    return run


def get_run(run_id: str) -> BillingRun:
    return BillingRun.get(f"BILLINGRUN#{run_id}", "RUN", consistent_read=True)


def record_item(run_id: str, contract_id: str, customer_id: str, outcome: str, at: datetime, reason: str | None = None, number: str | None = None) -> None:
    """One outcome per contract and run: a retried item overwrites its own line, never adds one."""
    RunItem(f"BILLINGRUN#{run_id}", f"ITEM#{contract_id}", contract_id=contract_id, customer_id=customer_id, outcome=outcome, reason=reason, number=number, at=at.isoformat()).save()


def run_items(run_id: str) -> list[RunItem]:
    return list(RunItem.query(f"BILLINGRUN#{run_id}", RunItem.SK.startswith("ITEM#")))


def finish_run(run_id: str, at: datetime) -> BillingRun:
    items = run_items(run_id)
    counts = {outcome: sum(1 for item in items if item.outcome == outcome) for outcome in ("issued", "skipped", "failed", "held")}
    run = get_run(run_id)
    status = "COMPLETED_WITH_FAILURES" if counts["failed"] else "COMPLETED_WITH_HELD_ITEMS" if counts["held"] else "COMPLETED"
    run.update(
        actions=[
            BillingRun.status.set(status),
            BillingRun.held.set(counts["held"]),
            BillingRun.finished_at.set(at.isoformat()),
            BillingRun.issued.set(counts["issued"]),
            BillingRun.skipped.set(counts["skipped"]),
            BillingRun.failed.set(counts["failed"]),
        ]
    )
    return run


def set_run_items(run_id: str, count: int, key: str) -> None:
    get_run(run_id).update(actions=[BillingRun.items.set(count), BillingRun.items_key.set(key)])


def runs() -> list[BillingRun]:
    return list(BillingRun.work_list.query("BILLINGRUNS", scan_index_forward=False))



# ------------------------------------------------------------------ payments (issue 7): reading and status
def find_by_ogm(digits: str) -> InvoiceRecord | None:
    """The invoice whose structured reference has these 12 digits (GSI2 `OGM#<digits>`)."""
    for key in InvoiceRecord.lookup.query(f"OGM#{digits}"):
        if key.SK.startswith("INVOICE#"):
            return InvoiceRecord.get(key.PK, key.SK, consistent_read=True)
    return None


def find_by_number(number: str) -> InvoiceRecord | None:
    try:
        return get_by_number(number)
    except (InvoiceIndex.DoesNotExist, InvoiceRecord.DoesNotExist):
        return None


def of_customer(customer_id: str) -> list[InvoiceRecord]:
    return list(InvoiceRecord.query(f"CUSTOMER#{customer_id}", InvoiceRecord.SK.startswith("INVOICE#")))


def mark_status(customer_id: str, number: str, status: str) -> None:
    """PAID when nothing is open on the invoice any more, OPEN again (e.g. after a direct-debit
    return). The status is a view of the ledger, which stays the truth."""
    if status not in ("PAID", "OPEN"):
        raise ValueError(f"unknown invoice status {status!r}")
    InvoiceRecord(f"CUSTOMER#{customer_id}", f"INVOICE#{number}").update(actions=[InvoiceRecord.status.set(status)], condition=InvoiceRecord.PK.exists())
