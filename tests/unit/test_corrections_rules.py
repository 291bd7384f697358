"""Correction rules (domain/corrections.py): credit never above the creditable remainder, partial
credit by line or by amount, full credit, extraordinary free lines."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wattdesk.domain import corrections as rules
from wattdesk.domain import invoice as invoice_rules
from wattdesk.domain.errors import DomainError
from wattdesk.domain.products import variable_indexes
from wattdesk.domain.pricing import PricePeriod, VariableFormula

SIX, TWENTY_ONE = Decimal("0.06"), Decimal("0.21")


def code_of(action) -> str:
    with pytest.raises(DomainError) as info:
        action()
    return info.value.code


def mixed_invoice() -> list[invoice_rules.InvoiceLine]:
    return [
        invoice_rules.make_line("energy", {"register": "single"}, Decimal("250.000"), "kWh", Decimal("0.135000"), SIX),
        invoice_rules.make_line("fixed_fee", {}, Decimal("31"), "day", Decimal("0.164384"), SIX),
        invoice_rules.make_line("extraordinary", {"reason": "Meter"}, Decimal("1"), "piece", Decimal("120.00"), TWENTY_ONE),
    ]


def incl(lines) -> Decimal:
    return invoice_rules.totals(lines).incl_vat


def test_partial_credit_by_amount_then_by_line_then_nothing_left():
    lines = mixed_invoice()
    total = incl(lines)
    # VAT per line: 33.75 + 2.03 (2.025 up) and 5.10 + 0.31 at 6 %; 120.00 + 25.20 at 21 %.
    assert total == Decimal("186.39")
    first = rules.plan_credit_note(lines, total, set(), rules.CreditSelection(amount=Decimal("50.00")))
    # Spread over the VAT rates in proportion of their amounts incl. VAT, adding up exactly.
    assert -incl(first) == Decimal("50.00") and {line.vat_rate for line in first} == {SIX, TWENTY_ONE}
    remaining = total - Decimal("50.00")
    # Line 2 (145.20) no longer fits in 136.39.
    assert code_of(lambda: rules.plan_credit_note(lines, remaining, set(), rules.CreditSelection(lines=(2,)))) == "credit.above_remainder"
    second = rules.plan_credit_note(lines, remaining, set(), rules.CreditSelection(lines=(0, 1)))
    assert [(line.description_key, line.amount, line.parameters["credits_line"]) for line in second] == [("energy", Decimal("-33.75"), "0"), ("fixed_fee", Decimal("-5.10"), "1")]
    remaining -= -incl(second)
    assert remaining == Decimal("95.20")
    # A line credited by line is never credited again by line.
    error = pytest.raises(DomainError, rules.plan_credit_note, lines, remaining, {0, 1}, rules.CreditSelection(lines=(1,))).value
    assert (error.code, error.field) == ("credit.line_credited", "lines")
    # The exact remainder is allowed; one cent more is not, and then nothing is left.
    assert code_of(lambda: rules.plan_credit_note(lines, remaining, {0, 1}, rules.CreditSelection(amount=Decimal("95.21")))) == "credit.above_remainder"
    last = rules.plan_credit_note(lines, remaining, {0, 1}, rules.CreditSelection(amount=remaining))
    assert -incl(last) == remaining
    assert code_of(lambda: rules.plan_credit_note(lines, Decimal("0.00"), {0, 1}, rules.CreditSelection(amount=Decimal("0.01")))) == "correction.nothing_left"


def test_a_selection_is_lines_or_an_amount_and_a_credit_note_is_not_credited():
    assert code_of(lambda: rules.CreditSelection()) == "correction.selection"
    assert code_of(lambda: rules.CreditSelection(lines=(0,), amount=Decimal("1.00"))) == "correction.selection"
    lines = mixed_invoice()
    assert code_of(lambda: rules.plan_credit_note(lines, incl(lines), set(), rules.CreditSelection(amount=Decimal("1.00")), original_kind="credit_note")) == "correction.not_creditable"
    error = pytest.raises(DomainError, rules.plan_credit_note, lines, incl(lines), set(), rules.CreditSelection(amount=Decimal("1.001"))).value
    assert (error.code, error.field) == ("credit.amount", "amount")
    assert code_of(lambda: rules.plan_credit_note(lines, incl(lines), set(), rules.CreditSelection(lines=(3,)))) == "credit.line_index"
    assert code_of(lambda: rules.check_reason("  ")) == "correction.reason"
    assert rules.check_reason("  Meterstand betwist ") == "Meterstand betwist"


def test_full_credit_mirrors_the_invoice_or_credits_what_remains():
    lines = mixed_invoice()
    total = incl(lines)
    mirrored = rules.full_credit(lines, total, set())
    assert [line.amount for line in mirrored] == [-line.amount for line in lines] and -incl(mirrored) == total
    after_partial = rules.full_credit(lines, total - Decimal("10.00"), set())
    assert -incl(after_partial) == total - Decimal("10.00") and {line.description_key for line in after_partial} == {"credit"}
    advance = invoice_rules.advance_invoice_lines(Decimal("86.00"), SIX, {"month": "2027-03"})
    assert -incl(rules.full_credit(advance, Decimal("86.00"), set())) == Decimal("86.00")


amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("400.00"), places=2)


@st.composite
def invoices(draw):
    count = draw(st.integers(min_value=1, max_value=6))
    lines = []
    for n in range(count):
        quantity = draw(st.decimals(min_value=Decimal("0.001"), max_value=Decimal("2000"), places=3))
        price = draw(st.decimals(min_value=Decimal("0.000001"), max_value=Decimal("0.5"), places=6))
        rate = draw(st.sampled_from([SIX, TWENTY_ONE]))
        lines.append(invoice_rules.make_line("energy", {"n": str(n)}, quantity, "kWh", price, rate))
    if incl(lines) <= 0:
        lines.append(invoice_rules.make_line("extraordinary", {"reason": "fee"}, Decimal("1"), "piece", Decimal("10.00"), TWENTY_ONE))
    return lines


requests = st.lists(st.one_of(st.builds(lambda a: ("amount", a), amounts), st.builds(lambda ls: ("lines", ls), st.sets(st.integers(min_value=0, max_value=6), min_size=1, max_size=3))), max_size=8)


@settings(max_examples=150, deadline=None)
@given(invoices(), requests)
def test_credit_notes_together_never_exceed_the_invoice(lines, asked):
    """Whatever sequence of partial credits ops ask for, each credit note is issued only if it
    fits in what remains, the remainder is the total minus what was credited, and the credit
    notes together never exceed the invoice's total incl. VAT."""
    total = incl(lines)
    remaining, credited_lines, credited = total, set(), Decimal("0.00")
    for kind, value in asked:
        selection = rules.CreditSelection(amount=value) if kind == "amount" else rules.CreditSelection(lines=tuple(sorted(value)))
        try:
            note = rules.plan_credit_note(lines, remaining, credited_lines, selection)
        except DomainError as exc:
            # Refused only for a reason the rules name.
            assert exc.code in {"credit.above_remainder", "credit.line_index", "credit.line_credited", "credit.amount", "correction.nothing_left"}
            if exc.code == "credit.above_remainder":
                wanted = value if kind == "amount" else sum((lines[i].amount_incl_vat for i in value), Decimal("0.00"))
                assert wanted > remaining
            continue
        amount = -incl(note)
        assert Decimal("0.00") < amount <= remaining
        if kind == "amount":
            assert amount == value
        else:
            assert not set(value) & credited_lines
            credited_lines |= set(value)
        remaining -= amount
        credited += amount
    assert credited + remaining == total and credited <= total and remaining >= 0


def test_extraordinary_free_lines():
    lines = rules.extraordinary_lines([rules.FreeLine("Vervanging meter", Decimal("1"), Decimal("120.00"), TWENTY_ONE), rules.FreeLine("Verplaatsing", Decimal("2"), Decimal("12.50"), TWENTY_ONE)])
    assert [(line.description_key, line.parameters, line.amount, line.vat_amount) for line in lines] == [
        ("extraordinary", {"reason": "Vervanging meter"}, Decimal("120.00"), Decimal("25.20")), ("extraordinary", {"reason": "Verplaatsing"}, Decimal("25.00"), Decimal("5.25"))
    ]
    error = pytest.raises(DomainError, rules.extraordinary_lines, [rules.FreeLine("x", Decimal("1"), Decimal("1"), Decimal("0.12"))]).value
    assert (error.code, error.field) == ("extraordinary.vat_rate", "lines[0].vat_rate")
    assert code_of(lambda: rules.extraordinary_lines([])) == "extraordinary.lines"
    assert code_of(lambda: rules.extraordinary_lines([rules.FreeLine(" ", Decimal("1"), Decimal("1"), SIX)])) == "extraordinary.description"
    assert code_of(lambda: rules.extraordinary_lines([rules.FreeLine("x", Decimal("0"), Decimal("1"), SIX)])) == "extraordinary.quantity"
    assert code_of(lambda: rules.extraordinary_lines([rules.FreeLine("x", Decimal("1"), Decimal("10000.01"), SIX)])) == "extraordinary.amount"
    # A discount line is allowed on an invoice that still asks for money, not as the whole invoice.
    assert code_of(lambda: rules.extraordinary_lines([rules.FreeLine("Korting", Decimal("1"), Decimal("-5.00"), SIX)])) == "extraordinary.lines"


def test_the_index_months_a_variable_period_needs():
    formula = {"single": VariableFormula(Decimal("0.001"), Decimal("0.02"), "BELPEX_ELEC")}
    periods = [
        PricePeriod("P", date(2027, 1, 1), date(2027, 3, 14), {"single": Decimal("0.13")}, Decimal("0")),
        PricePeriod("P", date(2027, 3, 15), None, formula, Decimal("0")),
    ]
    assert variable_indexes(periods, date(2027, 2, 1), date(2027, 3, 1)) == []
    # A formula from mid-March: March's value is needed even though 1 March is priced fixed.
    assert variable_indexes(periods, date(2027, 3, 1), date(2027, 4, 1)) == [("BELPEX_ELEC", "2027-03")]
    assert variable_indexes(periods, date(2027, 3, 1), date(2027, 6, 1)) == [("BELPEX_ELEC", "2027-03"), ("BELPEX_ELEC", "2027-04"), ("BELPEX_ELEC", "2027-05")]


def test_an_invoice_in_the_customers_favour_is_cancelled_whole_by_its_mirror_image():
    """A settlement to refund (negative total) is cancelled by a note asking the same back."""
    settlement = [
        invoice_rules.make_line("energy", {"register": "single"}, Decimal("2400.000"), "kWh", Decimal("0.135000"), SIX),
        invoice_rules.make_line("advance_deduction", {"count": "12"}, Decimal("1"), "piece", Decimal("-450.00"), SIX),
    ]
    total = incl(settlement)
    assert total == Decimal("-133.56")  # (324.00 - 450.00) + (19.44 - 27.00) VAT
    assert rules.remainder(total, None) == Decimal("133.56")
    mirror = rules.full_credit(settlement, rules.remainder(total, None), set())
    assert incl(mirror) == -total and [line.amount for line in mirror] == [Decimal("-324.00"), Decimal("450.00")]
    assert code_of(lambda: rules.full_credit(settlement, Decimal("0.00"), {0, 1})) == "correction.nothing_left"
    assert code_of(lambda: rules.plan_credit_note(settlement, Decimal("133.56"), set(), rules.CreditSelection(amount=Decimal("10.00")))) == "correction.in_favour"
