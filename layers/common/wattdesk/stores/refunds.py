"""Refund records, their status lists, parked task tokens, the credit reservation before the payment
file, the one-file-ever marker per refund and the daily pain.001 batches (issue 8).

Keys (docs/data-model.md, docs/refunds.md):
  REFUND#<id> / REFUND                  the refund; GSI1 REFUNDS#<status> / <since>#<id> (ops list
                                        by status, oldest first); GSI2 CUSTOMERREFUNDS#<customer> /
                                        <id> (the customer's refunds)
  REFUNDFILE#<id> / FILE                the one payment file this refund is in; written with "PK does
                                        not exist" in the same transaction that reserves the credit,
                                        so a refund can never be in two files
  REFUNDBATCH#<message id> / BATCH      one pain.001 file (one per day); GSI1 REFUNDBATCHES / date

The refund id is derived from (source, source id), so asking twice for the same refund is one
refund. Ledger entries of refunds (offsets, payout, return, a complaint's compensation, a mistaken
payment received) are written by ``ledger.book`` together with a conditional status change of the
refund (``transition``), so a replayed step books nothing twice.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from typing import Any

from pynamodb.attributes import ListAttribute, MapAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from wattdesk.stores.base import WattDeskItem, plain, transaction_connection

BATCH_LIST = "REFUNDBATCHES"


class RefundRecord(WattDeskItem):
    refund_id = UnicodeAttribute()
    customer_id = UnicodeAttribute()  # a customer, or PAYER-<payment id> for a mistaken payment's sender
    payee_kind = UnicodeAttribute(default="customer")  # customer | payer
    source = UnicodeAttribute()
    source_id = UnicodeAttribute()
    reason = UnicodeAttribute()
    reference = UnicodeAttribute(null=True)  # invoice / credit / complaint reference for the remittance text
    requested_amount = UnicodeAttribute()
    amount = UnicodeAttribute(null=True)  # what is paid out, after offsets (set by the plan)
    offsets_json = UnicodeAttribute(default="[]")  # [{"invoice_number", "amount"}]
    rolled_over = UnicodeAttribute(null=True)
    status = UnicodeAttribute()
    status_reason = UnicodeAttribute(null=True)
    # The account it is paid to when not the customer's bank account on file (a mistaken payment's
    # sender, an IBAN given with the request or corrected by ops). Never logged in clear.
    iban = UnicodeAttribute(null=True)
    holder = UnicodeAttribute(null=True)
    iban_set_at = UnicodeAttribute(null=True)
    iban_set_by = UnicodeAttribute(null=True)
    excluded_ibans = ListAttribute(default=list)  # transfers to these came back
    # The account the payment file used (frozen when the credit is reserved).
    paid_to_iban = UnicodeAttribute(null=True)
    paid_to_holder = UnicodeAttribute(null=True)
    approval_reasons = ListAttribute(default=list)
    created_by = UnicodeAttribute()
    last_changed_by = UnicodeAttribute()
    decided_by = UnicodeAttribute(null=True)
    decided_at = UnicodeAttribute(null=True)
    decision_reason = UnicodeAttribute(null=True)
    task_token = UnicodeAttribute(null=True)
    token_step = UnicodeAttribute(null=True)  # IBAN | APPROVAL | PAYOUT | BANK
    link_token_hash = UnicodeAttribute(null=True)
    link_round = NumberAttribute(default=0)
    waiting_since = UnicodeAttribute(null=True)  # ISO date the IBAN request went out
    reminded_on = UnicodeAttribute(null=True)
    escalated_on = UnicodeAttribute(null=True)
    batch_id = UnicodeAttribute(null=True)
    sent_on = UnicodeAttribute(null=True)
    paid_on = UnicodeAttribute(null=True)
    returned_on = UnicodeAttribute(null=True)
    return_reason = UnicodeAttribute(null=True)
    follow_up_id = UnicodeAttribute(null=True)
    history = ListAttribute(of=MapAttribute, default=list)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()

    @property
    def offsets(self) -> list[dict[str, str]]:
        return json.loads(self.offsets_json)


class RefundFileMarker(WattDeskItem):
    refund_id = UnicodeAttribute()
    batch_id = UnicodeAttribute()
    at = UnicodeAttribute()


class RefundBatch(WattDeskItem):
    message_id = UnicodeAttribute()
    day = UnicodeAttribute()
    status = UnicodeAttribute()  # CLAIMING | WRITTEN
    document_key = UnicodeAttribute(null=True)
    count = NumberAttribute(default=0)
    total = UnicodeAttribute(default="0.00")
    refund_ids = ListAttribute(default=list)
    created_at = UnicodeAttribute()
    written_at = UnicodeAttribute(null=True)


class StatusChanged(Exception):
    """The refund is no longer in the status the step expects (someone else moved it first)."""


def refund_id_for(source: str, source_id: str) -> str:
    """Deterministic, short and safe as a SEPA end-to-end id (A-Z, 0-9; 18 characters)."""
    return "RF" + hashlib.sha256(f"{source}|{source_id}".encode()).hexdigest()[:16].upper()


def key(refund_id: str) -> tuple[str, str]:
    return (f"REFUND#{refund_id}", "REFUND")


def _list_keys(status: str, since: str, refund_id: str) -> dict[str, str]:
    return {"GSI1PK": f"REFUNDS#{status}", "GSI1SK": f"{since}#{refund_id}"}


def _entry(status: str, at: datetime, by: str, note: str | None = None) -> dict[str, str]:
    item = {"at": at.isoformat(), "status": status, "by": by}
    if note:
        item["note"] = note
    return item


def new_refund(refund_id: str, at: datetime, customer_id: str, by: str, **fields: Any) -> RefundRecord:
    return RefundRecord(
        *key(refund_id), refund_id=refund_id, customer_id=customer_id, status="REQUESTED", created_by=by, last_changed_by=by,
        history=[_entry("REQUESTED", at, by)], created_at=at.isoformat(), updated_at=at.isoformat(),
        GSI2PK=f"CUSTOMERREFUNDS#{customer_id}", GSI2SK=refund_id, **_list_keys("REQUESTED", at.isoformat(), refund_id), **fields,
    )


def create_step(refund: RefundRecord):
    """A transaction step: the refund is written once ("PK does not exist")."""

    def add(transaction: TransactWrite) -> None:
        transaction.save(refund, condition=RefundRecord.PK.does_not_exist())

    return add


def create(refund: RefundRecord) -> bool:
    try:
        refund.save(condition=RefundRecord.PK.does_not_exist())
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def get(refund_id: str) -> RefundRecord:
    return RefundRecord.get(*key(refund_id), consistent_read=True)


def find(refund_id: str) -> RefundRecord | None:
    try:
        return get(refund_id)
    except DoesNotExist:
        return None


def _transition_actions(status: str, at: datetime, by: str, note: str | None, changes: dict[str, Any]) -> list:
    actions = [
        RefundRecord.status.set(status),
        RefundRecord.updated_at.set(at.isoformat()),
        RefundRecord.history.set(RefundRecord.history.append([_entry(status, at, by, note)])),
        RefundRecord.GSI1PK.set(f"REFUNDS#{status}"),
    ]
    for name, value in changes.items():
        attribute = getattr(RefundRecord, name)
        actions.append(attribute.remove() if value is None else attribute.set(value))
    return actions


def transition_step(refund_id: str, from_statuses: tuple[str, ...], status: str, at: datetime, by: str, note: str | None = None, **changes: Any):
    """A transaction step (for ledger.book's ``also``): the status changes only from ``from_statuses``."""

    def add(transaction: TransactWrite) -> None:
        record = RefundRecord(*key(refund_id))
        actions = _transition_actions(status, at, by, note, changes)
        actions.append(RefundRecord.GSI1SK.set(f"{at.isoformat()}#{refund_id}"))
        transaction.update(record, actions=actions, condition=RefundRecord.status.is_in(*from_statuses))

    return add


def transition(refund_id: str, from_statuses: tuple[str, ...], status: str, at: datetime, by: str, note: str | None = None, **changes: Any) -> RefundRecord:
    """Moves the refund to ``status`` only if it is in one of ``from_statuses``; StatusChanged otherwise."""
    record = RefundRecord(*key(refund_id))
    actions = _transition_actions(status, at, by, note, changes)
    actions.append(RefundRecord.GSI1SK.set(f"{at.isoformat()}#{refund_id}"))
    try:
        record.update(actions=actions, condition=RefundRecord.status.is_in(*from_statuses))
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            raise StatusChanged(refund_id) from exc
        raise
    return get(refund_id)


def update(refund_id: str, expected_status: str, **changes: Any) -> RefundRecord:
    """Field changes without a status change, only while the refund has ``expected_status``."""
    record = RefundRecord(*key(refund_id))
    actions = [getattr(RefundRecord, name).remove() if value is None else getattr(RefundRecord, name).set(value) for name, value in changes.items()]
    try:
        record.update(actions=actions, condition=RefundRecord.status == expected_status)
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            raise StatusChanged(refund_id) from exc
        raise
    return get(refund_id)


# ------------------------------------------------------------------ task tokens
def park(refund_id: str, step: str, status: str, task_token: str) -> bool:
    """Stores the execution's task token while the refund is in ``status``; False when the refund
    moved on before the execution got here (the caller then resumes at once)."""
    try:
        RefundRecord(*key(refund_id)).update(
            actions=[RefundRecord.task_token.set(task_token), RefundRecord.token_step.set(step)], condition=RefundRecord.status == status
        )
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def take_token(refund_id: str, step: str) -> str | None:
    """Claims the parked token of ``step`` exactly once (None: nothing parked, or taken already)."""
    record = find(refund_id)
    if record is None or not record.task_token or record.token_step != step:
        return None
    token = record.task_token
    try:
        RefundRecord(*key(refund_id)).update(
            actions=[RefundRecord.task_token.remove(), RefundRecord.token_step.remove()],
            condition=RefundRecord.task_token == token,
        )
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return None
        raise
    return token


def put_back_token(refund_id: str, step: str, token: str) -> bool:
    """A taken token whose answer failed goes back (unless another was parked meanwhile)."""
    try:
        RefundRecord(*key(refund_id)).update(
            actions=[RefundRecord.task_token.set(token), RefundRecord.token_step.set(step)], condition=RefundRecord.task_token.does_not_exist()
        )
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


# ------------------------------------------------------------------ lists
def with_status(status: str) -> list[RefundRecord]:
    return list(RefundRecord.work_list.query(f"REFUNDS#{status}"))


def changed_since(status: str, since: str) -> list[RefundRecord]:
    """Refunds that reached ``status`` at or after ``since`` (ISO instant)."""
    return list(RefundRecord.work_list.query(f"REFUNDS#{status}", RefundRecord.GSI1SK >= since))


def of_customer(customer_id: str) -> list[RefundRecord]:
    found = [get(item.PK.removeprefix("REFUND#")) for item in RefundRecord.lookup.query(f"CUSTOMERREFUNDS#{customer_id}")]
    return sorted(found, key=lambda r: r.created_at)


# ------------------------------------------------------------------ payment files
def file_marker_step(refund_id: str, batch_id: str, at: datetime):
    """A transaction step: this refund is in file ``batch_id`` and no other, ever."""

    def add(transaction: TransactWrite) -> None:
        transaction.save(RefundFileMarker(f"REFUNDFILE#{refund_id}", "FILE", refund_id=refund_id, batch_id=batch_id, at=at.isoformat()), condition=RefundFileMarker.PK.does_not_exist())

    return add


def file_of(refund_id: str) -> str | None:
    try:
        return RefundFileMarker.get(f"REFUNDFILE#{refund_id}", "FILE", consistent_read=True).batch_id
    except DoesNotExist:
        return None


def batch_id_for(day: date) -> str:
    return f"WD-RF-{day:%Y%m%d}"


def batch(message_id: str) -> RefundBatch | None:
    try:
        return RefundBatch.get(f"REFUNDBATCH#{message_id}", "BATCH", consistent_read=True)
    except DoesNotExist:
        return None


def open_batch(message_id: str, day: date, at: datetime) -> RefundBatch:
    """The day's batch, created once (CLAIMING until its file is written)."""
    record = RefundBatch(f"REFUNDBATCH#{message_id}", "BATCH", message_id=message_id, day=day.isoformat(), status="CLAIMING", created_at=at.isoformat(), GSI1PK=BATCH_LIST, GSI1SK=f"{day.isoformat()}#{message_id}")
    try:
        record.save(condition=RefundBatch.PK.does_not_exist())
    except PutError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        return batch(message_id)
    return record


def close_batch(message_id: str, document_key: str, refund_ids: list[str], total: str, at: datetime) -> None:
    RefundBatch(f"REFUNDBATCH#{message_id}", "BATCH").update(
        actions=[
            RefundBatch.status.set("WRITTEN"), RefundBatch.document_key.set(document_key), RefundBatch.refund_ids.set(refund_ids),
            RefundBatch.count.set(len(refund_ids)), RefundBatch.total.set(total), RefundBatch.written_at.set(at.isoformat()),
        ],
        condition=RefundBatch.status == "CLAIMING",
    )


def batches() -> list[RefundBatch]:
    return list(RefundBatch.work_list.query(BATCH_LIST))


def in_batch(message_id: str) -> list[RefundRecord]:
    """The refunds reserved for a batch (SENT, or already further), from the file markers' view."""
    return [record for status in ("SENT", "PAID", "RETURNED") for record in with_status(status) if record.batch_id == message_id]


def history_of(record: RefundRecord) -> list[dict[str, Any]]:
    return [plain(item) for item in record.history or []]


def was_transaction_conflict(exc: TransactWriteError) -> bool:
    codes = [reason.code if reason is not None else None for reason in exc.cancellation_reasons or []]
    return "ConditionalCheckFailed" in codes or "TransactionConflict" in codes


# ------------------------------------------------------------------ hand-overs taken (issue 7 and 9 records)
def take_payment_handover(payment_id: str, refund_id: str, at: datetime) -> bool:
    """The mistaken payment's hand-over (stores/payments.RefundHandover) is taken by refund
    ``refund_id``: PENDING -> TAKEN and off the hand-over queue. False when taken already."""
    from wattdesk.stores.payments import RefundHandover

    try:
        RefundHandover(f"REFUNDHANDOVER#{payment_id}", "HANDOVER").update(
            actions=[RefundHandover.status.set("TAKEN"), RefundHandover.note.set(f"refund {refund_id} ({at.isoformat()})"), RefundHandover.GSI1PK.remove(), RefundHandover.GSI1SK.remove()],
            condition=RefundHandover.status == "PENDING",
        )
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def take_complaint_request(complaint_number: str, refund_id: str, at: datetime) -> bool:
    """The complaint's compensation hand-over (stores/complaints.RefundRequest) is taken by refund
    ``refund_id``: REQUESTED -> TAKEN and off its queue. False when taken already."""
    from wattdesk.stores.complaints import RefundRequest

    try:
        RefundRequest(f"REFUNDREQUEST#COMPLAINT#{complaint_number}", "REQUEST").update(
            actions=[RefundRequest.status.set("TAKEN"), RefundRequest.GSI1PK.remove(), RefundRequest.GSI1SK.remove()],
            condition=RefundRequest.status == "REQUESTED",
        )
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True
