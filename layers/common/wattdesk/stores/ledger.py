"""The customer's account: one ledger entry per booking; a balance is always the sum of entries.

Keys (docs/data-model.md):
  CUSTOMER#<id> / LEDGER#<booked at>#<source>   one booking (amount > 0: the customer owes more)
  CUSTOMER#<id> / ACCOUNT                       version of the account (optimistic lock of every
                                                payment booking) and the credit it holds; on the
                                                work list ACCOUNTS#WITH_CREDIT while credit > 0

Entry kinds: invoice, credit_note (written by stores/invoices.issue), payment (one entry per
invoice it pays, plus one naming no invoice for what stays as credit), payment_reversal (a
payment taken back: direct-debit return, wrong booking), credit_applied (credit held on the
account moved onto an invoice: a pair of entries that sum to zero).

The source is deterministic (``INVOICE#<number>`` for an invoice, a payment's entry reference for
a payment, ...), and an entry is written with "PK does not exist", so a replayed booking can
never count twice. Amounts are strings of Decimal euro with two decimals.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.transactions import TransactWrite

from wattdesk.stores.base import WattDeskItem, transaction_connection


class LedgerEntry(WattDeskItem):
    kind = UnicodeAttribute()  # invoice | credit_note | payment | ... (collection adds its own)
    amount = UnicodeAttribute()  # signed euro: debit (customer owes) > 0, credit < 0
    invoice_number = UnicodeAttribute(null=True)
    reference = UnicodeAttribute(null=True)
    booked_at = UnicodeAttribute()
    payment_id = UnicodeAttribute(null=True)  # the payment this entry books or reverses


class Account(WattDeskItem):
    version = NumberAttribute(default=0)
    credit = UnicodeAttribute(default="0.00")  # what the entries naming no invoice hold for the customer
    updated_at = UnicodeAttribute(null=True)


class AccountChanged(Exception):
    """Another booking changed the account since it was read; read again and retry."""


def invoice_booked(invoice) -> LedgerEntry:
    """The entry an issued invoice (or credit note) books, saved in the invoice's own transaction."""
    # Credit-note lines are negative, so their total already takes money off the account.
    amount = Decimal(invoice.totals["incl_vat"])
    return LedgerEntry(
        invoice.PK,
        f"LEDGER#{invoice.issued_at}#INVOICE#{invoice.number}",
        kind="credit_note" if invoice.kind == "credit_note" else "invoice",
        amount=f"{amount:.2f}",
        # A credit note lowers what is open on the invoice it corrects.
        invoice_number=invoice.corrects if invoice.kind == "credit_note" and invoice.corrects else invoice.number,
        reference=invoice.number if invoice.kind == "credit_note" else invoice.ogm,
        booked_at=invoice.issued_at,
        # Work list of unpaid invoices by due date (collection sweeps read a window of it; the
        # keys are removed when the invoice is paid and put back when it reopens).
        **(_due_listing(invoice.customer_id, invoice.number, invoice.due_date) if invoice.kind != "credit_note" and invoice.due_date else {}),
    )


DUE_SHARDS = 10


def _due_listing(customer_id: str, number: str, due_date: str) -> dict[str, str]:
    try:
        shard = int(customer_id.replace("-", "")[:8], 16) % DUE_SHARDS
    except ValueError:
        shard = 0
    return {"GSI1PK": f"UNPAID#{shard}", "GSI1SK": f"{due_date}#{customer_id}#{number}"}


def entries(customer_id: str) -> list[LedgerEntry]:
    return list(LedgerEntry.query(f"CUSTOMER#{customer_id}", LedgerEntry.SK.startswith("LEDGER#")))


def balance(customer_id: str) -> Decimal:
    """What the customer owes (> 0) or is owed (< 0): the sum of the entries, nothing else."""
    return sum((Decimal(entry.amount) for entry in entries(customer_id)), Decimal("0.00"))


def open_amount(customer_id: str, invoice_number: str) -> Decimal:
    """What is still to be paid on one invoice: the sum of the entries that name it."""
    return sum((Decimal(e.amount) for e in entries(customer_id) if e.invoice_number == invoice_number), Decimal("0.00"))


def open_items(customer_id: str) -> dict[str, Decimal]:
    """Invoice number -> amount still open (> 0), for every invoice not yet fully paid."""
    per_invoice: dict[str, Decimal] = {}
    for entry in entries(customer_id):
        if entry.invoice_number:
            per_invoice[entry.invoice_number] = per_invoice.get(entry.invoice_number, Decimal("0.00")) + Decimal(entry.amount)
    return {number: amount for number, amount in per_invoice.items() if amount > 0}


# ------------------------------------------------------------------ payments (issue 7)
def unallocated_credit(customer_id: str, found: Sequence[LedgerEntry] | None = None) -> Decimal:
    """Money the customer has on the account that pays no invoice yet (>= 0)."""
    loose = sum((Decimal(e.amount) for e in (found if found is not None else entries(customer_id)) if not e.invoice_number), Decimal("0.00"))
    return -loose if loose < 0 else Decimal("0.00")


def account_version(customer_id: str) -> int:
    try:
        return int(Account.get(f"CUSTOMER#{customer_id}", "ACCOUNT", consistent_read=True).version)
    except DoesNotExist:
        return 0


def entries_of_payment(customer_id: str, payment_id: str) -> list[LedgerEntry]:
    return [entry for entry in entries(customer_id) if entry.payment_id == payment_id]


def new_entry(customer_id: str, at: datetime, source: str, n: int, kind: str, amount: Decimal, invoice_number: str | None, reference: str | None, payment_id: str | None) -> LedgerEntry:
    return LedgerEntry(
        f"CUSTOMER#{customer_id}",
        f"LEDGER#{at.isoformat()}#{source}#{n}",
        kind=kind,
        amount=f"{amount:.2f}",
        invoice_number=invoice_number,
        reference=reference,
        booked_at=at.isoformat(),
        payment_id=payment_id,
    )


def book(customer_id: str, expected_version: int, new_entries: Sequence[LedgerEntry], credit_after: Decimal, at: datetime, also: Sequence[Callable[[TransactWrite], None]] = ()) -> None:
    """Writes the entries in one transaction with the account's version moving from
    ``expected_version`` to the next (and whatever ``also`` adds: a payment's status, ...).
    AccountChanged when another booking came first or a condition of ``also`` failed."""
    key = (f"CUSTOMER#{customer_id}", "ACCOUNT")
    credit_keys = {"GSI1PK": "ACCOUNTS#WITH_CREDIT", "GSI1SK": customer_id} if credit_after > 0 else {}
    account = Account(*key, version=expected_version + 1, credit=f"{credit_after:.2f}", updated_at=at.isoformat(), **credit_keys)
    try:
        with TransactWrite(connection=transaction_connection()) as transaction:
            if expected_version:
                transaction.save(account, condition=Account.version == expected_version)
            else:
                transaction.save(account, condition=Account.PK.does_not_exist())
            for entry in new_entries:
                transaction.save(entry, condition=LedgerEntry.PK.does_not_exist())
            for add in also:
                add(transaction)
    except TransactWriteError as exc:
        codes = [reason.code if reason is not None else None for reason in exc.cancellation_reasons or []]
        if "ConditionalCheckFailed" in codes or "TransactionConflict" in codes:
            raise AccountChanged(customer_id) from exc
        raise


def customers_with_credit() -> list[str]:
    return [account.GSI1SK for account in Account.work_list.query("ACCOUNTS#WITH_CREDIT")]


def unpaid_due_between(first: str, last: str) -> list[tuple[str, str, str]]:
    """(due date, customer id, invoice number) of unpaid invoices due in [first, last] (ISO dates),
    oldest first, from the ``UNPAID#<shard>`` work list."""
    found: list[tuple[str, str, str]] = []
    for shard in range(DUE_SHARDS):
        for entry in LedgerEntry.work_list.query(f"UNPAID#{shard}", LedgerEntry.GSI1SK.between(f"{first}#", f"{last}#~")):
            due, customer_id, number = entry.GSI1SK.split("#", 2)
            found.append((due, customer_id, number))
    return sorted(found)


def set_unpaid_listing(customer_id: str, number: str, issued_at: str, due_date: str | None, unpaid: bool) -> None:
    """Puts the invoice's entry on (unpaid) or off (paid) the work list of unpaid invoices."""
    entry = LedgerEntry(f"CUSTOMER#{customer_id}", f"LEDGER#{issued_at}#INVOICE#{number}")
    if unpaid and due_date:
        keys = _due_listing(customer_id, number, due_date)
        actions = [LedgerEntry.GSI1PK.set(keys["GSI1PK"]), LedgerEntry.GSI1SK.set(keys["GSI1SK"])]
    else:
        actions = [LedgerEntry.GSI1PK.remove(), LedgerEntry.GSI1SK.remove()]
    try:
        entry.update(actions=actions, condition=LedgerEntry.PK.exists())
    except Exception:  # noqa: BLE001 - an invoice booked before the work list existed has no such entry key
        pass
