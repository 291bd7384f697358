"""Prices over time, network tariffs and the invoice lines of a consumption period."""

from __future__ import annotations

import ast
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wattdesk.domain import pricing as pricing_module
from wattdesk.domain.advance import VAT_RATES
from wattdesk.domain.catalogue import PRODUCTS, REGISTERS
from wattdesk.domain.errors import DomainError
from wattdesk.domain.invoice import InvoiceLine, totals
from wattdesk.domain.money import to_cents
from wattdesk.domain.pricing import (
    NETWORK_TARIFFS_EXAMPLE,
    PRICE_BOOK_EXAMPLE,
    IndexValues,
    MissingIndex,
    NetworkTariff,
    NetworkTariffs,
    PriceBook,
    PricePeriod,
    VariableFormula,
    consumption_lines,
    days_in_year,
)

pytestmark = pytest.mark.unit

PROPERTY = settings(max_examples=60, deadline=None, database=None)

D = Decimal
NO_INDEXES = IndexValues()


def lines_for(
    product_code: str,
    registers: dict[str, Decimal],
    start: date,
    end: date,
    *,
    region: str = "flanders",
    customer_type: str = "residential",
    indexes: IndexValues = NO_INDEXES,
    **extra: object,
) -> list[InvoiceLine]:
    return consumption_lines(product_code, registers, start, end, PRICE_BOOK_EXAMPLE, indexes, NETWORK_TARIFFS_EXAMPLE, region, customer_type, "nl", **extra)  # type: ignore[arg-type]


def of_kind(lines: list[InvoiceLine], key: str) -> list[InvoiceLine]:
    return [line for line in lines if line.description_key == key]


def code_of(call: Callable[[], object]) -> str:
    with pytest.raises(DomainError) as info:
        call()
    return info.value.code


# --- the example price book ---------------------------------------------------------------------


def test_example_book_is_valid_and_holds_the_five_catalogue_products() -> None:
    PRICE_BOOK_EXAMPLE.validate()
    assert PRICE_BOOK_EXAMPLE.products() == tuple(sorted(PRODUCTS))


@pytest.mark.parametrize("code", ["ELEC-FIX-1Y", "ELEC-PRO-FIX-3Y", "GAS-FIX-1Y"])
def test_fixed_products_take_catalogue_prices_then_five_percent_more_from_july_2027(code: str) -> None:
    before, after = PRICE_BOOK_EXAMPLE.periods_for(code)
    product = PRODUCTS[code]
    assert (before.valid_from, before.valid_until, after.valid_from, after.valid_until) == (date(2026, 1, 1), date(2027, 6, 30), date(2027, 7, 1), None)
    assert before.energy_prices == product.energy_prices and before.yearly_fee == product.yearly_fee
    assert after.energy_prices == {register: price * D("1.05") for register, price in product.energy_prices.items()}
    assert after.yearly_fee == to_cents(product.yearly_fee * D("1.05"))
    assert before.kind == after.kind == "fixed"


def test_variable_products_follow_a_formula_on_a_monthly_index() -> None:
    (elec,) = PRICE_BOOK_EXAMPLE.periods_for("ELEC-VAR-1Y")
    (gas,) = PRICE_BOOK_EXAMPLE.periods_for("GAS-VAR-1Y")
    assert elec.kind == gas.kind == "variable"
    assert elec.energy_prices["day"] == VariableFormula(D("0.00110"), D("0.0250"), "BELPEX_ELEC")
    assert gas.energy_prices["single"] == VariableFormula(D("0.00095"), D("0.0100"), "ZTP_GAS")
    assert VariableFormula(D("0.00110"), D("0.0250"), "BELPEX_ELEC").price(D("85.00")) == D("0.1185")


# --- the price book ----------------------------------------------------------------------------


def period(start: date, until: date | None, price: str = "0.10", code: str = "P") -> PricePeriod:
    return PricePeriod(code, start, until, {"single": D(price)}, D("50.00"))


def test_periods_between_covers_the_range_exactly_and_splits_at_price_changes() -> None:
    segments = PRICE_BOOK_EXAMPLE.periods_between("ELEC-FIX-1Y", date(2027, 6, 10), date(2027, 7, 20))
    assert [(p.valid_from, start, end) for p, start, end in segments] == [
        (date(2026, 1, 1), date(2027, 6, 10), date(2027, 7, 1)),
        (date(2027, 7, 1), date(2027, 7, 1), date(2027, 7, 20)),
    ]
    assert PRICE_BOOK_EXAMPLE.periods_between("ELEC-FIX-1Y", date(2027, 1, 1), date(2027, 1, 1)) == []


def test_periods_between_names_the_first_uncovered_day() -> None:
    book = PriceBook([period(date(2027, 1, 1), date(2027, 1, 31)), period(date(2027, 3, 1), None)])
    with pytest.raises(DomainError) as info:
        book.periods_between("P", date(2027, 1, 15), date(2027, 3, 15))
    assert info.value.code == "price.gap"
    assert "2027-02-01" in info.value.message
    with pytest.raises(DomainError) as before:
        book.periods_between("P", date(2026, 12, 30), date(2027, 1, 5))
    assert before.value.code == "price.gap" and "2026-12-30" in before.value.message
    closed = PriceBook([period(date(2027, 1, 1), date(2027, 1, 31))])
    with pytest.raises(DomainError) as after:
        closed.periods_between("P", date(2027, 1, 15), date(2027, 2, 15))
    assert after.value.code == "price.gap" and "2027-02-01" in after.value.message


def test_price_book_refuses_gaps_overlaps_and_unknown_products() -> None:
    gap = PriceBook([period(date(2027, 1, 1), date(2027, 1, 31)), period(date(2027, 2, 2), None)])
    with pytest.raises(DomainError) as info:
        gap.validate()
    assert info.value.code == "price.gap" and "2027-02-01" in info.value.message
    overlap = PriceBook([period(date(2027, 1, 1), date(2027, 2, 1)), period(date(2027, 2, 1), None)])
    assert code_of(overlap.validate) == "price.overlap"
    # An open-ended period followed by another one overlaps it too; periods_between refuses it.
    open_ended = PriceBook([period(date(2027, 1, 1), None), period(date(2027, 6, 1), None)])
    assert code_of(open_ended.validate) == "price.overlap"
    assert code_of(lambda: open_ended.periods_between("P", date(2027, 1, 1), date(2027, 2, 1))) == "price.overlap"
    assert code_of(lambda: PRICE_BOOK_EXAMPLE.periods_between("NOPE", date(2027, 1, 1), date(2027, 2, 1))) == "price.unknown_product"
    assert code_of(lambda: PRICE_BOOK_EXAMPLE.periods_between("ELEC-FIX-1Y", date(2027, 2, 1), date(2027, 1, 1))) == "price.range"
    PriceBook([period(date(2027, 1, 1), date(2027, 1, 31)), period(date(2027, 2, 1), None)]).validate()


@pytest.mark.parametrize(
    "build",
    [
        lambda: PricePeriod("P", date(2027, 2, 1), date(2027, 1, 31), {"single": D("0.1")}, D("1")),
        lambda: PricePeriod("P", date(2027, 1, 1), None, {}, D("1")),
        lambda: PricePeriod("P", date(2027, 1, 1), None, {"single": D("NaN")}, D("1")),
        lambda: PricePeriod("P", date(2027, 1, 1), None, {"single": D("0.1")}, D("-1")),
        lambda: PricePeriod("", date(2027, 1, 1), None, {"single": D("0.1")}, D("1")),
        lambda: PricePeriod("P", date(2027, 1, 1), None, {"single": "0.1"}, D("1")),  # type: ignore[dict-item]
    ],
)
def test_price_period_refuses_inconsistent_data(build: Callable[[], object]) -> None:
    assert code_of(build) == "price.period"


def test_price_period_keeps_its_own_copy_of_the_prices() -> None:
    prices = {"single": D("0.10")}
    frozen = PricePeriod("P", date(2027, 1, 1), None, prices, D("1"))
    prices["single"] = D("9.99")
    assert frozen.energy_prices == {"single": D("0.10")}


def test_variable_formula_and_index_values_validate_their_input() -> None:
    assert code_of(lambda: VariableFormula(D("0.001"), D("0.01"), "")) == "price.formula"
    assert code_of(lambda: IndexValues({("BELPEX_ELEC", "2027-13"): D("1")})) == "price.index_value"
    assert code_of(lambda: IndexValues({("BELPEX_ELEC", "2027-1"): D("1")})) == "price.index_value"
    assert code_of(lambda: IndexValues({("BELPEX_ELEC", "2027-01"): "80"})) == "price.index_value"  # type: ignore[dict-item]
    values = IndexValues({("BELPEX_ELEC", "2027-01"): D("80.00")})
    assert values.value("BELPEX_ELEC", "2027-01") == D("80.00") and len(values) == 1 and dict(values) == {("BELPEX_ELEC", "2027-01"): D("80.00")}


# --- network tariffs ---------------------------------------------------------------------------


def test_network_tariffs_by_region_and_year() -> None:
    for region in ("flanders", "wallonia", "brussels"):
        for year in (2026, 2027, 2028):
            tariffs = NETWORK_TARIFFS_EXAMPLE.network_tariffs_for(region, date(year, 6, 1))
            assert set(tariffs) == {"electricity", "gas"}
    assert NETWORK_TARIFFS_EXAMPLE.network_tariffs_for("flanders", date(2027, 12, 31)) != NETWORK_TARIFFS_EXAMPLE.network_tariffs_for("flanders", date(2028, 1, 1))
    assert code_of(lambda: NETWORK_TARIFFS_EXAMPLE.network_tariffs_for("flanders", date(2029, 1, 1))) == "network.no_tariff"
    assert code_of(lambda: NETWORK_TARIFFS_EXAMPLE.network_tariffs_for("holland", date(2027, 1, 1))) == "network.region"
    only_elec = NetworkTariffs({("flanders", 2027): {"electricity": NetworkTariff(D("0.07"), D("0.05"), D("90"))}})
    assert code_of(lambda: only_elec.tariff("flanders", date(2027, 1, 1), "gas")) == "network.no_tariff"
    assert code_of(lambda: NetworkTariffs({("holland", 2027): {}})) == "network.region"
    assert code_of(lambda: NetworkTariff(D("-0.01"), D("0"), D("0"))) == "network.tariff"


# --- consumption lines -------------------------------------------------------------------------


def test_a_price_change_mid_period_gives_two_lines_with_amounts_by_days() -> None:
    # June (30 days) at the old price, July (31 days) at +5 %: 610 kWh flat = 300 + 310.
    lines = lines_for("ELEC-FIX-1Y", {"single": D("610")}, date(2027, 6, 1), date(2027, 8, 1))
    energy = of_kind(lines, "energy")
    assert [(e.parameters["from"], e.parameters["to"], e.quantity, e.unit_price, e.amount) for e in energy] == [
        ("2027-06-01", "2027-06-30", D("300.000"), D("0.1350"), D("40.50")),
        ("2027-07-01", "2027-07-31", D("310.000"), D("0.14175"), D("43.94")),  # 43.9425
    ]
    fees = of_kind(lines, "fixed_fee")
    assert [(f.quantity, f.unit, f.unit_price, f.amount) for f in fees] == [
        (D("30"), "day", D("0.164384"), D("4.93")),  # 60.00 / 365
        (D("31"), "day", D("0.172603"), D("5.35")),  # 63.00 / 365
    ]
    assert energy[0].parameters["product"] == "Stroom Vast 1 jaar" and energy[0].parameters["register"] == "single"
    # One network segment (same year and VAT rate) on all the kWh.
    assert [(n.quantity, n.unit_price) for n in of_kind(lines, "network")] == [(D("610.000"), D("0.0745"))]
    assert [(n.quantity, n.unit_price) for n in of_kind(lines, "levies")] == [(D("610.000"), D("0.0505"))]
    assert [(n.quantity, n.unit) for n in of_kind(lines, "network_fee")] == [(D("61"), "day")]


def test_dual_register_gives_day_and_night_lines_at_their_prices() -> None:
    lines = lines_for("ELEC-FIX-1Y", {"night": D("450"), "day": D("550")}, date(2027, 1, 1), date(2027, 4, 1))
    energy = of_kind(lines, "energy")
    assert [(e.parameters["register"], e.quantity, e.unit_price, e.amount) for e in energy] == [
        ("day", D("550.000"), D("0.1480"), D("81.40")),
        ("night", D("450.000"), D("0.1150"), D("51.75")),
    ]
    assert of_kind(lines, "network")[0].quantity == D("1000.000")


def test_exclusive_night_meter_bills_its_two_registers() -> None:
    lines = lines_for("ELEC-FIX-1Y", {"single": D("600"), "exclusive_night": D("400")}, date(2027, 1, 1), date(2027, 2, 1))
    assert [(e.parameters["register"], e.unit_price, e.amount) for e in of_kind(lines, "energy")] == [
        ("single", D("0.1350"), D("81.00")),
        ("exclusive_night", D("0.1050"), D("42.00")),
    ]


def test_a_register_without_a_price_is_refused() -> None:
    assert code_of(lambda: lines_for("GAS-FIX-1Y", {"day": D("100")}, date(2027, 1, 1), date(2027, 2, 1))) == "price.register"


@pytest.mark.parametrize(("customer_type", "rate"), [("residential", D("0.06")), ("professional", D("0.21"))])
def test_vat_rate_by_customer_type_on_every_line(customer_type: str, rate: Decimal) -> None:
    lines = lines_for("ELEC-FIX-1Y", {"single": D("1000")}, date(2027, 1, 1), date(2027, 2, 1), customer_type=customer_type)
    assert {line.vat_rate for line in lines} == {rate}
    energy = of_kind(lines, "energy")[0]
    assert energy.amount == D("135.00") and energy.vat_amount == to_cents(D("135.00") * rate)


def test_a_vat_rate_change_splits_lines_by_supply_date() -> None:
    # A fictitious future change: residential energy at 9 % from 2027-10-01.
    table = {**VAT_RATES, "residential": (*VAT_RATES["residential"], (date(2027, 10, 1), D("0.09")))}

    def future_rate(customer_type: str, supply_date: date) -> Decimal:
        return [rate for valid_from, rate in table[customer_type] if valid_from <= supply_date][-1]

    lines = lines_for("ELEC-FIX-1Y", {"single": D("610")}, date(2027, 9, 1), date(2027, 11, 1), vat_rate_for=future_rate)
    energy = of_kind(lines, "energy")
    assert [(e.parameters["to"], e.quantity, e.vat_rate, e.vat_amount) for e in energy] == [
        ("2027-09-30", D("300.000"), D("0.06"), to_cents(energy[0].amount * D("0.06"))),
        ("2027-10-31", D("310.000"), D("0.09"), to_cents(energy[1].amount * D("0.09"))),
    ]
    for key in ("network", "levies", "network_fee", "fixed_fee"):
        assert [line.vat_rate for line in of_kind(lines, key)] == [D("0.06"), D("0.09")]
    # The default is advance.vat_rate: no split.
    assert len(of_kind(lines_for("ELEC-FIX-1Y", {"single": D("610")}, date(2027, 9, 1), date(2027, 11, 1)), "energy")) == 1


def test_variable_product_takes_each_months_index() -> None:
    indexes = IndexValues({("BELPEX_ELEC", "2027-03"): D("80.00"), ("BELPEX_ELEC", "2027-04"): D("95.50")})
    lines = lines_for("ELEC-VAR-1Y", {"day": D("610")}, date(2027, 3, 1), date(2027, 5, 1), indexes=indexes)
    energy = of_kind(lines, "energy")
    assert [(e.parameters["index_month"], e.parameters["index_value"], e.quantity, e.unit_price, e.amount) for e in energy] == [
        ("2027-03", "80.00", D("310.000"), D("0.1130"), D("35.03")),  # 0.00110 * 80.00 + 0.0250
        ("2027-04", "95.50", D("300.000"), D("0.13005"), D("39.02")),  # 0.00110 * 95.50 + 0.0250; 39.015
    ]
    assert energy[0].parameters["index"] == "BELPEX_ELEC"
    # Fees do not split by month.
    assert len(of_kind(lines, "fixed_fee")) == 1


def test_variable_gas_and_plain_mappings_of_indexes() -> None:
    lines = lines_for("GAS-VAR-1Y", {"single": D("1000")}, date(2027, 1, 1), date(2027, 2, 1), indexes={("ZTP_GAS", "2027-01"): D("35.00")})  # type: ignore[arg-type]
    (energy,) = of_kind(lines, "energy")
    assert (energy.unit_price, energy.amount) == (D("0.04325"), D("43.25"))
    assert of_kind(lines, "network")[0].unit_price == NETWORK_TARIFFS_EXAMPLE.tariff("flanders", date(2027, 1, 1), "gas").network_per_kwh


def test_a_month_without_index_stops_billing_with_a_clear_error() -> None:
    indexes = IndexValues({("BELPEX_ELEC", "2027-03"): D("80.00")})
    with pytest.raises(MissingIndex) as info:
        lines_for("ELEC-VAR-1Y", {"day": D("610")}, date(2027, 3, 1), date(2027, 5, 1), indexes=indexes)
    error = info.value
    assert isinstance(error, DomainError)
    assert (error.code, error.index_name, error.month) == ("price.index_missing", "BELPEX_ELEC", "2027-04")
    assert "BELPEX_ELEC" in error.message and "2027-04" in error.message


def test_network_table_year_change_splits_network_lines() -> None:
    # 62 days, 620 kWh of gas in Brussels: December 2027 and January 2028.
    lines = lines_for("GAS-FIX-1Y", {"single": D("620")}, date(2027, 12, 1), date(2028, 2, 1), region="brussels")
    t2027 = NETWORK_TARIFFS_EXAMPLE.tariff("brussels", date(2027, 1, 1), "gas")
    t2028 = NETWORK_TARIFFS_EXAMPLE.tariff("brussels", date(2028, 1, 1), "gas")
    assert [(n.parameters["year"], n.quantity, n.unit_price, n.amount) for n in of_kind(lines, "network")] == [
        ("2027", D("310.000"), t2027.network_per_kwh, to_cents(D("310") * t2027.network_per_kwh)),
        ("2028", D("310.000"), t2028.network_per_kwh, to_cents(D("310") * t2028.network_per_kwh)),
    ]
    assert [n.unit_price for n in of_kind(lines, "levies")] == [t2027.levies_per_kwh, t2028.levies_per_kwh]
    fees = of_kind(lines, "network_fee")
    assert [(f.parameters["days_in_year"], f.quantity) for f in fees] == [("365", D("31")), ("366", D("31"))]
    assert fees[1].unit_price == (t2028.yearly_fee / 366).quantize(D("0.000001"))
    # The energy price did not change: one energy line.
    assert len(of_kind(lines, "energy")) == 1


def test_leap_year_fee_proration() -> None:
    assert (days_in_year(2027), days_in_year(2028)) == (365, 366)
    whole_2028 = of_kind(lines_for("ELEC-FIX-1Y", {"single": D("3000")}, date(2028, 1, 1), date(2029, 1, 1)), "fixed_fee")
    assert [(f.quantity, f.unit_price, f.amount, f.parameters["days_in_year"]) for f in whole_2028] == [(D("366"), D("0.172131"), D("63.00"), "366")]
    february_2028 = of_kind(lines_for("ELEC-FIX-1Y", {"single": D("300")}, date(2028, 2, 1), date(2028, 3, 1)), "fixed_fee")
    assert [(f.quantity, f.unit_price, f.amount) for f in february_2028] == [(D("29"), D("0.172131"), D("4.99"))]  # 4.991799
    february_2027 = of_kind(lines_for("ELEC-FIX-1Y", {"single": D("300")}, date(2027, 2, 1), date(2027, 3, 1)), "fixed_fee")
    assert [(f.quantity, f.unit_price, f.amount) for f in february_2027] == [(D("28"), D("0.164384"), D("4.60"))]  # 4.602752
    # A whole non-leap year adds up to the yearly fee too.
    whole_2026 = of_kind(lines_for("ELEC-FIX-1Y", {"single": D("3000")}, date(2026, 1, 1), date(2027, 1, 1)), "fixed_fee")
    assert [f.amount for f in whole_2026] == [D("60.00")]


def test_kwh_are_spread_with_three_decimals_adding_up_exactly() -> None:
    # 4 days, the price changes after 2: 100.001 * 2 / 4 = 50.0005 -> 50.001, the rest 50.000.
    lines = lines_for("ELEC-FIX-1Y", {"single": D("100.001")}, date(2027, 6, 29), date(2027, 7, 3))
    quantities = [e.quantity for e in of_kind(lines, "energy")]
    assert quantities == [D("50.001"), D("50.000")]
    assert all(q == q.quantize(D("0.001")) for q in quantities)


@pytest.mark.parametrize(
    ("registers", "start", "end", "language", "product", "code"),
    [
        ({"single": D("-1")}, date(2027, 1, 1), date(2027, 2, 1), "nl", "ELEC-FIX-1Y", "consumption.kwh"),
        ({"single": D("1.0001")}, date(2027, 1, 1), date(2027, 2, 1), "nl", "ELEC-FIX-1Y", "consumption.kwh"),
        ({"single": 10}, date(2027, 1, 1), date(2027, 2, 1), "nl", "ELEC-FIX-1Y", "consumption.kwh"),
        ({}, date(2027, 1, 1), date(2027, 2, 1), "nl", "ELEC-FIX-1Y", "consumption.registers"),
        ({"single": D("1")}, date(2027, 2, 1), date(2027, 2, 1), "nl", "ELEC-FIX-1Y", "consumption.period"),
        ({"single": D("1")}, date(2027, 1, 1), date(2027, 2, 1), "es", "ELEC-FIX-1Y", "invoice.language"),
        ({"single": D("1")}, date(2027, 1, 1), date(2027, 2, 1), "nl", "NOPE", "price.unknown_product"),
        ({"single": D("1")}, date(2025, 12, 1), date(2026, 2, 1), "nl", "ELEC-FIX-1Y", "price.gap"),
        ({"single": D("1")}, date(2028, 12, 1), date(2029, 2, 1), "nl", "ELEC-FIX-1Y", "network.no_tariff"),
    ],
)
def test_consumption_lines_refuse_bad_input(registers: dict[str, Decimal], start: date, end: date, language: str, product: str, code: str) -> None:
    assert code_of(lambda: consumption_lines(product, registers, start, end, PRICE_BOOK_EXAMPLE, NO_INDEXES, NETWORK_TARIFFS_EXAMPLE, "flanders", "residential", language)) == code


# --- properties --------------------------------------------------------------------------------

ALL_INDEXES = IndexValues(
    {(name, f"{year}-{month:02d}"): D(value) for year in (2026, 2027, 2028) for month in range(1, 13) for name, value in (("BELPEX_ELEC", f"{60 + month * 3}.{year % 7}5"), ("ZTP_GAS", f"{25 + month}.40"))}
)
METERS = {"ELEC-FIX-1Y": ("single", "dual", "exclusive_night"), "ELEC-VAR-1Y": ("single", "dual", "exclusive_night"), "ELEC-PRO-FIX-3Y": ("single", "dual"), "GAS-FIX-1Y": ("single",), "GAS-VAR-1Y": ("single",)}
kwh_values = st.integers(min_value=0, max_value=50_000_000).map(lambda n: Decimal(n).scaleb(-3))


@st.composite
def consumption_cases(draw: st.DrawFn) -> tuple[str, dict[str, Decimal], date, date, str, str]:
    product = draw(st.sampled_from(sorted(METERS)))
    meter = draw(st.sampled_from(METERS[product]))
    registers = {register: draw(kwh_values) for register in REGISTERS[meter]}
    start = date(2026, 1, 1) + timedelta(days=draw(st.integers(min_value=0, max_value=1000)))
    end = min(start + timedelta(days=draw(st.integers(min_value=1, max_value=400))), date(2029, 1, 1))
    return product, registers, start, end, draw(st.sampled_from(["flanders", "wallonia", "brussels"])), draw(st.sampled_from(["residential", "professional"]))


@PROPERTY
@given(consumption_cases())
def test_consumption_lines_add_up(case: tuple[str, dict[str, Decimal], date, date, str, str]) -> None:
    product, registers, start, end, region, customer_type = case
    lines = consumption_lines(product, registers, start, end, PRICE_BOOK_EXAMPLE, ALL_INDEXES, NETWORK_TARIFFS_EXAMPLE, region, customer_type, "fr")
    days = (end - start).days
    for register, kwh in registers.items():
        assert sum(e.quantity for e in of_kind(lines, "energy") if e.parameters["register"] == register) == kwh
    assert sum(n.quantity for n in of_kind(lines, "network")) == sum(registers.values())
    assert sum(f.quantity for f in of_kind(lines, "fixed_fee")) == days
    assert sum(f.quantity for f in of_kind(lines, "network_fee")) == days
    for line in lines:
        assert line.amount == to_cents(line.quantity * line.unit_price)
        assert line.vat_amount == to_cents(line.amount * line.vat_rate)
        assert line.quantity == line.quantity.quantize(D("0.001"))
        assert date.fromisoformat(line.parameters["from"]) <= date.fromisoformat(line.parameters["to"])
    result = totals(lines)
    assert result.excl_vat == sum(line.amount for line in lines)
    assert result.vat == sum(line.vat_amount for line in lines)


# --- purity ------------------------------------------------------------------------------------


def test_no_float_in_the_pricing_and_invoice_modules() -> None:
    folder = Path(pricing_module.__file__).parent
    for name in ("pricing.py", "invoice.py"):
        text = (folder / name).read_text(encoding="utf-8")
        assert "float" + "(" not in text
        tree = ast.parse(text)
        assert not [node for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, type(0.5))]
        assert not [node for node in ast.walk(tree) if isinstance(node, ast.Name) and node.id == "flo" + "at"]
        assert "boto3" not in text and "import os" not in text and ".today(" not in text and ".now(" not in text


def test_ops_load_only_known_indexes_by_month_with_a_sane_value() -> None:
    from wattdesk.domain.pricing import PRICE_BOOK_EXAMPLE, index_names, parse_index_value

    known = index_names(PRICE_BOOK_EXAMPLE)
    assert known == frozenset({"BELPEX_ELEC", "ZTP_GAS"})
    assert parse_index_value("BELPEX_ELEC", "2027-03", "85.12345", known) == Decimal("85.12345")
    for name, month, text, code in [
        ("EPEX", "2027-03", "85", "index.unknown"),
        ("BELPEX_ELEC", "2027-3", "85", "index.month"),
        ("BELPEX_ELEC", "2027-13", "85", "index.month"),
        ("BELPEX_ELEC", "2027-03", "abc", "index.value"),
        ("BELPEX_ELEC", "2027-03", "-1", "index.value"),
        ("BELPEX_ELEC", "2027-03", "NaN", "index.value"),
        ("BELPEX_ELEC", "2027-03", "1.123456", "index.value"),
    ]:
        with pytest.raises(DomainError) as error:
            parse_index_value(name, month, text, known)
        assert error.value.code == code
