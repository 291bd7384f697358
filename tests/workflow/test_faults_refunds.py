"""The daily refund payout sweep under injected faults, then delivered twice (issue 12)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from collection_support import make_customer
from invariants import check_invariants
from refund_support import book_credit, ledger_view, payment_files, refund, set_bank_account
from test_refunds import IBAN, JAN_15, only_refunds, request

pytestmark = pytest.mark.workflow

CUSTOMERS = 4
PAYOUT_DAY = datetime(2027, 2, 2, 13, 30, tzinfo=UTC)  # after the 14:00 Brussels payout sweep


def approved_refunds(runtime) -> list[dict]:
    """CUSTOMERS customers with the February advance (75.00) open, a 175.00 credit and a 100.00
    refund approved (below the four-eyes threshold)."""
    runtime.reset(JAN_15)
    only_refunds(runtime)
    customers = [make_customer(60 + i, advance="75.00", language="nl") for i in range(CUSTOMERS)]
    for c in customers:
        set_bank_account(c["customer_id"], IBAN, f"Klant {c['customer_id'][:4]}", datetime(2026, 11, 2, 10, 0, tzinfo=UTC))
    runtime.advance(to=datetime(2027, 2, 2, 8, 0, tzinfo=UTC))
    for n, c in enumerate(customers):
        book_credit(c["customer_id"], "175.00", datetime(2027, 2, 2, 8, 0, tzinfo=UTC))
        c["refund_id"] = request(runtime, customer_id=c["customer_id"], amount=Decimal("100.00"), source="OVERPAYMENT", source_id=f"P-F{n}", reason="overpayment")["refund_id"]
    return customers


def assert_each_refund_paid_once(runtime, operator, customers) -> None:
    from wattdesk.adapters import sepa_files

    in_files = [t["end_to_end_id"] for xml in payment_files(runtime).values() for t in sepa_files.read_pain001(xml)]
    assert sorted(in_files) == sorted(c["refund_id"] for c in customers)  # each in one file entry, none lost
    for c in customers:
        view = refund(runtime, operator, c["refund_id"])
        # 75.00 of the 100.00 offset against the open advance, 25.00 paid out (as in test_refunds.py)
        assert (view["status"], view["amount"]) == ("SENT", "25.00"), view
        balance, entries = ledger_view(c["customer_id"])
        assert balance == Decimal("-75.00"), entries  # 175.00 credit - 75.00 advance - 25.00 paid out


def fire_payout_again(runtime) -> None:
    schedule = next(s for s in runtime.schedules if s.name == "RefundSweepsFunction-RefundPayout")
    runtime._fire(schedule, runtime.last_fired[schedule.name])
    runtime.wait_until_settled()


def test_a_refund_sweep_with_ten_percent_faults_pays_each_refund_once(runtime, operator):
    customers = approved_refunds(runtime)
    assert all(refund(runtime, operator, c["refund_id"])["status"] == "APPROVED" for c in customers)
    for service in ("dynamodb", "s3"):
        runtime.faults.inject(service=service, rate=0.1, seed=9, function="RefundSweepsFunction")
    runtime.advance(to=PAYOUT_DAY)
    assert runtime.faults.raised > 0, runtime.faults.rules
    runtime.faults.clear()
    fire_payout_again(runtime)  # the next delivery of the day's sweep, once the faults are over
    assert_each_refund_paid_once(runtime, operator, customers)
    check_invariants(runtime)


def test_a_refund_sweep_delivered_twice_pays_each_refund_once(runtime, operator):
    customers = approved_refunds(runtime)
    runtime.advance(to=PAYOUT_DAY)
    fire_payout_again(runtime)
    fire_payout_again(runtime)
    assert len(payment_files(runtime)) == 1
    assert_each_refund_paid_once(runtime, operator, customers)
    check_invariants(runtime)
