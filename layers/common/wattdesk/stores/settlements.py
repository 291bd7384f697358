"""Settlements (annual and final) of a contract, once per contract and period (#6).

Keys:
  CONTRACT#<id> / SETTLEMENT#<kind>#<settlement date>   one per contract x period: kind
      ``annual`` (date = the anniversary) or ``final`` (date = the contract's end). Started with
      "PK does not exist", so a daily sweep that sees the contract again, a retried task or a
      second move-out request starts nothing twice. GSI1 SETTLEMENTS#<status> / <date>#<id> lists
      them for ops (FAILED ones first of all).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, PutError, UpdateError

from wattdesk.stores.base import WattDeskItem


class SettlementRecord(WattDeskItem):
    contract_id = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    kind = UnicodeAttribute()  # annual | final
    settlement_date = UnicodeAttribute()
    period_start = UnicodeAttribute(null=True)
    period_end = UnicodeAttribute(null=True)
    status = UnicodeAttribute()  # STARTED | ISSUED | DONE | FAILED
    execution = UnicodeAttribute(null=True)
    number = UnicodeAttribute(null=True)
    outcome = UnicodeAttribute(null=True)  # to_pay | refund | nothing
    amount = UnicodeAttribute(null=True)
    estimated = BooleanAttribute(default=False)
    new_advance = UnicodeAttribute(null=True)
    refund_id = UnicodeAttribute(null=True)
    error = UnicodeAttribute(null=True)
    # A disputed estimated settlement: the credit note and the reissued settlement.
    closing_json = UnicodeAttribute(null=True)  # {ean: reading id} of the readings that closed the period
    credit_note = UnicodeAttribute(null=True)
    reissued_as = UnicodeAttribute(null=True)
    # What the cancelled settlement had already moved (a refund paid, a payment received) and was
    # carried onto the reissued one, and what the customer pays (> 0) or gets (< 0) now.
    carried = UnicodeAttribute(null=True)
    difference = UnicodeAttribute(null=True)
    old_refund = UnicodeAttribute(null=True)  # the cancelled settlement's refund: "<id> <status>"
    # Ops re-runs of a FAILED settlement (each a new execution named ...-rerun<n>).
    reruns = NumberAttribute(null=True)
    rerun_by = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()


def key(contract_id: str, kind: str, settlement_date: str) -> tuple[str, str]:
    return f"CONTRACT#{contract_id}", f"SETTLEMENT#{kind}#{settlement_date}"


def start(contract_id: str, customer_id: str, kind: str, settlement_date: str, execution: str, at: datetime) -> bool:
    """True when this call started the settlement; False when it was started before."""
    record = SettlementRecord(
        *key(contract_id, kind, settlement_date), contract_id=contract_id, customer_id=customer_id, kind=kind, settlement_date=settlement_date,
        status="STARTED", execution=execution, created_at=at.isoformat(), updated_at=at.isoformat(), GSI1PK="SETTLEMENTS#STARTED", GSI1SK=f"{settlement_date}#{contract_id}",
    )
    try:
        record.save(condition=SettlementRecord.PK.does_not_exist())
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def get(contract_id: str, kind: str, settlement_date: str) -> SettlementRecord | None:
    try:
        return SettlementRecord.get(*key(contract_id, kind, settlement_date), consistent_read=True)
    except DoesNotExist:
        return None


def of_contract(contract_id: str) -> list[SettlementRecord]:
    return list(SettlementRecord.query(f"CONTRACT#{contract_id}", SettlementRecord.SK.startswith("SETTLEMENT#"), consistent_read=True))


def update(contract_id: str, kind: str, settlement_date: str, at: datetime, **changes: Any) -> SettlementRecord:
    record = SettlementRecord.get(*key(contract_id, kind, settlement_date), consistent_read=True)
    actions = [SettlementRecord.updated_at.set(at.isoformat())]
    for name, value in changes.items():
        attribute = getattr(SettlementRecord, name)
        actions.append(attribute.remove() if value is None else attribute.set(value))
    if "status" in changes:
        actions += [SettlementRecord.GSI1PK.set(f"SETTLEMENTS#{changes['status']}")]
    record.update(actions=actions)
    return record


def by_status(status: str) -> list[SettlementRecord]:
    return list(SettlementRecord.work_list.query(f"SETTLEMENTS#{status}"))


def restart(contract_id: str, kind: str, settlement_date: str, at: datetime, by: str, reason: str | None) -> int | None:
    """FAILED -> STARTED for an ops re-run, conditionally (two operators re-running at once start
    one execution). Returns the re-run's number, or None when the settlement is not FAILED (any more)."""
    record = get(contract_id, kind, settlement_date)
    if record is None or record.status != "FAILED":
        return None
    attempt = int(record.reruns or 0) + 1
    note = (f"re-run {attempt} by {by}" + (f": {reason}" if reason else "") + f" (failed before: {record.error})")[:900]
    try:
        record.update(
            actions=[
                SettlementRecord.status.set("STARTED"), SettlementRecord.GSI1PK.set("SETTLEMENTS#STARTED"), SettlementRecord.reruns.set(attempt),
                SettlementRecord.rerun_by.set(by), SettlementRecord.updated_at.set(at.isoformat()),
                SettlementRecord.error.set(note),
            ],
            condition=SettlementRecord.status == "FAILED",
        )
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return None
        raise
    return attempt
