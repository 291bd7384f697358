"""SEPA Core mandates and direct-debit collections: attempts, pain.008 batches, R-transactions.

Keys (docs/data-model.md):
  CUSTOMER#<id> / MANDATE#<reference>           a mandate with its history (created, amended,
                                                revoked, suspended); one ACTIVE at a time
  MANDATEREF#<reference> / MANDATEREF           keeps mandate references unique
  DDCOLLECT#<invoice number> / ATTEMPT#<n>      one presentation of an invoice (created once:
                                                "PK does not exist"); GSI1 DDATTEMPTS#<status> /
                                                <date>#<end-to-end id> while PRENOTIFIED (date =
                                                submission day) or SUBMITTED (date = collection day);
                                                GSI2 DDE2E#<end-to-end id> / ATTEMPT
  DDBATCH#<message id> / BATCH                  one pain.008 file (S3 key, count, sum); GSI1 DDBATCHES
  DDPMTINF#<payment information id> / BATCH     the bank's batch credit -> our batch
  DDRETURN#<end-to-end id> / RETURN             an R-transaction, handled once
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal

from pynamodb.attributes import BooleanAttribute, ListAttribute, MapAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from wattdesk.domain.direct_debit import consecutive_failures
from wattdesk.domain.iban import mask_iban
from wattdesk.stores.base import WattDeskItem, plain, transaction_connection
from wattdesk.stores.enrollments import ContractRecord


class MandateRecord(WattDeskItem):
    reference = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    iban = UnicodeAttribute()
    account_holder = UnicodeAttribute()
    signed_on = UnicodeAttribute()
    status = UnicodeAttribute()  # ACTIVE | REVOKED | SUSPENDED
    scheme = UnicodeAttribute(default="CORE")
    settled_collections = NumberAttribute(default=0)  # under the current IBAN (FRST when 0)
    last_collected_on = UnicodeAttribute(null=True)
    consecutive_failures = NumberAttribute(default=0)
    # Collections under the current account, in the order of their dates: {"key": "<date>#<e2e>",
    # "result": "collected" | "failed" | "excused"} (domain/direct_debit.consecutive_failures).
    outcomes = ListAttribute(of=MapAttribute, default=list)
    source = UnicodeAttribute()  # enrollment | portal | ops
    history = ListAttribute(of=MapAttribute, default=list)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()


class MandateReference(WattDeskItem):
    customer_id = UnicodeAttribute()


class CollectionAttempt(WattDeskItem):
    invoice_number = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    attempt = NumberAttribute()
    end_to_end_id = UnicodeAttribute()
    status = UnicodeAttribute()  # PRENOTIFIED | SUBMITTED | COLLECTED | REJECTED | RETURNED | CANCELLED
    amount = UnicodeAttribute()  # pre-notified; never more is collected
    due_date = UnicodeAttribute()
    notified_on = UnicodeAttribute()
    collection_date = UnicodeAttribute()
    submission_date = UnicodeAttribute()
    mandate_reference = UnicodeAttribute()
    sequence_type = UnicodeAttribute(null=True)
    collected_amount = UnicodeAttribute(null=True)
    batch_id = UnicodeAttribute(null=True)
    payment_id = UnicodeAttribute(null=True)
    return_reason = UnicodeAttribute(null=True)
    returned_on = UnicodeAttribute(null=True)
    represent = BooleanAttribute(null=True)  # after a failure: presented again?
    pay_by = UnicodeAttribute(null=True)  # after a failure without re-presentation: transfer due date
    cancel_reason = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()


class DirectDebitBatch(WattDeskItem):
    message_id = UnicodeAttribute()
    submission_date = UnicodeAttribute()
    document_key = UnicodeAttribute()
    count = NumberAttribute()
    total = UnicodeAttribute()
    payment_info_ids = ListAttribute(default=list)
    end_to_end_ids = ListAttribute(default=list)
    created_at = UnicodeAttribute()


class PaymentInfoIndex(WattDeskItem):
    batch_id = UnicodeAttribute()


class ReturnRecord(WattDeskItem):
    end_to_end_id = UnicodeAttribute()
    reason_code = UnicodeAttribute()
    amount = UnicodeAttribute()
    returned_on = UnicodeAttribute()
    source = UnicodeAttribute()  # camt054 | camt053 | csv
    outcome = UnicodeAttribute(null=True)
    at = UnicodeAttribute()


class ReferenceTaken(Exception):
    pass


# ------------------------------------------------------------------ mandates
def _history(action: str, by: str, at: datetime, **details: str | None) -> dict:
    return {"at": at.isoformat(), "action": action, "by": by, **{key: value for key, value in details.items() if value is not None}}


def mandates_of(customer_id: str) -> list[MandateRecord]:
    return sorted(MandateRecord.query(f"CUSTOMER#{customer_id}", MandateRecord.SK.startswith("MANDATE#")), key=lambda m: m.created_at)


def current(customer_id: str) -> MandateRecord | None:
    """The mandate in force (ACTIVE), else the latest suspended one, else None."""
    found = mandates_of(customer_id)
    for status in ("ACTIVE", "SUSPENDED"):
        matching = [m for m in found if m.status == status]
        if matching:
            return matching[-1]
    return None


def get_mandate(customer_id: str, reference: str) -> MandateRecord:
    return MandateRecord.get(f"CUSTOMER#{customer_id}", f"MANDATE#{reference}", consistent_read=True)


def create(customer_id: str, reference: str, iban: str, holder: str, signed_on: date, source: str, by: str, at: datetime) -> MandateRecord:
    """A new ACTIVE mandate; ReferenceTaken when the reference exists (a replay or a clash)."""
    mandate = MandateRecord(
        f"CUSTOMER#{customer_id}", f"MANDATE#{reference}", reference=reference, customer_id=customer_id, iban=iban, account_holder=holder,
        signed_on=signed_on.isoformat(), status="ACTIVE", source=source, created_at=at.isoformat(), updated_at=at.isoformat(),
        history=[_history("created", by, at, iban=mask_iban(iban), source=source)],
    )
    try:
        with TransactWrite(connection=transaction_connection()) as transaction:
            transaction.save(MandateReference(f"MANDATEREF#{reference}", "MANDATEREF", customer_id=customer_id), condition=MandateReference.PK.does_not_exist())
            transaction.save(mandate, condition=MandateRecord.PK.does_not_exist())
    except TransactWriteError as exc:
        raise ReferenceTaken(reference) from exc
    return mandate


def amend(mandate: MandateRecord, iban: str, holder: str, by: str, at: datetime) -> MandateRecord:
    """Same mandate, another account or holder; a new account starts over with FRST."""
    changed_account = iban != mandate.iban
    entry = _history("amended", by, at, iban_from=mask_iban(mandate.iban), iban_to=mask_iban(iban), holder_changed="yes" if holder != mandate.account_holder else None)
    actions = [MandateRecord.iban.set(iban), MandateRecord.account_holder.set(holder), MandateRecord.updated_at.set(at.isoformat()), MandateRecord.history.set((mandate.history or []) + [entry])]
    if changed_account:
        actions += [MandateRecord.settled_collections.set(0), MandateRecord.consecutive_failures.set(0), MandateRecord.outcomes.set([])]
    mandate.update(actions=actions)
    return mandate


def set_status(mandate: MandateRecord, status: str, action: str, by: str, at: datetime, reason: str | None = None) -> MandateRecord:
    entry = _history(action, by, at, reason=reason)
    mandate.update(actions=[MandateRecord.status.set(status), MandateRecord.updated_at.set(at.isoformat()), MandateRecord.history.set((mandate.history or []) + [entry])])
    return mandate


def outcomes_of(mandate: MandateRecord) -> list[tuple[str, str]]:
    return [(plain(item)["key"], plain(item)["result"]) for item in mandate.outcomes or []]


def _with_outcome(mandate: MandateRecord, key: str, result: str) -> list[dict]:
    kept = [{"key": k, "result": r} for k, r in outcomes_of(mandate) if k != key]
    return sorted([*kept, {"key": key, "result": result}], key=lambda item: item["key"])[-24:]


def record_collected(mandate: MandateRecord, on: date, end_to_end_id: str, at: datetime) -> None:
    outcomes = _with_outcome(mandate, f"{on.isoformat()}#{end_to_end_id}", "collected")
    failures = consecutive_failures([(item["key"], item["result"]) for item in outcomes])
    mandate.update(actions=[
        MandateRecord.settled_collections.add(1), MandateRecord.last_collected_on.set(on.isoformat()), MandateRecord.outcomes.set(outcomes),
        MandateRecord.consecutive_failures.set(failures), MandateRecord.updated_at.set(at.isoformat()),
    ])


def record_failure(mandate: MandateRecord, on: date, end_to_end_id: str, result: str, at: datetime, code: str) -> list[tuple[str, str]]:
    """A failed collection (``result`` failed or excused) in the mandate's history; returns the
    history. A reject before settlement was never counted as settled, so a rejected first
    collection stays FRST."""
    outcomes = _with_outcome(mandate, f"{on.isoformat()}#{end_to_end_id}", result)
    history = (mandate.history or []) + [_history("collection_failed", "bank", at, reason=code, end_to_end_id=end_to_end_id)]
    mandate.update(actions=[MandateRecord.outcomes.set(outcomes), MandateRecord.updated_at.set(at.isoformat()), MandateRecord.history.set(history)])
    return [(item["key"], item["result"]) for item in outcomes]


def set_failures(mandate: MandateRecord, failures: int) -> None:
    mandate.update(actions=[MandateRecord.consecutive_failures.set(failures)])


def contracts_of(customer_id: str) -> list[ContractRecord]:
    return list(ContractRecord.query(f"CUSTOMER#{customer_id}", ContractRecord.SK.startswith("CONTRACT#")))


def set_payment_method(customer_id: str, method: str, iban: str | None, holder: str | None) -> None:
    """The payment method on every contract of the customer (billing reads it for the QR code
    and the invoice mail)."""
    for contract in contracts_of(customer_id):
        if contract.status in ("ENDED", "WITHDRAWN", "CANCELLED"):
            continue
        contract.update(actions=[ContractRecord.payment.set({"method": method, "iban": iban, "account_holder": holder})])


def payment_of(contract: ContractRecord) -> dict:
    return plain(contract.payment) or {}


# ------------------------------------------------------------------ collection attempts
def _attempt_key(invoice_number: str, attempt: int) -> tuple[str, str]:
    return f"DDCOLLECT#{invoice_number}", f"ATTEMPT#{attempt:02d}"


def attempts_of(invoice_number: str) -> list[CollectionAttempt]:
    return sorted(CollectionAttempt.query(f"DDCOLLECT#{invoice_number}", CollectionAttempt.SK.startswith("ATTEMPT#")), key=lambda a: int(a.attempt))


def new_attempt(invoice_number: str, customer_id: str, attempt: int, end_to_end_id: str, amount: Decimal, due_date: date, notified_on: date, collection: date, submission: date, mandate_reference: str, at: datetime) -> CollectionAttempt | None:
    """Creates the attempt once; None when it exists already (a re-run of the same day)."""
    item = CollectionAttempt(
        *_attempt_key(invoice_number, attempt), invoice_number=invoice_number, customer_id=customer_id, attempt=attempt, end_to_end_id=end_to_end_id,
        status="PRENOTIFIED", amount=f"{amount:.2f}", due_date=due_date.isoformat(), notified_on=notified_on.isoformat(), collection_date=collection.isoformat(),
        submission_date=submission.isoformat(), mandate_reference=mandate_reference, created_at=at.isoformat(), updated_at=at.isoformat(),
        GSI1PK="DDATTEMPTS#PRENOTIFIED", GSI1SK=f"{submission.isoformat()}#{end_to_end_id}", GSI2PK=f"DDE2E#{end_to_end_id}", GSI2SK="ATTEMPT",
    )
    try:
        item.save(condition=CollectionAttempt.PK.does_not_exist())
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return None
        raise
    return item


def attempts_in(status: str, up_to: date) -> list[CollectionAttempt]:
    """Attempts of a status whose work-list date (submission / collection day) is <= up_to."""
    return list(CollectionAttempt.work_list.query(f"DDATTEMPTS#{status}", CollectionAttempt.GSI1SK <= f"{up_to.isoformat()}#~"))


def attempt_by_end_to_end(end_to_end_id: str) -> CollectionAttempt | None:
    for key in CollectionAttempt.lookup.query(f"DDE2E#{end_to_end_id}"):
        return CollectionAttempt.get(key.PK, key.SK, consistent_read=True)
    return None


def move(attempt: CollectionAttempt, from_status: str, to_status: str, at: datetime, work_date: str | None = None, **changes) -> bool:
    """Conditional status change; False when another run moved it first."""
    actions = [CollectionAttempt.status.set(to_status), CollectionAttempt.updated_at.set(at.isoformat())]
    if work_date:
        actions += [CollectionAttempt.GSI1PK.set(f"DDATTEMPTS#{to_status}"), CollectionAttempt.GSI1SK.set(f"{work_date}#{attempt.end_to_end_id}")]
    else:
        actions += [CollectionAttempt.GSI1PK.remove(), CollectionAttempt.GSI1SK.remove()]
    for name, value in changes.items():
        attribute = getattr(CollectionAttempt, name)
        actions.append(attribute.set(value) if value is not None else attribute.remove())
    try:
        attempt.update(actions=actions, condition=CollectionAttempt.status == from_status)
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


# ------------------------------------------------------------------ batches and returns
def save_batch(message_id: str, submission: date, key: str, end_to_end_ids: list[str], total: Decimal, payment_info_ids: list[str], at: datetime) -> DirectDebitBatch:
    batch = DirectDebitBatch(
        f"DDBATCH#{message_id}", "BATCH", message_id=message_id, submission_date=submission.isoformat(), document_key=key, count=len(end_to_end_ids), total=f"{total:.2f}",
        payment_info_ids=payment_info_ids, end_to_end_ids=end_to_end_ids, created_at=at.isoformat(), GSI1PK="DDBATCHES", GSI1SK=f"{submission.isoformat()}#{message_id}",
    )
    batch.save()
    for pmtinf in payment_info_ids:
        PaymentInfoIndex(f"DDPMTINF#{pmtinf}", "BATCH", batch_id=message_id).save()
    return batch


def find_batch(message_id: str) -> DirectDebitBatch | None:
    try:
        return DirectDebitBatch.get(f"DDBATCH#{message_id}", "BATCH", consistent_read=True)
    except DoesNotExist:
        return None


def batches() -> list[DirectDebitBatch]:
    return list(DirectDebitBatch.work_list.query("DDBATCHES", scan_index_forward=False))


def batch_of_payment_info(payment_info_id: str) -> str | None:
    try:
        return PaymentInfoIndex.get(f"DDPMTINF#{payment_info_id}", "BATCH", consistent_read=True).batch_id
    except DoesNotExist:
        return None


def batches_on(submission: date) -> list[DirectDebitBatch]:
    return list(DirectDebitBatch.work_list.query("DDBATCHES", DirectDebitBatch.GSI1SK.startswith(f"{submission.isoformat()}#")))


def claim_return(end_to_end_id: str, reason_code: str, amount: Decimal, returned_on: date, source: str, at: datetime) -> ReturnRecord | None:
    """The R-transaction once per end-to-end id; None when it was handled already."""
    item = ReturnRecord(f"DDRETURN#{end_to_end_id}", "RETURN", end_to_end_id=end_to_end_id, reason_code=reason_code, amount=f"{amount:.2f}", returned_on=returned_on.isoformat(), source=source, at=at.isoformat())
    try:
        item.save(condition=ReturnRecord.PK.does_not_exist())
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return None
        raise
    return item


def set_return_outcome(item: ReturnRecord, outcome: dict) -> None:
    item.update(actions=[ReturnRecord.outcome.set(json.dumps(outcome, sort_keys=True))])
