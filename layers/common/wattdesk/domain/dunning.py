"""Reminders and formal notices: the legal rules as data, and the pure decision of a case's next step.

One dunning *case* follows one unpaid invoice through the sequence of its supply address's region.
This module never reads the clock and does no I/O: the service hands it the facts of a case and the
as-of date, and gets back what to do (wait until a date, or take a step with its fee and deadline).

Sources (the comment next to each value names the rule it encodes; values without a legal source
are marked ``CONFIGURATION`` and are company settings to be confirmed by legal, not law):

* Federal: Book XIX of the Code of Economic Law ("Wetboek van economisch recht" / "Code de droit
  economique", WER/CDE), "Schulden van de consument / Dettes du consommateur", in force since
  1 September 2022, art. XIX.2 et seq.:
  - the first reminder is free of charge (art. XIX.2, par. 1);
  - the consumer then has at least 14 calendar days to pay, counted from the third working day after
    a reminder sent on paper, or from the working day after one sent electronically; no fee or
    damages may be charged before that term has run (art. XIX.2, par. 1);
  - for contracts of successive performance (recurring supply, such as energy) the free first
    reminder is only guaranteed three times per calendar year (art. XIX.2, par. 1);
  - a later reminder may cost at most EUR 7.50 plus the postage in force when it is sent (art. XIX.4).
* Flanders: Energiebesluit of 19 November 2010, title V, chapter VII (social public service
  obligations, procedure for non-payment, art. 5.7.1 et seq.): a payment term of at least 15 days;
  a reminder ("herinneringsbrief"); at the earliest 15 days after it a formal notice
  ("ingebrekestelling") by registered mail; both letters name the possibility of a payment plan, of
  social support (OCMW) and the contact of the supplier's personal advisor. What follows (a request
  to the DSO / the local advisory committee, LAC) is never automatic here: it is an ops decision.
* Brussels-Capital: Ordinance of 19 July 2001 on the electricity market, art. 25sexies (and the gas
  ordinance of 1 April 2004, art. 20quinquies): reminder, then formal notice ("mise en demeure"), with
  a reasonable payment plan to be offered at least 7 days after the formal notice; the next step
  (justice of the peace) is an ops decision.
* Wallonia: Arrete du Gouvernement wallon of 30 March 2006 on public service obligations (electricity;
  gas: AGW of the same date), art. 29 et seq.: reminder ("rappel"), formal notice ("mise en
  demeure"), then the declaration of payment default and the request to the DSO (budget meter), which
  is an ops decision here. The day counts used for Wallonia are CONFIGURATION.

Courts and the Judicial Code (art. 53 Ger.W./C.jud.): a term whose last day is a Saturday, Sunday or
legal holiday ends on the next working day. Belgian working days and holidays: domain.working_days.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal

from wattdesk.domain.errors import DomainError
from wattdesk.domain.money import ZERO, to_cents
from wattdesk.domain.postcodes import Region, region_of
from wattdesk.domain.working_days import add_working_days, is_working_day

StepKind = Literal["reminder", "formal_notice", "plan_offer", "ops_queue"]
Channel = Literal["email", "registered", "none"]
Mention = Literal["payment_plan", "social_support", "advisor"]

STEP_KINDS: tuple[StepKind, ...] = ("reminder", "formal_notice", "plan_offer", "ops_queue")
REGIONS: tuple[Region, ...] = ("flanders", "wallonia", "brussels")
SUSPENSION_REASONS = ("complaint", "payment_plan", "refund", "correction")

_ONE_DAY = timedelta(days=1)


# ------------------------------------------------------------------ federal fee rules (Book XIX WER)
@dataclass(frozen=True)
class FeeRules:
    # art. XIX.2 par. 1: the first reminder of a debt is free of charge.
    first_reminder_free: bool = True
    # art. XIX.2 par. 1: at least 14 calendar days after the first reminder before anything is charged.
    days_before_any_fee: int = 14
    # art. XIX.2 par. 1: the consumer's term runs from the 3rd working day after a paper letter ...
    paper_term_starts_after_working_days: int = 3
    # ... or from the working day after an electronic one.
    electronic_term_starts_after_working_days: int = 1
    # art. XIX.2 par. 1: that term is at least 14 calendar days.
    consumer_term_days: int = 14
    # art. XIX.2 par. 1 (successive performance): the free first reminder is guaranteed 3 times per calendar year.
    free_first_reminders_per_year: int = 3
    # art. XIX.4: at most EUR 7.50 per reminder, plus the postage in force when it is sent.
    max_fee_per_reminder: Decimal = Decimal("7.50")


FEDERAL = FeeRules()

# CONFIGURATION (company policy, within the cap above): what WattDesk charges for a chargeable step.
REMINDER_FEE = Decimal("7.50")
# CONFIGURATION: bpost tariffs (ops update them each January; the fee adds the postage actually paid).
POSTAGE: dict[Channel, Decimal] = {
    "email": Decimal("0.00"),
    "registered": Decimal("8.70"),  # national registered letter ("aangetekende zending / envoi recommande")
    "none": Decimal("0.00"),
}
# CONFIGURATION (policy): days after the due date before the first reminder, so that transfers made on
# the due date have reached the bank statement. Book XIX only requires "not before the day after".
GRACE_DAYS = 5
# CONFIGURATION (policy): an open amount below this is not chased (a few cents of a short payment).
MIN_AMOUNT_TO_CHASE = Decimal("5.00")
# CONFIGURATION (policy): when a suspension ends (complaint closed, plan broken, refund done), the customer
# gets this many days before the next step, whatever the sequence's own dates say.
RESUME_TERM_DAYS = 15

if REMINDER_FEE > FEDERAL.max_fee_per_reminder:  # pragma: no cover - a configuration mistake
    raise ValueError("REMINDER_FEE exceeds the Book XIX cap")


# ------------------------------------------------------------------ regional sequences
@dataclass(frozen=True)
class StepRule:
    kind: StepKind
    # Calendar days after the previous step (after the due date for the first step).
    min_days_after_previous: int
    # And not before the previous letter's payment term has run out.
    after_previous_deadline: bool
    channel: Channel
    # The letter's own payment term in calendar days (None: not a letter to the customer).
    payment_term_days: int | None
    may_charge_fee: bool
    mentions: tuple[Mention, ...]
    source: str
    # True where the value is a company setting rather than a sourced legal rule.
    configuration: bool = False


@dataclass(frozen=True)
class RegionalSequence:
    region: Region
    steps: tuple[StepRule, ...]
    source: str
    # What ops may decide once the case reaches the ops queue (never automatic).
    ops_decisions: tuple[str, ...] = field(default=())

    def rule(self, kind: StepKind) -> StepRule:
        for step in self.steps:
            if step.kind == kind:
                return step
        raise KeyError(kind)


ALL_MENTIONS: tuple[Mention, ...] = ("payment_plan", "social_support", "advisor")

SEQUENCES: dict[Region, RegionalSequence] = {
    "flanders": RegionalSequence(
        region="flanders",
        source="Energiebesluit 19.11.2010, title V ch. VII, art. 5.7.1 et seq.",
        steps=(
            # Reminder: not before due date + grace (XIX: the day after the due date at the earliest);
            # payment term 15 days (Energiebesluit: at least 15 days; XIX: at least 14).
            StepRule("reminder", GRACE_DAYS, False, "email", 15, True, ALL_MENTIONS, "Energiebesluit art. 5.7.1; WER art. XIX.2"),
            # Formal notice by registered mail, at the earliest 15 days after the reminder (Energiebesluit).
            StepRule("formal_notice", 15, True, "registered", 15, True, ALL_MENTIONS, "Energiebesluit art. 5.7.1 (ingebrekestelling, aangetekend)"),
            # After the formal notice's term without reaction: ops decide the next legal step (LAC/DSO).
            StepRule("ops_queue", 0, True, "none", None, False, (), "Energiebesluit art. 5.7.1 et seq.: next step is an ops decision"),
        ),
        ops_decisions=("request_dso_lac", "extend_term", "close_uncollectable", "hold"),
    ),
    "brussels": RegionalSequence(
        region="brussels",
        source="Ordonnance electricite 19.07.2001 art. 25sexies; ordonnance gaz 01.04.2004 art. 20quinquies",
        steps=(
            StepRule("reminder", GRACE_DAYS, False, "email", 15, True, ALL_MENTIONS, "Ord. 19.07.2001 art. 25sexies (rappel); WER art. XIX.2"),
            # CONFIGURATION: 15 days after the reminder and registered mail, as in Flanders.
            StepRule("formal_notice", 15, True, "registered", 15, True, ALL_MENTIONS, "Ord. 19.07.2001 art. 25sexies (mise en demeure)", configuration=True),
            # A reasonable payment plan is offered at least 7 days after the formal notice.
            StepRule("plan_offer", 7, False, "email", None, False, ALL_MENTIONS, "Ord. 19.07.2001 art. 25sexies (plan d'apurement raisonnable)"),
            # Only after the formal notice's own term (see next_step: measured from the notice).
            StepRule("ops_queue", 0, True, "none", None, False, (), "Ord. 19.07.2001 art. 25sexies: justice of the peace is an ops decision"),
        ),
        ops_decisions=("justice_of_the_peace", "extend_term", "close_uncollectable", "hold"),
    ),
    "wallonia": RegionalSequence(
        region="wallonia",
        source="AGW 30.03.2006 OSP electricite/gaz, art. 29 et seq. (day counts: CONFIGURATION)",
        steps=(
            StepRule("reminder", GRACE_DAYS, False, "email", 15, True, ALL_MENTIONS, "AGW 30.03.2006 art. 29 (rappel); WER art. XIX.2", configuration=True),
            StepRule("formal_notice", 15, True, "registered", 15, True, ALL_MENTIONS, "AGW 30.03.2006 art. 29-30 (mise en demeure)", configuration=True),
            StepRule("ops_queue", 0, True, "none", None, False, (), "AGW 30.03.2006: defaut de paiement / compteur a budget is an ops decision", configuration=True),
        ),
        ops_decisions=("request_dso_budget_meter", "extend_term", "close_uncollectable", "hold"),
    ),
}


def region_of_postcode(postcode: str) -> Region:
    """The region whose sequence applies, from the supply address's postal code (domain.postcodes)."""
    return region_of(postcode)


def sequence_for(region: str) -> RegionalSequence:
    if region not in SEQUENCES:
        raise DomainError("dunning.region", f"no dunning sequence for region {region!r}")
    return SEQUENCES[region]  # type: ignore[index]


# ------------------------------------------------------------------ facts and decisions
@dataclass(frozen=True)
class TakenStep:
    kind: StepKind
    on: date
    deadline: date | None = None
    fee: Decimal = ZERO


@dataclass(frozen=True)
class CaseFacts:
    region: Region
    due_date: date
    taken: tuple[TakenStep, ...] = ()
    protected: bool = False
    # First reminders this customer already received in the calendar year of the step (other invoices).
    first_reminders_this_year: int = 0
    # After a suspension or a broken plan: nothing before this date.
    resume_not_before: date | None = None


@dataclass(frozen=True)
class Fee:
    amount: Decimal
    postage: Decimal
    reason: str

    @property
    def total(self) -> Decimal:
        return to_cents(self.amount + self.postage)


@dataclass(frozen=True)
class Wait:
    until: date
    step: StepKind


@dataclass(frozen=True)
class Take:
    rule: StepRule
    on: date
    fee: Fee
    deadline: date | None


@dataclass(frozen=True)
class Finished:
    """Every step of the sequence is taken: the case is with ops."""


Action = Wait | Take | Finished


def next_working_day_on_or_after(day: date) -> date:
    while not is_working_day(day):
        day += _ONE_DAY
    return day


def letter_deadline(channel: Channel, sent_on: date, term_days: int) -> date:
    """The last day to pay after a letter: the term runs from the 3rd working day after a paper
    (registered) letter or the working day after an e-mail (WER art. XIX.2), is at least 14 days,
    and a last day on a weekend or holiday moves to the next working day (Ger.W. art. 53)."""
    if term_days < FEDERAL.consumer_term_days:
        raise DomainError("dunning.term", f"a payment term must be at least {FEDERAL.consumer_term_days} days")
    start_after = FEDERAL.paper_term_starts_after_working_days if channel == "registered" else FEDERAL.electronic_term_starts_after_working_days
    return next_working_day_on_or_after(add_working_days(sent_on, start_after) + timedelta(days=term_days))


def _taken(facts: CaseFacts, kind: StepKind) -> TakenStep | None:
    return next((step for step in facts.taken if step.kind == kind), None)


def next_rule(facts: CaseFacts) -> StepRule | None:
    sequence = sequence_for(facts.region)
    done = {step.kind for step in facts.taken}
    return next((rule for rule in sequence.steps if rule.kind not in done), None)


def earliest_date(facts: CaseFacts, rule: StepRule) -> date:
    """The first calendar day the step may be taken (before the working-day and resume rules)."""
    if not facts.taken:
        # Never before the day after the due date (WER art. XIX.2), plus the grace period.
        return facts.due_date + timedelta(days=max(1, rule.min_days_after_previous))
    previous = facts.taken[-1]
    earliest = previous.on + timedelta(days=rule.min_days_after_previous)
    if rule.kind == "ops_queue":
        # The ops queue waits for the formal notice's term, whatever came after it (Brussels plan offer).
        notice = _taken(facts, "formal_notice")
        if notice and notice.deadline:
            earliest = max(earliest, notice.deadline + _ONE_DAY)
    if rule.after_previous_deadline and previous.deadline is not None:
        earliest = max(earliest, previous.deadline + _ONE_DAY)
    return earliest


def fee_for(facts: CaseFacts, rule: StepRule, on: date) -> Fee:
    """What a step may cost under Book XIX and the protected-customer rule, and why."""
    if not rule.may_charge_fee:
        return Fee(ZERO, ZERO, "no fee on this step")
    if facts.protected:
        return Fee(ZERO, ZERO, "protected customer (social tariff): never charged")
    postage = POSTAGE[rule.channel]
    if rule.kind == "reminder" and not _taken(facts, "reminder"):
        if facts.first_reminders_this_year < FEDERAL.free_first_reminders_per_year:
            return Fee(ZERO, ZERO, "first reminder is free (WER art. XIX.2)")
        return Fee(REMINDER_FEE, postage, f"more than {FEDERAL.free_first_reminders_per_year} first reminders this calendar year (WER art. XIX.2, recurring supply)")
    first = _taken(facts, "reminder")
    if first is None or on < first.on + timedelta(days=FEDERAL.days_before_any_fee):
        return Fee(ZERO, ZERO, f"no fee within {FEDERAL.days_before_any_fee} days of the first reminder (WER art. XIX.2)")
    return Fee(min(REMINDER_FEE, FEDERAL.max_fee_per_reminder), postage, "reminder fee (WER art. XIX.4: at most EUR 7.50 + postage)")


def decide(facts: CaseFacts, today: date) -> Action:
    """The case's next move on ``today``: wait until a (working) day, take a step, or nothing left."""
    rule = next_rule(facts)
    if rule is None:
        return Finished()
    earliest = earliest_date(facts, rule)
    if facts.resume_not_before is not None:
        earliest = max(earliest, facts.resume_not_before)
    # Letters go out and ops queues fill on working days only (posting dates, XIX term counting).
    day = next_working_day_on_or_after(earliest)
    if today < day:
        return Wait(day, rule.kind)
    if not is_working_day(today):
        return Wait(next_working_day_on_or_after(today), rule.kind)
    deadline = letter_deadline(rule.channel, today, rule.payment_term_days) if rule.payment_term_days else None
    return Take(rule, today, fee_for(facts, rule, today), deadline)


def principal_open(open_amount: Decimal, fees_booked: Decimal) -> Decimal:
    """What is still open of the invoice itself: a case never escalates for its own fees alone."""
    return to_cents(open_amount - fees_booked)


def should_chase(open_amount: Decimal, fees_booked: Decimal) -> bool:
    return principal_open(open_amount, fees_booked) >= MIN_AMOUNT_TO_CHASE


def resume_date(lifted_on: date) -> date:
    """After a suspension ends, the customer gets a fresh term before any next step."""
    return lifted_on + timedelta(days=RESUME_TERM_DAYS)


# ------------------------------------------------------------------ suspensions by other workflows
# Issue 7: "Collection is suspended for an invoice under an open complaint about it, for invoices
# covered by a kept instalment plan, and for a customer with an open refund or correction on that
# invoice. The reason is visible in ops." Complaints and plans are read as they are (stores.complaints,
# the plan's suspension records); the refund and correction rules below are CONFIGURATION chosen where
# the issue is silent, written down in docs/dunning.md ("Suspensions").

# A refund is under way in these statuses (docs/refunds.md): asked for, waiting for the customer's IBAN
# or an approver, approved for the next payment file, or in a file at the bank. OFFSET, PAID, RETURNED
# (the money is back on the account; a follow-up refund is a new refund), REJECTED and CANCELLED end it.
OPEN_REFUND_STATUSES = ("REQUESTED", "AWAITING_IBAN", "AWAITING_APPROVAL", "APPROVED", "SENT")


@dataclass(frozen=True)
class RefundFacts:
    refund_id: str
    status: str
    amount: Decimal  # what is paid out (after offsets), or what was asked while not planned yet
    created_at: str = ""


def suspending_refund(refunds: tuple[RefundFacts, ...] | list[RefundFacts]) -> RefundFacts | None:
    """The customer's refund that suspends collection of their open invoices, if any (the oldest
    one under way). A refund is "on" every open invoice of its customer: the refund workflow offsets
    its credit against the customer's open invoices (oldest first) and checks the credit again right
    before paying, so until it has ended what the customer owes on each invoice is not settled, and a
    customer we are sending money to is not chased meanwhile."""
    under_way = sorted((r for r in refunds if r.status in OPEN_REFUND_STATUSES), key=lambda r: (r.created_at, r.refund_id))
    return under_way[0] if under_way else None


def refund_detail(refund: RefundFacts) -> str:
    return f"refund {refund.refund_id} {refund.status.lower().replace('_', ' ')} ({to_cents(refund.amount)} EUR)"


# Readings of the settlement's closing day count within this many days of it (services.readings
# CLOSING_WINDOW_DAYS, the window the dispute route accepts).
SETTLEMENT_DISPUTE_WINDOW_DAYS = 14


@dataclass(frozen=True)
class SettlementFacts:
    """An annual settlement invoice as the correction rule needs it."""

    settlement_date: date
    estimated: bool  # closed with an estimated reading
    reissued: bool  # already cancelled and reissued (its open amount is gone with the credit note)
    # Dates of actual readings (customer or operator) of the contract waiting for an operator's check.
    readings_waiting: tuple[date, ...] = ()


def open_settlement_correction(facts: SettlementFacts) -> bool:
    """An estimated annual settlement is being corrected while the customer (or an operator) gave an
    actual reading for its closing day that waits for an operator's check (IMPLAUSIBLE): once checked,
    the settlement is cancelled and reissued with it (services.settlement.dispute), or the reading is
    rejected and collection resumes."""
    if not facts.estimated or facts.reissued:
        return False
    window = timedelta(days=SETTLEMENT_DISPUTE_WINDOW_DAYS)
    return any(abs(day - facts.settlement_date) <= window for day in facts.readings_waiting)
