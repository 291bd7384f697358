"""Meter readings: intake from the customer, the DSO and operators, the ops queue of implausible
readings, history, and the closing readings a settlement needs (actual or estimated). Rules in
domain/readings.py; storage in stores/readings.py."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import unquote_plus

from wattdesk import clock
from wattdesk.adapters import documents
from wattdesk.adapters.aws import client
from wattdesk.domain import readings as rules
from wattdesk.domain.ean import validate_ean
from wattdesk.domain.errors import DomainError
from wattdesk.stores import enrollments as contracts
from wattdesk.stores import readings as store
from wattdesk.stores.base import plain

ACTIVE_STATUSES = ("CONFIRMED", "ACTIVE")
# An actual reading up to this many days before the settlement date closes the period (the DSO
# reads meters in the weeks before; customers are asked to read on the date itself).
CLOSING_WINDOW_DAYS = 14
MAX_PHOTO_BYTES = 5 * 1024 * 1024
PHOTO_TYPES = {"image/jpeg": "jpg", "image/png": "png"}


class ContractNotFound(LookupError):
    """No contract of ours supplies this EAN (for this customer) on that date."""


class NoOpeningReading(RuntimeError):
    """The DSO's opening reading of the contract has not arrived: nothing can be settled yet."""


# ------------------------------------------------------------------ contracts and their points
def _points(contract: contracts.ContractRecord) -> list[dict[str, Any]]:
    return plain(list(contract.delivery_points))


def point_of(contract: contracts.ContractRecord, ean: str) -> dict[str, Any]:
    for point in _points(contract):
        if point.get("ean") == ean:
            return point
    raise ContractNotFound(ean)


def _covers(start: str, ended_on: str | None, day: date) -> bool:
    return date.fromisoformat(start) <= day and (ended_on is None or day <= date.fromisoformat(ended_on))


def register_supplies(contract: contracts.ContractRecord) -> None:
    """Remembers which EANs the contract supplies (EAN -> contract for the DSO's messages)."""
    customer_id = contract.PK.removeprefix("CUSTOMER#")
    for point in _points(contract):
        if point.get("ean"):
            known = store.get_supply(point["ean"], contract.contract_id)
            if known is None or known.ended_on != contract.ended_on:
                store.register_supply(point["ean"], contract.contract_id, customer_id, contract.start_date, contract.ended_on)


def customer_contract_for(customer_id: str, ean: str, day: date | None = None) -> contracts.ContractRecord:
    """The customer's contract on this EAN (covering ``day`` when given; else the latest)."""
    found = [
        c for c in contracts.contracts_of_customer(customer_id, consistent=True)
        if any(p.get("ean") == ean for p in _points(c)) and c.status in (*ACTIVE_STATUSES, "ENDED")
    ]
    if day is not None:
        found = [c for c in found if _covers(c.start_date, c.ended_on, day)]
    if not found:
        raise ContractNotFound(ean)
    return max(found, key=lambda c: c.start_date)


def contract_for_ean(ean: str, day: date, kind: str) -> contracts.ContractRecord:
    """The contract a DSO reading belongs to: on a move date two contracts touch the EAN, the
    opening reading goes to the one starting, the closing reading to the one ending."""
    candidates = store.supplies(ean)
    if not any(_covers(s.start_date, s.ended_on, day) for s in candidates):
        # Not seen yet (created since the last daily sweep): look it up once, then remember it.
        for contract in contracts.all_contracts():
            if any(p.get("ean") == ean for p in _points(contract)):
                register_supplies(contract)
        candidates = store.supplies(ean)
    matching = [s for s in candidates if _covers(s.start_date, s.ended_on, day)]
    if kind == "opening":
        matching = [s for s in matching if s.start_date == day.isoformat()] or matching
    elif kind == "closing":
        matching = [s for s in matching if s.ended_on == day.isoformat()] or matching
    else:
        inside = [s for s in matching if s.start_date < day.isoformat() and (s.ended_on is None or s.ended_on > day.isoformat())]
        matching = inside or matching
    if not matching:
        raise ContractNotFound(ean)
    chosen = max(matching, key=lambda s: s.start_date) if kind != "closing" else min(matching, key=lambda s: s.start_date)
    return contracts.get_contract(chosen.customer_id, chosen.contract_id)


# ------------------------------------------------------------------ the rules' view of stored readings
def as_reading(record: store.ReadingRecord) -> rules.Reading:
    return rules.Reading(date.fromisoformat(record.reading_date), record.values, int(record.meter_no), record.source, record.kind, record.estimated)


def accepted(ean: str, contract_id: str) -> list[store.ReadingRecord]:
    return [r for r in store.of_contract(ean, contract_id) if r.status == "ACCEPTED"]


def previous_actual(ean: str, contract_id: str, day: date) -> store.ReadingRecord | None:
    """The last accepted actual (not estimated) reading of the contract on or before ``day``."""
    found = [r for r in accepted(ean, contract_id) if not r.estimated and date.fromisoformat(r.reading_date) <= day]
    return found[-1] if found else None


def current_meter(ean: str, contract_id: str, day: date) -> int:
    found = [int(r.meter_no) for r in accepted(ean, contract_id) if date.fromisoformat(r.reading_date) <= day]
    return max(found, default=1)


def _reading_date(text: str, today: date, start: date, field: str = "reading_date") -> date:
    try:
        day = date.fromisoformat(text)
    except (TypeError, ValueError) as exc:
        raise DomainError("reading.date", "The reading date is written YYYY-MM-DD.", field) from exc
    if day > today:
        raise DomainError("reading.date_future", "A meter reading cannot be dated in the future.", field)
    if day < start:
        raise DomainError("reading.date_before_contract", f"Your contract on this meter starts on {start.isoformat()}.", field)
    return day


def view(record: store.ReadingRecord) -> dict[str, Any]:
    return {
        "reading_id": record.reading_id,
        "ean": record.ean,
        "contract_id": record.contract_id,
        "reading_date": record.reading_date,
        "source": record.source,
        "kind": record.kind,
        "meter_no": int(record.meter_no),
        "estimated": record.estimated,
        "status": record.status,
        "registers": [{"register": register, "value_kwh": str(value)} for register, value in record.values.items()],
        "problems": record.problems,
        "reason": record.reason,
        "decision_reason": record.decision_reason,
        "has_photo": bool(record.photo_key),
        "created_at": record.created_at,
    }


def _store_photo(photo: dict[str, Any] | None) -> str | None:
    if not photo:
        return None
    content_type = photo.get("content_type")
    if content_type not in PHOTO_TYPES:
        raise DomainError("reading.photo_type", "A meter photo is a JPEG or PNG image.", "photo.content_type")
    try:
        content = base64.b64decode(photo.get("data_base64") or "", validate=True)
    except ValueError as exc:
        raise DomainError("reading.photo", "The photo is sent as base64.", "photo.data_base64") from exc
    if not content or len(content) > MAX_PHOTO_BYTES:
        raise DomainError("reading.photo_size", "The photo is empty or larger than 5 MB.", "photo.data_base64")
    return documents.store_document("readings", f"meter-photo.{PHOTO_TYPES[content_type]}", content, content_type)


# ------------------------------------------------------------------ intake
def submit_customer(customer_id: str, ean: str, body: dict[str, Any], *, actor: str, operator_reason: str | None = None) -> dict[str, Any]:
    """A reading from the customer's portal (or an operator on the customer's behalf, with a
    reason): checked for plausibility; an implausible one is stored as such, with its problems,
    and waits in the ops queue. Operators' readings are accepted (their problems kept for the record)."""
    now, today = clock.now(), clock.today_in_brussels()
    ean = validate_ean(ean)
    day_text = body.get("reading_date") or today.isoformat()
    try:
        contract = customer_contract_for(customer_id, ean, date.fromisoformat(day_text) if isinstance(day_text, str) and len(day_text) == 10 else today)
    except ValueError as exc:
        raise DomainError("reading.date", "The reading date is written YYYY-MM-DD.", "reading_date") from exc
    register_supplies(contract)
    point = point_of(contract, ean)
    start = date.fromisoformat(contract.start_date)
    day = _reading_date(day_text, today, start)
    if day == start:
        raise DomainError("reading.opening_from_dso", "The reading at the start of supply comes from the grid operator.", "reading_date")
    values = rules.parse_values(point["meter_type"], body.get("registers") or [])
    meter_no = current_meter(ean, contract.contract_id, day)
    previous = previous_actual(ean, contract.contract_id, day)
    problems = rules.check_plausibility(
        values, day, as_reading(previous) if previous else None, eav_kwh=int(point.get("eav_kwh") or 0), energy=point["energy"], meter_type=point["meter_type"], meter_no=meter_no
    )
    by_operator = operator_reason is not None
    if by_operator and not operator_reason.strip():
        raise DomainError("reading.reason_required", "An operator's reading needs a reason.", "reason")
    photo_key = _store_photo(body.get("photo"))
    record = store.new_record(
        reading_id=str(uuid.uuid4()), ean=ean, contract_id=contract.contract_id, customer_id=customer_id, reading_date=day.isoformat(), values=values,
        source="operator" if by_operator else "customer", kind="periodic", status="ACCEPTED" if by_operator or not problems else "IMPLAUSIBLE",
        created_by=actor, at=now, meter_no=meter_no, problems=[p.as_dict() for p in problems], reason=operator_reason, photo_key=photo_key,
    )
    record, _ = store.save(record)
    return view(record)


def dso_reading_id(message: dict[str, Any]) -> str:
    raw = f"{message['ean']}|{message['reading_date']}|{message.get('kind', 'periodic')}|{sorted((r['register'], r['value_kwh']) for r in message['registers'])}"
    return "dso-" + hashlib.sha256(raw.encode()).hexdigest()[:24]


def submit_dso(messages: list[dict[str, Any]]) -> dict[str, Any]:
    """The DSO's readings (a bulk file or one message per EAN): each
    ``{"ean", "reading_date", "kind": periodic|opening|closing|meter_change, "registers": [...]}``;
    a meter change gives ``removed_registers`` (old meter) and ``registers`` (new meter). The DSO
    validated them: they are accepted as sent. A repeated message stores nothing new."""
    now = clock.now()
    stored, repeated, refused = 0, 0, []
    for index, message in enumerate(messages):
        try:
            ean = validate_ean(str(message.get("ean", "")))
            kind = message.get("kind", "periodic")
            if kind not in ("periodic", "opening", "closing", "meter_change"):
                raise DomainError("reading.kind", f"unknown reading kind {kind!r}", "kind")
            day = date.fromisoformat(str(message.get("reading_date")))
            contract = contract_for_ean(ean, day, kind)
            point = point_of(contract, ean)
            customer_id = contract.PK.removeprefix("CUSTOMER#")
            meter_no = current_meter(ean, contract.contract_id, day)
            pieces = []
            if kind == "meter_change":
                removed = rules.parse_values(point["meter_type"], message.get("removed_registers") or [], "removed_registers")
                pieces.append(("meter_removed", removed, meter_no, "removed"))
                pieces.append(("meter_installed", rules.parse_values(point["meter_type"], message.get("registers") or []), meter_no + 1, "installed"))
            else:
                pieces.append((kind, rules.parse_values(point["meter_type"], message.get("registers") or []), meter_no, ""))
            for piece_kind, values, number, suffix in pieces:
                record = store.new_record(
                    reading_id=dso_reading_id(message) + suffix, ean=ean, contract_id=contract.contract_id, customer_id=customer_id, reading_date=day.isoformat(),
                    values=values, source="dso", kind=piece_kind, status="ACCEPTED", created_by="dso", at=now, meter_no=number,
                )
                _, new = store.save(record)
                stored, repeated = stored + new, repeated + (not new)
        except (DomainError, ContractNotFound, ValueError, KeyError, TypeError) as exc:
            refused.append({"index": index, "ean": message.get("ean"), "error": getattr(exc, "code", type(exc).__name__), "message": str(getattr(exc, "message", exc))})
    return {"stored": stored, "repeated": repeated, "refused": refused}


DSO_INCOMING_PREFIX = "dso-readings/incoming/"
DSO_REPORT_PREFIX = "dso-readings/reports/"
DSO_FILE_MAX_BYTES = 20 * 1024 * 1024


def submit_dso_file(bucket: str, raw_key: str) -> dict[str, Any]:
    """A DSO bulk file (CSV, ``domain.readings.parse_dso_csv``) dropped under
    ``dso-readings/incoming/``: every reading goes through ``submit_dso`` (same validation, stored
    once: a file dropped again stores nothing new). The outcome per line is written next to it,
    ``dso-readings/reports/<file name>.json``, for ops."""
    key = unquote_plus(raw_key)
    if not key.startswith(DSO_INCOMING_PREFIX) or key.endswith("/"):
        return {"file": key, "ignored": True}
    s3 = client("s3")
    content = s3.get_object(Bucket=bucket, Key=key)["Body"].read(DSO_FILE_MAX_BYTES + 1)
    name = key.removeprefix(DSO_INCOMING_PREFIX)
    report: dict[str, Any] = {"file": key, "received_at": clock.now().isoformat(), "stored": 0, "repeated": 0, "readings": 0, "refused": []}
    try:
        if len(content) > DSO_FILE_MAX_BYTES:
            raise DomainError("dso_file.too_large", f"At most {DSO_FILE_MAX_BYTES // (1024 * 1024)} MB per file.", "file")
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise DomainError("dso_file.encoding", "The file is not UTF-8 text.", "file") from exc
        messages, refused_lines = rules.parse_dso_csv(text)
        result = submit_dso(messages)
        refused = list(refused_lines)
        for problem in result["refused"]:
            for line in messages[problem["index"]]["lines"]:
                refused.append({"line": line, "code": problem["error"], "message": problem["message"]})
        report.update(stored=result["stored"], repeated=result["repeated"], readings=len(messages), refused=sorted(refused, key=lambda r: r["line"]))
    except DomainError as exc:
        report["refused"] = [{"line": None, "code": exc.code, "message": exc.message}]
    s3.put_object(Bucket=bucket, Key=f"{DSO_REPORT_PREFIX}{name}.json", Body=json.dumps(report, indent=1).encode(), ContentType="application/json")
    return report


def history(customer_id: str, ean: str) -> dict[str, Any]:
    ean = validate_ean(ean)
    mine = {c.contract_id for c in contracts.contracts_of_customer(customer_id)}
    records = [r for r in store.of_ean(ean) if r.contract_id in mine and r.customer_id == customer_id]
    if not records and not _owns(customer_id, ean):
        raise ContractNotFound(ean)
    return {"ean": ean, "readings": [view(r) for r in reversed(records)]}


def _owns(customer_id: str, ean: str) -> bool:
    try:
        customer_contract_for(customer_id, ean)
        return True
    except ContractNotFound:
        return False


def queue(status: str) -> dict[str, Any]:
    if status != "IMPLAUSIBLE":
        raise DomainError("reading.queue_status", "The ops queue lists IMPLAUSIBLE readings.", "status")
    return {"items": [view(r) for r in store.implausible_queue()]}


def decide(reading_id: str, decision: str, reason: str, operator: str) -> dict[str, Any]:
    if decision not in ("accept", "reject"):
        raise DomainError("reading.decision", "The decision is accept or reject.", "decision")
    if not (reason or "").strip():
        raise DomainError("reading.reason_required", "A decision needs a reason.", "reason")
    record = store.get(reading_id)
    record = store.decide(record, "ACCEPTED" if decision == "accept" else "REJECTED", operator, reason.strip(), clock.now())
    return view(store.get(reading_id))


# ------------------------------------------------------------------ readings a settlement needs
def opening_reading(contract: contracts.ContractRecord, ean: str) -> store.ReadingRecord:
    """The DSO's reading at the start of supply: the opening of this contract, never a reading of
    a previous occupant (readings belong to the contract they were taken for)."""
    for record in accepted(ean, contract.contract_id):
        if record.kind == "opening" and record.source == "dso" and record.reading_date == contract.start_date:
            return record
    raise NoOpeningReading(f"no opening reading from the grid operator for EAN {ean} on {contract.start_date}")


def closing_reading(contract: contracts.ContractRecord, ean: str, target: date, *, estimate_if_missing: bool) -> store.ReadingRecord | None:
    """The reading that closes a settlement period on ``target``: the latest accepted actual
    reading of the contract in ``[target - 14 days, target]``; else (when allowed) an estimate on
    ``target`` from the last actual reading, the EAV and the profile, stored once."""
    window = [
        r for r in accepted(ean, contract.contract_id)
        if not r.estimated and target - timedelta(days=CLOSING_WINDOW_DAYS) <= date.fromisoformat(r.reading_date) <= target
        and r.kind in ("periodic", "closing", "opening", "meter_installed")
    ]
    if window:
        return window[-1]
    existing = [r for r in accepted(ean, contract.contract_id) if r.estimated and r.reading_date == target.isoformat()]
    if existing:
        return existing[-1]
    if not estimate_if_missing:
        return None
    last = previous_actual(ean, contract.contract_id, target)
    if last is None:
        raise NoOpeningReading(f"no actual reading to estimate from for EAN {ean}")
    point = point_of(contract, ean)
    estimated = rules.estimate(as_reading(last), target, eav_kwh=int(point.get("eav_kwh") or 0), energy=point["energy"], meter_type=point["meter_type"])
    record = store.new_record(
        reading_id=f"est-{contract.contract_id}-{ean}-{target.isoformat()}", ean=ean, contract_id=contract.contract_id, customer_id=contract.PK.removeprefix("CUSTOMER#"),
        reading_date=target.isoformat(), values=dict(estimated.values), source="estimation", kind="periodic", status="ACCEPTED", created_by="settlement",
        at=clock.now(), meter_no=int(last.meter_no),
    )
    return store.save(record)[0]


def meter_changes(contract: contracts.ContractRecord, ean: str, after: date, until: date) -> list[tuple[rules.Reading, rules.Reading]]:
    records = [r for r in accepted(ean, contract.contract_id) if after < date.fromisoformat(r.reading_date) <= until]
    removed = [r for r in records if r.kind == "meter_removed"]
    pairs = []
    for old in removed:
        new = next((r for r in records if r.kind == "meter_installed" and r.reading_date == old.reading_date), None)
        if new is not None:
            pairs.append((as_reading(old), as_reading(new)))
    return pairs


def supersede(record: store.ReadingRecord, by: str, reason: str, at: datetime) -> None:
    """An estimated reading replaced by an actual one (a disputed settlement): kept, marked REJECTED."""
    record.update(actions=[store.ReadingRecord.status.set("REJECTED"), store.ReadingRecord.decided_by.set(by), store.ReadingRecord.decided_at.set(at.isoformat()), store.ReadingRecord.decision_reason.set(reason)])
