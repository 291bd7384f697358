"""Reminder and formal-notice rules: Book XIX fees, regional sequences, Belgian working days."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from wattdesk.domain import dunning as rules
from wattdesk.domain.dunning import CaseFacts, TakenStep, Take, Wait, decide

pytestmark = pytest.mark.unit

DUE = date(2027, 2, 16)  # a Tuesday: an advance of 1 February with the 15-day term


def take(facts: CaseFacts, today: date) -> Take:
    action = decide(facts, today)
    assert isinstance(action, Take), action
    return action


def after(facts: CaseFacts, action: Take) -> CaseFacts:
    step = TakenStep(action.rule.kind, action.on, action.deadline, action.fee.total)
    return CaseFacts(facts.region, facts.due_date, facts.taken + (step,), facts.protected, facts.first_reminders_this_year)


def run_sequence(region: str, protected: bool = False, first_reminders: int = 0) -> list[Take]:
    """Every step taken on its first possible day."""
    facts = CaseFacts(region, DUE, protected=protected, first_reminders_this_year=first_reminders)
    taken = []
    today = DUE
    while not isinstance(action := decide(facts, today), rules.Finished):
        if isinstance(action, Wait):
            today = action.until
            continue
        taken.append(action)
        facts = after(facts, action)
    return taken


# ------------------------------------------------------------------ fees (Book XIX WER)
def test_nothing_before_the_due_date_and_the_grace_period():
    facts = CaseFacts("flanders", DUE)
    assert decide(facts, DUE) == Wait(date(2027, 2, 22), "reminder")
    assert decide(facts, date(2027, 2, 17)) == Wait(date(2027, 2, 22), "reminder")  # the day after: still in the grace period
    # 21 February is a Sunday: the reminder goes out on Monday 22.
    assert take(facts, date(2027, 2, 22)).rule.kind == "reminder"


def test_the_first_reminder_is_free():
    reminder = take(CaseFacts("flanders", DUE), date(2027, 2, 22))
    assert reminder.fee.total == Decimal("0.00")
    assert "free" in reminder.fee.reason


def test_no_fee_within_14_days_of_the_first_reminder():
    facts = CaseFacts("flanders", DUE, taken=(TakenStep("reminder", date(2027, 2, 22), date(2027, 2, 23)),))
    rule = rules.sequence_for("flanders").rule("formal_notice")
    assert rules.fee_for(facts, rule, date(2027, 3, 7)).total == Decimal("0.00")  # day 13
    assert rules.fee_for(facts, rule, date(2027, 3, 8)).total == Decimal("16.20")  # day 14: EUR 7.50 + registered postage 8.70


def test_a_later_reminder_costs_at_most_7_50_plus_postage():
    steps = run_sequence("flanders")
    notice = next(step for step in steps if step.rule.kind == "formal_notice")
    assert notice.fee.amount == Decimal("7.50") == rules.FEDERAL.max_fee_per_reminder
    assert notice.fee.postage == rules.POSTAGE["registered"]
    assert notice.fee.total == Decimal("16.20")


def test_three_free_first_reminders_per_calendar_year_then_a_fee():
    for earlier in range(3):
        assert take(CaseFacts("flanders", DUE, first_reminders_this_year=earlier), date(2027, 2, 22)).fee.total == Decimal("0.00")
    fourth = take(CaseFacts("flanders", DUE, first_reminders_this_year=3), date(2027, 2, 22))
    assert fourth.fee.total == Decimal("7.50")  # by e-mail: no postage
    assert "calendar year" in fourth.fee.reason


def test_protected_customers_are_never_charged():
    assert all(step.fee.total == Decimal("0.00") for step in run_sequence("flanders", protected=True, first_reminders=5))
    assert all(step.fee.total == Decimal("0.00") for step in run_sequence("brussels", protected=True))
    assert "social tariff" in take(CaseFacts("flanders", DUE, protected=True, first_reminders_this_year=7), date(2027, 2, 22)).fee.reason


def test_the_fee_policy_stays_under_the_legal_cap():
    assert rules.REMINDER_FEE <= rules.FEDERAL.max_fee_per_reminder


# ------------------------------------------------------------------ regional sequences
def test_flanders_reminder_then_registered_formal_notice_then_ops():
    steps = run_sequence("flanders")
    assert [(s.rule.kind, s.on, s.deadline, s.fee.total) for s in steps] == [
        # E-mail: the term runs from the next working day (23 Feb) for 15 days.
        ("reminder", date(2027, 2, 22), date(2027, 3, 10), Decimal("0.00")),
        # At least 15 days after the reminder and after its deadline; registered: from the 3rd working day.
        ("formal_notice", date(2027, 3, 11), date(2027, 3, 31), Decimal("16.20")),
        ("ops_queue", date(2027, 4, 1), None, Decimal("0.00")),
    ]
    notice = steps[1].rule
    assert notice.channel == "registered"
    assert notice.min_days_after_previous >= 15
    assert set(notice.mentions) == set(steps[0].rule.mentions) == {"payment_plan", "social_support", "advisor"}
    assert rules.SEQUENCES["flanders"].rule("reminder").payment_term_days >= 15


def test_brussels_offers_a_plan_at_least_7_days_after_the_formal_notice():
    steps = run_sequence("brussels")
    kinds = [s.rule.kind for s in steps]
    assert kinds == ["reminder", "formal_notice", "plan_offer", "ops_queue"]
    notice, offer, ops = steps[1], steps[2], steps[3]
    assert (offer.on - notice.on).days >= 7
    assert offer.on == date(2027, 3, 18)
    # The ops queue still waits for the formal notice's own term.
    assert ops.on == date(2027, 4, 1) and ops.on > notice.deadline


def test_wallonia_follows_its_own_sequence_marked_as_configuration():
    steps = run_sequence("wallonia")
    assert [s.rule.kind for s in steps] == ["reminder", "formal_notice", "ops_queue"]
    assert all(rule.configuration for rule in rules.SEQUENCES["wallonia"].steps)
    assert not any(rule.configuration for rule in rules.SEQUENCES["flanders"].steps)


def test_every_sequence_ends_in_the_ops_queue_and_has_no_disconnection():
    for region, sequence in rules.SEQUENCES.items():
        assert sequence.steps[-1].kind == "ops_queue", region
        assert {step.kind for step in sequence.steps} <= set(rules.STEP_KINDS)
        assert not any("disconnect" in decision for decision in sequence.ops_decisions)


def test_region_comes_from_the_postcode():
    assert rules.region_of_postcode("9000") == "flanders"
    assert rules.region_of_postcode("1000") == "brussels"
    assert rules.region_of_postcode("1348") == "wallonia"
    assert rules.region_of_postcode("4000") == "wallonia"
    assert rules.region_of_postcode("1500") == "flanders"


# ------------------------------------------------------------------ working days with Belgian holidays
def test_letter_deadlines_count_belgian_working_days_and_skip_holidays():
    # E-mail on Thursday 25 March 2027: term starts Friday 26; +15 = Saturday 10 April -> Monday 12.
    assert rules.letter_deadline("email", date(2027, 3, 25), 15) == date(2027, 4, 12)
    # Registered on Friday 26 March: 3rd working day skips the weekend and Easter Monday 29 March
    # (30, 31 March, 1 April) -> 1 April + 15 = Friday 16 April.
    assert rules.letter_deadline("registered", date(2027, 3, 26), 15) == date(2027, 4, 16)
    # A term ending on a holiday moves to the next working day: 6 May 2027 is Ascension Day.
    assert rules.letter_deadline("email", date(2027, 4, 20), 15) == date(2027, 5, 7)
    with pytest.raises(rules.DomainError):
        rules.letter_deadline("email", date(2027, 4, 20), 10)


def test_no_step_on_a_weekend_or_holiday():
    # Due 24 March: the grace period ends on Easter Monday 29 March; the reminder waits for Tuesday 30.
    facts = CaseFacts("flanders", date(2027, 3, 24))
    assert decide(facts, date(2027, 3, 29)) == Wait(date(2027, 3, 30), "reminder")
    assert take(facts, date(2027, 3, 30)).on == date(2027, 3, 30)


def test_a_suspension_gives_the_customer_a_fresh_term():
    facts = CaseFacts("flanders", DUE, taken=(TakenStep("reminder", date(2027, 2, 22), date(2027, 3, 10)),), resume_not_before=rules.resume_date(date(2027, 4, 1)))
    assert decide(facts, date(2027, 4, 2)) == Wait(date(2027, 4, 16), "formal_notice")


def test_a_case_never_escalates_for_its_own_fees_or_a_few_cents():
    assert not rules.should_chase(Decimal("16.20"), Decimal("16.20"))
    assert not rules.should_chase(Decimal("3.00"), Decimal("0.00"))
    assert rules.should_chase(Decimal("70.00"), Decimal("0.00"))
