"""Corrections of issued invoices (issue 6): credit notes, cancel-and-reissue, extraordinary invoices.

Issued invoices are immutable; every correction is a new document:

* A **credit note** (series C) corrects one invoice, in full or in part: by *line* (chosen lines
  of the invoice negated, each line at most once) or by *amount* incl. VAT (spread over the
  invoice's VAT rates, ``invoice`` rule 5). Together, the credit notes of an invoice never exceed
  its total incl. VAT: what is left is the *creditable remainder*. This module decides; the store
  enforces the same rule again with a conditional write on the invoice (concurrent credit notes).
* **Cancel and reissue**: the whole remainder is credited and a replacement invoice is issued,
  both or neither. A credit note for "the full amount" negates every line when nothing was
  credited before; after a partial credit it credits the remainder as an amount.
* An **extraordinary invoice** (meter damage, a fee) has free lines written by ops, each with a
  description; it follows the numbering, OGM, PDF and mail rules of every invoice.

Codes: ``correction.reason`` (no reason), ``correction.selection`` (neither or both of lines and
amount), ``credit.line_credited`` (a line already credited by line), ``correction.not_creditable``
(a credit note cannot be credited), ``correction.nothing_left`` (the remainder is zero), ``correction.in_favour`` (a
partial credit of an invoice whose total is in the customer's favour: only cancel-and-reissue
cancels it, by its mirror image),
``extraordinary.*`` (free lines), plus the ``credit.*`` codes of ``invoice.credit_note_lines``.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from decimal import Decimal

from wattdesk.domain import invoice as invoice_rules
from wattdesk.domain.errors import DomainError
from wattdesk.domain.invoice import InvoiceLine
from wattdesk.domain.money import CENT, ZERO

MAX_REASON = 500
MAX_FREE_LINES = 20
MAX_DESCRIPTION = 120
# Free lines of an extraordinary invoice: at most this much per line excluding VAT (a typo of a
# few zeros is refused rather than invoiced); a larger damage claim goes through a settlement.
MAX_FREE_LINE_AMOUNT = Decimal("10000.00")
# VAT rates ops may choose on a free line: 21 % is the standard rate (services such as a meter
# damage or an administrative fee), 6 % the reduced rate of residential energy supply, 0 % for a
# compensation outside the scope of VAT.
FREE_LINE_VAT_RATES: tuple[Decimal, ...] = (Decimal("0.00"), Decimal("0.06"), Decimal("0.21"))


def check_reason(reason: object) -> str:
    text = reason.strip() if isinstance(reason, str) else ""
    if not text:
        raise DomainError("correction.reason", "Say why: the reason is printed on the document and kept in the audit trail.", "reason")
    if len(text) > MAX_REASON:
        raise DomainError("correction.reason", f"The reason is at most {MAX_REASON} characters.", "reason")
    return text


@dataclass(frozen=True)
class CreditSelection:
    """What to credit: the indexes of lines, or an amount incl. VAT (exactly one of them)."""

    lines: tuple[int, ...] | None = None
    amount: Decimal | None = None

    def __post_init__(self) -> None:
        if (self.lines is None) == (self.amount is None):
            raise DomainError("correction.selection", "Give either the lines to credit or an amount, not both.", "lines")


def remainder(original_total_incl_vat: Decimal, remaining: Decimal | None) -> Decimal:
    """The creditable remainder of an invoice: its total (as a magnitude) until a first credit
    note, then what the invoice record keeps. An invoice of zero has nothing to credit."""
    if original_total_incl_vat == ZERO:
        return Decimal("0.00")
    return (abs(original_total_incl_vat) if remaining is None else remaining).quantize(CENT)


def plan_credit_note(
    original_lines: Sequence[InvoiceLine], remaining: Decimal, credited_lines: Collection[int], selection: CreditSelection, *, original_kind: str = "advance"
) -> list[InvoiceLine]:
    """The lines of a credit note (negative amounts) on an invoice of ``original_lines`` of which
    ``remaining`` (incl. VAT) is still creditable and ``credited_lines`` were credited by line.

    Never above the remainder; a line is credited by line at most once."""
    if original_kind == "credit_note":
        raise DomainError("correction.not_creditable", "A credit note cannot be credited; correct the invoice it corrects.", "number")
    total = invoice_rules.totals(original_lines).incl_vat
    if remaining <= ZERO:
        raise DomainError("correction.nothing_left", "Nothing remains creditable on this invoice.", "number")
    if total < ZERO:
        raise DomainError("correction.in_favour", "An invoice in the customer's favour (e.g. a settlement to refund) is only cancelled as a whole, by cancel and reissue.", "number")
    already = total - remaining  # what earlier credit notes credited
    try:
        if selection.lines is not None:
            again = sorted(set(selection.lines) & set(credited_lines))
            if again:
                raise DomainError("credit.line_credited", f"Line(s) {', '.join(str(i) for i in again)} were credited already.", "lines")
            return invoice_rules.credit_note_lines(original_lines, list(selection.lines), already)
        assert selection.amount is not None
        return invoice_rules.credit_note_lines(original_lines, selection.amount, already)
    except DomainError as exc:
        if exc.field is None:
            raise DomainError(exc.code, exc.message, "lines" if selection.lines is not None else "amount") from exc
        raise


def full_credit(original_lines: Sequence[InvoiceLine], remaining: Decimal, credited_lines: Collection[int], *, original_kind: str = "advance") -> list[InvoiceLine]:
    """A credit note for everything still creditable: every line negated when nothing was
    credited yet (the customer sees the invoice mirrored), else the remainder as an amount."""
    total = invoice_rules.totals(original_lines).incl_vat
    if original_kind == "credit_note":
        raise DomainError("correction.not_creditable", "A credit note cannot be credited; correct the invoice it corrects.", "number")
    if total < ZERO:
        # In the customer's favour: cancelled by the mirror image (each line negated, so the
        # note asks back exactly what the invoice gave), once and whole.
        if remaining != -total or credited_lines:
            raise DomainError("correction.nothing_left", "This invoice was cancelled already.", "number")
        return [_mirrored(line, i) for i, line in enumerate(original_lines)]
    if remaining == total and not credited_lines:
        indexes = tuple(i for i, line in enumerate(original_lines) if line.amount or line.vat_amount)
        lines = plan_credit_note(original_lines, remaining, credited_lines, CreditSelection(lines=indexes), original_kind=original_kind)
        if -invoice_rules.totals(lines).incl_vat == remaining:
            return lines
    return plan_credit_note(original_lines, remaining, credited_lines, CreditSelection(amount=remaining), original_kind=original_kind)


def _mirrored(line: InvoiceLine, index: int) -> InvoiceLine:
    return InvoiceLine(
        line.description_key, {**line.parameters, "credits_line": str(index)}, -line.quantity, line.unit, line.unit_price, -line.amount, line.vat_rate, -line.vat_amount
    )


@dataclass(frozen=True)
class FreeLine:
    """A line of an extraordinary invoice as ops type it."""

    description: str
    quantity: Decimal
    unit_price: Decimal  # excluding VAT
    vat_rate: Decimal
    unit: str = "piece"


def extraordinary_lines(free_lines: Sequence[FreeLine]) -> list[InvoiceLine]:
    """Invoice lines (key ``extraordinary``, parameter ``reason`` = the description) of free lines.

    Codes: ``extraordinary.lines`` (none, too many, total not positive), ``extraordinary.description``,
    ``extraordinary.quantity``, ``extraordinary.unit_price``, ``extraordinary.vat_rate``,
    ``extraordinary.amount`` (above MAX_FREE_LINE_AMOUNT)."""
    if not free_lines or len(free_lines) > MAX_FREE_LINES:
        raise DomainError("extraordinary.lines", f"An extraordinary invoice has 1 to {MAX_FREE_LINES} lines.", "lines")
    lines: list[InvoiceLine] = []
    for n, free in enumerate(free_lines):
        field = f"lines[{n}]"
        description = free.description.strip() if isinstance(free.description, str) else ""
        if not description or len(description) > MAX_DESCRIPTION:
            raise DomainError("extraordinary.description", f"Each line needs a description of 1 to {MAX_DESCRIPTION} characters.", f"{field}.description")
        if not isinstance(free.quantity, Decimal) or not free.quantity.is_finite() or free.quantity <= 0 or free.quantity.as_tuple().exponent < -3:
            raise DomainError("extraordinary.quantity", "The quantity is a positive number with at most 3 decimals.", f"{field}.quantity")
        if not isinstance(free.unit_price, Decimal) or not free.unit_price.is_finite() or free.unit_price.as_tuple().exponent < -6:
            raise DomainError("extraordinary.unit_price", "The unit price is a number with at most 6 decimals.", f"{field}.unit_price")
        if free.vat_rate not in FREE_LINE_VAT_RATES:
            raise DomainError("extraordinary.vat_rate", "The VAT rate is 0.00, 0.06 or 0.21.", f"{field}.vat_rate")
        if free.unit not in invoice_rules.UNITS:
            raise DomainError("extraordinary.unit", f"The unit is one of {', '.join(invoice_rules.UNITS)}.", f"{field}.unit")
        line = invoice_rules.make_line("extraordinary", {"reason": description}, free.quantity, free.unit, free.unit_price, free.vat_rate)
        if abs(line.amount) > MAX_FREE_LINE_AMOUNT:
            raise DomainError("extraordinary.amount", f"A free line is at most {MAX_FREE_LINE_AMOUNT} euro excluding VAT.", f"{field}.unit_price")
        lines.append(line)
    if invoice_rules.totals(lines).incl_vat <= ZERO:
        raise DomainError("extraordinary.lines", "An extraordinary invoice asks for money; to give money back, issue a credit note.", "lines")
    return lines
