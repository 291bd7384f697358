"""Enrollments, their audit trail, EAN index items, and the customers/contracts they create.

Keys (docs/data-model.md):
  ENROLLMENT#<id> / ENROLLMENT            the enrollment (request, status, history, block reasons)
  ENROLLMENT#<id> / AUDIT#<at>#<n>        who did what, when
  EAN#<ean>       / ENROLLMENT#<id>       an open enrollment holds this EAN (deleted when it closes)
  EAN#<ean>       / CONTRACT#<id>         our contract supplies this EAN
  CUSTOMER#<id>   / CUSTOMER              the customer created at confirmation
  CUSTOMER#<id>   / CONTRACT#<id>         the contract, with its delivery points and first advance
  DSO#REQUEST#<enrollment id> / DSO       a validation request waiting for the grid operator
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import date, datetime, timedelta
from typing import Any

from pynamodb.attributes import BooleanAttribute, ListAttribute, MapAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from wattdesk.stores.base import WattDeskItem, transaction_connection

OPEN_STATUSES = ("RECEIVED", "VALIDATING", "BLOCKED", "AWAITING_CUSTOMER", "AWAITING_DSO")
CLOSED_STATUSES = ("CONFIRMED", "REJECTED", "CANCELLED")


class EnrollmentNotFound(LookupError):
    pass


class NotParked(RuntimeError):
    """The enrollment is not waiting at the step the caller expected (already resumed or moved on)."""


class EnrollmentRecord(WattDeskItem):
    status = UnicodeAttribute()
    channel = UnicodeAttribute()
    language = UnicodeAttribute()
    request_json = UnicodeAttribute()
    status_token_hash = UnicodeAttribute()
    history = ListAttribute(of=MapAttribute, default=list)
    block_reasons = ListAttribute(of=MapAttribute, default=list)
    requested_fields = ListAttribute(default=list)
    fix_token_hash = UnicodeAttribute(null=True)
    task_token = UnicodeAttribute(null=True)
    parked_at_step = UnicodeAttribute(null=True)
    cancel_requested = BooleanAttribute(default=False)
    escalated = BooleanAttribute(default=False)
    waiting_since = UnicodeAttribute(null=True)
    decision_reason = UnicodeAttribute(null=True)
    customer_id = UnicodeAttribute(null=True)
    contract_id = UnicodeAttribute(null=True)
    contract_document_key = UnicodeAttribute(null=True)
    first_advance = UnicodeAttribute(null=True)
    eav = MapAttribute(null=True)
    failure = MapAttribute(null=True)
    confirmed_at = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()

    @staticmethod
    def key(enrollment_id: str) -> tuple[str, str]:
        return f"ENROLLMENT#{enrollment_id}", "ENROLLMENT"

    @property
    def enrollment_id(self) -> str:
        return self.PK.removeprefix("ENROLLMENT#")

    @property
    def request(self) -> dict[str, Any]:
        return json.loads(self.request_json)


class AuditEntry(WattDeskItem):
    at = UnicodeAttribute()
    actor = UnicodeAttribute()
    action = UnicodeAttribute()
    details = UnicodeAttribute(default="{}")


class EanClaim(WattDeskItem):
    """EAN#<ean> / ENROLLMENT#<id> or CONTRACT#<id>."""

    holder_status = UnicodeAttribute(default="OPEN")


class CustomerRecord(WattDeskItem):
    customer_type = UnicodeAttribute()
    first_name = UnicodeAttribute()
    last_name = UnicodeAttribute()
    company_name = UnicodeAttribute(null=True)
    vat_number = UnicodeAttribute(null=True)
    email = UnicodeAttribute()
    phone = UnicodeAttribute()
    language = UnicodeAttribute()
    correspondence_address = MapAttribute(null=True)
    referral_code = UnicodeAttribute()
    created_from = UnicodeAttribute()
    created_at = UnicodeAttribute()


class ContractRecord(WattDeskItem):
    contract_id = UnicodeAttribute()
    status = UnicodeAttribute()
    product_code = UnicodeAttribute()
    start_date = UnicodeAttribute()
    billing_frequency = UnicodeAttribute()
    payment = MapAttribute()
    supply_address = MapAttribute()
    delivery_points = ListAttribute(of=MapAttribute)
    first_advance = UnicodeAttribute()
    # Set when the customer or an operator changes the advance (billing issue); else first_advance.
    advance_amount = UnicodeAttribute(null=True)
    # Product changes: [{"product_code", "from", "asked_at", "by"}], oldest first.
    product_history = ListAttribute(of=MapAttribute, default=list)
    enrollment_id = UnicodeAttribute()
    created_at = UnicodeAttribute()
    ended_on = UnicodeAttribute(null=True)


class DsoRequest(WattDeskItem):
    enrollment_id = UnicodeAttribute()
    task_token = UnicodeAttribute()
    status = UnicodeAttribute(default="PENDING")
    eans = ListAttribute(default=list)
    requested_at = UnicodeAttribute()
    answered_at = UnicodeAttribute(null=True)


def person_key(email: str) -> str:
    return "PERSON#" + hashlib.sha256(email.strip().lower().encode()).hexdigest()


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _queue_keys(status: str, at: str) -> dict[str, str]:
    return {"GSI1PK": f"QUEUE#ENROLLMENT#{status}", "GSI1SK": at}


# ------------------------------------------------------------------ enrollments
def create(enrollment_id: str, request: dict[str, Any], status_token: str, at: datetime) -> EnrollmentRecord:
    """Stores a new enrollment and its EAN claims in one transaction (all or nothing)."""
    now = at.isoformat()
    pk, sk = EnrollmentRecord.key(enrollment_id)
    record = EnrollmentRecord(
        pk,
        sk,
        status="RECEIVED",
        channel=request["channel"],
        language=request["customer"]["language"],
        request_json=json.dumps(request, sort_keys=True),
        status_token_hash=hash_token(status_token),
        history=[{"at": now, "status": "RECEIVED"}],
        created_at=now,
        updated_at=now,
        # Duplicate suspicion looks enrollments up by person; the key is a hash, not the address.
        GSI2PK=person_key(request["customer"]["email"]),
        GSI2SK=f"ENROLLMENT#{enrollment_id}",
        **_queue_keys("RECEIVED", now),
    )
    claims = [
        EanClaim(f"EAN#{point['ean']}", f"ENROLLMENT#{enrollment_id}")
        for point in request["delivery_points"]
        if point.get("ean")
    ]
    with TransactWrite(connection=transaction_connection()) as transaction:
        transaction.save(record, condition=EnrollmentRecord.PK.does_not_exist())
        for claim in claims:
            transaction.save(claim)
    return record


def get(enrollment_id: str) -> EnrollmentRecord:
    try:
        return EnrollmentRecord.get(*EnrollmentRecord.key(enrollment_id), consistent_read=True)
    except DoesNotExist as exc:
        raise EnrollmentNotFound(enrollment_id) from exc


def set_status(record: EnrollmentRecord, status: str, at: datetime, note: str | None = None, **changes: Any) -> None:
    """Moves the enrollment to a status; the customer-visible history gets a line."""
    now = at.isoformat()
    actions = [EnrollmentRecord.updated_at.set(now)]
    if status != record.status or note:
        entry = {"at": now, "status": status, **({"note": note} if note else {})}
        actions.append(EnrollmentRecord.history.set(EnrollmentRecord.history.append([entry])))
    if status != record.status:
        actions += [
            EnrollmentRecord.status.set(status),
            EnrollmentRecord.GSI1PK.set(f"QUEUE#ENROLLMENT#{status}"),
            EnrollmentRecord.GSI1SK.set(now),
        ]
    for name, value in changes.items():
        attribute = getattr(EnrollmentRecord, name)
        actions.append(attribute.remove() if value is None else attribute.set(value))
    record.update(actions=actions)
    if status in CLOSED_STATUSES:
        release_ean_claims(record)


def release_ean_claims(record: EnrollmentRecord) -> None:
    for point in record.request["delivery_points"]:
        if point.get("ean"):
            EanClaim(f"EAN#{point['ean']}", f"ENROLLMENT#{record.enrollment_id}").delete()


def replace_request(record: EnrollmentRecord, request: dict[str, Any], at: datetime) -> None:
    """A correction: the request changes, EAN claims follow it."""
    release_ean_claims(record)
    record.update(actions=[EnrollmentRecord.request_json.set(json.dumps(request, sort_keys=True)), EnrollmentRecord.updated_at.set(at.isoformat())])
    for point in request["delivery_points"]:
        if point.get("ean"):
            EanClaim(f"EAN#{point['ean']}", f"ENROLLMENT#{record.enrollment_id}").save()


def park(record: EnrollmentRecord, step: str, task_token: str, status: str, at: datetime, **changes: Any) -> None:
    set_status(record, status, at, task_token=task_token, parked_at_step=step, waiting_since=at.isoformat(), escalated=False, **changes)


def take_task_token(enrollment_id: str, steps: tuple[str, ...]) -> tuple[EnrollmentRecord, str]:
    """Claims the parked token exactly once: a double click or a retried request resumes once."""
    record = get(enrollment_id)
    token = record.task_token
    if token is None or record.parked_at_step not in steps:
        raise NotParked(enrollment_id)
    try:
        record.update(
            actions=[EnrollmentRecord.task_token.remove(), EnrollmentRecord.parked_at_step.remove()],
            condition=EnrollmentRecord.task_token == token,
        )
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            raise NotParked(enrollment_id) from exc
        raise
    return record, token


def request_cancel(enrollment_id: str) -> None:
    record = get(enrollment_id)
    record.update(actions=[EnrollmentRecord.cancel_requested.set(True)], condition=EnrollmentRecord.status.is_in(*OPEN_STATUSES))


def queue(status: str) -> list[EnrollmentRecord]:
    """Enrollments in a status, escalated first, then oldest first."""
    records = list(EnrollmentRecord.work_list.query(f"QUEUE#ENROLLMENT#{status}"))
    return sorted(records, key=lambda r: (not r.escalated, r.waiting_since or r.created_at))


def audit(enrollment_id: str, actor: str, action: str, at: datetime, **details: Any) -> None:
    AuditEntry(
        f"ENROLLMENT#{enrollment_id}", f"AUDIT#{at.isoformat()}#{uuid.uuid4().hex[:8]}", at=at.isoformat(), actor=actor, action=action, details=json.dumps(details, sort_keys=True, default=str)
    ).save()


def audit_trail(enrollment_id: str) -> list[AuditEntry]:
    return list(AuditEntry.query(f"ENROLLMENT#{enrollment_id}", AuditEntry.SK.startswith("AUDIT#")))


# ------------------------------------------------------------------ look-ups for the rules
def ean_holders(ean: str) -> list[str]:
    """Open enrollments and contracts holding the EAN. The EAN# partition also holds the EAN's
    readings and supply history (stores/readings): those hold nothing."""
    return [claim.SK for prefix in ("CONTRACT#", "ENROLLMENT#") for claim in EanClaim.query(f"EAN#{ean}", EanClaim.SK.startswith(prefix), consistent_read=True)]


def open_enrollments_of(email: str) -> list[str]:
    """Ids of open enrollments by the same person (e-mail)."""
    found = []
    for key in EnrollmentRecord.lookup.query(person_key(email)):
        enrollment_id = key.PK.removeprefix("ENROLLMENT#")
        if get(enrollment_id).status in OPEN_STATUSES:
            found.append(enrollment_id)
    return found


# ------------------------------------------------------------------ DSO requests
def save_dso_request(enrollment_id: str, eans: list[str], task_token: str, at: datetime) -> None:
    DsoRequest(
        f"DSO#REQUEST#{enrollment_id}", "DSO", enrollment_id=enrollment_id, task_token=task_token, eans=eans, requested_at=at.isoformat(), GSI1PK="QUEUE#DSO#PENDING", GSI1SK=at.isoformat()
    ).save()


def pending_dso_requests() -> list[DsoRequest]:
    return list(DsoRequest.work_list.query("QUEUE#DSO#PENDING"))


def claim_dso_request(enrollment_id: str, at: datetime) -> DsoRequest | None:
    """Marks the request answered once; None when it was answered already (a repeated sweep)."""
    try:
        request = DsoRequest.get(f"DSO#REQUEST#{enrollment_id}", "DSO", consistent_read=True)
        request.update(
            actions=[DsoRequest.status.set("ANSWERED"), DsoRequest.answered_at.set(at.isoformat()), DsoRequest.GSI1PK.remove(), DsoRequest.GSI1SK.remove()],
            condition=DsoRequest.status == "PENDING",
        )
    except DoesNotExist:
        return None
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return None
        raise
    return request


# ------------------------------------------------------------------ customers and contracts
def create_customer_and_contract(customer: CustomerRecord, contract: ContractRecord, eans: list[str]) -> bool:
    """All or nothing, and only once: False when a replay finds them created already."""
    try:
        with TransactWrite(connection=transaction_connection()) as transaction:
            transaction.save(customer, condition=CustomerRecord.PK.does_not_exist())
            transaction.save(contract, condition=ContractRecord.PK.does_not_exist())
            for ean in eans:
                transaction.save(EanClaim(f"EAN#{ean}", f"CONTRACT#{contract.contract_id}", holder_status="ACTIVE"))
    except TransactWriteError as exc:
        if any(reason is not None and reason.code == "ConditionalCheckFailed" for reason in exc.cancellation_reasons or []):
            return False
        raise
    return True


CONTRACT_SHARDS = 10


def contract_shard_key(contract_id: str) -> str:
    """Contracts are listed through GSI1 over ten partitions, so a large billing run does not
    read one hot partition."""
    return f"CONTRACTS#{int(contract_id.replace('-', '')[:8], 16) % CONTRACT_SHARDS}"


def _contracts_over_shards(range_key_condition: Any = None) -> list[ContractRecord]:
    found: list[ContractRecord] = []
    for shard in range(CONTRACT_SHARDS):
        found.extend(ContractRecord.work_list.query(f"CONTRACTS#{shard}", range_key_condition))
    return sorted(found, key=lambda contract: (contract.start_date, contract.contract_id))


def all_contracts() -> list[ContractRecord]:
    return _contracts_over_shards()


def contracts_started_by(day: date) -> list[ContractRecord]:
    """Contracts whose supply started on or before ``day`` (GSI1SK is ``start_date#contract_id``):
    a sweep for anniversaries reads only the contracts old enough to have one."""
    return _contracts_over_shards(ContractRecord.GSI1SK < (day + timedelta(days=1)).isoformat())


def get_customer(customer_id: str) -> CustomerRecord:
    return CustomerRecord.get(f"CUSTOMER#{customer_id}", "CUSTOMER", consistent_read=True)


def contracts_of_customer(customer_id: str, consistent: bool = False) -> list[ContractRecord]:
    return list(ContractRecord.query(f"CUSTOMER#{customer_id}", ContractRecord.SK.startswith("CONTRACT#"), consistent_read=consistent))


def get_contract(customer_id: str, contract_id: str) -> ContractRecord:
    return ContractRecord.get(f"CUSTOMER#{customer_id}", f"CONTRACT#{contract_id}", consistent_read=True)


def change_advance(customer_id: str, contract_id: str, amount: str, actor: str, reason: str | None, at: datetime) -> ContractRecord:
    """The next advance invoices use `amount`; the change and who made it are audited."""
    contract = get_contract(customer_id, contract_id)
    previous = contract.advance_amount or contract.first_advance
    contract.update(actions=[ContractRecord.advance_amount.set(amount)])
    AuditEntry(
        f"CUSTOMER#{customer_id}", f"AUDIT#{at.isoformat()}#{uuid.uuid4().hex[:8]}", at=at.isoformat(), actor=actor, action="advance_changed",
        details=json.dumps({"contract_id": contract_id, "from": previous, "to": amount, "reason": reason}, sort_keys=True),
    ).save()
    return get_contract(customer_id, contract_id)


def change_product(customer_id: str, contract_id: str, current_code: str, new_code: str, effective: str, first_advance: str, actor: str, reason: str | None, at: datetime) -> ContractRecord:
    """Switches the contract's product from `effective` on, only if it still has `current_code`
    (two concurrent changes cannot both apply); the computed advance follows the new product and
    a customer-chosen advance is dropped. Audited."""
    contract = get_contract(customer_id, contract_id)
    entry = {"product_code": new_code, "from": effective, "asked_at": at.isoformat(), "by": actor, "previous": current_code}
    contract.update(
        actions=[
            ContractRecord.product_code.set(new_code),
            ContractRecord.first_advance.set(first_advance),
            ContractRecord.advance_amount.remove(),
            ContractRecord.product_history.set((ContractRecord.product_history | []).append([entry])),
        ],
        condition=ContractRecord.product_code == current_code,
    )
    AuditEntry(
        f"CUSTOMER#{customer_id}", f"AUDIT#{at.isoformat()}#{uuid.uuid4().hex[:8]}", at=at.isoformat(), actor=actor, action="product_changed",
        details=json.dumps({"contract_id": contract_id, "from": current_code, "to": new_code, "effective": effective, "reason": reason}, sort_keys=True),
    ).save()
    return get_contract(customer_id, contract_id)


def customer_audit_entry(customer_id: str, actor: str, action: str, at: datetime, **details: Any) -> AuditEntry:
    """An entry of the customer's audit trail, to be written in the caller's transaction."""
    return AuditEntry(
        f"CUSTOMER#{customer_id}", f"AUDIT#{at.isoformat()}#{uuid.uuid4().hex[:8]}", at=at.isoformat(), actor=actor, action=action,
        details=json.dumps(details, sort_keys=True, default=str),
    )


def customer_audit(customer_id: str) -> list[AuditEntry]:
    return list(AuditEntry.query(f"CUSTOMER#{customer_id}", AuditEntry.SK.startswith("AUDIT#")))


def end_contract(customer_id: str, contract_id: str, status: str, on: str, eans: list[str]) -> None:
    get_contract(customer_id, contract_id).update(actions=[ContractRecord.status.set(status), ContractRecord.ended_on.set(on)])
    for ean in eans:
        EanClaim(f"EAN#{ean}", f"CONTRACT#{contract_id}").delete()


def referral_owner_customer(code: str) -> CustomerRecord | None:
    for key in CustomerRecord.lookup.query(f"REFERRAL#{code.strip().upper()}"):
        return CustomerRecord.get(key.PK, "CUSTOMER")
    return None


def referral_owner(code: str) -> str | None:
    for key in CustomerRecord.lookup.query(f"REFERRAL#{code.upper()}"):
        return CustomerRecord.get(key.PK, "CUSTOMER").email.lower()
    return None



# ------------------------------------------------------------------ readings and settlement (#6): added
def set_computed_advance(customer_id: str, contract_id: str, amount: str, actor: str, reason: str, at: datetime) -> ContractRecord:
    """Settlement (#6): the computed advance follows the actual consumption; a customer-chosen
    advance is dropped (the customer may choose again within the new bounds). Audited."""
    contract = get_contract(customer_id, contract_id)
    previous = contract.advance_amount or contract.first_advance
    contract.update(actions=[ContractRecord.first_advance.set(amount), ContractRecord.advance_amount.remove()])
    AuditEntry(
        f"CUSTOMER#{customer_id}", f"AUDIT#{at.isoformat()}#{uuid.uuid4().hex[:8]}", at=at.isoformat(), actor=actor, action="advance_recomputed",
        details=json.dumps({"contract_id": contract_id, "from": previous, "to": amount, "reason": reason}, sort_keys=True),
    ).save()
    return get_contract(customer_id, contract_id)


def add_contract_to_customer(contract: ContractRecord, eans: list[str]) -> bool:
    """Moves (#6): a move-in contract of an existing customer, with its EAN claims; only once."""
    try:
        with TransactWrite(connection=transaction_connection()) as transaction:
            transaction.save(contract, condition=ContractRecord.PK.does_not_exist())
            for ean in eans:
                transaction.save(EanClaim(f"EAN#{ean}", f"CONTRACT#{contract.contract_id}", holder_status="ACTIVE"))
    except TransactWriteError as exc:
        if any(reason is not None and reason.code == "ConditionalCheckFailed" for reason in exc.cancellation_reasons or []):
            return False
        raise
    return True
