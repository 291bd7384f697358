"""Money helpers: amounts are ``decimal.Decimal`` euros, never floats."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from wattdesk.domain.errors import DomainError

CENT = Decimal("0.01")
ZERO = Decimal("0.00")

# Plain decimal notation only: no exponent, no thousands separator, no comma,
# so "1e3", "1,50" or "NaN" cannot sneak in through Decimal's lenient parser.
_AMOUNT_RE = re.compile(r"-?\d+(?:\.\d+)?")


def _as_decimal(amount: Decimal | int) -> Decimal:
    # bool is an int subclass and float is inexact: both are programming errors.
    if isinstance(amount, bool) or not isinstance(amount, (Decimal, int)):
        raise DomainError("amount.type", f"amount must be a Decimal, got {type(amount).__name__}")
    value = Decimal(amount)
    if not value.is_finite():
        raise DomainError("amount.not_finite", "amount must be a finite number")
    return value


def to_cents(amount: Decimal | int) -> Decimal:
    """Round ``amount`` to whole cents, ROUND_HALF_UP.

    This is the single rounding rule of WattDesk, written down once here:
    every invoice line, VAT amount and total goes through this function.
    """
    value = _as_decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)
    # Avoid "-0.00" showing up on documents.
    return value if value else ZERO


def parse_amount(text: str) -> Decimal:
    """Parse a user/CSV amount such as ``"123.45"`` strictly.

    Accepts an optional leading minus and at most two decimals; rejects
    floats, exponents, NaN/infinity and anything needing rounding, because
    silently rounding an input amount hides an upstream bug.
    """
    if not isinstance(text, str):
        raise DomainError("amount.type", f"amount must be text, got {type(text).__name__}")
    cleaned = text.strip()
    if not _AMOUNT_RE.fullmatch(cleaned):
        raise DomainError("amount.format", f"not a valid amount: {text!r}")
    try:
        value = Decimal(cleaned)
    except InvalidOperation as exc:  # pragma: no cover - the regex already guards this
        raise DomainError("amount.format", f"not a valid amount: {text!r}") from exc
    if value != value.quantize(CENT):
        raise DomainError("amount.precision", f"amount has more than 2 decimals: {text!r}")
    return to_cents(value)


def format_amount(amount: Decimal | int) -> str:
    """Render an amount as plain ``"123.45"`` (rounded to cents, no grouping).

    Locale-aware display belongs to the presentation layer (babel); this form
    is for files, APIs and payment references.
    """
    return f"{to_cents(amount):f}"


def split_evenly(total: Decimal | int, parts: int) -> list[Decimal]:
    """Split ``total`` into ``parts`` amounts that add up to it exactly.

    Leftover cents go to the first parts, e.g. 100.00 / 3 ->
    [33.34, 33.33, 33.33]. Used for instalment plans.
    """
    if isinstance(parts, bool) or not isinstance(parts, int) or parts < 1:
        raise DomainError("split.parts", f"number of parts must be a positive integer, got {parts!r}")
    value = _as_decimal(total)
    if value != value.quantize(CENT):
        raise DomainError("amount.precision", "total to split must be in whole cents")
    # Work in integer cents on the absolute value so negative totals (credit
    # notes) split symmetrically: -1.00 / 3 -> [-0.34, -0.33, -0.33].
    cents = int(value.scaleb(2))
    sign = -1 if cents < 0 else 1
    base, remainder = divmod(abs(cents), parts)
    return [
        to_cents(Decimal(sign * (base + (1 if i < remainder else 0))).scaleb(-2))
        for i in range(parts)
    ]


def vat(amount: Decimal | int, rate: Decimal) -> Decimal:
    """VAT due on ``amount`` at ``rate`` (a fraction: Decimal("0.06") for 6 %), rounded to cents."""
    if isinstance(rate, bool) or not isinstance(rate, (Decimal, int)):
        raise DomainError("vat.rate", f"VAT rate must be a Decimal, got {type(rate).__name__}")
    rate_value = Decimal(rate)
    # A rate >= 1 is almost certainly a percentage passed by mistake (21 instead of 0.21).
    if not rate_value.is_finite() or not Decimal(0) <= rate_value < Decimal(1):
        raise DomainError("vat.rate", f"VAT rate must be a fraction in [0, 1), got {rate}")
    return to_cents(_as_decimal(amount) * rate_value)
