"""Meter readings and the supply periods of an EAN (readings issue, #6).

Keys (docs/data-model.md, docs/readings-and-settlement.md):
  EAN#<ean> / READING#<date>#<order>#<reading id>   one reading of the EAN's meter (all registers)
      GSI1 QUEUE#READING#IMPLAUSIBLE / <created at>#<id>   while it waits for an operator
      GSI2 READING#<reading id> / READING                   look-up by id
  EAN#<ean> / SUPPLY#<contract id>                   a contract of ours supplied this EAN
                                                     (customer, start, end): DSO messages name an
                                                     EAN only, readings belong to a contract
A reading id is deterministic where the sender can repeat itself (the DSO: EAN, date, kind and
values; an estimation: contract and date), so a repeated message stores nothing new.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, PutError

from wattdesk.stores.base import WattDeskItem

# Readings of one date sort in this order: a removed meter before the new one, a closing before
# the next contract's opening.
KIND_ORDER = {"meter_removed": "1", "closing": "2", "periodic": "3", "opening": "4", "meter_installed": "5"}
IMPLAUSIBLE_QUEUE = "QUEUE#READING#IMPLAUSIBLE"


class ReadingRecord(WattDeskItem):
    reading_id = UnicodeAttribute()
    ean = UnicodeAttribute()
    contract_id = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    reading_date = UnicodeAttribute()
    meter_no = NumberAttribute(default=1)
    values_json = UnicodeAttribute()
    source = UnicodeAttribute()  # customer | dso | operator | estimation
    kind = UnicodeAttribute(default="periodic")
    status = UnicodeAttribute()  # ACCEPTED | IMPLAUSIBLE | REJECTED
    estimated = BooleanAttribute(default=False)
    problems_json = UnicodeAttribute(default="[]")
    reason = UnicodeAttribute(null=True)  # an operator's reading: why
    photo_key = UnicodeAttribute(null=True)
    created_by = UnicodeAttribute()
    created_at = UnicodeAttribute()
    decided_by = UnicodeAttribute(null=True)
    decided_at = UnicodeAttribute(null=True)
    decision_reason = UnicodeAttribute(null=True)

    @property
    def values(self) -> dict[str, int]:
        return {register: int(value) for register, value in json.loads(self.values_json).items()}

    @property
    def problems(self) -> list[dict[str, Any]]:
        return json.loads(self.problems_json)


class SupplyRecord(WattDeskItem):
    contract_id = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    start_date = UnicodeAttribute()
    ended_on = UnicodeAttribute(null=True)


class ReadingNotFound(LookupError):
    pass


class AlreadyDecided(RuntimeError):
    pass


def sort_key(reading_date: str, kind: str, reading_id: str) -> str:
    return f"READING#{reading_date}#{KIND_ORDER.get(kind, '3')}#{reading_id}"


def save(record: ReadingRecord) -> tuple[ReadingRecord, bool]:
    """Stores a new reading once; (the stored reading, False) when its id was stored already."""
    if record.status == "IMPLAUSIBLE":
        record.GSI1PK, record.GSI1SK = IMPLAUSIBLE_QUEUE, f"{record.created_at}#{record.reading_id}"
    record.GSI2PK, record.GSI2SK = f"READING#{record.reading_id}", "READING"
    try:
        record.save(condition=ReadingRecord.PK.does_not_exist())
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return ReadingRecord.get(record.PK, record.SK, consistent_read=True), False
        raise
    return record, True


def new_record(*, reading_id: str, ean: str, contract_id: str, customer_id: str, reading_date: str, values: dict[str, int], source: str, kind: str,
               status: str, created_by: str, at: datetime, meter_no: int = 1, problems: list[dict] | None = None, reason: str | None = None,
               photo_key: str | None = None) -> ReadingRecord:
    return ReadingRecord(
        f"EAN#{ean}", sort_key(reading_date, kind, reading_id), reading_id=reading_id, ean=ean, contract_id=contract_id, customer_id=customer_id,
        reading_date=reading_date, meter_no=meter_no, values_json=json.dumps(values, sort_keys=True), source=source, kind=kind, status=status,
        estimated=source == "estimation", problems_json=json.dumps(problems or []), reason=reason, photo_key=photo_key, created_by=created_by,
        created_at=at.isoformat(),
    )


def of_ean(ean: str) -> list[ReadingRecord]:
    """Every reading of the EAN, oldest first (all contracts, all statuses)."""
    return list(ReadingRecord.query(f"EAN#{ean}", ReadingRecord.SK.startswith("READING#"), consistent_read=True))


def of_contract(ean: str, contract_id: str) -> list[ReadingRecord]:
    return [r for r in of_ean(ean) if r.contract_id == contract_id]


def get(reading_id: str) -> ReadingRecord:
    for key in ReadingRecord.lookup.query(f"READING#{reading_id}"):
        return ReadingRecord.get(key.PK, key.SK, consistent_read=True)
    raise ReadingNotFound(reading_id)


def implausible_queue() -> list[ReadingRecord]:
    return list(ReadingRecord.work_list.query(IMPLAUSIBLE_QUEUE))


def decide(record: ReadingRecord, status: str, by: str, reason: str, at: datetime) -> ReadingRecord:
    """ACCEPTED or REJECTED, once, by an operator; the reading leaves the queue."""
    from pynamodb.exceptions import UpdateError

    try:
        record.update(
            actions=[
                ReadingRecord.status.set(status), ReadingRecord.decided_by.set(by), ReadingRecord.decided_at.set(at.isoformat()),
                ReadingRecord.decision_reason.set(reason), ReadingRecord.GSI1PK.remove(), ReadingRecord.GSI1SK.remove(),
            ],
            condition=ReadingRecord.status == "IMPLAUSIBLE",
        )
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            raise AlreadyDecided(record.reading_id) from exc
        raise
    return record


# ------------------------------------------------------------------ supply periods of an EAN
def register_supply(ean: str, contract_id: str, customer_id: str, start_date: str, ended_on: str | None) -> None:
    SupplyRecord(f"EAN#{ean}", f"SUPPLY#{contract_id}", contract_id=contract_id, customer_id=customer_id, start_date=start_date, ended_on=ended_on).save()


def supplies(ean: str) -> list[SupplyRecord]:
    return list(SupplyRecord.query(f"EAN#{ean}", SupplyRecord.SK.startswith("SUPPLY#"), consistent_read=True))


def get_supply(ean: str, contract_id: str) -> SupplyRecord | None:
    try:
        return SupplyRecord.get(f"EAN#{ean}", f"SUPPLY#{contract_id}", consistent_read=True)
    except DoesNotExist:
        return None
