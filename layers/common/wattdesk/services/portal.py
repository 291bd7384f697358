"""The customer portal (issue 10): access (invitation at contract confirmation, self-registration),
self-service views and changes, staff-handled requests, outage notices.

Every function that acts for a customer takes the customer id the handler read from the token;
nothing here reads a customer id from a request body.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from wattdesk import clock
from wattdesk.adapters import documents, portal_identity
from wattdesk.adapters.mail import Mail, send_mail
from wattdesk.adapters.mail_texts import render
from wattdesk.domain import portal as rules
from wattdesk.domain.catalogue import PRODUCTS
from wattdesk.domain.contact import validate_email, validate_phone
from wattdesk.domain.ean import validate_ean
from wattdesk.domain.errors import DomainError
from wattdesk.domain.iban import mask_iban
from wattdesk.domain.money import format_amount
from wattdesk.domain.ogm import ogm_digits
from wattdesk.domain.postcodes import validate_postcode
from wattdesk.observability import logger
from wattdesk.settings import get_settings
from wattdesk.stores import customers as store
from wattdesk.stores import invoices as invoices_store
from wattdesk.stores import ledger
from wattdesk.stores import sent_mail

LANGUAGES = ("nl", "fr", "de", "en")
ACTIVE_CONTRACTS = ("CONFIRMED", "ACTIVE")


class NotYours(LookupError):
    """A contract, EAN or request that is not the customer's (the API answers 404)."""


class AlreadyActive(Exception):
    pass


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _email_hash(email: str) -> str:
    return _hash(email.strip().lower())


def _name(customer) -> str:
    return customer.company_name or f"{customer.first_name} {customer.last_name}"


# ================================================================== search index
def index_customer(customer_id: str) -> None:
    """Writes the customer's search terms (number, name words, EANs, IBANs), hashed. Called when
    the customer gets portal access and when data behind a term changes."""
    from wattdesk.stores import bank_accounts, mandates  # read-only: R's and collection's stores

    customer = store.find_customer(customer_id)
    if customer is None:
        return
    terms: set[tuple[str, str]] = {("number", rules.customer_number(customer_id))}
    terms |= {("name", token) for token in rules.name_tokens(customer.first_name, customer.last_name, customer.company_name)}
    for contract in store.contracts_of(customer_id):
        for point in contract.delivery_points or []:
            if point.get("ean"):
                terms.add(("ean", str(point["ean"])))
        payment = contract.payment.as_dict() if hasattr(contract.payment, "as_dict") else dict(contract.payment or {})
        if payment.get("iban"):
            terms.add(("iban", "".join(str(payment["iban"]).split()).upper()))
    account = bank_accounts.current(customer_id)
    if account is not None:
        terms.add(("iban", account.iban))
    for mandate in mandates.mandates_of(customer_id):
        terms.add(("iban", "".join(mandate.iban.split()).upper()))
    store.set_search_terms(customer_id, terms)


# ================================================================== invitation
def _mail(to: str, kind: str, language: str, **values: Any) -> str:
    subject, text = render(kind, language, **values)
    return send_mail(Mail(to=to, subject=subject, text=text, language=language))


def invite(customer_id: str, by: str = "workflow", again: bool = False) -> dict[str, Any]:
    """Mails the invitation with a one-time link (once; `again` for an operator's re-send, which
    makes the previous link unusable). Also indexes the customer for the ops search."""
    index_customer(customer_id)
    customer = store.find_customer(customer_id)
    if customer is None:
        raise NotYours(customer_id)
    access = store.portal_access(customer_id)
    if access is not None and access.status == "ACTIVE":
        return {"sent": False, "status": "ACTIVE"}
    now = clock.now()
    key = f"portal_invitation#{now.isoformat()}" if again else "portal_invitation"
    if not again and sent_mail.SentMail.count(f"CUSTOMER#{customer_id}", sent_mail.SentMail.SK == f"MAIL#{key}") > 0:
        return {"sent": False, "status": "INVITED"}
    token = secrets.token_urlsafe(32)
    valid_until = now + timedelta(days=rules.INVITATION_VALID_DAYS)
    store.save_invitation(customer_id, _hash(token), valid_until.isoformat(), now)
    language = customer.language if customer.language in LANGUAGES else "en"
    subject, text = render(
        "portal_invitation", language, first_name=customer.first_name, customer_number=rules.customer_number(customer_id),
        link=f"{get_settings().public_base_url}/portal/activate.html?token={token}",
        valid_until=documents.long_date(valid_until.astimezone(clock.BRUSSELS).date(), language),
    )
    sent = sent_mail.send_once(f"CUSTOMER#{customer_id}", key, Mail(to=customer.email, subject=subject, text=text, language=language))
    if sent:
        store.audit(customer_id, by, "portal_invited", now, valid_until=valid_until.isoformat())
        logger().info("portal invitation sent", extra={"customer_number": rules.customer_number(customer_id)})
    return {"sent": sent, "status": "INVITED", "expires_at": valid_until.isoformat()}


def activate(token: str, password: str) -> dict[str, Any]:
    rules.check_password(password)
    invalid = DomainError("portal.invalid_link", "This link is not valid any more. Register with your customer number or ask us for a new link.", "token")
    token_hash = _hash(token)
    access = store.invitation_by_hash(token_hash)
    now = clock.now()
    if access is None or access.status != "INVITED" or not access.invite_expires_at or datetime.fromisoformat(access.invite_expires_at) < now:
        raise invalid
    customer = store.find_customer(access.customer_id)
    if customer is None:
        raise invalid
    username = customer.email.strip().lower()
    if not store.use_invitation(access, token_hash, username, now):
        raise invalid
    _grant(username, access.customer_id, password)
    store.audit(access.customer_id, "customer", "portal_activated", now, via="invitation")
    return {"status": "ACTIVE", "email": username, "customer_number": rules.customer_number(access.customer_id)}


def _grant(username: str, customer_id: str, password: str) -> None:
    try:
        portal_identity.grant_customer_access(username, customer_id, password)
    except portal_identity.UserTaken as exc:
        raise AlreadyActive() from exc


# ================================================================== self-registration
def _registering_customer(customer_number: str, ogm: str | None, ean: str | None) -> str | None:
    number = customer_number.strip().upper()
    if ogm:
        try:
            invoice = invoices_store.find_by_ogm(ogm_digits(ogm))
        except DomainError:
            invoice = None
        if invoice is not None and rules.customer_number(invoice.customer_id) == number:
            return invoice.customer_id
    if ean:
        try:
            ean = validate_ean(ean)
        except DomainError:
            return None
        for customer_id in store.customers_with_term("ean", ean):
            if rules.customer_number(customer_id) == number:
                return customer_id
    return None


def register(customer_number: str, ogm: str | None, ean: str | None, email: str, language: str | None) -> dict[str, Any]:
    """Always the same answer: whether the details matched is told only to the mailbox."""
    if not ogm and not ean:
        raise DomainError("register.proof_required", "Give the structured reference (OGM) of one of your invoices or the EAN of your meter.", "ogm")
    address = validate_email(email).lower()
    customer_id = _registering_customer(customer_number, ogm, ean)
    if customer_id is None:
        logger().info("portal registration did not match")
        return {"status": "CODE_SENT"}
    customer = store.find_customer(customer_id)
    if customer is None:
        return {"status": "CODE_SENT"}
    language = language if language in LANGUAGES else (customer.language if customer.language in LANGUAGES else "en")
    code = f"{secrets.randbelow(1_000_000):06d}"
    now = clock.now()
    store.save_code("register", _email_hash(address), customer_id, _hash(code), address, language, now + timedelta(minutes=rules.CODE_VALID_MINUTES))
    _mail(address, "portal_verification_code", language, first_name=customer.first_name, code=code, minutes=rules.CODE_VALID_MINUTES)
    store.audit(customer_id, "customer", "portal_registration_started", now)
    return {"status": "CODE_SENT"}


def confirm_registration(email: str, code: str, password: str) -> dict[str, Any]:
    rules.check_password(password)
    address = validate_email(email).lower()
    now = clock.now()
    try:
        stored = store.use_code("register", _email_hash(address), "-", _hash(code.strip()), now, rules.CODE_MAX_ATTEMPTS)
    except store.CodeRejected as exc:
        raise DomainError("portal.invalid_code", "This code is wrong or no longer valid. Ask for a new one.", "code") from exc
    if portal_identity.user_exists(address):
        raise AlreadyActive()
    _grant(address, stored.customer_id, password)
    store.mark_active(stored.customer_id, address, now)
    store.audit(stored.customer_id, "customer", "portal_activated", now, via="registration")
    index_customer(stored.customer_id)
    return {"status": "ACTIVE", "email": address, "customer_number": rules.customer_number(stored.customer_id)}


def sign_in(email: str, password: str) -> dict[str, Any] | None:
    return portal_identity.sign_in(email.strip().lower(), password)


# ================================================================== overview and invoices
def _points_view(customer_id: str, contract, settings: dict[str, store.DeliveryPointSettings]) -> list[dict[str, Any]]:
    points = []
    for point in contract.delivery_points or []:
        ean = point.get("ean")
        setting = settings.get(ean or "")
        breaker = setting.breaker_size_a if setting is not None and setting.breaker_size_a is not None else point.get("breaker_size_a")
        points.append({
            "ean": ean, "energy": point.get("energy"), "meter_type": point.get("meter_type"),
            "breaker_size_a": int(breaker) if breaker is not None else None,
            "outage_notices": bool(setting.outage_opt_in) if setting is not None else False,
        })
    return points


def _address(value) -> dict[str, Any] | None:
    if value is None:
        return None
    return value.as_dict() if hasattr(value, "as_dict") else dict(value)


def contracts_view(customer_id: str, language: str) -> list[dict[str, Any]]:
    settings = store.point_settings(customer_id)
    result = []
    for contract in store.contracts_of(customer_id):
        product = PRODUCTS.get(contract.product_code)
        result.append({
            "contract_id": contract.contract_id, "status": contract.status, "product_code": contract.product_code,
            "product_name": product.name(language) if product else contract.product_code, "start_date": contract.start_date, "ended_on": contract.ended_on,
            "billing_frequency": contract.billing_frequency, "supply_address": _address(contract.supply_address),
            "advance": format_amount(Decimal(contract.advance_amount or contract.first_advance)),
            "delivery_points": _points_view(customer_id, contract, settings),
        })
    return result


def _first_of_next_months(today: date, count: int):
    year, month = today.year, today.month
    for _ in range(count):
        month += 1
        if month > 12:
            year, month = year + 1, 1
        yield date(year, month, 1)


def next_advance(customer_id: str, today: date) -> dict[str, Any] | None:
    from wattdesk.services import billing  # read-only: the billing run's own rules

    best: dict[str, Any] | None = None
    for contract in store.contracts_of(customer_id):
        if contract.status not in ACTIVE_CONTRACTS:
            continue
        for day in _first_of_next_months(today, 12):
            if billing.due_reason(contract, day) is None and billing.is_in_rhythm(contract, day):
                if best is None or day.isoformat() < best["expected_on"]:
                    best = {"contract_id": contract.contract_id, "amount": format_amount(Decimal(contract.advance_amount or contract.first_advance)), "expected_on": day.isoformat()}
                break
    return best


def _invoice_rows(customer_id: str, today: date) -> tuple[list[dict[str, Any]], list[Any]]:
    entries = ledger.entries(customer_id)
    open_per_invoice: dict[str, Decimal] = {}
    for entry in entries:
        if entry.invoice_number:
            open_per_invoice[entry.invoice_number] = open_per_invoice.get(entry.invoice_number, Decimal("0.00")) + Decimal(entry.amount)
    records = invoices_store.of_customer(customer_id)
    credited_by: dict[str, str] = {}
    for record in records:
        if record.kind == "credit_note" and record.corrects:
            credited_by[record.corrects] = record.number
    rows = []
    for record in records:
        totals = json.loads(record.totals_json or "{}")
        total = Decimal(str(totals.get("incl_vat", "0")))
        open_amount = max(open_per_invoice.get(record.number, Decimal("0.00")), Decimal("0.00")) if record.kind != "credit_note" else Decimal("0.00")
        fully_credited = record.creditable_cents is not None and int(record.creditable_cents) <= 0 or bool(record.replaced_by)
        due = date.fromisoformat(record.due_date) if record.due_date else None
        rows.append({
            "number": record.number, "kind": record.kind, "issue_date": record.issue_date, "due_date": record.due_date, "total": format_amount(total),
            "open_amount": format_amount(open_amount), "status": rules.invoice_status(record.kind, open_amount, due, today, fully_credited),
            "ogm": record.ogm, "corrects": record.corrects, "credited_by": credited_by.get(record.number), "pdf_url": f"/me/invoices/{record.number}/pdf",
        })
    rows.sort(key=lambda row: (row["issue_date"], row["number"]), reverse=True)
    return rows, entries


PAYMENT_KINDS_EXCLUDED = ("invoice", "credit_note")


def invoices_view(customer_id: str) -> dict[str, Any]:
    rows, entries = _invoice_rows(customer_id, clock.today_in_brussels())
    payments = [
        {"booked_at": entry.booked_at, "kind": entry.kind, "amount": format_amount(-Decimal(entry.amount)), "invoice_number": entry.invoice_number}
        for entry in entries
        if entry.kind not in PAYMENT_KINDS_EXCLUDED
    ]
    payments.sort(key=lambda payment: payment["booked_at"], reverse=True)
    return {"items": rows, "payments": payments}


def overview(customer_id: str) -> dict[str, Any]:
    customer = store.find_customer(customer_id)
    if customer is None:
        raise NotYours(customer_id)
    language = customer.language if customer.language in LANGUAGES else "en"
    today = clock.today_in_brussels()
    rows, _ = _invoice_rows(customer_id, today)
    open_rows = [row for row in rows if row["status"] in ("open", "overdue")]
    return {
        "customer": {"customer_number": rules.customer_number(customer_id), "name": _name(customer), "language": customer.language},
        "contracts": contracts_view(customer_id, language),
        "balance": format_amount(ledger.balance(customer_id)),
        "open_invoices": [
            {"number": row["number"], "open_amount": row["open_amount"], "due_date": row["due_date"], "ogm": row["ogm"], "overdue": row["status"] == "overdue"}
            for row in sorted(open_rows, key=lambda row: (row["due_date"] or "9999", row["number"]))
        ],
        "next_advance": next_advance(customer_id, today),
    }


# ================================================================== contact data
def contact_view(customer_id: str) -> dict[str, Any]:
    customer = store.find_customer(customer_id)
    if customer is None:
        raise NotYours(customer_id)
    pending = store.pending_code("email_change", "-", customer_id)
    return {
        "email": customer.email, "phone": customer.phone, "language": customer.language,
        "correspondence_address": _address(customer.correspondence_address),
        "pending_email": pending.email if pending is not None and datetime.fromisoformat(pending.valid_until) >= clock.now() else None,
    }


def _checked_address(address: dict[str, Any]) -> dict[str, Any]:
    try:
        postcode = validate_postcode(str(address.get("postcode") or ""))
    except DomainError as exc:
        raise exc.with_field("correspondence_address.postcode") from exc
    for field in ("street", "number", "city"):
        if not str(address.get(field) or "").strip():
            raise DomainError("address.required", f"Give the {field}.", f"correspondence_address.{field}")
    return {
        "street": address["street"].strip(), "number": str(address["number"]).strip(), "box": (address.get("box") or None),
        "postcode": postcode, "city": address["city"].strip(), **({"country": address["country"]} if address.get("country") else {}),
    }


def update_contact(customer_id: str, changes: dict[str, Any], actor: str) -> dict[str, Any]:
    """`changes` holds only the fields the customer sent. Phone, language and address change at
    once; a new e-mail waits for its code."""
    customer = store.find_customer(customer_id)
    if customer is None:
        raise NotYours(customer_id)
    now = clock.now()
    updates: dict[str, Any] = {}
    changed: list[str] = []
    if "phone" in changes:
        try:
            phone = validate_phone(str(changes["phone"] or ""))
        except DomainError as exc:
            raise DomainError("contact.phone", "Give a valid phone number, e.g. +32 470 12 34 56.", "phone") from exc
        if phone != customer.phone:
            updates["phone"], changed = phone, changed + ["phone"]
    if "language" in changes:
        if changes["language"] not in LANGUAGES:
            raise DomainError("contact.language", "Language is one of nl, fr, de, en.", "language")
        if changes["language"] != customer.language:
            updates["language"], changed = changes["language"], changed + ["language"]
    if "correspondence_address" in changes:
        address = _checked_address(changes["correspondence_address"]) if changes["correspondence_address"] else None
        if address != _address(customer.correspondence_address):
            updates["correspondence_address"], changed = address, changed + ["correspondence_address"]
    if updates:
        store.update_contact(customer_id, **updates)
        # The audit names what changed and the language; never the phone or the address lines.
        store.audit(customer_id, actor, "contact_changed", now, fields=changed, **({"language": updates["language"]} if "language" in updates else {}))
    if changes.get("email"):
        try:
            new = validate_email(str(changes["email"])).lower()
        except DomainError as exc:
            raise exc.with_field("email") from exc
        if new != customer.email.lower():
            _start_email_change(customer_id, new, actor, now)
    return contact_view(customer_id)


def _start_email_change(customer_id: str, new: str, actor: str, now: datetime) -> None:
    customer = store.find_customer(customer_id)
    language = customer.language if customer.language in LANGUAGES else "en"
    code = f"{secrets.randbelow(1_000_000):06d}"
    store.save_code("email_change", "-", customer_id, _hash(code), new, language, now + timedelta(minutes=rules.CODE_VALID_MINUTES))
    _mail(new, "portal_email_code", language, first_name=customer.first_name, code=code, minutes=rules.CODE_VALID_MINUTES)
    store.audit(customer_id, actor, "email_change_requested", now)


def verify_email(customer_id: str, code: str, actor: str) -> dict[str, Any]:
    now = clock.now()
    customer = store.find_customer(customer_id)
    if customer is None:
        raise NotYours(customer_id)
    try:
        stored = store.use_code("email_change", "-", customer_id, _hash(code.strip()), now, rules.CODE_MAX_ATTEMPTS)
    except store.CodeRejected as exc:
        raise DomainError("portal.invalid_code", "This code is wrong or no longer valid. Ask for a new one.", "code") from exc
    old = customer.email.lower()
    access = store.portal_access(customer_id)
    sign_in_name = access.username if access is not None and access.username else old
    if sign_in_name == old:
        if portal_identity.user_exists(stored.email):
            raise DomainError("contact.email_taken", "This address already signs in to WattDesk.", "email")
        portal_identity.change_email(old, stored.email)
        if access is not None:
            store.mark_active(customer_id, stored.email, datetime.fromisoformat(access.activated_at) if access.activated_at else now)
    store.update_contact(customer_id, email=stored.email)
    store.audit(customer_id, actor, "email_changed", now, fields=["email"])
    return contact_view(customer_id)


# ================================================================== bank account (helper R's store)
def bank_account_view(customer_id: str) -> dict[str, Any]:
    from wattdesk.stores import bank_accounts

    account = bank_accounts.current(customer_id)
    if account is None:
        return {"iban": None, "account_holder": None, "changed_at": None}
    return {"iban": mask_iban(account.iban), "account_holder": account.holder, "changed_at": account.changed_at}


def change_bank_account(customer_id: str, iban: str, holder: str, actor: str) -> dict[str, Any]:
    from wattdesk.stores import bank_accounts

    try:
        bank_accounts.change(customer_id, iban, holder, actor, clock.now(), "portal")
    except DomainError as exc:
        field = {"holder": "account_holder"}.get(exc.field or "", exc.field or "iban")
        raise exc.with_field(field) from exc
    index_customer(customer_id)
    return bank_account_view(customer_id)


# ================================================================== outage notices
def _own_points(customer_id: str) -> dict[str, tuple[Any, dict[str, Any]]]:
    """EAN -> (contract, its supply address) for the customer's running contracts."""
    points: dict[str, tuple[Any, dict[str, Any]]] = {}
    for contract in store.contracts_of(customer_id):
        if contract.status not in ACTIVE_CONTRACTS:
            continue
        for point in contract.delivery_points or []:
            if point.get("ean"):
                points[str(point["ean"])] = (contract, _address(contract.supply_address) or {})
    return points


def outage_notices_view(customer_id: str) -> dict[str, Any]:
    settings = store.point_settings(customer_id)
    return {
        "delivery_points": [
            {"ean": ean, "opt_in": bool(settings[ean].outage_opt_in) if ean in settings else False, "postcode": address.get("postcode"), "street": address.get("street")}
            for ean, (_contract, address) in sorted(_own_points(customer_id).items())
        ]
    }


def set_outage_notices(customer_id: str, choices: list[dict[str, Any]], actor: str) -> dict[str, Any]:
    points = _own_points(customer_id)
    unknown = [choice["ean"] for choice in choices if choice["ean"] not in points]
    if unknown:
        raise NotYours(unknown[0])
    now = clock.now()
    for choice in choices:
        contract, address = points[choice["ean"]]
        store.set_outage_opt_in(customer_id, contract.contract_id, choice["ean"], bool(choice["opt_in"]), str(address.get("postcode") or ""), str(address.get("street") or ""), now)
    store.audit(customer_id, actor, "outage_notices_changed", now, choices={choice["ean"]: bool(choice["opt_in"]) for choice in choices})
    return outage_notices_view(customer_id)


def _outage_id(postcode: str, streets: list[str], starts_at: datetime, ends_at: datetime) -> str:
    key = json.dumps([postcode, sorted(rules.normalised_street(s) for s in streets), starts_at.isoformat(), ends_at.isoformat()])
    return "O" + hashlib.sha256(key.encode()).hexdigest()[:15]


def _local(instant: datetime, language: str) -> str:
    local = instant.astimezone(clock.BRUSSELS)
    return f"{documents.long_date(local.date(), language)} {local:%H:%M}"


def post_outage(postcode: str, streets: list[str], starts_at: datetime, ends_at: datetime, reason: str | None, actor: str) -> tuple[dict[str, Any], bool]:
    """Mails every opted-in customer with a delivery point in the area, once per outage; posting
    the same outage again mails nobody again."""
    postcode = validate_postcode(postcode)
    if ends_at <= starts_at:
        raise DomainError("outage.period", "The end must be after the start.", "ends_at")
    streets = [street.strip() for street in streets if street and street.strip()]
    outage_id = _outage_id(postcode, streets, starts_at, ends_at)
    now = clock.now()
    outage, created = store.create_outage(store.Outage(
        f"OUTAGE#{outage_id}", "OUTAGE", outage_id=outage_id, postcode=postcode, streets=streets, starts_at=starts_at.isoformat(), ends_at=ends_at.isoformat(),
        reason=reason, posted_by=actor, posted_at=now.isoformat(), GSI1PK="OUTAGES", GSI1SK=starts_at.isoformat(),
    ))
    found = []
    for street in (streets or [None]):
        found.extend(store.opted_in_points(postcode, street))
    per_customer: dict[str, list[str]] = {}
    for point in found:
        customer_id = point.PK.removeprefix("CUSTOMER#")
        per_customer.setdefault(customer_id, [])
        if point.ean not in per_customer[customer_id]:
            per_customer[customer_id].append(point.ean)
    mailed = 0
    for customer_id, eans in sorted(per_customer.items()):
        customer = store.find_customer(customer_id)
        if customer is None:
            continue
        language = customer.language if customer.language in LANGUAGES else "en"
        subject, text = render(
            "outage_notice", language, first_name=customer.first_name, day=documents.long_date(starts_at.astimezone(clock.BRUSSELS).date(), language),
            area=f"{', '.join(streets)} ({postcode})" if streets else postcode, starts=_local(starts_at, language), ends=_local(ends_at, language),
            reason=reason or "", eans=", ".join(sorted(eans)),
        )
        if sent_mail.send_once(f"OUTAGE#{outage_id}", f"NOTICE#{customer_id}", Mail(to=customer.email, subject=subject, text=text, language=language)):
            mailed += 1
    store.set_outage_counts(outage_id, len(found), mailed)
    logger().info("outage posted", extra={"outage_id": outage_id, "affected": len(found), "mailed": mailed})
    return {"outage_id": outage_id, "postcode": postcode, "streets": streets, "starts_at": starts_at.isoformat(), "ends_at": ends_at.isoformat(),
            "affected_delivery_points": len(found), "mailed": mailed}, created


def outages_view() -> dict[str, Any]:
    return {"items": [
        {"outage_id": o.outage_id, "postcode": o.postcode, "streets": list(o.streets or []), "starts_at": o.starts_at, "ends_at": o.ends_at, "reason": o.reason,
         "posted_by": o.posted_by, "posted_at": o.posted_at, "affected_delivery_points": int(o.affected or 0), "mailed": int(o.mailed or 0)}
        for o in store.outages()
    ]}


# ================================================================== staff-handled requests
def create_request(customer_id: str, body: dict[str, Any], actor: str) -> tuple[dict[str, Any], bool]:
    kind = body["kind"]
    if kind not in rules.REQUEST_KINDS:
        raise DomainError("request.kind", f"Kind is one of {', '.join(rules.REQUEST_KINDS)}.", "kind")
    own = {contract.contract_id: contract for contract in store.contracts_of(customer_id)}
    if body.get("contract_id") and body["contract_id"] not in own:
        raise NotYours(body["contract_id"])
    if body.get("ean") and not any(point.get("ean") == body["ean"] for contract in own.values() for point in contract.delivery_points or []):
        raise NotYours(body["ean"])
    if kind in ("product_change", "breaker_size", "interim_invoice") and not body.get("contract_id"):
        raise DomainError("request.contract_required", "Choose the contract this request is about.", "contract_id")
    if kind == "product_change" and (body.get("details") or {}).get("product_code") not in PRODUCTS:
        raise DomainError("request.product", "Choose one of our products.", "details.product_code")
    phone = None
    if body.get("phone"):
        try:
            phone = validate_phone(body["phone"])
        except DomainError as exc:
            raise DomainError("contact.phone", "Give a valid phone number, e.g. +32 470 12 34 56.", "phone") from exc
    if kind == "callback" and not phone:
        customer = store.find_customer(customer_id)
        phone = customer.phone if customer is not None else None
    now = clock.now()
    today = clock.today_in_brussels()
    # One request per customer, content and day: a double submit is the same request.
    fingerprint = json.dumps([customer_id, kind, body.get("contract_id"), body.get("ean"), body.get("message"), body.get("details"), today.isoformat()], sort_keys=True, default=str)
    request_id = "R" + hashlib.sha256(fingerprint.encode()).hexdigest()[:15]
    record, created = store.create_request(store.new_request(
        customer_id, request_id, now, kind=kind, contract_id=body.get("contract_id"), ean=body.get("ean"), message=body.get("message"),
        details_json=json.dumps(body.get("details") or {}, sort_keys=True), phone=phone, preferred_date=body.get("preferred_date"),
        preferred_time=body.get("preferred_time"), sla_due=rules.request_sla_due(today).isoformat(),
    ))
    if created:
        store.audit(customer_id, actor, "request_created", now, request_id=request_id, kind=kind)
    return store.request_view(record), created


def requests_of(customer_id: str) -> dict[str, Any]:
    items = [store.request_view(request) for request in store.requests_of(customer_id)]
    return {"items": sorted(items, key=lambda item: item["created_at"], reverse=True)}


def _ops_request_view(request: store.StaffRequest, today: date) -> dict[str, Any]:
    customer = store.find_customer(request.customer_id)
    return {
        **store.request_view(request), "customer_id": request.customer_id, "customer_number": rules.customer_number(request.customer_id),
        "customer_name": _name(customer) if customer is not None else None,
        "internal_notes": [dict(note.as_dict()) if hasattr(note, "as_dict") else dict(note) for note in request.internal_notes or []],
        "sla_breached": request.status in ("OPEN", "IN_PROGRESS") and date.fromisoformat(request.sla_due) < today,
    }


def ops_requests(status: str | None, kind: str | None) -> dict[str, Any]:
    statuses = [status] if status else ["OPEN", "IN_PROGRESS"]
    if status and status not in rules.REQUEST_STATUSES:
        raise DomainError("request.status", f"Status is one of {', '.join(rules.REQUEST_STATUSES)}.", "status")
    today = clock.today_in_brussels()
    found = []
    for one in statuses:
        if one in ("DONE", "REJECTED"):
            continue  # closed requests leave the work list; they stay on the customer's page
        found.extend(store.requests_in(one))
    items = [_ops_request_view(request, today) for request in found if not kind or request.kind == kind]
    return {"items": sorted(items, key=lambda item: item["created_at"])}


def move_request(request_id: str, status: str, note: str | None, internal_note: str | None, breaker_size_a: int | None, actor: str) -> dict[str, Any]:
    request = store.find_request(request_id)
    if request is None:
        raise NotYours(request_id)
    rules.check_request_move(request.status, status)
    now = clock.now()
    if breaker_size_a is not None:
        if request.kind != "breaker_size" or status != "DONE" or not request.ean:
            raise DomainError("request.breaker_size", "A breaker size is recorded only when a breaker-size request for a delivery point is done.", "breaker_size_a")
    try:
        moved = store.move_request(request, status, actor, note, internal_note, now)
    except Exception as exc:
        if getattr(exc, "cause_response_code", None) == "ConditionalCheckFailedException":
            raise DomainError("request.closed", "Someone else changed this request meanwhile; reload it.", "status") from exc
        raise
    if breaker_size_a is not None:
        store.set_breaker_size(request.customer_id, request.contract_id or "", request.ean, int(breaker_size_a), now)
    store.audit(request.customer_id, actor, "request_status_changed", now, request_id=request_id, status=status, **({"breaker_size_a": breaker_size_a} if breaker_size_a else {}))
    return _ops_request_view(moved, clock.today_in_brussels())
