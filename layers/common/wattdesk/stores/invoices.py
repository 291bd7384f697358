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
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
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


class RunItem(WattDeskItem):
    contract_id = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    outcome = UnicodeAttribute()  # issued | skipped | failed
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


def _cancelled_by(exc: TransactWriteError) -> list[str | None]:
    return [reason.code if reason is not None else None for reason in exc.cancellation_reasons or []]


def issue(new: NewInvoice, number_for, ogm_for, at: datetime, credits: tuple[AccountCredit, ...] = ()) -> InvoiceRecord:
    """Stores the invoice under the next number of its series and year.

    `number_for(sequence) -> "2027-A-000001"` and `ogm_for(sequence)` come from the domain. The
    once-only marker (contract, kind, period) makes a replay raise AlreadyIssued instead of
    issuing a second invoice. ``credits`` are the account credits the invoice's lines use: each is
    marked booked on this invoice in the same transaction, only if it is still unbooked."""
    counter_key = (f"COUNTER#{new.series}#{new.year}", "COUNTER")
    marker_key = (f"CONTRACT#{new.contract_id}", f"ISSUED#{new.once_key or f'{new.kind}#{new.period}'}") if new.period or new.once_key else None
    for _attempt in range(MAX_NUMBER_ATTEMPTS):
        try:
            current = Counter.get(*counter_key, consistent_read=True).last
        except DoesNotExist:
            current = 0
        sequence = int(current) + 1
        number = number_for(sequence)
        invoice = InvoiceRecord(
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
            ogm=ogm_for(sequence),
            language=new.language,
            lines_json=json.dumps(new.lines, sort_keys=True),
            totals_json=json.dumps(new.totals, sort_keys=True),
            corrects=new.corrects,
            run_id=new.run_id,
            issued_at=at.isoformat(),
            GSI2PK=f"OGM#{''.join(ch for ch in ogm_for(sequence) if ch.isdigit())}",
            GSI2SK=f"INVOICE#{number}",
        )
        try:
            with TransactWrite(connection=transaction_connection()) as transaction:
                if current:
                    transaction.update(Counter(*counter_key), actions=[Counter.last.set(sequence)], condition=Counter.last == current)
                else:
                    transaction.save(Counter(*counter_key, last=sequence), condition=Counter.PK.does_not_exist())
                transaction.save(invoice, condition=InvoiceRecord.PK.does_not_exist())
                transaction.save(InvoiceIndex(f"INVOICE#{number}", "INVOICE", customer_id=new.customer_id), condition=InvoiceIndex.PK.does_not_exist())
                transaction.save(ledger.invoice_booked(invoice), condition=ledger.LedgerEntry.PK.does_not_exist())
                if marker_key:
                    transaction.save(IssuedMarker(*marker_key, number=number), condition=IssuedMarker.PK.does_not_exist())
                for credit in credits:
                    transaction.update(credit, actions=[AccountCredit.booked_on.set(number)], condition=AccountCredit.booked_on.does_not_exist() & AccountCredit.PK.exists())
        except TransactWriteError as exc:
            reasons = _cancelled_by(exc)
            if "ConditionalCheckFailed" not in reasons and "TransactionConflict" not in reasons:
                raise
            # Which condition failed is read back rather than taken from the reasons' positions
            # (moto lists them in another order than the request; AWS keeps the request order).
            if marker_key:
                try:
                    raise AlreadyIssued(IssuedMarker.get(*marker_key, consistent_read=True).number) from exc
                except DoesNotExist:
                    pass
            for credit in credits:
                if AccountCredit.get(credit.PK, credit.SK, consistent_read=True).booked_on:
                    raise CreditsTaken(credit.SK) from exc
            continue  # another writer took this number: read the counter again
        return invoice
    raise NumberContention(f"{new.series}-{new.year}")




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
    counts = {outcome: sum(1 for item in items if item.outcome == outcome) for outcome in ("issued", "skipped", "failed")}
    run = get_run(run_id)
    run.update(
        actions=[
            BillingRun.status.set("COMPLETED" if counts["failed"] == 0 else "COMPLETED_WITH_FAILURES"),
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
