"""SEPA Core direct-debit rules: pre-notification and collection dates on TARGET days, FRST/RCUR,
mandate expiry, R-transaction reason codes, and the pain.008 file against its XSD."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date, datetime
from decimal import Decimal

import pytest
import xmlschema

from wattdesk.adapters import sepa_files
from wattdesk.domain import direct_debit as dd
from wattdesk.domain.errors import DomainError

pytestmark = pytest.mark.unit

NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.008.001.02"}


def test_target_days_skip_weekends_and_the_ecb_closing_days():
    assert not dd.is_target_day(date(2027, 3, 26))  # Good Friday
    assert not dd.is_target_day(date(2027, 3, 29))  # Easter Monday
    assert not dd.is_target_day(date(2027, 5, 1))
    assert dd.is_target_day(date(2027, 7, 21))  # Belgian national day: banks settle SEPA anyway
    assert dd.next_target_day(date(2027, 3, 26)) == date(2027, 3, 30)
    assert dd.previous_target_day(date(2027, 3, 30)) == date(2027, 3, 25)


def test_the_collection_is_on_the_due_date_when_the_notice_came_at_least_five_days_before():
    assert dd.collection_date(date(2027, 2, 16), notified_on=date(2027, 2, 8)) == date(2027, 2, 16)
    assert dd.collection_date(date(2027, 2, 16), notified_on=date(2027, 2, 11)) == date(2027, 2, 16)  # exactly 5 days


def test_a_late_notice_moves_the_collection_to_five_days_later_and_onto_a_target_day():
    # Notice on Monday 22 March: +5 = Saturday 27 March -> Monday 29 March is Easter Monday -> Tuesday 30.
    assert dd.collection_date(date(2027, 3, 16), notified_on=date(2027, 3, 22)) == date(2027, 3, 30)


def test_the_file_goes_to_the_bank_one_target_day_before_the_collection():
    assert dd.submission_date(date(2027, 2, 16)) == date(2027, 2, 15)
    assert dd.submission_date(date(2027, 3, 30)) == date(2027, 3, 25)  # over Easter
    assert dd.notification_date(date(2027, 2, 16)) == date(2027, 2, 8)


def test_first_collection_is_frst_and_the_following_ones_rcur():
    assert dd.sequence_type(0) == "FRST"
    assert dd.sequence_type(1) == dd.sequence_type(12) == "RCUR"
    with pytest.raises(DomainError):
        dd.sequence_type(-1)


def test_a_mandate_unused_for_36_months_expires():
    assert not dd.mandate_expired(date(2024, 1, 10), date(2025, 3, 5), on=date(2028, 3, 4))
    assert dd.mandate_expired(date(2024, 1, 10), date(2025, 3, 5), on=date(2028, 3, 5))
    assert dd.mandate_expired(date(2024, 1, 10), None, on=date(2027, 1, 10))


def test_insufficient_funds_is_presented_once_more_then_the_second_failure_switches_to_transfer():
    first = dd.after_failure(1, "AM04", attempts_so_far=1)
    assert (first.represent, first.switch_to_transfer) == (True, False)
    second = dd.after_failure(2, "AM04", attempts_so_far=2)
    assert (second.represent, second.switch_to_transfer) == (False, True)


def test_a_refused_or_refunded_debit_is_not_presented_again():
    for code in ("MD06", "MS02", "AC04", "MD01"):
        outcome = dd.after_failure(1, code, attempts_so_far=1)
        assert (outcome.represent, outcome.switch_to_transfer) == (False, False), code


def test_failures_in_a_row_follow_the_collection_dates_not_the_order_the_bank_reports_them():
    history = [("2027-01-18#A-1", "collected"), ("2027-02-16#B-1", "failed"), ("2027-02-25#B-2", "failed")]
    assert dd.consecutive_failures(history) == 2
    # January's collection refunded late (MD06) after February's went through: not two in a row.
    assert dd.consecutive_failures([("2027-01-18#A-1", "failed"), ("2027-02-16#B-1", "collected")]) == 0
    assert dd.consecutive_failures([("2027-02-16#B-1", "failed"), ("2027-02-25#B-2", "collected"), ("2027-03-16#C-1", "failed")]) == 1


def test_a_problem_on_our_side_does_not_count_against_the_customer():
    assert dd.outcome_of("FF01") == "excused" and dd.outcome_of("AM04") == "failed"
    assert dd.consecutive_failures([("2027-02-16#B-1", "failed"), ("2027-02-20#B-2", "excused")]) == 1
    assert dd.after_failure(1, "FF01", attempts_so_far=1).represent


def test_an_unknown_reason_code_counts_as_not_specified_and_every_code_has_four_languages():
    assert dd.reason("zz99").code == "ZZ99" and dd.reason("ZZ99").represent == dd.REASON_CODES["MS03"].represent
    assert all(set(code.text) == {"nl", "fr", "de", "en"} for code in dd.REASON_CODES.values())


def test_mandate_references_are_short_and_use_the_sepa_character_set():
    reference = dd.mandate_reference("3f2a9c1b-7d4e-4c2a-9b1f-0123456789ab", 1)
    assert reference == "WD3F2A9C1B7D4E4C2A9B1F0123-01" and len(reference) <= 35
    assert dd.end_to_end_id("2027-A-000001", 2) == "2027-A-000001-2"


def test_a_pain008_file_with_first_and_recurrent_collections_validates_against_the_xsd():
    collections = [
        sepa_files.Collection("2027-A-000001-1", Decimal("75.00"), "FRST", date(2027, 2, 16), "WD0000000000000000000001-01", date(2027, 1, 10), "Camille Dubois", "BE71096123456769", "WattDesk 2027-A-000001"),
        sepa_files.Collection("2027-A-000002-1", Decimal("120.45"), "RCUR", date(2027, 2, 16), "WD0000000000000000000002-01", date(2026, 5, 2), "Jan Peeters", "BE35310123456737", "WattDesk 2027-A-000002"),
        sepa_files.Collection("2027-A-000003-1", Decimal("60.10"), "RCUR", date(2027, 2, 16), "WD0000000000000000000003-01", date(2026, 5, 2), "Zoë Müller-Lefèvre", "BE96068999999905", "WattDesk 2027-A-000003"),
    ]
    xml = sepa_files.pain008("WD-DD-20270215-1", datetime(2027, 2, 15, 7, 30), collections)
    schema = xmlschema.XMLSchema(str(sepa_files.schema_path("pain.008.001.02")))
    assert schema.is_valid(xml.decode())
    tree = ET.fromstring(xml)
    assert tree.find("p:CstmrDrctDbtInitn/p:GrpHdr/p:MsgId", NS).text == "WD-DD-20270215-1"
    assert tree.find("p:CstmrDrctDbtInitn/p:GrpHdr/p:CtrlSum", NS).text == "255.55"
    blocks = {b.find("p:PmtTpInf/p:SeqTp", NS).text: b for b in tree.findall("p:CstmrDrctDbtInitn/p:PmtInf", NS)}
    assert set(blocks) == {"FRST", "RCUR"}
    assert blocks["RCUR"].find("p:PmtInfId", NS).text == "WD-DD-20270215-1-RCUR-20270216"
    assert [t.find("p:PmtId/p:EndToEndId", NS).text for t in blocks["RCUR"].findall("p:DrctDbtTxInf", NS)] == ["2027-A-000002-1", "2027-A-000003-1"]
    assert blocks["FRST"].find("p:DrctDbtTxInf/p:InstdAmt", NS).text == "75.00"
    assert blocks["FRST"].find("p:CdtrSchmeId/p:Id/p:PrvtId/p:Othr/p:Id", NS).text == "BE11ZZZ0403170701"


def test_a_file_that_would_break_the_xsd_is_refused():
    bad = sepa_files.Collection("x" * 40, Decimal("1.00"), "RCUR", date(2027, 2, 16), "WD1-01", date(2026, 5, 2), "A", "BE71096123456769", "r")
    with pytest.raises(sepa_files.SepaFileInvalid):
        sepa_files.pain008("WD-DD-20270215-1", datetime(2027, 2, 15, 7, 30), [bad])
