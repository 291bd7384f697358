"""The daily dunning run under injected faults, then with every trigger delivered twice (issue 12)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from dunning_support import JANUARY, at, invoices_of, ledger_of, login, mails, make_customer
from invariants import check_invariants

pytestmark = pytest.mark.workflow

DEBTORS = 8


def debtors_with_an_overdue_invoice(runtime) -> list[dict]:
    runtime.reset(JANUARY)
    runtime.only_schedules("BillingRunStateMachine-", "DunningStateMachine-")
    debtors = [make_customer(40 + i, ["9000", "1000", "4000"][i % 3], ["nl", "fr", "fr"][i % 3]) for i in range(DEBTORS)]
    runtime.advance(to=at("2027-02-01"))
    assert all(len(invoices_of(d["customer_id"])) == 1 for d in debtors)
    return debtors


def reminders(runtime, debtor: dict) -> list[dict]:
    return [m for m in mails(runtime, debtor) if any(name.startswith("reminder-") for name in m["attachments"])]


def assert_one_free_reminder_each(runtime, debtors) -> None:
    for debtor in debtors:
        assert len(reminders(runtime, debtor)) == 1, (debtor["email"], [m["subject"] for m in mails(runtime, debtor)])
        assert ledger_of(debtor["customer_id"])[0] == Decimal("70.00")  # the first reminder is free: no fee booked


def rerun(runtime, day: str) -> None:
    operator = login(runtime, "an.operator@wattdesk.example", ["operators"])
    response = runtime.handle_api("POST", "/ops/dunning-runs", operator, {"as_of_date": day})
    assert response.status == 202, response.json()
    runtime.wait_until_settled()


def test_a_dunning_run_with_ten_percent_faults_and_a_rerun_reminds_each_debtor_once(runtime):
    debtors = debtors_with_an_overdue_invoice(runtime)
    for service in ("dynamodb", "ses", "s3"):
        runtime.faults.inject(service=service, rate=0.1, seed=5, function="DunningTasksFunction")
    runtime.faults.crash_after(function="DunningTasksFunction", rate=0.1, seed=5)
    runtime.advance(to=at("2027-02-22"))  # the reminder day
    assert runtime.faults.raised > 0
    runtime.faults.clear()
    rerun(runtime, "2027-02-22")  # ops re-run the day once the faults are over
    assert_one_free_reminder_each(runtime, debtors)
    check_invariants(runtime)


def test_a_dunning_run_delivered_twice_at_every_step_reminds_each_debtor_once(runtime):
    debtors = debtors_with_an_overdue_invoice(runtime)
    rule = runtime.faults.crash_after(function="DunningTasksFunction", first=1)  # each step runs twice
    runtime.advance(to=at("2027-02-22"))
    assert rule.raised >= DEBTORS
    runtime.faults.clear()
    schedule = next(s for s in runtime.schedules if s.name.startswith("DunningStateMachine-"))
    runtime._fire(schedule, runtime.last_fired[schedule.name])  # the schedule delivered twice
    runtime.wait_until_settled()
    rerun(runtime, "2027-02-22")  # and an operator's re-run of the same day
    assert_one_free_reminder_each(runtime, debtors)
    check_invariants(runtime)
