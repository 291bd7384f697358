"""Complaints: intake from every channel, routing, first-response SLA, assessment, resolution,
closing, the monthly report, retention and erasure (docs/complaints.md).

No state machine: a complaint's life is human steps over days or months and date rules that a
daily sweep applies (see docs/complaints.md for why).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import uuid
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from wattdesk import clock
from wattdesk.adapters import complaint_files as files
from wattdesk.adapters.complaint_mail_texts import NATURE_NAMES, OUTCOME_LINES
from wattdesk.adapters.documents import long_date, money
from wattdesk.adapters.mail import Mail
from wattdesk.adapters.mail_texts import render
from wattdesk.adapters.report_chart import complaints_chart_svg
from wattdesk.domain import complaint_report as report_rules
from wattdesk.domain import complaints as rules
from wattdesk.domain.contact import validate_email, validate_phone
from wattdesk.domain.errors import DomainError
from wattdesk.observability import logger, mask_pii
from wattdesk.stores import complaints as store
from wattdesk.stores import enrollments as customers
from wattdesk.stores import invoices
from wattdesk.stores import sent_mail
from wattdesk.stores.base import plain
from wattdesk.stores.enrollments import person_key


class NotAllowedNow(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


# ------------------------------------------------------------------ the request (api-examples/complaint.json)
class Reporter(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: str = Field(min_length=1, max_length=160)
    street: str | None = Field(default=None, max_length=160)
    postcode: str | None = Field(default=None, max_length=10)
    city: str | None = Field(default=None, max_length=80)
    phone: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=254)
    language: Literal["nl", "fr", "de", "en"] = "nl"
    customer_number: str | None = Field(default=None, max_length=64)


class Related(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    invoice_number: str | None = Field(default=None, pattern=r"^\d{4}-[A-Z]{1,3}-\d{6}$")
    reminder_reference: str | None = Field(default=None, pattern=r"^[A-Za-z0-9#_-]{1,64}$")
    refund_reference: str | None = Field(default=None, pattern=r"^[A-Za-z0-9#_-]{1,64}$")


class AttachmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    filename: str = Field(min_length=1, max_length=120)
    content_type: str = Field(min_length=1, max_length=100)
    content_base64: str = Field(min_length=1, max_length=6_000_000)


class ComplaintIntake(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    channel: Literal["web_form", "phone", "email", "letter", "social_media", "counter"]
    reporter: Reporter
    reported_on: date | None = None
    nature: Literal["billing", "meter_reading", "contract", "payment", "sales_conduct", "service", "other"]
    description: str = Field(min_length=10, max_length=5000)
    related: Related = Field(default_factory=Related)
    contact_preference: Literal["email", "phone", "letter"] = "email"
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=rules.MAX_ATTACHMENTS)
    # Operators only: who handles it (a team "team:billing" or a person); default by nature.
    handler: str | None = Field(default=None, min_length=1, max_length=120)


class InvalidComplaint(Exception):
    def __init__(self, problems: list[dict[str, Any]]):
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


def _field(location: tuple[Any, ...]) -> str:
    path = ""
    for part in location:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def parse_intake(body: Any) -> ComplaintIntake:
    try:
        return ComplaintIntake.model_validate(body)
    except ValidationError as exc:
        raise InvalidComplaint([{"field": _field(tuple(e.get("loc", ()))), "code": f"invalid.{e.get('type', 'value')}", "message": str(e.get("msg"))} for e in exc.errors()]) from exc


def _phone(value: str) -> str:
    """E.164 when the number is valid; otherwise kept as typed if it looks like a phone number:
    a complaint is never refused over the format of a call-back number."""
    try:
        return validate_phone(value)
    except DomainError as exc:
        if re.fullmatch(r"\+?[0-9 ()./-]{6,40}", value) and sum(ch.isdigit() for ch in value) >= 6:
            return value
        raise exc.with_field("reporter.phone") from exc


def _decoded(attachments: list[AttachmentIn]) -> list[tuple[AttachmentIn, bytes, str]]:
    decoded = []
    for index, attachment in enumerate(attachments):
        field = f"attachments[{index}]"
        try:
            content = base64.b64decode(attachment.content_base64, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise DomainError("attachment.encoding", "The attachment is not valid base64.", field) from exc
        decoded.append((attachment, content, rules.check_attachment(attachment.content_type, content, field)))
    rules.check_attachment_sizes([len(content) for _, content, _ in decoded])
    return decoded


def _safe_filename(name: str, content_type: str) -> str:
    base = "".join(ch if ch.isalnum() or ch in "._- " else "_" for ch in name.replace("\\", "/").rsplit("/", 1)[-1]).strip(" .") or "attachment"
    extension = rules.ATTACHMENT_TYPES[content_type]
    return base if base.lower().endswith(f".{extension}") or (extension == "jpg" and base.lower().endswith(".jpeg")) else f"{base}.{extension}"


# ------------------------------------------------------------------ intake
def intake(body: Any, allowed_channels: tuple[str, ...], receiver: str, trusted: bool) -> dict[str, Any]:
    """Registers a complaint from the web form (trusted=False) or an operator (trusted=True)."""
    request = parse_intake(body)
    if request.channel not in allowed_channels:
        raise DomainError("channel.not_allowed", f"This route takes the channels {', '.join(allowed_channels)}.", "channel")
    if request.handler and not trusted:
        raise DomainError("handler.not_allowed", "The handler is assigned by the complaints desk.", "handler")
    reporter = request.reporter.model_dump()
    if reporter["email"]:
        try:
            reporter["email"] = validate_email(reporter["email"])
        except DomainError as exc:
            raise exc.with_field("reporter.email") from exc
    if reporter["phone"]:
        reporter["phone"] = _phone(reporter["phone"])
    if not trusted and not reporter["email"]:
        raise DomainError("email.required", "Give an e-mail address: we send the complaint number and our answer there.", "reporter.email")
    if trusted and not (reporter["email"] or reporter["phone"] or (reporter["street"] and reporter["city"])):
        raise DomainError("contact.required", "Record at least an e-mail address, a phone number or a postal address.", "reporter")
    attachments = _decoded(request.attachments)

    now = clock.now()
    today = clock.today_in_brussels()
    arrival = rules.arrival_date(request.channel, request.reported_on, today)
    deadline = rules.first_response_deadline(arrival)
    customer_id, related, links = _resolve_related(request, reporter, trusted)

    number = store.next_number(today.year)
    stored = [_store_attachment(attachment, content, content_type, now) for attachment, content, content_type in attachments]
    handler = request.handler or rules.DEFAULT_HANDLER[request.nature]
    pk, sk = store.ComplaintRecord.key(number)
    record = store.ComplaintRecord(
        pk, sk, number=number, status=store.OPEN, channel=request.channel, nature=request.nature, language=reporter["language"],
        receiver=receiver, registered_at=now.isoformat(), registered_on=today.isoformat(), reported_on=(request.reported_on or today).isoformat(),
        arrival_on=arrival.isoformat(), deadline=deadline.isoformat(), reporter=reporter, contact_preference=request.contact_preference,
        description=request.description, customer_id=customer_id, related=related, links=links, handler=handler, forwarded_on=today.isoformat(),
        attachments=stored, updated_at=now.isoformat(),
        **store.queue_keys(rules.queue_rank(rules.sla_state(deadline, None, today), False), deadline.isoformat(), now.isoformat(), number),
        **({"GSI2PK": person_key(reporter["email"]), "GSI2SK": f"COMPLAINT#{number}"} if reporter["email"] else {}),
    )
    try:
        store.create(record)
    except Exception:
        for item in stored:
            files.delete_everywhere(item["key"])
        raise
    store.audit(number, receiver, "registered", now, channel=request.channel, handler=handler, attachments=len(stored), links=links)
    acknowledged = send_acknowledgement(number)
    logger().info("complaint registered", extra={"complaint": number, "channel": request.channel, "nature": request.nature, "attachments": len(stored)})
    return {
        "complaint_number": number,
        "status": store.OPEN,
        "registered_on": today.isoformat(),
        "first_response_due": deadline.isoformat(),
        "acknowledgement_sent": acknowledged,
    }


def _store_attachment(attachment: AttachmentIn, content: bytes, content_type: str, at: datetime) -> dict[str, Any]:
    return {
        "id": uuid.uuid4().hex[:12],
        "key": files.store_attachment(content, content_type),
        "filename": _safe_filename(attachment.filename, content_type),
        "content_type": content_type,
        "size": len(content),
        "added_at": at.isoformat(),
    }


def _customer(customer_id: str | None):
    if not customer_id:
        return None
    try:
        return customers.get_customer(customer_id)
    except customers.CustomerRecord.DoesNotExist:
        return None


def _same_email(customer, email: str | None) -> bool:
    return bool(customer and email and customer.email.strip().lower() == email.strip().lower())


def _resolve_related(request: ComplaintIntake, reporter: dict[str, Any], trusted: bool) -> tuple[str | None, dict[str, Any], list[str]]:
    """Which customer and which invoice/reminder/refund the complaint is about.

    An operator's word is trusted (an unknown invoice is refused). A web form is not: it names
    a customer or an invoice only when the e-mail address is the customer's, otherwise the
    reference is kept as "claimed" for the desk to check, and suspends nothing.
    """
    customer = _customer(reporter["customer_number"])
    if customer is not None and not trusted and not _same_email(customer, reporter["email"]):
        customer = None
    customer_id = customer.PK.removeprefix("CUSTOMER#") if customer else None
    related = {key: value for key, value in request.related.model_dump().items() if value}
    links: list[str] = []
    verified = True
    if request.related.invoice_number:
        try:
            invoice = invoices.get_by_number(request.related.invoice_number)
        except (invoices.InvoiceIndex.DoesNotExist, invoices.InvoiceRecord.DoesNotExist) as exc:
            if trusted:
                raise DomainError("invoice.unknown", "There is no invoice with this number.", "related.invoice_number") from exc
            invoice = None
        owner = _customer(invoice.customer_id) if invoice else None
        if invoice is not None and (trusted or customer_id == invoice.customer_id or _same_email(owner, reporter["email"])):
            customer_id = customer_id or invoice.customer_id
            links.append(store.link_key("invoice_number", invoice.number))
        else:
            verified = False
    for kind in ("reminder_reference", "refund_reference"):
        if related.get(kind):
            if trusted:
                links.append(store.link_key(kind, related[kind]))
            else:
                verified = False
    related["verified"] = verified
    return customer_id, related, links


def send_acknowledgement(number: str) -> bool:
    """The acknowledgement with the complaint number, in the reporter's language, once."""
    record = store.get(number)
    email = (plain(record.reporter) or {}).get("email")
    if not email or record.acknowledged_at or record.erased_at:
        return bool(record.acknowledged_at)
    language = record.language
    subject, text = render(
        "complaint_received", language, name=plain(record.reporter)["name"], number=number,
        nature=NATURE_NAMES[record.nature][language], due_date=long_date(date.fromisoformat(record.deadline), language),
    )
    try:
        sent_mail.send_once(record.PK, "complaint_received", Mail(to=email, subject=subject, text=text, language=language))
    except Exception as exc:  # the sweep sends it later; the complaint is registered
        logger().warning("acknowledgement not sent", extra={"complaint": number, "error_type": type(exc).__name__})
        return False
    store.update(record, clock.now(), acknowledged_at=clock.now().isoformat())
    return True


# ------------------------------------------------------------------ views
def _record(number: str) -> store.ComplaintRecord:
    record = store.get(number)
    if record.expires_at is not None and record.expires_at <= int(clock.now().timestamp()):
        raise store.ComplaintNotFound(number)  # past retention: gone, whatever TTL has not done yet
    return record


def _sla(record: store.ComplaintRecord, today: date) -> str:
    first = date.fromisoformat(record.first_response_on) if record.first_response_on else None
    state = rules.sla_state(date.fromisoformat(record.deadline), first, today)
    return rules.BREACHED if record.sla_breached else state


def queue_view(record: store.ComplaintRecord, today: date) -> dict[str, Any]:
    reporter = plain(record.reporter) or {}
    return {
        "complaint_number": record.number,
        "status": record.status,
        "nature": record.nature,
        "channel": record.channel,
        "reporter_name": reporter.get("name"),
        "registered_on": record.registered_on,
        "handler": record.handler,
        "first_response_due": record.deadline,
        "working_days_left": None if record.first_response_on else rules.working_days_left(date.fromisoformat(record.deadline), today),
        "sla": _sla(record, today),
        "sla_flag": record.sla_flag,
        "first_response_on": record.first_response_on,
        "closed_on": record.closed_on,
    }


def detail_view(record: store.ComplaintRecord, today: date) -> dict[str, Any]:
    return {
        **queue_view(record, today),
        "receiver": record.receiver,
        "registered_at": record.registered_at,
        "reported_on": record.reported_on,
        "arrival_on": record.arrival_on,
        "forwarded_on": record.forwarded_on,
        "reporter": plain(record.reporter),
        "contact_preference": record.contact_preference,
        "language": record.language,
        "customer_id": record.customer_id,
        "description": record.description,
        "related": plain(record.related),
        "links": list(record.links),
        "sla_breached": record.sla_breached,
        "feedback": plain(list(record.feedback)),
        "assessment": record.assessment,
        "resolutions": [{k: v for k, v in item.items() if k not in ("ledger_key",)} for item in plain(list(record.resolutions))],
        "short_description": record.short_description,
        "summary": record.summary,
        "measures": record.measures,
        "attachments": [{k: v for k, v in item.items() if k != "key"} for item in plain(list(record.attachments))],
        "notes": [{"kind": n.kind, "text": n.text, "employee": n.employee, "actor": n.actor, "at": n.at} for n in store.notes(record.number)],
        "audit": [{"at": e.at, "actor": e.actor, "action": e.action} for e in store.audit_trail(record.number)],
        "expires_at": int(record.expires_at) if record.expires_at is not None else None,
        "erased": record.erased_at is not None,
    }


def ops_queue(status: str) -> list[dict[str, Any]]:
    today = clock.today_in_brussels()
    now_epoch = int(clock.now().timestamp())
    if status == "open":
        records = store.open_queue()
    else:
        records = [r for r in store.closed_list() if r.expires_at is None or r.expires_at > now_epoch]
    return [queue_view(record, today) for record in records]


def detail(number: str) -> dict[str, Any]:
    return detail_view(_record(number), clock.today_in_brussels())


def _open(number: str) -> store.ComplaintRecord:
    record = _record(number)
    if record.status != store.OPEN:
        raise NotAllowedNow("complaint.closed", "This complaint is closed.")
    return record


def _rerank(record: store.ComplaintRecord, today: date) -> dict[str, Any]:
    first = date.fromisoformat(record.first_response_on) if record.first_response_on else None
    state = rules.sla_state(date.fromisoformat(record.deadline), first, today)
    return store.queue_keys(rules.queue_rank(state, first is not None), record.deadline, record.registered_at, record.number)


# ------------------------------------------------------------------ handling
def assign(number: str, handler: str, actor: str) -> dict[str, Any]:
    record = _open(number)
    now, today = clock.now(), clock.today_in_brussels()
    store.update(record, now, handler=handler, forwarded_on=today.isoformat())
    store.audit(number, actor, "assigned", now, handler=handler)
    return detail(number)


def record_feedback(number: str, feedback_on: date, note: str, actor: str) -> dict[str, Any]:
    """The handler answered the reporter (mail, call, letter); the first answer settles the SLA."""
    record = _open(number)
    now, today = clock.now(), clock.today_in_brussels()
    if feedback_on > today:
        raise DomainError("feedback_on.future", "The feedback date cannot be after today.", "feedback_on")
    if feedback_on < date.fromisoformat(record.arrival_on):
        raise DomainError("feedback_on.before_arrival", "The feedback date cannot be before the complaint arrived.", "feedback_on")
    changes: dict[str, Any] = {"feedback": [*plain(list(record.feedback)), {"on": feedback_on.isoformat(), "note": note, "actor": actor, "at": now.isoformat()}]}
    if record.first_response_on is None:
        changes["first_response_on"] = feedback_on.isoformat()
        changes["sla_flag"] = None
        if feedback_on > date.fromisoformat(record.deadline) and not record.sla_breached:
            changes.update(sla_breached=True, breach_recorded_on=feedback_on.isoformat())
        record.first_response_on = feedback_on.isoformat()
        keys = _rerank(record, today)
        changes.update(GSI1SK=keys["GSI1SK"])
    store.update(record, now, **changes)
    store.audit(number, actor, "feedback_recorded", now, feedback_on=feedback_on.isoformat())
    return detail(number)


def assess(number: str, assessment: str, short_description: str | None, actor: str) -> dict[str, Any]:
    record = _open(number)
    if record.resolutions:
        raise NotAllowedNow("assessment.resolved", "A resolution was recorded already; the assessment can no longer change.")
    now = clock.now()
    changes: dict[str, Any] = {"assessment": assessment}
    if short_description:
        changes["short_description"] = short_description
    store.update(record, now, **changes)
    store.audit(number, actor, "assessed", now, assessment=assessment)
    return detail(number)


def resolve(number: str, body: dict[str, Any], actor: str) -> dict[str, Any]:
    record = _open(number)
    kind = body["kind"]
    already = [item["kind"] for item in plain(list(record.resolutions))]
    rules.check_resolution(record.assessment, kind, already)
    now, today = clock.now(), clock.today_in_brussels()
    resolution: dict[str, Any] = {"kind": kind, "at": now.isoformat(), "actor": actor}
    if body.get("note"):
        resolution["note"] = body["note"]
    try:
        if kind == "reprimand":
            if not body.get("note"):
                raise DomainError("reprimand.note_required", "Write the internal note of the reprimand.", "note")
            store.record_resolution(record, {"kind": kind, "at": now.isoformat(), "actor": actor}, now)
            store.add_note(number, "reprimand", body["note"], actor, now, employee=body.get("employee"))
        elif kind == "compensation":
            amount = _amount(body.get("amount"))
            method = body.get("method") or "credit"
            if method not in rules.COMPENSATION_METHODS:
                raise DomainError("compensation.method", "Pay a compensation as a credit on the account or as a refund.", "method")
            if not record.customer_id:
                raise DomainError("complaint.no_customer", "Link the complaint to a customer first: compensation goes to a customer's account.", "kind")
            resolution.update(amount=f"{amount:.2f}", method=method)
            if method == "credit":
                store.credit_compensation(record, resolution, amount, now)
            else:
                store.request_refund(record, resolution, amount, actor, now)
        elif kind == "cancellation":
            if not record.customer_id:
                raise DomainError("complaint.no_customer", "Link the complaint to a customer first.", "kind")
            contract_id = body.get("contract_id") or ""
            try:
                contract = customers.get_contract(record.customer_id, contract_id)
            except customers.ContractRecord.DoesNotExist as exc:
                raise DomainError("contract.unknown", "This customer has no such contract.", "contract_id") from exc
            end_on = body.get("end_on") or today
            if isinstance(end_on, str):
                end_on = date.fromisoformat(end_on)
            if end_on < today:
                raise DomainError("end_on.past", "The contract cannot end in the past.", "end_on")
            resolution.update(contract_id=contract.contract_id, end_on=end_on.isoformat())
            store.request_contract_end(record, resolution, contract.contract_id, end_on.isoformat(), actor, now)
        else:
            store.record_resolution(record, resolution, now)
    except store.AlreadyRecorded as exc:
        raise NotAllowedNow("resolution.changed", "The complaint changed meanwhile or this resolution was recorded already; reload it.") from exc
    store.audit(number, actor, "resolved", now, kind=kind, **({"amount": resolution["amount"], "method": resolution["method"]} if kind == "compensation" else {}))
    logger().info("complaint resolution", extra={"complaint": number, "kind": kind})
    return detail(number)


def _amount(value: Any) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise DomainError("compensation.amount", "Give the compensation as an amount such as \"25.00\".", "amount") from exc
    return rules.check_compensation(amount)


def link(number: str, invoice_number: str, actor: str) -> dict[str, Any]:
    """An operator confirms which invoice the complaint is about (collection is then suspended)."""
    record = _open(number)
    try:
        invoice = invoices.get_by_number(invoice_number)
    except (invoices.InvoiceIndex.DoesNotExist, invoices.InvoiceRecord.DoesNotExist) as exc:
        raise DomainError("invoice.unknown", "There is no invoice with this number.", "invoice_number") from exc
    now = clock.now()
    if record.customer_id and record.customer_id != invoice.customer_id:
        raise DomainError("invoice.other_customer", "This invoice belongs to another customer than the complaint's.", "invoice_number")
    store.add_link(record, store.link_key("invoice_number", invoice.number), now)
    if not record.customer_id:
        store.set_customer(store.get(number), invoice.customer_id, now)
    store.audit(number, actor, "linked", now, invoice_number=invoice.number)
    return detail(number)


def add_attachments(number: str, attachments: list[dict[str, Any]], actor: str) -> dict[str, Any]:
    record = _open(number)
    try:
        items = [AttachmentIn.model_validate(item) for item in attachments]
    except ValidationError as exc:
        raise InvalidComplaint([{"field": _field(("attachments", *e.get("loc", ()))), "code": f"invalid.{e.get('type')}", "message": str(e.get("msg"))} for e in exc.errors()]) from exc
    decoded = _decoded(items)
    rules.check_attachment_sizes([item["size"] for item in plain(list(record.attachments))] + [len(content) for _, content, _ in decoded])
    now = clock.now()
    stored = [_store_attachment(attachment, content, content_type, now) for attachment, content, content_type in decoded]
    store.update(record, now, attachments=[*plain(list(record.attachments)), *stored])
    store.audit(number, actor, "attachments_added", now, count=len(stored))
    return detail(number)


def attachment(number: str, attachment_id: str) -> tuple[bytes, str, str]:
    record = _record(number)
    for item in plain(list(record.attachments)):
        if item["id"] == attachment_id and item.get("key"):
            return files.read_attachment(item["key"]), item["content_type"], item["filename"]
    raise store.ComplaintNotFound(f"{number}/{attachment_id}")


def _outcome_lines(record: store.ComplaintRecord) -> list[str]:
    language = record.language
    lines = []
    for item in plain(list(record.resolutions)):
        key = item["kind"]
        if key == "compensation":
            key = f"compensation_{item.get('method', 'credit')}"
        template = OUTCOME_LINES.get(key, {}).get(language, "")
        if template:
            amount = money(Decimal(item["amount"]), language) if item.get("amount") else ""
            end_on = long_date(date.fromisoformat(item["end_on"]), language) if item.get("end_on") else ""
            lines.append(template.format(amount=amount, end_on=end_on))
    return lines


def close(number: str, summary: str, measures: str, short_description: str | None, actor: str) -> dict[str, Any]:
    record = _open(number)
    rules.check_closing(record.assessment, [item["kind"] for item in plain(list(record.resolutions))], summary, measures)
    now, today = clock.now(), clock.today_in_brussels()
    retention_end = rules.retention_end(today)
    expires_at = int(datetime.combine(retention_end, now.astimezone(clock.BRUSSELS).timetz()).timestamp())
    changes: dict[str, Any] = {
        "status": store.CLOSED, "summary": summary, "measures": measures, "closed_at": now.isoformat(), "closed_on": today.isoformat(),
        "sla_flag": None, "expires_at": expires_at, "GSI1PK": store.QUEUE_CLOSED, "GSI1SK": f"{retention_end.isoformat()}#{number}",
    }
    if short_description:
        changes["short_description"] = short_description
    if record.first_response_on is None:
        # The outcome mail is the reporter's first answer.
        changes["first_response_on"] = today.isoformat()
        if today > date.fromisoformat(record.deadline) and not record.sla_breached:
            changes.update(sla_breached=True, breach_recorded_on=today.isoformat())
    try:
        store.update(record, now, condition=store.ComplaintRecord.status == store.OPEN, **changes)
    except store.AlreadyRecorded as exc:
        raise NotAllowedNow("complaint.closed", "This complaint is closed.") from exc
    store.close_links(record)
    for item in plain(list(record.attachments)):
        if item.get("key"):
            files.mark_closed(item["key"], today.isoformat())
    store.audit(number, actor, "closed", now, expires_at=expires_at)
    _mail_outcome(store.get(number))
    store.stamp_expiry(store.get(number), expires_at)
    logger().info("complaint closed", extra={"complaint": number})
    return detail(number)


def _mail_outcome(record: store.ComplaintRecord) -> None:
    email = (plain(record.reporter) or {}).get("email")
    if not email:
        return
    language = record.language
    subject, text = render("complaint_closed", language, name=plain(record.reporter)["name"], number=record.number, summary=record.summary, outcome=_outcome_lines(record))
    sent_mail.send_once(record.PK, "complaint_closed", Mail(to=email, subject=subject, text=text, language=language))


# ------------------------------------------------------------------ sweeps
def sla_sweep(as_of: date) -> dict[str, int]:
    """Flags open complaints without a first response: 1 working day left (or the deadline
    day) -> due_soon, past the deadline -> breached (recorded for the report). Flagged ones move
    to the top of the queue. Also sends acknowledgements that failed at intake."""
    now = clock.now()
    counts = {"checked": 0, "due_soon": 0, "breached": 0, "newly_breached": 0, "acknowledged": 0}
    for record in store.open_queue():
        counts["checked"] += 1
        if not record.acknowledged_at and (plain(record.reporter) or {}).get("email") and not record.erased_at:
            counts["acknowledged"] += int(send_acknowledgement(record.number))
            record = store.get(record.number)
        if record.first_response_on:
            continue
        state = rules.sla_state(date.fromisoformat(record.deadline), None, as_of)
        flag = state if state in (rules.BREACHED, rules.DUE_SOON) else None
        if flag:
            counts[flag] += 1
        keys = _rerank(record, as_of)
        changes: dict[str, Any] = {}
        if flag != record.sla_flag:
            changes["sla_flag"] = flag
        if keys["GSI1SK"] != record.GSI1SK:
            changes["GSI1SK"] = keys["GSI1SK"]
        if flag == rules.BREACHED and not record.sla_breached:
            changes.update(sla_breached=True, breach_recorded_on=as_of.isoformat())
            counts["newly_breached"] += 1
        if changes:
            store.update(record, now, **changes)
            if "sla_breached" in changes:
                store.audit(record.number, "sla-sweep", "sla_breached", now, deadline=record.deadline)
    return counts


def report(month: str, as_of: date) -> dict[str, Any]:
    report_rules.parse_month(month)
    now_epoch = int(clock.now().timestamp())
    facts = [
        report_rules.ComplaintFacts(
            number=r.number, registered_on=date.fromisoformat(r.registered_on), arrival_on=date.fromisoformat(r.arrival_on), nature=r.nature, channel=r.channel,
            assessment=r.assessment, closed=r.status == store.CLOSED, deadline=date.fromisoformat(r.deadline),
            first_response_on=date.fromisoformat(r.first_response_on) if r.first_response_on else None, breach_recorded=bool(r.sla_breached),
        )
        for r in store.registered_in(month)
        if r.expires_at is None or r.expires_at > now_epoch
    ]
    return report_rules.aggregate(month, facts, as_of)


def listing(month: str, as_of: date) -> str:
    rows = []
    for r in store.registered_in(month):
        rows.append([r.number, r.registered_on, r.nature, r.channel, r.handler, r.status.lower(), r.assessment or "", r.first_response_on or "", r.deadline, _sla(r, as_of)])
    return report_rules.listing_csv(rows)


def stored_report(month: str) -> dict[str, Any] | None:
    raw = files.read_report(month, "report.json")
    return json.loads(raw) if raw else None


def store_monthly_report(as_of: date) -> dict[str, Any]:
    """The previous month's report as JSON, CSV and SVG in the documents bucket."""
    month = report_rules.previous_month(as_of)
    data = report(month, as_of)
    keys = [
        files.store_report(month, "report.json", json.dumps(data, sort_keys=True, indent=2).encode(), "application/json"),
        files.store_report(month, "report.csv", report_rules.report_csv(data).encode(), "text/csv"),
        files.store_report(month, "report.svg", complaints_chart_svg(data).encode(), "image/svg+xml"),
    ]
    return {"month": month, "keys": keys, "total": data["total"]}


def retention_sweep(as_of: datetime) -> dict[str, int]:
    """Deletes complaints 5 years after closing, with every item and attachment version (what
    DynamoDB TTL and the bucket's lifecycle rule would do, without waiting for either)."""
    epoch = int(as_of.timestamp())
    counts = {"complaints": 0, "items": 0, "attachment_versions": 0}
    for record in store.expired_closed(as_of.astimezone(clock.BRUSSELS).date().isoformat()):
        if record.expires_at is None or record.expires_at > epoch:
            continue
        for item in plain(list(record.attachments)):
            if item.get("key"):
                counts["attachment_versions"] += files.delete_everywhere(item["key"])
        counts["items"] += store.delete_complaint(record)
        counts["complaints"] += 1
    return counts


# ------------------------------------------------------------------ erasure
def erase(email: str | None, customer_id: str | None, reference: str, actor: str) -> dict[str, Any]:
    """Anonymises the person's complaints at once and deletes their attachments; categories,
    dates and outcomes stay, so the reports do not change. The audit names what was done,
    never the erased values."""
    if not email and not customer_id:
        raise DomainError("erasure.subject_required", "Give the person's e-mail address or customer id.", "email")
    emails = set()
    kinds = []
    if email:
        emails.add(validate_email(email))
        kinds.append("email")
    numbers: set[str] = set()
    if customer_id:
        kinds.append("customer")
        numbers.update(store.numbers_of_customer(customer_id))
        customer = _customer(customer_id)
        if customer is not None:
            emails.add(customer.email)
    for address in emails:
        numbers.update(store.numbers_of_person(address))
    now = clock.now()
    deleted = 0
    for number in sorted(numbers):
        record = store.get(number)
        reporter = plain(record.reporter) or {}
        identifiers = [reporter.get(key) or "" for key in ("name", "email", "phone", "street")]
        for item in plain(list(record.attachments)):
            if item.get("key"):
                deleted += files.delete_everywhere(item["key"])
        erased_text = lambda text: text if not text else rules.ERASED  # noqa: E731 - free text about the case
        replacement = {
            "reporter": {"erased": True, "language": record.language},
            "description": rules.ERASED,
            "attachments": [{"id": item["id"], "content_type": item["content_type"], "size": item["size"], "added_at": item["added_at"], "deleted": True} for item in plain(list(record.attachments))],
            "feedback": [{**item, "note": erased_text(item.get("note"))} for item in plain(list(record.feedback))],
            "resolutions": [{**item, **({"note": rules.ERASED} if item.get("note") else {})} for item in plain(list(record.resolutions))],
            "related": {key: value for key, value in (plain(record.related) or {}).items()},
        }
        if record.summary:
            replacement["summary"] = rules.ERASED
        if record.short_description:
            replacement["short_description"] = rules.ERASED
        if record.measures:
            # Measures are about our processes and stay for the review, without the person in them.
            replacement["measures"] = mask_pii(rules.scrub(record.measures, identifiers))
        store.anonymise(record, replacement, now)
        store.audit(number, actor, "erased", now, expires_at=record.expires_at, request_reference=reference)
    erasure_id = str(uuid.uuid4())
    expires_at = int(datetime.combine(rules.retention_end(now.astimezone(clock.BRUSSELS).date()), now.timetz()).timestamp())
    store.save_erasure(erasure_id, actor, reference, kinds, sorted(numbers), deleted, now, expires_at)
    logger().info("erasure carried out", extra={"erasure_id": erasure_id, "complaints": len(numbers), "attachment_versions": deleted})
    return {"erasure_id": erasure_id, "complaints": sorted(numbers), "attachments_deleted": deleted, "at": now.isoformat()}
