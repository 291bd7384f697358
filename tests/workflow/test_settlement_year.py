"""A customer's first year on the simulated clock: twelve monthly advances, readings (one of them
implausible, through the ops queue), and the annual settlement ending in a refund for one customer
and in an amount to pay for another; the next advance follows the actual consumption."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from settlement_support import CREATED, dso_reading, expected_settlement, invoices_of, login, make_contract, registers, settlement_mails
from support import table_environment

pytestmark = pytest.mark.workflow

START = date(2027, 2, 1)
OPENING = {"single": 10000}


def _advance_months(advance: Decimal, first: str, last: str) -> list[str]:
    months, (year, month) = [], map(int, first.split("-"))
    while f"{year:04d}-{month:02d}" <= last:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def test_first_year_ends_in_a_refund_for_one_and_an_amount_to_pay_for_the_other(runtime, operator):
    from wattdesk.adapters import documents
    from wattdesk.domain import load_profile, settlement as rules
    from wattdesk.domain.catalogue import PRODUCTS
    from wattdesk.stores import refunds

    runtime.reset(CREATED)
    runtime.only_schedules("BillingRunStateMachine-")
    saver = make_contract(advance="120.00", language="nl")  # pays far too much: a refund
    spender = make_contract(advance="40.00", language="fr")  # pays far too little: to pay
    for contract in (saver, spender):
        assert dso_reading(runtime, contract["ean"], START, OPENING, kind="opening")["stored"] == 1
    # A repeated DSO message stores nothing new.
    assert dso_reading(runtime, saver["ean"], START, OPENING, kind="opening") == {"stored": 0, "repeated": 1, "refused": []}

    runtime.advance(to=datetime(2027, 7, 15, 8, 0, tzinfo=UTC))
    # A plausible mid-year reading is accepted; an implausible one is stored as such and explained.
    mid = runtime.handle_api("POST", f"/me/delivery-points/{saver['ean']}/readings", login(runtime, saver), {"reading_date": "2027-07-15", "registers": registers({"single": 11200})})
    assert mid.status == 201 and mid.json()["status"] == "ACCEPTED"
    typo = runtime.handle_api("POST", f"/me/delivery-points/{spender['ean']}/readings", login(runtime, spender), {"reading_date": "2027-07-15", "registers": registers({"single": 91200})})
    assert typo.status == 201
    body = typo.json()
    assert body["status"] == "IMPLAUSIBLE" and [p["code"] for p in body["problems"]] == ["reading.consumption_too_high"]
    history = runtime.handle_api("GET", f"/me/delivery-points/{spender['ean']}/readings", login(runtime, spender)).json()["readings"]
    assert history[0]["status"] == "IMPLAUSIBLE" and history[0]["problems"][0]["expected_max"] < 81200
    queue = runtime.handle_api("GET", "/ops/readings?status=IMPLAUSIBLE", operator).json()["items"]
    assert [item["reading_id"] for item in queue] == [body["reading_id"]]
    decided = runtime.handle_api("POST", f"/ops/readings/{body['reading_id']}/decision", operator, {"decision": "reject", "reason": "typo: one digit too many (customer called)"})
    assert decided.status == 200 and decided.json()["status"] == "REJECTED"
    assert runtime.handle_api("GET", "/ops/readings?status=IMPLAUSIBLE", operator).json()["items"] == []
    assert runtime.handle_api("POST", f"/ops/readings/{body['reading_id']}/decision", operator, {"decision": "accept", "reason": "again"}).status == 409

    # Closing readings a week before the anniversary.
    runtime.advance(to=datetime(2028, 1, 25, 8, 0, tzinfo=UTC))
    closing = {saver["contract_id"]: {"single": 12600}, spender["contract_id"]: {"single": 13400}}
    for contract in (saver, spender):
        answer = runtime.handle_api("POST", f"/me/delivery-points/{contract['ean']}/readings", login(runtime, contract), {"reading_date": "2028-01-25", "registers": registers(closing[contract["contract_id"]])})
        assert answer.json()["status"] == "ACCEPTED", answer.json()
    runtime.only_schedules("BillingRunStateMachine-", "SettlementSweepsFunction-")
    runtime.advance(to=datetime(2028, 2, 3, 9, 0, tzinfo=UTC))

    period_end = date(2028, 1, 25)
    for contract in (saver, spender):
        issued = invoices_of(contract["customer_id"])
        advances = [i for i in issued if i.kind == "advance"]
        settlements = [i for i in issued if i.kind == "settlement"]
        first_year = _advance_months(contract["advance"], "2027-02", "2028-01")
        assert [a.period for a in advances[:12]] == first_year
        assert all(Decimal(a.totals["incl_vat"]) == contract["advance"] for a in advances[:12])
        assert len(settlements) == 1, [i.number for i in issued]
        settled = settlements[0]
        expected = expected_settlement(contract, OPENING, closing[contract["contract_id"]], START, period_end, [contract["advance"]] * 12)
        assert Decimal(settled.totals["incl_vat"]) == expected["total"]
        assert settled.period == f"{START.isoformat()}/{period_end.isoformat()}"
        deduction = [row for row in settled.lines if row["description_key"] == "advance_deduction"]
        assert sum(Decimal(r["amount"]) + Decimal(r["vat_amount"]) for r in deduction) == -12 * contract["advance"]
        energy = [row for row in settled.lines if row["description_key"] == "energy"]
        assert sum(Decimal(r["quantity"]) for r in energy) == expected["kwh"]["single"]
        # Split at the price change of 2027-07-01 (5 % dearer).
        assert {r["parameters"]["from"] for r in energy} == {"2027-02-01", "2027-07-01"}
        # The next advance from the actual consumption, used from the next advance invoice on.
        yearly = load_profile.annualised_kwh(Decimal(expected["kwh"]["single"]), "electricity", START, period_end)
        new_advance = rules.advance_rules.first_advance([(yearly, "single", PRODUCTS["ELEC-FIX-1Y"])], "residential", "monthly", date(2028, 2, 1))
        february = [a for a in advances if a.period == "2028-02"]
        assert len(february) == 1 and Decimal(february[0].totals["incl_vat"]) == new_advance
        mails = settlement_mails(runtime, contract["email"])
        assert len(mails) == 1 and mails[0]["language"] == contract["language"]
        assert f"invoice-{settled.number}.pdf" in mails[0]["attachments"]
        assert documents.money(new_advance, contract["language"]) in mails[0]["text"]
        assert documents.money(abs(expected["total"]), contract["language"]) in mails[0]["text"]
        contract["settled"] = settled

    assert saver["settled"].due_date is None and Decimal(saver["settled"].totals["incl_vat"]) < 0
    assert spender["settled"].due_date == "2028-02-16" and Decimal(spender["settled"].totals["incl_vat"]) > 0
    with table_environment():
        handed = [r for r in refunds.of_customer(saver["customer_id"]) if r.source == "SETTLEMENT"]
        assert [(r.source_id, Decimal(r.requested_amount)) for r in handed] == [(saver["settled"].number, -Decimal(saver["settled"].totals["incl_vat"]))]
        assert [r for r in refunds.of_customer(spender["customer_id"]) if r.source == "SETTLEMENT"] == []

    # Once per contract and period: more days, and the sweep run again for the same date, issue nothing.
    runtime.advance(days=3)
    runtime.invoke("SettlementSweepsFunction", {"task": "settlement_sweep", "as_of": "2028-02-01T04:30:00Z"})
    runtime.wait_until_settled()
    for contract in (saver, spender):
        assert len([i for i in invoices_of(contract["customer_id"]) if i.kind == "settlement"]) == 1
        assert len(settlement_mails(runtime, contract["email"])) == 1
