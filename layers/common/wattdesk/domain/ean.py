"""Belgian EAN codes (GS1 GSRN) identifying electricity and gas delivery points."""

from __future__ import annotations

import re

# GSRN uses the same GS1 mod-10 check digit as EAN-13/GTIN (weights 3,1,3,...
# from the right); stdnum's ean.validate only accepts 8-14 digits, but its
# calc_check_digit works for any length, so we reuse it for the 18-digit GSRN.
from stdnum.ean import calc_check_digit

from wattdesk.domain.errors import DomainError

EAN_LENGTH = 18
# GS1 Belgium & Luxembourg prefix; Belgian grid operators all issue 54... EANs.
BELGIAN_PREFIX = "54"

# People copy EANs from invoices with spaces or dashes between digit groups.
_SEPARATORS = re.compile(r"[\s\-.]")


def _compact(value: str) -> str:
    return _SEPARATORS.sub("", value)


def validate_ean(value: str) -> str:
    """Return the normalised 18-digit EAN or raise DomainError.

    Codes: ``ean.format`` (not 18 digits), ``ean.prefix`` (not Belgian),
    ``ean.check_digit`` (typo in the number).
    """
    if not isinstance(value, str):
        raise DomainError("ean.format", "EAN must be text")
    ean = _compact(value)
    # isascii(): str.isdigit() alone would accept e.g. Arabic-Indic digits.
    if len(ean) != EAN_LENGTH or not (ean.isascii() and ean.isdigit()):
        raise DomainError("ean.format", f"EAN must be {EAN_LENGTH} digits")
    if not ean.startswith(BELGIAN_PREFIX):
        raise DomainError("ean.prefix", f"a Belgian EAN starts with {BELGIAN_PREFIX}")
    if calc_check_digit(ean[:-1]) != ean[-1]:
        raise DomainError("ean.check_digit", "EAN check digit does not match; check for a typo")
    return ean


def is_valid_ean(value: str) -> bool:
    try:
        validate_ean(value)
    except DomainError:
        return False
    return True


def ean_with_check_digit(first17: str) -> str:
    """Append the GS1 check digit to 17 digits (test data and fixtures)."""
    digits = _compact(first17)
    if len(digits) != EAN_LENGTH - 1 or not (digits.isascii() and digits.isdigit()):
        raise DomainError("ean.format", f"need exactly {EAN_LENGTH - 1} digits")
    return digits + calc_check_digit(digits)
