"""The customer's account: one ledger entry per booking; a balance is always the sum of entries.

Keys (docs/data-model.md):
  CUSTOMER#<id> / LEDGER#<booked at>#<source>   one booking (amount > 0: the customer owes more)

The source is deterministic (``INVOICE#<number>`` for an invoice, a payment's entry reference for
a payment, ...), and an entry is written with "PK does not exist", so a replayed booking can
never count twice. Amounts are strings of Decimal euro with two decimals.
"""

from __future__ import annotations

from decimal import Decimal

from pynamodb.attributes import UnicodeAttribute

from wattdesk.stores.base import WattDeskItem


class LedgerEntry(WattDeskItem):
    kind = UnicodeAttribute()  # invoice | credit_note | payment | ... (collection adds its own)
    amount = UnicodeAttribute()  # signed euro: debit (customer owes) > 0, credit < 0
    invoice_number = UnicodeAttribute(null=True)
    reference = UnicodeAttribute(null=True)
    booked_at = UnicodeAttribute()


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
    )


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
