"""Moves: move-out (closing readings, contract end, final invoice through the Settlement state
machine) and move-in at a new address (a new enrollment through the enrollment workflow with
situation move_in, prefilled from the customer's data; its contract joins the same customer)."""

from __future__ import annotations

import json
import secrets
import uuid
from datetime import date, timedelta
from typing import Any

from wattdesk import clock
from wattdesk.adapters.aws import client
from wattdesk.domain import advance as advance_rules
from wattdesk.domain import readings as reading_rules
from wattdesk.domain.catalogue import PRODUCTS
from wattdesk.domain.enrollment_request import EnrollmentRequest
from wattdesk.domain.errors import DomainError
from wattdesk.services import enrollment, readings, settlement
from wattdesk.settings import get_settings
from wattdesk.stores import enrollments as contracts
from wattdesk.stores import readings as reading_store
from wattdesk.stores import moves as move_store
from wattdesk.stores.base import plain

# A move-out can be reported up to this many days after the move (the takeover form arrives late).
MOVE_OUT_LATE_DAYS = 60


def move_out(customer_id: str, contract_id: str, body: dict[str, Any], *, actor: str, operator_reason: str | None = None) -> dict[str, Any]:
    """Ends the contract on ``move_date`` with the closing readings of every delivery point, then
    the final invoice follows (Settlement state machine, kind final) and advances stop. With
    ``new_address`` a move-in enrollment starts. A repeated request answers the same."""
    try:
        contract = contracts.get_contract(customer_id, contract_id)
    except contracts.ContractRecord.DoesNotExist as exc:
        raise readings.ContractNotFound(contract_id) from exc
    today, now = clock.today_in_brussels(), clock.now()
    try:
        move_date = date.fromisoformat(str(body.get("move_date")))
    except ValueError as exc:
        raise DomainError("move.date", "The move date is written YYYY-MM-DD.", "move_date") from exc
    if contract.status == "ENDED" and contract.ended_on == move_date.isoformat():
        return _answer(contract, move_date, settlement.execution_name(contract_id, "final", move_date.isoformat()), _move_in_of(contract_id))
    if contract.status not in readings.ACTIVE_STATUSES:
        raise DomainError("move.contract_not_active", "Only an active contract can end with a move.", "contract_id")
    start = date.fromisoformat(contract.start_date)
    if move_date <= start or move_date > today or move_date < today - timedelta(days=MOVE_OUT_LATE_DAYS):
        raise DomainError("move.date", f"The move date is after the start of supply ({start.isoformat()}), not in the future, and at most {MOVE_OUT_LATE_DAYS} days ago.", "move_date")
    if operator_reason is not None and not operator_reason.strip():
        raise DomainError("move.reason_required", "An operator's move-out needs a reason.", "reason")
    points = [p for p in readings._points(contract) if p.get("ean")]
    given = {str(r.get("ean")): r for r in body.get("readings") or []}
    missing = [p["ean"] for p in points if p["ean"] not in given]
    if missing:
        raise DomainError("move.readings", f"Closing readings are needed for EAN {', '.join(missing)}.", "readings")
    readings.register_supplies(contract)
    checked = []
    for index, point in enumerate(points):
        values = reading_rules.parse_values(point["meter_type"], given[point["ean"]].get("registers") or [], f"readings[{index}].registers")
        meter_no = readings.current_meter(point["ean"], contract_id, move_date)
        previous = readings.previous_actual(point["ean"], contract_id, move_date)
        problems = reading_rules.check_plausibility(
            values, move_date, readings.as_reading(previous) if previous else None, eav_kwh=int(point.get("eav_kwh") or 0), energy=point["energy"],
            meter_type=point["meter_type"], meter_no=meter_no,
        )
        if problems and operator_reason is None:
            raise DomainError("move.reading_implausible", "; ".join(p.message for p in problems), f"readings[{index}].registers")
        checked.append((point, values, meter_no, problems))
    for point, values, meter_no, problems in checked:
        record = reading_store.new_record(
            reading_id=f"move-{contract_id}-{point['ean']}-{move_date.isoformat()}", ean=point["ean"], contract_id=contract_id, customer_id=customer_id,
            reading_date=move_date.isoformat(), values=values, source="operator" if operator_reason is not None else "customer", kind="closing", status="ACCEPTED",
            created_by=actor, at=now, meter_no=meter_no, problems=[p.as_dict() for p in problems], reason=operator_reason,
        )
        reading_store.save(record)
    contracts.end_contract(customer_id, contract_id, "ENDED", move_date.isoformat(), [p["ean"] for p in points])
    contract = contracts.get_contract(customer_id, contract_id)
    readings.register_supplies(contract)
    contracts.AuditEntry(
        f"CUSTOMER#{customer_id}", f"AUDIT#{now.isoformat()}#{uuid.uuid4().hex[:8]}", at=now.isoformat(), actor=actor, action="moved_out",
        details=json.dumps({"contract_id": contract_id, "move_date": move_date.isoformat(), "reason": operator_reason}, sort_keys=True),
    ).save()
    execution = settlement.start_final(contract, move_date.isoformat())
    move_in = start_move_in(customer_id, contract, body["new_address"], actor) if body.get("new_address") else None
    return _answer(contract, move_date, execution, move_in)


def _answer(contract, move_date: date, execution: str, move_in: dict[str, Any] | None) -> dict[str, Any]:
    return {"contract_id": contract.contract_id, "status": contract.status, "ended_on": move_date.isoformat(), "final_invoice": "pending", "settlement": execution, "move_in": move_in}


def _move_in_of(contract_id: str) -> dict[str, Any] | None:
    item = move_store.of_previous_contract(contract_id)
    return {"enrollment_id": item.enrollment_id, "status_url": None} if item else None


def start_move_in(customer_id: str, previous: contracts.ContractRecord, new_address: dict[str, Any], actor: str) -> dict[str, Any]:
    """A new enrollment with situation move_in, prefilled from the customer's data and the previous
    contract (product, payment, billing frequency), through the enrollment workflow. The opening
    readings of the new points come from the DSO at the start of supply."""
    customer = contracts.get_customer(customer_id)
    payload = {
        "channel": "web",
        "customer": {
            "type": customer.customer_type, "first_name": customer.first_name, "last_name": customer.last_name, "email": customer.email,
            "phone": customer.phone, "language": customer.language, "company_name": customer.company_name, "vat_number": customer.vat_number,
        },
        "supply_address": new_address.get("supply_address"),
        "correspondence_address": None,
        "delivery_points": [
            {"energy": p.get("energy"), "ean": p.get("ean"), "meter_type": p.get("meter_type"), "situation": "move_in", "known_annual_kwh": p.get("known_annual_kwh")}
            for p in new_address.get("delivery_points") or []
        ],
        "product_code": new_address.get("product_code") or previous.product_code,
        "start_date": new_address.get("start_date"),
        "payment": plain(previous.payment),
        "billing_frequency": previous.billing_frequency,
        "referral_code": None,
        "consents": {"terms_accepted": True, "privacy_accepted": True, "marketing": False},
    }
    request = enrollment.check(payload, clock.today_in_brussels())  # InvalidEnrollment with every problem
    enrollment_id, token, now = str(uuid.uuid4()), secrets.token_urlsafe(24), clock.now()
    contracts.create(enrollment_id, request.model_dump(mode="json"), token, now)
    move_store.record(customer_id, previous.contract_id, enrollment_id, now)
    contracts.audit(enrollment_id, actor, "move_in", now, previous_contract=previous.contract_id)
    status_url = enrollment.status_url(enrollment_id, token)
    client("stepfunctions").start_execution(
        stateMachineArn=get_settings().enrollment_state_machine_arn, name=f"enrollment-{enrollment_id}",
        input=json.dumps({"enrollment_id": enrollment_id, "status_url": status_url}),
    )
    return {"enrollment_id": enrollment_id, "status": "RECEIVED", "status_url": status_url}


def move_in_of(enrollment_id: str) -> move_store.MoveIn | None:
    return move_store.of_enrollment(enrollment_id)


def create_move_in_contract(enrollment_id: str, eav_kwh: dict[str, int]) -> dict[str, Any] | None:
    """Called by the enrollment workflow's CreateContract step: for a move-in of an existing
    customer, the new contract joins that customer (no second customer record). None otherwise."""
    move = move_in_of(enrollment_id)
    if move is None:
        return None
    record = contracts.get(enrollment_id)
    request = EnrollmentRequest.model_validate(record.request)
    customer_id = move.customer_id
    customer = contracts.get_customer(customer_id)
    contract_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"contract:{enrollment_id}"))
    points = [(int(eav_kwh.get(p.ean or "") or p.known_annual_kwh or 0), p.meter_type, PRODUCTS[request.product_for(i)]) for i, p in enumerate(request.delivery_points)]
    amount = advance_rules.first_advance(points, customer.customer_type, request.billing_frequency, request.start_date)
    now = clock.now()
    contract = contracts.ContractRecord(
        f"CUSTOMER#{customer_id}", f"CONTRACT#{contract_id}", contract_id=contract_id, status="CONFIRMED", product_code=request.product_code,
        start_date=request.start_date.isoformat(), billing_frequency=request.billing_frequency, payment=request.payment.model_dump(),
        supply_address=request.supply_address.model_dump(),
        delivery_points=[{**p.model_dump(), "eav_kwh": int(eav_kwh.get(p.ean or "") or p.known_annual_kwh or 0)} for p in request.delivery_points],
        first_advance=str(amount), enrollment_id=enrollment_id, created_at=now.isoformat(),
        GSI1PK=contracts.contract_shard_key(contract_id), GSI1SK=f"{request.start_date.isoformat()}#{contract_id}",
    )
    contracts.add_contract_to_customer(contract, [p.ean for p in request.delivery_points if p.ean])
    record.update(
        actions=[
            contracts.EnrollmentRecord.customer_id.set(customer_id), contracts.EnrollmentRecord.contract_id.set(contract_id),
            contracts.EnrollmentRecord.first_advance.set(str(amount)), contracts.EnrollmentRecord.eav.set({ean: int(kwh) for ean, kwh in eav_kwh.items()}),
        ]
    )
    readings.register_supplies(contracts.get_contract(customer_id, contract_id))
    return {"customer_id": customer_id, "contract_id": contract_id, "first_advance": str(amount)}
