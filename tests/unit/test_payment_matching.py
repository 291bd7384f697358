"""Matching incoming payments to invoices (OGM first, then the confidence rule) and spreading
partial and overpayments over the customer's open items."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wattdesk.domain.errors import DomainError
from wattdesk.domain.invoice import ogm_for
from wattdesk.domain.payments import IncomingPayment, OpenInvoice, allocate, apply_credit, match_payment, references_in

pytestmark = pytest.mark.unit

D = Decimal


def invoice(sequence: int, customer: str = "anna", open_amount: str = "75.00", due: date = date(2027, 2, 16)) -> OpenInvoice:
    ogm = "".join(ch for ch in ogm_for("A", 2027, sequence) if ch.isdigit())
    return OpenInvoice(f"2027-A-{sequence:06d}", customer, ogm, D(open_amount), due)


FIRST, SECOND, OTHER = invoice(1), invoice(2, due=date(2027, 3, 16)), invoice(3, customer="bert")
BY_OGM = {i.ogm: i for i in (FIRST, SECOND, OTHER)}
BY_NUMBER = {i.number: i for i in (FIRST, SECOND, OTHER)}
OPEN = {"anna": [FIRST, SECOND], "bert": [OTHER]}


def decide(amount: str, structured: str | None = None, text: str | None = None, iban_customers: tuple[str, ...] = ()):
    payment = IncomingPayment(D(amount), structured, text, "BE71096123456769" if iban_customers else None)
    refs = references_in(payment)
    by_ogm = {d: BY_OGM[d] for d in (refs.structured_ogm, *refs.ogms) if d in BY_OGM}
    by_number = {n: BY_NUMBER[n] for n in refs.invoice_numbers if n in BY_NUMBER}
    return match_payment(payment, by_ogm, by_number, list(iban_customers), {c: OPEN[c] for c in iban_customers})


@pytest.mark.parametrize("written", ["+++027/1000/00143+++", "***027/1000/00143***", "027/1000/00143", "027100000143", " 027 1000 00143 "])
def test_a_structured_ogm_in_any_usual_notation_is_the_exact_invoice(written):
    found = decide("12.34", structured=written)  # any amount: a partial payment still belongs there
    assert (found.outcome, found.confidence, found.customer_id, found.invoice_numbers) == ("invoice", "exact", "anna", ("2027-A-000001",))


def test_the_structured_ogm_wins_over_an_iban_known_for_another_customer():
    found = decide("75.00", structured="+++027/1000/00345+++", iban_customers=("anna",))
    assert (found.outcome, found.customer_id, found.invoice_numbers) == ("invoice", "bert", ("2027-A-000003",))


def test_an_ogm_with_a_typo_is_no_reference_and_lands_in_suspense():
    # 00143 -> 00134: the check digits no longer match, so it cannot point at any invoice.
    found = decide("75.00", structured="+++027/1000/00134+++")
    assert found.outcome == "suspense" and found.confidence == "none"
    assert references_in(IncomingPayment(D("1"), None, "+++027/1000/00134+++")).ogms == ()


def test_an_ogm_typed_in_the_free_text_is_enough_on_its_own():
    found = decide("10.00", text="voorschot +++027/1000/00244+++ bedankt")
    assert (found.outcome, found.confidence, found.invoice_numbers, found.reasons) == ("invoice", "high", ("2027-A-000002",), ("ogm_in_text",))


def test_an_invoice_number_with_the_exact_open_amount_is_booked():
    found = decide("75.00", text="factuur 2027-a-000002")
    assert (found.outcome, found.score, found.invoice_numbers) == ("invoice", 3, ("2027-A-000002",))


def test_an_invoice_number_with_another_amount_and_an_unknown_account_waits_for_an_operator():
    found = decide("40.00", text="factuur 2027-A-000002")
    assert found.outcome == "suspense" and found.reasons == ("below_threshold",)
    assert found.suggestion["invoice_numbers"] == ["2027-A-000002"] and found.suggestion["customer_id"] == "anna"


def test_a_known_account_paying_exactly_one_open_amount_is_booked_on_the_oldest_such_invoice():
    found = decide("75.00", text="energie", iban_customers=("anna",))
    assert (found.outcome, found.customer_id, found.invoice_numbers, found.reasons) == ("invoice", "anna", ("2027-A-000001",), ("known_iban", "amount"))


def test_a_known_account_paying_everything_open_pays_all_invoices():
    found = decide("150.00", iban_customers=("anna",))
    assert (found.outcome, found.invoice_numbers) == ("invoice", ("2027-A-000001", "2027-A-000002"))


def test_a_known_account_with_an_unexplained_amount_is_suggested_not_booked():
    found = decide("20.00", iban_customers=("anna",))
    assert found.outcome == "suspense" and found.suggestion == {"customer_id": "anna", "invoice_numbers": [], "score": 2, "reasons": ["known_iban"]}


def test_an_account_shared_by_two_customers_is_not_a_signal():
    assert decide("75.00", iban_customers=("anna", "bert")).outcome == "suspense"


def test_an_amount_alone_is_never_enough():
    found = decide("75.00", text="voorschot februari")
    assert (found.outcome, found.confidence) == ("suspense", "none")


def test_two_invoices_of_different_customers_named_equally_are_ambiguous():
    found = decide("75.00", text="2027-A-000001 2027-A-000003")
    assert found.outcome == "suspense" and found.reasons == ("ambiguous",)


def test_text_naming_one_customer_and_an_account_of_another_goes_to_an_operator():
    found = decide("75.00", text="+++027/1000/00345+++", iban_customers=("anna",))
    assert found.outcome == "suspense" and found.reasons == ("reference_and_account_disagree",)


def test_a_payment_must_be_positive():
    with pytest.raises(DomainError) as raised:
        decide("0.00", structured="+++027/1000/00143+++")
    assert raised.value.code == "payment.amount"


# ------------------------------------------------------------------ partial and overpayments
def test_a_partial_payment_leaves_the_rest_open_on_that_invoice():
    result = allocate(D("30.00"), ("2027-A-000002",), [FIRST, SECOND])
    assert result.lines == (("2027-A-000002", D("30.00")),) and result.unallocated == D("0.00")


def test_an_overpayment_pays_the_invoice_then_the_oldest_other_open_invoice_then_stays_as_credit():
    result = allocate(D("200.00"), ("2027-A-000002",), [FIRST, SECOND])
    assert result.lines == (("2027-A-000002", D("75.00")), ("2027-A-000001", D("75.00")))
    assert result.unallocated == D("50.00")


def test_paying_an_invoice_already_paid_goes_to_the_other_open_items_or_credit():
    paid = OpenInvoice("2027-A-000009", "anna", "027100000949", D("0.00"), date(2027, 1, 16))
    result = allocate(D("75.00"), (paid.number,), [paid, SECOND])
    assert result.lines == (("2027-A-000002", D("75.00")),) and result.unallocated == D("0.00")
    assert allocate(D("75.00"), (paid.number,), [paid]).unallocated == D("75.00")


def test_credit_on_the_account_goes_to_the_oldest_open_invoice_first():
    result = apply_credit(D("100.00"), [SECOND, FIRST])
    assert result.lines == (("2027-A-000001", D("75.00")), ("2027-A-000002", D("25.00"))) and result.unallocated == D("0.00")
    assert apply_credit(D("0.00"), [FIRST]).lines == ()


@given(
    amount=st.decimals(min_value=D("0.01"), max_value=D("5000"), places=2),
    opens=st.lists(st.decimals(min_value=D("0.00"), max_value=D("900"), places=2), max_size=6),
)
def test_an_allocation_never_loses_a_cent_nor_pays_more_than_is_open(amount, opens):
    items = [OpenInvoice(f"2027-A-{n + 1:06d}", "anna", "0", value, date(2027, 1, 1 + n)) for n, value in enumerate(opens)]
    result = allocate(amount, (), items)
    assert result.total == amount and result.unallocated >= 0
    open_by_number = {i.number: i.open_amount for i in items}
    assert all(0 < paid <= open_by_number[number] for number, paid in result.lines)
