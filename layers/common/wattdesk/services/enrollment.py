"""Enrollment: what the API and the state machine's tasks do, between the handlers and the store."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import re
import secrets
import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from wattdesk import clock
from wattdesk.adapters import documents, dso
from wattdesk.adapters.aws import client
from wattdesk.adapters.mail import Attachment, Mail, send_mail
from wattdesk.adapters.mail_texts import FREQUENCIES, render
from wattdesk.domain import advance as advance_rules
from wattdesk.domain.catalogue import PRODUCTS, referral_credit
from wattdesk.domain.enrollment_request import EnrollmentRequest
from wattdesk.domain.enrollment_rules import BlockReason, EnrollmentContext, block_reasons, hard_problems
from wattdesk.domain.contact import validate_email, validate_phone
from wattdesk.domain.ean import validate_ean
from wattdesk.domain.iban import validate_iban
from wattdesk.domain.vat_number import validate_be_vat
from wattdesk.domain.errors import DomainError, ValidationProblem
from wattdesk.domain.working_days import add_working_days
from wattdesk.settings import get_settings
from wattdesk.stores import credits as credits_store
from wattdesk.stores import enrollments as store
from wattdesk.stores import sent_mail
from wattdesk.stores.base import plain

WITHDRAWAL_DAYS = 14
ESCALATE_AFTER_WORKING_DAYS = 10


class InvalidEnrollment(Exception):
    """Every problem at once; nothing was stored."""

    def __init__(self, problems: list[ValidationProblem]):
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


class NotAllowedNow(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


# ------------------------------------------------------------------ submission
def check(payload: dict[str, Any], today: date) -> EnrollmentRequest:
    """Shape and stateless rules; raises InvalidEnrollment with every problem."""
    try:
        request = EnrollmentRequest.model_validate(payload)
    except ValidationError as exc:
        raise InvalidEnrollment([_pydantic_problem(error) for error in exc.errors()]) from exc
    problems = hard_problems(request, today)
    if problems:
        raise InvalidEnrollment(problems)
    return normalised(request)


def normalised(request: EnrollmentRequest) -> EnrollmentRequest:
    """The request as stored: identifiers in their canonical form (they passed the rules)."""
    data = request.model_dump(mode="json")
    data["customer"]["email"] = validate_email(request.customer.email)
    data["customer"]["phone"] = validate_phone(request.customer.phone)
    if request.customer.vat_number:
        data["customer"]["vat_number"] = validate_be_vat(request.customer.vat_number)
    if request.payment.iban:
        data["payment"]["iban"] = validate_iban(request.payment.iban)
    for point in data["delivery_points"]:
        if point.get("ean"):
            point["ean"] = validate_ean(point["ean"])
    return EnrollmentRequest.model_validate(data)


def _pydantic_problem(error: dict[str, Any]) -> ValidationProblem:
    path = ""
    for part in error.get("loc", ()):
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return ValidationProblem(field=path or None, code=f"invalid.{error.get('type', 'value')}", message=str(error.get("msg", "Invalid value.")))


def status_url(enrollment_id: str, token: str) -> str:
    return f"/enrollments/{enrollment_id}?token={token}"


def status_page(status_link: str) -> str:
    """The page a person opens from a mail, for the API's status URL (same id and token)."""
    path, _, query = status_link.partition("?")
    return f"{get_settings().public_base_url}/enroll/status.html?id={path.rsplit('/', 1)[-1]}&{query}"


def submit(request: EnrollmentRequest, at: datetime, state_machine_arn: str) -> dict[str, Any]:
    enrollment_id = str(uuid.uuid4())
    token = secrets.token_urlsafe(24)
    payload = request.model_dump(mode="json")
    store.create(enrollment_id, payload, token, at)
    sfn = client("stepfunctions")
    try:
        sfn.start_execution(
            stateMachineArn=state_machine_arn,
            name=f"enrollment-{enrollment_id}",
            input=json.dumps({"enrollment_id": enrollment_id, "status_url": status_url(enrollment_id, token)}),
        )
    except sfn.exceptions.ExecutionAlreadyExists:
        pass
    return {"enrollment_id": enrollment_id, "status": "RECEIVED", "status_url": status_url(enrollment_id, token)}


def authorised(enrollment_id: str, token: str | None) -> store.EnrollmentRecord:
    """The record, when the token is the one handed out; otherwise NotFound (no hint it exists)."""
    record = store.get(enrollment_id)
    if not token or not hmac.compare_digest(store.hash_token(token), record.status_token_hash):
        raise store.EnrollmentNotFound(enrollment_id)
    return record


def customer_view(record: store.EnrollmentRecord) -> dict[str, Any]:
    return {
        "enrollment_id": record.enrollment_id,
        "status": record.status,
        "history": plain(list(record.history)),
        "requested_fields": list(record.requested_fields or []),
        "contract_available": bool(record.contract_document_key),
    }


def ops_view(record: store.EnrollmentRecord) -> dict[str, Any]:
    request = record.request
    return {
        "enrollment_id": record.enrollment_id,
        "status": record.status,
        "channel": record.channel,
        "campaign_code": request.get("campaign_code"),
        "customer": f"{request['customer']['first_name']} {request['customer']['last_name']}",
        "product_code": request["product_code"],
        "eans": [point.get("ean") for point in request["delivery_points"]],
        "block_reasons": plain(list(record.block_reasons)),
        "escalated": record.escalated,
        "waiting_since": record.waiting_since,
        "received_at": record.created_at,
        "failure": plain(record.failure) if record.failure else None,
    }


# ------------------------------------------------------------------ validation in the workflow
def validation_context(record: store.EnrollmentRecord, request: EnrollmentRequest, today: date) -> EnrollmentContext:
    own = f"ENROLLMENT#{record.enrollment_id}"
    active, open_eans = {}, {}
    for point in request.delivery_points:
        ean = _normalised_ean(point.ean)
        if not ean:
            continue
        for holder in store.ean_holders(ean):
            if holder.startswith("CONTRACT#"):
                active[ean] = holder.removeprefix("CONTRACT#")
            elif holder != own:
                open_eans[ean] = holder.removeprefix("ENROLLMENT#")
    people = {}
    email = request.customer.email.lower()
    for other in store.open_enrollments_of(email):
        if other != record.enrollment_id:
            people[email] = other
    referral = {}
    if request.referral_code:
        owner = store.referral_owner(request.referral_code)
        if owner:
            referral[request.referral_code.upper()] = owner
    gateway = dso.gateway()
    register = {ean: entry for point in request.delivery_points if (ean := _normalised_ean(point.ean)) and (entry := gateway.register(ean))}
    return EnrollmentContext(
        today=today, active_eans=active, open_enrollment_eans=open_eans, open_enrollment_people=people, referral_codes=referral, dso_register=register
    )


def _normalised_ean(value: str | None) -> str | None:
    try:
        return validate_ean(value) if value else None
    except DomainError:
        return None


def validate(enrollment_id: str) -> dict[str, Any]:
    record = store.get(enrollment_id)
    now = clock.now()
    if record.cancel_requested:
        return {"outcome": "cancelled"}
    store.set_status(record, "VALIDATING", now)
    request = EnrollmentRequest.model_validate(record.request)
    today = clock.today_in_brussels()
    reasons: list[BlockReason] = [BlockReason(code=p.code, field=p.field, message=p.message) for p in hard_problems(request, today)]
    reasons += block_reasons(request, validation_context(record, request, today))
    record = store.get(enrollment_id)
    if record.cancel_requested:
        return {"outcome": "cancelled"}
    record.update(actions=[store.EnrollmentRecord.block_reasons.set([{"code": r.code, "field": r.field, "message": r.message} for r in reasons])])
    return {"outcome": "blocked" if reasons else "clean", "reasons": [r.code for r in reasons]}


# ------------------------------------------------------------------ operator and customer steps
def resume(enrollment_id: str, steps: tuple[str, ...], result: dict[str, Any]) -> store.EnrollmentRecord:
    record, token = store.take_task_token(enrollment_id, steps)
    client("stepfunctions").send_task_success(taskToken=token, output=json.dumps(result))
    return record


_PATH = re.compile(r"([a-z_]+)(?:\[(\d+)\])?")


def apply_changes(request: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """{"delivery_points[0].ean": "54..."} applied to a copy of the request."""
    changed = copy.deepcopy(request)
    for path, value in changes.items():
        target: Any = changed
        parts = path.split(".")
        for depth, part in enumerate(parts):
            match = _PATH.fullmatch(part)
            if not match:
                raise InvalidEnrollment([ValidationProblem(field=path, code="change.path", message=f"{path} is not a field of the enrollment.")])
            name, index = match.group(1), match.group(2)
            last = depth == len(parts) - 1
            if index is not None:
                container = target.get(name) if isinstance(target, dict) else None
                if not isinstance(container, list) or int(index) >= len(container):
                    raise InvalidEnrollment([ValidationProblem(field=path, code="change.path", message=f"{path} is not a field of the enrollment.")])
                if last:
                    container[int(index)] = value
                else:
                    target = container[int(index)]
            elif last:
                if not isinstance(target, dict):
                    raise InvalidEnrollment([ValidationProblem(field=path, code="change.path", message=f"{path} is not a field of the enrollment.")])
                target[name] = value
            else:
                if not isinstance(target, dict) or not isinstance(target.get(name), dict):
                    target[name] = {} if isinstance(target, dict) else target
                target = target[name]
    return changed


def correct(enrollment_id: str, changes: dict[str, Any], note: str, operator: str) -> dict[str, Any]:
    record = store.get(enrollment_id)
    if record.parked_at_step != "operator":
        raise NotAllowedNow("enrollment.not_blocked", "Only a blocked enrollment can be corrected.")
    new_request = apply_changes(record.request, changes)
    check(new_request, clock.today_in_brussels())  # raises with every problem; nothing written
    now = clock.now()
    store.replace_request(record, new_request, now)
    store.audit(enrollment_id, operator, "correction", now, fields=sorted(changes), note=note)
    resume(enrollment_id, ("operator",), {"action": "revalidate"})
    return {"enrollment_id": enrollment_id, "status": "VALIDATING"}


def ask_customer(enrollment_id: str, fields: list[str], message: str, operator: str) -> dict[str, Any]:
    record = store.get(enrollment_id)
    if record.parked_at_step != "operator":
        raise NotAllowedNow("enrollment.not_blocked", "Only a blocked enrollment can be sent to the customer.")
    now = clock.now()
    fix_token = secrets.token_urlsafe(24)
    store.set_status(record, "AWAITING_CUSTOMER", now, requested_fields=fields, fix_token_hash=store.hash_token(fix_token), waiting_since=now.isoformat())
    store.audit(enrollment_id, operator, "customer_request", now, fields=fields)
    request = record.request
    language = request["customer"]["language"]
    link = f"{get_settings().public_base_url}/enroll/fix.html?id={enrollment_id}&token={fix_token}"
    subject, text = render(
        "enrollment_customer_request", language, first_name=request["customer"]["first_name"], reference=enrollment_id[:8], fields=", ".join(fields), message=message, fix_link=link
    )
    send_mail(Mail(to=request["customer"]["email"], subject=subject, text=text, language=language))
    return {"enrollment_id": enrollment_id, "status": "AWAITING_CUSTOMER"}


def _fix_authorised(enrollment_id: str, fix_token: str | None) -> store.EnrollmentRecord:
    record = store.get(enrollment_id)
    if not fix_token or not record.fix_token_hash or not hmac.compare_digest(store.hash_token(fix_token), record.fix_token_hash):
        raise store.EnrollmentNotFound(enrollment_id)
    return record


def asked_fields(enrollment_id: str, fix_token: str | None) -> dict[str, Any]:
    """What the customer's fix page shows: the fields asked for, with their current values."""
    record = _fix_authorised(enrollment_id, fix_token)
    request = record.request
    values = {}
    for path in record.requested_fields or []:
        current: Any = request
        for part in path.split("."):
            match = _PATH.fullmatch(part)
            if not match or not isinstance(current, dict):
                current = None
                break
            current = current.get(match.group(1))
            if match.group(2) is not None:
                current = current[int(match.group(2))] if isinstance(current, list) and int(match.group(2)) < len(current) else None
        values[path] = current
    return {"enrollment_id": enrollment_id, "status": record.status, "language": record.language, "fields": values}


def customer_answer(enrollment_id: str, fix_token: str | None, changes: dict[str, Any]) -> dict[str, Any]:
    record = _fix_authorised(enrollment_id, fix_token)
    if record.status != "AWAITING_CUSTOMER":
        raise NotAllowedNow("enrollment.not_awaiting_customer", "This enrollment is not waiting for your answer any more.")
    extra = sorted(set(changes) - set(record.requested_fields or []))
    if extra:
        raise InvalidEnrollment([ValidationProblem(field=path, code="change.not_requested", message="This field was not asked for.") for path in extra])
    new_request = apply_changes(record.request, changes)
    check(new_request, clock.today_in_brussels())
    now = clock.now()
    store.replace_request(record, new_request, now)
    store.set_status(store.get(enrollment_id), "VALIDATING", now, requested_fields=[], fix_token_hash=None)
    store.audit(enrollment_id, "customer", "customer_answer", now, fields=sorted(changes))
    resume(enrollment_id, ("operator",), {"action": "revalidate"})
    return {"enrollment_id": enrollment_id, "status": "VALIDATING"}


def decide(enrollment_id: str, decision: str, reason: str | None, operator: str) -> dict[str, Any]:
    record = store.get(enrollment_id)
    if record.parked_at_step != "operator":
        raise NotAllowedNow("enrollment.not_blocked", "Only a blocked enrollment can be approved or rejected.")
    now = clock.now()
    store.audit(enrollment_id, operator, decision, now, reason=reason)
    if decision == "reject":
        store.get(enrollment_id).update(actions=[store.EnrollmentRecord.decision_reason.set(reason or "")])
    resume(enrollment_id, ("operator",), {"action": decision, "reason": reason})
    return {"enrollment_id": enrollment_id, "decision": decision}


def cancel(enrollment_id: str, token: str | None) -> dict[str, Any]:
    record = authorised(enrollment_id, token)
    now = clock.now()
    if record.status == "CONFIRMED":
        return _withdraw(record, now)
    if record.status in ("CANCELLED", "REJECTED"):
        raise NotAllowedNow("enrollment.closed", "This enrollment is already closed.")
    store.audit(enrollment_id, "customer", "cancel", now)
    if record.parked_at_step in ("operator", "dso"):
        if record.parked_at_step == "dso":
            store.claim_dso_request(enrollment_id, now)
        try:
            resume(enrollment_id, ("operator", "dso"), {"action": "cancel"})
            return {"enrollment_id": enrollment_id, "status": "CANCELLED"}
        except store.NotParked:
            pass
    store.request_cancel(enrollment_id)
    # The workflow may have parked between our read and the flag: then it is ours to resume.
    _cancel_if_parked(enrollment_id)
    return {"enrollment_id": enrollment_id, "status": "CANCELLED"}


def _cancel_if_parked(enrollment_id: str) -> None:
    """Resumes a parked enrollment with `cancel` when a cancellation is pending. The park step
    and the cancel request both call this after their own write, and the token can be claimed
    only once, so exactly one of them resumes the workflow."""
    record = store.get(enrollment_id)
    if not record.cancel_requested or record.parked_at_step not in ("operator", "dso"):
        return
    if record.parked_at_step == "dso":
        store.claim_dso_request(enrollment_id, clock.now())
    try:
        resume(enrollment_id, ("operator", "dso"), {"action": "cancel"})
    except store.NotParked:
        pass


def _withdraw(record: store.EnrollmentRecord, now: datetime) -> dict[str, Any]:
    """The legal withdrawal right: within 14 days after confirmation and before supply starts."""
    confirmed = datetime.fromisoformat(record.confirmed_at)
    start = date.fromisoformat(record.request["start_date"])
    if now - confirmed > timedelta(days=WITHDRAWAL_DAYS) or clock.today_in_brussels() >= start:
        raise NotAllowedNow("enrollment.withdrawal_period_over", "The 14-day withdrawal period is over or supply has started; please end the contract instead.")
    eans = [point["ean"] for point in record.request["delivery_points"] if point.get("ean")]
    store.end_contract(record.customer_id, record.contract_id, "WITHDRAWN", clock.today_in_brussels().isoformat(), eans)
    from wattdesk.services import readings  # noqa: PLC0415 - readings imports this module's stores

    readings.register_supplies(store.get_contract(record.customer_id, record.contract_id))  # the DSO's readings no longer go to it
    store.set_status(record, "CANCELLED", now, note="withdrawal")
    store.audit(record.enrollment_id, "customer", "withdrawal", now)
    _mail_once(record, "cancelled", "enrollment_cancelled", withdrawal=True)
    return {"enrollment_id": record.enrollment_id, "status": "CANCELLED"}


# ------------------------------------------------------------------ workflow tasks
def _mail_once(record: store.EnrollmentRecord, key: str, kind: str, attachments: tuple[Attachment, ...] = (), **values: Any) -> None:
    request = record.request
    language = request["customer"]["language"]
    subject, text = render(kind, language, first_name=request["customer"]["first_name"], reference=record.enrollment_id[:8], **values)
    sent_mail.send_once(f"ENROLLMENT#{record.enrollment_id}", key, Mail(to=request["customer"]["email"], subject=subject, text=text, language=language, attachments=attachments))


def _address(address: dict[str, Any]) -> str:
    box = f" bus {address['box']}" if address.get("box") else ""
    return f"{address['street']} {address['number']}{box}, {address['postcode']} {address['city']}"


def send_received_mail(enrollment_id: str, status_link: str) -> None:
    record = store.get(enrollment_id)
    request = record.request
    language = request["customer"]["language"]
    product = PRODUCTS.get(request["product_code"])
    _mail_once(
        record,
        "received",
        "enrollment_received",
        product=product.name(language) if product else request["product_code"],
        address=_address(request["supply_address"]),
        start_date=documents.long_date(date.fromisoformat(request["start_date"]), language),
        eans=", ".join(point.get("ean") or "-" for point in request["delivery_points"]),
        status_link=status_page(status_link),
    )


def park_for_operator(enrollment_id: str, task_token: str) -> None:
    record = store.get(enrollment_id)
    status = "AWAITING_CUSTOMER" if record.status == "AWAITING_CUSTOMER" else "BLOCKED"
    store.park(record, "operator", task_token, status, clock.now())
    _cancel_if_parked(enrollment_id)
    _tell_channel(record)


def request_dso(enrollment_id: str, task_token: str) -> None:
    record = store.get(enrollment_id)
    now = clock.now()
    eans = [point["ean"] for point in record.request["delivery_points"] if point.get("ean")]
    store.save_dso_request(enrollment_id, eans, task_token, now)
    store.park(record, "dso", task_token, "AWAITING_DSO", now, block_reasons=[])
    _cancel_if_parked(enrollment_id)
    _tell_channel(record)


def answer_dso_requests(explicit: dict[str, dict[str, Any]] | None = None) -> dict[str, int]:
    """The DSO's answers to pending requests: explicit ones (by EAN) or the simulator's."""
    gateway = dso.gateway()
    answered = 0
    for pending in store.pending_dso_requests():
        record = store.get(pending.enrollment_id)
        points = [dso.DsoPoint(point["ean"], point["energy"]) for point in record.request["delivery_points"] if point.get("ean")]
        if explicit is not None:
            given = [explicit[point.ean] for point in points if point.ean in explicit]
            if not given:
                continue
            rejected = next((answer for answer in given if answer.get("outcome") == "reject"), None)
            answer = (
                dso.DsoAnswer(False, reason=rejected.get("reason", "dso.rejected"), message=rejected.get("message"))
                if rejected
                else dso.DsoAnswer(True, eav_kwh={p.ean: int(explicit.get(p.ean, {}).get("eav_kwh") or gateway.estimated_consumption(p)) for p in points})
            )
        else:
            answer = gateway.answer(points)
        if store.claim_dso_request(pending.enrollment_id, clock.now()) is None:
            continue  # answered by an earlier sweep or cancelled meanwhile
        try:
            resume(pending.enrollment_id, ("dso",), answer.as_result())
        except store.NotParked:
            continue
        answered += 1
    return {"answered": answered}


def record_dso_rejection(enrollment_id: str, reason: str, message: str | None) -> None:
    record = store.get(enrollment_id)
    store.audit(enrollment_id, "dso", "dso_rejected", clock.now(), reason=reason)
    record.update(actions=[store.EnrollmentRecord.block_reasons.set([{"code": reason, "field": "delivery_points", "message": message or "The grid operator rejected the request."}])])


def create_contract(enrollment_id: str, eav_kwh: dict[str, int]) -> dict[str, Any]:
    # Moves (#6), added: a move-in of an existing customer adds the new contract to that customer.
    from wattdesk.services import moves  # late: moves imports this module

    moved = moves.create_move_in_contract(enrollment_id, eav_kwh)
    if moved is not None:
        return moved
    record = store.get(enrollment_id)
    request = EnrollmentRequest.model_validate(record.request)
    now = clock.now()
    customer_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"customer:{enrollment_id}"))
    contract_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"contract:{enrollment_id}"))
    points = []
    for index, point in enumerate(request.delivery_points):
        estimate = eav_kwh.get(point.ean or "") or point.known_annual_kwh or 0
        points.append((int(estimate), point.meter_type, PRODUCTS[request.product_for(index)]))
    amount = advance_rules.first_advance(points, request.customer.type, request.billing_frequency, request.start_date)
    customer = store.CustomerRecord(
        f"CUSTOMER#{customer_id}",
        "CUSTOMER",
        customer_type=request.customer.type,
        first_name=request.customer.first_name,
        last_name=request.customer.last_name,
        company_name=request.customer.company_name,
        vat_number=request.customer.vat_number,
        email=request.customer.email.lower(),
        phone=request.customer.phone,
        language=request.customer.language,
        correspondence_address=request.correspondence_address.model_dump() if request.correspondence_address else None,
        referral_code=_referral_code(customer_id),
        created_from=enrollment_id,
        created_at=now.isoformat(),
        GSI2PK=f"REFERRAL#{_referral_code(customer_id)}",
        GSI2SK=f"CUSTOMER#{customer_id}",
    )
    contract = store.ContractRecord(
        f"CUSTOMER#{customer_id}",
        f"CONTRACT#{contract_id}",
        contract_id=contract_id,
        status="CONFIRMED",
        product_code=request.product_code,
        start_date=request.start_date.isoformat(),
        billing_frequency=request.billing_frequency,
        payment=request.payment.model_dump(),
        supply_address=request.supply_address.model_dump(),
        delivery_points=[{**p.model_dump(), "eav_kwh": int(eav_kwh.get(p.ean or "") or p.known_annual_kwh or 0)} for p in request.delivery_points],
        first_advance=str(amount),
        enrollment_id=enrollment_id,
        created_at=now.isoformat(),
        GSI1PK=store.contract_shard_key(contract_id),
        GSI1SK=f"{request.start_date.isoformat()}#{contract_id}",
    )
    store.create_customer_and_contract(customer, contract, [p.ean for p in request.delivery_points if p.ean])
    if request.referral_code:
        _reward_referral(request, customer_id, now)
    record.update(
        actions=[
            store.EnrollmentRecord.customer_id.set(customer_id),
            store.EnrollmentRecord.contract_id.set(contract_id),
            store.EnrollmentRecord.first_advance.set(str(amount)),
            store.EnrollmentRecord.eav.set({ean: int(kwh) for ean, kwh in eav_kwh.items()}),
        ]
    )
    return {"customer_id": customer_id, "contract_id": contract_id, "first_advance": str(amount)}


def _reward_referral(request: EnrollmentRequest, customer_id: str, now) -> None:
    """A confirmed enrollment with a referral code credits both sides once, on their next invoice.
    The pair is the code's owner and the new customer's e-mail address, so a second enrollment of
    the same person with the same code rewards nobody again."""
    owner = store.referral_owner_customer(request.referral_code or "")
    if owner is None or owner.email.lower() == request.customer.email.lower():
        return  # unknown or own code: the enrollment rules blocked it; an operator confirmed anyway
    owner_id = owner.PK.removeprefix("CUSTOMER#")
    energy = PRODUCTS[request.product_code].energy
    amount = referral_credit(energy)
    pair = hashlib.sha256(request.customer.email.lower().encode()).hexdigest()[:24]
    params = {"energy": energy}
    credits_store.grant_referral(owner_id, customer_id, pair, (amount, amount), params, now)


def _referral_code(customer_id: str) -> str:
    return "WD" + uuid.UUID(customer_id).hex[:8].upper()


def render_contract(enrollment_id: str) -> dict[str, Any]:
    record = store.get(enrollment_id)
    if record.contract_document_key:
        return {"document_key": record.contract_document_key}
    request = record.request
    language = request["customer"]["language"]
    product = PRODUCTS[request["product_code"]]
    customer = request["customer"]
    name = customer.get("company_name") or f"{customer['first_name']} {customer['last_name']}"
    payment = request["payment"]
    data = {
        "customer_name": name,
        "address": _address(request["supply_address"]),
        "product_name": product.name(language),
        "start_date": date.fromisoformat(request["start_date"]),
        "advance": Decimal(record.first_advance),
        "frequency": FREQUENCIES[request["billing_frequency"]][language],
        "payment": "SEPA" + (f" {payment['iban'][:4]} **** {payment['iban'][-4:]}" if payment.get("iban") else "") if payment["method"] == "direct_debit" else "transfer",
        "points": [(p.get("ean") or "-", p["energy"], p["meter_type"], int(plain(record.eav or {}).get(p.get("ean") or "", 0) or p.get("known_annual_kwh") or 0)) for p in request["delivery_points"]],
        "prices": sorted(product.energy_prices.items()),
        "yearly_fee": product.yearly_fee,
    }
    key = documents.store_document("contracts", f"contract-{record.contract_id}.pdf", documents.contract_pdf(data, language))
    record.update(actions=[store.EnrollmentRecord.contract_document_key.set(key)])
    return {"document_key": key}


def confirm(enrollment_id: str, status_link: str) -> None:
    record = store.get(enrollment_id)
    now = clock.now()
    if record.status != "CONFIRMED":
        store.set_status(record, "CONFIRMED", now, confirmed_at=now.isoformat(), task_token=None, parked_at_step=None)
        record = store.get(enrollment_id)
    request = record.request
    language = request["customer"]["language"]
    pdf = documents.read_document(record.contract_document_key)
    _mail_once(
        record,
        "confirmed",
        "enrollment_confirmed",
        attachments=(Attachment(f"contract-{record.contract_id}.pdf", pdf),),
        product=PRODUCTS[request["product_code"]].name(language),
        start_date=documents.long_date(date.fromisoformat(request["start_date"]), language),
        advance=documents.money(Decimal(record.first_advance), language),
        frequency=FREQUENCIES[request["billing_frequency"]][language],
        # The status link's token also opens the contract: one secret for the customer to keep.
        contract_link=get_settings().public_base_url + status_link.replace("?token=", "/contract?token=", 1),
        status_link=status_page(status_link),
    )
    _invite_to_portal(record)
    _tell_channel(record)


def reject(enrollment_id: str, reason: str | None) -> None:
    record = store.get(enrollment_id)
    if record.status != "REJECTED":
        store.set_status(record, "REJECTED", clock.now(), note=reason, task_token=None, parked_at_step=None)
        record = store.get(enrollment_id)
    _mail_once(record, "rejected", "enrollment_rejected", reason=reason or "-")
    _tell_channel(record)


def mark_cancelled(enrollment_id: str) -> None:
    record = store.get(enrollment_id)
    if record.status != "CANCELLED":
        store.set_status(record, "CANCELLED", clock.now(), task_token=None, parked_at_step=None)
        record = store.get(enrollment_id)
    _mail_once(record, "cancelled", "enrollment_cancelled", withdrawal=False)
    _tell_channel(record)


def _tell_channel(record: store.EnrollmentRecord) -> None:
    """A group purchase follows its rows' enrollments (after the status is stored; never raises)."""
    if record.channel == "group_purchase":
        from wattdesk.services import group_purchases  # late: it imports this module

        group_purchases.follow_enrollment(record.enrollment_id)


def record_failure(enrollment_id: str, error: str, cause: str) -> None:
    record = store.get(enrollment_id)
    store.audit(enrollment_id, "workflow", "failure", clock.now(), error=error)
    record.update(
        actions=[
            store.EnrollmentRecord.failure.set({"error": error, "cause": cause[:1000]}),
            store.EnrollmentRecord.block_reasons.set([{"code": "workflow.failed", "field": None, "message": f"A step failed ({error}); retry with a correction or decide."}]),
        ]
    )


def escalate_waiting(today: date) -> dict[str, int]:
    """Blocked enrollments nobody touched for 10 working days go to the top of the queue, flagged."""
    escalated = 0
    for status in ("BLOCKED", "AWAITING_CUSTOMER"):
        for record in store.queue(status):
            if record.escalated or not record.waiting_since:
                continue
            since = datetime.fromisoformat(record.waiting_since).astimezone(clock.BRUSSELS).date()
            if today >= add_working_days(since, ESCALATE_AFTER_WORKING_DAYS):
                record.update(actions=[store.EnrollmentRecord.escalated.set(True)])
                store.audit(record.enrollment_id, "sweep", "escalated", clock.now())
                escalated += 1
    return {"escalated": escalated}


# Portal (issue 10, helper P): a confirmed contract's customer is invited to the portal, once.
def _invite_to_portal(record: store.EnrollmentRecord) -> None:
    if record.customer_id:
        from wattdesk.services import portal  # late: portal reads the stores this module writes

        portal.invite(record.customer_id)
