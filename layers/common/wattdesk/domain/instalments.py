"""Instalment plans: the schedule, its limits, each instalment's structured reference, and whether a
plan is kept, late or broken on a given day. Pure: dates and payments are parameters.

Rules (company policy unless a source is named; the Flemish, Brussels and Walloon rules only require
that a *reasonable* plan is offered, see domain.dunning):

* A plan has 1..6 monthly instalments; more (up to MAX_INSTALMENTS) only with a supervisor's
  approval and a written reason.
* Amounts: the debt split evenly to the cent, leftover cents on the first instalments
  (money.split_evenly), so the instalments always add up to the debt exactly.
* Due dates: the first one FIRST_DUE_DAYS after acceptance (the invoice payment term), then the same
  day of each following month (the last day of a shorter month).
* Each instalment has its own OGM: base ``YYY 9 NNNNNN`` (year - 2000, the digit 9 that invoice
  series never use, a per-year instalment sequence), so a bank payment leads back to the instalment.
* A missed instalment gets one reminder; if it is still missed BREAK_AFTER_REMINDER_DAYS after that
  reminder, the plan is broken and collection of what remains resumes.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from wattdesk.domain.errors import DomainError
from wattdesk.domain.invoice import FIRST_YEAR, LAST_YEAR, _SERIES_DIGIT
from wattdesk.domain.money import ZERO, split_evenly, to_cents
from wattdesk.domain.ogm import make_ogm
from wattdesk.domain.working_days import add_working_days

MAX_WITHOUT_APPROVAL = 6
MAX_INSTALMENTS = 24  # CONFIGURATION: even with approval
FIRST_DUE_DAYS = 15  # as an invoice's payment term (domain.invoice.MIN_PAYMENT_DAYS)
# A payment seen this many days after an instalment's due date still counts as on time (bank delays).
LATE_GRACE_DAYS = 3
BREAK_AFTER_REMINDER_DAYS = 15
MIN_INSTALMENT = Decimal("10.00")  # CONFIGURATION: no instalment below this (except a smaller debt)
ADVISOR_CONTACT_WORKING_DAYS = 5

INSTALMENT_SERIES_DIGIT = 9
MAX_SEQUENCE = 999_999
assert INSTALMENT_SERIES_DIGIT not in _SERIES_DIGIT.values(), "instalment OGMs must not collide with invoice OGMs"


@dataclass(frozen=True)
class Instalment:
    number: int  # 1-based
    amount: Decimal
    due_date: date


def check_count(count: int, approved_by_supervisor: bool = False, reason: str | None = None) -> None:
    """Codes: plan.instalments (out of range), plan.approval_required (> 6 without approval + reason)."""
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_INSTALMENTS:
        raise DomainError("plan.instalments", f"a plan has 1 to {MAX_INSTALMENTS} instalments", "instalments")
    if count > MAX_WITHOUT_APPROVAL and not (approved_by_supervisor and reason and reason.strip()):
        raise DomainError("plan.approval_required", f"more than {MAX_WITHOUT_APPROVAL} instalments need a supervisor's approval and a reason", "instalments")


def needs_approval(count: int) -> bool:
    return count > MAX_WITHOUT_APPROVAL


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def schedule(debt: Decimal, count: int, accepted_on: date) -> list[Instalment]:
    """The instalments of a plan accepted on ``accepted_on``; they add up to ``debt`` to the cent."""
    if not isinstance(debt, Decimal) or debt != to_cents(debt) or debt <= ZERO:
        raise DomainError("plan.debt", "a plan covers a positive amount in whole cents", "invoice_numbers")
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise DomainError("plan.instalments", "a plan has at least one instalment", "instalments")
    if debt / count < MIN_INSTALMENT and count > 1:
        raise DomainError("plan.instalment_too_small", f"each instalment must be at least {MIN_INSTALMENT} euro; choose fewer instalments", "instalments")
    first = accepted_on + timedelta(days=FIRST_DUE_DAYS)
    return [Instalment(i + 1, amount, add_months(first, i)) for i, amount in enumerate(split_evenly(debt, count))]


def instalment_ogm(year: int, sequence: int) -> str:
    """``+++YYY/9NNN/NNNCC+++``: year - 2000, digit 9, the year's instalment sequence, check digits."""
    if isinstance(year, bool) or not isinstance(year, int) or not FIRST_YEAR <= year <= LAST_YEAR:
        raise DomainError("plan.year", f"year must be in {FIRST_YEAR}..{LAST_YEAR}")
    if isinstance(sequence, bool) or not isinstance(sequence, int) or not 1 <= sequence <= MAX_SEQUENCE:
        raise DomainError("plan.sequence", f"instalment sequence must be in 1..{MAX_SEQUENCE}")
    return make_ogm((year - FIRST_YEAR) * 10**7 + INSTALMENT_SERIES_DIGIT * 10**6 + sequence)


# ------------------------------------------------------------------ following a plan
@dataclass(frozen=True)
class PlanState:
    """Where a plan stands on a day, from what the customer has paid towards it in total."""

    paid: Decimal
    remaining: Decimal
    complete: bool
    # The first instalment not covered by what was paid and overdue (past its due date + grace), if any.
    missed: Instalment | None
    # Per instalment: "paid", "open", "late".
    statuses: tuple[str, ...]


def plan_state(instalments: list[Instalment], paid: Decimal, today: date) -> PlanState:
    """Payments fill the instalments in order; an instalment is late when what was paid does not
    reach the cumulative amount due up to it and its due date + LATE_GRACE_DAYS has passed."""
    total = sum((i.amount for i in instalments), ZERO)
    paid = max(ZERO, to_cents(paid))
    cumulative = ZERO
    statuses: list[str] = []
    missed = None
    for instalment in instalments:
        cumulative += instalment.amount
        if paid >= cumulative:
            statuses.append("paid")
        elif today > instalment.due_date + timedelta(days=LATE_GRACE_DAYS):
            statuses.append("late")
            missed = missed or instalment
        else:
            statuses.append("open")
    remaining = max(ZERO, total - paid)
    return PlanState(paid=min(paid, total), remaining=remaining, complete=remaining == ZERO, missed=missed, statuses=tuple(statuses))


def reminder_deadline(reminder_sent_on: date) -> date:
    """The last day to pay a missed instalment after its one reminder."""
    return reminder_sent_on + timedelta(days=BREAK_AFTER_REMINDER_DAYS)


def is_broken(reminder_sent_on: date | None, today: date) -> bool:
    """One reminder for a missed instalment; still missed once the 15 days after it have run out
    (the day after the deadline the reminder named): broken."""
    return reminder_sent_on is not None and today > reminder_deadline(reminder_sent_on)


def allocate(amount: Decimal, open_by_invoice: list[tuple[str, Decimal]]) -> list[tuple[str, Decimal]]:
    """Spreads a payment over the plan's invoices in the order given (oldest first); what exceeds
    them all stays on the last one (an overpayment, booked on the account as a credit)."""
    if not open_by_invoice:
        raise DomainError("plan.no_invoices", "a plan covers at least one invoice")
    left = to_cents(amount)
    parts: list[tuple[str, Decimal]] = []
    for number, open_amount in open_by_invoice:
        if left <= ZERO:
            break
        take = min(left, max(ZERO, open_amount))
        if take > ZERO:
            parts.append((number, take))
            left -= take
    if left > ZERO:
        number = open_by_invoice[-1][0]
        parts = [(n, a + left) if n == number else (n, a) for n, a in parts] if any(n == number for n, _ in parts) else parts + [(number, left)]
    return parts


def advisor_contact_deadline(requested_on: date) -> date:
    """The advisor must contact the customer within 5 working days (Belgian holidays excluded)."""
    return add_working_days(requested_on, ADVISOR_CONTACT_WORKING_DAYS)
