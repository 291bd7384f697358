"""Instalment plans: limits, schedules that add up to the cent, references, kept/late/broken."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wattdesk.domain import instalments as plans
from wattdesk.domain.errors import DomainError
from wattdesk.domain.invoice import ogm_for
from wattdesk.domain.ogm import validate_ogm

pytestmark = pytest.mark.unit


@given(cents=st.integers(min_value=6000, max_value=10_000_000), count=st.integers(min_value=1, max_value=6))
def test_the_schedule_adds_up_to_the_debt_to_the_cent(cents, count):
    debt = Decimal(cents).scaleb(-2)
    schedule = plans.schedule(debt, count, date(2027, 3, 10))
    assert sum(item.amount for item in schedule) == debt
    assert len(schedule) == count
    assert max(i.amount for i in schedule) - min(i.amount for i in schedule) <= Decimal("0.01")


def test_leftover_cents_go_to_the_first_instalments():
    schedule = plans.schedule(Decimal("100.00"), 3, date(2027, 3, 10))
    assert [item.amount for item in schedule] == [Decimal("33.34"), Decimal("33.33"), Decimal("33.33")]


def test_monthly_due_dates_from_15_days_after_acceptance_clamped_to_month_end():
    schedule = plans.schedule(Decimal("400.00"), 4, date(2027, 1, 16))
    assert [item.due_date for item in schedule] == [date(2027, 1, 31), date(2027, 2, 28), date(2027, 3, 31), date(2027, 4, 30)]
    assert [item.number for item in schedule] == [1, 2, 3, 4]


def test_at_most_six_instalments_without_a_supervisor():
    plans.check_count(6)
    with pytest.raises(DomainError) as error:
        plans.check_count(7)
    assert error.value.code == "plan.approval_required"
    with pytest.raises(DomainError):
        plans.check_count(7, approved_by_supervisor=True, reason="  ")
    plans.check_count(12, approved_by_supervisor=True, reason="Long illness, income restored in autumn")
    with pytest.raises(DomainError) as error:
        plans.check_count(25, approved_by_supervisor=True, reason="x")
    assert error.value.code == "plan.instalments"


def test_instalments_are_not_split_below_the_minimum():
    with pytest.raises(DomainError) as error:
        plans.schedule(Decimal("30.00"), 6, date(2027, 3, 1))
    assert error.value.code == "plan.instalment_too_small"


def test_each_instalment_has_its_own_valid_ogm_never_an_invoices_one():
    references = {plans.instalment_ogm(2027, sequence) for sequence in range(1, 200)}
    assert len(references) == 199
    assert all(validate_ogm(reference) == reference for reference in references)
    invoices = {ogm_for(series, 2027, sequence) for series in "ASFXC" for sequence in range(1, 200)}
    assert not references & invoices
    assert plans.instalment_ogm(2027, 1) == "+++027/9000/00165+++"


def test_payments_fill_instalments_in_order():
    schedule = plans.schedule(Decimal("300.00"), 3, date(2027, 3, 1))  # due 16 Mar, 16 Apr, 16 May
    kept = plans.plan_state(schedule, Decimal("100.00"), date(2027, 4, 10))
    assert kept.statuses == ("paid", "open", "open") and kept.missed is None and kept.remaining == Decimal("200.00")
    # Due 16 April, grace of 3 days: late from 20 April.
    assert plans.plan_state(schedule, Decimal("100.00"), date(2027, 4, 19)).missed is None
    late = plans.plan_state(schedule, Decimal("150.00"), date(2027, 4, 20))
    assert late.statuses == ("paid", "late", "open") and late.missed == schedule[1]
    done = plans.plan_state(schedule, Decimal("300.00"), date(2027, 5, 1))
    assert done.complete and done.remaining == Decimal("0.00")


def test_a_plan_breaks_the_day_after_the_reminders_15_days():
    reminded = date(2027, 4, 20)
    assert plans.reminder_deadline(reminded) == date(2027, 5, 5)
    assert not plans.is_broken(reminded, date(2027, 5, 5))
    assert plans.is_broken(reminded, date(2027, 5, 6))
    assert not plans.is_broken(None, date(2027, 12, 31))


def test_an_instalment_payment_is_spread_over_the_plans_invoices_oldest_first():
    parts = plans.allocate(Decimal("100.00"), [("2027-A-000001", Decimal("70.00")), ("2027-A-000002", Decimal("70.00"))])
    assert parts == [("2027-A-000001", Decimal("70.00")), ("2027-A-000002", Decimal("30.00"))]
    over = plans.allocate(Decimal("150.00"), [("2027-A-000001", Decimal("70.00")), ("2027-A-000002", Decimal("70.00"))])
    assert sum(amount for _, amount in over) == Decimal("150.00")


def test_the_advisor_has_five_belgian_working_days():
    # Requested on Wednesday 24 March 2027: Thu 25, Fri 26, (weekend, Easter Monday 29), Tue 30, Wed 31, Thu 1 April.
    assert plans.advisor_contact_deadline(date(2027, 3, 24)) == date(2027, 4, 1)
    # Without a holiday in between, five working days are one calendar week.
    assert plans.advisor_contact_deadline(date(2027, 3, 3)) == date(2027, 3, 10)
