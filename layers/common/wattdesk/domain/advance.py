"""The first advance (voorschot / acompte) from the DSO's estimated annual consumption (EAV).

Rounding rules, written down once:

1. Yearly cost estimate of one delivery point, with no intermediate rounding::

       net = sum over the meter's registers of (eav_kwh * share[register] * energy_price[register])
             + eav_kwh * network_and_levies_per_kwh
             + yearly_fee
       yearly_cost = to_cents(net * (1 + vat_rate))

   ``share`` is catalogue.REGISTERS (e.g. dual: 55 % day, 45 % night); the kWh per register are
   not rounded to whole kWh. ``to_cents`` (ROUND_HALF_UP) is applied once, on the amount
   including VAT.
2. Yearly total of an enrollment = sum of the points' yearly costs (each already in cents).
3. Advance = yearly total / periods per year, rounded UP to the next whole euro (a whole-euro
   result stays as it is). Suppliers bill advances in whole euros, and rounding up means the
   advances cover the estimate: ``advance * periods >= yearly total`` and
   ``(advance - 1) * periods < yearly total``. The advance is returned with two decimals
   (``Decimal("86.00")``) like every other amount.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from wattdesk.domain.catalogue import REGISTERS, Product
from wattdesk.domain.errors import DomainError
from wattdesk.domain.money import to_cents

PERIODS_PER_YEAR: dict[str, int] = {"monthly": 12, "bimonthly": 6, "quarterly": 4}

# VAT on electricity and gas by customer type, as (valid from, rate), oldest first. A future
# change is a new row, keyed by supply date (the date the energy is delivered, not invoiced).
# Residential: 6 % since 1 March 2022 (temporary at first, permanent since 1 April 2023).
VAT_RATES: dict[str, tuple[tuple[date, Decimal], ...]] = {
    "residential": ((date(2022, 3, 1), Decimal("0.06")),),
    "professional": ((date(2022, 3, 1), Decimal("0.21")),),
}


def vat_rate(customer_type: str, supply_date: date) -> Decimal:
    """VAT rate (a fraction) for energy supplied to ``customer_type`` on ``supply_date``.

    Codes: ``vat.customer_type`` (unknown type), ``vat.no_rate`` (date before the table).
    """
    rates = VAT_RATES.get(customer_type)
    if rates is None:
        raise DomainError("vat.customer_type", f"no VAT rate for customer type {customer_type!r}")
    applicable = [rate for valid_from, rate in rates if valid_from <= supply_date]
    if not applicable:
        raise DomainError("vat.no_rate", f"no VAT rate known for {supply_date.isoformat()}")
    return applicable[-1]


def yearly_cost_estimate(eav_kwh: int, meter_type: str, product: Product, customer_type: str, supply_date: date) -> Decimal:
    """Estimated yearly cost of one delivery point including VAT, in cents (rule 1 above).

    Codes: ``advance.eav`` (not a whole, non-negative kWh count), ``advance.meter_type``
    (unknown meter type), ``advance.register_price`` (the product has no price for one of the
    meter's registers, e.g. a gas product on a dual meter).
    """
    # bool is an int subclass; a float EAV would bring binary rounding in.
    if isinstance(eav_kwh, bool) or not isinstance(eav_kwh, int) or eav_kwh < 0:
        raise DomainError("advance.eav", f"EAV must be a whole number of kWh >= 0, got {eav_kwh!r}")
    shares = REGISTERS.get(meter_type)
    if shares is None:
        raise DomainError("advance.meter_type", f"unknown meter type {meter_type!r}")
    missing = [register for register in shares if register not in product.energy_prices]
    if missing:
        raise DomainError("advance.register_price", f"product {product.code} has no price for register(s) {', '.join(missing)}")
    kwh = Decimal(eav_kwh)
    energy = sum((kwh * share * product.energy_prices[register] for register, share in shares.items()), Decimal(0))
    net = energy + kwh * product.network_and_levies_per_kwh + product.yearly_fee
    return to_cents(net * (1 + vat_rate(customer_type, supply_date)))


def advance_amount(yearly_total: Decimal, frequency: str) -> Decimal:
    """``yearly_total`` / periods per year, rounded UP to the next whole euro (rule 3 above).

    Codes: ``advance.frequency`` (unknown billing frequency), ``advance.total`` (negative or
    not a finite Decimal).
    """
    periods = PERIODS_PER_YEAR.get(frequency)
    if periods is None:
        raise DomainError("advance.frequency", f"unknown billing frequency {frequency!r}")
    if not isinstance(yearly_total, Decimal) or not yearly_total.is_finite() or yearly_total < 0:
        raise DomainError("advance.total", f"yearly total must be a finite Decimal >= 0, got {yearly_total!r}")
    # Exact integer ceiling: Decimal division rounds to the context precision first.
    numerator, denominator = yearly_total.as_integer_ratio()
    whole_euros = -(-numerator // (denominator * periods))
    return to_cents(whole_euros)


def first_advance(eav_by_point: list[tuple[int, str, Product]], customer_type: str, frequency: str, supply_date: date) -> Decimal:
    """The first advance of an enrollment: (EAV, meter type, product) per delivery point (rule 2, then 3).

    Code: ``advance.no_points`` (empty list).
    """
    if not eav_by_point:
        raise DomainError("advance.no_points", "an advance needs at least one delivery point")
    yearly_total = sum(
        (yearly_cost_estimate(eav, meter_type, product, customer_type, supply_date) for eav, meter_type, product in eav_by_point),
        Decimal(0),
    )
    return advance_amount(yearly_total, frequency)


# A customer may change the advance within these bounds of the computed amount; operators may
# go lower with a written reason (e.g. a payment difficulty), never above the maximum.
MINIMUM_SHARE = Decimal("0.80")
MAXIMUM_SHARE = Decimal("3.00")


def advance_bounds(computed: Decimal) -> tuple[Decimal, Decimal]:
    """(lowest, highest) advance a customer may choose, in cents (the minimum rounded up)."""
    lowest = to_cents(computed * MINIMUM_SHARE)
    if lowest < computed * MINIMUM_SHARE:
        lowest += Decimal("0.01")
    return lowest, to_cents(computed * MAXIMUM_SHARE)


def check_advance_change(requested: Decimal, computed: Decimal, *, by_operator: bool, reason: str | None) -> Decimal:
    """The new advance, or DomainError: advance.not_positive, advance.below_minimum (customers),
    advance.reason_required (operators going below the minimum), advance.above_maximum."""
    if requested != to_cents(requested) or requested <= 0:
        raise DomainError("advance.not_positive", "The advance is a positive amount in euro and cents.", "amount")
    lowest, highest = advance_bounds(computed)
    if requested > highest:
        raise DomainError("advance.above_maximum", f"The advance can be at most {highest} (three times the computed {computed}).", "amount")
    if requested < lowest:
        if not by_operator:
            raise DomainError("advance.below_minimum", f"The advance can be at least {lowest} (80 % of the computed {computed}).", "amount")
        if not (reason or "").strip():
            raise DomainError("advance.reason_required", "Going below 80 % of the computed advance needs a reason.", "reason")
    return requested
