"""The annual settlement and the final invoice: consumption priced day by day, minus the advances.

A contract is settled once a year, on the anniversary of its start (``settlement_date``), and
once more when it ends (the final invoice of a move). The period is half-open,
``[opening reading date, closing reading date)``.

Lines (rounding as in ``invoice`` and ``pricing``):

1. Per delivery point and register, the kWh between the opening and closing readings are spread
   over the days by the standard load profile (``load_profile.day_weight``), split where the
   contract's product changes (cumulative rounding to 3 decimals, so the parts add up exactly),
   then priced by ``pricing.consumption_lines_by_profile`` with the prices, index, network table
   and VAT rate valid on each day. Lines from an estimated reading carry
   ``{"reading": "estimated"}`` and the invoice prints a note.
2. The advances invoiced for the period are deducted: one ``advance_deduction`` line per VAT rate
   whose amount and VAT are the exact negative sums of those advance invoices' lines (net of
   credit notes on them), so nothing is recomputed and the customer's VAT is neither charged
   twice nor lost.
3. Totals are the sums of the lines. A positive total is to pay (due in 15 days); a negative total
   is a credit for the customer, refunded (``outcome == "refund"``); zero settles nothing.

The next advance (after an annual settlement) is ``advance.first_advance`` on the *actual*
consumption scaled to a year by the profile (``load_profile.annualised_kwh``) instead of the EAV.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from wattdesk.domain import advance as advance_rules
from wattdesk.domain import load_profile
from wattdesk.domain.catalogue import PRODUCTS, Product
from wattdesk.domain.errors import DomainError
from wattdesk.domain.invoice import InvoiceLine, InvoiceTotals, totals
from wattdesk.domain.money import ZERO, to_cents
from wattdesk.domain.pricing import IndexValues, NetworkTariffs, PriceBook, consumption_lines_by_profile, round_kwh

ONE_DAY = timedelta(days=1)


def add_years(day: date, years: int) -> date:
    """The same calendar day ``years`` later; 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return date(day.year + years, 2, 28)


def settlement_date(start: date, settled_until: date | None) -> date:
    """The next settlement date of a contract that started on ``start`` and was settled up to
    ``settled_until`` (None: never): the first anniversary of the start after that date."""
    years = 1
    while add_years(start, years) <= (settled_until or start):
        years += 1
    return add_years(start, years)


def product_timeline(initial: str, changes: Sequence[tuple[str, date]], start: date, end: date) -> list[tuple[str, date, date]]:
    """``[(product_code, from, until)]`` covering ``[start, end)``: ``initial`` then each change
    ``(product_code, effective)`` in date order."""
    timeline: list[tuple[str, date, date]] = []
    current, cursor = initial, start
    for code, effective in sorted(changes, key=lambda change: change[1]):
        if effective <= cursor:
            current = code
            continue
        if effective >= end:
            break
        timeline.append((current, cursor, effective))
        current, cursor = code, effective
    timeline.append((current, cursor, end))
    return timeline


@dataclass(frozen=True)
class PointConsumption:
    """One delivery point over the period: kWh per register between its readings."""

    ean: str
    energy: str
    meter_type: str
    kwh: Mapping[str, int]
    estimated: bool
    products: Sequence[tuple[str, date, date]]  # product_timeline


def _split_by_profile(kwh: Decimal, energy: str, pieces: Sequence[tuple[date, date]]) -> list[Decimal]:
    whole = sum((load_profile.weight_between(energy, start, end) for start, end in pieces), Decimal(0))
    parts, given, running = [], Decimal("0.000"), Decimal(0)
    for start, end in pieces:
        running += load_profile.weight_between(energy, start, end)
        cumulative = round_kwh(kwh * running / whole) if whole else round_kwh(kwh)
        parts.append(cumulative - given)
        given = cumulative
    return parts


def consumption_invoice_lines(
    points: Sequence[PointConsumption], price_book: PriceBook, indexes: IndexValues | Mapping, network: NetworkTariffs, region: str,
    customer_type: str, language: str, *, vat_rate_for: Callable[[str, date], Decimal] = advance_rules.vat_rate,
    products: Mapping[str, Product] = PRODUCTS,
) -> list[InvoiceLine]:
    """Rule 1 of the module docstring, for every point (in the order given)."""
    lines: list[InvoiceLine] = []
    for point in points:
        pieces = [(start, end) for _code, start, end in point.products]
        shares = {register: _split_by_profile(Decimal(kwh), point.energy, pieces) for register, kwh in point.kwh.items()}
        extra = {"ean": point.ean, **({"reading": "estimated"} if point.estimated else {})}
        for index, (code, start, end) in enumerate(point.products):
            lines += consumption_lines_by_profile(
                code, {register: parts[index] for register, parts in shares.items()}, start, end, price_book, indexes, network, region,
                customer_type, language, day_weight=lambda day, energy=point.energy: load_profile.day_weight(energy, day),
                extra_parameters=extra, products=products, vat_rate_for=vat_rate_for,
            )
    return lines


def advance_deduction_lines(advance_lines: Sequence[InvoiceLine], count: int) -> list[InvoiceLine]:
    """Rule 2: the advances' lines (and the lines of credit notes on them, negative) as one
    negative line per VAT rate. Nothing when there is nothing to deduct."""
    by_rate: dict[Decimal, tuple[Decimal, Decimal]] = {}
    for line in advance_lines:
        base, tax = by_rate.get(line.vat_rate, (ZERO, ZERO))
        by_rate[line.vat_rate] = (base + line.amount, tax + line.vat_amount)
    result = []
    for rate, (base, tax) in sorted(by_rate.items()):
        if not base and not tax:
            continue
        result.append(InvoiceLine("advance_deduction", {"count": str(count)}, Decimal(1), "piece", to_cents(-base), to_cents(-base), rate, to_cents(-tax)))
    return result


@dataclass(frozen=True)
class SettlementResult:
    lines: list[InvoiceLine]
    totals: InvoiceTotals
    outcome: str  # to_pay | refund | nothing
    estimated: bool

    @property
    def amount(self) -> Decimal:
        """What the customer pays (> 0) or gets back (as a positive figure for a refund)."""
        return abs(self.totals.incl_vat)


def settle(consumption_lines: Sequence[InvoiceLine], advance_lines: Sequence[InvoiceLine], advance_count: int, estimated: bool) -> SettlementResult:
    lines = [*consumption_lines, *advance_deduction_lines(advance_lines, advance_count)]
    result = totals(lines)
    outcome = "to_pay" if result.incl_vat > 0 else "refund" if result.incl_vat < 0 else "nothing"
    return SettlementResult(lines, result, outcome, estimated)


def next_advance(points: Sequence[tuple[PointConsumption, str]], period_start: date, period_end: date, customer_type: str, frequency: str, supply_date: date, products: Mapping[str, Product] = PRODUCTS) -> tuple[Decimal, dict[str, int]]:
    """The advance after a settlement from the actual consumption: ``points`` are
    (consumption, product code for the coming year). Returns (advance, yearly kWh per EAN)."""
    yearly: dict[str, int] = {}
    rows = []
    for point, code in points:
        kwh = load_profile.annualised_kwh(Decimal(sum(point.kwh.values())), point.energy, period_start, period_end)
        yearly[point.ean] = kwh
        rows.append((kwh, point.meter_type, products[code]))
    if not rows:
        raise DomainError("settlement.no_points", "nothing to settle")
    return advance_rules.first_advance(rows, customer_type, frequency, supply_date), yearly


def days_in_month(day: date) -> int:
    return calendar.monthrange(day.year, day.month)[1]
