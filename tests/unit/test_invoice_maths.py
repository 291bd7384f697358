"""Invoice arithmetic: lines, totals, numbers, OGMs, due dates, advances and credit notes."""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from wattdesk.domain import invoice as invoice_module
from wattdesk.domain.errors import DomainError
from wattdesk.domain.invoice import (
    SERIES,
    InvoiceKind,
    InvoiceLine,
    advance_invoice_lines,
    creditable_remainder,
    credit_note_lines,
    due_date,
    format_number,
    make_line,
    ogm_for,
    parse_number,
    totals,
)
from wattdesk.domain.money import to_cents
from wattdesk.domain.ogm import ogm_digits, validate_ogm

pytestmark = pytest.mark.unit

PROPERTY = settings(max_examples=200, deadline=None, database=None)

D = Decimal
RATES = [D("0"), D("0.06"), D("0.21")]


def code_of(call: Callable[[], object]) -> str:
    with pytest.raises(DomainError) as info:
        call()
    return info.value.code


cents = st.integers(min_value=-10**9, max_value=10**9).map(lambda c: Decimal(c).scaleb(-2))
positive_cents = st.integers(min_value=1, max_value=10**9).map(lambda c: Decimal(c).scaleb(-2))
quantities = st.integers(min_value=-10**7, max_value=10**8).map(lambda q: Decimal(q).scaleb(-3))
unit_prices = st.integers(min_value=-10**6, max_value=10**7).map(lambda p: Decimal(p).scaleb(-6))
lines_strategy = st.lists(
    st.builds(lambda q, p, r: make_line("energy", {}, q, "kWh", p, r), quantities, unit_prices, st.sampled_from(RATES)),
    max_size=30,
)


# --- lines and totals --------------------------------------------------------------------------


def test_make_line_rounds_the_amount_then_the_vat_per_line() -> None:
    line = make_line("energy", {"register": "day"}, D("310.000"), "kWh", D("0.14175"), D("0.06"))
    assert (line.amount, line.vat_amount) == (D("43.94"), D("2.64"))  # 43.9425; 2.6364
    assert line.amount_incl_vat == D("46.58")
    half = make_line("x", {}, D("1"), "piece", D("0.125"), D("0.21"))
    assert (half.amount, half.vat_amount) == (D("0.13"), D("0.03"))  # ROUND_HALF_UP: 0.125 -> 0.13; 0.0273
    negative = make_line("x", {}, D("-1"), "piece", D("0.125"), D("0.21"))
    assert (negative.amount, negative.vat_amount) == (D("-0.13"), D("-0.03"))  # halves away from zero


def test_lines_are_frozen_and_keep_their_own_parameters() -> None:
    parameters = {"month": "2027-03"}
    line = make_line("advance", parameters, D("1"), "piece", D("10"), D("0.06"))
    parameters["month"] = "changed"
    assert line.parameters == {"month": "2027-03"}
    with pytest.raises(dataclasses.FrozenInstanceError):
        line.amount = D("0")  # type: ignore[misc]


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("energy", {}, D("1"), "litre", D("1"), D("0.06")), "invoice.unit"),
        (("", {}, D("1"), "kWh", D("1"), D("0.06")), "invoice.line"),
        (("energy", {"n": 1}, D("1"), "kWh", D("1"), D("0.06")), "invoice.line"),
        (("energy", {}, 1, "kWh", D("1"), D("0.06")), "invoice.quantity"),
        (("energy", {}, D("1"), "kWh", D("Infinity"), D("0.06")), "invoice.unit_price"),
        (("energy", {}, D("1"), "kWh", D("1"), D("21")), "vat.rate"),
        (("energy", {}, D("1"), "kWh", D("1"), D("-0.06")), "vat.rate"),
    ],
)
def test_make_line_refuses_bad_input(args: tuple[object, ...], code: str) -> None:
    assert code_of(lambda: make_line(*args)) == code  # type: ignore[arg-type]


def test_totals_and_vat_summary_per_rate() -> None:
    lines = [
        make_line("energy", {}, D("300.000"), "kWh", D("0.1350"), D("0.06")),  # 40.50 / 2.43
        make_line("fixed_fee", {}, D("30"), "day", D("0.164384"), D("0.06")),  # 4.93 / 0.30
        make_line("extra", {}, D("1"), "piece", D("25.00"), D("0.21")),  # 25.00 / 5.25
    ]
    result = totals(lines)
    assert (result.excl_vat, result.vat, result.incl_vat) == (D("70.43"), D("7.98"), D("78.41"))
    assert result.vat_summary == [(D("0.06"), D("45.43"), D("2.73")), (D("0.21"), D("25.00"), D("5.25"))]
    empty = totals([])
    assert (empty.excl_vat, empty.vat, empty.incl_vat, empty.vat_summary) == (D("0.00"), D("0.00"), D("0.00"), [])


@PROPERTY
@given(lines_strategy)
def test_totals_are_exact_sums_of_the_rounded_lines(lines: list[InvoiceLine]) -> None:
    result = totals(lines)
    assert result.excl_vat == sum((line.amount for line in lines), D(0))
    assert result.vat == sum((line.vat_amount for line in lines), D(0))
    assert result.incl_vat == result.excl_vat + result.vat
    assert sum((base for _, base, _ in result.vat_summary), D(0)) == result.excl_vat
    assert sum((tax for _, _, tax in result.vat_summary), D(0)) == result.vat
    for line in lines:
        assert line.amount == to_cents(line.quantity * line.unit_price)
        assert line.vat_amount == to_cents(line.amount * line.vat_rate)


@PROPERTY
@given(st.decimals(allow_nan=False, allow_infinity=False, min_value=-10**9, max_value=10**9, places=6))
def test_to_cents_is_idempotent(amount: Decimal) -> None:
    once = to_cents(amount)
    assert to_cents(once) == once
    assert abs(once - amount) <= D("0.005")


# --- kinds, numbers, OGMs, due dates -----------------------------------------------------------


def test_invoice_kinds_and_series() -> None:
    assert {kind.value: SERIES[kind] for kind in InvoiceKind} == {"advance": "A", "settlement": "S", "final": "F", "extraordinary": "X", "credit_note": "C"}
    assert InvoiceKind("credit_note") is InvoiceKind.CREDIT_NOTE


def test_format_and_parse_number() -> None:
    assert format_number("A", 2027, 1) == "2027-A-000001"
    assert format_number("C", 2028, 999_999) == "2028-C-999999"
    assert parse_number("2027-S-000042") == ("S", 2027, 42)


@pytest.mark.parametrize("number", ["2027-A-1", "2027-Z-000001", "27-A-000001", "2027-a-000001", "2027-A-000000", " 2027-A-000001", "2027-A-0000001", 2027])
def test_parse_number_refuses_malformed_numbers(number: object) -> None:
    assert code_of(lambda: parse_number(number)).startswith("invoice.")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("series", "year", "sequence", "code"),
    [("Z", 2027, 1, "invoice.series"), ("A", 1999, 1, "invoice.year"), ("A", 3000, 1, "invoice.year"), ("A", 2027, 0, "invoice.sequence"), ("A", 2027, 1_000_000, "invoice.sequence"), ("A", 2027, True, "invoice.sequence")],
)
def test_numbers_and_ogms_refuse_out_of_range_parts(series: str, year: int, sequence: int, code: str) -> None:
    assert code_of(lambda: format_number(series, year, sequence)) == code
    assert code_of(lambda: ogm_for(series, year, sequence)) == code


@PROPERTY
@given(st.sampled_from(list(SERIES.values())), st.integers(min_value=2000, max_value=2999), st.integers(min_value=1, max_value=999_999))
def test_number_round_trip_and_ogm_is_valid(series: str, year: int, sequence: int) -> None:
    number = format_number(series, year, sequence)
    assert parse_number(number) == (series, year, sequence)
    ogm = ogm_for(series, year, sequence)
    assert validate_ogm(ogm) == ogm
    assert ogm_digits(ogm)[:10] == f"{year - 2000:03d}{'ASFXC'.index(series) + 1}{sequence:06d}"


def test_ogm_for_is_deterministic_and_documented_example() -> None:
    assert ogm_for("A", 2027, 1) == "+++027/1000/00143+++" == ogm_for("A", 2027, 1)


def test_ogms_are_unique_across_two_thousand_invoices() -> None:
    numbers = [(series, year, sequence) for series in ("A", "C") for year in (2027, 2028) for sequence in range(1, 501)]
    ogms = {ogm_for(*number) for number in numbers}
    assert len(numbers) == len(ogms) == 2000
    assert all(validate_ogm(ogm) == ogm for ogm in ogms)


def test_due_date_is_at_least_fifteen_calendar_days_later() -> None:
    assert due_date(date(2027, 3, 1)) == date(2027, 3, 16)
    assert due_date(date(2027, 12, 20), 30) == date(2028, 1, 19)
    assert code_of(lambda: due_date(date(2027, 3, 1), 14)) == "invoice.due_too_soon"
    assert code_of(lambda: due_date(date(2027, 3, 1), 0)) == "invoice.due_too_soon"
    assert code_of(lambda: due_date(date(2027, 3, 1), D("15"))) == "invoice.due_days"  # type: ignore[arg-type]


# --- advances ----------------------------------------------------------------------------------


def test_advance_invoice_is_one_line_of_exactly_the_advance() -> None:
    (line,) = advance_invoice_lines(D("86.00"), D("0.06"), {"month": "2027-03"})
    assert (line.description_key, line.parameters, line.quantity, line.unit) == ("advance", {"month": "2027-03"}, D("1"), "piece")
    assert (line.unit_price, line.amount, line.vat_amount) == (D("81.13"), D("81.13"), D("4.87"))  # 86 / 1.06 = 81.1320...
    assert totals([line]).incl_vat == D("86.00")


@pytest.mark.parametrize(("amount", "rate", "code"), [(D("0"), D("0.06"), "advance.amount"), (D("-5.00"), D("0.06"), "advance.amount"), (D("10.005"), D("0.06"), "advance.amount"), (D("86"), D("6"), "vat.rate")])
def test_advance_refuses_bad_amounts_and_rates(amount: Decimal, rate: Decimal, code: str) -> None:
    assert code_of(lambda: advance_invoice_lines(amount, rate, {})) == code


@PROPERTY
@given(positive_cents, st.sampled_from(RATES))
def test_advance_lines_add_up_to_the_advance_exactly(amount: Decimal, rate: Decimal) -> None:
    lines = advance_invoice_lines(amount, rate, {"month": "2027-03"})
    result = totals(lines)
    assert result.incl_vat == amount
    assert sum((line.amount + line.vat_amount for line in lines), D(0)) == amount
    # The VAT is within a cent of the per-line rule.
    (line,) = lines
    assert abs(line.vat_amount - to_cents(line.amount * rate)) <= D("0.01")


# --- credit notes ------------------------------------------------------------------------------


def sample_invoice() -> list[InvoiceLine]:
    return [
        make_line("energy", {"register": "day"}, D("550.000"), "kWh", D("0.1480"), D("0.06")),  # 81.40 / 4.88
        make_line("energy", {"register": "night"}, D("450.000"), "kWh", D("0.1150"), D("0.06")),  # 51.75 / 3.11
        make_line("service", {}, D("1"), "piece", D("20.00"), D("0.21")),  # 20.00 / 4.20
    ]


def test_creditable_remainder() -> None:
    assert creditable_remainder(D("165.34"), D("0")) == D("165.34")
    assert creditable_remainder(D("165.34"), D("65.34")) == D("100.00")
    assert creditable_remainder(D("165.34"), D("165.34")) == D("0.00")
    assert code_of(lambda: creditable_remainder(D("165.34"), D("165.35"))) == "credit.above_remainder"
    assert code_of(lambda: creditable_remainder(D("165.34"), D("-1.00"))) == "credit.amount"
    assert code_of(lambda: creditable_remainder(D("-10.00"), D("0"))) == "credit.original"


def test_credit_note_by_lines_negates_them() -> None:
    original = sample_invoice()
    assert totals(original).incl_vat == D("165.34")
    credit = credit_note_lines(original, [1], D("0"))
    (line,) = credit
    assert (line.quantity, line.unit_price, line.amount, line.vat_amount) == (D("-450.000"), D("0.1150"), D("-51.75"), D("-3.11"))
    assert line.parameters == {"register": "night", "credits_line": "1"}
    assert line.amount == to_cents(line.quantity * line.unit_price)
    # Everything but the credited night line remains; crediting all lines again is refused.
    assert code_of(lambda: credit_note_lines(original, [0, 1, 2], D("54.86"))) == "credit.above_remainder"
    assert totals(credit_note_lines(original, [0, 2], D("54.86"))).incl_vat == D("-110.48")


def test_credit_note_by_amount_spreads_over_vat_rates_and_adds_up() -> None:
    original = sample_invoice()  # 141.14 incl. 6 % VAT, 24.20 incl. 21 %
    credit = credit_note_lines(original, D("50.00"), D("0"))
    assert [(line.description_key, line.vat_rate) for line in credit] == [("credit", D("0.06")), ("credit", D("0.21"))]
    assert all(line.amount < 0 and line.quantity == D("-1") for line in credit)
    assert totals(credit).incl_vat == D("-50.00")
    assert code_of(lambda: credit_note_lines(original, D("165.35"), D("0"))) == "credit.above_remainder"
    assert code_of(lambda: credit_note_lines(original, D("100.01"), D("65.34"))) == "credit.above_remainder"
    assert totals(credit_note_lines(original, D("100.00"), D("65.34"))).incl_vat == D("-100.00")


@pytest.mark.parametrize(
    ("request_", "code"),
    [([], "credit.amount"), ([3], "credit.line_index"), ([0, 0], "credit.line_index"), ([-1], "credit.line_index"), (D("0"), "credit.amount"), (D("1.001"), "credit.amount"), (D("-5"), "credit.amount")],
)
def test_credit_note_refuses_bad_requests(request_: object, code: str) -> None:
    assert code_of(lambda: credit_note_lines(sample_invoice(), request_, D("0"))) == code  # type: ignore[arg-type]


def test_a_credit_of_lines_that_total_nothing_is_refused() -> None:
    original = [*sample_invoice(), make_line("discount", {}, D("1"), "piece", D("-10.00"), D("0.06"))]
    assert code_of(lambda: credit_note_lines(original, [3], D("0"))) == "credit.amount"


credit_requests = st.lists(
    st.one_of(
        st.integers(min_value=1, max_value=50_000).map(lambda c: Decimal(c).scaleb(-2)),
        st.lists(st.integers(min_value=0, max_value=29), min_size=1, max_size=5, unique=True),
    ),
    min_size=1,
    max_size=8,
)


@PROPERTY
@given(lines_strategy, credit_requests)
def test_credit_notes_never_exceed_what_remains_creditable(original: list[InvoiceLine], requests: list[object]) -> None:
    total = totals(original).incl_vat
    assume(total > 0)
    credited = D("0.00")
    for request in requests:
        if isinstance(request, list):
            request = [i for i in request if i < len(original)]
            if not request:
                continue
        remainder = total - credited
        try:
            credit = credit_note_lines(original, request, credited)  # type: ignore[arg-type]
        except DomainError as error:
            asked = request if isinstance(request, Decimal) else totals([original[i] for i in request]).incl_vat
            assert error.code in {"credit.above_remainder", "credit.amount"}
            if error.code == "credit.above_remainder":
                assert asked > remainder
            continue
        amount = -totals(credit).incl_vat
        assert D("0") < amount <= remainder
        if isinstance(request, Decimal):
            assert amount == request
        assert all(line.vat_amount == to_cents(line.vat_amount) for line in credit)
        credited += amount
    assert credited <= total
    assert creditable_remainder(total, credited) == total - credited


# --- purity ------------------------------------------------------------------------------------


def test_no_float_in_the_invoice_and_pricing_modules() -> None:
    folder = Path(invoice_module.__file__).parent
    for name in ("invoice.py", "pricing.py"):
        text = (folder / name).read_text(encoding="utf-8")
        assert "float" + "(" not in text
        tree = ast.parse(text)
        assert not [node for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, type(0.5))]
