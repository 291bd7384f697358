"""A move in month 7 (final invoice, advances stop, the new contract through the enrollment
workflow with the DSO's opening reading); estimated settlements disputed with an actual reading,
to pay and in the customer's favour (credit note or mirror image + reissue, one mail, nothing left
open on the cancelled invoice, a refund never counted twice); the next occupant of an EAN opening
with the DSO's reading, and an ops re-run of a failed final invoice."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from settlement_support import CREATED, dso_reading, expected_settlement, invoices_of, login, make_contract, new_ean, registers, settlement_mails
from support import table_environment

pytestmark = pytest.mark.workflow

START = date(2027, 2, 1)
OPENING = {"single": 20000}


def test_move_in_month_seven_and_disputed_estimated_settlements_of_both_signs(runtime, operator):
    from wattdesk.domain import readings as reading_rules
    from wattdesk.domain.catalogue import PRODUCTS
    from wattdesk.stores import enrollments, ledger, refunds

    runtime.reset(CREATED)
    runtime.only_schedules("BillingRunStateMachine-")
    mover = make_contract(advance="95.00", language="en")
    disputer = make_contract(advance="60.00", language="de", eav=3000)  # pays too little: the estimated settlement is to pay
    # Two who pay too much: their estimated settlements are in their favour (disputed below, one
    # after its refund was set off against open invoices, one before its refund started).
    refunded = make_contract(advance="110.00", language="nl", eav=3000)
    waiting = make_contract(advance="110.00", language="fr", eav=3000)
    for contract in (mover, disputer, refunded, waiting):
        dso_reading(runtime, contract["ean"], START, OPENING, kind="opening")

    # ---- the move: out on 15 August 2027 (month 7 of supply), in at a new address on the 21st
    runtime.advance(to=datetime(2027, 8, 20, 8, 0, tzinfo=UTC))
    new_point = new_ean()
    move_closing = {"single": 21700}
    answer = runtime.handle_api("POST", f"/me/contracts/{mover['contract_id']}/move-out", login(runtime, mover), {
        "move_date": "2027-08-15",
        "readings": [{"ean": mover["ean"], "registers": registers(move_closing)}],
        "new_address": {
            "supply_address": {"street": "Veldstraat", "number": "7", "box": None, "postcode": "9000", "city": "Gent"},
            "delivery_points": [{"energy": "electricity", "ean": new_point, "meter_type": "single"}],
            "start_date": "2027-08-21",
        },
    })
    assert answer.status == 200, answer.json()
    moved = answer.json()
    assert moved["ended_on"] == "2027-08-15" and moved["move_in"]["enrollment_id"]
    runtime.wait_until_settled()
    final = [i for i in invoices_of(mover["customer_id"]) if i.kind == "final"]
    assert len(final) == 1 and final[0].period == "2027-02-01/2027-08-15"
    expected = expected_settlement(mover, OPENING, move_closing, START, date(2027, 8, 15), [mover["advance"]] * 7)  # February to August
    assert Decimal(final[0].totals["incl_vat"]) == expected["total"]
    mails = settlement_mails(runtime, mover["email"])
    assert len(mails) == 1 and mails[0]["subject"] == f"Your final invoice {final[0].number}"
    with table_environment():
        handed = [r for r in refunds.of_customer(mover["customer_id"]) if r.source == "FINAL"]
    if expected["total"] < 0:
        assert [(r.source_id, Decimal(r.requested_amount)) for r in handed] == [(final[0].number, -expected["total"])]
    else:
        assert handed == [] and final[0].due_date == "2027-09-04"
    # A repeated move-out answers the same and issues nothing new.
    again = runtime.handle_api("POST", f"/me/contracts/{mover['contract_id']}/move-out", login(runtime, mover), {"move_date": "2027-08-15", "readings": [{"ean": mover["ean"], "registers": registers(move_closing)}]})
    assert again.status == 200 and again.json()["move_in"]["enrollment_id"] == moved["move_in"]["enrollment_id"]

    # The move-in goes through the enrollment workflow; the grid operator accepts with an EAV.
    runtime.invoke("EnrollmentSweepsFunction", {"task": "dso_answers", "answers": [{"ean": new_point, "outcome": "accept", "eav_kwh": 2600}]})
    runtime.wait_until_settled()
    with table_environment():
        contracts_now = list(enrollments.ContractRecord.query(f"CUSTOMER#{mover['customer_id']}", enrollments.ContractRecord.SK.startswith("CONTRACT#")))
    new_contract = next(c for c in contracts_now if c.contract_id != mover["contract_id"])
    old_contract = next(c for c in contracts_now if c.contract_id == mover["contract_id"])
    assert (old_contract.status, old_contract.ended_on) == ("ENDED", "2027-08-15")
    assert new_contract.status == "CONFIRMED" and new_contract.start_date == "2027-08-21"
    assert [p["ean"] for p in new_contract.delivery_points] == [new_point] and new_contract.delivery_points[0]["situation"] == "move_in"
    from wattdesk.domain.advance import first_advance

    assert Decimal(new_contract.first_advance) == first_advance([(2600, "single", PRODUCTS["ELEC-FIX-1Y"])], "residential", "monthly", date(2027, 8, 21))
    # The opening reading of the new contract comes from the grid operator, never from the customer.
    refused = runtime.handle_api("POST", f"/me/delivery-points/{new_point}/readings", login(runtime, mover), {"reading_date": "2027-08-21", "registers": registers({"single": 5000})})
    assert refused.status == 400 and refused.json()["errors"][0]["code"] == "reading.date_future"
    runtime.advance(to=datetime(2027, 8, 21, 9, 0, tzinfo=UTC))
    refused = runtime.handle_api("POST", f"/me/delivery-points/{new_point}/readings", login(runtime, mover), {"reading_date": "2027-08-21", "registers": registers({"single": 5000})})
    assert refused.status == 400 and refused.json()["errors"][0]["code"] == "reading.opening_from_dso"
    assert dso_reading(runtime, new_point, date(2027, 8, 21), {"single": 48000}, kind="opening")["stored"] == 1
    history = runtime.handle_api("GET", f"/me/delivery-points/{new_point}/readings", login(runtime, mover)).json()["readings"]
    assert [(h["source"], h["kind"], h["registers"][0]["value_kwh"]) for h in history] == [("dso", "opening", "48000")]

    # Future advances stop on the old contract; the new one is billed from September.
    runtime.advance(to=datetime(2027, 9, 2, 8, 0, tzinfo=UTC))
    issued = invoices_of(mover["customer_id"])
    assert [i.period for i in issued if i.kind == "advance" and i.contract_id == mover["contract_id"]][-1] == "2027-08"
    assert [(i.period, Decimal(i.totals["incl_vat"])) for i in issued if i.kind == "advance" and i.contract_id == new_contract.contract_id] == [("2027-09", Decimal(new_contract.first_advance))]

    # ---- the disputed estimated settlement: no reading by 1 February 2028, so it is estimated
    runtime.advance(to=datetime(2028, 1, 31, 8, 0, tzinfo=UTC))
    runtime.only_schedules("BillingRunStateMachine-", "SettlementSweepsFunction-")
    runtime.advance(to=datetime(2028, 2, 1, 9, 0, tzinfo=UTC))
    estimated = [i for i in invoices_of(disputer["customer_id"]) if i.kind == "settlement"]
    assert len(estimated) == 1
    original = estimated[0]
    estimate = reading_rules.estimate(reading_rules.Reading(START, OPENING), date(2028, 2, 1), eav_kwh=3000, energy="electricity", meter_type="single")
    expected_estimate = expected_settlement(disputer, OPENING, dict(estimate.values), START, date(2028, 2, 1), [disputer["advance"]] * 12, estimated=True)
    assert Decimal(original.totals["incl_vat"]) == expected_estimate["total"]
    assert all(row["parameters"].get("reading") == "estimated" for row in original.lines if row["description_key"] == "energy")
    mail = settlement_mails(runtime, disputer["email"])
    assert len(mail) == 1 and "geschätzten Zählerstand" in mail[0]["text"]

    runtime.advance(to=datetime(2028, 2, 5, 9, 0, tzinfo=UTC))
    actual = {"single": 22500}
    corrected = runtime.handle_api("POST", f"/me/settlements/{original.number}/actual-readings", login(runtime, disputer), {"readings": [{"ean": disputer["ean"], "reading_date": "2028-02-01", "registers": registers(actual)}]})
    assert corrected.status == 200, corrected.json()
    result = corrected.json()
    issued = invoices_of(disputer["customer_id"])
    credit = next(i for i in issued if i.kind == "credit_note" and i.corrects == original.number)
    reissued = next(i for i in issued if i.number == result["reissued_as"])
    assert Decimal(credit.totals["incl_vat"]) == -Decimal(original.totals["incl_vat"])
    expected_actual = expected_settlement(disputer, OPENING, actual, START, date(2028, 2, 1), [disputer["advance"]] * 12)
    assert reissued.kind == "settlement" and Decimal(reissued.totals["incl_vat"]) == expected_actual["total"]
    assert not any(row["parameters"].get("reading") == "estimated" for row in reissued.lines)
    # One explanation mail with both documents.
    pair_mails = [m for m in runtime.outbox(disputer["email"]) if f"credit-note-{credit.number}.pdf" in m["attachments"]]
    assert len(pair_mails) == 1 and f"invoice-{reissued.number}.pdf" in pair_mails[0]["attachments"]
    with table_environment():
        # Nothing is open any more on the cancelled invoice: no reminder can follow.
        assert ledger.open_amount(disputer["customer_id"], original.number) == Decimal("0.00")
    # Disputing again answers the same correction.
    again = runtime.handle_api("POST", f"/me/settlements/{original.number}/actual-readings", login(runtime, disputer), {"readings": [{"ean": disputer["ean"], "reading_date": "2028-02-01", "registers": registers(actual)}]})
    assert again.status == 200 and again.json()["reissued_as"] == reissued.number
    assert len([i for i in invoices_of(disputer["customer_id"]) if i.kind == "credit_note"]) == 1

    # ---- disputes of estimated settlements in the customer's favour (series S, negative total)
    # Rule (docs/readings-and-settlement.md): the cancelled settlement's refund is cancelled while
    # no money has left; what had left already is carried onto the reissued settlement, which
    # then counts only the difference.
    estimate_value = dict(estimate.values)
    old = {}
    for contract in (refunded, waiting):
        (settled,) = [i for i in invoices_of(contract["customer_id"]) if i.kind == "settlement"]
        expected_old = expected_settlement(contract, OPENING, estimate_value, START, date(2028, 2, 1), [contract["advance"]] * 12, estimated=True)
        assert Decimal(settled.totals["incl_vat"]) == expected_old["total"] < 0 and settled.due_date is None
        with table_environment():
            (handed,) = [r for r in refunds.of_customer(contract["customer_id"]) if r.source == "SETTLEMENT"]
        assert (handed.source_id, Decimal(handed.requested_amount)) == (settled.number, -expected_old["total"])
        old[contract["customer_id"]] = (settled, handed.refund_id)
    with table_environment():
        # No refund sweep has run yet: both refunds are still REQUESTED (nothing has left the account).
        assert [refunds.get(old[c["customer_id"]][1]).status for c in (refunded, waiting)] == ["REQUESTED", "REQUESTED"]

    # (a) The refund has not started: the actual reading is higher than the estimate, less in the
    # customer's favour. The old refund is cancelled, the new settlement's whole credit handed over.
    higher = {"single": 23600}
    original, old_refund = old[waiting["customer_id"]]
    answer = runtime.handle_api("POST", f"/ops/settlements/{original.number}/actual-readings", operator, {"readings": [{"ean": waiting["ean"], "reading_date": "2028-02-01", "registers": registers(higher)}], "reason": "reading given by phone"})
    assert answer.status == 200, answer.json()
    issued = invoices_of(waiting["customer_id"])
    mirror = next(i for i in issued if i.kind == "credit_note" and i.corrects == original.number)
    reissued = next(i for i in issued if i.number == answer.json()["reissued_as"])
    assert Decimal(mirror.totals["incl_vat"]) == -Decimal(original.totals["incl_vat"]) > 0  # the mirror image takes the old credit back
    new_total = expected_settlement(waiting, OPENING, higher, START, date(2028, 2, 1), [waiting["advance"]] * 12)["total"]
    assert Decimal(original.totals["incl_vat"]) < Decimal(reissued.totals["incl_vat"]) == new_total < 0
    with table_environment():
        assert refunds.get(old_refund).status == "CANCELLED"
        assert ledger.open_amount(waiting["customer_id"], original.number) == Decimal("0.00")
        (new_refund,) = [r for r in refunds.of_customer(waiting["customer_id"]) if r.source_id == reissued.number]
    assert Decimal(new_refund.requested_amount) == -new_total
    assert (answer.json()["carried"], answer.json()["difference"]) == ("0.00", f"{new_total:.2f}")
    (pair_mail,) = [m for m in runtime.outbox(waiting["email"]) if f"invoice-{reissued.number}.pdf" in m["attachments"]]
    assert f"credit-note-{mirror.number}.pdf" in pair_mail["attachments"] and "ne compte donc que la différence" not in pair_mail["text"]

    # (b) The refund ran first (the daily refund sweep): the customer's credit was set off against
    # the open advance invoices, so it has left the settlement. The actual reading is lower than the
    # estimate: more in the customer's favour, and only the difference goes to refunds.
    runtime.only_schedules("BillingRunStateMachine-", "SettlementSweepsFunction-", "RefundSweepsFunction-")
    runtime.advance(to=datetime(2028, 2, 6, 9, 0, tzinfo=UTC))
    original, old_refund = old[refunded["customer_id"]]
    with table_environment():
        assert refunds.get(old_refund).status == "OFFSET"
    lower = {"single": 22500}
    answer = runtime.handle_api("POST", f"/me/settlements/{original.number}/actual-readings", login(runtime, refunded), {"readings": [{"ean": refunded["ean"], "reading_date": "2028-02-01", "registers": registers(lower)}]})
    assert answer.status == 200, answer.json()
    issued = invoices_of(refunded["customer_id"])
    mirror = next(i for i in issued if i.kind == "credit_note" and i.corrects == original.number)
    reissued = next(i for i in issued if i.number == answer.json()["reissued_as"])
    new_total = expected_settlement(refunded, OPENING, lower, START, date(2028, 2, 1), [refunded["advance"]] * 12)["total"]
    assert Decimal(reissued.totals["incl_vat"]) == new_total and reissued.replaces == original.number
    difference = new_total - Decimal(original.totals["incl_vat"])  # negative: still owed to the customer
    assert difference < 0
    with table_environment():
        assert refunds.get(old_refund).status == "OFFSET"  # what was set off stays set off
        assert ledger.open_amount(refunded["customer_id"], original.number) == Decimal("0.00")
        (new_refund,) = [r for r in refunds.of_customer(refunded["customer_id"]) if r.source_id == reissued.number]
    assert Decimal(new_refund.requested_amount) == -difference
    assert (answer.json()["carried"], answer.json()["difference"]) == (f"{-Decimal(original.totals['incl_vat']):.2f}", f"{difference:.2f}")
    (pair_mail,) = [m for m in runtime.outbox(refunded["email"]) if f"credit-note-{mirror.number}.pdf" in m["attachments"]]
    assert f"invoice-{reissued.number}.pdf" in pair_mail["attachments"]
    assert "telt daarom enkel het verschil" in pair_mail["text"] and f"{-difference:.2f}".replace(".", ",") in pair_mail["text"]


def test_the_next_occupant_opens_with_the_dso_reading_and_a_failed_final_invoice_is_rerun_by_ops(runtime, operator):
    """The previous occupant of the EAN was our customer too (their move-out closing reading
    exists): the new occupant's settlement waits for the DSO's opening reading and never takes the
    previous occupant's. Without it the final invoice fails; once it arrives ops re-run it."""
    runtime.reset(CREATED)
    runtime.only_schedules()  # no billing runs: no advances to deduct, the settlements are consumption only
    previous = make_contract(advance="90.00", language="nl")
    dso_reading(runtime, previous["ean"], START, OPENING, kind="opening")
    runtime.advance(to=datetime(2027, 5, 20, 9, 0, tzinfo=UTC))
    previous_closing = {"single": 20900}
    moved = runtime.handle_api("POST", f"/me/contracts/{previous['contract_id']}/move-out", login(runtime, previous), {"move_date": "2027-05-15", "readings": [{"ean": previous["ean"], "registers": registers(previous_closing)}]})
    assert moved.status == 200, moved.json()
    runtime.wait_until_settled()
    (previous_final,) = [i for i in invoices_of(previous["customer_id"]) if i.kind == "final"]
    assert Decimal(previous_final.totals["incl_vat"]) == expected_settlement(previous, OPENING, previous_closing, START, date(2027, 5, 15), [])["total"]

    # Another customer of ours takes over the dwelling (same EAN) on the move date.
    moving_in = date(2027, 5, 15)
    successor = make_contract(advance="70.00", language="en", start=moving_in, ean=previous["ean"])
    refused = runtime.handle_api("POST", f"/me/delivery-points/{previous['ean']}/readings", login(runtime, successor), {"reading_date": "2027-05-15", "registers": registers(previous_closing)})
    assert refused.status == 400 and refused.json()["errors"][0]["code"] == "reading.opening_from_dso"

    # The successor moves out again before the DSO's opening reading has arrived: the final invoice
    # cannot be computed (the previous occupant's closing reading is not theirs), the settlement fails.
    runtime.advance(to=datetime(2027, 7, 10, 9, 0, tzinfo=UTC))
    successor_closing = {"single": 21450}
    answer = runtime.handle_api("POST", f"/me/contracts/{successor['contract_id']}/move-out", login(runtime, successor), {"move_date": "2027-07-05", "readings": [{"ean": successor["ean"], "registers": registers(successor_closing)}]})
    assert answer.status == 200, answer.json()
    runtime.wait_until_settled()
    assert [i for i in invoices_of(successor["customer_id"]) if i.kind == "final"] == []
    assert settlement_mails(runtime, successor["email"]) == []
    (failed,) = runtime.handle_api("GET", f"/ops/contracts/{successor['contract_id']}/settlements", operator).json()["items"]
    assert (failed["kind"], failed["status"], failed["number"]) == ("final", "FAILED", None)
    assert "NoOpeningReading" in failed["error"]

    # The DSO's opening reading of the successor's supply arrives; it differs from the previous
    # occupant's closing reading (the DSO read the meter itself).
    dso_opening = {"single": 20950}
    assert dso_reading(runtime, successor["ean"], moving_in, dso_opening, kind="opening")["stored"] == 1
    rerun = runtime.handle_api("POST", f"/ops/contracts/{successor['contract_id']}/settlements/2027-07-05/rerun", operator, {"reason": "DSO opening reading arrived"})
    assert rerun.status == 200, rerun.json()
    assert (rerun.json()["started"], rerun.json()["rerun"], rerun.json()["status"]) == (True, 1, "STARTED")
    runtime.wait_until_settled()
    (final,) = [i for i in invoices_of(successor["customer_id"]) if i.kind == "final"]
    assert final.period == "2027-05-15/2027-07-05"
    expected = expected_settlement(successor, dso_opening, successor_closing, moving_in, date(2027, 7, 5), [])
    assert Decimal(final.totals["incl_vat"]) == expected["total"]
    assert sum(Decimal(row["quantity"]) for row in final.lines if row["description_key"] == "energy") == successor_closing["single"] - dso_opening["single"]
    (mail,) = settlement_mails(runtime, successor["email"])
    assert mail["subject"] == f"Your final invoice {final.number}"
    (done,) = runtime.handle_api("GET", f"/ops/contracts/{successor['contract_id']}/settlements", operator).json()["items"]
    assert (done["status"], done["number"], done["reruns"]) == ("DONE", final.number, 1)

    # Idempotent per contract x period: asking again starts nothing and issues nothing.
    again = runtime.handle_api("POST", f"/ops/contracts/{successor['contract_id']}/settlements/2027-07-05/rerun", operator, {"reason": "again"})
    assert again.status == 200 and (again.json()["started"], again.json()["number"]) == (False, final.number)
    runtime.wait_until_settled()
    assert len([i for i in invoices_of(successor["customer_id"]) if i.kind == "final"]) == 1 and len(settlement_mails(runtime, successor["email"])) == 1
    # A settlement that never failed is not re-run; customers cannot re-run.
    refused = runtime.handle_api("POST", f"/ops/contracts/{previous['contract_id']}/settlements/2027-05-15/rerun", operator, {"reason": "no"})
    assert refused.status == 409 and refused.json()["errors"][0]["code"] == "settlement.not_failed"
    forbidden = runtime.handle_api("POST", f"/ops/contracts/{successor['contract_id']}/settlements/2027-07-05/rerun", login(runtime, successor), {})
    assert forbidden.status == 403
