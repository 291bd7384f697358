"""Invoice arithmetic: lines, totals, numbers, structured references, due dates and credit notes.

Rounding rules, written down once (``money.to_cents`` = ROUND_HALF_UP to the cent):

1. A line's amount excluding VAT is ``to_cents(quantity * unit_price)``: the amount can be
   recomputed from what the invoice prints. Unit prices are not rounded here; the pricing
   module rounds derived unit prices (formulas, daily fees) to 6 decimals before a line is
   made, and kWh quantities to 3 decimals.
2. VAT is computed per line and rounded per line: ``vat_amount = to_cents(amount * vat_rate)``.
3. Totals are exact sums of the rounded lines, never recomputed: ``excl_vat = sum(amount)``,
   ``vat = sum(vat_amount)``, ``incl_vat = excl_vat + vat``. The VAT summary per rate is the
   sum of that rate's lines too (base and VAT), so the summary, the lines and the totals always
   agree to the cent. (VAT recomputed on a rate's base could differ by a cent or so from the
   sum of the per-line VAT; the per-line figure is the one we use.)
4. Exception, advances: an advance invoice is one line whose amount *including* VAT is the
   agreed advance exactly, because the customer pays the round amount agreed (e.g. 86.00):
   ``base = to_cents(advance / (1 + rate))`` and ``vat = advance - base``. The VAT on such a
   line may differ by a cent from ``to_cents(base * rate)``; that is intended.
5. Credit notes given as an amount (not as lines) follow rule 4 too: the amount including VAT is
   the one asked for, split over the original invoice's VAT rates in proportion of their amounts
   including VAT (cumulative rounding, so the parts add up exactly).

Negative amounts (credit notes) round symmetrically: ROUND_HALF_UP rounds halves away from zero.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from wattdesk.domain.errors import DomainError
from wattdesk.domain.money import CENT, ZERO, to_cents, vat
from wattdesk.domain.ogm import make_ogm

UNITS: tuple[str, ...] = ("kWh", "day", "month", "piece")
LANGUAGES: tuple[str, ...] = ("nl", "fr", "de", "en")

MIN_PAYMENT_DAYS = 15
MAX_SEQUENCE = 999_999
# Invoice years the numbering (and the OGM mapping below) can express.
FIRST_YEAR, LAST_YEAR = 2000, 2999

ONE = Decimal(1)


# --- lines --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InvoiceLine:
    """One invoice line. ``description_key`` + ``parameters`` are rendered in the customer's
    language by the presentation layer (e.g. ``"energy"``, ``{"register": "day", ...}``)."""

    description_key: str
    parameters: dict[str, str]
    quantity: Decimal
    unit: str  # one of UNITS
    unit_price: Decimal  # euro per unit, excluding VAT
    amount: Decimal  # excluding VAT, rounded to cents (rule 1)
    vat_rate: Decimal  # a fraction: Decimal("0.06")
    vat_amount: Decimal  # rounded per line (rule 2)

    @property
    def amount_incl_vat(self) -> Decimal:
        return self.amount + self.vat_amount


def _decimal(value: object, code: str, what: str) -> Decimal:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise DomainError(code, f"{what} must be a finite Decimal, got {value!r}")
    return value


def _check_rate(rate: object) -> Decimal:
    value = _decimal(rate, "vat.rate", "VAT rate")
    if not Decimal(0) <= value < ONE:
        raise DomainError("vat.rate", f"VAT rate must be a fraction in [0, 1), got {value}")
    return value


def _check_parameters(parameters: Mapping[str, str]) -> dict[str, str]:
    if not isinstance(parameters, Mapping) or not all(isinstance(k, str) and isinstance(v, str) for k, v in parameters.items()):
        raise DomainError("invoice.line", "line parameters must map text to text")
    return dict(parameters)


def make_line(description_key: str, parameters: Mapping[str, str], quantity: Decimal, unit: str, unit_price: Decimal, vat_rate: Decimal) -> InvoiceLine:
    """A line with ``amount = to_cents(quantity * unit_price)`` and ``vat_amount = to_cents(amount * vat_rate)``.

    Codes: ``invoice.line`` (empty key, parameters not text), ``invoice.unit`` (unknown unit),
    ``invoice.quantity`` / ``invoice.unit_price`` (not a finite Decimal), ``vat.rate``.
    """
    if not isinstance(description_key, str) or not description_key:
        raise DomainError("invoice.line", "a line needs a description key")
    if unit not in UNITS:
        raise DomainError("invoice.unit", f"unknown unit {unit!r}; expected one of {', '.join(UNITS)}")
    _decimal(quantity, "invoice.quantity", "quantity")
    _decimal(unit_price, "invoice.unit_price", "unit price")
    rate = _check_rate(vat_rate)
    amount = to_cents(quantity * unit_price)
    return InvoiceLine(description_key, _check_parameters(parameters), quantity, unit, unit_price, amount, rate, vat(amount, rate))


# --- totals -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InvoiceTotals:
    excl_vat: Decimal
    vat: Decimal
    incl_vat: Decimal
    # (rate, base excl. VAT, VAT) per rate, lowest rate first
    vat_summary: list[tuple[Decimal, Decimal, Decimal]]


def totals(lines: Sequence[InvoiceLine]) -> InvoiceTotals:
    """Exact sums of the rounded lines (rule 3). An empty invoice totals 0.00."""
    by_rate: dict[Decimal, tuple[Decimal, Decimal]] = {}
    for line in lines:
        base, tax = by_rate.get(line.vat_rate, (ZERO, ZERO))
        by_rate[line.vat_rate] = (base + line.amount, tax + line.vat_amount)
    excl = to_cents(sum((line.amount for line in lines), ZERO))
    tax = to_cents(sum((line.vat_amount for line in lines), ZERO))
    summary = [(rate, to_cents(base), to_cents(rate_vat)) for rate, (base, rate_vat) in sorted(by_rate.items())]
    return InvoiceTotals(excl, tax, to_cents(excl + tax), summary)


# --- kinds, numbers, structured references -----------------------------------------------------


class InvoiceKind(StrEnum):
    ADVANCE = "advance"
    SETTLEMENT = "settlement"
    FINAL = "final"
    EXTRAORDINARY = "extraordinary"
    CREDIT_NOTE = "credit_note"


SERIES: dict[InvoiceKind, str] = {
    InvoiceKind.ADVANCE: "A",
    InvoiceKind.SETTLEMENT: "S",
    InvoiceKind.FINAL: "F",
    InvoiceKind.EXTRAORDINARY: "X",
    InvoiceKind.CREDIT_NOTE: "C",
}

# One digit per series in the OGM base (see ogm_for). Never renumber: OGMs already sent rely on it.
_SERIES_DIGIT: dict[str, int] = {"A": 1, "S": 2, "F": 3, "X": 4, "C": 5}

_NUMBER_RE = re.compile(r"(\d{4})-([A-Z])-(\d{6})")


def _check_number_parts(series: str, year: int, sequence: int) -> None:
    if series not in _SERIES_DIGIT:
        raise DomainError("invoice.series", f"unknown invoice series {series!r}; expected one of {', '.join(_SERIES_DIGIT)}")
    if isinstance(year, bool) or not isinstance(year, int) or not FIRST_YEAR <= year <= LAST_YEAR:
        raise DomainError("invoice.year", f"invoice year must be in {FIRST_YEAR}..{LAST_YEAR}, got {year!r}")
    if isinstance(sequence, bool) or not isinstance(sequence, int) or not 1 <= sequence <= MAX_SEQUENCE:
        raise DomainError("invoice.sequence", f"invoice sequence must be in 1..{MAX_SEQUENCE}, got {sequence!r}")


def format_number(series: str, year: int, sequence: int) -> str:
    """``format_number("A", 2027, 1) == "2027-A-000001"``. Codes: ``invoice.series``, ``invoice.year``, ``invoice.sequence``."""
    _check_number_parts(series, year, sequence)
    return f"{year:04d}-{series}-{sequence:06d}"


def parse_number(number: str) -> tuple[str, int, int]:
    """``"2027-A-000001"`` -> ``("A", 2027, 1)``. Codes: ``invoice.number`` (format), then those of format_number."""
    match = _NUMBER_RE.fullmatch(number) if isinstance(number, str) else None
    if not match:
        raise DomainError("invoice.number", f"not an invoice number: {number!r} (expected e.g. 2027-A-000001)")
    year, series, sequence = int(match.group(1)), match.group(2), int(match.group(3))
    _check_number_parts(series, year, sequence)
    return series, year, sequence


def ogm_for(series: str, year: int, sequence: int) -> str:
    """The structured reference of invoice ``format_number(series, year, sequence)``.

    The 10-digit base is ``YYY S NNNNNN``: ``YYY`` = year - 2000 (3 digits, 2000..2999),
    ``S`` = series digit (A=1, S=2, F=3, X=4, C=5), ``NNNNNN`` = the sequence (1..999,999).
    The mapping is injective, so every invoice number has its own OGM, and a bank payment's
    OGM leads back to the invoice: 2027-A-000001 -> base 0271000001 -> +++027/1000/00143+++.
    """
    _check_number_parts(series, year, sequence)
    return make_ogm((year - FIRST_YEAR) * 10**7 + _SERIES_DIGIT[series] * 10**6 + sequence)


def due_date(issue_date: date, days: int = MIN_PAYMENT_DAYS) -> date:
    """``issue_date`` + ``days`` calendar days; never fewer than 15.

    Codes: ``invoice.due_too_soon`` (days < 15), ``invoice.due_days`` (not a whole number).
    """
    if isinstance(days, bool) or not isinstance(days, int):
        raise DomainError("invoice.due_days", f"payment term must be a whole number of days, got {days!r}")
    if days < MIN_PAYMENT_DAYS:
        raise DomainError("invoice.due_too_soon", f"payment term must be at least {MIN_PAYMENT_DAYS} calendar days, got {days}")
    return issue_date + timedelta(days=days)


# --- advances -----------------------------------------------------------------------------------


def _split_incl_vat(amount_incl_vat: Decimal, rate: Decimal) -> tuple[Decimal, Decimal]:
    """(base, VAT) with base + VAT == amount_incl_vat exactly (rule 4)."""
    base = to_cents(amount_incl_vat / (ONE + rate))
    return base, to_cents(amount_incl_vat - base)


def _whole_cents(amount: object, code: str, what: str) -> Decimal:
    value = _decimal(amount, code, what)
    if value != value.quantize(CENT):
        raise DomainError(code, f"{what} must be in whole cents, got {value}")
    return value


def advance_invoice_lines(amount_incl_vat: Decimal, vat_rate: Decimal, period_label_params: Mapping[str, str]) -> list[InvoiceLine]:
    """The single line of an advance invoice: its amount including VAT is ``amount_incl_vat`` exactly.

    ``period_label_params`` become the line's parameters (e.g. ``{"month": "2027-03"}``).
    Codes: ``advance.amount`` (not a positive amount in whole cents), ``vat.rate``, ``invoice.line``.
    """
    amount = _whole_cents(amount_incl_vat, "advance.amount", "advance")
    if amount <= 0:
        raise DomainError("advance.amount", f"advance must be positive, got {amount}")
    rate = _check_rate(vat_rate)
    base, tax = _split_incl_vat(amount, rate)
    return [InvoiceLine("advance", _check_parameters(period_label_params), ONE, "piece", base, base, rate, tax)]


# --- account credits (referral, welcome) -------------------------------------------------------


def account_credit_line(reason_key: str, parameters: Mapping[str, str], amount_excl_vat: Decimal, vat_rate: Decimal) -> InvoiceLine:
    """A credit granted to the customer (``reason_key`` e.g. ``"referral_credit"``), as a negative
    line of one piece at the invoice's VAT rate: it lowers the VAT as a price reduction does.
    Configured credit amounts exclude VAT. Code: ``credit.amount`` (not positive whole cents)."""
    amount = _whole_cents(amount_excl_vat, "credit.amount", "credit")
    if amount <= 0:
        raise DomainError("credit.amount", f"a credit must be positive, got {amount}")
    return make_line(reason_key, parameters, ONE, "piece", -amount, vat_rate)


def lines_with_credits(lines: Sequence[InvoiceLine], credits: Sequence[tuple[str, Mapping[str, str], Decimal]], vat_rate: Decimal) -> tuple[list[InvoiceLine], list[int]]:
    """``lines`` plus the credit lines that fit, oldest credit first, and the indexes of the credits
    used. A credit fits when the invoice total incl. VAT stays at or above zero; a credit that does
    not fit waits, whole, for a later invoice (an invoice never turns into a credit note this way)."""
    result = list(lines)
    used: list[int] = []
    for index, (reason_key, parameters, amount) in enumerate(credits):
        line = account_credit_line(reason_key, parameters, amount, vat_rate)
        if totals([*result, line]).incl_vat < 0:
            continue
        result.append(line)
        used.append(index)
    return result, used


# --- credit notes -------------------------------------------------------------------------------


def creditable_remainder(original_total_incl_vat: Decimal, credited_so_far: Decimal) -> Decimal:
    """What can still be credited on an invoice: its total incl. VAT minus what earlier credit
    notes credited (``credited_so_far`` is a positive amount, the sum of their totals' magnitudes).

    Codes: ``credit.original`` (negative original: a credit note is not credited),
    ``credit.amount`` (negative or fractional-cent figures), ``credit.above_remainder`` (the
    earlier credit notes already exceed the invoice: inconsistent data).
    """
    original = _whole_cents(original_total_incl_vat, "credit.original", "original total")
    if original < 0:
        raise DomainError("credit.original", "only an invoice with a positive total can be credited")
    credited = _whole_cents(credited_so_far, "credit.amount", "amount credited so far")
    if credited < 0:
        raise DomainError("credit.amount", "amount credited so far is a positive figure")
    if credited > original:
        raise DomainError("credit.above_remainder", f"{credited} already credited exceeds the invoice total {original}")
    return to_cents(original - credited)


def _negated(line: InvoiceLine, index: int) -> InvoiceLine:
    return InvoiceLine(
        line.description_key,
        {**line.parameters, "credits_line": str(index)},
        -line.quantity if line.quantity else line.quantity,
        line.unit,
        line.unit_price,
        to_cents(-line.amount),
        line.vat_rate,
        to_cents(-line.vat_amount),
    )


def _amount_lines(original_lines: Sequence[InvoiceLine], amount: Decimal) -> list[InvoiceLine]:
    """Credit ``amount`` incl. VAT spread over the original's VAT rates (rule 5)."""
    weights = [(rate, base + tax) for rate, base, tax in totals(original_lines).vat_summary]
    weights = [(rate, weight) for rate, weight in weights if weight > 0]
    whole = sum((weight for _, weight in weights), ZERO)
    lines: list[InvoiceLine] = []
    running, given = ZERO, ZERO
    for rate, weight in weights:
        running += weight
        part = to_cents(amount * running / whole) - given
        given += part
        if not part:
            continue
        base, tax = _split_incl_vat(part, rate)
        lines.append(InvoiceLine("credit", {"vat_rate": f"{rate}"}, -ONE, "piece", base, to_cents(-base), rate, to_cents(-tax)))
    return lines


def credit_note_lines(original_lines: Sequence[InvoiceLine], line_indexes_or_amount: Sequence[int] | Decimal, already_credited: Decimal) -> list[InvoiceLine]:
    """Lines of a credit note on an invoice made of ``original_lines`` (amounts negative).

    ``line_indexes_or_amount`` is either the indexes of the original lines to credit in full
    (each line negated, parameters get ``credits_line``), or a positive amount incl. VAT to
    credit (one ``"credit"`` line per VAT rate, rule 5). ``already_credited`` is the positive sum
    of earlier credit notes on that invoice. The credit note (incl. VAT) is never above
    ``creditable_remainder``; the credit note's reference to the invoice it corrects is kept by
    the caller with the invoice number.

    Codes: ``credit.above_remainder``, ``credit.amount`` (nothing to credit, or not whole cents),
    ``credit.line_index`` (unknown or repeated index), plus those of creditable_remainder.
    """
    remainder = creditable_remainder(totals(original_lines).incl_vat, already_credited)
    if isinstance(line_indexes_or_amount, Decimal):
        amount = _whole_cents(line_indexes_or_amount, "credit.amount", "amount to credit")
        if amount <= 0:
            raise DomainError("credit.amount", f"amount to credit must be positive, got {amount}")
        if amount > remainder:
            raise DomainError("credit.above_remainder", f"cannot credit {amount}: only {remainder} remains creditable")
        return _amount_lines(original_lines, amount)
    indexes = list(line_indexes_or_amount)
    if not indexes:
        raise DomainError("credit.amount", "choose at least one line to credit")
    if len(set(indexes)) != len(indexes) or not all(isinstance(i, int) and not isinstance(i, bool) and 0 <= i < len(original_lines) for i in indexes):
        raise DomainError("credit.line_index", f"line indexes must be distinct and in 0..{len(original_lines) - 1}, got {indexes}")
    lines = [_negated(original_lines[i], i) for i in indexes]
    credited = -totals(lines).incl_vat
    if credited <= 0:
        raise DomainError("credit.amount", "the chosen lines do not add up to an amount to credit")
    if credited > remainder:
        raise DomainError("credit.above_remainder", f"cannot credit {credited}: only {remainder} remains creditable")
    return lines
