"""Incoming payments, statement imports, the suspense queue and the hand-over of mistaken payments.

Keys (docs/data-model.md):
  PAYMENT#<id> / PAYMENT                        one incoming payment (a statement line, a manual
                                                payment, or a direct-debit collection); GSI1
                                                QUEUE#PAYMENT#SUSPENSE / received at, while unmatched
  STATEMENT#<account iban>#<statement id> / IMPORT#<at>   one import of a file and its counts
  IBANHASH#<sha256 of IBAN> / CUSTOMER#<id>     the customers an account is known for (mandate,
                                                booked payments); no IBAN in any key
  REFUNDHANDOVER#<payment id> / HANDOVER        a mistaken payment handed to the refund workflow;
                                                GSI1 QUEUE#REFUND#HANDOVER / at

A statement line's id is derived from (account, statement id, entry reference[, transaction]):
it is written with "PK does not exist", so a file imported twice stores (and books) nothing twice.
Statuses: RECEIVED (stored, not matched yet) -> BOOKED | SUSPENSE; SUSPENSE -> BOOKED (assigned)
| MISTAKEN_TO_REFUND; BOOKED -> REVERSED (a direct-debit return takes it back); IGNORED for a
credit that is the bank's settlement of our own direct-debit batch (its items are booked one by one).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from pynamodb.attributes import ListAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError
from pynamodb.transactions import TransactWrite

from wattdesk.stores.base import WattDeskItem, transaction_connection

SUSPENSE_QUEUE = "QUEUE#PAYMENT#SUSPENSE"
HANDOVER_QUEUE = "QUEUE#REFUND#HANDOVER"


class PaymentRecord(WattDeskItem):
    payment_id = UnicodeAttribute()
    source = UnicodeAttribute()  # camt053 | manual | direct_debit
    status = UnicodeAttribute()
    amount = UnicodeAttribute()  # euro, > 0
    currency = UnicodeAttribute(default="EUR")
    received_on = UnicodeAttribute()  # booking date at the bank (or the day an operator received it)
    value_date = UnicodeAttribute(null=True)
    account_iban = UnicodeAttribute(null=True)  # our account it came in on
    statement_id = UnicodeAttribute(null=True)
    entry_reference = UnicodeAttribute(null=True)
    debtor_name = UnicodeAttribute(null=True)
    debtor_iban = UnicodeAttribute(null=True)
    structured_reference = UnicodeAttribute(null=True)
    free_text = UnicodeAttribute(null=True)
    end_to_end_id = UnicodeAttribute(null=True)
    customer_id = UnicodeAttribute(null=True)
    allocations_json = UnicodeAttribute(default="[]")  # [{"invoice_number", "amount"}] + unallocated
    unallocated = UnicodeAttribute(default="0.00")
    confidence = UnicodeAttribute(null=True)
    reasons = ListAttribute(default=list)
    suggestion_json = UnicodeAttribute(null=True)
    decided_by = UnicodeAttribute(null=True)
    decided_at = UnicodeAttribute(null=True)
    note = UnicodeAttribute(null=True)
    reversed_at = UnicodeAttribute(null=True)
    reversal_reason = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()

    @property
    def allocations(self) -> list[dict[str, str]]:
        return json.loads(self.allocations_json)

    @property
    def suggestion(self) -> dict | None:
        return json.loads(self.suggestion_json) if self.suggestion_json else None


class StatementImport(WattDeskItem):
    kind = UnicodeAttribute()
    message_id = UnicodeAttribute()
    imported_by = UnicodeAttribute()
    counts_json = UnicodeAttribute()
    at = UnicodeAttribute()


class KnownIban(WattDeskItem):
    source = UnicodeAttribute()
    at = UnicodeAttribute()


class RefundHandover(WattDeskItem):
    """What the refund workflow needs to send a mistaken payment back, and who decided it."""

    payment_id = UnicodeAttribute()
    status = UnicodeAttribute(default="PENDING")  # PENDING until the refund workflow takes it
    amount = UnicodeAttribute()
    reason = UnicodeAttribute()  # mistaken_payment
    counterparty_name = UnicodeAttribute(null=True)
    counterparty_iban = UnicodeAttribute(null=True)
    original_reference = UnicodeAttribute(null=True)
    received_on = UnicodeAttribute()
    requested_by = UnicodeAttribute()
    requested_at = UnicodeAttribute()
    note = UnicodeAttribute(null=True)


class AlreadyDecided(Exception):
    """The payment is no longer in the state the action expects (someone else decided first)."""


def statement_payment_id(account_iban: str, statement_id: str, entry_reference: str, transaction: int | None = None) -> str:
    raw = f"{account_iban}|{statement_id}|{entry_reference}" + (f"|{transaction}" if transaction is not None else "")
    return "S" + hashlib.sha256(raw.encode()).hexdigest()[:31]


def iban_hash(iban: str) -> str:
    return hashlib.sha256("".join(iban.split()).upper().encode()).hexdigest()


def record(payment: PaymentRecord) -> tuple[PaymentRecord, bool]:
    """Stores the payment once; (the stored record, True) or (the one stored before, False)."""
    try:
        payment.save(condition=PaymentRecord.PK.does_not_exist())
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return get(payment.payment_id), False
        raise
    return payment, True


def new_payment(payment_id: str, at: datetime, **fields: Any) -> PaymentRecord:
    return PaymentRecord(f"PAYMENT#{payment_id}", "PAYMENT", payment_id=payment_id, created_at=at.isoformat(), updated_at=at.isoformat(), **fields)


def get(payment_id: str) -> PaymentRecord:
    return PaymentRecord.get(f"PAYMENT#{payment_id}", "PAYMENT", consistent_read=True)


def find(payment_id: str) -> PaymentRecord | None:
    try:
        return get(payment_id)
    except DoesNotExist:
        return None


def booked_transition(payment_id: str, from_statuses: tuple[str, ...], customer_id: str, allocations: list[dict[str, str]], unallocated: str, at: datetime, confidence: str | None, reasons: list[str], decided_by: str | None, note: str | None):
    """A transaction step for ledger.book: the payment becomes BOOKED (and leaves the queue)."""

    def add(transaction: TransactWrite) -> None:
        actions = [
            PaymentRecord.status.set("BOOKED"),
            PaymentRecord.customer_id.set(customer_id),
            PaymentRecord.allocations_json.set(json.dumps(allocations)),
            PaymentRecord.unallocated.set(unallocated),
            PaymentRecord.reasons.set(reasons),
            PaymentRecord.updated_at.set(at.isoformat()),
            PaymentRecord.GSI1PK.remove(),
            PaymentRecord.GSI1SK.remove(),
        ]
        if confidence:
            actions.append(PaymentRecord.confidence.set(confidence))
        if decided_by:
            actions += [PaymentRecord.decided_by.set(decided_by), PaymentRecord.decided_at.set(at.isoformat())]
        if note:
            actions.append(PaymentRecord.note.set(note))
        transaction.update(PaymentRecord(f"PAYMENT#{payment_id}", "PAYMENT"), actions=actions, condition=PaymentRecord.status.is_in(*from_statuses))

    return add


def reversed_transition(payment_id: str, reason: str, at: datetime):
    def add(transaction: TransactWrite) -> None:
        transaction.update(
            PaymentRecord(f"PAYMENT#{payment_id}", "PAYMENT"),
            actions=[PaymentRecord.status.set("REVERSED"), PaymentRecord.reversed_at.set(at.isoformat()), PaymentRecord.reversal_reason.set(reason), PaymentRecord.updated_at.set(at.isoformat())],
            condition=PaymentRecord.status == "BOOKED",
        )

    return add


def to_suspense(payment_id: str, confidence: str, reasons: list[str], suggestion: dict | None, at: datetime, received_on: str) -> None:
    PaymentRecord(f"PAYMENT#{payment_id}", "PAYMENT").update(
        actions=[
            PaymentRecord.status.set("SUSPENSE"),
            PaymentRecord.confidence.set(confidence),
            PaymentRecord.reasons.set(reasons),
            PaymentRecord.suggestion_json.set(json.dumps(suggestion) if suggestion else None),
            PaymentRecord.updated_at.set(at.isoformat()),
            PaymentRecord.GSI1PK.set(SUSPENSE_QUEUE),
            PaymentRecord.GSI1SK.set(f"{received_on}#{at.isoformat()}#{payment_id}"),
        ],
        condition=PaymentRecord.status == "RECEIVED",
    )


def mark_ignored(payment_id: str, reason: str, at: datetime) -> None:
    PaymentRecord(f"PAYMENT#{payment_id}", "PAYMENT").update(
        actions=[PaymentRecord.status.set("IGNORED"), PaymentRecord.reasons.set([reason]), PaymentRecord.updated_at.set(at.isoformat())], condition=PaymentRecord.status == "RECEIVED"
    )


def suspense() -> list[PaymentRecord]:
    return list(PaymentRecord.work_list.query(SUSPENSE_QUEUE))


def hand_over_for_refund(payment: PaymentRecord, by: str, note: str | None, at: datetime) -> RefundHandover:
    """SUSPENSE -> MISTAKEN_TO_REFUND and the hand-over record, in one transaction."""
    handover = RefundHandover(
        f"REFUNDHANDOVER#{payment.payment_id}", "HANDOVER",
        payment_id=payment.payment_id, amount=payment.amount, reason="mistaken_payment",
        counterparty_name=payment.debtor_name, counterparty_iban=payment.debtor_iban,
        original_reference=payment.structured_reference or payment.free_text, received_on=payment.received_on,
        requested_by=by, requested_at=at.isoformat(), note=note,
        GSI1PK=HANDOVER_QUEUE, GSI1SK=f"{at.isoformat()}#{payment.payment_id}",
    )
    try:
        with TransactWrite(connection=transaction_connection()) as transaction:
            transaction.update(
                PaymentRecord(payment.PK, "PAYMENT"),
                actions=[
                    PaymentRecord.status.set("MISTAKEN_TO_REFUND"), PaymentRecord.decided_by.set(by), PaymentRecord.decided_at.set(at.isoformat()),
                    PaymentRecord.note.set(note), PaymentRecord.updated_at.set(at.isoformat()), PaymentRecord.GSI1PK.remove(), PaymentRecord.GSI1SK.remove(),
                ],
                condition=PaymentRecord.status == "SUSPENSE",
            )
            transaction.save(handover, condition=RefundHandover.PK.does_not_exist())
    except TransactWriteError as exc:
        raise AlreadyDecided(payment.payment_id) from exc
    return handover


def handovers() -> list[RefundHandover]:
    return list(RefundHandover.work_list.query(HANDOVER_QUEUE))


def get_handover(payment_id: str) -> RefundHandover | None:
    try:
        return RefundHandover.get(f"REFUNDHANDOVER#{payment_id}", "HANDOVER", consistent_read=True)
    except DoesNotExist:
        return None


def remember_iban(iban: str, customer_id: str, source: str, at: datetime) -> None:
    KnownIban(f"IBANHASH#{iban_hash(iban)}", f"CUSTOMER#{customer_id}", source=source, at=at.isoformat()).save()


def customers_of_iban(iban: str) -> list[str]:
    return [item.SK.removeprefix("CUSTOMER#") for item in KnownIban.query(f"IBANHASH#{iban_hash(iban)}")]


def record_import(account_iban: str, statement_id: str, kind: str, message_id: str, by: str, counts: dict[str, int], at: datetime) -> None:
    StatementImport(f"STATEMENT#{account_iban}#{statement_id}", f"IMPORT#{at.isoformat()}", kind=kind, message_id=message_id, imported_by=by, counts_json=json.dumps(counts, sort_keys=True), at=at.isoformat()).save()


def imports_of(account_iban: str, statement_id: str) -> list[StatementImport]:
    return list(StatementImport.query(f"STATEMENT#{account_iban}#{statement_id}"))
