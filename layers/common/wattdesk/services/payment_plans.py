"""Instalment plans with a personal advisor: request (portal or counter), advisor contact within 5
working days (escalated otherwise), proposal, supervisor approval beyond 6 instalments, acceptance
with the agreement protocol, and the daily follow-up (kept, reminded, broken, completed).

While a plan is asked for or kept, its invoices carry a collection suspension (reason
``payment_plan``, reference = the plan id), so the dunning run leaves them alone; breaking, declining
or completing the plan lifts it.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from wattdesk import clock
from wattdesk.adapters import documents, letters_pdf
from wattdesk.adapters.dunning_texts import render
from wattdesk.adapters.mail import Attachment, Mail
from wattdesk.api import ApiError, Conflict, NotFound
from wattdesk.domain import instalments as rules
from wattdesk.domain.errors import DomainError
from wattdesk.domain.money import ZERO, format_amount, to_cents
from wattdesk.domain.ogm import ogm_digits
from wattdesk.settings import get_settings
from wattdesk.stores import dunning as dunning_store
from wattdesk.stores import enrollments as customers
from wattdesk.stores import invoices, ledger, sent_mail
from wattdesk.stores import payment_plans as store
from wattdesk.stores.base import plain

SUSPENSION_REASON = "payment_plan"


def _money(amount: Decimal, language: str) -> str:
    return documents.money(amount, language)


def _mail(plan: store.PaymentPlan, key: str, kind: str, attachments: tuple[Attachment, ...] = (), **values: Any) -> bool:
    customer = customers.get_customer(plan.customer_id)
    subject, text = render(kind, plan.language, first_name=customer.first_name, advisor_phone=letters_pdf.ADVISOR["phone"], **values)
    return sent_mail.send_once(f"PLAN#{plan.plan_id}", key, Mail(to=customer.email, subject=subject, text=text, language=plan.language, attachments=attachments))


def _suspend(plan: store.PaymentPlan, numbers: list[str], by: str, note: str) -> None:
    for number in numbers:
        dunning_store.suspend(plan.customer_id, number, SUSPENSION_REASON, plan.plan_id, by, clock.now(), note)


def _lift(plan: store.PaymentPlan, numbers: list[str], by: str) -> None:
    for number in numbers:
        dunning_store.lift(plan.customer_id, number, SUSPENSION_REASON, plan.plan_id, by, clock.now())


def _covered(plan: store.PaymentPlan) -> list[str]:
    proposal = plan.proposal_dict
    return list(proposal["invoices"]) if proposal else list(plan.requested_invoices)


def _check_invoices(customer_id: str, numbers: list[str], field: str = "invoice_numbers") -> dict[str, Decimal]:
    """The customer's own open invoices, oldest first; a number that is not is a field error."""
    if not numbers:
        raise DomainError("plan.no_invoices", "choose at least one open invoice", field)
    open_items = ledger.open_items(customer_id)
    for index, number in enumerate(numbers):
        if number not in open_items:
            raise DomainError("plan.invoice_not_open", f"{number} is not an open invoice of this customer", f"{field}[{index}]")
    if len(set(numbers)) != len(numbers):
        raise DomainError("plan.duplicate_invoice", "an invoice is listed twice", field)
    return {number: open_items[number] for number in sorted(numbers)}


# ------------------------------------------------------------------ request
def request_plan(customer_id: str, body: dict[str, Any], channel: str, by: str) -> dict[str, Any]:
    now = clock.now()
    customer = customers.get_customer(customer_id)
    open_invoices = _check_invoices(customer_id, list(body["invoice_numbers"]))
    # Customers with more than one open request would confuse the advisor: one at a time.
    for existing in store.plans_of(customer_id):
        if existing.status in store.OPEN_REQUEST_STATUSES:
            raise Conflict("plan.request_open", "There is already an open payment plan request; your advisor will contact you.")
        if existing.status == "ACTIVE" and set(_covered(existing)) & set(open_invoices):
            raise Conflict("plan.already_covered", "An invoice you chose is already in a payment plan.")
    today = clock.today_in_brussels()
    plan_id = uuid.uuid4().hex[:12]
    plan = store.PaymentPlan(
        f"CUSTOMER#{customer_id}", f"PLAN#{plan_id}", plan_id=plan_id, customer_id=customer_id, status="REQUESTED", channel=channel, language=customer.language,
        requested_invoices=list(open_invoices), preferred_instalments=body.get("preferred_instalments"), advisor_contact=bool(body.get("advisor_contact")),
        contact_phone=body.get("contact_phone"), note=body.get("note"), requested_at=now.isoformat(), requested_by=by,
        contact_deadline=rules.advisor_contact_deadline(today).isoformat(), history=[{"at": now.isoformat(), "status": "REQUESTED", "reason": f"asked via {channel}"}],
        updated_at=now.isoformat(),
    )
    store.create(plan)
    _suspend(plan, list(open_invoices), by, "payment plan requested")
    _mail(plan, "requested", "plan_requested", contact_deadline=documents.long_date(date.fromisoformat(plan.contact_deadline), plan.language), advisor_contact=plan.advisor_contact)
    return plan_view(store.get(plan_id), for_ops=channel == "counter")


# ------------------------------------------------------------------ advisor
def advisor_queue() -> list[dict[str, Any]]:
    """Requests waiting for an advisor: escalated first, then oldest first."""
    plans = sorted(store.queue("REQUESTED"), key=lambda p: (p.escalated_at is None, p.requested_at))
    return [plan_view(plan, for_ops=True) for plan in plans]


def approval_queue() -> list[dict[str, Any]]:
    return [plan_view(plan, for_ops=True) for plan in store.queue("AWAITING_APPROVAL")]


def _get(plan_id: str) -> store.PaymentPlan:
    try:
        return store.get(plan_id)
    except store.PlanNotFound as exc:
        raise NotFound("This payment plan") from exc


def record_contact(plan_id: str, by: str, note: str | None) -> dict[str, Any]:
    plan = _get(plan_id)
    if plan.status not in store.OPEN_REQUEST_STATUSES:
        raise Conflict("plan.not_open", "This plan request is not open.")
    store.change(plan, clock.now(), contacted_at=clock.now().isoformat(), contacted_by=by, contact_note=note)
    return plan_view(store.get(plan_id), for_ops=True)


def propose(plan_id: str, by: str, invoice_numbers: list[str], count: int, reason: str | None) -> dict[str, Any]:
    now = clock.now()
    plan = _get(plan_id)
    if plan.status != "REQUESTED":
        raise Conflict("plan.not_requested", "Only a requested plan can get a proposal.")
    open_invoices = _check_invoices(plan.customer_id, invoice_numbers)
    debt = to_cents(sum(open_invoices.values(), ZERO))
    if rules.needs_approval(count) and not (reason and reason.strip()):
        raise DomainError("plan.reason_required", f"more than {rules.MAX_WITHOUT_APPROVAL} instalments need a reason for the supervisor", "reason")
    rules.check_count(count, approved_by_supervisor=rules.needs_approval(count), reason=reason)
    preview = rules.schedule(debt, count, clock.today_in_brussels())  # raises when an instalment would be too small
    proposal = {"invoices": list(open_invoices), "open": {n: format_amount(a) for n, a in open_invoices.items()}, "instalments": count, "debt": format_amount(debt), "reason": reason, "by": by, "at": now.isoformat(), "first_amount": format_amount(preview[0].amount)}
    status = "AWAITING_APPROVAL" if rules.needs_approval(count) else "PROPOSED"
    previous = set(_covered(plan))
    changes: dict[str, Any] = {"proposal": proposal}
    if plan.contacted_at is None:
        changes.update(contacted_at=now.isoformat(), contacted_by=by)
    try:
        store.transition(plan, ("REQUESTED",), status, now, f"proposal of {count} instalments by {by}", **changes)
    except store.WrongStatus as exc:
        raise Conflict("plan.not_requested", "Only a requested plan can get a proposal.") from exc
    plan = store.get(plan_id)
    _lift(plan, sorted(previous - set(open_invoices)), by)
    _suspend(plan, list(open_invoices), by, "payment plan proposed")
    if status == "PROPOSED":
        _announce_proposal(plan)
    return plan_view(plan, for_ops=True)


def _announce_proposal(plan: store.PaymentPlan) -> None:
    proposal = plan.proposal_dict or {}
    _mail(
        plan, f"proposed#{proposal.get('at')}", "plan_proposed", count=proposal["instalments"], debt=_money(Decimal(proposal["debt"]), plan.language),
        invoices=", ".join(proposal["invoices"]), plan_link=f"{get_settings().public_base_url}/me/payment-plans/{plan.plan_id}",
    )


def approve(plan_id: str, by: str, approved: bool, note: str | None) -> dict[str, Any]:
    now = clock.now()
    plan = _get(plan_id)
    if plan.status != "AWAITING_APPROVAL":
        raise Conflict("plan.not_awaiting_approval", "This plan does not wait for a supervisor.")
    proposal = plan.proposal_dict or {}
    if proposal.get("by") == by:
        raise ApiError(403, "plan.four_eyes", "The supervisor who approves cannot be the advisor who proposed.")
    approval = {"by": by, "at": now.isoformat(), "approved": approved, "note": note}
    if approved:
        store.transition(plan, ("AWAITING_APPROVAL",), "PROPOSED", now, f"approved by {by}", approval=approval)
        plan = store.get(plan_id)
        _announce_proposal(plan)
    else:
        # Back to the advisor, who proposes again within the limits.
        store.transition(plan, ("AWAITING_APPROVAL",), "REQUESTED", now, f"not approved by {by}: {note or ''}".strip(), approval=approval)
        plan = store.get(plan_id)
    return plan_view(plan, for_ops=True)


# ------------------------------------------------------------------ customer
def accept(plan_id: str, customer_id: str) -> dict[str, Any]:
    now = clock.now()
    plan = _get(plan_id)
    if plan.customer_id != customer_id:
        raise NotFound("This payment plan")
    if plan.status == "ACTIVE":
        return plan_view(plan)  # a double click: already accepted
    if plan.status != "PROPOSED":
        raise Conflict("plan.not_proposed", "There is no proposal to accept for this plan.")
    proposal = plan.proposal_dict or {}
    today = clock.today_in_brussels()
    # What is open now (a payment may have come in since the proposal); never more than proposed.
    open_items = ledger.open_items(customer_id)
    debt = to_cents(sum((min(open_items.get(n, ZERO), Decimal(proposal["open"][n])) for n in proposal["invoices"]), ZERO))
    if debt <= ZERO:
        raise Conflict("plan.nothing_open", "The invoices of this plan are paid already.")
    schedule = rules.schedule(debt, int(proposal["instalments"]), today)
    sequences = store.reserve_instalment_sequences(today.year, len(schedule))
    instalments = [
        {"number": item.number, "amount": format_amount(item.amount), "due_date": item.due_date.isoformat(), "ogm": rules.instalment_ogm(today.year, sequence), "reminder_sent_on": None}
        for item, sequence in zip(schedule, sequences, strict=True)
    ]
    try:
        plan = store.activate(plan, instalments, format_amount(debt), now)
    except store.WrongStatus:
        plan = store.get(plan_id)
        if plan.status == "ACTIVE":
            return plan_view(plan)
        raise Conflict("plan.not_proposed", "There is no proposal to accept for this plan.") from None
    _send_agreement(plan)
    return plan_view(store.get(plan_id))


def _send_agreement(plan: store.PaymentPlan) -> None:
    customer = customers.get_customer(plan.customer_id)
    proposal = plan.proposal_dict or {}
    contract = next(iter(customers.contracts_of_customer(plan.customer_id)), None)
    address = plain(customer.correspondence_address) if customer.correspondence_address else (plain(contract.supply_address) if contract else {"street": "", "number": "", "postcode": "", "city": ""})
    approval = plain(plan.approval) if plan.approval is not None else None
    pdf = letters_pdf.render_agreement(
        letters_pdf.AgreementProtocol(
            language=plan.language, plan_id=plan.plan_id, accepted_on=clock.parse_instant(plan.accepted_at).astimezone(clock.BRUSSELS).date(),
            customer_name=customer.company_name or f"{customer.first_name} {customer.last_name}", customer_address=[f"{address['street']} {address['number']}", f"{address['postcode']} {address['city']}"],
            customer_number=plan.customer_id[:8].upper(), invoices=[(n, Decimal(proposal["open"][n])) for n in proposal["invoices"]], debt=Decimal(plan.debt),
            instalments=[(i["number"], Decimal(i["amount"]), date.fromisoformat(i["due_date"]), i["ogm"]) for i in plan.instalment_list],
            approval_reason=proposal.get("reason") if approval and approval.get("approved") else None,
        )
    )
    filename = f"payment-plan-{plan.plan_id}.pdf"
    if not plan.agreement_key:
        key = documents.store_document("payment-plans", filename, pdf)
        store.change(plan, clock.now(), agreement_key=key)
    schedule = "\n".join(f"{i['number']}. {_money(Decimal(i['amount']), plan.language)} - {documents.long_date(date.fromisoformat(i['due_date']), plan.language)} - {i['ogm']}" for i in plan.instalment_list)
    _mail(plan, "accepted", "plan_accepted", attachments=(Attachment(filename, pdf),), schedule=schedule)


def decline(plan_id: str, customer_id: str) -> dict[str, Any]:
    plan = _get(plan_id)
    if plan.customer_id != customer_id:
        raise NotFound("This payment plan")
    try:
        store.transition(plan, store.OPEN_REQUEST_STATUSES, "DECLINED", clock.now(), "declined by the customer", ended_at=clock.now().isoformat(), end_reason="declined")
    except store.WrongStatus as exc:
        raise Conflict("plan.not_open", "This plan can no longer be declined.") from exc
    _lift(plan, _covered(plan), "customer")
    return plan_view(store.get(plan_id))


def agreement_pdf(plan_id: str, customer_id: str | None) -> tuple[str, bytes]:
    plan = _get(plan_id)
    if customer_id is not None and plan.customer_id != customer_id:
        raise NotFound("This payment plan")
    if not plan.agreement_key:
        raise NotFound("This agreement")
    return f"payment-plan-{plan.plan_id}.pdf", documents.read_document(plan.agreement_key)


# ------------------------------------------------------------------ sweeps
def escalate_requests(as_of: date) -> dict[str, Any]:
    """Requests no advisor answered within 5 working days are flagged (and sorted first in the queue)."""
    escalated = []
    for plan in store.queue("REQUESTED"):
        if plan.contacted_at is None and plan.escalated_at is None and as_of > date.fromisoformat(plan.contact_deadline):
            store.change(plan, clock.now(), escalated_at=clock.now().isoformat())
            escalated.append(plan.plan_id)
    return {"escalated": escalated}


def paid_towards(plan: store.PaymentPlan) -> Decimal:
    """What came in on the plan's invoices since acceptance: the debt minus what is still open."""
    open_items = ledger.open_items(plan.customer_id)
    still_open = sum((open_items.get(number, ZERO) for number in _covered(plan)), ZERO)
    return max(ZERO, Decimal(plan.debt) - still_open)


def _schedule(plan: store.PaymentPlan) -> list[rules.Instalment]:
    return [rules.Instalment(i["number"], Decimal(i["amount"]), date.fromisoformat(i["due_date"])) for i in plan.instalment_list]


def follow_plans(as_of: date) -> dict[str, Any]:
    """Daily: complete paid plans, remind a missed instalment once, break plans still missed 15 days later."""
    outcome: dict[str, list[str]] = {"completed": [], "reminded": [], "broken": []}
    for plan in store.queue("ACTIVE"):
        state = rules.plan_state(_schedule(plan), paid_towards(plan), as_of)
        if state.complete:
            store.transition(plan, ("ACTIVE",), "COMPLETED", clock.now(), "fully paid", ended_at=clock.now().isoformat(), end_reason="paid")
            _lift(plan, _covered(plan), "plan completed")
            _mail(plan, "completed", "plan_completed", debt=_money(Decimal(plan.debt), plan.language))
            outcome["completed"].append(plan.plan_id)
            continue
        if state.missed is None:
            continue
        missed = next(i for i in plan.instalment_list if i["number"] == state.missed.number)
        if not missed.get("reminder_sent_on"):
            _remind_instalment(plan, missed, state, as_of)
            outcome["reminded"].append(plan.plan_id)
        elif rules.is_broken(date.fromisoformat(missed["reminder_sent_on"]), as_of):
            store.transition(plan, ("ACTIVE",), "BROKEN", clock.now(), f"instalment {missed['number']} still unpaid after its reminder", ended_at=clock.now().isoformat(), end_reason=f"instalment {missed['number']} missed")
            _lift(plan, _covered(plan), "plan broken")
            _mail(plan, "broken", "plan_broken", instalment=missed["number"], remaining=_money(state.remaining, plan.language), invoices=", ".join(_covered(plan)))
            outcome["broken"].append(plan.plan_id)
    return outcome


def _remind_instalment(plan: store.PaymentPlan, missed: dict[str, Any], state: rules.PlanState, as_of: date) -> None:
    instalments = plan.instalment_list
    for item in instalments:
        if item["number"] == missed["number"]:
            item["reminder_sent_on"] = as_of.isoformat()
    # What is late up to this instalment (earlier ones partly paid count too).
    due_so_far = sum((Decimal(i["amount"]) for i in instalments if i["number"] <= missed["number"]), ZERO)
    late = max(ZERO, due_so_far - state.paid)
    store.change(plan, clock.now(), instalments=instalments)
    language = plan.language
    _mail(
        plan, f"instalment#{missed['number']}", "plan_instalment_reminder", instalment=missed["number"], amount=_money(Decimal(missed["amount"]), language),
        due_date=documents.long_date(date.fromisoformat(missed["due_date"]), language), late=_money(late, language),
        deadline=documents.long_date(rules.reminder_deadline(as_of), language), ogm=missed["ogm"],
    )


# ------------------------------------------------------------------ payments by instalment reference
def _plan_invoices_oldest_first(plan: store.PaymentPlan) -> list[str]:
    """The plan's invoices in the order a payment on the plan fills them: oldest due date first."""
    due: dict[str, str] = {}
    for number in _covered(plan):
        record = invoices.find_by_number(number)
        due[number] = (record.due_date or "9999-12-31") if record is not None else "9999-12-31"
    return sorted(due, key=lambda number: (due[number], number))


def instalment_of(reference: str) -> dict[str, Any] | None:
    """For the payments workflow (services.collection.match): the instalment an OGM belongs to, as
    ``{"customer_id", "plan_id", "number", "amount", "status" (the plan's), "invoice_numbers"
    (the plan's, oldest first)}``; None when the reference is no instalment's."""
    try:
        digits = ogm_digits(reference)
    except DomainError:
        return None
    found = store.find_instalment(digits)
    if found is None:
        return None
    plan = store.get(found.plan_id)
    instalment = next((i for i in plan.instalment_list if int(i["number"]) == int(found.number)), None)
    return {
        "customer_id": plan.customer_id, "plan_id": plan.plan_id, "number": int(found.number), "status": plan.status,
        "amount": instalment["amount"] if instalment else None, "invoice_numbers": _plan_invoices_oldest_first(plan),
    }


def allocate_instalment_payment(reference: str, amount: Decimal) -> tuple[str, list[tuple[str, Decimal]]] | None:
    """A payment quoting an instalment's OGM -> (customer id, the plan's invoices with the part of
    the amount to book on each, oldest first). None: not an instalment. (The payments workflow
    matches such a payment with ``instalment_of`` and books it on the same invoices in the same
    order; what exceeds them all follows the account's overpayment rule, domain.payments.)"""
    found = instalment_of(reference)
    if found is None:
        return None
    open_items = ledger.open_items(found["customer_id"])
    return found["customer_id"], rules.allocate(amount, [(number, open_items.get(number, ZERO)) for number in found["invoice_numbers"]])


# ------------------------------------------------------------------ views
def plan_view(plan: store.PaymentPlan, for_ops: bool = False, as_of: date | None = None) -> dict[str, Any]:
    proposal = plan.proposal_dict
    view: dict[str, Any] = {
        "plan_id": plan.plan_id, "status": plan.status, "channel": plan.channel, "requested_at": plan.requested_at,
        "invoice_numbers": list(plan.requested_invoices), "preferred_instalments": int(plan.preferred_instalments) if plan.preferred_instalments is not None else None,
        "advisor_contact": plan.advisor_contact, "contact_deadline": plan.contact_deadline,
        "proposal": {k: proposal.get(k) for k in ("invoices", "instalments", "debt", "first_amount", "reason")} if proposal else None,
        "debt": plan.debt, "accepted_at": plan.accepted_at, "ended_at": plan.ended_at, "end_reason": plan.end_reason,
        "agreement_url": f"/me/payment-plans/{plan.plan_id}/agreement" if plan.agreement_key else None,
    }
    if plan.instalment_list:
        state = rules.plan_state(_schedule(plan), paid_towards(plan), as_of or clock.today_in_brussels()) if plan.status == "ACTIVE" else None
        view["instalments"] = [
            {"number": i["number"], "amount": i["amount"], "due_date": i["due_date"], "ogm": i["ogm"], "reminder_sent_on": i.get("reminder_sent_on"), **({"status": state.statuses[n]} if state else {})}
            for n, i in enumerate(plan.instalment_list)
        ]
        if state:
            view["paid"] = format_amount(state.paid)
            view["remaining"] = format_amount(state.remaining)
    if for_ops:
        view.update(
            customer_id=plan.customer_id, contact_phone=plan.contact_phone, note=plan.note, requested_by=plan.requested_by,
            contacted_at=plan.contacted_at, contacted_by=plan.contacted_by, contact_note=plan.contact_note, escalated_at=plan.escalated_at,
            approval=plain(plan.approval) if plan.approval is not None else None, proposed_by=proposal.get("by") if proposal else None,
            history=[plain(entry) for entry in plan.history],
        )
    return view


def plans_of(customer_id: str) -> list[dict[str, Any]]:
    return [plan_view(plan) for plan in sorted(store.plans_of(customer_id), key=lambda p: p.requested_at, reverse=True)]


def view_for_customer(plan_id: str, customer_id: str) -> dict[str, Any]:
    plan = _get(plan_id)
    if plan.customer_id != customer_id:
        raise NotFound("This payment plan")
    return plan_view(plan)


def view_for_ops(plan_id: str) -> dict[str, Any]:
    return plan_view(_get(plan_id), for_ops=True)
