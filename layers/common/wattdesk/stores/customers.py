"""Portal and customer-care records (issue 10): portal access, verification codes, contact-data
changes, the customer search index, delivery-point settings (outage notices, breaker size), staff
requests and planned outages.

Keys (docs/data-model.md):
  CUSTOMER#<id>   / PORTAL                  portal access: status, invitation token hash (GSI2
                                            `PORTALINVITE#<hash>`), sign-in name, when
  PORTALCODE#<h>  / REGISTER                a registration code for the e-mail whose hash is <h>
                                            (customer, code hash, attempts; TTL)
  CUSTOMER#<id>   / EMAILCODE               a pending e-mail change (new address, code hash; TTL)
  CUSTOMER#<id>   / SEARCH#<kind>#<hash>    search terms (number, name words, EAN, IBAN), GSI2
                                            `SEARCH#<kind>#<hash>`: hashes only, no personal data in a key
  CUSTOMER#<id>   / DP#<ean>                a delivery point's portal settings; when opted in to
                                            outage notices GSI1 `OUTAGEOPTIN#<postcode>` / street hash
  CUSTOMER#<id>   / REQUEST#<id>            a staff-handled request; GSI1 `QUEUE#REQUEST#<status>`,
                                            GSI2 `REQUEST#<id>`
  OUTAGE#<id>     / OUTAGE                  a planned outage; GSI1 `OUTAGES` / start
  CUSTOMER#<id>   / AUDIT#<at>#<n>          audit entries (the same items as stores/enrollments)

The customer and contract records themselves stay in stores/enrollments.py; contact changes
update their contact attributes here.
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import datetime
from typing import Any

from pynamodb.attributes import BooleanAttribute, ListAttribute, MapAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, PutError, UpdateError

from wattdesk.domain.portal import normalised_street, term_hash
from wattdesk.stores.base import WattDeskItem, plain
from wattdesk.stores.enrollments import AuditEntry, ContractRecord, CustomerRecord


class PortalAccess(WattDeskItem):
    customer_id = UnicodeAttribute()
    status = UnicodeAttribute()  # INVITED | ACTIVE
    invite_hash = UnicodeAttribute(null=True)
    invite_expires_at = UnicodeAttribute(null=True)
    invited_at = UnicodeAttribute(null=True)
    activated_at = UnicodeAttribute(null=True)
    username = UnicodeAttribute(null=True)  # the Cognito sign-in e-mail


class VerificationCode(WattDeskItem):
    customer_id = UnicodeAttribute()
    purpose = UnicodeAttribute()  # register | email_change
    code_hash = UnicodeAttribute()
    valid_until = UnicodeAttribute()
    attempts = NumberAttribute(default=0)
    email = UnicodeAttribute()  # the address being verified
    language = UnicodeAttribute(null=True)


class SearchTerm(WattDeskItem):
    kind = UnicodeAttribute()


class DeliveryPointSettings(WattDeskItem):
    ean = UnicodeAttribute()
    contract_id = UnicodeAttribute()
    outage_opt_in = BooleanAttribute(default=False)
    postcode = UnicodeAttribute(null=True)
    street_hash = UnicodeAttribute(null=True)
    breaker_size_a = NumberAttribute(null=True)
    updated_at = UnicodeAttribute()


class StaffRequest(WattDeskItem):
    request_id = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    status = UnicodeAttribute()
    contract_id = UnicodeAttribute(null=True)
    ean = UnicodeAttribute(null=True)
    message = UnicodeAttribute(null=True)
    details_json = UnicodeAttribute(default="{}")
    phone = UnicodeAttribute(null=True)
    preferred_date = UnicodeAttribute(null=True)
    preferred_time = UnicodeAttribute(null=True)
    sla_due = UnicodeAttribute()
    history = ListAttribute(of=MapAttribute, default=list)
    internal_notes = ListAttribute(of=MapAttribute, default=list)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()


class Outage(WattDeskItem):
    outage_id = UnicodeAttribute()
    postcode = UnicodeAttribute()
    streets = ListAttribute(default=list)
    starts_at = UnicodeAttribute()
    ends_at = UnicodeAttribute()
    reason = UnicodeAttribute(null=True)
    posted_by = UnicodeAttribute()
    posted_at = UnicodeAttribute()
    affected = NumberAttribute(default=0)
    mailed = NumberAttribute(default=0)


class CodeRejected(Exception):
    """Wrong, expired or used-up code (one answer for all)."""


def _conditional_failed(exc: Exception) -> bool:
    return getattr(exc, "cause_response_code", None) == "ConditionalCheckFailedException"


# ------------------------------------------------------------------ audit
def audit(customer_id: str, actor: str, action: str, at: datetime, **details: Any) -> None:
    """Who did what, when, on the customer's trail (never an e-mail, phone or IBAN in clear)."""
    AuditEntry(
        # The suffix orders entries of the same instant (the simulated clock may stand still) as they happened.
        f"CUSTOMER#{customer_id}", f"AUDIT#{at.isoformat()}#{time.time_ns() % 10**16:016d}{uuid.uuid4().hex[:4]}", at=at.isoformat(), actor=actor, action=action,
        details=json.dumps(details, sort_keys=True, default=str),
    ).save()


def audit_trail(customer_id: str) -> list[dict[str, Any]]:
    entries = AuditEntry.query(f"CUSTOMER#{customer_id}", AuditEntry.SK.startswith("AUDIT#"), scan_index_forward=False)
    return [{"at": e.at, "actor": e.actor, "action": e.action, "details": json.loads(e.details or "{}")} for e in entries]


# ------------------------------------------------------------------ customers and contracts (read)
def find_customer(customer_id: str) -> CustomerRecord | None:
    try:
        return CustomerRecord.get(f"CUSTOMER#{customer_id}", "CUSTOMER", consistent_read=True)
    except DoesNotExist:
        return None


def contracts_of(customer_id: str) -> list[ContractRecord]:
    return list(ContractRecord.query(f"CUSTOMER#{customer_id}", ContractRecord.SK.startswith("CONTRACT#")))


def update_contact(customer_id: str, **changes: Any) -> CustomerRecord:
    """Sets contact attributes of the customer record (phone, language, correspondence_address, email)."""
    record = CustomerRecord(f"CUSTOMER#{customer_id}", "CUSTOMER")
    actions = []
    for name, value in changes.items():
        attribute = getattr(CustomerRecord, name)
        actions.append(attribute.remove() if value is None else attribute.set(value))
    if actions:
        record.update(actions=actions, condition=CustomerRecord.PK.exists())
    return find_customer(customer_id)


# ------------------------------------------------------------------ portal access
def portal_access(customer_id: str) -> PortalAccess | None:
    try:
        return PortalAccess.get(f"CUSTOMER#{customer_id}", "PORTAL", consistent_read=True)
    except DoesNotExist:
        return None


def save_invitation(customer_id: str, token_hash: str, expires_at: str, at: datetime) -> None:
    """A new invitation replaces the previous one (its link stops working); an active access stays active."""
    existing = portal_access(customer_id)
    if existing is not None and existing.status == "ACTIVE":
        return
    PortalAccess(
        f"CUSTOMER#{customer_id}", "PORTAL", customer_id=customer_id, status="INVITED", invite_hash=token_hash, invite_expires_at=expires_at,
        invited_at=at.isoformat(), GSI2PK=f"PORTALINVITE#{token_hash}", GSI2SK=f"CUSTOMER#{customer_id}",
    ).save()


def invitation_by_hash(token_hash: str) -> PortalAccess | None:
    for key in PortalAccess.lookup.query(f"PORTALINVITE#{token_hash}"):
        try:
            return PortalAccess.get(key.PK, key.SK, consistent_read=True)
        except DoesNotExist:
            return None
    return None


def use_invitation(access: PortalAccess, token_hash: str, username: str, at: datetime) -> bool:
    """Single use: the token hash is removed in the same conditional write that activates."""
    try:
        access.update(
            actions=[
                PortalAccess.status.set("ACTIVE"), PortalAccess.activated_at.set(at.isoformat()), PortalAccess.username.set(username),
                PortalAccess.invite_hash.remove(), PortalAccess.invite_expires_at.remove(), PortalAccess.GSI2PK.remove(), PortalAccess.GSI2SK.remove(),
            ],
            condition=PortalAccess.invite_hash == token_hash,
        )
    except UpdateError as exc:
        if _conditional_failed(exc):
            return False
        raise
    return True


def mark_active(customer_id: str, username: str, at: datetime) -> None:
    PortalAccess(f"CUSTOMER#{customer_id}", "PORTAL", customer_id=customer_id, status="ACTIVE", activated_at=at.isoformat(), username=username).save()


# ------------------------------------------------------------------ verification codes
def _code_key(purpose: str, email_hash: str, customer_id: str) -> tuple[str, str]:
    if purpose == "register":
        return f"PORTALCODE#{email_hash}", "REGISTER"
    return f"CUSTOMER#{customer_id}", "EMAILCODE"


def save_code(purpose: str, email_hash: str, customer_id: str, code_hash: str, email: str, language: str | None, valid_until: datetime) -> None:
    VerificationCode(
        *_code_key(purpose, email_hash, customer_id), customer_id=customer_id, purpose=purpose, code_hash=code_hash, valid_until=valid_until.isoformat(),
        email=email, language=language, attempts=0, expires_at=int(valid_until.timestamp()) + 86400,
    ).save()


def pending_code(purpose: str, email_hash: str, customer_id: str) -> VerificationCode | None:
    try:
        return VerificationCode.get(*_code_key(purpose, email_hash, customer_id), consistent_read=True)
    except DoesNotExist:
        return None


def use_code(purpose: str, email_hash: str, customer_id: str, code_hash: str, at: datetime, max_attempts: int) -> VerificationCode:
    """Counts the attempt first (so guessing is bounded even under concurrency), then checks; a
    right code is deleted (single use). Raises CodeRejected."""
    pk, sk = _code_key(purpose, email_hash, customer_id)
    record = VerificationCode(pk, sk)
    try:
        record.update(actions=[VerificationCode.attempts.add(1)], condition=VerificationCode.PK.exists() & (VerificationCode.attempts < max_attempts))
    except UpdateError as exc:
        if _conditional_failed(exc):
            raise CodeRejected() from exc
        raise
    stored = pending_code(purpose, email_hash, customer_id)
    if stored is None or datetime.fromisoformat(stored.valid_until) < at or stored.code_hash != code_hash:
        raise CodeRejected()
    try:
        stored.delete(condition=VerificationCode.code_hash == code_hash)
    except Exception as exc:  # deleted by a concurrent confirmation: used
        raise CodeRejected() from exc
    return stored


def drop_code(purpose: str, email_hash: str, customer_id: str) -> None:
    VerificationCode(*_code_key(purpose, email_hash, customer_id)).delete()


# ------------------------------------------------------------------ search index
def set_search_terms(customer_id: str, terms: set[tuple[str, str]]) -> None:
    """terms: (kind, folded value). Writes the missing ones, deletes the stale ones."""
    wanted = {(kind, term_hash(kind, value)) for kind, value in terms}
    existing = {(item.kind, item.SK.split("#", 2)[2]) for item in SearchTerm.query(f"CUSTOMER#{customer_id}", SearchTerm.SK.startswith("SEARCH#"))}
    for kind, digest in wanted - existing:
        SearchTerm(f"CUSTOMER#{customer_id}", f"SEARCH#{kind}#{digest}", kind=kind, GSI2PK=f"SEARCH#{kind}#{digest}", GSI2SK=f"CUSTOMER#{customer_id}").save()
    for kind, digest in existing - wanted:
        SearchTerm(f"CUSTOMER#{customer_id}", f"SEARCH#{kind}#{digest}").delete()


def customers_with_term(kind: str, value: str) -> list[str]:
    return [key.PK.removeprefix("CUSTOMER#") for key in SearchTerm.lookup.query(f"SEARCH#{kind}#{term_hash(kind, value)}")]


# ------------------------------------------------------------------ delivery-point settings
def point_settings(customer_id: str) -> dict[str, DeliveryPointSettings]:
    return {item.ean: item for item in DeliveryPointSettings.query(f"CUSTOMER#{customer_id}", DeliveryPointSettings.SK.startswith("DP#"))}


def set_outage_opt_in(customer_id: str, contract_id: str, ean: str, opt_in: bool, postcode: str, street: str, at: datetime) -> None:
    street_hash = term_hash("street", normalised_street(street))
    keys: dict[str, Any] = {"GSI1PK": f"OUTAGEOPTIN#{postcode}", "GSI1SK": f"{street_hash}#{customer_id}#{ean}"} if opt_in else {}
    actions = [
        DeliveryPointSettings.ean.set(ean), DeliveryPointSettings.contract_id.set(contract_id), DeliveryPointSettings.outage_opt_in.set(opt_in),
        DeliveryPointSettings.postcode.set(postcode), DeliveryPointSettings.street_hash.set(street_hash), DeliveryPointSettings.updated_at.set(at.isoformat()),
    ]
    if opt_in:
        actions += [DeliveryPointSettings.GSI1PK.set(keys["GSI1PK"]), DeliveryPointSettings.GSI1SK.set(keys["GSI1SK"])]
    else:
        actions += [DeliveryPointSettings.GSI1PK.remove(), DeliveryPointSettings.GSI1SK.remove()]
    DeliveryPointSettings(f"CUSTOMER#{customer_id}", f"DP#{ean}").update(actions=actions)


def set_breaker_size(customer_id: str, contract_id: str, ean: str, ampere: int, at: datetime) -> None:
    DeliveryPointSettings(f"CUSTOMER#{customer_id}", f"DP#{ean}").update(
        actions=[
            DeliveryPointSettings.ean.set(ean), DeliveryPointSettings.contract_id.set(contract_id),
            DeliveryPointSettings.breaker_size_a.set(ampere), DeliveryPointSettings.updated_at.set(at.isoformat()),
        ]
    )


def opted_in_points(postcode: str, street: str | None) -> list[DeliveryPointSettings]:
    if street is None:
        return list(DeliveryPointSettings.work_list.query(f"OUTAGEOPTIN#{postcode}"))
    prefix = term_hash("street", normalised_street(street)) + "#"
    return list(DeliveryPointSettings.work_list.query(f"OUTAGEOPTIN#{postcode}", DeliveryPointSettings.GSI1SK.startswith(prefix)))


# ------------------------------------------------------------------ staff requests
def create_request(request: StaffRequest) -> tuple[StaffRequest, bool]:
    """Once per request id: (stored, True) or (the one stored before, False)."""
    try:
        request.save(condition=StaffRequest.PK.does_not_exist())
    except PutError as exc:
        if _conditional_failed(exc):
            return StaffRequest.get(request.PK, request.SK, consistent_read=True), False
        raise
    return request, True


def new_request(customer_id: str, request_id: str, at: datetime, **fields: Any) -> StaffRequest:
    return StaffRequest(
        f"CUSTOMER#{customer_id}", f"REQUEST#{request_id}", request_id=request_id, customer_id=customer_id, status="OPEN",
        history=[{"at": at.isoformat(), "status": "OPEN", "by": "customer", "note": None}], created_at=at.isoformat(), updated_at=at.isoformat(),
        GSI1PK="QUEUE#REQUEST#OPEN", GSI1SK=at.isoformat(), GSI2PK=f"REQUEST#{request_id}", GSI2SK=f"CUSTOMER#{customer_id}", **fields,
    )


def requests_of(customer_id: str) -> list[StaffRequest]:
    return list(StaffRequest.query(f"CUSTOMER#{customer_id}", StaffRequest.SK.startswith("REQUEST#")))


def find_request(request_id: str) -> StaffRequest | None:
    for key in StaffRequest.lookup.query(f"REQUEST#{request_id}"):
        try:
            return StaffRequest.get(key.PK, f"REQUEST#{request_id}", consistent_read=True)
        except DoesNotExist:
            return None
    return None


def requests_in(status: str) -> list[StaffRequest]:
    return list(StaffRequest.work_list.query(f"QUEUE#REQUEST#{status}"))


def move_request(request: StaffRequest, status: str, by: str, note: str | None, internal_note: str | None, at: datetime) -> StaffRequest:
    """Only from the status the caller read (two operators cannot both close it)."""
    actions = [
        StaffRequest.status.set(status), StaffRequest.updated_at.set(at.isoformat()),
        StaffRequest.history.set(StaffRequest.history.append([{"at": at.isoformat(), "status": status, "by": by, "note": note}])),
    ]
    if internal_note:
        actions.append(StaffRequest.internal_notes.set((StaffRequest.internal_notes | []).append([{"at": at.isoformat(), "by": by, "note": internal_note}])))
    if status in ("DONE", "REJECTED"):
        actions += [StaffRequest.GSI1PK.remove(), StaffRequest.GSI1SK.remove()]
    else:
        actions += [StaffRequest.GSI1PK.set(f"QUEUE#REQUEST#{status}")]
    request.update(actions=actions, condition=StaffRequest.status == request.status)
    return StaffRequest.get(request.PK, request.SK, consistent_read=True)


def request_view(request: StaffRequest) -> dict[str, Any]:
    return {
        "request_id": request.request_id, "kind": request.kind, "status": request.status, "contract_id": request.contract_id, "ean": request.ean,
        "message": request.message, "details": json.loads(request.details_json or "{}"), "phone": request.phone, "preferred_date": request.preferred_date,
        "preferred_time": request.preferred_time, "created_at": request.created_at, "updated_at": request.updated_at, "sla_due": request.sla_due,
        "history": [plain(entry) for entry in request.history or []],
    }


# ------------------------------------------------------------------ outages
def create_outage(outage: Outage) -> tuple[Outage, bool]:
    try:
        outage.save(condition=Outage.PK.does_not_exist())
    except PutError as exc:
        if _conditional_failed(exc):
            return Outage.get(outage.PK, "OUTAGE", consistent_read=True), False
        raise
    return outage, True


def set_outage_counts(outage_id: str, affected: int, mailed: int) -> None:
    Outage(f"OUTAGE#{outage_id}", "OUTAGE").update(actions=[Outage.affected.set(affected), Outage.mailed.set(Outage.mailed + mailed)])


def outages() -> list[Outage]:
    return list(Outage.work_list.query("OUTAGES", scan_index_forward=False))


def get_outage(outage_id: str) -> Outage:
    return Outage.get(f"OUTAGE#{outage_id}", "OUTAGE", consistent_read=True)
