"""Instalment plans (requests, proposals, accepted plans) and their instalment references.

Keys (docs/data-model.md):
  CUSTOMER#<id> / PLAN#<plan id>        the plan: request, advisor contact, proposal, approval, instalments
  PLAN#<plan id> / PLAN                  plan id -> customer (ops routes name the plan only)
  PLANOGM#<12 digits> / INSTALMENT       an instalment's structured reference -> plan, customer, instalment
  COUNTER#INSTALMENT#<year> / COUNTER    last instalment sequence used in a year (OGM base, see domain.instalments)

GSI1 work lists: QUEUE#PLAN#<status> / <since>#<plan id> (the advisor queue is REQUESTED; supervisors
see AWAITING_APPROVAL; the daily sweep follows ACTIVE).

Every status change is an update conditional on the current status, so a double click, a retried
request or two advisors at once move a plan once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pynamodb.attributes import BooleanAttribute, ListAttribute, MapAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from wattdesk.stores.base import WattDeskItem, plain, transaction_connection

OPEN_REQUEST_STATUSES = ("REQUESTED", "AWAITING_APPROVAL", "PROPOSED")


class PlanNotFound(LookupError):
    pass


class WrongStatus(RuntimeError):
    """The plan is not in the status the caller expected (already moved on)."""


class PaymentPlan(WattDeskItem):
    plan_id = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    status = UnicodeAttribute()
    channel = UnicodeAttribute()  # portal | counter
    language = UnicodeAttribute()
    requested_invoices = ListAttribute(default=list)
    preferred_instalments = NumberAttribute(null=True)
    advisor_contact = BooleanAttribute(default=False)
    contact_phone = UnicodeAttribute(null=True)
    note = UnicodeAttribute(null=True)
    requested_at = UnicodeAttribute()
    requested_by = UnicodeAttribute()
    contact_deadline = UnicodeAttribute()
    contacted_at = UnicodeAttribute(null=True)
    contacted_by = UnicodeAttribute(null=True)
    contact_note = UnicodeAttribute(null=True)
    escalated_at = UnicodeAttribute(null=True)
    proposal = MapAttribute(null=True)  # invoices, instalments, debt, reason, by, at
    approval = MapAttribute(null=True)  # by, at, note
    accepted_at = UnicodeAttribute(null=True)
    debt = UnicodeAttribute(null=True)
    instalments = ListAttribute(of=MapAttribute, default=list)  # number, amount, due_date, ogm, reminder_sent_on
    agreement_key = UnicodeAttribute(null=True)
    ended_at = UnicodeAttribute(null=True)
    end_reason = UnicodeAttribute(null=True)
    history = ListAttribute(of=MapAttribute, default=list)
    updated_at = UnicodeAttribute()

    @property
    def instalment_list(self) -> list[dict[str, Any]]:
        return [plain(item) for item in self.instalments]

    @property
    def proposal_dict(self) -> dict[str, Any] | None:
        return plain(self.proposal) if self.proposal is not None else None


class PlanIndex(WattDeskItem):
    customer_id = UnicodeAttribute()


class InstalmentReference(WattDeskItem):
    plan_id = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    number = NumberAttribute()


class InstalmentCounter(WattDeskItem):
    last = NumberAttribute(default=0)


def _queue(status: str, since: str, plan_id: str) -> dict[str, str]:
    return {"GSI1PK": f"QUEUE#PLAN#{status}", "GSI1SK": f"{since}#{plan_id}"}


def create(plan: PaymentPlan) -> PaymentPlan:
    plan.GSI1PK, plan.GSI1SK = _queue(plan.status, plan.requested_at, plan.plan_id).values()
    with TransactWrite(connection=transaction_connection()) as transaction:
        transaction.save(plan, condition=PaymentPlan.PK.does_not_exist())
        transaction.save(PlanIndex(f"PLAN#{plan.plan_id}", "PLAN", customer_id=plan.customer_id), condition=PlanIndex.PK.does_not_exist())
    return plan


def get(plan_id: str) -> PaymentPlan:
    try:
        index = PlanIndex.get(f"PLAN#{plan_id}", "PLAN", consistent_read=True)
        return PaymentPlan.get(f"CUSTOMER#{index.customer_id}", f"PLAN#{plan_id}", consistent_read=True)
    except DoesNotExist as exc:
        raise PlanNotFound(plan_id) from exc


def plans_of(customer_id: str) -> list[PaymentPlan]:
    return list(PaymentPlan.query(f"CUSTOMER#{customer_id}", PaymentPlan.SK.startswith("PLAN#"), consistent_read=True))


def queue(status: str) -> list[PaymentPlan]:
    return list(PaymentPlan.work_list.query(f"QUEUE#PLAN#{status}"))


def transition(plan: PaymentPlan, expected: tuple[str, ...], status: str, at: datetime, reason: str, **changes: Any) -> PaymentPlan:
    """Moves the plan from one of ``expected`` to ``status`` with its history line, once."""
    now = at.isoformat()
    actions = [PaymentPlan.updated_at.set(now)]
    if status != plan.status:
        actions += [
            PaymentPlan.status.set(status),
            PaymentPlan.history.set(PaymentPlan.history.append([{"at": now, "status": status, "reason": reason}])),
        ]
        if status in ("REQUESTED", "AWAITING_APPROVAL", "PROPOSED", "ACTIVE"):
            actions += [PaymentPlan.GSI1PK.set(f"QUEUE#PLAN#{status}"), PaymentPlan.GSI1SK.set(f"{now}#{plan.plan_id}")]
        else:
            actions += [PaymentPlan.GSI1PK.remove(), PaymentPlan.GSI1SK.remove()]
    for name, value in changes.items():
        attribute = getattr(PaymentPlan, name)
        actions.append(attribute.remove() if value is None else attribute.set(value))
    try:
        plan.update(actions=actions, condition=PaymentPlan.status.is_in(*expected))
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            raise WrongStatus(plan.plan_id) from exc
        raise
    return plan


def change(plan: PaymentPlan, at: datetime, **changes: Any) -> PaymentPlan:
    """Changes fields without a status change (contact recorded, escalation, instalment reminder)."""
    actions = [PaymentPlan.updated_at.set(at.isoformat())]
    for name, value in changes.items():
        attribute = getattr(PaymentPlan, name)
        actions.append(attribute.remove() if value is None else attribute.set(value))
    plan.update(actions=actions, condition=PaymentPlan.status == plan.status)
    return plan


def reserve_instalment_sequences(year: int, count: int) -> list[int]:
    """``count`` fresh sequence numbers of the year (atomic ADD: never handed out twice)."""
    counter = InstalmentCounter(f"COUNTER#INSTALMENT#{year}", "COUNTER")
    counter.update(actions=[InstalmentCounter.last.add(count)])
    last = int(counter.last)
    return list(range(last - count + 1, last + 1))


def activate(plan: PaymentPlan, instalments: list[dict[str, Any]], debt: str, at: datetime) -> PaymentPlan:
    """The customer's acceptance: instalments and their references in one transaction, from PROPOSED only."""
    now = at.isoformat()
    try:
        with TransactWrite(connection=transaction_connection()) as transaction:
            transaction.update(
                plan,
                actions=[
                    PaymentPlan.status.set("ACTIVE"), PaymentPlan.accepted_at.set(now), PaymentPlan.debt.set(debt), PaymentPlan.instalments.set(instalments),
                    PaymentPlan.updated_at.set(now), PaymentPlan.GSI1PK.set("QUEUE#PLAN#ACTIVE"), PaymentPlan.GSI1SK.set(f"{now}#{plan.plan_id}"),
                    PaymentPlan.history.set(PaymentPlan.history.append([{"at": now, "status": "ACTIVE", "reason": "accepted by the customer"}])),
                ],
                condition=PaymentPlan.status == "PROPOSED",
            )
            for instalment in instalments:
                digits = "".join(ch for ch in instalment["ogm"] if ch.isdigit())
                transaction.save(InstalmentReference(f"PLANOGM#{digits}", "INSTALMENT", plan_id=plan.plan_id, customer_id=plan.customer_id, number=instalment["number"]), condition=InstalmentReference.PK.does_not_exist())
    except TransactWriteError as exc:
        raise WrongStatus(plan.plan_id) from exc
    return get(plan.plan_id)


def find_instalment(ogm_digits: str) -> InstalmentReference | None:
    try:
        return InstalmentReference.get(f"PLANOGM#{ogm_digits}", "INSTALMENT", consistent_read=True)
    except DoesNotExist:
        return None
