"""A variable product's month without an index value stops billing of those contracts with one
clear ops alert, never a guess; once ops load the value, re-driving the run issues the held
invoices (issue 5), on the simulated clock."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from support import table_environment
from test_billing_run import MID_JANUARY, billing_mails, invoices, make_contract

pytestmark = pytest.mark.workflow


def on_product(contract: dict, code: str) -> dict:
    from wattdesk.stores import enrollments as store

    with table_environment():
        store.get_contract(contract["customer_id"], contract["contract_id"]).update(actions=[store.ContractRecord.product_code.set(code)])
    return contract


def run_of(runtime, operator, period: str) -> dict:
    return next(run for run in runtime.handle_api("GET", "/ops/billing-runs", operator).json()["items"] if run["period"] == period and "redrive" not in run["run_id"])


def test_a_missing_index_month_holds_the_invoices_alerts_once_and_a_redrive_issues_them(runtime, operator, customer):
    runtime.reset(MID_JANUARY)
    runtime.only_schedules("BillingRunStateMachine-")
    variable = [on_product(make_contract(100 + i, "monthly", f"{70 + i}.00", "nl", date(2027, 2, 1)), "ELEC-VAR-1Y") for i in range(2)]
    fixed = make_contract(102, "monthly", "80.00", "fr", date(2027, 2, 1))
    assert runtime.handle_api("PUT", "/ops/indexes/BELPEX_ELEC/2027-02", operator, {"value": "84.20"}).status == 200

    # February: the index is there, everything is issued.
    runtime.advance(to=datetime(2027, 2, 1, 8, 0, tzinfo=UTC))
    february = run_of(runtime, operator, "2027-02")
    assert (february["status"], february["issued"], february["held"]) == ("COMPLETED", 3, 0)

    # March: no BELPEX_ELEC value for March. The two variable contracts are held, not guessed.
    runtime.advance(to=datetime(2027, 3, 1, 8, 0, tzinfo=UTC))
    march = run_of(runtime, operator, "2027-03")
    assert (march["status"], march["issued"], march["held"], march["failed"]) == ("COMPLETED_WITH_HELD_ITEMS", 1, 2, 0)
    assert sorted(march["held_items"], key=lambda i: i["contract_id"]) == sorted(
        ({"contract_id": c["contract_id"], "reason": "index_missing: BELPEX_ELEC 2027-03"} for c in variable), key=lambda i: i["contract_id"]
    )
    assert sorted((i["contract_id"], i["period"]) for i in invoices(runtime) if i["period"] == "2027-03") == [(fixed["contract_id"], "2027-03")]
    assert all(len(billing_mails(runtime, c["email"])) == 1 for c in variable)  # February's only
    # One alert for the index and month, however many contracts it holds.
    alerts = runtime.handle_api("GET", "/ops/alerts", operator).json()["items"]
    assert [(a["kind"], a["subject"], a["status"], a["first_run_id"]) for a in alerts] == [("index_missing", "BELPEX_ELEC 2027-03", "OPEN", march["run_id"])]
    assert "PUT /ops/indexes/BELPEX_ELEC/2027-03" in alerts[0]["message"]
    assert runtime.handle_api("GET", "/ops/alerts", customer).status == 403

    # A manual re-run the same day still guesses nothing and raises no second alert.
    rerun = runtime.handle_api("POST", "/ops/billing-runs", operator, {"billing_date": "2027-03-01"})
    runtime.wait_until_settled()
    again = runtime.handle_api("GET", rerun.json()["status_url"], operator).json()
    assert (again["issued"], again["held"], again["skipped"]) == (0, 2, 1)
    assert len(runtime.handle_api("GET", "/ops/alerts", operator).json()["items"]) == 1

    # Ops load March's value three days later: the alert is resolved; re-driving issues the two.
    runtime.advance(to=datetime(2027, 3, 4, 9, 0, tzinfo=UTC))
    assert runtime.handle_api("PUT", "/ops/indexes/BELPEX_ELEC/2027-03", operator, {"value": "88.75"}).status == 200
    assert runtime.handle_api("GET", "/ops/alerts", operator).json()["items"] == []
    (resolved,) = runtime.handle_api("GET", "/ops/alerts?status=RESOLVED", operator).json()["items"]
    assert (resolved["subject"], resolved["resolved_by"]) == ("BELPEX_ELEC 2027-03", "an.operator@wattdesk.example")
    redrive = runtime.handle_api("POST", f"/ops/billing-runs/{march['run_id']}/redrive", operator)
    assert redrive.status == 202 and redrive.json()["items"] == 2
    runtime.wait_until_settled()
    summary = runtime.handle_api("GET", redrive.json()["status_url"], operator).json()
    assert (summary["status"], summary["issued"], summary["held"], summary["failed"]) == ("COMPLETED", 2, 0, 0)
    march_invoices = {i["contract_id"]: i for i in invoices(runtime) if i["period"] == "2027-03"}
    for contract in variable:
        invoice = march_invoices[contract["contract_id"]]
        # The advance agreed, issued on the billing date of its month, due 15 days later.
        assert (invoice["total"], invoice["issue_date"], invoice["due_date"]) == (contract["advance"], "2027-03-01", "2027-03-16")
        assert len(billing_mails(runtime, contract["email"])) == 2
    numbers = sorted(i["number"] for i in invoices(runtime))
    assert numbers == [f"2027-A-{n:06d}" for n in range(1, 7)]  # 3 in February, 3 in March: gapless

    # April without April's value: held again, a new alert for the new month.
    runtime.advance(to=datetime(2027, 4, 1, 8, 0, tzinfo=UTC))
    april = run_of(runtime, operator, "2027-04")
    assert (april["issued"], april["held"]) == (1, 2)
    assert [a["subject"] for a in runtime.handle_api("GET", "/ops/alerts", operator).json()["items"]] == ["BELPEX_ELEC 2027-04"]
    with table_environment():
        from wattdesk.stores import ledger

        assert all(ledger.balance(c["customer_id"]) == 2 * c["advance"] for c in variable)
    assert sum(i["total"] for i in invoices(runtime) if i["contract_id"] == fixed["contract_id"]) == Decimal("240.00")
