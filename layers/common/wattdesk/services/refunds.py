"""Refunds (issue 8): credit back to the customer (or a mistaken payment back to its sender),
exactly once, with offsets first and four-eyes approval.

One ``Refund`` execution per refund (named by the refund id) drives it:
  plan (offsets, roll-over, IBAN, four eyes) -> [wait for the IBAN] -> [wait for an approver]
  -> wait for the payout sweep (SENT) -> "refund sent" mail -> wait for the bank (PAID) -> finish.
Human and bank steps resume parked task tokens (stores/refunds.take_token: exactly once).

Money: every movement is a ledger entry written in one transaction with the refund's status
change (stores/ledger.book ``also``), so a replayed step books nothing twice and a balance stays
the sum of the entries. The credit is re-checked and taken (entry kind ``refund``) in that same
kind of transaction right before the payment file is written: the account version condition makes
two refunds racing for one credit pay it once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from wattdesk import clock
from wattdesk.adapters import documents, sepa_files
from wattdesk.adapters.aws import client
from wattdesk.adapters.mail import Mail
from wattdesk.adapters.mail_texts import render
from wattdesk.adapters.refund_mail_texts import reason_text
from wattdesk.domain import refunds as rules
from wattdesk.domain.errors import DomainError
from wattdesk.domain.iban import mask_iban
from wattdesk.domain.money import ZERO, format_amount, to_cents
from wattdesk.domain.working_days import add_working_days, is_working_day
from wattdesk.errors import TransientError
from wattdesk.observability import logger
from wattdesk.settings import get_settings
from wattdesk.stores import bank_accounts
from wattdesk.stores import enrollments as customers_store
from wattdesk.stores import invoices as invoices_store
from wattdesk.stores import ledger
from wattdesk.stores import mandates as mandates_store
from wattdesk.stores import refunds as store
from wattdesk.stores import sent_mail

PAYER_PREFIX = "PAYER-"  # pseudo account of a mistaken payment's sender (not a customer)
MAX_BOOKING_ATTEMPTS = 8
BANK_CATCH_UP_DAYS = 10
SYSTEM = "system"


class NotFound(LookupError):
    def __init__(self, what: str):
        super().__init__(what)
        self.what = what


class Conflict(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def policy() -> rules.RefundPolicy:
    return rules.policy_from(os.environ)


def _state_machine_arn() -> str:
    return os.environ.get("REFUND_STATE_MACHINE_ARN", "")


def _is_payer(customer_id: str) -> bool:
    return customer_id.startswith(PAYER_PREFIX)


# ================================================================== starting a refund
def request_refund(
    *, customer_id: str, amount: Decimal, source: str, source_id: str, reason: str, iban: str | None = None, requested_by: str = SYSTEM, at: datetime,
    holder: str | None = None, reference: str | None = None, excluded_ibans: tuple[str, ...] = (),
) -> dict:
    """Asks for a refund; idempotent per (source, source_id): asking again returns the same refund.

    ``customer_id`` is the customer (or ``PAYER-<payment id>`` for the sender of a mistaken
    payment); ``iban`` (optional) is an account for this refund only, checked like any IBAN.
    Sources COMPLAINT and MISTAKEN_PAYMENT bring their own money: it is booked on the account in
    the same transaction that creates the refund. For OPS the amount may not exceed the credit.
    Returns {"refund_id", "status"}; the Refund execution (named by the refund id) does the rest.
    """
    if source not in rules.SOURCES:
        raise DomainError("refund.source", f"source must be one of {', '.join(rules.SOURCES)}", "source")
    if not source_id or len(source_id) > 200:
        raise DomainError("refund.source_id", "a refund needs the id of what it comes from", "source_id")
    amount = rules.check_amount(amount)
    refund_id = store.refund_id_for(source, source_id)
    existing = store.find(refund_id)
    if existing is not None:
        return {"refund_id": refund_id, "status": existing.status}
    payer = _is_payer(customer_id)
    if not payer:
        try:
            customers_store.get_customer(customer_id)
        except customers_store.CustomerRecord.DoesNotExist as exc:
            raise DomainError("refund.unknown_customer", "there is no such customer", "customer_id") from exc
    fields: dict[str, Any] = {
        "payee_kind": "payer" if payer else "customer", "source": source, "source_id": source_id, "reason": (reason or source.lower())[:500],
        "reference": (reference or (source_id if source in ("SETTLEMENT", "FINAL", "COMPLAINT", "OVERPAYMENT") else None)), "requested_amount": format_amount(amount),
        "excluded_ibans": [e for e in ("".join(x.split()).upper() for x in excluded_ibans) if e],
    }
    if iban:
        fields.update(iban=rules.accept_iban(iban), holder=" ".join((holder or "").split())[:70] or None, iban_set_by=requested_by)
        # The account a mistaken payment came from was not "changed" by anyone; any other IBAN given
        # with a request counts as a change now (four eyes).
        fields["iban_set_at"] = None if source == "MISTAKEN_PAYMENT" and requested_by == "sender" else at.isoformat()
    elif holder:
        fields["holder"] = " ".join(holder.split())[:70]
    by = requested_by if requested_by != "sender" else SYSTEM
    record = store.new_refund(refund_id, at, customer_id, by, **fields)
    if source in rules.BOOKS_ITS_OWN_CREDIT:
        created = _create_with_own_credit(record, amount, at)
    else:
        if source == "OPS":
            rules.check_within_credit(amount, refundable_credit(customer_id))
        created = store.create(record)
    if created:
        logger().info("refund requested", extra={"refund_id": refund_id, "source": source, "amount": format_amount(amount)})
    start_execution(refund_id)
    return {"refund_id": refund_id, "status": store.get(refund_id).status}


def _create_with_own_credit(record: store.RefundRecord, amount: Decimal, at: datetime) -> bool:
    customer_id = record.customer_id
    kind, payment_id = ("compensation", None) if record.source == "COMPLAINT" else ("mistaken_payment", record.source_id)
    for _attempt in range(MAX_BOOKING_ATTEMPTS):
        version = ledger.account_version(customer_id)
        found = ledger.entries(customer_id)
        entry = ledger.new_entry(customer_id, at, f"REFUND#{record.refund_id}#CREDIT", 0, kind, -amount, None, record.source_id, payment_id)
        credit_after = ledger.unallocated_credit(customer_id, [*found, entry])
        try:
            ledger.book(customer_id, version, [entry], credit_after, at, also=[store.create_step(record)])
            return True
        except ledger.AccountChanged:
            if store.find(record.refund_id) is not None:
                return False
    raise RuntimeError(f"account {customer_id} kept changing while booking refund {record.refund_id}")


def start_execution(refund_id: str) -> bool:
    """Starts the refund's execution (named by the refund id, so a second start is rejected).
    Without the state machine's ARN (a caller's function not wired to it) the daily sweep starts it."""
    arn = _state_machine_arn()
    if not arn:
        return False
    sfn = client("stepfunctions")
    try:
        sfn.start_execution(stateMachineArn=arn, name=refund_id, input=json.dumps({"refund_id": refund_id}))
    except sfn.exceptions.ExecutionAlreadyExists:
        return False
    return True


# ================================================================== the account
def _pockets(found: list[ledger.LedgerEntry]) -> dict[str, Decimal]:
    """Invoices whose entries sum below zero (a credit invoice, a credit note on a paid invoice, an
    overpaid invoice): credit that names an invoice."""
    per_invoice: dict[str, Decimal] = {}
    for entry in found:
        if entry.invoice_number:
            per_invoice[entry.invoice_number] = per_invoice.get(entry.invoice_number, ZERO) + Decimal(entry.amount)
    return {number: -amount for number, amount in per_invoice.items() if amount < 0}


def refundable_credit(customer_id: str, found: list[ledger.LedgerEntry] | None = None) -> Decimal:
    """What the account owes the customer and pays no invoice: loose credit plus credit invoices."""
    found = found if found is not None else ledger.entries(customer_id)
    return ledger.unallocated_credit(customer_id, found) + sum(_pockets(found).values(), ZERO)


def _open_items(customer_id: str, found: list[ledger.LedgerEntry]) -> list[rules.OpenItem]:
    per_invoice: dict[str, Decimal] = {}
    for entry in found:
        if entry.invoice_number:
            per_invoice[entry.invoice_number] = per_invoice.get(entry.invoice_number, ZERO) + Decimal(entry.amount)
    if not any(amount > 0 for amount in per_invoice.values()):
        return []
    records = {invoice.number: invoice for invoice in invoices_store.of_customer(customer_id)}
    items = []
    for number, amount in per_invoice.items():
        if amount <= 0:
            continue
        record = records.get(number)
        due = date.fromisoformat(record.due_date) if record is not None and record.due_date else None
        items.append(rules.OpenItem(number, to_cents(amount), due))
    return items


def _refresh_invoice(customer_id: str, number: str) -> None:
    """The invoice's status and unpaid listing follow what is open on it (as collection does)."""
    status = "PAID" if ledger.open_amount(customer_id, number) <= 0 else "OPEN"
    try:
        invoices_store.mark_status(customer_id, number, status)
        invoice = invoices_store.find_by_number(number)
        if invoice is not None and invoice.kind != "credit_note":
            ledger.set_unpaid_listing(customer_id, number, invoice.issued_at, invoice.due_date, unpaid=status == "OPEN")
    except Exception:  # noqa: BLE001 - the status is a view; the ledger is the truth
        logger().warning("invoice status not updated", extra={"invoice": number})


# ================================================================== the payee
@dataclass(frozen=True)
class Payee:
    iban: str
    holder: str
    changed_at: datetime | None  # when the account was set or changed (four eyes)
    changed_by: str | None


def _holder_of(customer_id: str) -> str:
    try:
        customer = customers_store.get_customer(customer_id)
    except customers_store.CustomerRecord.DoesNotExist:
        return "Customer"
    return customer.company_name or f"{customer.first_name} {customer.last_name}"


def payee(record: store.RefundRecord) -> Payee | None:
    """The account this refund goes to: one set on the refund (sender of a mistaken payment, given
    with the request, entered through the link or by ops), else the customer's bank account on
    file, else the account of the customer's active direct-debit mandate. Accounts a transfer came
    back from are never used again."""
    excluded = tuple(record.excluded_ibans or [])
    usable = rules.usable_iban(record.iban, excluded)
    if usable:
        return Payee(usable, record.holder or _holder_of(record.customer_id), datetime.fromisoformat(record.iban_set_at) if record.iban_set_at else None, record.iban_set_by)
    if record.payee_kind == "payer":
        return None
    account = bank_accounts.current(record.customer_id)
    if account is not None and rules.usable_iban(account.iban, excluded):
        return Payee(account.iban, account.holder, account.changed_at_instant, account.changed_by)
    mandate = mandates_store.current(record.customer_id)
    if mandate is not None and mandate.status == "ACTIVE" and rules.usable_iban(mandate.iban, excluded):
        changes = [entry for entry in (mandate.history or []) if (entry.get("action") if isinstance(entry, dict) else entry.as_dict().get("action")) in ("created", "amended")]
        last = changes[-1] if changes else None
        when = (last.get("at") if isinstance(last, dict) else last.as_dict().get("at")) if last is not None else mandate.created_at
        who = (last.get("by") if isinstance(last, dict) else last.as_dict().get("by")) if last is not None else None
        return Payee(mandate.iban, mandate.account_holder or _holder_of(record.customer_id), datetime.fromisoformat(when), who)
    return None


def _after_iban(record: store.RefundRecord, amount: Decimal, at: datetime) -> tuple[str, list[str]]:
    """AWAITING_IBAN, AWAITING_APPROVAL or APPROVED, and the four-eyes reasons."""
    found = payee(record)
    if found is None:
        return rules.AWAITING_IBAN, []
    reasons = list(rules.approval_reasons(amount, found.changed_at, at, policy()))
    return (rules.AWAITING_APPROVAL if reasons else rules.APPROVED), reasons


# ================================================================== task steps
NEXT_OF_STATUS = {
    rules.AWAITING_IBAN: "IBAN",
    rules.AWAITING_APPROVAL: "APPROVAL",
    rules.APPROVED: "PAYOUT",
    rules.SENT: "SENT",
    rules.PAID: "PAID",
    rules.RETURNED: "RETURNED",
}


def next_step(record: store.RefundRecord) -> dict[str, str]:
    return {"next": NEXT_OF_STATUS.get(record.status, "DONE"), "status": record.status}


def _get(refund_id: str) -> store.RefundRecord:
    record = store.find(refund_id)
    if record is None:
        raise NotFound("This refund")
    return record


def plan(refund_id: str) -> dict[str, str]:
    """REQUESTED -> offsets against open invoices (oldest first), then OFFSET, CANCELLED (rolled
    over / no credit), AWAITING_IBAN, AWAITING_APPROVAL or APPROVED. Offsets, and credit invoices
    released to the account's loose credit, are ledger entries booked with the status change."""
    record = _get(refund_id)
    if record.status != rules.REQUESTED:
        return next_step(record)
    customer_id = record.customer_id
    requested = Decimal(record.requested_amount)
    for _attempt in range(MAX_BOOKING_ATTEMPTS):
        version = ledger.account_version(customer_id)
        found = ledger.entries(customer_id)
        at = clock.now()
        new: list[ledger.LedgerEntry] = []
        source = f"REFUND#{refund_id}#PLAN"
        for number, amount in sorted(_pockets(found).items()):
            # A credit invoice's credit becomes loose credit: +x on the invoice, -x naming none.
            new.append(ledger.new_entry(customer_id, at, source, len(new), "credit_released", amount, number, refund_id, None))
            new.append(ledger.new_entry(customer_id, at, source, len(new), "credit_released", -amount, None, number, None))
        credit = ledger.unallocated_credit(customer_id, [*found, *new])
        decided = rules.plan(requested, credit, _open_items(customer_id, found), policy())
        for number, amount in decided.offsets:
            new.append(ledger.new_entry(customer_id, at, source, len(new), "refund_offset", amount, None, refund_id, None))
            new.append(ledger.new_entry(customer_id, at, source, len(new), "refund_offset", -amount, number, refund_id, None))
        changes: dict[str, Any] = {
            "offsets_json": json.dumps([{"invoice_number": n, "amount": format_amount(a)} for n, a in decided.offsets]),
            "amount": format_amount(decided.payable),
        }
        if decided.outcome == "NO_CREDIT":
            status, note = rules.CANCELLED, "no credit on the account"
            changes["status_reason"] = "no_credit"
        elif decided.outcome == "OFFSET":
            status, note = rules.OFFSET, "fully offset against open invoices"
        elif decided.outcome == "ROLL_OVER":
            status, note = rules.CANCELLED, f"{format_amount(decided.rolled_over)} below {format_amount(policy().roll_over_below)}: rolls over to the next invoice"
            changes.update(status_reason="rolled_over", rolled_over=format_amount(decided.rolled_over))
        else:
            status, reasons = _after_iban(record, decided.payable, at)
            note = ", ".join(reasons) if reasons else None
            changes["approval_reasons"] = reasons
            if status == rules.AWAITING_IBAN:
                changes["waiting_since"] = clock.today_in_brussels().isoformat()
        if decided.notes:
            note = "; ".join([*(decided.notes), *([note] if note else [])])
        credit_after = credit - decided.offset_total
        try:
            ledger.book(customer_id, version, new, credit_after, at, also=[store.transition_step(refund_id, (rules.REQUESTED,), status, at, SYSTEM, note, **changes)])
        except ledger.AccountChanged:
            record = _get(refund_id)
            if record.status != rules.REQUESTED:
                return next_step(record)
            continue
        for number, _amount in decided.offsets:
            _refresh_invoice(customer_id, number)
        record = _get(refund_id)
        logger().info("refund planned", extra={"refund_id": refund_id, "status": record.status, "offsets": len(decided.offsets)})
        return next_step(record)
    raise RuntimeError(f"account {customer_id} kept changing while planning refund {refund_id}")


PARK_STATUS = {"IBAN": rules.AWAITING_IBAN, "APPROVAL": rules.AWAITING_APPROVAL, "PAYOUT": rules.APPROVED, "BANK": rules.SENT}


def park(refund_id: str, step: str, task_token: str) -> dict[str, Any]:
    """Parks the execution's task token while the refund waits (IBAN, APPROVAL, PAYOUT, BANK).
    When the refund moved on before the execution got here, the execution resumes at once."""
    if store.park(refund_id, step, PARK_STATUS[step], task_token):
        if step == "IBAN":
            ask_for_iban(refund_id)
        return {"parked": step}
    try:
        client("stepfunctions").send_task_success(taskToken=task_token, output=json.dumps(next_step(_get(refund_id))))
    except Exception as exc:  # noqa: BLE001 - the state's Retry parks again (with a new token)
        raise TransientError(f"could not resume the {step} step at once: {type(exc).__name__}") from exc
    return {"parked": None}


def _resume(refund_id: str, step: str) -> bool:
    """Answers the parked token of ``step`` (taken exactly once). When the answer fails, the token
    is put back and the daily hand-over sweep answers it (``resume_stale_tokens``): the caller's
    decision is recorded either way."""
    token = store.take_token(refund_id, step)
    if token is None:
        return False
    try:
        client("stepfunctions").send_task_success(taskToken=token, output=json.dumps(next_step(_get(refund_id))))
    except Exception as exc:  # noqa: BLE001 - e.g. throttled, or no permission in the caller's function
        store.put_back_token(refund_id, step, token)
        logger().warning("refund resume deferred to the sweep", extra={"refund_id": refund_id, "step": step, "error": type(exc).__name__})
        return False
    return True


def finish(refund_id: str) -> dict[str, str]:
    record = _get(refund_id)
    logger().info("refund execution finished", extra={"refund_id": refund_id, "status": record.status})
    return {"refund_id": refund_id, "status": record.status}


def record_failure(refund_id: str, error: str, cause: str) -> dict[str, str]:
    """A step failed after its retries: the refund is flagged for ops (its status stays)."""
    record = store.find(refund_id)
    if record is not None:
        try:
            store.update(refund_id, record.status, escalated_on=clock.today_in_brussels().isoformat(), status_reason=f"failed: {error}"[:200])
        except store.StatusChanged:
            pass
    logger().error("refund step failed", extra={"refund_id": refund_id, "error": error, "cause": (cause or "")[:1000]})
    return {"refund_id": refund_id, "error": error}


# ================================================================== mails and the IBAN link
def _customer(customer_id: str):
    if _is_payer(customer_id):
        return None
    try:
        return customers_store.get_customer(customer_id)
    except customers_store.CustomerRecord.DoesNotExist:
        return None


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def iban_link(refund_id: str, token: str) -> str:
    return f"{get_settings().public_base_url}/refund/?r={refund_id}&t={token}"


def _new_link(refund_id: str) -> tuple[str, int]:
    token = secrets.token_urlsafe(24)
    record = store.update(refund_id, rules.AWAITING_IBAN, link_token_hash=_hash(token), link_round=int(_get(refund_id).link_round or 0) + 1)
    return token, int(record.link_round)


def ask_for_iban(refund_id: str) -> bool:
    """Mails the customer a link to the IBAN page (once per round); a mistaken payment's sender
    cannot be mailed, so such a refund goes to ops at once."""
    record = _get(refund_id)
    customer = _customer(record.customer_id)
    if customer is None:
        store.update(refund_id, rules.AWAITING_IBAN, escalated_on=clock.today_in_brussels().isoformat(), status_reason="no IBAN and no way to ask the payee")
        return False
    token, round_ = _new_link(refund_id)
    language = customer.language
    offsets = sum((Decimal(o["amount"]) for o in record.offsets), ZERO)
    subject, text = render(
        "refund_iban_request", language, first_name=customer.first_name, amount=documents.money(Decimal(record.amount), language), refund_id=refund_id,
        reason=reason_text(record.source, language), offsets=documents.money(offsets, language) if offsets else "", link=iban_link(refund_id, token),
    )
    return sent_mail.send_once(f"CUSTOMER#{record.customer_id}", f"refund-iban#{refund_id}#{round_}", Mail(to=customer.email, subject=subject, text=text, language=language))


def _authorised(refund_id: str, token: str | None) -> store.RefundRecord:
    record = store.find(refund_id)
    if record is None or not token or not record.link_token_hash or not hmac.compare_digest(_hash(token), record.link_token_hash):
        raise NotFound("This refund")
    return record


def link_view(refund_id: str, token: str | None) -> dict[str, Any]:
    """What the public IBAN page shows (nothing personal beyond the amount and the name to check)."""
    record = _authorised(refund_id, token)
    customer = _customer(record.customer_id)
    return {
        "refund_id": refund_id,
        "status": record.status,
        "amount": record.amount,
        "waiting_for_iban": record.status == rules.AWAITING_IBAN,
        "language": customer.language if customer is not None else "nl",
        "first_name": customer.first_name if customer is not None else None,
    }


def submit_iban_via_link(refund_id: str, token: str | None, iban: str, holder: str) -> dict[str, Any]:
    """The customer's answer to the IBAN mail: the IBAN is verified, becomes the customer's bank
    account (audited), and the refund moves on (to an approver: a new account is a changed one)."""
    record = _authorised(refund_id, token)
    if record.status != rules.AWAITING_IBAN:
        raise Conflict("refund.not_waiting_for_iban", "this refund no longer waits for an account number")
    compact = rules.accept_iban(iban)
    if compact in (record.excluded_ibans or []):
        raise DomainError("refund.iban_returned", "a transfer to this account came back; give another account", "iban")
    at = clock.now()
    by = "customer (refund link)"
    if record.payee_kind == "customer":
        try:
            bank_accounts.change(record.customer_id, compact, holder, by, at, f"refund {refund_id}")
        except bank_accounts.AccountChangedMeanwhile as exc:
            raise Conflict("bank_account.changed", "the account was changed meanwhile; try again") from exc
        store.update(refund_id, rules.AWAITING_IBAN, link_token_hash=None)
    else:
        store.update(refund_id, rules.AWAITING_IBAN, iban=compact, holder=" ".join(holder.split())[:70], iban_set_at=at.isoformat(), iban_set_by=by, link_token_hash=None)
    return {"refund_id": refund_id, **_leave_iban_wait(refund_id, by, at)}


def set_iban_by_ops(refund_id: str, iban: str, holder: str, by: str) -> dict[str, Any]:
    """An operator enters or corrects the account for this refund (a mistaken payment's corrected
    IBAN, a customer who phoned). It counts as a change: an approver other than ``by`` decides."""
    record = _get(refund_id)
    if record.status not in (rules.AWAITING_IBAN, rules.AWAITING_APPROVAL, rules.APPROVED):
        raise Conflict("refund.iban_frozen", f"the account of a {record.status} refund cannot change")
    compact = rules.accept_iban(iban)
    if compact in (record.excluded_ibans or []):
        raise DomainError("refund.iban_returned", "a transfer to this account came back; give another account", "iban")
    holder = " ".join((holder or "").split())[:70]
    if not holder:
        raise DomainError("refund.holder_required", "give the account holder's name", "holder")
    at = clock.now()
    try:
        store.update(refund_id, record.status, iban=compact, holder=holder, iban_set_at=at.isoformat(), iban_set_by=by, last_changed_by=by, link_token_hash=None)
    except store.StatusChanged as exc:
        raise Conflict("refund.changed", "the refund changed meanwhile; reload it") from exc
    if record.status == rules.AWAITING_IBAN:
        return {"refund_id": refund_id, **_leave_iban_wait(refund_id, by, at)}
    if record.status == rules.APPROVED:
        # Approved for another account: it needs a (new) approval.
        reasons = list(rules.approval_reasons(Decimal(record.amount), at, at, policy()))
        try:
            store.transition(refund_id, (rules.APPROVED,), rules.AWAITING_APPROVAL, at, by, "account changed after approval", approval_reasons=reasons, decided_by=None, decided_at=None)
        except store.StatusChanged as exc:
            raise Conflict("refund.changed", "the refund changed meanwhile; reload it") from exc
        _resume(refund_id, "PAYOUT")
    return detail(refund_id)


def _leave_iban_wait(refund_id: str, by: str, at: datetime) -> dict[str, Any]:
    record = _get(refund_id)
    status, reasons = _after_iban(record, Decimal(record.amount), at)
    if status == rules.AWAITING_IBAN:
        raise DomainError("refund.iban_required", "no usable account for this refund", "iban")
    try:
        store.transition(refund_id, (rules.AWAITING_IBAN,), status, at, by, ", ".join(reasons) or None, approval_reasons=reasons)
    except store.StatusChanged as exc:
        raise Conflict("refund.not_waiting_for_iban", "this refund no longer waits for an account number") from exc
    _resume(refund_id, "IBAN")
    return {"status": status}


# ================================================================== ops decisions
def decide(refund_id: str, decision: str, reason: str | None, approver: str, groups: frozenset[str]) -> dict[str, Any]:
    """Four eyes: an approver who did not create or last change the refund (or its account)
    approves or rejects it. Rejection leaves the credit on the account."""
    record = _get(refund_id)
    if decision not in ("approve", "reject"):
        raise DomainError("refund.decision", "decide approve or reject", "decision")
    if record.status != rules.AWAITING_APPROVAL:
        raise Conflict("refund.not_awaiting_approval", f"this refund is {record.status}, not waiting for an approval")
    found = payee(record)
    rules.check_approver(approver, groups, record.created_by, record.last_changed_by, found.changed_by if found is not None else None)
    if decision == "reject" and not (reason or "").strip():
        raise DomainError("refund.reason_required", "give the reason for the rejection", "reason")
    at = clock.now()
    status = rules.APPROVED if decision == "approve" else rules.REJECTED
    try:
        store.transition(refund_id, (rules.AWAITING_APPROVAL,), status, at, approver, reason, decided_by=approver, decided_at=at.isoformat(), decision_reason=(reason or None))
    except store.StatusChanged as exc:
        raise Conflict("refund.not_awaiting_approval", "someone decided on this refund first") from exc
    _resume(refund_id, "APPROVAL")
    logger().info("refund decided", extra={"refund_id": refund_id, "decision": decision})
    return detail(refund_id)


def cancel(refund_id: str, reason: str, by: str) -> dict[str, Any]:
    record = _get(refund_id)
    if record.status not in rules.CANCELLABLE:
        raise Conflict("refund.not_cancellable", f"a {record.status} refund cannot be cancelled")
    if not (reason or "").strip():
        raise DomainError("refund.reason_required", "give the reason for the cancellation", "reason")
    at = clock.now()
    try:
        store.transition(refund_id, tuple(rules.CANCELLABLE), rules.CANCELLED, at, by, reason, status_reason="cancelled_by_ops", last_changed_by=by)
    except store.StatusChanged as exc:
        raise Conflict("refund.changed", "the refund changed meanwhile; reload it") from exc
    for step in ("IBAN", "APPROVAL", "PAYOUT"):
        _resume(refund_id, step)
    return detail(refund_id)


# ================================================================== payout: the daily pain.001 file
@dataclass
class Reservation:
    refund_id: str
    customer_id: str
    version: int
    credit: Decimal
    amount: Decimal
    payee: Payee | None


def prepare_reservation(refund_id: str) -> Reservation:
    """Reads what the reservation needs: the account's version and credit, the refund's payee."""
    record = _get(refund_id)
    version = ledger.account_version(record.customer_id)
    credit = ledger.unallocated_credit(record.customer_id, ledger.entries(record.customer_id))
    return Reservation(refund_id, record.customer_id, version, credit, Decimal(record.amount), payee(record))


def commit_reservation(reservation: Reservation, batch_id: str, as_of: date, at: datetime) -> str:
    """The conditional write right before the payment file: the credit is re-checked and taken
    (a ``refund`` ledger entry), the refund becomes SENT in ``batch_id`` and its one-file-ever
    marker is written, all in one transaction that holds only while the account has not changed
    since ``prepare_reservation``. Returns "reserved", "no_credit" or "no_iban"; AccountChanged
    when another booking came first (read again and retry)."""
    if reservation.payee is None:
        return "no_iban"
    if not rules.payable_now(reservation.amount, reservation.credit):
        return "no_credit"
    entry = ledger.new_entry(reservation.customer_id, at, f"REFUND#{reservation.refund_id}#PAYOUT", 0, "refund", reservation.amount, None, reservation.refund_id, None)
    ledger.book(
        reservation.customer_id, reservation.version, [entry], reservation.credit - reservation.amount, at,
        also=[
            store.transition_step(reservation.refund_id, (rules.APPROVED,), rules.SENT, at, SYSTEM, f"in payment file {batch_id}", batch_id=batch_id, sent_on=as_of.isoformat(), paid_to_iban=reservation.payee.iban, paid_to_holder=reservation.payee.holder),
            store.file_marker_step(reservation.refund_id, batch_id, at),
        ],
    )
    return "reserved"


def _reserve(refund_id: str, batch_id: str, as_of: date) -> str:
    for _attempt in range(MAX_BOOKING_ATTEMPTS):
        reservation = prepare_reservation(refund_id)
        if _get(refund_id).status != rules.APPROVED:
            return "moved"
        at = clock.now()
        try:
            outcome = commit_reservation(reservation, batch_id, as_of, at)
        except ledger.AccountChanged:
            continue
        if outcome == "no_credit":
            try:
                store.transition(refund_id, (rules.APPROVED,), rules.CANCELLED, at, SYSTEM, "the credit was no longer on the account when the payment file was written", status_reason="credit_gone")
            except store.StatusChanged:
                return "moved"
            _resume(refund_id, "PAYOUT")
        elif outcome == "no_iban":
            store.update(refund_id, rules.APPROVED, escalated_on=as_of.isoformat(), status_reason="no usable account at payout")
        return outcome
    return "busy"


def execution_date(as_of: date) -> date:
    return as_of if is_working_day(as_of) else add_working_days(as_of, 1)


def payout_sweep(as_of: date) -> dict[str, Any]:
    """Collects the APPROVED refunds into the day's ONE pain.001 file (message id WD-RF-<date>),
    stored in S3. A refund is reserved (credit re-checked and taken, SENT, file marker) before the
    file is written; a second run on the same day finds the file written and adds nothing (refunds
    approved later go into tomorrow's file); a run that stopped half-way writes the file of what it
    had reserved."""
    message_id = store.batch_id_for(as_of)
    existing = store.batch(message_id)
    counts = {"reserved": 0, "cancelled_no_credit": 0, "no_iban": 0, "in_file": 0}
    if existing is not None and existing.status == "WRITTEN":
        return {"as_of": as_of.isoformat(), "file": existing.document_key, "already_written": True, **counts}
    approved = sorted(store.with_status(rules.APPROVED), key=lambda r: r.GSI1SK or "")
    if existing is None and not approved:
        return {"as_of": as_of.isoformat(), "file": None, **counts}
    batch = store.open_batch(message_id, as_of, clock.now())
    if batch.status == "WRITTEN":
        return {"as_of": as_of.isoformat(), "file": batch.document_key, "already_written": True, **counts}
    for record in approved:
        outcome = _reserve(record.refund_id, message_id, as_of)
        name = {"reserved": "reserved", "no_credit": "cancelled_no_credit", "no_iban": "no_iban"}.get(outcome)
        if name:
            counts[name] += 1
    reserved = sorted(store.in_batch(message_id), key=lambda r: r.refund_id)
    if not reserved:
        return {"as_of": as_of.isoformat(), "file": None, **counts}
    transfers = [
        sepa_files.Transfer(
            end_to_end_id=r.refund_id, amount=Decimal(r.amount), creditor_name=r.paid_to_holder or "Customer", creditor_iban=r.paid_to_iban,
            remittance=rules.remittance(r.refund_id, r.reference),
        )
        for r in reserved
    ]
    created_at = datetime.fromisoformat(batch.created_at).astimezone(clock.BRUSSELS)
    xml = sepa_files.pain001(message_id, created_at, execution_date(as_of), transfers)
    key = f"sepa/pain.001/{as_of.isoformat()}/{message_id}.xml"
    client("s3").put_object(Bucket=get_settings().documents_bucket, Key=key, Body=xml, ContentType="application/xml", ServerSideEncryption="aws:kms")
    total = sum((t.amount for t in transfers), ZERO)
    try:
        store.close_batch(message_id, key, [r.refund_id for r in reserved], format_amount(total), clock.now())
    except Exception:  # noqa: BLE001 - a concurrent run closed it with the same content
        logger().info("refund batch closed by another run", extra={"batch": message_id})
    for r in reserved:
        _resume(r.refund_id, "PAYOUT")
    counts["in_file"] = len(reserved)
    logger().info("refund payout file written", extra={"batch": message_id, "count": len(reserved), "total": format_amount(total)})
    return {"as_of": as_of.isoformat(), "file": key, "message_id": message_id, "total": format_amount(total), **counts}


def mail_sent(refund_id: str) -> dict[str, Any]:
    """The customer is told that the refund is on its way: amount and date, in their language."""
    record = _get(refund_id)
    customer = _customer(record.customer_id)
    if customer is None or record.status not in (rules.SENT, rules.PAID):
        return {"mailed": False}
    language = customer.language
    sent_on = execution_date(date.fromisoformat(record.sent_on))
    subject, text = render(
        "refund_sent", language, first_name=customer.first_name, amount=documents.money(Decimal(record.amount), language), date=documents.long_date(sent_on, language),
        iban=mask_iban(record.paid_to_iban or ""), remittance=rules.remittance(refund_id, record.reference),
    )
    mailed = sent_mail.send_once(f"CUSTOMER#{record.customer_id}", f"refund-sent#{refund_id}", Mail(to=customer.email, subject=subject, text=text, language=language))
    return {"mailed": mailed}


# ================================================================== the bank statement
def _resume_safely(refund_id: str, step: str) -> None:
    """From the statement import (another function): a failed resume is caught up by the daily sweep."""
    try:
        _resume(refund_id, step)
    except Exception as exc:  # noqa: BLE001 - the status change is booked; the sweep resumes
        logger().warning("refund resume deferred to the sweep", extra={"refund_id": refund_id, "error": type(exc).__name__})


def _mark_paid(record: store.RefundRecord, booked_on: date | None) -> str:
    if record.status != rules.SENT:
        return "duplicate"
    try:
        store.transition(record.refund_id, (rules.SENT,), rules.PAID, clock.now(), "bank", None, paid_on=(booked_on or clock.today_in_brussels()).isoformat())
    except store.StatusChanged:
        return "duplicate"
    _resume_safely(record.refund_id, "BANK")
    return "paid"


def outgoing_transfer_booked(end_to_end_id: str | None, booked_on: date | None, payment_info_id: str | None = None) -> str | None:
    """A debit on our statement with a refund's end-to-end id (or, booked as one batch, the
    payment-information id of one of our refund files): the refund(s) become PAID. None when the
    entry is not about a refund (the caller handles it as before)."""
    record = store.find(end_to_end_id) if end_to_end_id and end_to_end_id.startswith("RF") else None
    if record is not None and record.batch_id:
        return _mark_paid(record, booked_on)
    if payment_info_id and payment_info_id.endswith("-TRF"):
        batch = store.batch(payment_info_id.removesuffix("-TRF"))
        if batch is not None and batch.status == "WRITTEN":
            outcomes = [_mark_paid(store.get(refund_id), booked_on) for refund_id in batch.refund_ids]
            return "paid" if "paid" in outcomes else "duplicate"
    return None


def transfer_returned(end_to_end_id: str | None, reason_code: str | None, returned_on: date | None) -> str | None:
    """A returned transfer (wrong or closed account): the money is back on the account, the refund
    is RETURNED and a follow-up refund asks the customer for another IBAN. None when the id is not
    a refund's."""
    record = store.find(end_to_end_id) if end_to_end_id and end_to_end_id.startswith("RF") else None
    if record is None or not record.batch_id:
        return None
    if record.status not in (rules.SENT, rules.PAID):
        return "duplicate"
    customer_id = record.customer_id
    amount = Decimal(record.amount)
    day = (returned_on or clock.today_in_brussels()).isoformat()
    for _attempt in range(MAX_BOOKING_ATTEMPTS):
        version = ledger.account_version(customer_id)
        found = ledger.entries(customer_id)
        at = clock.now()
        entry = ledger.new_entry(customer_id, at, f"REFUND#{record.refund_id}#RETURN", 0, "refund_returned", -amount, None, record.refund_id, None)
        try:
            ledger.book(
                customer_id, version, [entry], ledger.unallocated_credit(customer_id, [*found, entry]), at,
                also=[store.transition_step(record.refund_id, (rules.SENT, rules.PAID), rules.RETURNED, at, "bank", f"transfer returned {reason_code or ''}".strip(), returned_on=day, return_reason=reason_code)],
            )
            break
        except ledger.AccountChanged:
            if _get(record.refund_id).status not in (rules.SENT, rules.PAID):
                return "duplicate"
    else:
        raise RuntimeError(f"account {customer_id} kept changing while booking the return of {record.refund_id}")
    _resume_safely(record.refund_id, "BANK")
    excluded = tuple({*(record.excluded_ibans or []), record.paid_to_iban or ""} - {""})
    follow_up = request_refund(
        customer_id=customer_id, amount=amount, source="RETURNED_TRANSFER", source_id=record.refund_id, reason=f"returned transfer of {record.refund_id}",
        requested_by=SYSTEM, at=clock.now(), reference=record.reference, excluded_ibans=excluded,
        iban=None, holder=record.holder if record.payee_kind == "payer" else None,
    )
    store.update(record.refund_id, rules.RETURNED, follow_up_id=follow_up["refund_id"])
    logger().info("refund transfer returned", extra={"refund_id": record.refund_id, "follow_up": follow_up["refund_id"]})
    return "returned"


# ================================================================== daily sweeps
def follow_ibans(as_of: date) -> dict[str, int]:
    """Refunds waiting for an IBAN: a reminder after 10 working days, to ops after 30."""
    counts = {"reminded": 0, "escalated": 0}
    rules_now = policy()
    for record in store.with_status(rules.AWAITING_IBAN):
        if not record.waiting_since:
            continue
        action = rules.iban_follow_up(date.fromisoformat(record.waiting_since), as_of, bool(record.reminded_on), bool(record.escalated_on), rules_now)
        if action == "remind":
            customer = _customer(record.customer_id)
            if customer is None:
                continue
            token, round_ = _new_link(record.refund_id)
            subject, text = render(
                "refund_iban_reminder", customer.language, first_name=customer.first_name, amount=documents.money(Decimal(record.amount), customer.language),
                refund_id=record.refund_id, link=iban_link(record.refund_id, token),
            )
            sent_mail.send_once(f"CUSTOMER#{record.customer_id}", f"refund-iban-reminder#{record.refund_id}#{round_}", Mail(to=customer.email, subject=subject, text=text, language=customer.language))
            store.update(record.refund_id, rules.AWAITING_IBAN, reminded_on=as_of.isoformat())
            counts["reminded"] += 1
        elif action == "escalate":
            store.update(record.refund_id, rules.AWAITING_IBAN, escalated_on=as_of.isoformat(), status_reason="no IBAN after 30 working days")
            counts["escalated"] += 1
    logger().info("refund IBAN follow-up", extra={"as_of": as_of.isoformat(), **counts})
    return counts


def take_handovers(as_of: date) -> dict[str, int]:
    """Hand-overs of other workflows become refunds: mistaken payments from the suspense queue
    (stores/payments REFUNDHANDOVER#...) and complaint compensations paid by refund
    (stores/complaints REFUNDREQUEST#COMPLAINT#...). Also starts refunds whose requester could not
    start their execution."""
    from wattdesk.stores import complaints as complaints_store
    from wattdesk.stores import payments as payments_store

    counts = {"mistaken_payments": 0, "complaints": 0, "started": 0, "resumed": 0}
    at = clock.now()
    for handover in payments_store.handovers():
        if handover.status != "PENDING":
            continue
        iban = handover.counterparty_iban
        try:
            iban = rules.accept_iban(iban) if iban else None
        except DomainError:
            iban = None  # ops enters a corrected one
        made = request_refund(
            customer_id=f"{PAYER_PREFIX}{handover.payment_id}", amount=Decimal(handover.amount), source="MISTAKEN_PAYMENT", source_id=handover.payment_id,
            reason=handover.reason, iban=iban, holder=handover.counterparty_name, requested_by="sender" if iban else SYSTEM, at=at, reference=handover.original_reference,
        )
        store.take_payment_handover(handover.payment_id, made["refund_id"], at)
        if handover.requested_by:
            store.update(made["refund_id"], store.get(made["refund_id"]).status, created_by=handover.requested_by, last_changed_by=handover.requested_by)
        counts["mistaken_payments"] += 1
    for request in complaints_store.requested_refunds():
        made = request_refund(
            customer_id=request.customer_id, amount=Decimal(request.amount), source="COMPLAINT", source_id=request.complaint_number,
            reason=request.reason, requested_by=request.requested_by, at=at, reference=request.complaint_number,
        )
        store.take_complaint_request(request.complaint_number, made["refund_id"], at)
        counts["complaints"] += 1
    for record in store.with_status(rules.REQUESTED):
        if start_execution(record.refund_id):
            counts["started"] += 1
    counts["resumed"] = resume_stale_tokens()
    logger().info("refund hand-overs taken", extra={"as_of": as_of.isoformat(), **counts})
    return counts


def resume_stale_tokens() -> int:
    """Executions parked on a step their refund has left (a resume that failed or could not be
    sent, e.g. from the statement import) are answered now. Looks at the refunds that changed
    status in the last BANK_CATCH_UP_DAYS days."""
    since = (clock.now() - timedelta(days=BANK_CATCH_UP_DAYS)).isoformat()
    resumed = 0
    for status in rules.STATUSES:
        for record in store.changed_since(status, since):
            step = record.token_step
            if step and PARK_STATUS.get(step) != record.status and _resume(record.refund_id, step):
                resumed += 1
    return resumed


# ================================================================== views
def _offset_view(record: store.RefundRecord) -> list[dict[str, str]]:
    return record.offsets


def view(record: store.RefundRecord) -> dict[str, Any]:
    found = payee(record) if record.status not in rules.FINAL else None
    iban = record.paid_to_iban or (found.iban if found else None)
    return {
        "refund_id": record.refund_id,
        "customer_id": record.customer_id,
        "payee_kind": record.payee_kind,
        "source": record.source,
        "source_id": record.source_id,
        "reason": record.reason,
        "reference": record.reference,
        "status": record.status,
        "status_reason": record.status_reason,
        "requested_amount": record.requested_amount,
        "amount": record.amount,
        "offsets": _offset_view(record),
        "rolled_over": record.rolled_over,
        "iban": mask_iban(iban) if iban else None,
        "approval_reasons": list(record.approval_reasons or []),
        "created_by": record.created_by,
        "decided_by": record.decided_by,
        "decision_reason": record.decision_reason,
        "batch_id": record.batch_id,
        "sent_on": record.sent_on,
        "paid_on": record.paid_on,
        "returned_on": record.returned_on,
        "follow_up_id": record.follow_up_id,
        "escalated": bool(record.escalated_on),
        "created_at": record.created_at,
        "updated_at": record.updated_at,
    }


def detail(refund_id: str) -> dict[str, Any]:
    record = _get(refund_id)
    return {**view(record), "history": store.history_of(record), "file": store.file_of(refund_id)}


def ops_list(status: str | None) -> list[dict[str, Any]]:
    statuses = [status] if status else [s for s in rules.STATUSES if s not in rules.FINAL and s != rules.PAID]
    for s in statuses:
        if s not in rules.STATUSES:
            raise DomainError("refund.status", f"status must be one of {', '.join(rules.STATUSES)}", "status")
    found = [record for s in statuses for record in store.with_status(s)]
    # Escalated first, then oldest first.
    return [view(r) for r in sorted(found, key=lambda r: (not r.escalated_on, r.GSI1SK or ""))]


def customer_list(customer_id: str) -> list[dict[str, Any]]:
    """The customer's own refunds (portal): no internal fields."""
    result = []
    for record in store.of_customer(customer_id):
        result.append({
            "refund_id": record.refund_id, "status": record.status, "reason": record.source, "requested_amount": record.requested_amount, "amount": record.amount,
            "offsets": record.offsets, "rolled_over": record.rolled_over, "iban": mask_iban(record.paid_to_iban) if record.paid_to_iban else None,
            "sent_on": record.sent_on, "paid_on": record.paid_on, "created_at": record.created_at,
        })
    return result


def batches_view() -> list[dict[str, Any]]:
    return [{"message_id": b.message_id, "day": b.day, "status": b.status, "document_key": b.document_key, "count": int(b.count), "total": b.total} for b in store.batches()]


def as_of_date(as_of: str | None) -> date:
    if not as_of:
        return clock.today_in_brussels()
    return clock.parse_instant(as_of).astimezone(clock.BRUSSELS).date() if "T" in as_of else date.fromisoformat(as_of)

