"""Errors, money, VAT numbers and contact details."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wattdesk.domain.contact import mask_email, mask_phone, validate_email, validate_phone
from wattdesk.domain.errors import DomainError, ValidationProblem
from wattdesk.domain.money import format_amount, parse_amount, split_evenly, to_cents, vat
from wattdesk.domain.vat_number import is_valid_be_vat, validate_be_vat

pytestmark = pytest.mark.unit

# database=None: property tests must not leave a .hypothesis folder in the repo.
PROPERTY = settings(max_examples=200, deadline=None, database=None)

cents_amounts = st.integers(min_value=-10**10, max_value=10**10).map(lambda c: Decimal(c).scaleb(-2))


# --- errors -------------------------------------------------------------------------------------


def test_domain_error_carries_code_field_and_message() -> None:
    error = DomainError("ean.check_digit", "EAN check digit does not match", "delivery_points[0].ean")
    assert (error.code, error.field, error.message) == ("ean.check_digit", "delivery_points[0].ean", "EAN check digit does not match")
    assert str(error) == "EAN check digit does not match"


def test_domain_error_field_can_be_bound_later_and_turned_into_a_problem() -> None:
    error = DomainError("iban.invalid", "not a valid IBAN")
    assert error.field is None
    bound = error.with_field("customer.iban")
    assert bound.field == "customer.iban" and bound.code == "iban.invalid"
    assert bound.to_problem() == ValidationProblem(field="customer.iban", code="iban.invalid", message="not a valid IBAN")


def test_validation_problem_is_immutable() -> None:
    problem = ValidationProblem(field="email", code="email.invalid", message="bad")
    with pytest.raises(dataclasses.FrozenInstanceError):
        problem.code = "other"  # type: ignore[misc]


# --- money --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        (Decimal("2.675"), Decimal("2.68")),  # a float would give 2.67
        (Decimal("0.005"), Decimal("0.01")),
        (Decimal("0.00499"), Decimal("0.00")),
        (Decimal("-0.005"), Decimal("-0.01")),  # half up = away from zero, symmetric for credit notes
        (Decimal("10"), Decimal("10.00")),
        (7, Decimal("7.00")),
    ],
)
def test_to_cents_rounds_half_up(amount: Decimal, expected: Decimal) -> None:
    result = to_cents(amount)
    assert result == expected
    assert result.as_tuple().exponent == -2


def test_to_cents_never_returns_negative_zero() -> None:
    assert str(to_cents(Decimal("-0.001"))) == "0.00"


@pytest.mark.parametrize("bad", [1.5, "1.50", None, True, Decimal("NaN"), Decimal("Infinity")])
def test_to_cents_rejects_floats_text_and_non_finite(bad: object) -> None:
    with pytest.raises(DomainError):
        to_cents(bad)  # type: ignore[arg-type]


@PROPERTY
@given(st.decimals(min_value=-10**9, max_value=10**9, allow_nan=False, allow_infinity=False))
def test_to_cents_is_idempotent_and_within_half_a_cent(amount: Decimal) -> None:
    once = to_cents(amount)
    assert to_cents(once) == once
    assert abs(once - amount) <= Decimal("0.005")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("123.45", "123.45"), ("123", "123.00"), ("0.5", "0.50"), (" 7.10 ", "7.10"), ("-12.30", "-12.30"), ("0", "0.00")],
)
def test_parse_amount_accepts_plain_amounts(text: str, expected: str) -> None:
    assert parse_amount(text) == Decimal(expected)
    assert format_amount(parse_amount(text)) == expected


@pytest.mark.parametrize(
    ("bad", "code"),
    [
        ("1.234", "amount.precision"),
        ("0.001", "amount.precision"),
        ("NaN", "amount.format"),
        ("inf", "amount.format"),
        ("-Infinity", "amount.format"),
        ("1e3", "amount.format"),
        ("1,50", "amount.format"),
        ("1 000.00", "amount.format"),
        ("+5", "amount.format"),
        (".5", "amount.format"),
        ("", "amount.format"),
        ("12.", "amount.format"),
        ("€12", "amount.format"),
        (1.5, "amount.type"),
        (Decimal("1.50"), "amount.type"),
    ],
)
def test_parse_amount_rejects_anything_but_plain_two_decimal_text(bad: object, code: str) -> None:
    with pytest.raises(DomainError) as info:
        parse_amount(bad)  # type: ignore[arg-type]
    assert info.value.code == code


@pytest.mark.parametrize(
    ("amount", "text"),
    [(Decimal("123.45"), "123.45"), (Decimal("1234.5"), "1234.50"), (Decimal("1E+2"), "100.00"), (Decimal("-3.999"), "-4.00"), (0, "0.00")],
)
def test_format_amount_is_plain_two_decimals(amount: Decimal, text: str) -> None:
    assert format_amount(amount) == text


def test_split_evenly_gives_leftover_cents_to_the_first_parts() -> None:
    assert split_evenly(Decimal("100.00"), 3) == [Decimal("33.34"), Decimal("33.33"), Decimal("33.33")]
    assert split_evenly(Decimal("0.05"), 3) == [Decimal("0.02"), Decimal("0.02"), Decimal("0.01")]
    assert split_evenly(Decimal("-1.00"), 3) == [Decimal("-0.34"), Decimal("-0.33"), Decimal("-0.33")]
    assert split_evenly(Decimal("12.00"), 1) == [Decimal("12.00")]


@pytest.mark.parametrize(("total", "parts"), [(Decimal("10.00"), 0), (Decimal("10.00"), -2), (Decimal("10.001"), 2), (Decimal("10.00"), True)])
def test_split_evenly_rejects_bad_input(total: Decimal, parts: int) -> None:
    with pytest.raises(DomainError):
        split_evenly(total, parts)


@PROPERTY
@given(cents_amounts, st.integers(min_value=1, max_value=60))
def test_split_evenly_always_sums_to_the_total(total: Decimal, parts: int) -> None:
    shares = split_evenly(total, parts)
    assert len(shares) == parts
    assert sum(shares, Decimal(0)) == total
    assert max(shares) - min(shares) <= Decimal("0.01")
    # Larger shares (by absolute value) come first.
    assert [abs(s) for s in shares] == sorted((abs(s) for s in shares), reverse=True)


@pytest.mark.parametrize(
    ("amount", "rate", "expected"),
    [
        (Decimal("100.00"), Decimal("0.21"), Decimal("21.00")),
        (Decimal("10.50"), Decimal("0.21"), Decimal("2.21")),  # 2.205 rounds up
        (Decimal("83.25"), Decimal("0.06"), Decimal("5.00")),  # 4.995 rounds up
        (Decimal("-10.50"), Decimal("0.21"), Decimal("-2.21")),
        (Decimal("99.99"), Decimal("0"), Decimal("0.00")),
    ],
)
def test_vat_is_rounded_to_cents(amount: Decimal, rate: Decimal, expected: Decimal) -> None:
    assert vat(amount, rate) == expected


@pytest.mark.parametrize("rate", [Decimal("21"), Decimal("1"), Decimal("-0.06"), 0.21, Decimal("NaN")])
def test_vat_rejects_percentages_floats_and_negative_rates(rate: object) -> None:
    with pytest.raises(DomainError) as info:
        vat(Decimal("100.00"), rate)  # type: ignore[arg-type]
    assert info.value.code == "vat.rate"


# --- Belgian VAT numbers ------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["BE0403170701", "BE 0403.170.701", "be0403170701", "0403170701", "0403.170.701", "403170701"])
def test_validate_be_vat_accepts_usual_spellings(value: str) -> None:
    assert validate_be_vat(value) == "BE0403170701"
    assert is_valid_be_vat(value)


@pytest.mark.parametrize("value", ["BE0403170702", "BE0403170700", "NL0403170701", "BE040317070", "BE04031707011", "BE2403170701", "", "BE", "ABCDEFGHIJ"])
def test_validate_be_vat_rejects_bad_numbers(value: str) -> None:
    with pytest.raises(DomainError) as info:
        validate_be_vat(value)
    assert info.value.code == "vat.invalid"
    assert not is_valid_be_vat(value)


# --- e-mail and phone ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("jan.peeters@example.be", "jan.peeters@example.be"),
        ("  Jan.Peeters@Example.BE ", "Jan.Peeters@example.be"),  # domain lower-cased, local part kept
        ("marie+facturen@sub.mail.example.com", "marie+facturen@sub.mail.example.com"),
        ("o'neil@energie-plus.be", "o'neil@energie-plus.be"),
        ("user@xn--bcher-kva.example", "user@xn--bcher-kva.example"),
    ],
)
def test_validate_email_accepts_and_normalises(value: str, expected: str) -> None:
    assert validate_email(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "",
        "plainaddress",
        "@example.be",
        "jan@",
        "jan@example",
        "jan@@example.be",
        "jan peeters@example.be",
        ".jan@example.be",
        "jan.@example.be",
        "jan..peeters@example.be",
        "jan@-example.be",
        "jan@example-.be",
        "jan@example..be",
        "jan@example.b",
        "jan@example.123",
        "jan@exämple.be",
        "a" * 65 + "@example.be",
        "jan@" + "a" * 250 + ".be",
    ],
)
def test_validate_email_rejects_bad_syntax(value: str) -> None:
    with pytest.raises(DomainError) as info:
        validate_email(value)
    assert info.value.code == "email.invalid"


@pytest.mark.parametrize(
    ("value", "region", "expected"),
    [
        ("0470 12 34 56", "BE", "+32470123456"),
        ("+32 470 12 34 56", "BE", "+32470123456"),
        ("0032 470/12.34.56", "BE", "+32470123456"),
        ("02 511 22 33", "BE", "+3225112233"),
        ("+33 1 42 68 53 00", "BE", "+33142685300"),
        ("020 123 4567", "NL", "+31201234567"),
    ],
)
def test_validate_phone_returns_e164(value: str, region: str, expected: str) -> None:
    assert validate_phone(value, default_region=region) == expected


@pytest.mark.parametrize("value", ["", "abc", "0470 12 34", "+32 470 12 34 56 78 90", "12", "+999 123456"])
def test_validate_phone_rejects_invalid_numbers(value: str) -> None:
    with pytest.raises(DomainError) as info:
        validate_phone(value)
    assert info.value.code == "phone.invalid"


def test_mask_email_keeps_first_letter_and_domain() -> None:
    assert mask_email("jan.peeters@Example.be") == "j***@example.be"
    assert "peeters" not in mask_email("jan.peeters@example.be")
    assert mask_email("not-an-address") == "***"


def test_mask_phone_keeps_country_code_and_last_two_digits() -> None:
    assert mask_phone("+32470123456") == "+32 ******* 56"
    assert mask_phone("0470 12 34 56") == "+32 ******* 56"
    masked = mask_phone("+3225112233")
    assert masked.endswith("33") and "511" not in masked
    assert mask_phone("garbage 1234") == "**34"
