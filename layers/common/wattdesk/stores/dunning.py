"""Dunning cases, collection suspensions, the social-tariff flag, reminder fees and dunning runs.

Keys (docs/data-model.md):
  CUSTOMER#<id> / DUNNING#<invoice>                    the invoice's dunning case (steps, status, next date)
  CUSTOMER#<id> / SUSPENSION#<invoice>#<reason>#<ref>  collection suspended for an invoice (open while lifted_at is empty)
  CUSTOMER#<id> / SOCIAL_TARIFF                        protected customer (social tariff): never charged fees
  CUSTOMER#<id> / LEDGER#<at>#FEE#<invoice>#<round>#<step>   a reminder fee (a ledger entry, kind "fee")
  DUNNINGRUN#<run id> / RUN, ITEM#<customer id>        a daily run and its per-customer outcomes

GSI1 work lists: QUEUE#DUNNING#<status> / <date>#<invoice> (OPEN cases sorted by their next date,
SUSPENDED, OPS_QUEUE, DECIDED), DUNNINGRUNS / <as-of date>#<run id>.

A step is recorded in one transaction with its fee: the case update is conditional on the case's
version, the fee entry on its deterministic key, so a retried or re-run step can neither repeat nor
charge twice.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pynamodb.attributes import BooleanAttribute, ListAttribute, MapAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from wattdesk.stores.base import WattDeskItem, plain, transaction_connection
from wattdesk.stores.ledger import LedgerEntry

ACTIVE_STATUSES = ("OPEN", "SUSPENDED", "OPS_QUEUE", "DECIDED")


class StaleCase(RuntimeError):
    """Another writer changed the case since it was read (a retried or parallel step)."""


class DunningCase(WattDeskItem):
    invoice_number = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    region = UnicodeAttribute()
    language = UnicodeAttribute()
    due_date = UnicodeAttribute()
    status = UnicodeAttribute()  # OPEN | SUSPENDED | OPS_QUEUE | DECIDED | CLOSED
    round = NumberAttribute(default=1)
    steps = ListAttribute(of=MapAttribute, default=list)
    past_steps = ListAttribute(of=MapAttribute, default=list)  # steps of earlier rounds (a case reopened)
    next_on = UnicodeAttribute(null=True)
    next_step = UnicodeAttribute(null=True)
    suspension = UnicodeAttribute(null=True)  # complaint | payment_plan | refund | correction
    suspension_detail = UnicodeAttribute(null=True)
    suspended_since = UnicodeAttribute(null=True)
    resume_not_before = UnicodeAttribute(null=True)
    fees_booked = UnicodeAttribute(default="0.00")  # by this case, all rounds
    closed_reason = UnicodeAttribute(null=True)
    closed_on = UnicodeAttribute(null=True)
    decision = MapAttribute(null=True)
    history = ListAttribute(of=MapAttribute, default=list)  # status changes, with reason
    version = NumberAttribute(default=0)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()

    @property
    def step_list(self) -> list[dict[str, Any]]:
        return [plain(step) for step in self.steps]

    @property
    def all_steps(self) -> list[dict[str, Any]]:
        return [plain(step) for step in self.past_steps] + self.step_list


class Suspension(WattDeskItem):
    invoice_number = UnicodeAttribute()
    reason = UnicodeAttribute()
    reference = UnicodeAttribute()
    note = UnicodeAttribute(null=True)
    opened_at = UnicodeAttribute()
    opened_by = UnicodeAttribute()
    lifted_at = UnicodeAttribute(null=True)
    lifted_by = UnicodeAttribute(null=True)


class SocialTariff(WattDeskItem):
    protected = BooleanAttribute()
    source = UnicodeAttribute(null=True)
    set_by = UnicodeAttribute()
    set_at = UnicodeAttribute()
    history = ListAttribute(of=MapAttribute, default=list)


class DunningRun(WattDeskItem):
    as_of_date = UnicodeAttribute()
    status = UnicodeAttribute()
    started_at = UnicodeAttribute()
    finished_at = UnicodeAttribute(null=True)
    customers = NumberAttribute(default=0)
    summary_json = UnicodeAttribute(default="{}")
    items_key = UnicodeAttribute(null=True)


class DunningRunItem(WattDeskItem):
    customer_id = UnicodeAttribute()
    outcome = UnicodeAttribute()  # done | failed
    result_json = UnicodeAttribute(default="{}")
    at = UnicodeAttribute()


def _queue(status: str, sort: str, number: str) -> dict[str, str]:
    return {"GSI1PK": f"QUEUE#DUNNING#{status}", "GSI1SK": f"{sort}#{number}"}


# ------------------------------------------------------------------ cases
def case_key(customer_id: str, number: str) -> tuple[str, str]:
    return f"CUSTOMER#{customer_id}", f"DUNNING#{number}"


def get_case(customer_id: str, number: str) -> DunningCase | None:
    try:
        return DunningCase.get(*case_key(customer_id, number), consistent_read=True)
    except DoesNotExist:
        return None


def cases_of(customer_id: str) -> list[DunningCase]:
    return [item for item in DunningCase.query(f"CUSTOMER#{customer_id}", DunningCase.SK.startswith("DUNNING#"), consistent_read=True)]


def open_case(customer_id: str, number: str, region: str, language: str, due_date: str, today: date, at: datetime) -> DunningCase:
    """Creates the case once; a replay gets the existing one."""
    case = DunningCase(
        *case_key(customer_id, number), invoice_number=number, customer_id=customer_id, region=region, language=language, due_date=due_date,
        status="OPEN", history=[{"at": at.isoformat(), "status": "OPEN", "reason": "overdue"}], created_at=at.isoformat(), updated_at=at.isoformat(),
        **_queue("OPEN", today.isoformat(), number),
    )
    try:
        case.save(condition=DunningCase.PK.does_not_exist())
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return get_case(customer_id, number)  # type: ignore[return-value]
        raise
    return case


def _update(case: DunningCase, actions: list, extra_condition=None) -> None:
    condition = DunningCase.version == case.version
    if extra_condition is not None:
        condition = condition & extra_condition
    try:
        case.update(actions=[*actions, DunningCase.version.set(case.version + 1)], condition=condition)
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            raise StaleCase(case.invoice_number) from exc
        raise


def _status_actions(case: DunningCase, status: str, sort: str, reason: str, at: datetime) -> list:
    """Status change with its history line; a closed case leaves every work list."""
    actions = [DunningCase.updated_at.set(at.isoformat())]
    if status == "CLOSED":
        actions += [DunningCase.GSI1PK.remove(), DunningCase.GSI1SK.remove()]
    else:
        actions += [DunningCase.GSI1PK.set(f"QUEUE#DUNNING#{status}"), DunningCase.GSI1SK.set(f"{sort}#{case.invoice_number}")]
    if status != case.status:
        actions += [DunningCase.status.set(status), DunningCase.history.set(DunningCase.history.append([{"at": at.isoformat(), "status": status, "reason": reason}]))]
    return actions


def set_status(case: DunningCase, status: str, sort: str, reason: str, at: datetime, **changes: Any) -> None:
    actions = _status_actions(case, status, sort, reason, at)
    for name, value in changes.items():
        attribute = getattr(DunningCase, name)
        actions.append(attribute.remove() if value is None else attribute.set(value))
    _update(case, actions)


def set_next(case: DunningCase, next_on: date, next_step: str, at: datetime) -> None:
    if case.next_on == next_on.isoformat() and case.next_step == next_step and case.GSI1SK == f"{next_on.isoformat()}#{case.invoice_number}":
        return
    _update(case, [DunningCase.next_on.set(next_on.isoformat()), DunningCase.next_step.set(next_step), DunningCase.GSI1SK.set(f"{next_on.isoformat()}#{case.invoice_number}"), DunningCase.updated_at.set(at.isoformat())])


def fee_entry(case: DunningCase, kind: str, amount: Decimal, at: str) -> LedgerEntry:
    """The ledger entry of a reminder fee; its key is deterministic per case, round and step."""
    return LedgerEntry(
        case.PK, f"LEDGER#{at}#FEE#{case.invoice_number}#{int(case.round)}#{kind}", kind="fee", amount=f"{amount:.2f}",
        invoice_number=case.invoice_number, reference=f"DUNNING#{case.invoice_number}#{int(case.round)}#{kind}", booked_at=at,
    )


def record_step(case: DunningCase, step: dict[str, Any], status: str, at: datetime) -> None:
    """Appends the step (and books its fee) once: conditional on the case version and the fee key."""
    fee_total = Decimal(step["fee_total"])
    actions = [DunningCase.steps.set(DunningCase.steps.append([step])), DunningCase.next_on.remove(), DunningCase.next_step.remove(), DunningCase.resume_not_before.remove()]
    actions += _status_actions(case, status, step["on"], f"step {step['kind']}", at)
    if fee_total:
        actions.append(DunningCase.fees_booked.set(f"{Decimal(case.fees_booked) + fee_total:.2f}"))
    try:
        with TransactWrite(connection=transaction_connection()) as transaction:
            transaction.update(case, actions=[*actions, DunningCase.version.set(case.version + 1)], condition=DunningCase.version == case.version)
            if fee_total:
                transaction.save(fee_entry(case, step["kind"], fee_total, step["at"]), condition=LedgerEntry.PK.does_not_exist())
    except TransactWriteError as exc:
        reasons = [reason.code if reason is not None else None for reason in exc.cancellation_reasons or []]
        if "ConditionalCheckFailed" in reasons or "TransactionConflict" in reasons:
            raise StaleCase(case.invoice_number) from exc
        raise


def mark_step_mailed(case: DunningCase, index: int, letter_key: str | None) -> None:
    steps = case.step_list
    steps[index] = {**steps[index], "mailed": True, **({"letter_key": letter_key} if letter_key else {})}
    _update(case, [DunningCase.steps.set(steps)])


def reopen(case: DunningCase, today: date, at: datetime) -> None:
    """A closed case whose invoice is open and overdue again (e.g. a returned direct debit): a new round."""
    actions = _status_actions(case, "OPEN", today.isoformat(), "open again", at)
    actions += [
        DunningCase.round.set(int(case.round) + 1), DunningCase.past_steps.set(case.all_steps), DunningCase.steps.set([]),
        DunningCase.closed_reason.remove(), DunningCase.closed_on.remove(), DunningCase.decision.remove(),
    ]
    _update(case, actions)


def decide(case: DunningCase, decision: dict[str, Any], at: datetime) -> None:
    _update(case, [*_status_actions(case, "DECIDED", at.date().isoformat(), f"ops decision {decision['decision']}", at), DunningCase.decision.set(decision)], DunningCase.status == "OPS_QUEUE")


def queue(status: str) -> list[DunningCase]:
    return list(DunningCase.work_list.query(f"QUEUE#DUNNING#{status}"))


def due_open_cases(as_of: date) -> list[DunningCase]:
    return list(DunningCase.work_list.query("QUEUE#DUNNING#OPEN", DunningCase.GSI1SK <= f"{as_of.isoformat()}#~"))


# ------------------------------------------------------------------ suspensions
def suspend(customer_id: str, number: str, reason: str, reference: str, by: str, at: datetime, note: str | None = None) -> bool:
    """Opens a suspension once per (invoice, reason, reference); False if it is open already."""
    key = (f"CUSTOMER#{customer_id}", f"SUSPENSION#{number}#{reason}#{reference}")
    try:
        existing = Suspension.get(*key, consistent_read=True)
        if existing.lifted_at is None:
            return False
    except DoesNotExist:
        pass
    Suspension(*key, invoice_number=number, reason=reason, reference=reference, note=note, opened_at=at.isoformat(), opened_by=by).save()
    return True


def lift(customer_id: str, number: str, reason: str, reference: str, by: str, at: datetime) -> bool:
    try:
        item = Suspension.get(f"CUSTOMER#{customer_id}", f"SUSPENSION#{number}#{reason}#{reference}", consistent_read=True)
        item.update(actions=[Suspension.lifted_at.set(at.isoformat()), Suspension.lifted_by.set(by)], condition=Suspension.lifted_at.does_not_exist())
    except DoesNotExist:
        return False
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def suspensions(customer_id: str, number: str | None = None) -> list[Suspension]:
    prefix = f"SUSPENSION#{number}#" if number else "SUSPENSION#"
    return list(Suspension.query(f"CUSTOMER#{customer_id}", Suspension.SK.startswith(prefix), consistent_read=True))


def open_suspensions(customer_id: str, number: str) -> list[Suspension]:
    return [item for item in suspensions(customer_id, number) if item.lifted_at is None]


# ------------------------------------------------------------------ social tariff
def set_protected(customer_id: str, protected: bool, source: str | None, by: str, at: datetime) -> SocialTariff:
    try:
        item = SocialTariff.get(f"CUSTOMER#{customer_id}", "SOCIAL_TARIFF", consistent_read=True)
        history = [plain(entry) for entry in item.history]
    except DoesNotExist:
        history = []
    history.append({"at": at.isoformat(), "protected": protected, "source": source, "by": by})
    item = SocialTariff(f"CUSTOMER#{customer_id}", "SOCIAL_TARIFF", protected=protected, source=source, set_by=by, set_at=at.isoformat(), history=history)
    item.save()
    return item


def is_protected(customer_id: str) -> bool:
    try:
        return bool(SocialTariff.get(f"CUSTOMER#{customer_id}", "SOCIAL_TARIFF", consistent_read=True).protected)
    except DoesNotExist:
        return False


# ------------------------------------------------------------------ runs
def start_run(run_id: str, as_of: date, at: datetime) -> DunningRun:
    run = DunningRun(f"DUNNINGRUN#{run_id}", "RUN", as_of_date=as_of.isoformat(), status="RUNNING", started_at=at.isoformat(), GSI1PK="DUNNINGRUNS", GSI1SK=f"{as_of.isoformat()}#{run_id}")
    run.save()
    return run


def get_run(run_id: str) -> DunningRun:
    return DunningRun.get(f"DUNNINGRUN#{run_id}", "RUN", consistent_read=True)


def set_run_items(run_id: str, count: int, key: str) -> None:
    get_run(run_id).update(actions=[DunningRun.customers.set(count), DunningRun.items_key.set(key)])


def record_item(run_id: str, customer_id: str, outcome: str, result: dict[str, Any], at: datetime) -> None:
    DunningRunItem(f"DUNNINGRUN#{run_id}", f"ITEM#{customer_id}", customer_id=customer_id, outcome=outcome, result_json=json.dumps(result, sort_keys=True, default=str), at=at.isoformat()).save()


def run_items(run_id: str) -> list[DunningRunItem]:
    return list(DunningRunItem.query(f"DUNNINGRUN#{run_id}", DunningRunItem.SK.startswith("ITEM#")))


def finish_run(run_id: str, summary: dict[str, Any], failed: bool, at: datetime) -> DunningRun:
    run = get_run(run_id)
    run.update(actions=[DunningRun.status.set("COMPLETED_WITH_FAILURES" if failed else "COMPLETED"), DunningRun.finished_at.set(at.isoformat()), DunningRun.summary_json.set(json.dumps(summary, sort_keys=True))])
    return run


def runs() -> list[DunningRun]:
    return list(DunningRun.work_list.query("DUNNINGRUNS", scan_index_forward=False))
