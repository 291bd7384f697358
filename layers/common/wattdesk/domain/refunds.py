"""Refund rules (issue 8), pure: offsets against open invoices, amount bounds, the roll-over
threshold, the four-eyes rule, IBAN acceptance and the status transitions.

No I/O and no clock: callers pass the credit, the open invoices, "now" and the policy.
Money is Decimal euro; rounding is domain/money.to_cents (the one rule).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from wattdesk.domain.errors import DomainError
from wattdesk.domain.iban import validate_iban
from wattdesk.domain.money import CENT, ZERO, to_cents
from wattdesk.domain.working_days import working_days_between

# ------------------------------------------------------------------ statuses
REQUESTED = "REQUESTED"
OFFSET = "OFFSET"  # fully absorbed by open invoices
AWAITING_IBAN = "AWAITING_IBAN"
AWAITING_APPROVAL = "AWAITING_APPROVAL"
APPROVED = "APPROVED"
SENT = "SENT"
PAID = "PAID"
RETURNED = "RETURNED"
REJECTED = "REJECTED"
CANCELLED = "CANCELLED"

STATUSES = (REQUESTED, OFFSET, AWAITING_IBAN, AWAITING_APPROVAL, APPROVED, SENT, PAID, RETURNED, REJECTED, CANCELLED)
# No way out of these. A returned transfer closes its refund as RETURNED (its end-to-end id has
# been in a file and must never be in another one); the money goes back on the account and a
# follow-up refund (source RETURNED_TRANSFER) asks the customer for a new IBAN.
FINAL = frozenset({OFFSET, RETURNED, REJECTED, CANCELLED})

TRANSITIONS: dict[str, frozenset[str]] = {
    REQUESTED: frozenset({OFFSET, AWAITING_IBAN, AWAITING_APPROVAL, APPROVED, CANCELLED}),
    AWAITING_IBAN: frozenset({AWAITING_APPROVAL, APPROVED, CANCELLED}),
    AWAITING_APPROVAL: frozenset({APPROVED, REJECTED, CANCELLED}),
    # APPROVED -> CANCELLED: the credit was gone when the payment file was written.
    APPROVED: frozenset({SENT, CANCELLED}),
    SENT: frozenset({PAID, RETURNED}),
    PAID: frozenset({RETURNED}),  # a return may arrive after the statement showed the debit
    OFFSET: frozenset(),
    RETURNED: frozenset(),
    REJECTED: frozenset(),
    CANCELLED: frozenset(),
}

# Where a refund can still be cancelled by ops (before any money moves).
CANCELLABLE = frozenset({REQUESTED, AWAITING_IBAN, AWAITING_APPROVAL, APPROVED})

SOURCES = ("SETTLEMENT", "FINAL", "OVERPAYMENT", "MISTAKEN_PAYMENT", "COMPLAINT", "OPS", "RETURNED_TRANSFER")
# Sources whose money is not yet on the account when the refund is asked for: the refund books it.
#   COMPLAINT: the compensation is credited to the customer's account, then refunded.
#   MISTAKEN_PAYMENT: the payment is booked on the sender's own account (not a customer), then refunded.
BOOKS_ITS_OWN_CREDIT = frozenset({"COMPLAINT", "MISTAKEN_PAYMENT"})


def check_transition(current: str, new: str) -> None:
    if new not in TRANSITIONS.get(current, frozenset()):
        raise DomainError("refund.transition", f"a refund that is {current} cannot become {new}", "status")


# ------------------------------------------------------------------ policy (configuration)
@dataclass(frozen=True)
class RefundPolicy:
    """The configurable numbers of the issue, with its defaults."""

    roll_over_below: Decimal = Decimal("2.50")  # tiny credits roll to the next invoice instead
    approval_above: Decimal = Decimal("500.00")  # four-eyes above this amount
    recent_iban_days: int = 30  # four-eyes when the IBAN changed less than this many days ago
    remind_after_working_days: int = 10  # IBAN request reminder
    ops_after_working_days: int = 30  # then the refund goes to ops


def policy_from(values: Mapping[str, str]) -> RefundPolicy:
    """The policy from configuration values (environment variables of the functions):
    REFUND_ROLL_OVER_BELOW, REFUND_APPROVAL_ABOVE, REFUND_RECENT_IBAN_DAYS,
    REFUND_REMIND_AFTER_WORKING_DAYS, REFUND_OPS_AFTER_WORKING_DAYS. Missing ones keep the default."""
    default = RefundPolicy()

    def money(name: str, fallback: Decimal) -> Decimal:
        raw = values.get(name)
        if raw in (None, ""):
            return fallback
        try:
            value = Decimal(str(raw))
        except InvalidOperation as exc:
            raise DomainError("refund.policy", f"{name} is not an amount: {raw!r}") from exc
        if not value.is_finite() or value < 0:
            raise DomainError("refund.policy", f"{name} must be an amount >= 0")
        return to_cents(value)

    def whole(name: str, fallback: int) -> int:
        raw = values.get(name)
        if raw in (None, ""):
            return fallback
        try:
            value = int(str(raw))
        except ValueError as exc:
            raise DomainError("refund.policy", f"{name} is not a whole number: {raw!r}") from exc
        if value < 0:
            raise DomainError("refund.policy", f"{name} must be >= 0")
        return value

    return RefundPolicy(
        roll_over_below=money("REFUND_ROLL_OVER_BELOW", default.roll_over_below),
        approval_above=money("REFUND_APPROVAL_ABOVE", default.approval_above),
        recent_iban_days=whole("REFUND_RECENT_IBAN_DAYS", default.recent_iban_days),
        remind_after_working_days=whole("REFUND_REMIND_AFTER_WORKING_DAYS", default.remind_after_working_days),
        ops_after_working_days=whole("REFUND_OPS_AFTER_WORKING_DAYS", default.ops_after_working_days),
    )


# ------------------------------------------------------------------ amounts
MAX_REFUND = Decimal("100000.00")  # sanity bound of one request (a typo guard, not a business limit)


def check_amount(value: object) -> Decimal:
    """A requested refund amount: > 0, at most two decimals, not absurd. Floats are refused."""
    if isinstance(value, (bool, float)):
        raise DomainError("refund.amount", "give the amount as text such as \"25.00\"", "amount")
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise DomainError("refund.amount", "give the amount as text such as \"25.00\"", "amount") from exc
    if not amount.is_finite() or amount != amount.quantize(CENT):
        raise DomainError("refund.amount", "the amount needs at most two decimals", "amount")
    if amount <= 0:
        raise DomainError("refund.amount", "a refund needs a positive amount", "amount")
    if amount > MAX_REFUND:
        raise DomainError("refund.amount", f"a refund is at most {MAX_REFUND}", "amount")
    return to_cents(amount)


def check_within_credit(amount: Decimal, credit: Decimal) -> None:
    """Never more than the customer's credit balance."""
    if amount > credit:
        raise DomainError("refund.above_credit", f"the customer has {to_cents(max(credit, ZERO))} credit; {amount} cannot be refunded", "amount")


def payable_now(amount: Decimal, credit: Decimal) -> bool:
    """The re-check right before the payment file is written: is the credit still there?"""
    return amount > 0 and credit >= amount


@dataclass(frozen=True)
class OpenItem:
    number: str
    open_amount: Decimal  # > 0
    due_date: date | None


@dataclass(frozen=True)
class Plan:
    """What happens to a requested refund: offsets first, then pay, roll over or nothing."""

    base: Decimal  # min(requested, credit): what this refund deals with
    offsets: tuple[tuple[str, Decimal], ...]  # (invoice number, amount), oldest first
    payable: Decimal  # to be paid out (0 unless outcome == PAY)
    rolled_over: Decimal  # left on the account for the next invoice
    outcome: str  # PAY | OFFSET | ROLL_OVER | NO_CREDIT
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def offset_total(self) -> Decimal:
        return sum((amount for _number, amount in self.offsets), ZERO)


def plan(requested: Decimal, credit: Decimal, open_items: Sequence[OpenItem], policy: RefundPolicy) -> Plan:
    """The credit is first offset against the open invoices, oldest due first (undated last, then
    by number); only the remainder is refunded. A remainder under the roll-over threshold stays on
    the account (the next invoice absorbs it). Never more than the credit."""
    requested = to_cents(requested)
    credit = to_cents(max(credit, ZERO))
    base = min(requested, credit)
    notes: list[str] = []
    if base < requested:
        notes.append(f"limited to the credit of {credit}")
    if base <= 0:
        return Plan(ZERO, (), ZERO, ZERO, "NO_CREDIT", tuple(notes))
    left = base
    offsets: list[tuple[str, Decimal]] = []
    for item in sorted((i for i in open_items if i.open_amount > 0), key=lambda i: (i.due_date or date.max, i.number)):
        if left <= 0:
            break
        take = min(left, to_cents(item.open_amount))
        offsets.append((item.number, take))
        left -= take
    if left == 0:
        return Plan(base, tuple(offsets), ZERO, ZERO, "OFFSET", tuple(notes))
    if left < policy.roll_over_below:
        return Plan(base, tuple(offsets), ZERO, left, "ROLL_OVER", tuple(notes))
    return Plan(base, tuple(offsets), left, ZERO, "PAY", tuple(notes))


# ------------------------------------------------------------------ IBAN
def accept_iban(value: str) -> str:
    """The IBAN a refund may be paid to: valid structure and ISO check digits, inside the SEPA
    zone, and for Belgian accounts the national (mod 97) check digits. Compact upper case."""
    try:
        return validate_iban(value)
    except DomainError as exc:
        raise exc.with_field("iban") from exc


def usable_iban(iban: str | None, excluded: Sequence[str] = ()) -> str | None:
    """An IBAN on file is not used when a transfer to it came back (``excluded``: compact IBANs)."""
    if not iban:
        return None
    compact = "".join(iban.split()).upper()
    return None if compact in {"".join(e.split()).upper() for e in excluded} else compact


# ------------------------------------------------------------------ four eyes
def approval_reasons(amount: Decimal, iban_changed_at: datetime | None, now: datetime, policy: RefundPolicy) -> tuple[str, ...]:
    """Why the refund needs an approver (empty: it does not). ``iban_changed_at`` is when the
    account it goes to was set or changed (None: not changed by anyone, e.g. the account a
    mistaken payment came from)."""
    reasons = []
    if amount > policy.approval_above:
        reasons.append("amount_above_threshold")
    if iban_changed_at is not None and now - iban_changed_at < timedelta(days=policy.recent_iban_days):
        reasons.append("iban_changed_recently")
    return tuple(reasons)


APPROVER_GROUP = "approvers"


def check_approver(approver: str, groups: frozenset[str] | set[str], created_by: str | None, last_changed_by: str | None, iban_changed_by: str | None = None) -> None:
    """Four eyes: an approver, and not the one who created or last changed the refund (nor the
    operator who last changed the account it is paid to)."""
    if APPROVER_GROUP not in groups:
        raise DomainError("refund.approver_role", "only an approver may approve or reject a refund", "decision")
    same = {who.strip().lower() for who in (created_by, last_changed_by, iban_changed_by) if who}
    if approver.strip().lower() in same:
        raise DomainError("refund.four_eyes", "a second person must approve: you created or last changed this refund (or its bank account)", "decision")


# ------------------------------------------------------------------ reminders
def iban_follow_up(waiting_since: date, today: date, reminded: bool, escalated: bool, policy: RefundPolicy) -> str | None:
    """What the daily sweep does for a refund waiting for an IBAN: "remind" after 10 working days,
    "escalate" (to ops) after 30, else None. Each happens once."""
    waited = working_days_between(waiting_since, today)
    if waited >= policy.ops_after_working_days and not escalated:
        return "escalate"
    if waited >= policy.remind_after_working_days and not reminded and not escalated:
        return "remind"
    return None


# ------------------------------------------------------------------ payment file texts
def remittance(refund_id: str, reference: str | None) -> str:
    """The text the customer reads on their statement (SEPA: at most 140 characters)."""
    text = f"WattDesk refund {refund_id}" + (f" {reference}" if reference else "")
    return text[:140]
