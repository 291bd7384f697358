"""The first advance from the DSO's estimated annual consumption (EAV)."""

from __future__ import annotations

import ast
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wattdesk.domain import advance as advance_module
from wattdesk.domain.advance import (
    PERIODS_PER_YEAR,
    VAT_RATES,
    advance_amount,
    first_advance,
    vat_rate,
    yearly_cost_estimate,
)
from wattdesk.domain.catalogue import PRODUCTS
from wattdesk.domain.errors import DomainError
from wattdesk.domain.money import to_cents

pytestmark = pytest.mark.unit

PROPERTY = settings(max_examples=200, deadline=None, database=None)

SUPPLY = date(2027, 1, 2)
ELEC = PRODUCTS["ELEC-FIX-1Y"]
GAS = PRODUCTS["GAS-FIX-1Y"]


# --- VAT rate -----------------------------------------------------------------------------------


def test_vat_rate_by_customer_type() -> None:
    assert vat_rate("residential", SUPPLY) == Decimal("0.06")
    assert vat_rate("professional", SUPPLY) == Decimal("0.21")


def test_vat_rate_follows_the_supply_date_so_a_change_is_a_new_row(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(VAT_RATES, "residential", (*VAT_RATES["residential"], (date(2028, 1, 1), Decimal("0.12"))))
    assert vat_rate("residential", date(2027, 12, 31)) == Decimal("0.06")
    assert vat_rate("residential", date(2028, 1, 1)) == Decimal("0.12")


@pytest.mark.parametrize(
    ("customer_type", "day", "code"),
    [("household", SUPPLY, "vat.customer_type"), ("residential", date(2020, 1, 1), "vat.no_rate")],
)
def test_vat_rate_errors(customer_type: str, day: date, code: str) -> None:
    with pytest.raises(DomainError) as info:
        vat_rate(customer_type, day)
    assert info.value.code == code


# --- yearly cost and advance: hand-computed examples ---------------------------------------------

# ELEC-FIX-1Y, dual meter, 3,500 kWh (shares 55 % day / 45 % night):
#   day      3500 * 0.55 = 1925 kWh * 0.1480 = 284.900
#   night    3500 * 0.45 = 1575 kWh * 0.1150 = 181.125
#   network  3500 * 0.1250                   = 437.500
#   fee                                      =  60.000
#   net                                      = 963.525
DUAL_3500_NET = Decimal("1925") * Decimal("0.1480") + Decimal("1575") * Decimal("0.1150") + Decimal("3500") * Decimal("0.1250") + Decimal("60.00")


def test_dual_meter_residential_monthly_by_hand() -> None:
    assert DUAL_3500_NET == Decimal("963.525")
    # 963.525 * 1.06 = 1021.3365 -> 1021.34 (to_cents, half up)
    yearly = to_cents(DUAL_3500_NET * Decimal("1.06"))
    assert yearly == Decimal("1021.34")
    assert yearly_cost_estimate(3500, "dual", ELEC, "residential", SUPPLY) == yearly
    # 1021.34 / 12 = 85.11... -> up to 86 euros
    assert advance_amount(yearly, "monthly") == Decimal("86.00")
    assert first_advance([(3500, "dual", ELEC)], "residential", "monthly", SUPPLY) == Decimal("86.00")


def test_professional_pays_21_percent() -> None:
    # 963.525 * 1.21 = 1165.86525 -> 1165.87; / 12 = 97.16 -> 98
    yearly = to_cents(DUAL_3500_NET * Decimal("1.21"))
    assert yearly == Decimal("1165.87")
    assert yearly_cost_estimate(3500, "dual", ELEC, "professional", SUPPLY) == yearly
    assert first_advance([(3500, "dual", ELEC)], "professional", "monthly", SUPPLY) == Decimal("98.00")


def test_quarterly_bimonthly_and_monthly() -> None:
    points = [(3500, "dual", ELEC)]
    # 1021.34 / 4 = 255.335 -> 256; / 6 = 170.22 -> 171; / 12 = 85.11 -> 86
    assert first_advance(points, "residential", "quarterly", SUPPLY) == Decimal("256.00")
    assert first_advance(points, "residential", "bimonthly", SUPPLY) == Decimal("171.00")
    assert first_advance(points, "residential", "monthly", SUPPLY) == Decimal("86.00")


def test_gas_and_electricity_combined() -> None:
    # Gas, 15,000 kWh, GAS-FIX-1Y: 15000 * 0.0520 = 780.00 energy + 15000 * 0.0250 = 375.00
    # network + 60.00 fee = 1215.00; * 1.06 = 1287.90
    gas_yearly = to_cents((Decimal("15000") * Decimal("0.0520") + Decimal("15000") * Decimal("0.0250") + Decimal("60.00")) * Decimal("1.06"))
    assert gas_yearly == Decimal("1287.90")
    assert yearly_cost_estimate(15000, "single", GAS, "residential", SUPPLY) == gas_yearly
    # 1021.34 + 1287.90 = 2309.24; / 12 = 192.44 -> 193
    points = [(3500, "dual", ELEC), (15000, "single", GAS)]
    assert first_advance(points, "residential", "monthly", SUPPLY) == Decimal("193.00")


def test_exclusive_night_meter_splits_over_single_and_exclusive_night() -> None:
    # 3500 * 0.60 = 2100 * 0.1350 = 283.50; 3500 * 0.40 = 1400 * 0.1050 = 147.00;
    # + 437.50 network + 60.00 fee = 928.00; * 1.06 = 983.68
    assert yearly_cost_estimate(3500, "exclusive_night", ELEC, "residential", SUPPLY) == Decimal("983.68")
    # single meter: 3500 * 0.1350 = 472.50 + 437.50 + 60.00 = 970.00; * 1.06 = 1028.20
    assert yearly_cost_estimate(3500, "single", ELEC, "residential", SUPPLY) == Decimal("1028.20")


def test_zero_consumption_still_pays_the_yearly_fee() -> None:
    # 60.00 * 1.06 = 63.60; / 12 = 5.30 -> 6
    assert first_advance([(0, "single", ELEC)], "residential", "monthly", SUPPLY) == Decimal("6.00")


def test_a_whole_euro_advance_is_not_rounded_up_further() -> None:
    assert advance_amount(Decimal("1200.00"), "monthly") == Decimal("100.00")
    assert advance_amount(Decimal("1200.01"), "monthly") == Decimal("101.00")
    assert advance_amount(Decimal("0.00"), "quarterly") == Decimal("0.00")


# --- errors -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("eav", "meter_type", "product", "code"),
    [
        (-1, "single", ELEC, "advance.eav"),
        (True, "single", ELEC, "advance.eav"),
        (Decimal("3500"), "single", ELEC, "advance.eav"),
        ("3500", "single", ELEC, "advance.eav"),
        (3500, "triple", ELEC, "advance.meter_type"),
        (3500, "dual", GAS, "advance.register_price"),  # a gas product has no day/night prices
    ],
)
def test_yearly_cost_estimate_rejects(eav: object, meter_type: str, product: object, code: str) -> None:
    with pytest.raises(DomainError) as info:
        yearly_cost_estimate(eav, meter_type, product, "residential", SUPPLY)  # type: ignore[arg-type]
    assert info.value.code == code


@pytest.mark.parametrize(
    ("total", "frequency", "code"),
    [
        (Decimal("100.00"), "weekly", "advance.frequency"),
        (Decimal("-1.00"), "monthly", "advance.total"),
        (Decimal("NaN"), "monthly", "advance.total"),
        (100, "monthly", "advance.total"),
    ],
)
def test_advance_amount_rejects(total: object, frequency: str, code: str) -> None:
    with pytest.raises(DomainError) as info:
        advance_amount(total, frequency)  # type: ignore[arg-type]
    assert info.value.code == code


def test_first_advance_needs_a_point() -> None:
    with pytest.raises(DomainError) as info:
        first_advance([], "residential", "monthly", SUPPLY)
    assert info.value.code == "advance.no_points"


# --- properties ---------------------------------------------------------------------------------

cents_totals = st.integers(min_value=0, max_value=10**9).map(lambda cents: Decimal(cents).scaleb(-2))


@PROPERTY
@given(cents_totals, st.sampled_from(sorted(PERIODS_PER_YEAR)))
def test_advance_covers_the_total_by_less_than_one_euro_per_period(total: Decimal, frequency: str) -> None:
    advance = advance_amount(total, frequency)
    periods = PERIODS_PER_YEAR[frequency]
    assert advance == advance.to_integral_value()
    assert advance.as_tuple().exponent == -2
    assert advance * periods >= total
    assert (advance - 1) * periods < total or total == 0


@PROPERTY
@given(
    st.lists(
        st.one_of(
            st.tuples(st.integers(min_value=0, max_value=200_000), st.sampled_from(["single", "dual", "exclusive_night"]), st.sampled_from([p for p in PRODUCTS.values() if p.energy == "electricity"])),
            st.tuples(st.integers(min_value=0, max_value=500_000), st.just("single"), st.sampled_from([p for p in PRODUCTS.values() if p.energy == "gas"])),
        ),
        min_size=1,
        max_size=2,
    ),
    st.sampled_from(["residential", "professional"]),
    st.sampled_from(sorted(PERIODS_PER_YEAR)),
)
def test_first_advance_covers_the_yearly_estimate(points: list, customer_type: str, frequency: str) -> None:
    total = sum((yearly_cost_estimate(eav, meter, product, customer_type, SUPPLY) for eav, meter, product in points), Decimal(0))
    advance = first_advance(points, customer_type, frequency, SUPPLY)
    periods = PERIODS_PER_YEAR[frequency]
    assert advance * periods >= total
    assert (advance - 1) * periods < total


@PROPERTY
@given(st.integers(min_value=0, max_value=1_000_000), st.sampled_from(["single", "dual", "exclusive_night"]))
def test_more_consumption_never_costs_less(eav: int, meter_type: str) -> None:
    assert yearly_cost_estimate(eav + 1, meter_type, ELEC, "residential", SUPPLY) >= yearly_cost_estimate(eav, meter_type, ELEC, "residential", SUPPLY)


def test_no_float_in_the_advance_module() -> None:
    tree = ast.parse(Path(advance_module.__file__).read_text(encoding="utf-8"))
    assert not [node for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, float)]
    assert not [node for node in ast.walk(tree) if isinstance(node, ast.Name) and node.id == "float"]


def test_advance_change_bounds_for_customers_and_operators() -> None:
    from wattdesk.domain.advance import advance_bounds, check_advance_change
    from wattdesk.domain.errors import DomainError

    computed = Decimal("86.00")
    assert advance_bounds(computed) == (Decimal("68.80"), Decimal("258.00"))
    assert advance_bounds(Decimal("86.01")) == (Decimal("68.81"), Decimal("258.03"))  # minimum rounded up
    assert check_advance_change(Decimal("68.80"), computed, by_operator=False, reason=None) == Decimal("68.80")
    assert check_advance_change(Decimal("258.00"), computed, by_operator=False, reason=None) == Decimal("258.00")
    for amount, operator, reason, code in [
        (Decimal("68.79"), False, None, "advance.below_minimum"),
        (Decimal("258.01"), False, None, "advance.above_maximum"),
        (Decimal("258.01"), True, "asked", "advance.above_maximum"),
        (Decimal("40.00"), True, "  ", "advance.reason_required"),
        (Decimal("0"), True, "x", "advance.not_positive"),
        (Decimal("70.001"), False, None, "advance.not_positive"),
    ]:
        with pytest.raises(DomainError) as error:
            check_advance_change(amount, computed, by_operator=operator, reason=reason)
        assert error.value.code == code
    assert check_advance_change(Decimal("40.00"), computed, by_operator=True, reason="payment plan talk") == Decimal("40.00")
