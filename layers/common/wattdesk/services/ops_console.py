"""The ops console (issue 10): one queue over every workflow's work list, customer search and the
customer's detail page with its audit trail.

Read-only over the other workflows' stores. A store that is not deployed yet (an issue still in
progress) is imported when the queue is read; its kind is then listed as `unavailable` instead of
breaking the page.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from wattdesk import clock
from wattdesk.domain import portal as rules
from wattdesk.domain.iban import mask_iban
from wattdesk.domain.working_days import add_working_days
from wattdesk.services import portal
from wattdesk.stores import customers as store

KINDS = ("blocked_enrollment", "reading_review", "suspense_payment", "refund_approval", "advisor_request", "complaint", "staff_request")

# Working days an item may wait before its SLA is breached, where its workflow sets no deadline
# of its own (enrollments: the 10-working-day escalation; complaints and payment plans carry theirs).
SLA_WORKING_DAYS = {"reading_review": 5, "suspense_payment": 5, "refund_approval": 3}
ENROLLMENT_ESCALATION_WORKING_DAYS = 10


class Unavailable(Exception):
    """The store behind a kind is not deployed yet."""


def _store(name: str):
    try:
        return importlib.import_module(f"wattdesk.stores.{name}")
    except ImportError as exc:
        raise Unavailable(name) from exc


def _day(value: str | None) -> date | None:
    if not value:
        return None
    if len(value) == 10:
        return date.fromisoformat(value)
    return datetime.fromisoformat(value).astimezone(clock.BRUSSELS).date()


def _item(kind: str, item_id: str, title: str, since: str, today: date, link: str, customer_id: str | None = None,
          sla_due: date | None = None, breached: bool | None = None) -> dict[str, Any]:
    since_day = _day(since) or today
    if sla_due is None and kind in SLA_WORKING_DAYS:
        sla_due = add_working_days(since_day, SLA_WORKING_DAYS[kind])
    return {
        "kind": kind, "id": item_id, "title": title, "customer_id": customer_id, "since": since, "age_days": max((today - since_day).days, 0),
        "sla_due": sla_due.isoformat() if sla_due else None,
        "sla_breached": bool(breached) or (sla_due is not None and today > sla_due),
        "link": link,
    }


# ------------------------------------------------------------------ one reader per kind
def _blocked_enrollments(today: date) -> list[dict[str, Any]]:
    enrollments = _store("enrollments")
    items = []
    for status in ("BLOCKED", "AWAITING_CUSTOMER"):
        for record in enrollments.queue(status):
            request = record.request
            person = request.get("customer", {})
            reasons = ", ".join(str(reason.get("code")) for reason in (record.block_reasons or []))
            since = record.waiting_since or record.updated_at or record.created_at
            items.append(_item(
                "blocked_enrollment", record.enrollment_id, f"{person.get('first_name', '')} {person.get('last_name', '')} — {status}{': ' + reasons if reasons else ''}".strip(),
                since, today, f"/ops/enrollments/{record.enrollment_id}", record.customer_id,
                add_working_days(_day(since) or today, ENROLLMENT_ESCALATION_WORKING_DAYS), bool(record.escalated),
            ))
    return items


def _readings(today: date) -> list[dict[str, Any]]:
    readings = _store("readings")
    return [
        _item("reading_review", r.reading_id, f"EAN {r.ean} — reading of {r.reading_date}", r.created_at, today, f"/ops/readings?status=IMPLAUSIBLE#{r.reading_id}", r.customer_id)
        for r in readings.implausible_queue()
    ]


def _suspense(today: date) -> list[dict[str, Any]]:
    payments = _store("payments")
    return [
        _item("suspense_payment", p.payment_id, f"Payment of {p.amount} received {p.received_on}", p.created_at, today, f"/ops/payments/suspense#{p.payment_id}", p.customer_id)
        for p in payments.suspense()
    ]


def _refunds(today: date) -> list[dict[str, Any]]:
    refunds = _store("refunds")
    items = []
    for r in refunds.with_status("AWAITING_APPROVAL"):
        customer = r.customer_id if not str(r.customer_id).startswith("PAYER-") else None
        items.append(_item("refund_approval", r.refund_id, f"Refund of {r.amount or r.requested_amount} ({r.source.lower()})", r.updated_at, today, f"/ops/refunds/{r.refund_id}", customer))
    return items


def _advisor_requests(today: date) -> list[dict[str, Any]]:
    plans = _store("payment_plans")
    items = []
    for plan in plans.queue("REQUESTED"):
        items.append(_item(
            "advisor_request", plan.plan_id, "Payment plan request — contact the customer", plan.requested_at, today, f"/ops/payment-plans/{plan.plan_id}",
            plan.customer_id, _day(plan.contact_deadline), plan.escalated_at is not None,
        ))
    for plan in plans.queue("AWAITING_APPROVAL"):
        items.append(_item("advisor_request", plan.plan_id, "Payment plan — supervisor approval", plan.updated_at, today, f"/ops/payment-plans/{plan.plan_id}", plan.customer_id,
                           add_working_days(_day(plan.updated_at) or today, 3)))
    return items


def _complaints(today: date) -> list[dict[str, Any]]:
    complaints = _store("complaints")
    return [
        _item("complaint", c.number, f"Complaint {c.number} ({c.nature})", c.registered_at, today, f"/ops/complaints/{c.number}", c.customer_id, _day(c.deadline), bool(c.sla_breached))
        for c in complaints.open_queue()
    ]


def _staff_requests(today: date) -> list[dict[str, Any]]:
    items = []
    for status in ("OPEN", "IN_PROGRESS"):
        for r in store.requests_in(status):
            items.append(_item("staff_request", r.request_id, f"{r.kind.replace('_', ' ')} — {status.lower().replace('_', ' ')}", r.created_at, today,
                               f"/ops/requests#{r.request_id}", r.customer_id, date.fromisoformat(r.sla_due)))
    return items


READERS: dict[str, Callable[[date], list[dict[str, Any]]]] = {
    "blocked_enrollment": _blocked_enrollments, "reading_review": _readings, "suspense_payment": _suspense, "refund_approval": _refunds,
    "advisor_request": _advisor_requests, "complaint": _complaints, "staff_request": _staff_requests,
}


def queue(kinds: list[str] | None = None, min_age_days: int | None = None, sla: str | None = None, customer_id: str | None = None) -> dict[str, Any]:
    today = clock.today_in_brussels()
    wanted = [kind for kind in KINDS if not kinds or kind in kinds]
    items: list[dict[str, Any]] = []
    counts: dict[str, int] = {}
    unavailable: list[str] = []
    for kind in wanted:
        try:
            found = READERS[kind](today)
        except Unavailable:
            unavailable.append(kind)
            continue
        if customer_id is not None:
            found = [item for item in found if item["customer_id"] == customer_id]
        if min_age_days is not None:
            found = [item for item in found if item["age_days"] >= min_age_days]
        if sla == "breached":
            found = [item for item in found if item["sla_breached"]]
        elif sla == "ok":
            found = [item for item in found if not item["sla_breached"]]
        counts[kind] = len(found)
        items.extend(found)
    items.sort(key=lambda item: (item["since"], item["kind"], item["id"]))
    return {"items": items, "counts": counts, "unavailable": unavailable}


# ------------------------------------------------------------------ search
INVOICE_NUMBER = re.compile(r"^\d{4}-[A-Z]-\d{6}$")
IBAN = re.compile(r"^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def _matches(q: str) -> list[tuple[str, str]]:
    """(customer id, what matched) for every reading of the query that finds someone."""
    from wattdesk.stores import invoices as invoices_store
    from wattdesk.stores import payments as payments_store

    text = q.strip()
    compact = re.sub(r"[\s+*/.-]", "", text).upper()
    found: list[tuple[str, str]] = []
    if UUID.match(text.lower()) and store.find_customer(text.lower()) is not None:
        found.append((text.lower(), "customer_id"))
    if re.fullmatch(r"\d{18}", compact):
        found += [(customer_id, "ean") for customer_id in store.customers_with_term("ean", compact)]
    if INVOICE_NUMBER.match(text.upper()):
        invoice = invoices_store.find_by_number(text.upper())
        if invoice is not None:
            found.append((invoice.customer_id, "invoice_number"))
    if re.fullmatch(r"\d{12}", compact):
        invoice = invoices_store.find_by_ogm(compact)
        if invoice is not None:
            found.append((invoice.customer_id, "ogm"))
    if IBAN.match(compact):
        found += [(customer_id, "iban") for customer_id in store.customers_with_term("iban", compact)]
        found += [(customer_id, "iban") for customer_id in payments_store.customers_of_iban(compact)]
    if re.fullmatch(r"[0-9A-F]{8}", compact):
        found += [(customer_id, "customer_number") for customer_id in store.customers_with_term("number", compact)]
    tokens = sorted(rules.name_tokens(text))
    if tokens and not found:
        candidates: set[str] | None = None
        for token in tokens:
            ids = set(store.customers_with_term("name", token))
            candidates = ids if candidates is None else candidates & ids
        found += [(customer_id, "name") for customer_id in sorted(candidates or set())]
    return found


def _masked_iban(customer_id: str) -> str | None:
    from wattdesk.stores import bank_accounts, mandates

    account = bank_accounts.current(customer_id)
    if account is not None:
        return mask_iban(account.iban)
    mandate = mandates.current(customer_id)
    if mandate is not None:
        return mask_iban(mandate.iban)
    for contract in store.contracts_of(customer_id):
        payment = portal._address(contract.payment) or {}
        if payment.get("iban"):
            return mask_iban(payment["iban"])
    return None


def search(q: str, limit: int = 50) -> dict[str, Any]:
    seen: dict[str, str] = {}
    for customer_id, matched in _matches(q):
        seen.setdefault(customer_id, matched)
    items = []
    for customer_id, matched in list(seen.items())[:limit]:
        customer = store.find_customer(customer_id)
        if customer is None:
            continue
        contracts = store.contracts_of(customer_id)
        address = portal._address(contracts[0].supply_address) if contracts else None
        items.append({
            "customer_id": customer_id, "customer_number": rules.customer_number(customer_id), "name": portal._name(customer),
            "postcode": (address or {}).get("postcode"), "city": (address or {}).get("city"), "matched_on": matched, "iban": _masked_iban(customer_id),
        })
    return {"items": items}


# ------------------------------------------------------------------ detail
def _enrollment_trail(enrollment_id: str) -> list[dict[str, Any]]:
    import json

    from wattdesk.stores import enrollments

    try:
        entries = enrollments.audit_trail(enrollment_id)
    except Exception:  # noqa: BLE001 - an enrollment id from a test fixture or an import: no trail
        return []
    return [{"at": e.at, "actor": e.actor, "action": f"enrollment.{e.action}", "details": json.loads(e.details or "{}")} for e in entries]


def detail(customer_id: str) -> dict[str, Any] | None:
    customer = store.find_customer(customer_id)
    if customer is None:
        return None
    language = customer.language if customer.language in portal.LANGUAGES else "en"
    today = clock.today_in_brussels()
    rows, _entries = portal._invoice_rows(customer_id, today)
    access = store.portal_access(customer_id)
    account = portal.bank_account_view(customer_id)
    audit = store.audit_trail(customer_id)
    if customer.created_from:
        audit += _enrollment_trail(customer.created_from)
    audit.sort(key=lambda entry: entry["at"], reverse=True)
    from wattdesk.stores import ledger

    return {
        "customer_id": customer_id, "customer_number": rules.customer_number(customer_id), "name": portal._name(customer), "type": customer.customer_type,
        "language": customer.language, "email": customer.email, "phone": customer.phone,
        "correspondence_address": portal._address(customer.correspondence_address),
        "portal": {"status": access.status if access is not None else "NONE", "invited_at": access.invited_at if access else None,
                   "activated_at": access.activated_at if access else None},
        "contracts": portal.contracts_view(customer_id, language),
        "balance": portal.format_amount(ledger.balance(customer_id)),
        "open_invoices": [row for row in rows if row["status"] in ("open", "overdue")],
        "invoices": rows,
        "bank_account": {**account, "iban": account["iban"] or _masked_iban(customer_id)},
        "requests": [portal._ops_request_view(r, today) for r in sorted(store.requests_of(customer_id), key=lambda r: r.created_at, reverse=True)],
        "work": queue(customer_id=customer_id)["items"],
        "audit": audit,
    }
