"""A camt.053 payment import under injected faults, then delivered again (issue 12).

The import is one synchronous API call (POST /ops/bank-statements): a fault in the middle answers
5xx and the operator (or the bank connector) sends the same file again. Entries the bank already
gave us are recognised by their reference and never booked twice; what the faults stopped is
booked by the next delivery.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from collection_support import BANK, MID_JANUARY, invoices, make_customer, xml_upload
from invariants import check_invariants, table_items

pytestmark = pytest.mark.workflow

FEBRUARY = (BANK / "camt053_february.xml").read_bytes()
# What the February statement leaves open per invoice once fully imported (see test_payments.py).
EXPECTED_STATUS = {"2027-A-000001": "PAID", "2027-A-000002": "OPEN", "2027-A-000003": "PAID", "2027-A-000004": "PAID", "2027-A-000005": "OPEN"}


@pytest.fixture
def billed(runtime):
    runtime.reset(MID_JANUARY)
    runtime.only_schedules("BillingRunStateMachine-")
    for i in range(5):
        make_customer(i, language=["nl", "fr", "de", "en", "nl"][i])
    runtime.advance(to=datetime(2027, 2, 18, 8, 0, tzinfo=UTC))
    assert sorted(invoices(runtime)) == [f"2027-A-{n:06d}" for n in range(1, 6)]


def booked_payments(runtime) -> set[str]:
    """The payments booked on some ledger (the invariants check none is booked above its amount)."""
    return {i["payment_id"] for i in table_items(runtime) if str(i["SK"]).startswith("LEDGER#") and i.get("payment_id")}


def upload(runtime, operator, times: int) -> list[int]:
    return [xml_upload(runtime, "/ops/bank-statements", operator, FEBRUARY).status for _ in range(times)]


def test_a_payment_import_with_ten_percent_faults_books_every_payment_once(runtime, billed, operator):
    for service in ("dynamodb", "s3"):
        runtime.faults.inject(service=service, rate=0.1, seed=3, function="CollectionApiFunction")
    answers = upload(runtime, operator, 3)  # three deliveries while the faults last
    injected = runtime.faults.summary()
    assert runtime.faults.raised > 0
    runtime.faults.clear()
    # Delivered again once the faults are over, and once more: the rest is booked, nothing twice.
    again = upload(runtime, operator, 2)
    assert again == [200, 200], (answers, again, injected)
    assert {number: invoice["status"] for number, invoice in invoices(runtime).items()} == EXPECTED_STATUS, (answers, injected)
    assert len(booked_payments(runtime)) == 4  # four payments booked (the fifth waits in suspense)
    assert len(runtime.handle_api("GET", "/ops/payments/suspense", operator).json()["items"]) == 1
    check_invariants(runtime)


def test_the_same_statement_delivered_twice_in_a_row_books_once(runtime, billed, operator):
    first = xml_upload(runtime, "/ops/bank-statements", operator, FEBRUARY)
    second = xml_upload(runtime, "/ops/bank-statements", operator, FEBRUARY)
    assert (first.status, second.status) == (200, 200)
    assert second.json()["counts"]["booked"] == 0 and second.json()["counts"]["duplicates"] == 5
    assert {number: invoice["status"] for number, invoice in invoices(runtime).items()} == EXPECTED_STATUS
    assert len(booked_payments(runtime)) == 4
    check_invariants(runtime)
