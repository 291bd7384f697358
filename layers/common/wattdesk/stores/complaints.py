"""Complaints, their look-up and link items, notes, audit, hand-overs and erasure audit.

Keys (docs/data-model.md, docs/complaints.md):
  COUNTER#COMPLAINT#<year> / COUNTER           last complaint number of the year
  COMPLAINT#<number> / COMPLAINT               the complaint (GSI1 = ops queue, GSI2 = PERSON#<sha256 e-mail>)
  COMPLAINT#<number> / LOOKUP#CUSTOMER         GSI2 = CUSTOMER#<id> / COMPLAINT#<number> (erasure by customer)
  COMPLAINT#<number> / NOTE#<at>#<n>           internal note (a reprimand, never shown to the reporter)
  COMPLAINT#<number> / AUDIT#<at>#<n>          who did what, when (no personal data in the details)
  COMPLAINT#<number> / MAIL#<kind>             mail sent once (stores/sent_mail.py)
  COMPLAINTS#<YYYY-MM> / COMPLAINT#<number>    registered in that month (the report reads it)
  INVOICE#<number> / COMPLAINT#<number>        the complaint is about this invoice; status OPEN/CLOSED
  REMINDER#<ref> / COMPLAINT#<number>          ... about this reminder
  REFUND#<ref> / COMPLAINT#<number>            ... about this refund
  REFUNDREQUEST#COMPLAINT#<number> / REQUEST   compensation paid as a refund: hand-over to the refund workflow
  CONTRACTEND#<contract id> / REQUEST#COMPLAINT#<number>   cancellation: hand-over to contract end / final invoice
  ERASURE#<id> / ERASURE                       an erasure request was carried out (counts only)

Every item of a closed complaint carries ``expires_at`` (closing + 5 years) for DynamoDB TTL;
readers treat an expired item as gone, and the retention sweep deletes it with its attachments.
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any, Iterator

from pynamodb.attributes import BooleanAttribute, ListAttribute, MapAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from wattdesk.stores.base import WattDeskItem, plain, transaction_connection
from wattdesk.stores.enrollments import person_key
from wattdesk.stores.ledger import LedgerEntry

OPEN, CLOSED = "OPEN", "CLOSED"
QUEUE_OPEN, QUEUE_CLOSED = "QUEUE#COMPLAINT#OPEN", "QUEUE#COMPLAINT#CLOSED"
LINK_KINDS = {"invoice_number": "INVOICE", "reminder_reference": "REMINDER", "refund_reference": "REFUND"}


class ComplaintNotFound(LookupError):
    pass


class AlreadyRecorded(RuntimeError):
    """The change was made before (a replayed request): nothing written twice."""


class ComplaintCounter(WattDeskItem):
    last = NumberAttribute(default=0)


class ComplaintRecord(WattDeskItem):
    number = UnicodeAttribute()
    status = UnicodeAttribute()
    channel = UnicodeAttribute()
    nature = UnicodeAttribute()
    language = UnicodeAttribute()
    receiver = UnicodeAttribute()
    registered_at = UnicodeAttribute()
    registered_on = UnicodeAttribute()
    reported_on = UnicodeAttribute()
    arrival_on = UnicodeAttribute()
    deadline = UnicodeAttribute()
    # Personal data: only here (and in the free texts below), never in a key.
    reporter = MapAttribute()
    contact_preference = UnicodeAttribute(default="email")
    description = UnicodeAttribute()
    customer_id = UnicodeAttribute(null=True)
    related = MapAttribute(default=dict)
    links = ListAttribute(default=list)  # "INVOICE#2027-A-000123", ... (verified links only)
    handler = UnicodeAttribute()
    forwarded_on = UnicodeAttribute()
    sla_flag = UnicodeAttribute(null=True)  # due_soon | breached (set by the daily sweep)
    sla_breached = BooleanAttribute(default=False)
    breach_recorded_on = UnicodeAttribute(null=True)
    first_response_on = UnicodeAttribute(null=True)
    feedback = ListAttribute(of=MapAttribute, default=list)
    assessment = UnicodeAttribute(null=True)
    resolutions = ListAttribute(of=MapAttribute, default=list)
    short_description = UnicodeAttribute(null=True)
    summary = UnicodeAttribute(null=True)
    measures = UnicodeAttribute(null=True)
    closed_at = UnicodeAttribute(null=True)
    closed_on = UnicodeAttribute(null=True)
    attachments = ListAttribute(of=MapAttribute, default=list)
    acknowledged_at = UnicodeAttribute(null=True)
    erased_at = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute()

    @staticmethod
    def key(number: str) -> tuple[str, str]:
        return f"COMPLAINT#{number}", "COMPLAINT"


class ComplaintLookup(WattDeskItem):
    """A GSI2 look-up item that points to a complaint (its PK)."""


class MonthEntry(WattDeskItem):
    number = UnicodeAttribute()


class ComplaintLink(WattDeskItem):
    number = UnicodeAttribute()
    status = UnicodeAttribute(default=OPEN)


class ComplaintNote(WattDeskItem):
    kind = UnicodeAttribute()
    text = UnicodeAttribute()
    employee = UnicodeAttribute(null=True)
    actor = UnicodeAttribute()
    at = UnicodeAttribute()


class ComplaintAudit(WattDeskItem):
    at = UnicodeAttribute()
    actor = UnicodeAttribute()
    action = UnicodeAttribute()
    details = UnicodeAttribute(default="{}")


class RefundRequest(WattDeskItem):
    """Hand-over to the refund workflow (which picks REQUESTED ones from its GSI1 queue)."""

    status = UnicodeAttribute()
    reason = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    amount = UnicodeAttribute()
    complaint_number = UnicodeAttribute()
    requested_by = UnicodeAttribute()
    requested_at = UnicodeAttribute()


class ContractEndRequest(WattDeskItem):
    """Hand-over to contract end / final invoice."""

    status = UnicodeAttribute()
    reason = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    contract_id = UnicodeAttribute()
    end_on = UnicodeAttribute()
    exit_fee_waived = BooleanAttribute(default=True)
    complaint_number = UnicodeAttribute()
    requested_by = UnicodeAttribute()
    requested_at = UnicodeAttribute()


class ErasureRecord(WattDeskItem):
    at = UnicodeAttribute()
    actor = UnicodeAttribute()
    request_reference = UnicodeAttribute()
    subject_kinds = ListAttribute(default=list)  # "email", "customer": what identified the person, not the value
    complaints = ListAttribute(default=list)
    attachments_deleted = NumberAttribute(default=0)


# ------------------------------------------------------------------ numbers and creation
def next_number(year: int) -> str:
    """C-<year>-<6 digits>, one counter per year (atomic ADD: two intakes never share a number)."""
    counter = ComplaintCounter(f"COUNTER#COMPLAINT#{year}", "COUNTER")
    counter.update(actions=[ComplaintCounter.last.add(1)])
    return f"C-{year}-{int(counter.last):06d}"


def queue_keys(rank: int, deadline: str, registered_at: str, number: str) -> dict[str, str]:
    return {"GSI1PK": QUEUE_OPEN, "GSI1SK": f"{rank}#{deadline}#{registered_at}#{number}"}


def link_key(kind: str, reference: str) -> str:
    return f"{LINK_KINDS[kind]}#{reference}"


def create(record: ComplaintRecord) -> None:
    """The complaint, its month entry, its look-ups and verified links, all or nothing."""
    items: list[WattDeskItem] = [MonthEntry(f"COMPLAINTS#{record.registered_on[:7]}", f"COMPLAINT#{record.number}", number=record.number)]
    if record.customer_id:
        items.append(_customer_lookup(record.number, record.customer_id))
    for link in record.links:
        items.append(ComplaintLink(link, f"COMPLAINT#{record.number}", number=record.number, status=OPEN))
    with TransactWrite(connection=transaction_connection()) as transaction:
        transaction.save(record, condition=ComplaintRecord.PK.does_not_exist())
        for item in items:
            transaction.save(item)


def _customer_lookup(number: str, customer_id: str) -> ComplaintLookup:
    return ComplaintLookup(f"COMPLAINT#{number}", "LOOKUP#CUSTOMER", GSI2PK=f"CUSTOMER#{customer_id}", GSI2SK=f"COMPLAINT#{number}")


def get(number: str) -> ComplaintRecord:
    try:
        return ComplaintRecord.get(*ComplaintRecord.key(number), consistent_read=True)
    except DoesNotExist as exc:
        raise ComplaintNotFound(number) from exc


def update(record: ComplaintRecord, at: datetime, condition=None, **changes: Any) -> ComplaintRecord:
    actions = [ComplaintRecord.updated_at.set(at.isoformat())]
    for name, value in changes.items():
        attribute = getattr(ComplaintRecord, name)
        actions.append(attribute.remove() if value is None else attribute.set(value))
    try:
        record.update(actions=actions, condition=condition)
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            raise AlreadyRecorded(record.number) from exc
        raise
    return record


def add_link(record: ComplaintRecord, link: str, at: datetime) -> None:
    if link in record.links:
        return
    ComplaintLink(link, f"COMPLAINT#{record.number}", number=record.number, status=record.status).save()
    update(record, at, links=[*record.links, link])


def set_customer(record: ComplaintRecord, customer_id: str, at: datetime) -> None:
    _customer_lookup(record.number, customer_id).save()
    update(record, at, customer_id=customer_id)


# ------------------------------------------------------------------ lists
def open_queue() -> list[ComplaintRecord]:
    """Open complaints in queue order: the sort key starts with the rank the sweep gives."""
    return list(ComplaintRecord.work_list.query(QUEUE_OPEN))


def closed_list(limit: int = 200) -> list[ComplaintRecord]:
    return list(ComplaintRecord.work_list.query(QUEUE_CLOSED, scan_index_forward=False, limit=limit))


def expired_closed(up_to_date: str) -> list[ComplaintRecord]:
    """Closed complaints whose retention ends on or before `up_to_date` (GSI1SK starts with it)."""
    return list(ComplaintRecord.work_list.query(QUEUE_CLOSED, ComplaintRecord.GSI1SK <= f"{up_to_date}~"))


def registered_in(month: str) -> list[ComplaintRecord]:
    numbers = [entry.number for entry in MonthEntry.query(f"COMPLAINTS#{month}", MonthEntry.SK.startswith("COMPLAINT#"))]
    found = []
    for start in range(0, len(numbers), 100):
        found.extend(ComplaintRecord.batch_get([ComplaintRecord.key(number) for number in numbers[start : start + 100]]))
    return sorted(found, key=lambda record: record.number)


# ------------------------------------------------------------------ the collection issue reads these
def _open_link(pk: str, now_epoch: int | None = None) -> bool:
    for link in ComplaintLink.query(pk, ComplaintLink.SK.startswith("COMPLAINT#"), consistent_read=True):
        if link.status == OPEN and (link.expires_at is None or now_epoch is None or link.expires_at > now_epoch):
            return True
    return False


def open_complaint_about(invoice_number: str) -> bool:
    """True while a complaint linked to this invoice is open: collection of the invoice is suspended."""
    return _open_link(f"INVOICE#{invoice_number}")


def open_complaint_about_reminder(reference: str) -> bool:
    return _open_link(f"REMINDER#{reference}")


def open_complaint_about_refund(reference: str) -> bool:
    return _open_link(f"REFUND#{reference}")


# ------------------------------------------------------------------ notes and audit
def _tie_breaker() -> str:
    """Orders entries made at the same (simulated) instant in the order they were written."""
    return f"{time.time_ns():020d}{uuid.uuid4().hex[:4]}"


def add_note(number: str, kind: str, text: str, actor: str, at: datetime, employee: str | None = None, expires_at: int | None = None) -> None:
    ComplaintNote(
        f"COMPLAINT#{number}", f"NOTE#{at.isoformat()}#{_tie_breaker()}", kind=kind, text=text, employee=employee, actor=actor, at=at.isoformat(), expires_at=expires_at
    ).save()


def notes(number: str) -> list[ComplaintNote]:
    return list(ComplaintNote.query(f"COMPLAINT#{number}", ComplaintNote.SK.startswith("NOTE#")))


def audit(number: str, actor: str, action: str, at: datetime, expires_at: int | None = None, **details: Any) -> None:
    ComplaintAudit(
        f"COMPLAINT#{number}", f"AUDIT#{at.isoformat()}#{_tie_breaker()}", at=at.isoformat(), actor=actor, action=action,
        details=json.dumps(details, sort_keys=True, default=str), expires_at=expires_at,
    ).save()


def audit_trail(number: str) -> list[ComplaintAudit]:
    return list(ComplaintAudit.query(f"COMPLAINT#{number}", ComplaintAudit.SK.startswith("AUDIT#")))


# ------------------------------------------------------------------ resolutions with a hand-over
def record_resolution(record: ComplaintRecord, resolution: dict[str, Any], at: datetime) -> None:
    """A resolution without a hand-over (reprimand, explanation, ...)."""
    kinds = [item["kind"] for item in plain(list(record.resolutions))]
    if resolution["kind"] in kinds:
        raise AlreadyRecorded(record.number)
    update(record, at, condition=(ComplaintRecord.status == OPEN) & (ComplaintRecord.updated_at == record.updated_at), resolutions=[*plain(list(record.resolutions)), resolution])


def _transact_resolution(record: ComplaintRecord, resolution: dict[str, Any], handover: WattDeskItem, at: datetime) -> None:
    """The resolution and its hand-over (ledger entry, refund or contract-end request) in one
    transaction; the hand-over's key is deterministic and written only if absent, so a replay
    books nothing twice."""
    resolutions = [*plain(list(record.resolutions)), resolution]
    try:
        with TransactWrite(connection=transaction_connection()) as transaction:
            transaction.update(
                record,
                actions=[ComplaintRecord.resolutions.set(resolutions), ComplaintRecord.updated_at.set(at.isoformat())],
                condition=(ComplaintRecord.status == OPEN) & (ComplaintRecord.updated_at == record.updated_at),
            )
            transaction.save(handover, condition=WattDeskItem.PK.does_not_exist())
    except TransactWriteError as exc:
        if any(reason is not None and reason.code == "ConditionalCheckFailed" for reason in exc.cancellation_reasons or []):
            raise AlreadyRecorded(record.number) from exc
        raise


def compensation_entry(customer_id: str, number: str, amount: Decimal, at: datetime) -> LedgerEntry:
    """The credit on the customer's account: a negative ledger entry whose source names the complaint."""
    return LedgerEntry(
        f"CUSTOMER#{customer_id}",
        f"LEDGER#{at.isoformat()}#COMPENSATION#COMPLAINT#{number}",
        kind="compensation",
        amount=f"{-amount:.2f}",
        invoice_number=None,
        reference=number,
        booked_at=at.isoformat(),
    )


def credit_compensation(record: ComplaintRecord, resolution: dict[str, Any], amount: Decimal, at: datetime) -> LedgerEntry:
    entry = compensation_entry(record.customer_id, record.number, amount, at)
    _transact_resolution(record, {**resolution, "ledger_key": entry.SK}, entry, at)
    return entry


def request_refund(record: ComplaintRecord, resolution: dict[str, Any], amount: Decimal, actor: str, at: datetime) -> RefundRequest:
    request = RefundRequest(
        f"REFUNDREQUEST#COMPLAINT#{record.number}", "REQUEST", status="REQUESTED", reason="complaint_compensation", customer_id=record.customer_id,
        amount=f"{amount:.2f}", complaint_number=record.number, requested_by=actor, requested_at=at.isoformat(),
        GSI1PK="QUEUE#REFUNDREQUEST#REQUESTED", GSI1SK=f"{at.isoformat()}#{record.number}",
    )
    _transact_resolution(record, {**resolution, "handover": f"{request.PK}/{request.SK}"}, request, at)
    return request


def requested_refunds() -> list[RefundRequest]:
    """Refunds decided on complaints that the refund workflow has not taken yet."""
    return list(RefundRequest.work_list.query("QUEUE#REFUNDREQUEST#REQUESTED"))


def request_contract_end(record: ComplaintRecord, resolution: dict[str, Any], contract_id: str, end_on: str, actor: str, at: datetime) -> ContractEndRequest:
    request = ContractEndRequest(
        f"CONTRACTEND#{contract_id}", f"REQUEST#COMPLAINT#{record.number}", status="REQUESTED", reason="complaint_resolution", customer_id=record.customer_id,
        contract_id=contract_id, end_on=end_on, complaint_number=record.number, requested_by=actor, requested_at=at.isoformat(),
        GSI1PK="QUEUE#CONTRACTEND#REQUESTED", GSI1SK=f"{at.isoformat()}#{contract_id}",
    )
    _transact_resolution(record, {**resolution, "handover": f"{request.PK}/{request.SK}"}, request, at)
    return request


def refund_request(number: str) -> RefundRequest | None:
    try:
        return RefundRequest.get(f"REFUNDREQUEST#COMPLAINT#{number}", "REQUEST", consistent_read=True)
    except DoesNotExist:
        return None


# ------------------------------------------------------------------ closing and retention
def items_of(number: str) -> Iterator[WattDeskItem]:
    """Every item whose PK is the complaint's (the complaint, look-ups, notes, audit, mail markers)."""
    yield from _RawItem.query(f"COMPLAINT#{number}", consistent_read=True)


class _RawItem(WattDeskItem):
    """Any item, read for its keys only (deleting or stamping whatever kind it is)."""


def satellite_keys(record: ComplaintRecord) -> list[tuple[str, str]]:
    """Items of the complaint under other partitions: its month entry and its links."""
    keys = [(f"COMPLAINTS#{record.registered_on[:7]}", f"COMPLAINT#{record.number}")]
    keys += [(link, f"COMPLAINT#{record.number}") for link in record.links]
    return keys


def close_links(record: ComplaintRecord) -> None:
    for link in record.links:
        ComplaintLink(link, f"COMPLAINT#{record.number}").update(actions=[ComplaintLink.status.set(CLOSED)])


def stamp_expiry(record: ComplaintRecord, expires_at: int) -> int:
    """expires_at on every item of the complaint (TTL deletes them after it); returns how many."""
    count = 0
    for item in items_of(record.number):
        _RawItem(item.PK, item.SK).update(actions=[WattDeskItem.expires_at.set(expires_at)])
        count += 1
    for pk, sk in satellite_keys(record):
        try:
            _RawItem(pk, sk).update(actions=[WattDeskItem.expires_at.set(expires_at)], condition=WattDeskItem.PK.exists())
            count += 1
        except UpdateError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
    return count


def delete_complaint(record: ComplaintRecord) -> int:
    """Removes every item of the complaint (retention over); returns how many."""
    count = 0
    for pk, sk in satellite_keys(record):
        _RawItem(pk, sk).delete()
        count += 1
    for item in list(items_of(record.number)):
        _RawItem(item.PK, item.SK).delete()
        count += 1
    return count


# ------------------------------------------------------------------ erasure
def numbers_of_person(email: str) -> list[str]:
    return sorted({key.PK.removeprefix("COMPLAINT#") for key in ComplaintRecord.lookup.query(person_key(email), ComplaintRecord.GSI2SK.startswith("COMPLAINT#"))})


def numbers_of_customer(customer_id: str) -> list[str]:
    return sorted({key.PK.removeprefix("COMPLAINT#") for key in ComplaintLookup.lookup.query(f"CUSTOMER#{customer_id}", ComplaintLookup.GSI2SK.startswith("COMPLAINT#"))})


def anonymise(record: ComplaintRecord, replacement: dict[str, Any], at: datetime) -> None:
    """Personal fields replaced, the person's look-up keys removed; categories, dates and
    outcomes (what the report counts) stay as they were."""
    actions = [getattr(ComplaintRecord, name).set(value) for name, value in replacement.items()]
    actions += [ComplaintRecord.GSI2PK.remove(), ComplaintRecord.GSI2SK.remove(), ComplaintRecord.customer_id.remove(), ComplaintRecord.erased_at.set(at.isoformat()), ComplaintRecord.updated_at.set(at.isoformat())]
    record.update(actions=actions)
    try:
        ComplaintLookup(f"COMPLAINT#{record.number}", "LOOKUP#CUSTOMER").delete()
    except DoesNotExist:
        pass
    for note in notes(record.number):
        note.update(actions=[ComplaintNote.text.set("[erased]")])


def save_erasure(erasure_id: str, actor: str, reference: str, kinds: list[str], numbers: list[str], attachments_deleted: int, at: datetime, expires_at: int) -> ErasureRecord:
    record = ErasureRecord(
        f"ERASURE#{erasure_id}", "ERASURE", at=at.isoformat(), actor=actor, request_reference=reference, subject_kinds=kinds, complaints=numbers,
        attachments_deleted=attachments_deleted, expires_at=expires_at, GSI1PK="ERASURES", GSI1SK=at.isoformat(),
    )
    try:
        record.save(condition=ErasureRecord.PK.does_not_exist())
    except PutError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
    return record
