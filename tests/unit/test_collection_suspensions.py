"""Issue 7, written once in the domain: a payment quoting an instalment's OGM is matched to that
plan's invoices, and the refund and correction rules that suspend collection (domain.dunning)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from wattdesk.domain import dunning
from wattdesk.domain.instalments import instalment_ogm
from wattdesk.domain.invoice import ogm_for
from wattdesk.domain.payments import IncomingPayment, OpenInvoice, PlanInstalment, match_payment, references_in

pytestmark = pytest.mark.unit

D = Decimal


def invoice(sequence: int, customer: str = "anna", open_amount: str = "75.00", due: date = date(2027, 2, 16)) -> OpenInvoice:
    return OpenInvoice(f"2027-A-{sequence:06d}", customer, "".join(ch for ch in ogm_for("A", 2027, sequence) if ch.isdigit()), D(open_amount), due)


OLDER, NEWER = invoice(1, open_amount="120.00"), invoice(2, open_amount="120.00", due=date(2027, 3, 16))
SECOND_INSTALMENT = "".join(ch for ch in instalment_ogm(2027, 42) if ch.isdigit())
PLAN = PlanInstalment("anna", "plan42", 2, (OLDER, NEWER))


def decide(amount: str, structured: str | None = None, text: str | None = None, iban_customers: tuple[str, ...] = ()):
    payment = IncomingPayment(D(amount), structured, text, "BE71096123456769" if iban_customers else None)
    refs = references_in(payment)
    by_ogm = {i.ogm: i for i in (OLDER, NEWER) if i.ogm in (refs.structured_ogm, *refs.ogms)}
    instalments = {d: PLAN for d in (refs.structured_ogm, *refs.ogms) if d == SECOND_INSTALMENT}
    return match_payment(payment, by_ogm, {}, list(iban_customers), {c: [OLDER, NEWER] for c in iban_customers}, instalments_by_ogm=instalments)


def test_an_instalment_ogm_in_the_structured_field_books_on_the_plans_invoices_oldest_first():
    found = decide("80.00", structured=instalment_ogm(2027, 42))
    assert (found.outcome, found.confidence, found.customer_id) == ("invoice", "exact", "anna")
    assert found.invoice_numbers == ("2027-A-000001", "2027-A-000002")
    assert found.instalment == ("plan42", 2) and found.reasons == ("instalment_reference",)


def test_an_instalment_ogm_typed_in_the_message_is_enough_to_book():
    found = decide("80.00", text=f"afbetaling {instalment_ogm(2027, 42)}")
    assert (found.outcome, found.confidence, found.customer_id, found.score) == ("invoice", "high", "anna", 3)
    assert found.instalment == ("plan42", 2) and found.invoice_numbers == ("2027-A-000001", "2027-A-000002")


def test_an_instalment_ogm_with_wrong_check_digits_is_no_reference():
    digits = SECOND_INSTALMENT[:-2] + f"{(int(SECOND_INSTALMENT[-2:]) % 97) + 1:02d}"
    found = decide("80.00", structured=digits)
    assert found.outcome == "suspense" and found.instalment is None


def test_an_invoice_ogm_still_names_its_own_invoice():
    found = decide("120.00", structured=NEWER.ogm)
    assert (found.invoice_numbers, found.instalment) == (("2027-A-000002",), None)


@pytest.mark.parametrize("status", dunning.OPEN_REFUND_STATUSES)
def test_a_refund_under_way_suspends(status):
    refund = dunning.RefundFacts("RF1", status, D("30"), "2027-01-20T10:00:00+00:00")
    assert dunning.suspending_refund([refund]) == refund
    assert dunning.refund_detail(refund) == f"refund RF1 {status.lower().replace('_', ' ')} (30.00 EUR)"


@pytest.mark.parametrize("status", ["OFFSET", "PAID", "RETURNED", "REJECTED", "CANCELLED"])
def test_an_ended_refund_suspends_nothing(status):
    assert dunning.suspending_refund([dunning.RefundFacts("RF1", status, D("30"))]) is None


def test_the_oldest_refund_under_way_is_the_one_shown():
    later = dunning.RefundFacts("RF2", "APPROVED", D("12"), "2027-02-01T10:00:00+00:00")
    earlier = dunning.RefundFacts("RF3", "AWAITING_IBAN", D("30"), "2027-01-20T10:00:00+00:00")
    ended = dunning.RefundFacts("RF4", "PAID", D("5"), "2027-01-01T10:00:00+00:00")
    assert dunning.suspending_refund([later, ended, earlier]) == earlier


SETTLED = date(2027, 6, 30)


@pytest.mark.parametrize(
    ("estimated", "reissued", "waiting", "open_"),
    [
        (True, False, (date(2027, 6, 28),), True),  # an actual reading for the closing day waits for ops
        (True, False, (date(2027, 7, 14),), True),  # 14 days after: still the closing window
        (True, False, (date(2027, 7, 15),), False),  # outside the window: another period's reading
        (True, False, (), False),  # nobody disputed it
        (True, True, (date(2027, 6, 28),), False),  # already cancelled and reissued
        (False, False, (date(2027, 6, 28),), False),  # closed with actual readings: nothing to correct
    ],
)
def test_an_estimated_settlement_is_being_corrected_while_its_disputed_reading_waits(estimated, reissued, waiting, open_):
    assert dunning.open_settlement_correction(dunning.SettlementFacts(SETTLED, estimated, reissued, waiting)) is open_
