"""Settlement: consumption spread by the profile across a price change and a VAT change, the
advances deducted exactly, mixed actual/estimated readings, and the next advance."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from wattdesk.domain import invoice as invoice_rules
from wattdesk.domain import load_profile
from wattdesk.domain import settlement as rules
from wattdesk.domain.advance import first_advance, vat_rate
from wattdesk.domain.catalogue import PRODUCTS
from wattdesk.domain.invoice import advance_invoice_lines, totals
from wattdesk.domain.pricing import NETWORK_TARIFFS_EXAMPLE, PRICE_BOOK_EXAMPLE, PRICE_CHANGE, consumption_lines, consumption_lines_by_profile

pytestmark = pytest.mark.unit

START, END = date(2027, 2, 1), date(2028, 2, 1)
VAT_CHANGE = date(2027, 10, 1)


def vat_with_a_change(customer_type: str, day: date) -> Decimal:
    """A hypothetical VAT change on 1 October 2027: 6 % -> 9 % for residential customers."""
    return Decimal("0.09") if customer_type == "residential" and day >= VAT_CHANGE else vat_rate(customer_type, day)


def point(kwh: dict, estimated: bool = False, ean: str = "541449200000000017", meter: str = "single") -> rules.PointConsumption:
    return rules.PointConsumption(ean, "electricity", meter, kwh, estimated, [("ELEC-FIX-1Y", START, END)])


def test_a_flat_profile_gives_each_segment_kwh_in_proportion_of_its_days():
    """consumption_lines is the flat case of consumption_lines_by_profile: across the price change
    of 1 July, 150 of 365 days get 150/365 of the kWh, and the parts add up exactly."""
    args = ("ELEC-FIX-1Y", {"day": Decimal("2200.000"), "night": Decimal("1800.000")}, START, END, PRICE_BOOK_EXAMPLE, {}, NETWORK_TARIFFS_EXAMPLE, "flanders", "residential", "nl")
    flat = consumption_lines(*args)
    assert flat == consumption_lines_by_profile(*args, day_weight=lambda day: Decimal(7))  # any constant weight is flat
    day = [line for line in flat if line.description_key == "energy" and line.parameters["register"] == "day"]
    before_change = (date(2027, 7, 1) - START).days  # 150 of the 365 days
    share = (Decimal("2200") * before_change / (END - START).days).quantize(Decimal("0.001"))
    assert [line.quantity for line in day] == [share, Decimal("2200.000") - share]
    assert sum(line.quantity for line in day) == Decimal("2200.000")


def test_spread_across_a_price_change_and_a_vat_change_follows_the_profile():
    lines = rules.consumption_invoice_lines([point({"single": 3000})], PRICE_BOOK_EXAMPLE, {}, NETWORK_TARIFFS_EXAMPLE, "flanders", "residential", "en", vat_rate_for=vat_with_a_change)
    energy = [line for line in lines if line.description_key == "energy"]
    # Three segments: before the price change, after it, after the VAT change.
    assert [(line.parameters["from"], line.parameters["to"], line.vat_rate) for line in energy] == [
        ("2027-02-01", "2027-06-30", Decimal("0.06")), ("2027-07-01", "2027-09-30", Decimal("0.06")), ("2027-10-01", "2028-01-31", Decimal("0.09")),
    ]
    assert sum(line.quantity for line in energy) == 3000
    # Each segment's kWh is the profile's share of the period (cumulative rounding to 3 decimals).
    for line, (start, end) in zip(energy, [(START, PRICE_CHANGE), (PRICE_CHANGE, VAT_CHANGE), (VAT_CHANGE, END)], strict=True):
        assert abs(line.quantity - 3000 * load_profile.weight_between("electricity", start, end)) < Decimal("0.002")
    assert energy[1].unit_price == (PRODUCTS["ELEC-FIX-1Y"].energy_prices["single"] * Decimal("1.05")).quantize(Decimal("0.000001"))
    # Winter weighs more than summer: the four winter months hold more than five spring-summer months.
    assert energy[2].quantity > energy[0].quantity * Decimal("0.9")
    network = [line for line in lines if line.description_key == "network"]
    assert sum(line.quantity for line in network) == 3000 and {line.vat_rate for line in network} == {Decimal("0.06"), Decimal("0.09")}


def test_advances_are_deducted_exactly_per_vat_rate():
    advances = [line for month in range(12) for line in advance_invoice_lines(Decimal("87.00"), Decimal("0.06"), {"month": f"m{month}"})]
    deduction = rules.advance_deduction_lines(advances, 12)
    assert len(deduction) == 1 and deduction[0].parameters == {"count": "12"}
    assert deduction[0].amount_incl_vat == Decimal("-1044.00")


@pytest.mark.parametrize(("advance", "outcome"), [(Decimal("200.00"), "refund"), (Decimal("40.00"), "to_pay")])
def test_settlement_with_mixed_actual_and_estimated_readings(advance, outcome):
    actual = point({"single": 2800}, estimated=False, ean="541449200000000017")
    estimated = point({"day": 1200, "night": 900}, estimated=True, ean="541449200000000024", meter="dual")
    lines = rules.consumption_invoice_lines([actual, estimated], PRICE_BOOK_EXAMPLE, {}, NETWORK_TARIFFS_EXAMPLE, "wallonia", "residential", "fr")
    advance_lines = [line for _ in range(12) for line in advance_invoice_lines(advance, Decimal("0.06"), {})]
    result = rules.settle(lines, advance_lines, 12, estimated=any(p.estimated for p in (actual, estimated)))
    assert result.estimated and result.outcome == outcome
    assert result.totals.incl_vat == totals(lines).incl_vat - 12 * advance
    assert result.amount == abs(result.totals.incl_vat)
    marked = [line for line in result.lines if line.parameters.get("reading") == "estimated"]
    assert marked and {line.parameters["ean"] for line in marked} == {"541449200000000024"}
    assert all(line.parameters.get("reading") is None for line in result.lines if line.parameters.get("ean") == "541449200000000017")
    # Rule 3 of invoice: the total is the sum of the rounded lines.
    assert result.totals.incl_vat == sum((line.amount + line.vat_amount for line in result.lines), Decimal(0))


def test_product_change_splits_the_consumption_by_the_profile():
    timeline = rules.product_timeline("ELEC-FIX-1Y", [("ELEC-VAR-1Y", date(2027, 9, 1))], START, END)
    assert timeline == [("ELEC-FIX-1Y", START, date(2027, 9, 1)), ("ELEC-VAR-1Y", date(2027, 9, 1), END)]
    indexes = {("BELPEX_ELEC", f"{y:04d}-{m:02d}"): Decimal("85.00") for y, m in [(2027, 9), (2027, 10), (2027, 11), (2027, 12), (2028, 1)]}
    split = rules.PointConsumption("541449200000000017", "electricity", "single", {"single": 3000}, False, timeline)
    lines = rules.consumption_invoice_lines([split], PRICE_BOOK_EXAMPLE, indexes, NETWORK_TARIFFS_EXAMPLE, "flanders", "residential", "nl")
    energy = [line for line in lines if line.description_key == "energy"]
    assert sum(line.quantity for line in energy) == 3000
    fixed_part = sum(line.quantity for line in energy if line.parameters["product_code"] == "ELEC-FIX-1Y")
    assert abs(fixed_part - 3000 * load_profile.weight_between("electricity", START, date(2027, 9, 1))) < Decimal("0.002")


def test_next_advance_from_actual_consumption():
    used = point({"single": 2500})
    amount, yearly = rules.next_advance([(used, "ELEC-FIX-1Y")], START, END, "residential", "monthly", END)
    assert yearly == {used.ean: 2500}
    assert amount == first_advance([(2500, "single", PRODUCTS["ELEC-FIX-1Y"])], "residential", "monthly", END)


def test_settlement_dates_are_anniversaries():
    assert rules.settlement_date(START, None) == END
    assert rules.settlement_date(START, END) == date(2029, 2, 1)
    assert rules.settlement_date(date(2028, 2, 29), None) == date(2029, 2, 28)
    assert invoice_rules.InvoiceKind("settlement") == invoice_rules.InvoiceKind.SETTLEMENT
